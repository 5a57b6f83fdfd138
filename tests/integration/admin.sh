#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The admin interface, in socket mode on loopback: turnpikectl and the admin socket itself
# (admin.py). status, human-readable and --json; allocations with their relayed address,
# peers, channels and bytes each way, filtered by user and client; kick by client (the flow
# record says kicked) and by user, and a kick that matches nothing; requests that are not
# JSON, unknown, too long or wrongly filtered, each answered with an error; 20 clients that
# say nothing, closed in time while status is still served; a user without access to the
# socket's mode refused. A reload that removes a user (its allocation ends: user-revoked),
# narrows peers.allow (a permission and its channel end: peer-denied; a new one gets 403; the
# rest relays on), changes log.level (applied) and relay.port-max (reported as needing a
# restart); a bad file refused with file:line:key, changing nothing; SIGHUP reloading too;
# the metrics counting each. Then turnpikectl drain: status and metrics say so, a new Allocate
# gets 508, and turnpike exits 0 once the last allocation is kicked. Before all that: a TLS
# certificate rotated in place and reloaded is served to the next handshake, a broken one is
# refused (the one in use stays), and metrics.listen moves with a reload.
#
# usage: admin.sh TURNPIKE TURNPIKECTL
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_begin "$@"
turnpike=$1 ctl=$2
py=/usr/bin/python3
# Traversable, so that the socket's own mode is what keeps others out.
chmod 755 "$TP_WORK"

for name in a b; do
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
		-subj "/CN=$name.turnpike.test" -keyout "$TP_WORK/key-$name.pem" \
		-out "$TP_WORK/cert-$name.pem" 2>/dev/null
done
cp "$TP_WORK/cert-a.pem" "$TP_WORK/cert.pem"
cp "$TP_WORK/key-a.pem" "$TP_WORK/key.pem"
# The file turnpike is given is a symbolic link, as a configuration swapped by a link (or
# mounted by Kubernetes) is: a reload reads wherever it points by then.
ln -s site-a.conf "$TP_WORK/turnpike.conf"
cat >"$TP_WORK/site-a.conf" <<CONF
log: { level = "info"; };
relay: { listen-port = $TP_LISTEN; port-min = $TP_PORT_MIN; port-max = $TP_PORT_MAX;
	ipv4: { bind = "127.0.0.1"; }; ipv6: { enabled = false; };
	tls: { enabled = true; port = $TP_LISTEN; certificate = "$TP_WORK/cert.pem";
		private-key = "$TP_WORK/key.pem"; }; };
auth: { realm = "turnpike.test"; users = (
	{ name = "alice"; password = "alice-pw"; },
	{ name = "bob"; password = "bob-pw"; },
	{ name = "carol"; password = "carol-pw"; },
	{ name = "dave"; password = "dave-pw"; },
	{ name = "erin"; password = "erin-pw"; } ); };
peers: { allow = [ "127.0.0.0/8" ]; allow-relay-ports = true; };
$(tp_observe_conf)
CONF
timeout -k 10 120 "$turnpike" -c "$TP_WORK/turnpike.conf" >"$TP_WORK/turnpike.log" 2>&1 &
TP_PID=$!
TP_PIDS+=("$TP_PID")
tp_wait_ready "$TP_WORK/turnpike.log" "$TP_PID"
[[ $(stat -c %a "$TP_WORK/admin.sock") == 600 ]] || tp_fail "the socket's mode: not 0600"
echo "ok   the admin socket is there, mode 0600"

ctl() { "$ctl" -s "$TP_WORK/admin.sock" "$@"; }

sed 's|level = "info"|level = "warning"|' "$TP_WORK/site-a.conf" >"$TP_WORK/site-b.conf"
ln -sfn site-b.conf "$TP_WORK/turnpike.conf"
out=$(ctl --json reload) || tp_fail "the reload through the swapped link: $out"
[[ $out == *'"applied":["log.level"]'* ]] || tp_fail "the reload through the link applied: $out"
ln -sfn site-a.conf "$TP_WORK/turnpike.conf"
ctl reload >/dev/null || tp_fail "the reload back through the link"
echo "ok   a reload follows the configuration's link to the file it points at now"

