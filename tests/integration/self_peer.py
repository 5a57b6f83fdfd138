#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# The relay is never its own peer: from a client with a dual allocation, CreatePermission and
# ChannelBind toward the relay's own addresses outside the allocation range (the listen port,
# another service's port) are refused with 403, in IPv4, IPv6 and the IPv4-mapped spelling of
# its IPv4 address; a port of the allocation range (the hairpin) is allowed. Then, under that
# permission, Send indications toward the listen port and the other port are sent: the caller
# checks turnpike's metrics for what it did with them. Static user alice, password alice-pw.
#
# usage: self_peer.py SERVER_IP SERVER_PORT CLIENT_IP OWN6 PORT_MIN
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from turn_client import Client, attr, xaddr  # noqa: E402


def fail(what):
    print(f"FAIL: {what}", file=sys.stderr)
    sys.exit(1)


def main():
    own4, port, client_ip, own6, port_min = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                             sys.argv[4], int(sys.argv[5]))
    c = Client(port, server_ip=own4, local_ip=client_ip)
    # ADDITIONAL-ADDRESS-FAMILY IPv6: a relayed address of each family.
    rtype, code, *_ = c.allocate([attr(0x8000, b"\x02\0\0\0")])
    if rtype != 0x0103:
        fail(f"dual Allocate: type 0x{rtype:04x}, error {code}")
    refused = [(own4, port), (own4, 22), (own4, port_min - 1), (own6, port), (own6, 22),
               ("::ffff:" + own4, port), ("::ffff:" + own4, port_min)]
    for n, (ip, p) in enumerate(refused):
        peer = lambda t, ip=ip, p=p: attr(0x0012, xaddr(ip, p, t))  # noqa: E731
        _, code, *_ = c.request(0x0008, [peer])
        if code != 403:
            fail(f"CreatePermission to {ip} port {p}: error {code}, want 403")
        _, code, *_ = c.request(0x0009, [attr(0x000C, bytes([0x40, n, 0, 0])), peer])
        if code != 403:
            fail(f"ChannelBind to {ip} port {p}: error {code}, want 403")
        print(f"ok   403 for CreatePermission and ChannelBind to {ip} port {p}")
    rtype, code, *_ = c.request(0x0008, [lambda t: attr(0x0012, xaddr(own4, port_min, t))])
    if rtype != 0x0108:
        fail(f"CreatePermission to {own4} port {port_min} (the hairpin): error {code}")
    print(f"ok   CreatePermission to {own4} port {port_min}, in the allocation range")
    for p in (port, 22):
        msg, _ = c.build(0x0016, [lambda t, p=p: attr(0x0012, xaddr(own4, p, t)),
                                  attr(0x0013, b"loop?")], auth=False)
        c.sock.sendto(msg, c.server)
    print("sent: Send indications to the listen port and port 22 of the relay")


if __name__ == "__main__":
    main()
