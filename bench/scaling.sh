#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# How turnpike's dpdk dataplane scales, in one run: relayed frames per second against the
# number of active channel bindings in its tables, against the payload size, and against the
# number of worker lcores. tp_pktgen drives one rewrite case over memif exactly as in
# dpdk-bench.sh (the set-up is bench/dpdk-lib.sh, shared), cycling over every binding of the
# case's group while all the others stay in the tables.
#
#   bindings  BINDINGS (1000 100000 1000000), 1 worker, 64-byte payloads; at SIZE_BINDINGS
#             (100000) also every size of SIZES (64,128,256,512,1024,1400,imix)
#   workers   1 to what the machine has: nproc minus the generator's lcores (two on 4 CPUs or
#             more, else one shared) and turnpike's main lcore, at least 1; at LCORE_BINDINGS
#             (100000), 64-byte payloads, as many memif queue pairs as workers
#
# Hugepages: 2 MB pages for the largest run, (generator + relay memory) / 2 MB + 64: 1 838
# pages (3.7 GB) for 1M bindings, 1 163 for 100k; fewer where the kernel gives fewer, and then the largest
# binding count that fits instead (said so). HUGE=0: no hugepages (--no-huge, 4 kB pages).
#
# usage: bench/scaling.sh BUILD_DIR [SECONDS] [BINDINGS] [CASE]
#   SECONDS per point (2), BINDINGS a space-separated list, CASE one of the eight relay cases
#   (cd4-to-udp4). ROUNDS (1): the whole sequence that many times, medians shown. WORKERS:
#   a space-separated list of worker counts instead of 1..max. Prints "scaling ..." lines
#   (bench/plot.py draws them) and three tables; PLOT_DIR: draw them there too.
#   (root; bounded: every process runs under `timeout`)
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=${2:-2} binding_list=${3:-1000 100000 1000000} only=${4:-cd4-to-udp4}
rounds=${ROUNDS:-1} sizes=${SIZES:-64,128,256,512,1024,1400,imix}
size_bindings=${SIZE_BINDINGS:-100000} lcore_bindings=${LCORE_BINDINGS:-100000}
ncpu=$(nproc)
# The generator: the last two CPUs where there are 4 or more, else CPU 0 (shared).
if [ -z "${GEN_LCORES:-}" ]; then
	if [ "$ncpu" -ge 4 ]; then GEN_LCORES=$((ncpu - 2)),$((ncpu - 1)); else GEN_LCORES=0; fi
fi
# shellcheck source=bench/dpdk-lib.sh
. "$(dirname "$0")/dpdk-lib.sh"
case "$only" in
cd[46]-to-udp[46] | udp[46]-to-cd[46]) ;;
*) echo "scaling: CASE must be one of the eight relay cases (not a hairpin)" >&2; exit 1 ;;
esac
case_arg=(--case "$only")

gen_cpus=$(($(tr ',' '\n' <<<"$GEN_LCORES" | wc -l)))
max_workers=$((ncpu - gen_cpus - 1))
shared=
if [ "$max_workers" -lt 1 ]; then max_workers=1 shared=1; fi
worker_list=${WORKERS:-$(seq -s ' ' 1 "$max_workers")}

# Memory per process (MB) for a binding count: the relay's tables, value arrays and
# per-worker counters grow ~1 kB a binding; the generator holds a frame per binding of the
# case's group (a quarter of them), ~1.8 kB each.
dut_mem_for() { echo $((1024 + $1 / 1000)); }
gen_mem_for() { echo $((1024 + $1 / 2000)); }
pages_for() { echo $((($(dut_mem_for "$1") + $(gen_mem_for "$1")) / 2 + 64)); }

largest=0
for b in $binding_list $size_bindings $lcore_bindings; do [ "$b" -gt "$largest" ] && largest=$b; done
if [ "${HUGE:-1}" != 0 ]; then
	want=$(pages_for "$largest")
	echo "scaling: reserving $want hugepages of 2 MB ($((want * 2)) MB) for $largest bindings" >&2
	if ! huge_reserve "$want"; then
		# The largest count that fits in what the kernel gave, to a thousand.
		fit=$(((got_pages - 64 - 1024) * 2 * 2000 / 3 / 1000 * 1000))
		echo "scaling: got only $got_pages hugepages: the largest binding count that fits" \
			"is $fit; runs above it use $fit instead" >&2
		[ "$fit" -ge 1000 ] || { echo "scaling: too few hugepages (HUGE=0 runs without)" >&2; exit 1; }
		clamp() { if [ "$1" -gt "$fit" ]; then echo "$fit"; else echo "$1"; fi; }
		new_list=
		for b in $binding_list; do new_list="$new_list $(clamp "$b")"; done
		binding_list=$(tr ' ' '\n' <<<"$new_list" | sed '/^$/d' | sort -nu | tr '\n' ' ')
		size_bindings=$(clamp "$size_bindings") lcore_bindings=$(clamp "$lcore_bindings")
	fi
