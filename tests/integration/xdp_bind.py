#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Channel bindings for the XDP table tests, made with turn_client.py's Client: for each channel
# number given, a fresh client (its own allocation) binds that channel to the peer, sends
# ChannelData the peer must receive from the relayed address, and gets the peer's answer back
# as ChannelData. Then it leaves without refreshing anything, so that the relay's timers are
# what takes the bindings down. Static user alice, password alice-pw.
#
# With TP_XDP_MAPS="CHANS_ID PEERS_ID" (the program's tp_chans and tp_peers map ids), each
# ChannelBind's success is followed at once, before any data, by a look at both tables: by
# the time its answer arrives, the binding must be in them (one more entry in each than
# before this binding, when the tables held only this script's).
#
# usage: xdp_bind.py SERVER_IP SERVER_PORT CLIENT_IP PEER_IP PEER_PORT CHANNEL...
import json
import os
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from turn_client import Client, attr, relayed, xaddr  # noqa: E402


def fail(what):
    print(f"FAIL: {what}", file=sys.stderr)
    sys.exit(1)


def table_len(map_id):
    out = subprocess.run(["bpftool", "-j", "map", "dump", "id", map_id], check=True,
                         capture_output=True, text=True).stdout
    return len(json.loads(out))


def main():
    server_ip, server_port, client_ip, peer_ip = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    peer_port = int(sys.argv[5])
    channels = [int(c, 0) for c in sys.argv[6:]]
    peer = socket.socket(socket.AF_INET6 if ":" in peer_ip else socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((peer_ip, peer_port))
    peer.settimeout(2)
    maps = os.environ.get("TP_XDP_MAPS", "").split()
    before = [table_len(m) for m in maps]

    for n, ch in enumerate(channels, 1):
        c = Client(server_port, user="alice", password="alice-pw", server_ip=server_ip,
                   local_ip=client_ip)
        rtype, code, attrs, _, tid = c.allocate()
        if rtype != 0x0103:
            fail(f"Allocate for channel 0x{ch:04x}: type 0x{rtype:04x}, error {code}")
        (rip, rport), = relayed(attrs, tid)
        rtype, code, *_ = c.request(0x0009, [
            attr(0x000C, struct.pack("!HH", ch, 0)),
            lambda t: attr(0x0012, xaddr(peer_ip, peer_port, t))])
        if rtype != 0x0109:
            fail(f"ChannelBind 0x{ch:04x}: type 0x{rtype:04x}, error {code}")
        for m, b in zip(maps, before):
            if table_len(m) < b + n:
                fail(f"ChannelBind 0x{ch:04x} answered, but map {m} holds {table_len(m)} "
                     f"entries, not {b + n}")

        out = f"to the peer on 0x{ch:04x}".encode()
        c.sock.sendto(struct.pack("!HH", ch, len(out)) + out, c.server)
        data, src = peer.recvfrom(2048)
        if data != out or src[:2] != (rip, rport):
            fail(f"the peer got {data!r} from {src}, not {out!r} from {rip}:{rport}")
        back = f"back on 0x{ch:04x}!".encode()
        peer.sendto(back, (rip, rport))
        data = c.sock.recv(2048)
        if data != struct.pack("!HH", ch, len(back)) + back:
            fail(f"the client got {data!r} for the peer's {back!r}")
        print(f"channel 0x{ch:04x}: client port {c.sock.getsockname()[1]}, relayed port {rport}, "
              "data both ways")
    return 0


if __name__ == "__main__":
    sys.exit(main())
