#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# A hairpin's far end kept in the XDP program's channel entries (struct tp_xdp_chan_val),
# checked in the real tables: two clients allocate on the relay and bind a channel each to
# the other's relayed address. Then each channel entry must hold, as its far end, the value
# of the other client's peer entry (its client address, port, channel and counter slot), and
# ChannelData from A must reach B on B's channel. When B leaves (Refresh 0), A's entry must
# no longer name a far end, and B's peer entry be gone. Static user alice, password alice-pw.
#
# usage: TP_XDP_MAPS="CHANS_ID PEERS_ID" xdp_hairpin.py SERVER_IP SERVER_PORT CLIENT_IP CH_A CH_B
import json
import os
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from turn_client import Client, attr, relayed, xaddr  # noqa: E402


def fail(what):
    print(f"FAIL: {what}", file=sys.stderr)
    sys.exit(1)


def dump(map_id, part=None):
    """The table's entries' values (or that part of each), as bpftool formats them from the
    program's BTF."""
    out = subprocess.run(["bpftool", "-j", "map", "dump", "id", map_id], check=True,
                         capture_output=True, text=True).stdout
    return [e["formatted"]["value"][part] if part else e["formatted"]["value"]
            for e in json.loads(out)]


def ok(resp, want, what):
    rtype, code, *_ = resp
    if rtype != want:
        fail(f"{what}: type 0x{rtype:04x}, error {code}")


def main():
    server_ip, server_port, client_ip = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    ch_a, ch_b = int(sys.argv[4], 0), int(sys.argv[5], 0)
    chans_id, peers_id = os.environ["TP_XDP_MAPS"].split()

    a, b = (Client(server_port, user="alice", password="alice-pw", server_ip=server_ip,
                   local_ip=client_ip) for _ in range(2))
    relays = []
    for c in (a, b):
        rtype, code, attrs, _, tid = c.allocate()
        ok((rtype, code), 0x0103, "Allocate")
        relays.append(relayed(attrs, tid)[0])
    for c, ch, (rip, rport) in ((a, ch_a, relays[1]), (b, ch_b, relays[0])):
        ok(c.request(0x0009, [attr(0x000C, struct.pack("!HH", ch, 0)),
                              lambda t, ip=rip, port=rport: attr(0x0012, xaddr(ip, port, t))]),
           0x0109, f"ChannelBind 0x{ch:04x} to {rip}:{rport}")

    # Each client's channel entry holds the other's peer entry as its far end.
    peers = dump(peers_id, "peer")
    for ch, other in ((ch_a, ch_b), (ch_b, ch_a)):
        entry = [v for v in dump(chans_id) if v["far"]["slot"] and
                 socket_channel(v["far"]) == other]
        if len(entry) != 1:
            fail(f"no channel entry holds channel 0x{other:04x}'s binding as its far end: "
                 f"{dump(chans_id)}")
        if entry[0]["far"] not in peers:
            fail(f"the far end {entry[0]['far']} is no peer entry's value: {peers}")
        print(f"the channel toward 0x{other:04x} keeps its far end: slot "
              f"{entry[0]['far']['slot']}")

    # The hairpin through it: A's ChannelData reaches B on B's channel.
    out = b"hairpin through the kept far end"
    a.sock.sendto(struct.pack("!HH", ch_a, len(out)) + out, a.server)
    b.sock.settimeout(2)
    data = b.sock.recv(2048)
    if data != struct.pack("!HH", ch_b, len(out)) + out:
        fail(f"B got {data!r}, not {out!r} on 0x{ch_b:04x}")
    print("A's ChannelData reached B")

    # B leaves: A's channel entry names no far end any more, B's peer entry is gone.
    ok(b.request(0x0004, [attr(0x000D, struct.pack("!I", 0))]), 0x0104, "B's Refresh 0")
    kept = [v for v in dump(chans_id) if v["far"]["slot"]]
    if kept:
        fail(f"channel entries still keep a far end after B left: {kept}")
    if any(socket_channel(v) == ch_b for v in dump(peers_id, "peer")):
        fail("B's peer entry outlived its allocation")
    print("after B's Refresh 0, no channel entry keeps a far end")
    return 0


def socket_channel(peer_val):
    """The channel number of a peer value as bpftool formats it (network order bytes)."""
    return struct.unpack("!H", struct.pack("=H", peer_val["channel"]))[0]


if __name__ == "__main__":
    sys.exit(main())
