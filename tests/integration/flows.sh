#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Flow records and metrics through one dataplane, over veth between two namespaces:
#
#   ns relay: r0 192.0.2.1 (a kernel address in socket and xdp mode; DPDK's own in dpdk mode)
#   ns hosts: h0 192.0.2.10 (two clients), 192.0.2.20 (the peers)
#
# flow_client.py sends known traffic through three flows of client A (a channel, a
# permission-only conversation, a hairpin to client B, whose channel back is a fourth), the
# metrics are scraped over HTTP and parsed while the allocations live, the flow log is rotated
# with SIGHUP, both clients Refresh 0, and then each flow must have exactly one end record
# whose counts match what was sent, in JSON that Python's parser reads.
#
# usage: flows.sh TURNPIKE MODE XDP_PASS_OBJECT [OUTPUT]
#   MODE    socket | xdp | dpdk
#   OUTPUT  file (the default: rotated with SIGHUP on the way) | stdout | syslog (read by a
#           listener on /dev/log in a mount namespace of the test's own, over a /dev of its own)
#   TP_DPDK_WORKERS=N (dpdk): N workers on N queue pairs of the port (lib.sh's tp_veth_relay)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "flow records over veth"

turnpike=$1 mode=$2 pass_obj=$3 output=${4:-file}
ctl=$(dirname "$turnpike")/turnpikectl # beside turnpike in its build
if [[ $output == syslog && -z ${TP_MNTNS:-} ]]; then
	TP_MNTNS=1 exec unshare --mount --propagation private bash "$0" "$@"
fi
# Debian's Python: prometheus_client comes from its package (python3-prometheus-client).
py=/usr/bin/python3
tp_veth_begin fl
case $output in
file) where="$TP_WORK/flows.json" ;;
stdout | syslog) where=$output ;;
*) tp_fail "unknown output $output" ;;
esac
if [[ $output == syslog ]]; then
	# This mount namespace's own /dev, a tmpfs with fresh nodes for what turnpike and the
	# tools need, and /dev/log our listener's. Never a bind of the real /dev: the work
	# directory's removal would reach through it.
	mount -t tmpfs -o mode=755 tmpfs /dev
	mknod -m 666 /dev/null c 1 3
	mknod -m 666 /dev/zero c 1 5
	mknod -m 666 /dev/random c 1 8
	mknod -m 666 /dev/urandom c 1 9
	ln -s /proc/self/fd /dev/fd
	"$py" -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
open(sys.argv[2], "w").close()
with open(sys.argv[1], "ab") as out:
    while True:
        msg = s.recv(65536)
        # A datagram socket keeps order: everything sent before the marker has been read.
        if msg == b"drained?":
            open(sys.argv[3], "w").close()
        # <PRI>TIMESTAMP TAG[PID]: MESSAGE
        elif b"turnpike[" in msg:
            out.write(msg.split(b"]: ", 1)[1].rstrip(b"\n") + b"\n")
            out.flush()
' "$TP_WORK/flows.json" "$TP_WORK/syslog.ready" "$TP_WORK/syslog.drained" &
	syslog=$!
	TP_PIDS+=("$syslog")
	tp_wait_for "the syslog listener on /dev/log" "" "$syslog" test -e "$TP_WORK/syslog.ready" ||
		exit 1
fi
tp_veth_relay "$mode" "$pass_obj"
cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "$mode"; };
log: { level = "debug"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { enabled = false; }; };
auth: { realm = "turnpike.test"; secrets = [ "it-secret" ]; };
flows: { output = "$where"; interval = 1; };
metrics: { listen = "127.0.0.1:$TP_METRICS_PORT"; };
admin: { socket = "$TP_WORK/admin.sock"; };
$TP_PLANE
CONF
if [[ $output == stdout ]]; then
	tp_relay_start "$relay" "$turnpike" "$TP_WORK/flows.json"
else
	tp_relay_start "$relay" "$turnpike"
fi
# No next hop is resolved before the traffic: the first burst to the peer (25 datagrams at once,
# right after the ChannelBind's answer) waits for ARP in dpdk mode (in the kernel's neighbour
# queue in the others) and must arrive whole, and the flow records count exactly that.
H timeout 25 "$py" "$here/flow_client.py" traffic 192.0.2.1 3478 192.0.2.10 192.0.2.20 \
	it-secret "$TP_WORK/plan.json" "$TP_WORK" >"$TP_WORK/client.log" 2>&1 &
