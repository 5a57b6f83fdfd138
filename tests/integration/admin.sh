#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The admin interface, in socket mode on loopback: turnpikectl and the admin socket itself
# (admin.py). status, human-readable and --json; allocations with their relayed address,
# peers, channels and bytes each way, filtered by user and client; kick by client (the flow
# record says kicked) and by user, and a kick that matches nothing; requests that are not
# JSON, unknown, too long or wrongly filtered, each answered with an error; 20 clients that
# say nothing, closed in time while status is still served; a user without access to the
# socket's mode refused. A reload that removes a user (its allocation ends: user-revoked),
# narrows peers.allow (a permission and its channel end: peer-denied; a new one gets 403; the
# rest relays on), changes log.level (applied) and relay.port-max (reported as needing a
# restart); a bad file refused with file:line:key, changing nothing; SIGHUP reloading too;
# the metrics counting each. Then turnpikectl drain: status and metrics say so, a new Allocate
# gets 508, and turnpike exits 0 once the last allocation is kicked.
#
# usage: admin.sh TURNPIKE TURNPIKECTL
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_begin "$@"
turnpike=$1 ctl=$2
py=/usr/bin/python3
# Traversable, so that the socket's own mode is what keeps others out.
chmod 755 "$TP_WORK"

cat >"$TP_WORK/turnpike.conf" <<CONF
log: { level = "info"; };
relay: { listen-port = $TP_LISTEN; port-min = $TP_PORT_MIN; port-max = $TP_PORT_MAX;
	ipv4: { bind = "127.0.0.1"; }; ipv6: { enabled = false; }; };
auth: { realm = "turnpike.test"; users = (
	{ name = "alice"; password = "alice-pw"; },
	{ name = "bob"; password = "bob-pw"; },
	{ name = "carol"; password = "carol-pw"; },
	{ name = "dave"; password = "dave-pw"; },
	{ name = "erin"; password = "erin-pw"; } ); };
peers: { allow = [ "127.0.0.0/8" ]; allow-relay-ports = true; };
$(tp_observe_conf)
CONF
timeout -k 10 120 "$turnpike" -c "$TP_WORK/turnpike.conf" >"$TP_WORK/turnpike.log" 2>&1 &
TP_PID=$!
TP_PIDS+=("$TP_PID")
tp_wait_ready "$TP_WORK/turnpike.log" "$TP_PID"
[[ $(stat -c %a "$TP_WORK/admin.sock") == 600 ]] || tp_fail "the socket's mode: not 0600"
echo "ok   the admin socket is there, mode 0600"

timeout 100 "$py" "$here/admin.py" "$ctl" "$TP_WORK/admin.sock" "$TP_WORK/turnpike.conf" \
	"$TP_LISTEN" "http://127.0.0.1:$TP_METRICS_PORT/metrics" "$TP_WORK/flows.json" \
	"$TP_RELAY" || tp_fail "admin.py"

tp_expect_exit 0 10 "drained: the last allocation has ended" "the drain's last allocation"
[[ ! -e $TP_WORK/admin.sock ]] || tp_fail "the admin socket left behind"
echo "ok   exited 0 when the last allocation ended; its socket removed"
echo "PASS: admin"
