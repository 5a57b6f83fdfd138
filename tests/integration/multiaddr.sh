#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# A relay with two relayed addresses per family (relay.ipv4.bind and relay.ipv6.bind lists),
# through one dataplane, over veth, against coturn's client:
#
#   ns relay: r0 192.0.2.1 192.0.2.2 2001:db8::1 2001:db8::2 (kernel addresses in socket and
#             xdp mode; DPDK answers for all four in dpdk mode); turnpike listens on the first
#   ns hosts: h0 192.0.2.10 (clients), 192.0.2.20 and 2001:db8::20 (the peer)
#
# Four clients at a time, so that their allocations spread over both addresses: ChannelData to
# an IPv4 peer, to an IPv6 peer (IPv6 relayed addresses), and hairpins between the clients'
# allocations, pairs of which lie at different addresses. The client's own report must show
# 0% loss in each run; the flow records (parsed as JSON) must show traffic relayed through
# allocations at each of the four addresses; in xdp and dpdk mode the fast path's metrics must
# show it relayed and hairpinned; tshark on the hosts' side must see the relay's datagrams
# from both IPv4 addresses, with good checksums.
#
# usage: multiaddr.sh TURNPIKE MODE XDP_PASS_OBJECT
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "several relayed addresses over veth"

turnpike=$1 mode=$2 pass_obj=$3
tp_veth_begin ma
tp_veth_relay "$mode" "$pass_obj" ipv6
if [[ $mode != dpdk ]]; then
	R ip addr add 192.0.2.2/24 dev r0
	R ip addr add 2001:db8::2/64 dev r0 nodad
fi
cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "$mode"; };
log: { level = "debug"; };
relay: {
	ipv4: { bind = [ "192.0.2.1", "192.0.2.2" ]; };
	ipv6: { bind = [ "2001:db8::1", "2001:db8::2" ]; };
};
auth: { realm = "turnpike.test"; secrets = [ "it-secret" ]; };
$(tp_observe_conf)
$TP_PLANE
CONF
tp_relay_start "$relay" "$turnpike"
tp_start_peer "$hosts" 3480 192.0.2.20 2001:db8::20
tp_tshark_capture "$hosts" h0 "$TP_WORK/h0.pcapng" "udp and src net 192.0.2.0/30"
tshark_pid=$TP_TSHARK

messages=40
clients=4
run() {
	local label=$1 status=0
	shift
	H timeout 40 turnutils_uclient "$@" -W it-secret -L 192.0.2.10 -r 3480 -m "$clients" \
		-n "$messages" -l 170 -z 5 192.0.2.1 >"$TP_WORK/uclient-$label.log" 2>&1 || status=$?
	((status == 0)) || {
		tail -n 20 "$TP_WORK/uclient-$label.log" >&2
		tp_fail "uclient ($label) exited $status"
	}
	tp_uclient_verdict "$TP_WORK/uclient-$label.log" "$mode $label, $clients clients"
}
run ipv4 -c -e 192.0.2.20
run ipv6 -x -c -e 2001:db8::20
run hairpin -y -c

# The fast path relayed, at both addresses (the flow records below say where).
if [[ $mode != socket ]]; then
	tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=relayed reason=to-peer
	tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=relayed reason=to-client
	tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=hairpinned reason=hairpin
fi
kill -INT "$tshark_pid"
wait "$tshark_pid" 2>/dev/null || true
tp_stop_turnpike

# Every address carried allocations, and each relayed what its clients sent, both ways.
for a in 192.0.2.1 192.0.2.2 2001:db8::1 2001:db8::2; do
	records=$(tp_flows records relayed_ip="$a") || tp_fail "no flow record at relayed address $a"
	out=$(tp_flows to_peer_packets relayed_ip="$a")
	back=$(tp_flows to_client_packets relayed_ip="$a")
	echo "relayed address $a: $records flows, $out packets to peers, $back to clients"
	((out >= messages && back >= messages)) || tp_fail "relayed address $a relayed too little"
done

# tshark, with checksum validation: datagrams from both IPv4 relayed addresses reached the
# hosts (the peer's and the clients' side share h0).
H tshark -r "$TP_WORK/h0.pcapng" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-T fields -e ip.src -e ip.checksum.status -e udp.checksum.status >"$TP_WORK/status.txt" \
	2>/dev/null
for a in 192.0.2.1 192.0.2.2; do
	n=$(awk -v a="$a" '$1 == a' "$TP_WORK/status.txt" | wc -l)
	echo "tshark on h0: $n frames from $a"
	((n >= messages)) || tp_fail "tshark saw only $n frames from $a"
done
bad=$(awk '$2 == "0" || $3 == "0"' "$TP_WORK/status.txt" | wc -l)
((bad == 0)) || tp_fail "$bad frames with a bad checksum"
echo "PASS: $mode, two relayed addresses per family"
