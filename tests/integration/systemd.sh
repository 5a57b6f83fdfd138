#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# turnpike as a systemd Type=notify service, without systemd: a listener of our own on
# $NOTIFY_SOCKET takes what turnpike sends there, with WATCHDOG_USEC set as systemd sets it for
# WatchdogSec. READY=1 must come once it serves (with a STATUS= line), WATCHDOG=1 every half
# period, STATUS= each second with the allocations it holds, RELOADING=1 and READY=1 around a
# reload (SIGHUP), STOPPING=1 on SIGTERM, and
# then a clean exit. And the unit we ship passes systemd-analyze verify without a word, its
# paths pointed at this build.
#
# usage: systemd.sh TURNPIKE SOURCE_ROOT
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_begin "$@"
turnpike=$(realpath "$1") root=$2
py=/usr/bin/python3

sock=$TP_WORK/notify.sock
"$py" -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
out = open(sys.argv[2], "a", buffering=1)
t0 = time.monotonic()
while True:
    msg = s.recv(4096).decode()
    for line in msg.split("\n"):
        out.write("%.3f %s\n" % (time.monotonic() - t0, line))
' "$sock" "$TP_WORK/notify.log" &
TP_PIDS+=($!)
tp_wait_for "the notify socket" "" "" test -S "$sock" || tp_fail "no notify socket"

cat >"$TP_WORK/turnpike.conf" <<CONF
relay: { listen-port = $TP_LISTEN; port-min = $TP_PORT_MIN; port-max = $TP_PORT_MAX;
	ipv4: { bind = "127.0.0.1"; }; ipv6: { enabled = false; }; };
auth: { realm = "turnpike.test"; users = ( { name = "alice"; password = "alice-pw"; } ); };
admin: { socket = "$TP_WORK/admin.sock"; };
CONF
NOTIFY_SOCKET=$sock WATCHDOG_USEC=400000 timeout -k 10 60 "$turnpike" -c "$TP_WORK/turnpike.conf" \
	>"$TP_WORK/turnpike.log" 2>&1 &
TP_PID=$!
TP_PIDS+=("$TP_PID")
tp_wait_for "READY=1" "$TP_WORK/notify.log" "$TP_PID" grep -q " READY=1$" "$TP_WORK/notify.log" ||
	tp_fail "no READY=1"
grep -q " mode ready" "$TP_WORK/turnpike.log" || tp_fail "READY=1 before the relay said it serves"
grep -q " STATUS=socket mode: 0 allocations, 0 connections$" "$TP_WORK/notify.log" ||
	tp_fail "no STATUS= line with READY=1: $(cat "$TP_WORK/notify.log")"
echo "ok   READY=1, with STATUS=socket mode: 0 allocations, 0 connections"

# An allocation shows in the next STATUS= line.
PYTHONPATH=$here timeout 20 "$py" -c '
import sys, time
from turn_client import Client
c = Client(int(sys.argv[1]))
assert c.allocate()[1] == 0
time.sleep(10)
' "$TP_LISTEN" &
TP_PIDS+=($!)
tp_wait_for "a STATUS= line with an allocation" "$TP_WORK/notify.log" "$TP_PID" \
	grep -qE " STATUS=socket mode: [1-9][0-9]* allocations" "$TP_WORK/notify.log" ||
	tp_fail "no STATUS= line with an allocation"
echo "ok   $(grep -oE "STATUS=socket mode: [1-9][0-9]* allocations.*" "$TP_WORK/notify.log" | head -n 1)"

# WATCHDOG=1 at half of WATCHDOG_USEC (200 ms): 5 or more in 1.5 s.
before=$(grep -c " WATCHDOG=1$" "$TP_WORK/notify.log" || true)
sleep 1.5
after=$(grep -c " WATCHDOG=1$" "$TP_WORK/notify.log" || true)
((after - before >= 5)) || tp_fail "$((after - before)) WATCHDOG=1 in 1.5 s, want 5 or more"
echo "ok   $((after - before)) WATCHDOG=1 in 1.5 s"

TP_RELAY=$(pgrep -P "$TP_PID" -x turnpike || echo "$TP_PID")
# A reload (SIGHUP): RELOADING=1 with MONOTONIC_USEC=, then READY=1 again.
kill -HUP "$TP_RELAY"
reloaded() { grep -A 20 " RELOADING=1$" "$TP_WORK/notify.log" | grep -q " READY=1$"; }
tp_wait_for "RELOADING=1, then READY=1" "$TP_WORK/notify.log" "" reloaded ||
	tp_fail "no RELOADING=1 followed by READY=1"
grep -qE " MONOTONIC_USEC=[0-9]+$" "$TP_WORK/notify.log" || tp_fail "no MONOTONIC_USEC= with RELOADING=1"
echo "ok   SIGHUP: RELOADING=1 (with MONOTONIC_USEC=), then READY=1"
tp_stop_turnpike
grep -q " STOPPING=1$" "$TP_WORK/notify.log" || tp_fail "no STOPPING=1"
echo "ok   STOPPING=1, then exit 0"

# The unit we ship, its paths this build's: systemd-analyze verify says nothing.
sed "s|/usr/local/bin/turnpike|$turnpike|g; s|/etc/turnpike/turnpike.conf|$root/conf/turnpike.conf|g" \
	"$root/conf/turnpike.service" >"$TP_WORK/turnpike.service"
out=$(timeout 30 systemd-analyze verify "$TP_WORK/turnpike.service" 2>&1) ||
	tp_fail "systemd-analyze verify: $out"
[[ -z $out ]] || tp_fail "systemd-analyze verify: $out"
echo "ok   systemd-analyze verify conf/turnpike.service"
echo "PASS: systemd notifications and unit"
