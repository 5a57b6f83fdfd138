#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Right after a flood: an honest client's authenticated Allocate (through its 401) must
# succeed within BUDGET seconds of this script's start, retrying its requests as a client
# would (every 200 ms). Prints how long it took. Static user alice, password alice-pw.
#
# usage: after_flood.py SERVER_IP SERVER_PORT CLIENT_IP BUDGET
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from turn_client import Client, attr  # noqa: E402


def main():
    server_ip, port, client_ip, budget = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                          float(sys.argv[4]))
    start = time.monotonic()
    c = Client(port, server_ip=server_ip, local_ip=client_ip)
    c.sock.settimeout(0.2)
    got = c.request_until(start + budget, 0x0003, [attr(0x0019, b"\x11\0\0\0")])
    if got is None:
        print(f"FAIL: no successful Allocate within {budget} s of the flood", file=sys.stderr)
        sys.exit(1)
    if got[0] != 0x0103:
        print(f"FAIL: Allocate: type 0x{got[0]:04x}, error {got[1]}", file=sys.stderr)
        sys.exit(1)
    print(f"ok   Allocate succeeded {time.monotonic() - start:.3f} s after the flood")


if __name__ == "__main__":
    main()
