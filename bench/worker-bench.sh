#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The DPDK worker's own cost per frame against the number of bindings in its tables, without
# the noise of a second process: worker_bench (one thread plays the worker; see
# bench/worker_bench.c) at each binding count, ROUNDS times, alternating counts, medians.
# Prints worker_bench's own tables, then one: per case, TSC cycles per frame at each count,
# the rate one worker core would reach at the largest count's cost, and that rate against
# the smallest count's.
#
# Hugepages (2 MB), as a relay appliance runs: enough for the largest count (about 300 bytes
# a binding slot, two slots a hairpin binding), reserved here and given back at the end;
# HUGE=0 runs with --no-huge instead (4 kB pages: every table access risks a TLB miss).
#
# usage: bench/worker-bench.sh BUILD_DIR [FRAMES] [BINDINGS] [CASES]
#   FRAMES timed per case and count (2000000); BINDINGS, a space-separated list of totals
#   (1000 100000 1000000), shared evenly by the cases; CASES, comma-separated names (all
#   twelve). ROUNDS (3). LCORES (0,1): worker_bench runs on the first. RESOLVE=1: next hops
#   from the neighbour table (a gateway, as without dpdk.nexthop-mac), not a static MAC.
#   (root; bounded: every run under `timeout`)
set -euo pipefail
build=$(cd "$1" && pwd)
frames=${2:-2000000} binding_list=${3:-1000 100000 1000000} cases=${4:-all}
rounds=${ROUNDS:-3} lcores=${LCORES:-0,1} resolve=()
[ "${RESOLVE:-0}" = 0 ] || resolve=(--resolve)
bench=$build/bench/worker_bench
# shellcheck source=bench/dpdk-lib.sh
. "$(dirname "$0")/dpdk-lib.sh"

if [ "$cases" = all ]; then
	ncases=12 nhairpin=4
else
	ncases=$(tr ',' '\n' <<<"$cases" | grep -c .)
	nhairpin=$(tr ',' '\n' <<<"$cases" | grep -c '^cd[46]-to-cd[46]$' || true)
fi
largest=0
for b in $binding_list; do [ "$b" -gt "$largest" ] && largest=$b; done
per_case() { echo $(($1 / ncases > 0 ? $1 / ncases : 1)); }
mem_for() { # MB for a total of BINDINGS
	echo $((256 + $(per_case "$1") * (ncases + nhairpin) * 300 / 1000000))
}
mem=$(mem_for "$largest")
if [ "${HUGE:-1}" != 0 ] && ! huge_reserve $((mem / 2 + 64)); then
	echo "worker-bench: cannot reserve $((mem / 2 + 64)) hugepages of 2 MB (HUGE=0 runs" \
		"without)" >&2
	exit 1
fi

for r in $(seq "$rounds"); do
	for b in $binding_list; do
		echo "worker-bench: round $r of $rounds: $b bindings" >&2
		# shellcheck disable=SC2046
		timeout $((120 + b / 5000)) "$bench" -l "$lcores" $(mem_args "$(mem_for "$b")") \
			--no-pci --no-shconf --no-telemetry --file-prefix "tpb-wb-$$" \
			--log-level='*:error' -- "${resolve[@]}" "$(per_case "$b")" "$frames" "$cases" |
			tee "$work/wb.$b.$r.out"
	done
done

echo
echo "TSC cycles per frame (medians of $rounds rounds), $frames frames a case and count; the"
echo "bindings are totals over the cases, the same number in each. Mpps: one worker core at"
echo "the largest count's cost; against the smallest count's."
echo
printf '| case |'
for b in $binding_list; do printf ' %s bindings |' "$b"; done
printf ' Mpps at %s | against %s |\n|---|' "$largest" "${binding_list%% *}"
for b in $binding_list; do printf -- '---:|'; done
echo '---:|---:|'
ghz=$(sed -n 's/.*TSC \([0-9.]*\) GHz.*/\1/p' "$work"/wb.*.1.out | head -1)
for f in "$work"/wb.*.out; do
	b=${f#"$work"/wb.} b=${b%%.*}
	awk -v b="$b" '$1 ~ /^c|^u/ && $2 ~ /^[0-9]+$/ { print $1, b, $3 }' "$f"
done | awk -v list="$binding_list" -v ghz="$ghz" "$awk_lib"'
	{ c[$1 " " $2] = c[$1 " " $2] " " $3; if (!($1 in seen)) { seen[$1]; order[++n] = $1 } }
	END {
		nb = split(list, bs, " ")
		for (i = 1; i <= n; i++) {
			row = "| " order[i] " |"
			for (j = 1; j <= nb; j++) {
				m[j] = median(c[order[i] " " bs[j]])
				row = row sprintf(" %.0f |", m[j])
			}
			printf "%s %.2f | %.2f |\n", row, ghz * 1000 / m[nb], m[1] / m[nb]
		}
	}'
