#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# A relay drained under a client: client A holds an allocation with a channel to a peer, the
# relay gets SIGUSR2, and then a new client B's Allocate must be answered 300 Try Alternate
# with the configured ALTERNATE-SERVER (or 508 with none configured), while A still refreshes
# and relays. With "last", A then deletes its allocation (the relay should exit on it).
#
# The relay's metrics (METRICS_URL) must say it drains before A's allocation goes.
#
# usage: drain.py PORT RELAY_PID METRICS_URL ALTERNATE|none last|hold
import os
import signal
import socket
import struct
import sys
import time
import urllib.request

from turn_client import Client, attr, check, error_code, get, xaddr
import turn_client

port, pid, url = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
alternate, end = sys.argv[4], sys.argv[5]
peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
peer.bind(("127.0.0.1", 0))
peer.settimeout(2)
peer_port = peer.getsockname()[1]

a = Client(port)
_, code, *_ = a.allocate()
check(code == 0, "A allocates")
_, code, *_ = a.request(0x0009, [attr(0x000C, b"\x40\x00\0\0"),
                                 lambda tid: attr(0x0012, xaddr("127.0.0.1", peer_port, tid))])
check(code == 0, "A binds a channel to its peer")

os.kill(pid, signal.SIGUSR2)
time.sleep(0.3)

b = Client(port)
_, code, attrs, resp, tid = b.allocate()
if alternate == "none":
    check(code == 508, "B's Allocate while draining: 508 (no alternate configured), got %d" % code)
else:
    alt = get(attrs, 0x8023)
    got = None
    if alt:
        v = alt[0]
        got = "%s:%d" % (socket.inet_ntop(socket.AF_INET, v[4:8]), struct.unpack("!H", v[2:4])[0])
    check(code == 300 and got == alternate,
          "B's Allocate while draining: 300 with ALTERNATE-SERVER %s (got %d, %s)"
          % (alternate, code, got))
    check(b.verify(resp, attrs), "the 300 carries MESSAGE-INTEGRITY (B authenticated first)")

_, code, *_ = a.request(0x0004, [attr(0x000D, struct.pack("!I", 600))])
check(code == 0, "A still refreshes")
a.send(struct.pack("!HH", 0x4000, 5) + b"hello" + b"\0\0\0")
try:
    data, _ = peer.recvfrom(100)
except socket.timeout:
    data = None
check(data == b"hello", "A still relays to its peer")
deadline, draining = time.monotonic() + 5, False
while not draining and time.monotonic() < deadline:
    text = urllib.request.urlopen(url, timeout=2).read().decode()
    draining = "\nturnpike_draining 1\n" in text
    time.sleep(0.1)
check(draining, "the metrics say turnpike_draining 1")
if end == "last":
    _, code, *_ = a.request(0x0004, [attr(0x000D, b"\0\0\0\0")])
    check(code == 0, "A deletes its allocation, the last")
sys.exit(1 if turn_client.failures else 0)
