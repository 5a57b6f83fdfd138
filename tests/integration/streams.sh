#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# TURN over TCP, TLS and DTLS in one dataplane, over veth between two namespaces:
#
#   ns relay: r0 192.0.2.1 2001:db8::1   turnpike: UDP 3478, TCP 3478, TLS 5349, DTLS 5349
#   ns hosts: h0 192.0.2.10 2001:db8::10 (clients), 192.0.2.11-12 (idle connections),
#             192.0.2.20 2001:db8::20 (peers)
#
# coturn's client over TCP (-t), TLS (-t -S) and DTLS (-S), plain and hairpin (-y), IPv4 and
# IPv6, each with 0% loss; openssl s_client sees ALPN stun.turn chosen; our own client hairpins between
# TLS and UDP (ChannelData padded on TLS only), and drops a TCP connection under its
# allocation, whose flow record must then say connection-closed with the counts the peer
# received; a bad handshake, half a STUN header, a 64 KiB length and bytes that are not TURN
# each leave an honest client served within 2 s; junk and forged ClientHellos on the DTLS port
# make no connection; a TLS client that never speaks is closed at limits.handshake-timeout;
# 1000 idle connections are held, counted, past-limit ones refused, all closed at
# limits.connection-idle; in socket mode a second round of them leaves turnpike's memory where
# the first did (nothing kept per connection); turnpike then exits 0.
#
# In dpdk mode the listeners are kernel sockets on the exception path's TAP interface
# (dpdk.kernel-interface, tp0): every connection crosses the workers and the control thread
# both ways, and so does an operator's own service on the relay's address (an HTTP server
# here), counted both ways, while ping is still answered by the control thread.
#
# usage: streams.sh TURNPIKE MODE XDP_PASS_OBJECT   (MODE: socket | xdp | dpdk)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "TCP and TLS over veth"
turnpike=$1 mode=$2 pass_obj=$3
py=/usr/bin/python3
tp_veth_begin st
tp_veth_relay "$mode" "$pass_obj" ipv6
[[ $mode != dpdk ]] || TP_PLANE=${TP_PLANE/dpdk: \{/dpdk: \{ kernel-interface = \"tp0\";}
H ip addr add 192.0.2.11/24 dev h0
H ip addr add 192.0.2.12/24 dev h0

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
	-subj /CN=turnpike.test -keyout "$TP_WORK/key.pem" -out "$TP_WORK/cert.pem" 2>/dev/null
cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "$mode"; };
log: { level = "debug"; };
relay: {
	ipv4: { bind = "192.0.2.1"; };
	ipv6: { bind = "2001:db8::1"; };
	tcp: { enabled = true; };
	tls: { enabled = true; certificate = "$TP_WORK/cert.pem"; private-key = "$TP_WORK/key.pem"; };
	dtls: { enabled = true; };
};
auth: { realm = "turnpike.test"; secrets = [ "it-secret" ];
	users = ( { name = "alice"; password = "alice-pw"; } ); };
limits: { max-connections-per-source = 500; handshake-timeout = 3; connection-idle = 10; };
$(tp_observe_conf)
$TP_PLANE
CONF
tp_relay_start "$relay" "$turnpike"
tp_start_peer "$hosts" 3480 192.0.2.20 2001:db8::20

if [[ $mode == dpdk ]]; then
	R ip -brief addr show tp0
	# The operator's own service on the relay's address, through the kernel interface.
	R timeout 120 "$py" -m http.server 8080 --bind 192.0.2.1 --directory "$TP_WORK" \
		>"$TP_WORK/http.log" 2>&1 &
	TP_PIDS+=($!)
	echo served >"$TP_WORK/probe.txt"
	http_listening() { R ss -Hntl "sport = :8080" | grep -q LISTEN; }
	tp_wait_for "the HTTP server on 192.0.2.1:8080" "$TP_WORK/http.log" "" http_listening ||
		tp_fail "no HTTP server"
	got=$(H timeout 10 curl -sf "http://192.0.2.1:8080/probe.txt") ||
		tp_fail "the relay's own service unreachable through dpdk.kernel-interface"
	[[ $got == served ]] || tp_fail "the relay's own service answered \"$got\""
	echo "ok   an HTTP server on the relay's address answers through tp0"
	H ping -q -c 2 -i 0.2 -W 2 192.0.2.1 >/dev/null || tp_fail "no answer to ping"
	tp_wait_metric 1 turnpike_dpdk_to_kernel_total
	tp_wait_metric 1 turnpike_dpdk_from_kernel_total
fi

# coturn's client: each transport and variant, 0% loss.
uclient() {
	local name=$1 status=0
	shift
	H timeout 25 turnutils_uclient -W it-secret -r 3480 -n 40 -l 170 -z 5 "$@" \
		>"$TP_WORK/uclient.log" 2>&1 || status=$?
	((status == 0)) || { tail -n 20 "$TP_WORK/uclient.log" >&2; tp_fail "uclient $name: exit $status"; }
	tp_uclient_verdict "$TP_WORK/uclient.log" "uclient $name ($mode)"
}
uclient "tcp" -t -c -e 192.0.2.20 -L 192.0.2.10 192.0.2.1
uclient "tcp hairpin" -t -y -c -L 192.0.2.10 192.0.2.1
uclient "tls" -t -S -p 5349 -c -e 192.0.2.20 -L 192.0.2.10 192.0.2.1
uclient "tls hairpin" -t -S -p 5349 -y -c -L 192.0.2.10 192.0.2.1
uclient "tcp ipv6" -t -x -c -e 2001:db8::20 -L 2001:db8::10 2001:db8::1
uclient "tls ipv6" -t -S -p 5349 -x -c -e 2001:db8::20 -L 2001:db8::10 2001:db8::1
uclient "dtls" -S -p 5349 -c -e 192.0.2.20 -L 192.0.2.10 192.0.2.1
uclient "dtls hairpin" -S -p 5349 -y -c -L 192.0.2.10 192.0.2.1
uclient "dtls ipv6" -S -p 5349 -x -c -e 2001:db8::20 -L 2001:db8::10 2001:db8::1
tp_wait_metric 1 turnpike_tls_handshakes_total result=success
tp_wait_metric 3 turnpike_connections_accepted_total transport=dtls

alpn=$(H timeout 10 openssl s_client -alpn stun.turn -connect 192.0.2.1:5349 </dev/null 2>&1 |
	grep -m 1 "ALPN protocol" || true)
echo "openssl s_client: $alpn"
[[ $alpn == "ALPN protocol: stun.turn" ]] || tp_fail "ALPN stun.turn not chosen"

H timeout 20 "$py" "$here/streams.py" hairpin 192.0.2.1 3478 5349 "$TP_WORK/cert.pem" ||
	tp_fail "a hairpin between TLS and UDP"

# A TCP client that drops its connection: its allocation and flow end with it.
H timeout 20 "$py" "$here/streams.py" close 192.0.2.1 3478 192.0.2.20 3490 ||
	tp_fail "a TCP client's channel"
tp_wait_metric 1 turnpike_engine_allocations_closed_total
closed_flow() {
	"$py" - "$TP_WORK/flows.json" <<'PY'
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
want = [r for r in recs if r.get("end_reason") == "connection-closed" and r["peer_port"] == 3490]
sys.exit(not (len(want) == 1 and want[0]["transport"] == "tcp" and
              want[0]["to_peer_packets"] == 5 and want[0]["to_peer_bytes"] == 50))
PY
}
tp_wait_for "a flow record: transport tcp, connection-closed, 5 packets to the peer" "" \
	"$TP_PID" closed_flow || tp_fail "no such flow record in $(cat "$TP_WORK/flows.json")"
echo "ok   the flow record says tcp, connection-closed, 5 packets and 50 bytes to the peer"

H timeout 60 "$py" "$here/streams.py" hostile 192.0.2.1 3478 3478 5349 "$TP_WORK/cert.pem" ||
	tp_fail "hostile connections"

# DTLS keeps nothing for a source that has not returned its cookie: 100 datagrams of junk and
# forged ClientHellos make no connection, and a real client is served after them.
dtls0=$(tp_metric turnpike_connections_accepted_total transport=dtls)
H timeout 10 "$py" -c '
import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
hello = bytes.fromhex("16fefd0000000000000000") + os.urandom(120)
for i in range(100):
    s.sendto(hello if i % 2 else os.urandom(64), ("192.0.2.1", 5349))
' || tp_fail "DTLS junk"
sleep 1.2 # a publication of the metrics after the last of them
dtls1=$(tp_metric turnpike_connections_accepted_total transport=dtls)
((dtls1 == dtls0)) || tp_fail "DTLS connections: $dtls0, then $dtls1 after junk"
uclient "dtls after junk" -S -p 5349 -c -e 192.0.2.20 -L 192.0.2.10 192.0.2.1

# A TLS client that never speaks: closed at limits.handshake-timeout (3 s).
before=$(tp_metric turnpike_connections_closed_total reason=handshake-timeout)
H timeout 10 "$py" -c 'import socket, time; s = socket.create_connection(("192.0.2.1", 5349)); time.sleep(5)' &
tp_wait_metric $((before + 1)) turnpike_connections_closed_total reason=handshake-timeout

rss() { awk '/^VmRSS/ { print $2 }' "/proc/$TP_RELAY/status"; }
# 1000 idle connections from two sources (500 each, the per-source limit), held.
idle_round() {
	local fifo=$TP_WORK/idle.fifo idle0 limit0
	idle0=$(tp_metric turnpike_connections_closed_total reason=idle)
	limit0=$(tp_metric turnpike_connection_limit_hits_total limit=max-connections-per-source)
	rm -f "$fifo" && mkfifo "$fifo"
	H timeout 60 "$py" "$here/streams.py" idle 192.0.2.1 3478 30 192.0.2.11:500 \
		192.0.2.12:500 <"$fifo" >"$TP_WORK/idle.log" 2>&1 &
	exec 9>"$fifo"
	tp_wait_for "1000 connections held" "$TP_WORK/idle.log" "" grep -q "holding 1000" \
		"$TP_WORK/idle.log" || tp_fail "idle connections: $(cat "$TP_WORK/idle.log")"
	tp_wait_metric 1000 turnpike_connections transport=tcp state=established
	echo "turnpike's memory with 1000 connections open: $(rss) kB"
	# Past the per-source limit: refused (streams.py checks), counted; an honest client
	# still served.
	tp_wait_for "10 connections past the limit tried" "$TP_WORK/idle.log" "" grep -q \
		"per source" "$TP_WORK/idle.log" || tp_fail "no connection past the limit tried"
	grep -q "^ok   10 connections past" "$TP_WORK/idle.log" ||
		tp_fail "$(grep "per source" "$TP_WORK/idle.log")"
	tp_wait_metric $((limit0 + 10)) turnpike_connection_limit_hits_total \
		limit=max-connections-per-source
	uclient "tcp beside 1000 idle connections" -t -c -e 192.0.2.20 -L 192.0.2.10 192.0.2.1
	# limits.connection-idle (10 s) closes them all.
	tp_wait_metric $((idle0 + 1000)) turnpike_connections_closed_total reason=idle
	exec 9>&-
	wait_gauge_zero() {
		[[ $(tp_metric turnpike_connections transport=tcp state=established) == 0 ]]
	}
	tp_wait_for "no connection open" "" "$TP_PID" wait_gauge_zero ||
		tp_fail "connections still open"
}
idle_round
first=$(rss)
echo "turnpike's memory after 1000 connections closed: $first kB"
# The second round, for the memory, in socket mode alone: the connections' code is the same
# in every mode, and a round takes some 15 s.
if [[ $mode == socket ]]; then
	idle_round
	second=$(rss)
	echo "turnpike's memory after 1000 more: $second kB"
	if grep -q __asan_init "$turnpike"; then
		# ASan keeps freed memory in quarantine: its LeakSanitizer judges at exit.
		echo "memory not compared: AddressSanitizer build (LeakSanitizer checks at exit)"
	else
		((second <= first + 2048)) ||
			tp_fail "memory grew by $((second - first)) kB over 1000 connections"
	fi
fi

tp_stop_turnpike
echo "PASS: TURN over TCP, TLS and DTLS ($mode)"
