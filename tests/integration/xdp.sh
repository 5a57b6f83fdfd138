#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# turnpike in xdp mode on a real (veth) interface, native XDP, against coturn's client.
#
#   ns relay: r0 192.0.2.1 2001:db8::1      turnpike -c (xdp mode on r0)
#   ns hosts: h0 192.0.2.10 (clients), 192.0.2.20 and 2001:db8::20 (peer), XDP_PASS on h0
#
# The client's own report must show 0% loss, turnpike's XDP counters must show the program
# relayed (not only the sockets), tshark on the hosts' side must find no bad checksum in what
# the relay sent, and once turnpike is gone no XDP program may remain on r0 — after SIGTERM,
# and after SIGKILL too (the program hangs on a BPF link that dies with the process).
#
# usage: xdp.sh TURNPIKE XDP_PASS_OBJECT VARIANT      (plain | hairpin | ipv6 | static | send |
#                                                       send-hairpin)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
. "$here/xdp_tables.sh"

tp_need_root "xdp mode over veth"
turnpike=$1 pass_obj=$2 variant=$3
tp_veth_begin xd
R ip addr add 192.0.2.1/24 dev r0
R ip addr add 2001:db8::1/64 dev r0 nodad
R ip link set r0 up
H ip link set h0 up
ip -n "$hosts" link set dev h0 xdpdrv obj "$pass_obj" sec xdp

nexthop='nexthop = "fib";'
if [[ $variant == static ]]; then
	mac=$(H cat /sys/class/net/h0/address)
	nexthop="nexthop = \"static\"; nexthop-mac = \"$mac\";"
else
	R sysctl -qw net.ipv4.conf.r0.forwarding=1 net.ipv6.conf.r0.forwarding=1
fi

cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "xdp"; };
log: { level = "debug"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { bind = "2001:db8::1"; }; };
auth: { realm = "turnpike.test"; secrets = [ "it-secret" ]; };
xdp: { interface = "r0"; attach = "native"; $nexthop };
$(tp_observe_conf)
CONF
tp_relay_start "$relay" "$turnpike"
grep -q "attached to r0 in native mode" "$TP_WORK/turnpike.log" || tp_fail "not attached natively"
R ip link show r0 | grep -q xdp || tp_fail "no XDP program on r0"
prog=$(xdp_prog_id "$relay" r0)

tp_start_peer "$hosts" 3480 192.0.2.20 2001:db8::20
tp_tshark_capture "$hosts" h0 "$TP_WORK/h0.pcapng" \
	"udp and (src host 192.0.2.1 or src host 2001:db8::1)"
tshark_pid=$TP_TSHARK

case $variant in
plain | static) args=(-c -e 192.0.2.20) ;;
send) args=(-s -c -e 192.0.2.20) ;;
send-hairpin) args=(-y -s -c) ;;
hairpin) args=(-y -c) ;;
ipv6) args=(-x -c -e 2001:db8::20) ;;
*) tp_fail "unknown variant $variant" ;;
esac
messages=60
status=0
H timeout 25 turnutils_uclient "${args[@]}" -W it-secret -L 192.0.2.10 -r 3480 -n "$messages" \
	-l 170 -z 5 192.0.2.1 >"$TP_WORK/uclient.log" 2>&1 || status=$?
((status == 0)) || { tail -n 20 "$TP_WORK/uclient.log" >&2; tp_fail "uclient exited $status"; }
tp_uclient_verdict "$TP_WORK/uclient.log" "xdp $variant"

# The client has refreshed its allocations to zero: their bindings must have left both tables
# (this relay's own, found through its program: another relay may run beside this one).
tables_empty() {
	[[ $(xdp_table_len "$prog" tp_chans) == 0 && $(xdp_table_len "$prog" tp_peers) == 0 &&
		$(xdp_table_len "$prog" tp_sends) == 0 && $(xdp_table_len "$prog" tp_perms) == 0 ]]
}
tp_wait_for "the clients' bindings to leave the tables" "" "$TP_PID" tables_empty || true
for table in tp_chans tp_peers tp_sends tp_perms; do
	entries=$(xdp_table_len "$prog" "$table" || true)
	echo "$table entries after the clients left: ${entries:-?}"
	[[ ${entries:-} == 0 ]] || tp_fail "$table still holds ${entries:-?} entries"
done
# The program, not only the sockets, relayed (the metrics, by verdict).
case $variant in
hairpin) tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=hairpinned reason=hairpin ;;
send)
	# Send indications out, the peer's echo back as Data indications: the program's, after
	# each flow's first datagram (the engine's, which hands the flow over).
	tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=relayed reason=send-to-peer
	tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=relayed reason=data-indication
	;;
send-hairpin)
	# Each client's Send indications for the other's relayed address: to the other as Data
	# indications, the program's after each flow's first datagram.
	tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=hairpinned reason=hairpin-data
	;;
*) tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=relayed reason=to-peer ;;
esac
kill -INT "$tshark_pid"
wait "$tshark_pid" 2>/dev/null || true
tp_stop_turnpike
R ip link show r0 | grep -q xdp && tp_fail "an XDP program is left on r0 after SIGTERM"

# Per-binding counters, summed over CPUs when a binding leaves the tables, are in the flow
# records: all the client sent, not only what the sockets relayed.
to_peer=$(tp_flows to_peer_packets) || tp_fail "no flow records"
echo "flow records: $to_peer packets to peers"
((to_peer >= messages)) || tp_fail "the flow records count $to_peer packets to peers, not $messages"

# tshark, with checksum validation, on what the relay sent to the hosts.
H tshark -r "$TP_WORK/h0.pcapng" -o ip.check_checksum:TRUE -o udp.check_checksum:TRUE \
	-T fields -e ip.checksum.status -e udp.checksum.status >"$TP_WORK/status.txt" 2>/dev/null
frames=$(wc -l <"$TP_WORK/status.txt")
bad=$(awk '$1 == "0" || $2 == "0"' "$TP_WORK/status.txt" | wc -l)
echo "tshark on h0: $frames frames from the relay, $bad with a bad checksum"
((frames > messages)) || tp_fail "tshark saw only $frames frames"
((bad == 0)) || tp_fail "$bad frames with a bad checksum"

# A relay killed outright leaves nothing behind either.
ip netns exec "$relay" "$turnpike" -c "$TP_WORK/turnpike.conf" >"$TP_WORK/turnpike2.log" 2>&1 &
pid2=$!
TP_PIDS+=("$pid2")
tp_wait_ready "$TP_WORK/turnpike2.log" "$pid2"
R ip link show r0 | grep -q xdp || tp_fail "second start did not attach"
kill -KILL "$pid2"
wait "$pid2" 2>/dev/null || true
no_program() { ! R ip link show r0 | grep -q xdp; }
tp_wait_for "the XDP program to leave r0 with its process" "" "" no_program ||
	tp_fail "an XDP program is left on r0 after SIGKILL"
echo "PASS: xdp $variant"
