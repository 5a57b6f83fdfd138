#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Draining (SIGUSR2), in socket mode: new allocations are sent to drain.alternate-servers
# with 300 Try Alternate (508 without one), the allocation held keeps refreshing and relaying,
# turnpike's metrics say it drains, and it exits 0 when the last allocation ends, saying so;
# with drain.deadline, it exits at the deadline with the allocation still held, ended then
# (its flow record says shutdown).
#
# usage: drain.sh TURNPIKE
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_begin "$@"
turnpike=$1
py=/usr/bin/python3

run() { # NAME DRAIN_GROUP ALTERNATE END
	cat >"$TP_WORK/turnpike.conf" <<CONF
relay: { listen-port = $TP_LISTEN; port-min = $TP_PORT_MIN; port-max = $TP_PORT_MAX;
	ipv4: { bind = "127.0.0.1"; }; ipv6: { enabled = false; }; };
auth: { realm = "turnpike.test"; users = ( { name = "alice"; password = "alice-pw"; } ); };
peers: { allow = [ "127.0.0.0/8" ]; allow-relay-ports = true; };
drain: { $2 };
$(tp_observe_conf)
CONF
	rm -f "$TP_WORK/flows.json"
	timeout -k 10 60 "$turnpike" -c "$TP_WORK/turnpike.conf" >"$TP_WORK/turnpike.log" 2>&1 &
	TP_PID=$!
	TP_PIDS+=("$TP_PID")
	tp_wait_ready "$TP_WORK/turnpike.log" "$TP_PID"
	timeout 20 "$py" "$here/drain.py" "$TP_LISTEN" "$TP_RELAY" \
		"http://127.0.0.1:$TP_METRICS_PORT/metrics" "$3" "$4" || tp_fail "$1: the clients"
}

# The last allocation ends: turnpike exits 0 within two ticks, and says so.
run "alternate" 'alternate-servers = [ "192.0.2.77:3478", "[2001:db8::77]:3478" ];' \
	192.0.2.77:3478 last
start=${EPOCHREALTIME/./}
tp_expect_exit 0 10 "drained: the last allocation has ended" "the last allocation ended"
echo "ok   exited 0 $(((${EPOCHREALTIME/./} - start) / 1000)) ms after the last allocation ended"

# No alternate: 508; drain.deadline (2 s) ends the allocation still held, and turnpike.
run "deadline" 'deadline = 2;' none hold
tp_expect_exit 0 10 "drained: drain.deadline reached with 1 allocation\(s\) left" \
	"a 2 s drain.deadline"
[[ $("$py" "$here/observe.py" flows "$TP_WORK/flows.json" records end_reason=shutdown) == 1 ]] ||
	tp_fail "no flow record ended by the shutdown: $(cat "$TP_WORK/flows.json")"
echo "ok   exited 0 at drain.deadline; the allocation's flow ended with the shutdown"
echo "PASS: drain"
