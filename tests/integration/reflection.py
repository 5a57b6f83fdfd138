#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay is not a reflector: from one source address (as a forged one would be), the
# smallest unauthenticated Allocate (28 bytes), Refresh (20) and Binding (20), first one of
# each (the answer/request byte ratio of each), then COUNT of each as fast as this socket
# sends them. Everything the relay sends back to that address must be at most what it sent
# plus the burst (the relay runs with unauthenticated-rate = 0, so there is no refill), and
# at least the burst must have come back (it answers, it does not shut the source out).
# Then another address must get its 401 at once: one source's flood costs only that source.
# Prints the figures as "figure NAME VALUE" lines.
#
# usage: reflection.py SERVER_IP SERVER_PORT CLIENT_IP OTHER_IP BURST COUNT
import os
import socket
import struct
import sys
import time

MAGIC = 0x2112A442
KINDS = {  # name: (method, attributes)
    "allocate": (0x0003, struct.pack("!HHI", 0x0019, 4, 17 << 24)),  # REQUESTED-TRANSPORT
    "refresh": (0x0004, b""),
    "binding": (0x0001, b""),
}


def fail(what):
    print(f"FAIL: {what}", file=sys.stderr)
    sys.exit(1)


def request(kind):
    method, attrs = KINDS[kind]
    return struct.pack("!HHI", method, len(attrs), MAGIC) + os.urandom(12) + attrs


def main():
    server = (sys.argv[1], int(sys.argv[2]))
    client_ip, other_ip, burst, count = sys.argv[3], sys.argv[4], int(sys.argv[5]), int(
        sys.argv[6])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    s.bind((client_ip, 0))
    sent = got = 0

    s.settimeout(2)
    for kind in KINDS:
        req = request(kind)
        s.sendto(req, server)
        sent += len(req)
        try:
            ans = s.recv(2048)
        except socket.timeout:
            fail(f"no answer to one {kind} request")
        got += len(ans)
        mtype = struct.unpack("!H", ans[:2])[0]
        want = 0x0101 if kind == "binding" else (0x0110 | KINDS[kind][0])
        if mtype != want:
            fail(f"{kind}: answer type 0x{mtype:04x}, want 0x{want:04x}")
        print(f"figure {kind}_request_bytes {len(req)}")
        print(f"figure {kind}_answer_bytes {len(ans)}")
        print(f"figure {kind}_ratio {len(ans) / len(req):.2f}")

    s.setblocking(False)
    reqs = [request(k) for _ in range(count) for k in KINDS]
    start = time.monotonic()
    for req in reqs:
        while True:
            try:
                s.sendto(req, server)
                break
            except BlockingIOError:
                time.sleep(0.001)
        sent += len(req)
        try:
            while True:
                got += len(s.recv(2048))
        except BlockingIOError:
            pass
    elapsed = time.monotonic() - start
    s.settimeout(1)
    try:
        while True:
            got += len(s.recv(2048))
    except socket.timeout:
        pass
    print(f"figure flood_requests {len(reqs)}")
    print(f"figure flood_seconds {elapsed:.2f}")
    print(f"figure bytes_in {sent}")
    print(f"figure bytes_out {got}")
    print(f"figure out_per_in {got / sent:.3f}")
    if got > sent + burst:
        fail(f"{got} bytes back for {sent} sent: more than the burst ({burst}) beyond them")
    if got < burst:
        fail(f"{got} bytes back for {sent} sent: not even the burst ({burst})")

    o = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    o.bind((other_ip, 0))
    o.settimeout(2)
    o.sendto(request("allocate"), server)
    try:
        ans = o.recv(2048)
    except socket.timeout:
        fail(f"{other_ip} got no 401 within 2 s of the flood from {client_ip}")
    if struct.unpack("!H", ans[:2])[0] != 0x0113:
        fail(f"{other_ip}: not a 401")
    print(f"ok   {other_ip} answered at once after the flood from {client_ip}")


if __name__ == "__main__":
    main()