client=$!
TP_PIDS+=("$client")
tp_wait_for "the client's traffic through all four flows" "$TP_WORK/client.log" "$client" \
	test -e "$TP_WORK/ready" || tp_fail "the client never got its traffic through"

# The allocations live: the metrics say so (published once a second: until they do).
metrics_ok() {
	R "$py" "$here/flow_client.py" metrics http://127.0.0.1:$TP_METRICS_PORT/metrics "$mode" \
		>"$TP_WORK/metrics.log" 2>&1
}
tp_wait_for "metrics that show the live allocations" "$TP_WORK/metrics.log" "$TP_PID" \
	metrics_ok || tp_fail "metrics"
cat "$TP_WORK/metrics.log"
# logrotate's way: move the file, SIGHUP, and the end records start a new one.
if [[ $output == file ]]; then
	mv "$TP_WORK/flows.json" "$TP_WORK/flows.1.json"
	kill -HUP "$TP_RELAY"
	tp_wait_for "the flow log reopened after SIGHUP" "" "$TP_PID" \
		grep -q "flow log .* reopened" "$TP_WORK/turnpike.log" || tp_fail "SIGHUP did not reopen"
else
	: >"$TP_WORK/flows.1.json"
fi
touch "$TP_WORK/go"
status=0
wait "$client" || status=$?
cat "$TP_WORK/client.log"
((status == 0)) || tp_fail "the client failed ($status)"
[[ -s $TP_WORK/flows.json ]] || tp_fail "nothing in the reopened flow log"
# The four flows have ended (both clients refreshed to zero): their records written, none
# skipped, as the metrics say.
tp_wait_metric 4 turnpike_flow_records_total result=written
turnpikectl_json() { "$ctl" -s "$TP_WORK/admin.sock" --json "$@"; }
[[ $(tp_metric turnpike_flow_records_total result=skipped) == 0 ]] || tp_fail "records were skipped"

# Several workers (TP_DPDK_WORKERS): each of their RX queues took part of the traffic (DPDK
# telemetry's per-queue counts), and turnpikectl counts them; the records above are exact
# all the same.
if ((${TP_DPDK_WORKERS:-1} > 1)); then
	n=$TP_DPDK_WORKERS
	got=$(turnpikectl_json status | "$py" -c 'import json,sys; print(json.load(sys.stdin)["workers"])')
	((got == n)) || tp_fail "turnpikectl status: $got workers, want $n"
	# A few flows could all hash to fewer queues than there are: 256 more (Binding requests
	# from 256 source ports) leave a queue empty with odds below 1e-30.
	H "$py" -c 'import os,socket,struct
for _ in range(256):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("192.0.2.10", 0))
    s.sendto(struct.pack("!HHI", 1, 0, 0x2112A442) + os.urandom(12), ("192.0.2.1", 3478))
    s.close()'
	sleep 0.5
	queues=$(echo /ethdev/stats,0 | timeout 10 dpdk-telemetry.py -f "$prefix" 2>&1 |
		"$py" -c 'import json,sys,re
t=sys.stdin.read(); d=json.loads(t[t.index("{\"/ethdev"):])
print(" ".join(str(x) for x in d["/ethdev/stats"]["q_ipackets"][:'"$n"']))')
	for q in $queues; do ((q > 0)) || tp_fail "a worker's RX queue took nothing: $queues"; done
	echo "ok   $n workers, each RX queue took part: $queues frames"
fi
tp_stop_turnpike
if [[ $output == syslog ]]; then
	"$py" -c 'import socket; socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM).sendto(b"drained?", "/dev/log")'
	tp_wait_for "the syslog listener's last lines" "" "$syslog" \
		test -e "$TP_WORK/syslog.drained" || exit 1
fi
cat "$TP_WORK/flows.1.json" "$TP_WORK/flows.json" >"$TP_WORK/all.json"
"$py" "$here/flow_client.py" verify "$TP_WORK/plan.json" "$TP_WORK/all.json" ||
	{ sed -n '1,40p' "$TP_WORK/all.json" >&2; tp_fail "flow records"; }
echo "PASS: flows $mode ($output)"
