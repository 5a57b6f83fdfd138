#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# turnpike in socket mode against coturn's real client, turnutils_uclient, with time-limited
# credentials (-W, coturn's use-auth-secret) and turnutils_peer as the peer. The verdict is
# the client's own report: every message it sent came back (0% loss), plus turnpike's
# counters showing the path the variant was meant to take.
#
# usage: uclient.sh TURNPIKE VARIANT
#   plain   ChannelData to an IPv4 peer
#   hairpin -y: two clients meet through their allocations on this relay
#   send    -s: Send and Data indications
#   ipv6    -x: IPv4 client, IPv6 relayed address, IPv6 peer
#   v6peer  IPv4 client with an IPv6 peer on its IPv6 relayed address (-x), Send indications
#   dual    -Z: one allocation with an IPv4 and an IPv6 relayed address
#   v6client  an IPv6 client with an IPv6 peer
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_begin "$@"

turnpike=$1
variant=$2

server=127.0.0.1
case $variant in
plain) args=(-c -e 127.0.0.1) ;;
hairpin) args=(-y -c) ;;
send) args=(-s -c -e 127.0.0.1) ;;
ipv6) args=(-x -c -e ::1) ;;
v6peer) args=(-x -s -c -e ::1) ;;
dual) args=(-Z -e 127.0.0.1) ;;
v6client) args=(-c -e ::1) server=::1 ;;
*) tp_fail "unknown variant $variant" ;;
esac

tp_start_turnpike "$turnpike"
tp_start_peer "$TP_PEER_PORT" 127.0.0.1 ::1

messages=40
status=0
timeout 25 turnutils_uclient "${args[@]}" -W it-secret -p "$TP_LISTEN" -r "$TP_PEER_PORT" \
	-n "$messages" -l 170 -z 5 "$server" >"$TP_WORK/uclient.log" 2>&1 || status=$?
[[ $status -eq 0 ]] || { tail -n 20 "$TP_WORK/uclient.log" >&2; tp_fail "turnutils_uclient exited $status"; }

tp_uclient_verdict "$TP_WORK/uclient.log" "uclient $variant"

# The path each variant was meant to take, in turnpike's metrics (published once a second).
tp_wait_metric 1 turnpike_engine_allocations_created_total
case $variant in
plain | ipv6 | dual | v6client)
	tp_wait_metric "$messages" turnpike_engine_rx_channel_data_total
	tp_wait_metric "$messages" turnpike_engine_relayed_to_peer_total
	;;
hairpin)
	tp_wait_metric "$messages" turnpike_engine_hairpinned_total
	;;
send | v6peer)
	tp_wait_metric "$messages" turnpike_engine_send_indications_total
	tp_wait_metric "$messages" turnpike_engine_data_indications_total
	;;
esac
v4=$(tp_metric turnpike_engine_allocations_ipv4_total)
v6=$(tp_metric turnpike_engine_allocations_ipv6_total)
echo "allocations with an IPv4 relayed address: $v4, with an IPv6 one: $v6"
case $variant in
ipv6 | v6peer | v6client) ((v4 == 0 && v6 > 0)) || tp_fail "no IPv6-only allocation" ;;
dual) ((v4 > 0 && v6 > 0)) || tp_fail "no allocation with both families" ;;
*) ((v4 > 0 && v6 == 0)) || tp_fail "no IPv4-only allocation" ;;
esac
tp_stop_turnpike
echo "PASS: uclient $variant"
