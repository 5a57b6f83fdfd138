#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# Where the XDP program's time goes, instruction by instruction, for one case: xdp_bench runs
# the case under `perf record -g -e cpu-clock` (no hardware counters needed) and writes the
# program's JIT code out while it is loaded (XDP_BENCH_JIT); jit_annotate.py puts the samples
# on the disassembled instructions. No libbfd needed, which Debian's bpftool and perf lack for
# JIT code. Root.
#
# usage: bench/xdp-profile.sh XDP_BENCH_BINARY XDP_DROP_OBJECT [CASE] [RUNS] [TOP]
#   CASE  one of xdp_bench's cases (default cd4-to-udp4); RUNS its runs (default 200000);
#   TOP   how many instructions to list (default 30)
#   WAY=live (the default), one, or both: xdp_bench's live frames (warm, as under a driver),
#   its one frame a run (cold), or both
set -euo pipefail
[ $# -ge 2 ] || { sed -n 's/^# \{0,1\}//p' "$0" | sed -n '3,14p'; exit 2; }
bench=$1 drop=$2 case=${3:-cd4-to-udp4} runs=${4:-200000} top=${5:-30}
for tool in perf objdump; do
	command -v $tool >/dev/null ||
		{ echo "xdp-profile.sh: $tool is not installed (linux-perf, binutils)" >&2; exit 1; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

way=${WAY:-live}
[[ $way != both ]] || way=
env ${way:+"XDP_BENCH_WAY=$way"} XDP_BENCH_JIT="$work/jit" \
	perf record -q -g -e cpu-clock -F 20000 -o "$work/perf.data" -- "$bench" "$drop" "$runs" "$case"
perf script -i "$work/perf.data" -F ip,sym,symoff 2>/dev/null >"$work/samples"
/usr/bin/python3 "$(dirname "$0")/jit_annotate.py" "$work/samples" "$work/jit/$case" "$top"
