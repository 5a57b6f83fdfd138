#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# perf's samples on the XDP program's instructions, as the JIT made them: bench/xdp-profile.sh
# hands over `perf script -F ip,sym,symoff` output and the directory xdp_bench wrote the JIT
# code of one case into (one file per BPF function, named as /proc/kallsyms names it). Prints
# each function's share of the samples that fell in the program (the baseline program's and
# the kernel's own are not counted), then the TOP instructions by samples. A cpu-clock sample
# lands on the instruction after the one the CPU was waiting for, so each line shows the
# instruction before as well: a load there that takes many samples is a miss.
#
# Samples taken with call chains (perf record -g) that fell in what the program called (a
# helper, a map's lookup) count too, each under the kernel function and the program's call
# site.
#
# usage: jit_annotate.py SAMPLES JIT_DIR TOP
# Exits 1 when no sample fell in the program: nothing to annotate.
import collections
import os
import re
import subprocess
import sys

FRAME = re.compile(r"^\s*[0-9a-f]+\s+(\S+?)(?:\+0x([0-9a-f]+))?(?:\s|$)")
INSN = re.compile(r"^\s*([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(.*)$")


def disassemble(path):
    """Instructions of one function's x86 machine code: a list of (offset, text)."""
    out = subprocess.run(["objdump", "-D", "-b", "binary", "-m", "i386:x86-64", path],
                         check=True, capture_output=True, text=True).stdout
    insns = []
    for line in out.splitlines():
        m = INSN.match(line)
        if m and m.group(2):
            insns.append((int(m.group(1), 16), " ".join(m.group(2).split())))
    return insns


def samples(path):
    """Each sample's frames, leaf first: lists of (symbol, offset); an offset of -1 where perf
    has none ([unknown]). perf script prints a sample's call chain a frame a line, and a blank
    line after it (with -g; without, each sample is one line and one frame)."""
    frames = []
    with open(path) as f:
        for line in f:
            m = FRAME.match(line)
            if m:
                frames.append((m.group(1), int(m.group(2), 16) if m.group(2) else -1))
            elif not line.strip() and frames:
                yield frames
                frames = []
    if frames:
        yield frames


def short(name):
    return name.split("_", 3)[-1] if name.startswith("bpf_prog_") else name


def main():
    samples_path, jit_dir, top = sys.argv[1], sys.argv[2], int(sys.argv[3])
    funcs = {f[:-4]: disassemble(os.path.join(jit_dir, f))
             for f in sorted(os.listdir(jit_dir)) if f.endswith(".bin")}
    per_insn = collections.Counter()
    per_func = collections.Counter()
    for frames in samples(samples_path):
        ours = next((i for i, (sym, _) in enumerate(frames) if sym in funcs), None)
        if ours is None:
            continue
        if ours == 0:
            per_insn[frames[0]] += 1
            per_func[frames[0][0]] += 1
        else:  # in what the program called: a helper, a map's lookup; by its call site
            call = f"{frames[ours - 1][0]} from {short(frames[ours][0])}+{frames[ours][1]:#x}"
            per_insn[(call, None)] += 1
            per_func["(helpers and maps: kernel code)"] += 1
    total = sum(per_func.values())
    if not total:
        print("no sample fell in the program's functions", file=sys.stderr)
        return 1
    print(f"{total} samples in the program and what it calls")
    print(f"{'function':48} {'samples':>8} {'share':>6} {'bytes':>7}")
    for name, n in per_func.most_common():
        size = os.path.getsize(os.path.join(jit_dir, name + ".bin")) if name in funcs else ""
        print(f"{name:48} {n:8} {100 * n / total:5.1f}% {size:>7}")
    print()
    print(f"{'samples':>7} {'share':>6}  {'where':40} {'the instruction before':38} instruction")
    for (name, off), n in per_insn.most_common(top):
        if off is None:
            print(f"{n:7} {100 * n / total:5.1f}%  {name}")
            continue
        insns = funcs[name]
        at = next((i for i, (o, _) in enumerate(insns) if o == off), None)
        before = insns[at - 1][1] if at else "-"
        here = insns[at][1] if at is not None else "?"
        print(f"{n:7} {100 * n / total:5.1f}%  {short(name) + '+' + hex(off):40} {before:38} {here}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
