#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Allocations by the ten thousand held at once on one box, through one dataplane, over veth.
# One relayed address holds at most as many allocations as the port range has ports (16 384),
# so the relay has seven (relay.ipv4.bind as a list):
#
#   ns relay: r0 192.0.2.1 to 192.0.2.7 (kernel addresses in socket and xdp mode; DPDK's own in
#             dpdk mode); turnpike listens on the first
#   ns hosts: h0 192.0.2.10 to 192.0.2.12 (the clients: a UDP socket per allocation, up to
#             64 000 ports on each address), 192.0.2.20 (the peer)
#
# How many: 100 000 in dpdk mode. Socket and xdp mode hold a socket per relayed address, and
# this machine's file limit is 20 000 descriptors a process, hard (no CAP_SYS_RESOURCE to
# raise it): 18 000 there, still more than one address has ports. many_allocations.py makes
# them (our own client: the 401, then the Allocate, in a window; several processes, each
# under the file limit) and holds them. The metrics must count them all; the relayed addresses the clients got must
# spread evenly over the seven; coturn's client must still relay through the box with 0%
# loss while they are held; and turnpike must stop cleanly holding them. Reported: turnpike's
# resident memory per allocation, and the kernel's slab growth per allocation (in socket and
# xdp mode a socket holds each relayed address).
#
# usage: scale.sh TURNPIKE MODE XDP_PASS_OBJECT     (TP_ALLOCATIONS=N for another count)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
tp_need_root "100 000 allocations (file limits, namespaces)"

turnpike=$1 mode=$2 pass_obj=$3
if [[ $mode == dpdk ]]; then count=${TP_ALLOCATIONS:-100000}; else count=${TP_ALLOCATIONS:-18000}; fi
py=/usr/bin/python3
naddrs=7 per_process=15000
ulimit -n "$(ulimit -Hn)"
if [[ $mode != dpdk ]] && (($(ulimit -n) < count + 500)); then
	tp_fail "the file limit $(ulimit -n) is too low for $count allocations in $mode mode"
fi
tp_veth_begin sc
tp_veth_relay "$mode" "$pass_obj"
binds=\"192.0.2.1\"
for i in $(seq 2 "$naddrs"); do
	[[ $mode == dpdk ]] || R ip addr add "192.0.2.$i/24" dev r0
	binds+=", \"192.0.2.$i\""
done
H ip addr add 192.0.2.11/24 dev h0
H ip addr add 192.0.2.12/24 dev h0
H sysctl -qw net.ipv4.ip_local_port_range="1024 65535"
cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "$mode"; };
log: { level = "info"; };
relay: { ipv4: { bind = [ $binds ]; }; ipv6: { enabled = false; }; };
auth: { realm = "turnpike.test"; secrets = [ "it-secret" ];
	users = ( { name = "alice"; password = "alice-pw"; } ); };
limits: { max-allocations = $((count + 100)); max-allocations-per-user = 0;
	unauthenticated-burst = 16777215; unauthenticated-rate = 16777215; };
$(tp_observe_conf)
$TP_PLANE
CONF
tp_relay_start "$relay" "$turnpike"
tp_start_peer "$hosts" 3480 192.0.2.20

rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$TP_RELAY/status"; }
slab_kb() { awk '/^Slab:/ { print $2 }' /proc/meminfo; }
rss0=$(rss_kb) slab0=$(slab_kb)
start=$(date +%s.%N)

fifo=$TP_WORK/hold.fifo
mkfifo "$fifo"
left=$count procs=0
while ((left > 0)); do
	n=$((left < per_process ? left : per_process))
	H timeout 400 "$py" "$here/many_allocations.py" 192.0.2.1 3478 "$n" \
		192.0.2.10,192.0.2.11,192.0.2.12 240 <"$fifo" >"$TP_WORK/many.$procs.log" 2>&1 &
	TP_PIDS+=($!)
	left=$((left - n)) procs=$((procs + 1))
done
exec 9>"$fifo"
all_holding() { (($(cat "$TP_WORK"/many.*.log | grep -c "^holding") == procs)); }
tp_ready_seconds=300 tp_wait_for "$count allocations" "" "" all_holding ||
	tp_fail "the allocations: $(tail -q -n 2 "$TP_WORK"/many.*.log)"
made=$(date +%s.%N)
tp_wait_metric "$count" turnpike_allocations
rss1=$(rss_kb) slab1=$(slab_kb)
echo "$count allocations made in $(echo "$made - $start" | bc) s"

# Spread evenly: each address holds its share, give or take what a resent request's lost
# answer hides from the tally (its allocation is counted, its address not).
sleep 0.5 # the tallies follow "holding" in the logs
cat "$TP_WORK"/many.*.log | awk '$1 == "relayed" { n[$3] += $2 } END { for (a in n) print n[a], a }' |
	sort -k2 >"$TP_WORK/spread.txt"
cat "$TP_WORK/spread.txt"
n=$(wc -l <"$TP_WORK/spread.txt")
((n == naddrs)) || tp_fail "allocations at $n relayed addresses, not $naddrs"
share=$((count / naddrs))
while read -r got ip; do
	((got >= share * 90 / 100 && got <= share + 1)) ||
		tp_fail "$ip holds $got allocations, its share is $share"
done <"$TP_WORK/spread.txt"

# Still relaying, with all of them held.
messages=40
status=0
H timeout 25 turnutils_uclient -c -e 192.0.2.20 -W it-secret -L 192.0.2.10 -r 3480 \
	-n "$messages" -l 170 -z 5 192.0.2.1 >"$TP_WORK/uclient.log" 2>&1 || status=$?
((status == 0)) || { tail -n 20 "$TP_WORK/uclient.log" >&2; tp_fail "uclient exited $status"; }
tp_uclient_verdict "$TP_WORK/uclient.log" "$mode with $count allocations held"
if [[ $mode != socket ]]; then
	tp_wait_metric $((messages / 2)) turnpike_dataplane_frames_total action=relayed reason=to-peer
fi

per_alloc() { echo $((($2 - $1) * 1024 / count)); }
echo "memory per allocation ($mode): turnpike's resident $(per_alloc "$rss0" "$rss1") bytes," \
	"the kernel's slab $(per_alloc "$slab0" "$slab1") bytes (the clients' sockets in it too)"
tp_stop_turnpike
echo "PASS: $mode holding $count allocations"
