#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Allocation churn: CLIENTS clients (one address, a port each) take turns, ROUNDS rounds in
# all, each round a whole allocation's life: Allocate, ChannelBind to the client's peer,
# PACKETS ChannelData to the peer and PACKETS datagrams back, every one of which must arrive
# (the first burst to a fresh peer too), then Refresh 0. Stops at ROUNDS or after SECONDS,
# whichever comes first, and fails if fewer than MIN_ROUNDS were done. Static user alice.
# Prints "rounds N" and "datagrams N" (each way) for the caller to hold the flow records to.
#
# usage: churn.py SERVER_IP PORT CLIENT_IP PEER_IP CLIENTS ROUNDS SECONDS MIN_ROUNDS PACKETS
import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from turn_client import Client, attr, relayed, xaddr  # noqa: E402

CHANNEL = 0x4000


def fail(what):
    print(f"FAIL: {what}", file=sys.stderr)
    sys.exit(1)


def recv_n(sock, n, what):
    got = []
    try:
        while len(got) < n:
            got.append(sock.recvfrom(4096))
    except socket.timeout:
        fail(f"{what}: {len(got)} of {n} arrived")
    return got


def ok(resp, what):
    rtype, code, rattrs, _, tid = resp
    if rtype & 0x0110 != 0x0100:
        fail(f"{what}: error {code}")
    return rattrs, tid


def one_round(c, peer, peer_ip, n, tag):
    rattrs, tid = ok(c.allocate(), f"round {tag}: Allocate")
    relay = relayed(rattrs, tid)[0]
    pport = peer.getsockname()[1]
    ok(c.request(0x0009, [attr(0x000C, struct.pack("!HH", CHANNEL, 0)),
                          lambda t: attr(0x0012, xaddr(peer_ip, pport, t))]),
       f"round {tag}: ChannelBind")
    # At once after the binding's success: nothing may be lost on the way to a fresh peer.
    for i in range(n):
        data = f"{tag}:{i}".encode()
        c.sock.sendto(struct.pack("!HH", CHANNEL, len(data)) + data + b"\0" * (-len(data) % 4),
                      c.server)
    got = recv_n(peer, n, f"round {tag}: to the peer")
    if sorted(d for d, _ in got) != sorted(f"{tag}:{i}".encode() for i in range(n)):
        fail(f"round {tag}: the peer got other data")
    if any(src != relay for _, src in got):
        fail(f"round {tag}: data from {got[0][1]}, not the relayed address {relay}")
    for i in range(n):
        peer.sendto(f"{tag}<{i}".encode(), relay)
    back = recv_n(c.sock, n, f"round {tag}: to the client")
    for msg, _ in back:
        num, length = struct.unpack("!HH", msg[:4])
        if num != CHANNEL or not msg[4:4 + length].startswith(f"{tag}<".encode()):
            fail(f"round {tag}: the client got {msg[:24]!r}")
    ok(c.request(0x0004, [attr(0x000D, b"\0\0\0\0")]), f"round {tag}: Refresh 0")


def main():
    server_ip, port, client_ip, peer_ip = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
    nclients, rounds, seconds, min_rounds, n = (int(v) for v in sys.argv[5:10])
    clients, peers = [], []
    for _ in range(nclients):
        c = Client(port, server_ip=server_ip, local_ip=client_ip)
        p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        p.bind((peer_ip, 0))
        p.settimeout(2)
        clients.append(c)
        peers.append(p)
    done, deadline = 0, time.monotonic() + seconds
    while done < rounds and time.monotonic() < deadline:
        k = done % nclients
        one_round(clients[k], peers[k], peer_ip, n, done)
        done += 1
    print(f"rounds {done}")
    print(f"datagrams {done * n}")
    if done < min_rounds:
        fail(f"{done} rounds in {seconds} s, want {min_rounds}")


if __name__ == "__main__":
    main()
