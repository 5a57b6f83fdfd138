#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# CI smoke test of bench/pktgen (seconds, root): what the README tells an operator to do, on a
# veth pair instead of a cable and tcpreplay instead of pktgen-dpdk (not packaged in Debian).
#
#   ns relay: r0 192.0.2.1 2001:db8::1     turnpike on r0, static next hop h0: xdp mode (the
#                                          kernel's addresses), or dpdk mode (net_af_packet,
#                                          DPDK's own addresses, no hugepages)
#   ns hosts: h0 192.0.2.10 2001:db8::10   setup.py's clients (and its peer sinks on .20, ::20)
#
# setup.py makes bindings for all twelve cases through turnpike's control plane and holds them
# (refreshing every second); make_pcaps.py writes the pcaps twice (100-byte payloads, IMIX);
# tshark must find every frame of all 24 pcaps with good IPv4 header and UDP checksums; then
# tcpreplay sends each pcap onto h0, and every relayed datagram must arrive where the manifest
# says (setup.py counts them at its clients and peers), none elsewhere, and turnpike's fast-path
# counters (its metrics: turnpike_dataplane_frames_total by verdict) must count exactly the
# replayed frames, and drop none.
#
# usage: smoke.sh TURNPIKE XDP_PASS_OBJECT [xdp|dpdk]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../../tests/integration/lib.sh"
tp_need_root "the pktgen pcap smoke test (namespaces, XDP)"
turnpike=$1 pass_obj=$2 mode=${3:-xdp}
py=/usr/bin/python3 # Debian's: scapy comes from python3-scapy
loops=2
command -v tcpreplay >/dev/null || tp_fail "tcpreplay is not installed (scripts/install-deps)"

tp_veth_begin pk
case $mode in
xdp)
	R ip addr add 192.0.2.1/24 dev r0
	R ip addr add 2001:db8::1/64 dev r0 nodad
	;;
dpdk) R sysctl -qw net.ipv6.conf.r0.disable_ipv6=1 ;; # the kernel stays off DPDK's port
*) tp_fail "unknown mode $mode" ;;
esac
R ip link set r0 up
H ip link set h0 up
# XDP_TX'd frames reach h0's stack only where h0 runs XDP too.
if [[ $mode == xdp ]]; then
	ip -n "$hosts" link set dev h0 xdpdrv obj "$pass_obj" sec xdp
fi
h0_mac=$(H cat /sys/class/net/h0/address)
r0_mac=$(R cat /sys/class/net/r0/address)

case $mode in
xdp) plane="xdp: { interface = \"r0\"; attach = \"native\"; nexthop = \"static\";
	nexthop-mac = \"$h0_mac\"; };" ;;
