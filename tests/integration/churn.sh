#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Allocation churn in each dataplane, bounded in rounds and time: churn.py's clients allocate,
# bind, relay both ways (every datagram must arrive) and delete, round after round. Then
# everything must be back to zero: the gauges (allocations, relayed addresses, permissions,
# channels), the fast path's own tables (xdp: tp_chans and tp_peers through bpftool; dpdk:
# /turnpike/tables in DPDK telemetry: no binding, and no more keys than a grace period
# holds back), and the flow records must be one per round, ended by
# Refresh 0, with exactly what was relayed. Run on the sanitizer build too (scripts/test):
# turnpike's exit status then carries LeakSanitizer's verdict.
#
#   ns relay: r0 192.0.2.1 (the kernel's in socket and xdp mode; DPDK's own)
#   ns hosts: h0 192.0.2.10 (the clients), 192.0.2.20 (their peers)
#
# usage: churn.sh TURNPIKE MODE XDP_PASS_OBJECT [ROUNDS [SECONDS]]   (MODE: socket|xdp|dpdk)
#   ROUNDS, SECONDS: stop at whichever comes first (TP_CHURN_ROUNDS, TP_CHURN_SECONDS; 1000
#   and 30 by default); at least 200 rounds must be done.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/xdp_tables.sh"
tp_need_root "allocation churn over veth"
turnpike=$1 mode=$2 pass_obj=${3:-} rounds=${4:-${TP_CHURN_ROUNDS:-1000}}
seconds=${5:-${TP_CHURN_SECONDS:-30}}
clients=16 packets=10
tp_veth_begin ch
tp_veth_relay "$mode" "$pass_obj"
tp_veth_conf "$mode" 'peers: { allow = [ "192.0.2.0/24" ]; };'
tp_relay_start "$relay" "$turnpike"
out=$(H timeout $((seconds + 30)) /usr/bin/python3 "$here/churn.py" 192.0.2.1 3478 192.0.2.10 \
	192.0.2.20 "$clients" "$rounds" "$seconds" 200 "$packets") ||
	tp_fail "churn.py: $out"
echo "$out"
done_rounds=$(awk '/^rounds/ { print $2 }' <<<"$out")
datagrams=$(awk '/^datagrams/ { print $2 }' <<<"$out")

# Back to zero, as turnpike publishes it (once a second) after the last Refresh 0.
tp_wait_metric "$done_rounds" turnpike_engine_allocations_deleted_total
zero() {
	local g v
	for g in allocations relayed_addresses permissions channels; do
		v=$(tp_metric "turnpike_$g") && ((v == 0)) || return 1
	done
}
tp_wait_for "the gauges back to zero" "" "" zero ||
	tp_fail "gauges: $(for g in allocations relayed_addresses permissions channels; do
		echo -n "$g $(tp_metric "turnpike_$g") "; done)"
echo "gauges: allocations, relayed addresses, permissions, channels all 0"
case $mode in
xdp)
	prog=$(xdp_prog_id "$relay" r0)
	for t in tp_chans tp_peers; do
		n=$(xdp_table_len "$prog" "$t")
		((n == 0)) || tp_fail "the XDP table $t holds $n entries after the churn"
	done
	echo "xdp tables tp_chans and tp_peers: empty"
	;;
dpdk)
	tables=$(echo /turnpike/tables | timeout 10 dpdk-telemetry.py -f "$prefix" 2>&1 | tr -d '\n ')
	# No binding left, and of the keys only those whose grace period has not been seen to
	# end (rte_hash reclaims them at its next deletion): a leak of one a round would be
	# hundreds.
	[[ $tables =~ \"bindings\":0, && $tables =~ \"channels\":[0-4], &&
		$tables =~ \"peers\":[0-4], ]] ||
		tp_fail "the workers' tables after the churn: $tables"
	echo "dpdk tables: $tables"
	;;
esac
tp_stop_turnpike

records=$(tp_flows records) to_peer=$(tp_flows to_peer_packets) to_client=$(tp_flows to_client_packets)
deleted=$(tp_flows records end_reason=refreshed-to-zero)
echo "flow records: $records ($deleted ended by Refresh 0), to peers $to_peer, to clients $to_client"
((records == done_rounds && deleted == done_rounds)) ||
	tp_fail "$records flow records ($deleted by Refresh 0) for $done_rounds rounds"
((to_peer == datagrams && to_client == datagrams)) ||
	tp_fail "flows counted $to_peer to peers, $to_client to clients; $datagrams each way went"
echo "PASS: $done_rounds rounds of churn, everything back to zero ($mode)"
