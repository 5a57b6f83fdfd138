#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# pcap files per rewrite case for pktgen-dpdk (or tcpreplay), made for the bindings that
# setup.py created on a running turnpike: one pcap per case present in bindings.json, its
# frames cycling over the case's bindings, each frame built by scapy (Debian's python3-scapy)
# with its IPv4 header and UDP checksums computed in full. Beside them, for each case a
# pktgen-dpdk command script (CASE.pkt) and Lua script (CASE.lua) that replay the pcap loaded
# with `-s PORT:CASE.pcap`, run-pktgen.sh that runs pktgen once per case, and manifest.json:
# per case the frames, the bytes, turnpike's counter that must count them, and where each
# relayed datagram must arrive (what setup.py --sink --counts reports).
#
#   cdC-to-udpR   ChannelData from the client to the relay's listen port (relayed: UDP to the peer)
#   udpR-to-cdC   UDP from the peer to the relayed address (relayed: ChannelData to the client)
#   cdA-to-cdB    ChannelData from hairpin client A on its channel to B's relayed address
#                 (hairpinned: ChannelData to client B)
#
# usage: make_pcaps.py BINDINGS.json OUTDIR --dst-mac MAC --src-mac MAC [--size N|imix]
#        [--frames-per-binding K] [--port P] [--seconds S] [--rate PCT]
import argparse
import json
import math
import multiprocessing
import os
import struct
import sys

from scapy.all import IP, UDP, Ether, IPv6, Raw

CASES = ["cd4-to-udp4", "cd4-to-udp6", "cd6-to-udp4", "cd6-to-udp6",
         "udp4-to-cd4", "udp4-to-cd6", "udp6-to-cd4", "udp6-to-cd6",
         "cd4-to-cd4", "cd4-to-cd6", "cd6-to-cd4", "cd6-to-cd6"]
# IMIX as bench/tp_pktgen.c sends it, so that the two compare: payloads of 64, 594 and 1400
# bytes, 7:4:1 (the simple IMIX's ratio), interleaved in the same 12-frame pattern. The most a
# 1500-byte MTU carries in every case (IPv6 + UDP + ChannelData header: 52 bytes) is 1448.
IMIX = [64, 594, 64, 64, 1400, 64, 594, 64, 64, 594, 64, 594]
MAX_PAYLOAD = 1448
TTL = 64


def kind(case):
    return "to-peer" if case.endswith(("udp4", "udp6")) else \
        "to-client" if case.startswith("udp") else "hairpin"


def counter(case):
    """turnpike's verdict for the case's frames (stats: xdp/dpdk ACTION:REASON)."""
    return {"to-peer": "relayed:to-peer", "to-client": "relayed:to-client",
            "hairpin": "hairpinned:hairpin"}[kind(case)]


def payload(case_no, i, size):
    """Data the peer or client receives: a tag (case, frame) and a fill, SIZE bytes."""
    tag = struct.pack("!4sHI", b"TPKG", case_no, i)[:size]
    return tag + bytes((i + k) & 0xFF for k in range(size - len(tag)))


def frame(src_mac, dst_mac, src, dst, ident, data):
    """Ethernet + IP + UDP, checksums left to scapy (full computation), padded to 60 bytes."""
    (sip, sport), (dip, dport) = src, dst
    if ":" in sip:
        l3 = IPv6(src=sip, dst=dip, hlim=TTL)
    else:
        l3 = IP(src=sip, dst=dip, ttl=TTL, id=ident & 0xFFFF, flags="DF")
    raw = bytes(Ether(src=src_mac, dst=dst_mac) / l3 / UDP(sport=sport, dport=dport) / Raw(data))
    return raw + b"\0" * (60 - len(raw)) if len(raw) < 60 else raw