# TLS certificates, rotated in place: a reload reads them again; a bad one is refused and the
# one in use stays.
served_cn() {
	timeout 10 openssl s_client -connect "127.0.0.1:$TP_LISTEN" </dev/null 2>/dev/null |
		openssl x509 -noout -subject 2>/dev/null | sed -nE 's/.*CN ?= ?([^,/]+).*/\1/p'
}
[[ $(served_cn) == a.turnpike.test ]] || tp_fail "TLS serves \"$(served_cn)\", not a.turnpike.test"
cp "$TP_WORK/cert-b.pem" "$TP_WORK/cert.pem"
cp "$TP_WORK/key-b.pem" "$TP_WORK/key.pem"
ctl reload >/dev/null || tp_fail "the reload after the rotation"
[[ $(served_cn) == b.turnpike.test ]] || tp_fail "after a reload TLS serves \"$(served_cn)\""
echo "ok   a reload picks up the certificate rotated in place (a -> b.turnpike.test)"
echo "not a certificate" >"$TP_WORK/cert.pem"
out=$(ctl reload 2>&1) && tp_fail "a reload with a broken certificate was applied"
[[ $out == *"relay.tls.certificate: $TP_WORK/cert.pem:"*"running configuration stays"* ]] ||
	tp_fail "the broken certificate's refusal: $out"
[[ $(served_cn) == b.turnpike.test ]] || tp_fail "after a refused reload TLS serves \"$(served_cn)\""
cp "$TP_WORK/cert-b.pem" "$TP_WORK/cert.pem"
echo "ok   a broken certificate: refused, naming relay.tls.certificate; b still served"

# A file that passes as written but not with the running values of the keys that need a
# restart: TLS off and no certificate, while TLS (relay.tls.enabled needs a restart) stays on.
cp "$TP_WORK/turnpike.conf" "$TP_WORK/turnpike.conf.good"
sed -i --follow-symlinks -e "s|tls: { enabled = true;|tls: { enabled = false;|" \
	-e 's|certificate = "[^"]*";|certificate = "";|' "$TP_WORK/turnpike.conf"
out=$(ctl reload 2>&1) && tp_fail "a reload that leaves TLS on without a certificate was applied"
[[ $out == *"relay.tls.certificate: TLS and DTLS need"*"with the running values of the keys that need a restart"* ]] ||
	tp_fail "the refusal of a file that fails with the running values: $out"
cp "$TP_WORK/turnpike.conf.good" "$TP_WORK/turnpike.conf"
[[ $(served_cn) == b.turnpike.test ]] || tp_fail "TLS after the refused reload: \"$(served_cn)\""
echo "ok   a file that passes only without the running values of restart keys: refused, said why"

# metrics.listen, moved: the new address serves, the old one no longer.
moved=$((TP_METRICS_PORT + 1))
sed -i --follow-symlinks "s|127.0.0.1:$TP_METRICS_PORT|127.0.0.1:$moved|" "$TP_WORK/turnpike.conf"
ctl reload >/dev/null || tp_fail "the reload that moves the metrics"
tp_wait_for "metrics on port $moved" "" "" curl -sf -o /dev/null "http://127.0.0.1:$moved/metrics" ||
	tp_fail "no metrics on the new metrics.listen"
! curl -s -o /dev/null "http://127.0.0.1:$TP_METRICS_PORT/metrics" ||
	tp_fail "the old metrics.listen still answers"
sed -i --follow-symlinks "s|127.0.0.1:$moved|127.0.0.1:$TP_METRICS_PORT|" "$TP_WORK/turnpike.conf"
ctl reload >/dev/null || tp_fail "the reload that moves the metrics back"
echo "ok   metrics.listen moved by a reload, and back"

timeout 100 "$py" "$here/admin.py" "$ctl" "$TP_WORK/admin.sock" "$TP_WORK/turnpike.conf" \
	"$TP_LISTEN" "http://127.0.0.1:$TP_METRICS_PORT/metrics" "$TP_WORK/flows.json" \
	"$TP_RELAY" || tp_fail "admin.py"

tp_expect_exit 0 10 "drained: the last allocation has ended" "the drain's last allocation"
[[ ! -e $TP_WORK/admin.sock ]] || tp_fail "the admin socket left behind"
echo "ok   exited 0 when the last allocation ended; its socket removed"
echo "PASS: admin"
