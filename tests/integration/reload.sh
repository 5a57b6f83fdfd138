#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Ten reloads under a steady stream, in one dataplane, over veth between two namespaces
# (reload_stream.py): every datagram relayed both ways, every reload applied while the
# stream runs, the allocation held after, its packets all counted; then a SIGHUP with a file
# that changes a key needing a restart (relay.port-min) and one that is wrong: the first is
# named and kept, the second refused, and the stream's allocation still relays. The flow log
# is replaced five times on the way (flows.interval changes): the kicked allocation's flow
# record must still count every packet.
#
# usage: reload.sh TURNPIKE TURNPIKECTL MODE XDP_PASS_OBJECT   (MODE: socket | xdp | dpdk)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "reloads over veth"
turnpike=$1 ctl=$2 mode=$3 pass_obj=$4
py=/usr/bin/python3
count=1500 rate=250
tp_veth_begin rl
tp_veth_relay "$mode" "$pass_obj"

{
	echo "dataplane: { mode = \"$mode\"; };"
	echo 'relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { enabled = false; }; };'
	echo 'auth: { realm = "turnpike.test";'
	echo '	users = ( { name = "alice"; password = "alice-pw"; } ); };'
	echo "metrics: { listen = \"127.0.0.1:$TP_METRICS_PORT\"; };"
	echo "admin: { socket = \"$TP_WORK/admin.sock\"; };"
	echo "$TP_PLANE"
	echo "@LIVE@"
} >"$TP_WORK/turnpike.conf.in"
sed "s|^@LIVE@\$|flows: { output = \"$TP_WORK/flows.json\"; };|" "$TP_WORK/turnpike.conf.in" \
	>"$TP_WORK/turnpike.conf"
tp_relay_start "$relay" "$turnpike"

H timeout 100 "$py" "$here/reload_stream.py" "$ctl" "$TP_WORK/admin.sock" \
	"$TP_WORK/turnpike.conf" 192.0.2.1 192.0.2.20 "$count" "$rate" "$TP_WORK/flows.json" \
	"$TP_WORK/sent" || tp_fail "reload_stream.py"
count=$(<"$TP_WORK/sent")

# In xdp and dpdk modes the fast path carried the stream, through every reload (the first
# datagrams to the peer pass the control thread while it resolves the peer's MAC).
if [[ $mode != socket ]]; then
	for dir in to_peer to_client; do
		tp_wait_metric $((count * 95 / 100)) turnpike_relayed_packets_total path="$mode" \
			direction="$dir"
	done
	echo "ok   the $mode fast path relayed the stream both ways"
fi

# A key that needs a restart: named, kept; the rest of the file applied.
sed -e "s|^@LIVE@\$|flows: { output = \"$TP_WORK/flows.json\"; };|" \
	-e 's|^relay: { |relay: { port-min = 50000; |' "$TP_WORK/turnpike.conf.in" >"$TP_WORK/turnpike.conf"
before=$(tp_metric turnpike_config_reloads_total result=applied)
kill -HUP "$TP_RELAY"
tp_wait_metric $((before + 1)) turnpike_config_reloads_total result=applied
grep -q "reload: needs a restart, running values kept: relay.port-min" "$TP_WORK/turnpike.log" ||
	tp_fail "relay.port-min not reported as needing a restart"
echo "ok   SIGHUP: relay.port-min reported as needing a restart, the reload applied"

# A wrong file: refused with file:line:key, nothing changed.
echo 'limits: { max-allocations = "many"; };' >>"$TP_WORK/turnpike.conf"
kill -HUP "$TP_RELAY"
tp_wait_metric 1 turnpike_config_reloads_total result=refused
grep -q "turnpike.conf:$(wc -l <"$TP_WORK/turnpike.conf"): limits.max-allocations: expected an integer; the running configuration stays" \
	"$TP_WORK/turnpike.log" || tp_fail "no file:line:key for the wrong file"
echo "ok   SIGHUP with a wrong file: refused, file:line:key logged"

# The allocation, kicked: its flow record counts every packet, through five flow logs.
"$ctl" -s "$TP_WORK/admin.sock" kick --user alice >/dev/null || tp_fail "kick"
tp_wait_for "the kicked flow's record" "" "" \
	"$py" "$here/observe.py" flows "$TP_WORK/flows.json" records end_reason=kicked ||
	tp_fail "no flow record for the kicked allocation"
for dir in to_peer to_client; do
	got=$("$py" "$here/observe.py" flows "$TP_WORK/flows.json" "${dir}_packets" end_reason=kicked)
	((got == count)) || tp_fail "the flow record counts $got packets $dir, not $count"
done
echo "ok   the flow record counts $count packets each way"
tp_stop_turnpike
echo "PASS: reload $mode"
