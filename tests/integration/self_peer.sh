#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay is never its own peer, in each dataplane, whatever peers.allow says (here: the
# relay's own prefixes): self_peer.py's requests toward the relay's addresses outside the
# allocation range get 403, and its two Send indications toward them are dropped and counted
# (turnpike_engine_drop_relay_port_total).
#
#   ns relay: r0 192.0.2.1 2001:db8::1 (the kernel's in socket and xdp mode; DPDK's own)
#   ns hosts: h0 192.0.2.10 (the client)
#
# usage: self_peer.sh TURNPIKE MODE XDP_PASS_OBJECT      (MODE: socket | xdp | dpdk)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "the relay as its own peer, over veth"
turnpike=$1 mode=$2 pass_obj=${3:-}
tp_veth_begin sp
tp_veth_relay "$mode" "$pass_obj" ipv6
cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "$mode"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { bind = "2001:db8::1"; }; };
auth: { realm = "turnpike.test"; users = ( { name = "alice"; password = "alice-pw"; } ); };
peers: { allow = [ "192.0.2.0/24", "2001:db8::/64", "::ffff:0:0/96" ]; };
$(tp_observe_conf)
$TP_PLANE
CONF
tp_relay_start "$relay" "$turnpike"
port_min=$(awk -F= '/^[[:space:]]*port-min[[:space:]]*=/ { gsub(/[ ;]/, "", $2); print $2; exit }' "$TP_HERE/../../conf/turnpike.conf")
H timeout 25 /usr/bin/python3 "$here/self_peer.py" 192.0.2.1 3478 192.0.2.10 2001:db8::1 \
	"$port_min" || tp_fail "self_peer.py"
tp_wait_metric 2 turnpike_engine_drop_relay_port_total
tp_stop_turnpike
echo "PASS: the relay is not its own peer ($mode)"
