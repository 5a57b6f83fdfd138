#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# turnpike in dpdk mode on a veth through net_af_packet, without hugepages, against
# coturn's client and kernel-side hosts.
#
#   ns relay: r0 (no kernel address: DPDK answers ARP, ND and ping for 192.0.2.1 and
#             2001:db8::1 itself)
#   ns hosts: h0 192.0.2.10 2001:db8::10 (clients), 192.0.2.20 2001:db8::20 (peer)
#
# The hosts must reach the relay by ARP/ND and ping; the client's report must show 0% loss;
# the workers (not only the control thread) must have relayed; their punts must wake the
# sleeping control thread; DPDK telemetry must answer;
# tshark on the hosts' side must find no bad checksum in what the relay sent; SIGTERM must
# end it with status 0.
#
# usage: dpdk.sh TURNPIKE VARIANT     (plain | hairpin | ipv6 | v6client | send | send-hairpin)
#   plain     IPv4 client, IPv4 peer
#   hairpin   -y: two clients through their allocations on this relay
#   ipv6      IPv4 client, IPv6 relayed address and peer (-x)
#   v6client  IPv6 client, IPv4 relayed address and peer
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "dpdk mode over veth"

turnpike=$1 variant=$2
tp_veth_begin dp
ip netns exec "$relay" sysctl -qw net.ipv6.conf.r0.disable_ipv6=1
ip -n "$relay" link set r0 up
H ip link set h0 up

cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "dpdk"; };
log: { level = "debug"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { bind = "2001:db8::1"; }; };
auth: { realm = "turnpike.test"; secrets = [ "it-secret" ]; };
dpdk: {
	lcores = "0-1";
	file-prefix = "$prefix";
	eal-args = [ "--no-huge", "-m", "1024" ];
	ports = [ "net_af_packet0,iface=r0" ];
	max-bindings = 4096;
	stats-interval = 0;
};
$(tp_observe_conf)
CONF
tp_relay_start "$relay" "$turnpike"

# The relay answers ARP and ND for its addresses, and ping, all from user space.
H ping -c 2 -i 0.2 -W 2 192.0.2.1 >/dev/null || tp_fail "no answer to ping 192.0.2.1"
H ping -6 -c 2 -i 0.2 -W 2 2001:db8::1 >/dev/null || tp_fail "no answer to ping 2001:db8::1"
H ip neigh show 192.0.2.1 | grep -q lladdr || tp_fail "ARP did not resolve the relay"
H ip -6 neigh show 2001:db8::1 | grep -q lladdr || tp_fail "ND did not resolve the relay"

tp_start_peer "$hosts" 3480 192.0.2.20 2001:db8::20
tp_tshark_capture "$hosts" h0 "$TP_WORK/h0.pcapng" \
	"udp and (src host 192.0.2.1 or src host 2001:db8::1)"
tshark_pid=$TP_TSHARK

server=192.0.2.1
case $variant in
plain) args=(-c -L 192.0.2.10 -e 192.0.2.20) ;;
send) args=(-s -c -L 192.0.2.10 -e 192.0.2.20) ;;
send-hairpin) args=(-y -s -c -L 192.0.2.10) ;;
hairpin) args=(-y -c -L 192.0.2.10) ;;
ipv6) args=(-x -c -L 192.0.2.10 -e 2001:db8::20) ;;
v6client) args=(-c -L 2001:db8::10 -e 192.0.2.20) server=2001:db8::1 ;;
*) tp_fail "unknown variant $variant" ;;
esac
messages=60
status=0
H timeout 25 turnutils_uclient "${args[@]}" -W it-secret -r 3480 -n "$messages" -l 170 -z 5 \
	"$server" >"$TP_WORK/uclient.log" 2>&1 || status=$?
((status == 0)) || { tail -n 20 "$TP_WORK/uclient.log" >&2; tp_fail "uclient exited $status"; }
tp_uclient_verdict "$TP_WORK/uclient.log" "dpdk $variant"

# Telemetry, as an operator would read it.
telemetry() { echo "$1" | timeout 10 dpdk-telemetry.py -f "$prefix" 2>&1 | tr -d '\n '; }
verdicts=$(telemetry /turnpike/verdicts)
[[ $verdicts =~ \"to_control/stun\":[1-9] ]] || tp_fail "no telemetry: $verdicts"
echo "telemetry answered /turnpike/verdicts"
# The idle control thread sleeps until a worker's punt wakes it: each of the four pings came
# 200 ms after the last answer, to a sleeping control thread (without the wake-up it would
# have answered on its next timer tick instead).
host=$(telemetry /turnpike/host)
[[ $host =~ \"wakeups\":([0-9]+) ]] || tp_fail "no wake-ups in /turnpike/host: $host"
echo "punts that woke the control thread: ${BASH_REMATCH[1]}"
((BASH_REMATCH[1] >= 4)) || tp_fail "the workers' punts woke the control thread ${BASH_REMATCH[1]} times"

# The workers, not only the control thread, relayed (the metrics, by verdict).
case $variant in
hairpin) tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=hairpinned reason=hairpin ;;
send)
	# Send indications out, the peer's echo back as Data indications: the workers', after
	# each flow's first datagram (the engine's, which hands the flow over).
	tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=relayed reason=send-to-peer
	tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=relayed reason=data-indication
	;;
send-hairpin)
	# Each client's Send indications for the other's relayed address: to the other as Data
	# indications, the workers' after each flow's first datagram.
	tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=hairpinned reason=hairpin-data
	;;
*) tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=relayed reason=to-peer ;;
esac

sleep 0.5
kill -INT "$tshark_pid"
wait "$tshark_pid" 2>/dev/null || true
tp_stop_turnpike

# The bindings' own counters, read as each left the tables, are in their flow records: all
# the client sent, not only what the control thread relayed before the channel was bound.
to_peer=$(tp_flows to_peer_packets) || tp_fail "no flow records"
echo "flow records: $to_peer packets to peers"
((to_peer >= messages)) || tp_fail "the flow records count $to_peer packets to peers, not $messages"

H tshark -r "$TP_WORK/h0.pcapng" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-T fields -e ip.checksum.status -e udp.checksum.status >"$TP_WORK/status.txt" 2>/dev/null
frames=$(wc -l <"$TP_WORK/status.txt")
bad=$(awk '$1 == "0" || $2 == "0"' "$TP_WORK/status.txt" | wc -l)
echo "tshark on h0: $frames frames from the relay, $bad with a bad checksum"
((frames > messages)) || tp_fail "tshark saw only $frames frames"
((bad == 0)) || tp_fail "$bad frames with a bad checksum"
echo "PASS: dpdk $variant"
