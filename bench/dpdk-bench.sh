#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The dpdk dataplane against the ceiling of its port, in one run: tp_pktgen (a memif server)
# sends each rewrite case's frames, cycling over every binding of the case, first to
# dpdk-testpmd in io-forward (returns every frame untouched: the most any forwarder on this
# port can do), then to turnpike in dpdk mode with one worker lcore, holding BINDINGS
# channel bindings set up through its real control plane. Both are memif clients on the
# same socket with the same lcores, descriptors and burst size. Prints one table: per case,
# the frames per second each returned and turnpike's share of testpmd's.
#
# No NIC, no namespaces: memif between processes on this machine (bench/dpdk-lib.sh sets it
# up). Hugepages, as a relay appliance runs (2 MB pages, 1600 reserved here and given back at
# the end); HUGE=0 runs all three processes with --no-huge instead (4 kB pages: every table
# access risks a TLB miss).
#
# usage: bench/dpdk-bench.sh BUILD_DIR [SECONDS] [BINDINGS] [SIZE] [CASE]
#   SECONDS per case (3), BINDINGS in the relay groups (100000), SIZE payload bytes (64; 16 to
#   1400, or imix), CASE one case's name (all twelve otherwise). ROUNDS (3): each DUT runs
#   that many times, alternating; the table shows medians. RATE (frames per second, 0: flat
#   out) paces the generator.
#   DUT_LCORES (default 0,1: the control thread or testpmd's main, then one worker) and
#   GEN_LCORES (default: 2,3 where there are 4 CPUs or more, else 0; with two, one sends
#   and the other receives) place the processes.
#   (root; bounded: every process runs under `timeout`)
set -euo pipefail
build=$(cd "$1" && pwd)
seconds=${2:-3} bindings=${3:-100000} size=${4:-64} only=${5:-} rounds=${ROUNDS:-3}
# shellcheck source=bench/dpdk-lib.sh
. "$(dirname "$0")/dpdk-lib.sh"
[ -n "$only" ] && case_arg=(--case "$only")
gen_extra=(--rate "${RATE:-0}")
command -v dpdk-testpmd >/dev/null || { echo "dpdk-testpmd not found (Debian: dpdk)" >&2; exit 1; }

# Each process 1 GiB: the relay's tables and mbufs, the generator's frames.
if [ "${HUGE:-1}" != 0 ] && ! huge_reserve 1600; then
	echo "cannot reserve 1600 hugepages of 2 MB (HUGE=0 runs without)" >&2
	exit 1
fi

# Rounds alternate the two, so that the machine's slow and fast spells fall on both; each
# case's figure is its median over the rounds.
for r in $(seq "$rounds"); do
	echo "dpdk-bench: round $r of $rounds: testpmd" >&2
	run_testpmd "$work/testpmd.$r.out"
	echo "dpdk-bench: round $r of $rounds: turnpike" >&2
	run_turnpike "$work/turnpike.$r.out"
done

grep -h "^setup\|^case" "$work"/testpmd.*.out "$work"/turnpike.*.out
echo
echo "turnpike's counters, last round:"
grep "stats: dpdk" "$work/turnpike.log" | sed 's/^.*stats: dpdk /  /'
echo
echo "Median of $rounds rounds, $seconds s each, payloads of $size bytes, rate ${RATE:-0} (0: flat"
echo "out); frames per second returned, relayed Gbps, loss, latency percentiles (µs)."
echo
echo "| case | bindings | testpmd io-forward | turnpike, 1 worker | turnpike / testpmd | turnpike Gbps | loss | p50 / p99 / p99.9 µs | checksums checked (bad) |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for f in "$work"/testpmd.*.out; do sed 's/^case /pmd /' "$f"; done >"$work/all"
cat "$work"/turnpike.*.out >>"$work/all"
awk "$awk_lib"'
	$1 == "pmd" { kv(); pmd[$2] = pmd[$2] " " v["relayed"]; next }
	$1 == "case" {
		kv()
		if (!($2 in tp)) order[n++] = $2
		tp[$2] = tp[$2] " " v["relayed"]; bind[$2] = v["bindings"]
		chk[$2] += v["checked"]; bad[$2] += v["bad-checksums"]
		gb[$2] = gb[$2] " " v["gbps"]; loss[$2] = loss[$2] " " (v["loss"] + 0)
		p50[$2] = p50[$2] " " v["p50-us"]; p99[$2] = p99[$2] " " v["p99-us"]
		p999[$2] = p999[$2] " " v["p99.9-us"]
	}
	END {
		for (i = 0; i < n; i++) {
			c = order[i]; p = median(pmd[c]); t = median(tp[c])
			r = p > 0 ? t / p : 0
			printf "| %s | %d | %.0f | %.0f | %.2f | %.2f | %.2f%% | %.1f / %.1f / %.1f | %d (%d) |\n",
				c, bind[c], p, t, r, median(gb[c]), median(loss[c]), median(p50[c]),
				median(p99[c]), median(p999[c]), chk[c], bad[c]
			if (r < 0.5) low++
			if (t == 0 || bad[c] || median(p50[c]) == 0) broken = broken " " c
		}
		if (low) printf "\n%d case(s) below half of testpmd\n", low
		# Speed is reported, never judged; what is wrong is: nothing relayed, a bad checksum,
		# no timestamp read back.
		if (broken) { printf "\nnot relayed, bad checksums or no latency:%s\n", broken; exit 1 }
	}
' "$work/all"
