#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# An honest client's view of the relay: COUNT times, a new client (its own socket) makes an
# allocation and binds a channel (the 401, the authenticated Allocate, ChannelBind), and the
# time from its first request to the ChannelBind's success is taken; then Refresh 0 gives the
# allocation back. A request unanswered for 250 ms is sent again, as clients do; a round that
# has not succeeded in 5 s has failed. Prints one line:
#   honest ok N of COUNT p50-ms P p99-ms P max-ms M
# Static user alice, password alice-pw; the peer is PEER_IP:PEER_PORT (peers.allow names it).
#
# usage: honest.py SERVER_IP SERVER_PORT CLIENT_IP PEER_IP PEER_PORT COUNT
import math
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests",
                                "integration"))
from turn_client import Client, attr, xaddr  # noqa: E402

ROUND_S = 5.0


def one_round(server_ip, port, client_ip, peer_ip, peer_port):
    start = time.monotonic()
    deadline = start + ROUND_S
    c = Client(port, server_ip=server_ip, local_ip=client_ip)
    c.sock.settimeout(0.25)
    try:
        if c.request_until(deadline, 0x0003, [attr(0x0019, b"\x11\0\0\0")]) != (0x0103, 0):
            return None
        bound = c.request_until(deadline, 0x0009, [
            attr(0x000C, b"\x40\x00\0\0"), lambda t: attr(0x0012, xaddr(peer_ip, peer_port, t))])
        took = time.monotonic() - start
        c.request_until(time.monotonic() + 1, 0x0004, [attr(0x000D, b"\0\0\0\0")])
        return took if bound == (0x0109, 0) else None
    finally:
        c.sock.close()


def main():
    server_ip, port, client_ip, peer_ip, peer_port, count = (
        sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], int(sys.argv[5]),
        int(sys.argv[6]))
    times = []
    for _ in range(count):
        t = one_round(server_ip, port, client_ip, peer_ip, peer_port)
        if t is not None:
            times.append(t * 1000)
    times.sort()

    def pct(p):  # nearest rank: the smallest time at or above p % of the rounds
        return times[max(0, math.ceil(len(times) * p / 100) - 1)] if times else float("nan")

    print(f"honest ok {len(times)} of {count} p50-ms {pct(50):.1f} p99-ms {pct(99):.1f} "
          f"max-ms {times[-1] if times else float('nan'):.1f}")


if __name__ == "__main__":
    main()
