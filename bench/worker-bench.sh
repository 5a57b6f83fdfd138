#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The DPDK worker's own cost per frame against the number of bindings in its tables, without
# the noise of a second process: worker_bench (one thread plays the worker; see
# bench/worker_bench.c) at each binding count, ROUNDS times, alternating counts, medians.
# Prints worker_bench's own tables, then one: per case, TSC cycles per frame at each count,
# the rate one worker core would reach at the largest count's cost, and that rate against
# the smallest count's. With WORKERS, a second: at the largest count, the frames per second
# that many workers reach at once on the same tables (each on a CPU of its own, the first
# beside nothing but this script), against one worker.
#
# Hugepages (2 MB), as a relay appliance runs: enough for the largest count (about 300 bytes
# a binding slot, two slots a hairpin binding), reserved here and given back at the end;
# HUGE=0 runs with --no-huge instead (4 kB pages: every table access risks a TLB miss).
#
# usage: bench/worker-bench.sh BUILD_DIR [FRAMES] [BINDINGS] [CASES]
#   FRAMES timed per case and count (2000000); BINDINGS, a space-separated list of totals
#   (1000 100000 1000000), shared evenly by the cases; CASES, comma-separated names (all
#   twelve), or "perm": the permission flows' eight (Data and Send indications). ROUNDS (3). WORKERS: worker counts for the second table, a space-separated
#   list up to nproc, or "all" for 1 to nproc ("1", the default: no second table).
#   RESOLVE=1: next hops from the neighbour table (a gateway, as without dpdk.nexthop-mac),
#   not a static MAC.
#   (root; bounded: every run under `timeout`)
set -euo pipefail
build=$(cd "$1" && pwd)
frames=${2:-2000000} binding_list=${3:-1000 100000 1000000} cases=${4:-all}
rounds=${ROUNDS:-3} worker_list=${WORKERS:-1} resolve=()
[ "${RESOLVE:-0}" = 0 ] || resolve=(--resolve)
bench=$build/bench/worker_bench
# shellcheck source=bench/dpdk-lib.sh
. "$(dirname "$0")/dpdk-lib.sh"

if [ "$cases" = all ]; then
	ncases=12 nhairpin=4
elif [ "$cases" = perm ]; then
	ncases=8 nhairpin=0
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

[ "$worker_list" != all ] || worker_list=$(seq -s ' ' 1 "$(nproc)")
for w in $worker_list; do
	if [ "$w" -lt 1 ] || [ "$w" -gt "$(nproc)" ]; then
		echo "worker-bench: WORKERS: 1 to $(nproc) (this machine's CPUs)" >&2
		exit 2
	fi
done
# EAL lcores for W workers: the main lcore runs worker 0 on CPU 0 (lcore 1, worker 0's own,
# stays idle beside it); lcore k runs worker k-1 on CPU k-1.
lcores_for() {
	local l=0@0,1@0 k
	for ((k = 2; k <= $1; k++)); do l=$l,$k@$((k - 1)); done
	echo "$l"
}
one() { # BINDINGS WORKERS ROUND
	echo "worker-bench: round $3 of $rounds: $1 bindings, $2 worker(s)" >&2
	# shellcheck disable=SC2046
	timeout $((120 + $1 / 5000)) "$bench" --lcores "$(lcores_for "$2")" \
		$(mem_args "$(mem_for "$1")") --no-pci --no-shconf --no-telemetry \
		--file-prefix "tpb-wb-$$" --log-level='*:error' -- "${resolve[@]}" \
		"$(per_case "$1")" "$frames" "$cases" | tee "$work/wb.$1.$2.$3.out"
}
for r in $(seq "$rounds"); do
	for b in $binding_list; do one "$b" 1 "$r"; done
	for w in $worker_list; do [ "$w" = 1 ] || one "$largest" "$w" "$r"; done
done

# table HEAD KEYS FORMAT TAIL-TITLES TAIL-AWK < "case key value" lines: a markdown table with a
# row per case and a column per key of KEYS (titled "KEY HEAD"), each the median of the
# case's values for it (printf FORMAT); then the TAIL-TITLES columns, which TAIL-AWK prints
# from m[1..nk], the row's medians in the order of KEYS, and med(key), any key's median.
table() {
	local k bars=${4//[^|]/}
	printf '| case |'
	for k in $2; do printf ' %s%s |' "$k" "$1"; done
	printf '%s\n|---|' "$4"
	for k in $2; do printf -- '---:|'; done
	for ((k = 0; k < ${#bars}; k++)); do printf -- '---:|'; done
	echo
	awk -v list="$2" -v fmt="$3" "$awk_lib"'
		{ c[$1 " " $2] = c[$1 " " $2] " " $3; if (!($1 in seen)) { seen[$1]; order[++n] = $1 } }
		function med(key) { return median(c[order[i] " " key]) }
		END {
			nk = split(list, ks, " ")
			for (i = 1; i <= n; i++) {
				printf "| %s |", order[i]
				for (j = 1; j <= nk; j++) {
					m[j] = med(ks[j])
					printf " " fmt " |", m[j]
				}
				'"$5"'
			}
		}'
}

echo
echo "TSC cycles per frame (medians of $rounds rounds), $frames frames a case and count; the"
echo "bindings are totals over the cases, the same number in each. Mpps: one worker core at"
echo "the largest count's cost; against the smallest count's."
echo
ghz=$(sed -n 's/.*TSC \([0-9.]*\) GHz.*/\1/p' "$work"/wb.*.1.1.out | head -1)
for f in "$work"/wb.*.1.*.out; do
	b=${f#"$work"/wb.} b=${b%%.*}
	awk -v b="$b" '$1 ~ /^c|^u|^s/ && $2 ~ /^[0-9]+$/ { print $1, b, $3 }' "$f"
done | table " bindings" "$binding_list" "%.0f" \
	" Mpps at $largest | against ${binding_list%% *} |" \
	"printf \" %.2f | %.2f |\\n\", $ghz * 1000 / m[nk], m[1] / m[nk]"

[ "$worker_list" != 1 ] || exit 0
echo
echo "Frames per second (Mpps, medians of $rounds rounds) of that many workers at once on the"
echo "same tables, $largest bindings; against one worker."
echo
for f in "$work/wb.$largest".*.out; do
	w=${f#"$work/wb.$largest".} w=${w%%.*}
	awk -v w="$w" '$1 ~ /^c|^u/ && $2 ~ /^[0-9]+$/ { print $1, w, $6 }' "$f"
done | table " worker(s)" "$worker_list" "%.2f" " against 1 |" \
	'printf " %.2f |\n", m[nk] / med(1)'
