#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay is not a reflector, in each dataplane: reflection.py floods unauthenticated
# Allocate, Refresh and Binding requests from one address (192.0.2.10), and gets back at most
# what it sent plus the burst; another address (192.0.2.20) is answered at once after. The
# relay's own count must agree: every request it received was answered or dropped for the
# budget (turnpike_engine_tx_response_total + turnpike_engine_drop_answer_budget_total =
# turnpike_engine_rx_stun_total), and some were dropped; in xdp and dpdk mode, the fast path
# dropped some of the source's requests itself once the engine had muted it
# (turnpike_xdp_muted_stun_total, turnpike_dpdk_worker_muted_stun_total), and in socket mode
# the listen socket's filter took the source in (turnpike_socket_mutes_total). reflection.py
# prints the figures.
#
#   ns relay: r0 192.0.2.1 (the kernel's in socket and xdp mode; DPDK's own)
#   ns hosts: h0 192.0.2.10 (the flood), 192.0.2.20 (another client)
#
# usage: reflection.sh TURNPIKE MODE XDP_PASS_OBJECT [COUNT]     (MODE: socket | xdp | dpdk)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "unauthenticated answers over veth"
turnpike=$1 mode=$2 pass_obj=${3:-} count=${4:-2000}
burst=4096
tp_veth_begin rf
tp_veth_relay "$mode" "$pass_obj"
cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "$mode"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { enabled = false; }; software = "turnpike"; };
auth: { realm = "turnpike.test"; users = ( { name = "alice"; password = "alice-pw"; } ); };
limits: { unauthenticated-burst = $burst; unauthenticated-rate = 0; };
$(tp_observe_conf)
$TP_PLANE
CONF
tp_relay_start "$relay" "$turnpike"
H timeout 30 /usr/bin/python3 "$here/reflection.py" 192.0.2.1 3478 192.0.2.10 192.0.2.20 \
	"$burst" "$count" | sed "s/^figure /figure $mode /" || tp_fail "reflection.py"

# All requests counted one way or the other, once turnpike has published what it did.
accounted() {
	rx=$(tp_metric turnpike_engine_rx_stun_total) &&
		tx=$(tp_metric turnpike_engine_tx_response_total) &&
		dropped=$(tp_metric turnpike_engine_drop_answer_budget_total) &&
		((rx > 0 && tx + dropped == rx))
}
tp_wait_for "every request answered or dropped for the budget" "" "" accounted ||
	tp_fail "rx_stun ${rx:-?}, tx_response ${tx:-?}, drop_answer_budget ${dropped:-?}"
echo "metrics: rx_stun $rx, tx_response $tx, drop_answer_budget $dropped"
((dropped > 0)) || tp_fail "no answer was dropped for the budget"
# The source, once past its budget, is muted: the fast path drops its STUN (xdp, dpdk), or the
# listen socket's filter does (socket).
case $mode in
socket) tp_wait_metric 1 turnpike_socket_mutes_total ;;
xdp) tp_wait_metric 1 turnpike_xdp_muted_stun_total ;;
dpdk) tp_wait_metric 1 turnpike_dpdk_worker_muted_stun_total ;;
esac
tp_stop_turnpike
echo "PASS: what an unauthenticated source gets back is bounded ($mode)"