def write_pcap(path, frames):
    """Classic pcap (what pktgen-dpdk and tcpreplay read), Ethernet, the frames as built;
    timestamps a microsecond apart (replayed at their own timing: 1 Mpps)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", 1_800_000_000 + i // 1_000_000, i % 1_000_000,
                                len(fr), len(fr)))
            f.write(fr)


CTX = None  # (args, sizes, bindings JSON): set before the pool forks


def build_case(job):
    """One case's pcap and scripts; its manifest entry."""
    case_no, case = job
    args, sizes, bj = CTX
    allocs, binds, group = bj["allocations"], bj["bindings"], bj["cases"][case]
    wire = {4: args.relayed4, 6: args.relayed6}
    k = kind(case)
    # Every binding as often as every size: lcm rounds when the sizes cycle too.
    n = math.lcm(len(group), len(sizes)) * args.frames_per_binding
    frames, expect, nbytes = [], {}, 0
    for i in range(n):
        b = binds[group[i % len(group)]]
        a = allocs[b["alloc"]]
        data = payload(case_no, i, sizes[i % len(sizes)])
        if k == "to-client":
            rip, rport = a["relayed"]
            dst = (wire[6 if ":" in rip else 4] or rip, rport)  # behind 1:1 NAT: the bind address
            f = frame(args.src_mac, args.dst_mac, b["peer"], dst, i, data)
        else:
            cd = struct.pack("!HH", b["channel"], len(data)) + data
            f = frame(args.src_mac, args.dst_mac, a["client"], a["server"], i, cd)
        if k == "to-peer":
            rip, rport = a["relayed"]
            where = f"{b['peer'][0]} {b['peer'][1]} <- {rip} {rport}"
        else:
            rb = binds[b["back"]] if k == "hairpin" else b
            c = allocs[rb["alloc"]]["client"]
            where = f"{c[0]} {c[1]} ch {rb['channel']:#x}"
        expect[where] = expect.get(where, 0) + 1
        frames.append(f)
        nbytes += len(f)
    write_pcap(os.path.join(args.outdir, f"{case}.pcap"), frames)
    write_scripts(args, case)
    return case, {"pcap": f"{case}.pcap", "frames": n, "bytes": nbytes, "bindings": len(group),
                  "counter": counter(case), "expect": expect}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("bindings", help="the JSON setup.py wrote")
    p.add_argument("outdir")
    p.add_argument("--dst-mac", required=True, help="the relay's MAC (where frames go)")
    p.add_argument("--src-mac", required=True, help="the generator port's MAC")
    p.add_argument("--size", default="64",
                   help=f"payload bytes per datagram (0..{MAX_PAYLOAD}), or imix (7x64, 4x594, "
                        "1x1400, as tp_pktgen)")
    p.add_argument("--frames-per-binding", type=int, default=1,
                   help="rounds over the case's bindings in each pcap")
    p.add_argument("--relayed4", help="the relay's IPv4 address on the wire, where peers "
                   "send (default: the relayed address the relay announced)")
    p.add_argument("--relayed6", help="the same for IPv6")
    p.add_argument("--port", type=int, default=0, help="pktgen port that replays (scripts)")
    p.add_argument("--seconds", type=int, default=10, help="replay time per case (scripts)")
    p.add_argument("--rate", type=float, default=100, help="pktgen rate, %% of line rate")
    args = p.parse_args()
    if args.size == "imix":
        sizes = IMIX
    elif args.size.isdigit() and int(args.size) <= MAX_PAYLOAD:
        sizes = [int(args.size)]
    else:
        p.error(f"--size: 0..{MAX_PAYLOAD} or imix")
    if args.frames_per_binding < 1:
        p.error("--frames-per-binding: at least 1")

    global CTX
    with open(args.bindings) as f:
        CTX = (args, sizes, json.load(f))
    os.makedirs(args.outdir, exist_ok=True)
    manifest = {"bindings": os.path.abspath(args.bindings), "size": args.size,
                "dst_mac": args.dst_mac, "src_mac": args.src_mac, "cases": {}}
    todo = []
    for case_no, case in enumerate(CASES):
        if CTX[2]["cases"].get(case):
            todo.append((case_no, case))
        else:
            print(f"{case}: not in {args.bindings} (no bindings for its families)")
    # scapy builds about a thousand frames a second: a process per case, as many as CPUs.
    with multiprocessing.get_context("fork").Pool(min(len(todo), os.cpu_count()) or 1) as pool:
        for case, entry in pool.imap(build_case, todo):
            manifest["cases"][case] = entry
            print(f"{case}: {entry['frames']} frames ({entry['bytes']} bytes) over "
                  f"{entry['bindings']} bindings -> {os.path.join(args.outdir, entry['pcap'])}")
    if not manifest["cases"]:
        sys.exit("make_pcaps: no case has bindings")
    with open(os.path.join(args.outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    write_runner(args, list(manifest["cases"]))


def write_scripts(args, case):
    port, ms = args.port, args.seconds * 1000
    with open(os.path.join(args.outdir, f"{case}.pkt"), "w") as f:
        f.write(f"""# {case}: replay {case}.pcap, loaded on port {port} with -s {port}:{case}.pcap
# (pktgen-dpdk command script, made by bench/pktgen/make_pcaps.py)
enable {port} pcap
set {port} rate {args.rate:g}
clr
start {port}
delay {ms}
stop {port}
""")
    with open(os.path.join(args.outdir, f"{case}.lua"), "w") as f:
        f.write(f"""-- {case}: replay {case}.pcap, loaded on port {port} with -s {port}:{case}.pcap;
-- appends one line to results.txt and quits (made by bench/pktgen/make_pcaps.py)
local port, case, ms = "{port}", "{case}", {ms}
pktgen.pcap(port, "on")
pktgen.set(port, "rate", {args.rate:g})
pktgen.clr()
pktgen.delay(500)
pktgen.start(port)
pktgen.delay(ms)
pktgen.stop(port)
pktgen.delay(1000) -- what the relay sends back while the last frames drain
-- portStats: older pktgen returns the counters per port, newer ones under .curr
local st = pktgen.portStats(port, "port")[tonumber(port)]
local c = st.curr or st
local line = string.format("case %s seconds %.1f tx-packets %d rx-packets %d " ..
    "tx-pps %.0f rx-pps %.0f\\n", case, ms / 1000, c.opackets, c.ipackets,
    c.opackets * 1000 / ms, c.ipackets * 1000 / ms)
io.write(line)
local f = io.open("results.txt", "a")
if f then f:write(line) f:close() end
pktgen.quit()
""")


def write_runner(args, cases):
    path = os.path.join(args.outdir, "run-pktgen.sh")
    with open(path, "w") as f:
        f.write(f"""#!/usr/bin/env bash
# Replays each case's pcap with pktgen-dpdk, one run per case ({args.seconds} s each, rate
# {args.rate:g} %), through CASE.lua; each run appends its line to results.txt here.
#   PKTGEN=/path/to/pktgen EAL="-l 0-2 -n 4 -a 0000:3b:00.0" ./run-pktgen.sh [CASE...]
# (made by bench/pktgen/make_pcaps.py; MAP is pktgen's -m lcore matrix, default "[1:2].{args.port}")
set -euo pipefail
cd "$(dirname "$0")"
: "${{PKTGEN:=pktgen}}" "${{EAL:?set EAL to the EAL options for pktgen: lcores, the port}}"
: "${{MAP:=[1:2].{args.port}}}"
cases=("$@")
((${{#cases[@]}})) || cases=({' '.join(cases)})
for c in "${{cases[@]}}"; do
	echo "== $c"
	# shellcheck disable=SC2086
	"$PKTGEN" $EAL -- -P -m "$MAP" -s "{args.port}:$c.pcap" -f "$c.lua"
done
cat results.txt
""")
    os.chmod(path, 0o755)


if __name__ == "__main__":
    main()
