#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The turnpike command as an operator meets it: --check-config verdicts and messages that
# name the file, line and key; --print-defaults is conf/turnpike.conf byte for byte; bad
# options; a bind address the host does not have; and the built-in defaults serving STUN
# while refusing allocations without credentials.
#
# usage: cli.sh TURNPIKE SOURCE_ROOT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_begin "$@"

turnpike=$1
src=$2

# expect_error FILE_CONTENT MESSAGE: --check-config exits 1 and prints MESSAGE.
expect_error() {
	printf '%s\n' "$1" >"$TP_WORK/bad.conf"
	local status=0 out
	out=$("$turnpike" --check-config "$TP_WORK/bad.conf" 2>&1) || status=$?
	[[ $status -eq 1 ]] || tp_fail "exit $status for: $1"
	[[ $out == *"$2"* ]] || tp_fail "expected \"$2\", got \"$out\""
	echo "ok: $out"
}

expect_error 'relay: { port-min = 80; };' \
	"bad.conf:1: relay.port-min: must be between 1024 and 65535 (got 80)"
expect_error $'relay:\n{\n\tlsiten-port = 3478;\n};' "bad.conf:3: relay.lsiten-port: unknown key"
expect_error 'auth: { users = ( { name = "a"; password = "x"; key = "00"; } ); };' \
	'bad.conf:1: auth.users[0]: give exactly one of "password" and "key"'
expect_error 'relay: { ipv4: { bind = "::1"; }; };' \
	'bad.conf:1: relay.ipv4.bind: "::1" is not an IPv4 address'
expect_error 'dataplane: { mode = "dpdk"; };' 'dpdk.ports: dpdk mode needs at least one port'
expect_error $'log:\n{\n\tlevel = ;\n};' "bad.conf:3: syntax error"
expect_error 'relay: { port-min = 60000; port-max = 50000; };' \
	"bad.conf:1: relay.port-min: 60000 is above relay.port-max 50000"

status=0
out=$("$turnpike" --check-config "$TP_WORK/missing.conf" 2>&1) || status=$?
[[ $status -eq 1 && $out == *"missing.conf: cannot read"* ]] || tp_fail "missing file: $out"

# Every shipped file checks; one for a dataplane this build lacks (meson -Ddpdk=disabled,
# -Dxdp=disabled) is refused, naming the dataplane and the build option.
built=" $("$turnpike" --version | sed -nE 's/.*\(dataplanes: (.*)\)$/\1/p') "
[[ $built == *" socket "* ]] || tp_fail "--version names no dataplanes: $built"
for f in "$src"/conf/*.conf; do
	status=0
	out=$("$turnpike" --check-config "$f" 2>&1) || status=$?
	((status == 0)) && continue
	re='dataplane.mode: "([a-z]+)" is not in this build of turnpike \(built with meson.s -D([a-z]+)=disabled'
	[[ $out =~ $re && $built != *" ${BASH_REMATCH[1]} "* ]] || tp_fail "shipped $f does not check: $out"
	echo "ok: $(basename "$f") is for ${BASH_REMATCH[1]} mode, not built here: refused"
done
cmp <("$turnpike" --print-defaults) "$src/conf/turnpike.conf" ||
	tp_fail "--print-defaults differs from conf/turnpike.conf"

status=0
"$turnpike" --no-such-option >/dev/null 2>&1 || status=$?
[[ $status -eq 2 ]] || tp_fail "unknown option exits $status, not 2"

# An address this host does not have: a clear error naming the key, and a failing exit.
cat >"$TP_WORK/nobind.conf" <<CONF
relay: { listen-port = $TP_LISTEN; ipv4: { bind = "192.0.2.99"; }; ipv6: { enabled = false; }; };
admin: { socket = "$TP_WORK/admin.sock"; };
CONF
status=0
out=$(timeout 10 "$turnpike" -c "$TP_WORK/nobind.conf" 2>&1) || status=$?
[[ $status -eq 1 && $out == *"relay.ipv4.bind: cannot listen on 192.0.2.99:$TP_LISTEN"* ]] ||
	tp_fail "unbindable address: exit $status, $out"
echo "ok: unbindable address refused"

# TLS whose files cannot be used: the key, the file and OpenSSL's reason, and a failing exit.
printf 'not a key\n' >"$TP_WORK/junk.pem"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=t \
	-keyout /dev/null -out "$TP_WORK/cert.pem" 2>/dev/null
tls_refused() { # CERTIFICATE KEY WANT
	cat >"$TP_WORK/tls.conf" <<CONF
relay: { listen-port = $TP_LISTEN; ipv6: { enabled = false; };
	tls: { enabled = true; port = $TP_LISTEN; certificate = "$1"; private-key = "$2"; }; };
admin: { socket = "$TP_WORK/admin.sock"; };
CONF
	status=0
	out=$(timeout 10 "$turnpike" -c "$TP_WORK/tls.conf" 2>&1) || status=$?
	[[ $status -eq 1 && $out == *"$3"* ]] || tp_fail "want \"$3\": exit $status, $out"
	echo "ok: $3"
}
tls_refused "$TP_WORK/missing.pem" "$TP_WORK/junk.pem" \
	"relay.tls.certificate: $TP_WORK/missing.pem: error:"
tls_refused "$TP_WORK/cert.pem" "$TP_WORK/junk.pem" \
	"relay.tls.private-key: $TP_WORK/junk.pem: error:"

# The built-in defaults: answers Binding, refuses Allocate with 401 (no credentials).
if [[ -n ${TP_NETNS:-} ]]; then
	timeout 30 "$turnpike" >"$TP_WORK/turnpike.log" 2>&1 &
	TP_PID=$!
	TP_PIDS+=("$TP_PID")
	tp_wait_ready "$TP_WORK/turnpike.log" "$TP_PID"
	grep -q "no credentials" "$TP_WORK/turnpike.log" || tp_fail "no warning about credentials"
	timeout 10 python3 - <<'PY' || tp_fail "the built-in defaults do not serve STUN as expected"
import os, socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
def ask(method, body=b""):
    tid = os.urandom(12)
    s.sendto(struct.pack("!HHI", method, len(body), 0x2112A442) + tid + body, ("127.0.0.1", 3478))
    r = s.recv(2048)
    assert r[8:20] == tid
    return struct.unpack("!H", r[:2])[0], r
t, r = ask(0x0001)
assert t == 0x0101, hex(t)
t, r = ask(0x0003, struct.pack("!HHI", 0x0019, 4, 17 << 24))
assert t == 0x0113 and b"\x00\x00\x04\x01" in r, "Allocate must get 401"
print("ok: built-in defaults answer Binding and refuse Allocate with 401")
PY
	tp_stop_turnpike
fi
echo "PASS: cli"