dpdk) plane="dpdk: { lcores = \"0-1\"; file-prefix = \"$prefix\"; stats-interval = 0;
	eal-args = [ \"--no-huge\", \"-m\", \"1024\" ]; max-bindings = 4096;
	ports = [ \"net_af_packet0,iface=r0\" ]; nexthop-mac = \"$h0_mac\"; };" ;;
esac
cat >"$TP_WORK/turnpike.conf" <<CONF
dataplane: { mode = "$mode"; };
relay: { ipv4: { bind = "192.0.2.1"; }; ipv6: { bind = "2001:db8::1"; }; };
auth: { realm = "turnpike.test"; secrets = [ "it-secret" ]; };
$plane
$(tp_observe_conf)
CONF
tp_relay_start "$relay" "$turnpike"

# The bindings, held while the pcaps are made and replayed (SIGTERM ends the hold).
ip netns exec "$hosts" timeout 120 "$py" "$here/setup.py" --secret it-secret \
	--server4 192.0.2.1 --server6 2001:db8::1 --client4 192.0.2.10 --client6 2001:db8::10 \
	--peer4 192.0.2.20 --peer6 2001:db8::20 --allocations 2 --channels 3 --pairs 2 \
	--out "$TP_WORK/bindings.json" --hold 60 --refresh 1 --sink \
	--counts "$TP_WORK/counts.json" >"$TP_WORK/setup.log" 2>&1 &
setup=$!
TP_PIDS+=("$setup")
tp_wait_for "setup.py's bindings ($TP_WORK/bindings.json)" "$TP_WORK/setup.log" "$setup" \
	test -e "$TP_WORK/bindings.json" || tp_fail "setup.py made no bindings"
cat "$TP_WORK/setup.log"

for size in 100 imix; do
	timeout 120 "$py" "$here/make_pcaps.py" "$TP_WORK/bindings.json" "$TP_WORK/$size" \
		--dst-mac "$r0_mac" --src-mac "$h0_mac" --size "$size" >"$TP_WORK/make.log" 2>&1 ||
		{ cat "$TP_WORK/make.log" >&2; tp_fail "make_pcaps.py --size $size"; }
	pcaps=("$TP_WORK/$size"/*.pcap)
	n=${#pcaps[@]}
	((n == 12)) || { cat "$TP_WORK/make.log" >&2; tp_fail "$n pcaps for --size $size, not 12"; }
	# Frames per pcap as the manifest says, and the pktgen scripts beside each.
	capinfos -T -c -r "${pcaps[@]}" >"$TP_WORK/frames.txt" || tp_fail "capinfos"
	while IFS=$'\t' read -r f frames; do
		case=$(basename "$f" .pcap)
		want=$(jq -r ".cases[\"$case\"].frames" "$TP_WORK/$size/manifest.json")
		((frames == want && frames > 0)) || tp_fail "$f: $frames frames, manifest says $want"
		[[ -s $TP_WORK/$size/$case.pkt && -s $TP_WORK/$size/$case.lua ]] ||
			tp_fail "no pktgen scripts for $case"
	done <"$TP_WORK/frames.txt"
	# Every frame of the twelve, in one tshark run (each costs seconds to start): the UDP
	# checksum good, and the IPv4 header checksum where IPv4.
	mergecap -a -F pcap -w "$TP_WORK/$size.all.pcap" "${pcaps[@]}" || tp_fail "mergecap"
	timeout 60 tshark -r "$TP_WORK/$size.all.pcap" -o ip.check_checksum:TRUE \
		-o udp.check_checksum:TRUE -T fields -E occurrence=f -e frame.number -e ipv6.src \
		-e ip.checksum.status -e udp.checksum.status 2>/dev/null >"$TP_WORK/status.txt" ||
		tp_fail "tshark cannot read the pcaps"
	frames=$(wc -l <"$TP_WORK/status.txt")
	want=$(jq '[.cases[].frames] | add' "$TP_WORK/$size/manifest.json")
	awk -F'\t' '$4 != "1" || ($2 == "" && $3 != "1")' "$TP_WORK/status.txt" >"$TP_WORK/bad.txt"
	bad=$(wc -l <"$TP_WORK/bad.txt")
	echo "--size $size: 12 pcaps, $frames frames, $bad with a bad or missing checksum"
	((frames == want)) || tp_fail "tshark read $frames frames of $want"
	((bad == 0)) || { head "$TP_WORK/bad.txt" >&2; tp_fail "$bad frames with a bad checksum"; }
done

# Replay: every pcap, $loops times, onto h0; turnpike's fast path relays back to the hosts.
for size in 100 imix; do
	for f in "$TP_WORK/$size"/*.pcap; do
		H timeout 30 tcpreplay -q -i h0 --topspeed --loop="$loops" "$f" >"$TP_WORK/replay.log" 2>&1 ||
			{ cat "$TP_WORK/replay.log" >&2; tp_fail "tcpreplay $f"; }
	done
done
sleep 0.5 # the last datagrams into the sockets

kill -TERM "$setup"
status=0
wait "$setup" || status=$?
tail -n 3 "$TP_WORK/setup.log"
((status == 0)) || { cat "$TP_WORK/setup.log" >&2; tp_fail "setup.py exited $status"; }

# Where each datagram arrived, against the manifests; the fast path's counters, as the metrics
# publish them (once a second: until they have counted every frame), against the frames.
cat >"$TP_WORK/check.py" <<'PY'
import json, sys
from prometheus_client.parser import text_string_to_metric_families

wait = sys.argv[1] == "--wait"
args = sys.argv[2:] if wait else sys.argv[1:]
counts, loops, metrics, mode = json.load(open(args[0])), int(args[1]), args[2], args[3]
want, frames = {}, {}
for m in args[4:]:
    for case, c in json.load(open(m))["cases"].items():
        for k, n in c["expect"].items():
            want[k] = want.get(k, 0) + n * loops
        frames[c["counter"]] = frames.get(c["counter"], 0) + c["frames"] * loops
stats = {}
for fam in text_string_to_metric_families(open(metrics).read()):
    for s in fam.samples:
        if s.name == "turnpike_dataplane_frames_total" and s.value:
            stats[s.labels["action"] + ":" + s.labels["reason"]] = int(s.value)
if wait:
    sys.exit(0 if all(stats.get(k, 0) >= n for k, n in frames.items()) else 1)
got = counts["received"]
bad = sorted(k for k in set(want) | set(got) if want.get(k, 0) != got.get(k, 0))
for k in bad[:20]:
    print(f"FAIL {k}: {got.get(k, 0)} datagrams, want {want.get(k, 0)}")
print(f"{len(want)} destinations, {sum(want.values())} datagrams expected, "
      f"{sum(got.values())} received; {counts['refreshes']} refreshes answered")
failures = len(bad) + (counts["refreshes"] == 0) + (counts["failures"] != 0)
for counter, n in sorted(frames.items()):
    ok = stats.get(counter, 0) == n
    print(f"{'ok  ' if ok else 'FAIL'} {mode} {counter}: {stats.get(counter, 0)}, replayed {n}")
    failures += not ok
drops = {k: v for k, v in stats.items() if k.startswith("drop:")}
if drops:
    print(f"FAIL the fast path dropped: {drops}")
    failures += 1
sys.exit(1 if failures else 0)
PY
check=("$TP_WORK/counts.json" "$loops" "$TP_WORK/metrics.txt" "$mode"
	"$TP_WORK/100/manifest.json" "$TP_WORK/imix/manifest.json")
counted() {
	R "$py" -c 'import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1],
		timeout=5).read().decode())' "http://127.0.0.1:$TP_METRICS_PORT/metrics" \
		>"$TP_WORK/metrics.txt" && "$py" "$TP_WORK/check.py" --wait "${check[@]}"
}
tp_wait_for "the metrics to count every replayed frame" "" "$TP_PID" counted || true
"$py" "$TP_WORK/check.py" "${check[@]}" || tp_fail "counts"
tp_stop_turnpike
echo "PASS: pktgen pcaps, $mode (24 pcaps checked, replayed $loops times each)"
