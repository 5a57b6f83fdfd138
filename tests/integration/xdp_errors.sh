#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# xdp mode's start-up failures, as an operator meets them: each names the key and the way
# out, exits non-zero, and leaves no XDP program behind (nor removes someone else's).
#
# usage: xdp_errors.sh TURNPIKE XDP_PASS_OBJECT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

tp_need_root "xdp mode's start-up checks"
turnpike=$1 pass_obj=$2
TP_WORK=$(mktemp -d)
ns=tp-xe-$$
cleanup() {
	# A background job killed before it has exec'd is a copy of this shell: not its work.
	[ "$BASHPID" = "$$" ] || return 0
	tp_cleanup
	ip netns del "$ns" 2>/dev/null || true
}
trap cleanup EXIT

ip netns add "$ns"
ip link add x0 netns "$ns" type veth peer name x1 netns "$ns"
ip -n "$ns" addr add 192.0.2.1/24 dev x0
ip -n "$ns" link set x0 up
ip -n "$ns" link set x1 up

# expect_failure CONFIG_LINES MESSAGE
expect_failure() {
	cat >"$TP_WORK/t.conf" <<CONF
dataplane: { mode = "xdp"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { enabled = false; }; };
admin: { socket = "$TP_WORK/admin.sock"; };
$1
CONF
	local status=0 out
	out=$(ip netns exec "$ns" timeout 30 "$turnpike" -c "$TP_WORK/t.conf" 2>&1) || status=$?
	((status == 1)) || tp_fail "exit $status for: $1"
	[[ $out == *"$2"* ]] || tp_fail "expected \"$2\" in: $out"
	echo "ok: $2"
}

expect_failure 'xdp: { interface = "nosuch0"; };' 'xdp.interface: no interface "nosuch0"'
ip netns exec "$ns" sysctl -qw net.ipv4.conf.x0.forwarding=0
expect_failure 'xdp: { interface = "x0"; nexthop = "fib"; };' \
	'xdp.nexthop = "fib" needs forwarding on x0'
ip -n "$ns" link show x0 | grep -q xdp && tp_fail "an XDP program was left on x0"

# Someone else's program stays where it is.
ip -n "$ns" link set dev x0 xdpdrv obj "$pass_obj" sec xdp
expect_failure 'xdp: { interface = "x0"; nexthop = "static"; nexthop-mac = "02:00:00:00:00:fe"; };' \
	'xdp.interface: x0 already has an XDP program'
ip -n "$ns" link show x0 | grep -q "prog/xdp.*name xdp_pass" || tp_fail "the other program was removed"
echo "PASS: xdp errors"
