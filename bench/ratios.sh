#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
#
# The fast path's cost targets (issue 21) as ratios, in one command, measured in one sitting,
# so that anyone can check them on their own machine. Per case:
#   xdp / core    the XDP program's ns over its drop-only baseline (xdp_bench, one frame a
#                 run) against dataplane/core's ns (core_bench): target 2.5 at most
#   xdp live / core  the same for xdp_bench's live frames (a batch a run, code and tables
#                 warm, as under a driver): held to the same 2.5
#   worker / core the DPDK worker's cycles at SMALL bindings (worker_bench) against
#                 core_bench's cycles: target 1.3 at most
#   LARGE / SMALL the worker's rate at LARGE bindings against its rate at SMALL: target 0.8 at
#                 least
# core_bench and xdp_bench run ROUNDS times, alternating; worker-bench.sh its own ROUNDS
# rounds, alternating the two counts; every figure a median. Prints one markdown table, and
# how many cases meet each target. It judges nothing: it exits 0 whatever the ratios are,
# non-zero only when a bench fails (each checks its frames against the golden vectors).
#
# usage: sudo bench/ratios.sh BUILD_DIR [ROUNDS] [SMALL] [LARGE]
#   ROUNDS (5); SMALL and LARGE, total bindings for the worker (1000, 1000000).
#   FRAMES (2000000), CORE_BATCHES (300), XDP_RUNS (20000): each bench's own size.
#   HUGE=0: the worker without hugepages (see worker-bench.sh). Without xdp_bench in the build
#   (meson -Dxdp=disabled) the xdp column is left out.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
rounds=${2:-5} small=${3:-1000} large=${4:-1000000}
frames=${FRAMES:-2000000} batches=${CORE_BATCHES:-300} runs=${XDP_RUNS:-20000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
have_xdp=0
[[ ! -x $build/bench/xdp_bench ]] || have_xdp=1

for r in $(seq "$rounds"); do
	echo "ratios: round $r of $rounds: core_bench$([[ $have_xdp == 0 ]] || echo ", xdp_bench")" >&2
	timeout 300 "$build/bench/core_bench" "$batches" >"$work/core.$r"
	[[ $have_xdp == 0 ]] ||
		env -u XDP_BENCH_WAY -u XDP_BENCH_JIT timeout 300 "$build/bench/xdp_bench" \
			"$build/bench/xdp_drop.bpf.o" "$runs" >"$work/xdp.$r"
done
echo "ratios: worker-bench.sh, $rounds rounds of $small and $large bindings" >&2
ROUNDS=$rounds bash "$here/worker-bench.sh" "$build" "$frames" "$small $large" >"$work/worker"
# The permission flows' eight, in send and permission tables of their own size.
echo "ratios: worker-bench.sh, the permission flows' cases" >&2
ROUNDS=$rounds bash "$here/worker-bench.sh" "$build" "$frames" "$small $large" perm \
	>>"$work/worker"

python3 - "$work" "$rounds" "$small" "$large" "$have_xdp" <<'PY'
import statistics
import sys

work, rounds, small, large, have_xdp = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], \
    sys.argv[5] == "1"


def rows(path, fields):
    """case -> the fields of its line, for the lines that start with a case name."""
    out = {}
    for line in open(path):
        f = line.replace("|", " ").split()
        if f and f[0].startswith(("cd", "udp", "send")) and f[1].isdigit():
            out[f[0]] = [float(f[i]) for i in fields]
    return out


def medians(prefix, fields):
    runs = [rows("%s/%s.%d" % (work, prefix, r), fields) for r in range(1, rounds + 1)]
    return {c: [statistics.median(run[c][i] for run in runs) for i in range(len(fields))]
            for c in runs[0]}


core = medians("core", [4, 5])  # core ns, core cycles
xdp = medians("xdp", [3, 5]) if have_xdp else {}  # ns over the baselines: one frame, live
# worker-bench.sh's table: | case | SMALL bindings | LARGE bindings | Mpps | against |
worker = {}
for line in open(work + "/worker"):
    f = [x.strip() for x in line.strip().strip("|").split("|")]
    if len(f) >= 3 and f[0] in core:
        worker[f[0]] = (float(f[1]), float(f[2]))

head = ["case", "core ns", "core cycles"]
if have_xdp:
    head += ["xdp ns", "xdp / core (<= 2.5)", "xdp live ns", "xdp live / core (<= 2.5)"]
head += ["worker cycles at %s" % small, "worker / core (<= 1.3)",
         "worker cycles at %s" % large, "%s / %s rate (>= 0.8)" % (large, small)]
print("| " + " | ".join(head) + " |")
print("|---|" + "---:|" * (len(head) - 1))
met = {"xdp": 0, "live": 0, "worker": 0, "scale": 0}
for case, (ns, cycles) in core.items():
    cells = [case, "%.1f" % ns, "%.0f" % cycles]
    if have_xdp:
        x, live = xdp[case]
        cells += ["%.0f" % x, "%.2f" % (x / ns), "%.0f" % live, "%.2f" % (live / ns)]
        met["xdp"] += x / ns <= 2.5
        met["live"] += live / ns <= 2.5
    if case in worker:
        w_small, w_large = worker[case]
        cells += ["%.0f" % w_small, "%.2f" % (w_small / cycles), "%.0f" % w_large,
                  "%.2f" % (w_small / w_large)]
        met["worker"] += w_small / cycles <= 1.3
        met["scale"] += w_small / w_large >= 0.8
    else:
        cells += ["n/a"] * 4
    print("| " + " | ".join(cells) + " |")
n = len(core)
print()
if have_xdp:
    print("xdp / core at most 2.5: %d of %d cases" % (met["xdp"], n))
    print("xdp live / core at most 2.5: %d of %d cases" % (met["live"], n))
print("worker / core at most 1.3: %d of %d cases" % (met["worker"], len(worker)))
print("%s / %s rate at least 0.8: %d of %d cases" % (large, small, met["scale"], len(worker)))
PY
