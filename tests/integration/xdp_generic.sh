#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Generic (SKB) XDP, both ways turnpike gets there, each with the log line that says so and
# nothing left on the interface after SIGTERM:
#
#   fallback    xdp.attach = "native" on an interface whose driver has no native XDP (dummy;
#               a bridge where the kernel has no dummy): the refusal is logged, and the
#               program attaches in generic mode.
#   configured  xdp.attach = "generic" on veth (whose driver has native XDP): generic mode,
#               no attempt at native; a client's ChannelData crosses both ways and the
#               program's counters show that it, not the sockets, relayed.
#
#   ns relay: d0 198.51.100.1 (no native XDP), r0 192.0.2.1 (veth)
#   ns hosts: h0 192.0.2.10 (the client), 192.0.2.20 (the peer)
#
# usage: xdp_generic.sh TURNPIKE
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

tp_need_root "generic XDP"
turnpike=$1
tp_veth_begin xg

# start_turnpike ADDRESS XDP_SETTINGS: turnpike in xdp mode on ADDRESS, ready.
start_turnpike() {
	cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "xdp"; };
log: { level = "debug"; };
relay: { ipv4: { bind = "$1"; }; ipv6: { enabled = false; }; };
auth: { realm = "turnpike.test"; users = ( { name = "alice"; password = "alice-pw"; } ); };
xdp: { $2 };
$(tp_observe_conf)
CONF
	tp_relay_start "$relay" "$turnpike"
}

# expect_log TEXT: turnpike's log has a line with TEXT.
expect_log() {
	grep -F -- "$1" "$TP_WORK/turnpike.log" || tp_fail "no \"$1\" in the log"
}

# Fallback: native refused by the driver ----------------------------------------------------
kind=dummy
R ip link add d0 type dummy 2>/dev/null || { kind=bridge && R ip link add d0 type bridge; }
R ip addr add 198.51.100.1/24 dev d0
R ip link set d0 up
echo "fallback on a $kind interface"
start_turnpike 198.51.100.1 \
	'interface = "d0"; attach = "native"; nexthop = "static"; nexthop-mac = "02:00:00:00:00:fe";'
expect_log "xdp.attach: d0 refused native XDP"
expect_log "XDP program attached to d0 in generic mode"
R ip link show d0 | grep -q xdpgeneric || tp_fail "no generic XDP program on d0"
tp_stop_turnpike
R ip link show d0 | grep -q xdp && tp_fail "an XDP program is left on d0 after SIGTERM"
echo "ok: native refused on $kind, generic mode, nothing left after SIGTERM"

# Configured: generic on veth -----------------------------------------------------------------
R ip addr add 192.0.2.1/24 dev r0
R ip link set r0 up
H ip link set h0 up
mac=$(H cat /sys/class/net/h0/address)
start_turnpike 192.0.2.1 \
	"interface = \"r0\"; attach = \"generic\"; nexthop = \"static\"; nexthop-mac = \"$mac\";"
expect_log "XDP program attached to r0 in generic mode"
grep -q "refused native" "$TP_WORK/turnpike.log" && tp_fail "native XDP was tried on r0"
R ip link show r0 | grep -q xdpgeneric || tp_fail "no generic XDP program on r0"
H timeout 30 python3 "$here/xdp_bind.py" 192.0.2.1 3478 192.0.2.10 192.0.2.20 3480 0x4001 ||
	tp_fail "no data through the relay"
# The program, not the sockets, relayed both ways (the metrics, by verdict).
tp_wait_metric 1 turnpike_dataplane_frames_total action=relayed reason=to-peer
tp_wait_metric 1 turnpike_dataplane_frames_total action=relayed reason=to-client
tp_stop_turnpike
R ip link show r0 | grep -q xdp && tp_fail "an XDP program is left on r0 after SIGTERM"
echo "PASS: xdp generic"