fi

# The runs: bindings (the size list at SIZE_BINDINGS), then workers 2.. (1 is a bindings run
# when LCORE_BINDINGS is in the list).
runs=()
for b in $binding_list; do
	s=64
	[ "$b" = "$size_bindings" ] && s=$sizes
	runs+=("$b 1 $s")
done
grep -qw "$size_bindings" <<<"$binding_list" || runs+=("$size_bindings 1 $sizes")
for w in $worker_list; do
	[ "$w" = 1 ] && grep -qw "$lcore_bindings" <<<"$binding_list" && continue
	runs+=("$lcore_bindings $w 64")
done

echo "machine: $ncpu CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')), $(uname -r);" \
	"generator on lcores $GEN_LCORES, turnpike's main lcore 0${shared:+, sharing CPUs: noisy}" |
	tee "$work/results"
echo "case $only, $seconds s a point, $rounds round(s); ${#runs[@]} runs a round"
echo "scaling-config size-bindings $size_bindings lcore-bindings $lcore_bindings" | tee -a "$work/results"
total=$((${#runs[@]} * rounds)) i=0
for r in $(seq "$rounds"); do
	for run in "${runs[@]}"; do
		read -r bindings workers size <<<"$run"
		i=$((i + 1))
		echo "scaling: run $i of $total: $bindings bindings, $workers worker(s), sizes $size" >&2
		max_bindings=$((bindings + bindings / 4 + 4096))
		dut_mem=$(dut_mem_for "$bindings") gen_mem=$(gen_mem_for "$bindings")
		dut_lcores=0-$workers
		gen_extra=(--pairs 0 --queues "$workers" --rate "${RATE:-0}")
		out=$work/run.$i.out
		run_turnpike "$out"
		grep "^setup" "$out" | sed "s/^/  /"
		sed -n "s/^case \([^ ]*\) /scaling \1 total-bindings $bindings workers $workers round $r /p" \
			"$out" | tee -a "$work/results"
	done
done

echo
awk "$awk_lib"'
	function add(k) {
		if (!(k in pps)) keys[nk++] = k
		pps[k] = pps[k] " " v["relayed"]; gb[k] = gb[k] " " v["gbps"]
		p50[k] = p50[k] " " v["p50-us"]; p99[k] = p99[k] " " v["p99-us"]
		loss[k] = loss[k] " " (v["loss"] + 0); bad += v["bad-checksums"]
	}
	function row(k, label, base) {
		printf "| %s | %.0f | %.2f | %.2f%% | %.1f | %.1f | %s |\n", label, median(pps[k]),
			median(gb[k]), median(loss[k]), median(p50[k]), median(p99[k]),
			(base > 0 ? sprintf("%.2f", median(pps[k]) / base) : "n/a")
		if (median(pps[k]) == 0) broken = broken " " label
	}
	$1 == "scaling" {
		kv()
		b = v["total-bindings"]; w = v["workers"]; s = v["size"]
		if (w == 1 && s == 64) add("b " b)
		if (w == 1 && b == sb) add("s " s)
		if (s == 64 && b == lb) add("w " w)
	}
	# One table: the rows whose key starts with prefix, each against base.
	function table(title, col, vs, prefix, base,   i) {
		print title ":"
		print ""
		print "| " col " | pps | Gbps | loss | p50 µs | p99 µs | " vs " |"
		print "|---:|---:|---:|---:|---:|---:|---:|"
		for (i = 0; i < nk; i++)
			if (index(keys[i], prefix) == 1) row(keys[i], substr(keys[i], 3), base)
	}
	END {
		for (i = 0; i < nk && !fewest; i++) if (keys[i] ~ /^b /) fewest = median(pps[keys[i]])
		table("Throughput against active bindings (1 worker, 64-byte payloads)", "bindings",
			"vs the fewest", "b ", fewest)
		print ""
		table("Throughput against payload size (" sb " bindings, 1 worker)", "payload bytes",
			"vs 64 bytes", "s ", median(pps["s 64"]))
		print ""
		table("Throughput against worker lcores (" lb " bindings, 64-byte payloads)", "workers",
			"vs 1 worker", "w ", median(pps["w 1"]))
		# Speed is reported, never judged; what is wrong is: nothing relayed, a bad checksum.
		if (bad) { print "\nbad checksums: " bad; exit 1 }
		if (broken) { print "\nnothing relayed at:" broken; exit 1 }
	}
' sb="$size_bindings" lb="$lcore_bindings" "$work/results"
[ -z "${PLOT_DIR:-}" ] || { mkdir -p "$PLOT_DIR" && /usr/bin/python3 "$(dirname "$0")/plot.py" "$work/results" "$PLOT_DIR"; }
