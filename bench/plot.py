#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""PNG plots of bench/scaling.sh's output: relayed throughput against active bindings,
against payload size and against worker lcores (medians over rounds, as its tables).

usage: bench/plot.py SCALING_OUTPUT [OUTDIR]
  SCALING_OUTPUT: what scaling.sh printed (its "scaling ..." and "machine: ..." lines);
  OUTDIR (bench/): scaling-bindings.png, scaling-size.png, scaling-workers.png there.
Needs Debian's python3-matplotlib (scripts/install-deps).
"""
import os
import statistics
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

IMIX_MEAN = (7 * 64 + 4 * 594 + 1400) / 12  # tp_pktgen's IMIX: 352 bytes on average


def read(path):
    """The points of a scaling.sh output: {(total-bindings, workers, size): [fields, ...]},
    the machine line, the case, and the sweeps' binding counts ("scaling-config" line)."""
    points, machine, case, conf = {}, "", "", {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if line.startswith("machine:"):
                machine = line[len("machine:"):].strip()
            if w and w[0] == "scaling-config":
                conf = dict(zip(w[1::2], (int(x) for x in w[2::2])))
            if not w or w[0] != "scaling" or len(w) % 2:
                continue
            case = w[1]
            kv = dict(zip(w[2::2], w[3::2]))
            key = (int(kv["total-bindings"]), int(kv["workers"]), kv["size"])
            points.setdefault(key, []).append(kv)
    return points, machine, case, conf


def med(rows, field):
    return statistics.median(float(r[field].rstrip("%")) for r in rows)


def style(ax, title, machine):
    ax.set_title(title, fontsize=11)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_ylim(bottom=0)
    ax.figure.text(0.01, 0.01, machine, fontsize=7, color="0.4")
    ax.figure.tight_layout(rect=(0, 0.03, 1, 1))


def mpps_line(pts):
    """A figure with one line of relayed Mpps over pts [(x, Mpps)], each point labelled."""
    fig, ax = plt.subplots(figsize=(6.4, 4))
    xs, ys = zip(*pts)
    ax.plot(xs, ys, "o-", color="tab:blue")
    for x, y in pts:
        ax.annotate(f"{y:.2f}", (x, y), textcoords="offset points", xytext=(0, 7),
                    ha="center", fontsize=8)
    return fig, ax, xs


def plot_bindings(points, machine, case, conf, out):
    pts = sorted((b, med(r, "relayed") / 1e6) for (b, w, s), r in points.items()
                 if w == 1 and s == "64")
    if not pts:
        return None
    fig, ax, xs = mpps_line(pts)
    ax.set_xscale("log")
    ax.set_xlabel("active channel bindings in the tables")
    ax.set_ylabel("relayed Mpps")
    style(ax, f"turnpike dpdk, 1 worker, {case}, 64-byte payloads", machine)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_sizes(points, machine, case, conf, out):
    rows = {(b, s): r for (b, w, s), r in points.items() if w == 1}
    b = conf.get("size-bindings")
    if sum(1 for bb, _ in rows if bb == b) < 2:
        return None
    fixed = sorted((int(s), rows[(b, s)]) for (bb, s) in rows if bb == b and s != "imix")
    fig, ax = plt.subplots(figsize=(6.4, 4.6))
    ax2 = ax.twinx()
    xs = [s for s, _ in fixed]
    ax.plot(xs, [med(r, "relayed") / 1e6 for _, r in fixed], "o-", color="tab:blue",
            label="Mpps")
    ax2.plot(xs, [med(r, "gbps") for _, r in fixed], "s--", color="tab:orange", label="Gbps")
    if (b, "imix") in rows:
        r = rows[(b, "imix")]
        ax.plot([IMIX_MEAN], [med(r, "relayed") / 1e6], "D", color="tab:green",
                label="IMIX Mpps (mean 352 B)")
        ax2.plot([IMIX_MEAN], [med(r, "gbps")], "D", color="tab:red",
                 label="IMIX Gbps")
    ax.set_xlabel("payload bytes (application data)")
    ax.set_ylabel("relayed Mpps", color="tab:blue")
    ax2.set_ylabel("relayed Gbps (Ethernet frames)", color="tab:orange")
    ax2.set_ylim(bottom=0)
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], fontsize=8, ncol=4,
              loc="upper center", bbox_to_anchor=(0.5, -0.14))
    style(ax, f"turnpike dpdk, 1 worker, {case}, {b} bindings", machine)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def plot_workers(points, machine, case, conf, out):
    b = conf.get("lcore-bindings")
    pts = sorted((w, med(r, "relayed") / 1e6) for (bb, w, s), r in points.items()
                 if bb == b and s == "64")
    if not pts:
        return None
    fig, ax, xs = mpps_line(pts)
    ax.set_xticks(xs)
    ax.set_xlim(0.5, max(xs) + 0.5)
    ax.set_xlabel("worker lcores")
    ax.set_ylabel("relayed Mpps")
    note = "\n(one worker: all this machine has beside the generator)" if len(xs) == 1 else ""
    style(ax, f"turnpike dpdk, {case}, {b} bindings, 64 B{note}", machine)
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    outdir = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(__file__))
    points, machine, case, conf = read(sys.argv[1])
    if not points:
        sys.exit(f"plot.py: no 'scaling' lines in {sys.argv[1]}")
    for fn, name in ((plot_bindings, "scaling-bindings.png"), (plot_sizes, "scaling-size.png"),
                     (plot_workers, "scaling-workers.png")):
        made = fn(points, machine, case, conf, os.path.join(outdir, name))
        print(f"plot.py: {made or name + ': nothing to plot'}")


if __name__ == "__main__":
    main()
