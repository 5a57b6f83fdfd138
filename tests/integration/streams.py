#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# TURN over TCP and TLS against a running turnpike, with our own client (turn_client.py's
# StreamClient over Python's socket and ssl modules), for what coturn's client does not show:
#
#   hairpin RELAY UDP_PORT TLS_PORT CA
#       a TLS client and a UDP client, each with a channel to the other's relayed address:
#       data both ways, ChannelData padded to four bytes on the TLS side and not on UDP.
#   close RELAY TCP_PORT PEER_IP PEER_PORT
#       a TCP client's channel to a peer relays, then the client drops its connection
#       without a Refresh: the allocation must end with it (the shell reads the flow record).
#   hostile RELAY UDP_PORT TCP_PORT TLS_PORT CA
#       a TLS port fed plain bytes, a connection that sends half a STUN header and waits, one
#       whose header claims 64 KiB and sends 100 bytes, one that sends bytes that are not
#       TURN: each in turn, and after each an honest Allocate over UDP, TCP and TLS must
#       succeed within 2 s.
#   idle RELAY PORT SECONDS SOURCE:COUNT...
#       COUNT connections from each SOURCE address, opened and held without a byte for
#       SECONDS (or until stdin closes), then closed; prints "holding N" once they are open.
#       Then, while they are held, 10 more from the first SOURCE, past the relay's limit per
#       source: each must be closed by the relay at once.
import socket
import ssl
import struct
import sys
import time

import turn_client
from turn_client import Client, StreamClient, attr, check, relayed, xaddr


def tls_context(ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.check_hostname = False
    ctx.set_alpn_protocols(["stun.turn"])
    return ctx


def channel_bind(c, number, ip, port):
    _, code, *_ = c.request(0x0009, [attr(0x000C, struct.pack("!HH", number, 0)),
                                     lambda tid: attr(0x0012, xaddr(ip, port, tid))])
    return code


def channel_data(number, payload):
    return struct.pack("!HH", number, len(payload)) + payload


def hairpin(relay, udp_port, tls_port, ca):
    a = StreamClient(tls_port, ssl_context=tls_context(ca), server_ip=relay)
    b = Client(udp_port, server_ip=relay, local_ip="0.0.0.0")
    check(a.sock.selected_alpn_protocol() == "stun.turn", "ALPN stun.turn chosen")
    _, code_a, attrs_a, _, tid_a = a.allocate()
    _, code_b, attrs_b, _, tid_b = b.allocate()
    check(code_a == 0 and code_b == 0, "both allocate (TLS and UDP)")
    ra, rb = relayed(attrs_a, tid_a)[0], relayed(attrs_b, tid_b)[0]
    check(channel_bind(a, 0x4000, *rb) == 0, "TLS client binds a channel to the UDP one")
    check(channel_bind(b, 0x4001, *ra) == 0, "UDP client binds a channel to the TLS one")

    a.send(channel_data(0x4000, b"hello"))
    got = b.recv()
    check(got == channel_data(0x4001, b"hello"),
          "TLS to UDP: ChannelData 0x4001 of 5 bytes, unpadded on UDP (%r)" % got[:16])
    b.send(channel_data(0x4001, b"world!!"))
    got = a.recv()
    check(got == channel_data(0x4000, b"world!!") + b"\0",
          "UDP to TLS: ChannelData 0x4000 of 7 bytes, padded to 12 on TLS (%r)" % got[:16])
    for i in range(20):
        a.send(channel_data(0x4000, bytes([i]) * (i + 1)))
    check(all(b.recv() == channel_data(0x4001, bytes([i]) * (i + 1)) for i in range(20)),
          "20 more, of 1 to 20 bytes, in order")
    for c in (a, b):
        _, code, *_ = c.request(0x0004, [attr(0x000D, b"\0\0\0\0")])
        check(code == 0, "Refresh 0")


def close(relay, tcp_port, peer_ip, peer_port):
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((peer_ip, peer_port))
    peer.settimeout(2)
    c = StreamClient(tcp_port, server_ip=relay)
    _, code, attrs, _, tid = c.allocate()
    check(code == 0, "TCP client allocates")
    ip, port = relayed(attrs, tid)[0]
    check(channel_bind(c, 0x4000, peer_ip, peer_port) == 0, "and binds a channel")
    for i in range(5):
        c.send(channel_data(0x4000, b"x" * 10))
    got = [peer.recvfrom(2048) for _ in range(5)]
    check(all(d == b"x" * 10 and a == (ip, port) for d, a in got),
          "5 datagrams reach the peer from the relayed address")
    c.sock.close()
    print("closed")


def allocate_over_each(relay, udp_port, tcp_port, tls_port, ca, what):
    deadline = time.monotonic() + 2
    clients = {
        "UDP": lambda: Client(udp_port, server_ip=relay, local_ip="0.0.0.0"),
        "TCP": lambda: StreamClient(tcp_port, server_ip=relay),
        "TLS": lambda: StreamClient(tls_port, ssl_context=tls_context(ca), server_ip=relay),
    }
    for name, make in clients.items():
        ok = False
        while not ok and time.monotonic() < deadline + 0.001:
            try:
                c = make()
                _, code, *_ = c.allocate()
                ok = code == 0
                c.request(0x0004, [attr(0x000D, b"\0\0\0\0")])
                c.sock.close()
            except (OSError, RuntimeError, ConnectionError):
                time.sleep(0.05)
        check(ok, "an honest Allocate over %s within 2 s, %s" % (name, what))


def hostile(relay, udp_port, tcp_port, tls_port, ca):
    def connect(port):
        return socket.create_connection((relay, port), timeout=2)

    held = []
    s = connect(tls_port)
    s.sendall(b"GET / HTTP/1.1\r\n\r\n" + b"\x00" * 200)
    held.append(s)
    allocate_over_each(relay, udp_port, tcp_port, tls_port, ca, "after a bad TLS handshake")
    s = connect(tcp_port)
    s.sendall(b"\x00\x03\x00")  # half a STUN header
    held.append(s)
    allocate_over_each(relay, udp_port, tcp_port, tls_port, ca, "beside half a STUN header")
    s = connect(tcp_port)
    s.sendall(struct.pack("!HHI", 0x0003, 0xFFFC, 0x2112A442) + b"t" * 12 + b"\0" * 80)
    held.append(s)
    allocate_over_each(relay, udp_port, tcp_port, tls_port, ca, "beside a 64 KiB length")
    s = connect(tcp_port)
    s.sendall(b"\xff" * 64)
    try:
        s.settimeout(2)
        closed = s.recv(10) == b""
    except ConnectionResetError:
        closed = True
    except socket.timeout:
        closed = False
    check(closed, "a connection whose bytes are not TURN is closed")
    allocate_over_each(relay, udp_port, tcp_port, tls_port, ca, "after bytes that are not TURN")
    for s in held:
        s.close()


def idle(relay, port, seconds, specs):
    import resource
    import select

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    held = []
    for spec in specs:
        source, count = spec.rsplit(":", 1)
        for _ in range(int(count)):
            s = socket.socket(socket.AF_INET6 if ":" in source else socket.AF_INET)
            s.bind((source, 0))
            s.settimeout(5)
            s.connect((relay, port))
            held.append(s)
    print("holding %d" % len(held), flush=True)
    refused, first = 0, specs[0].rsplit(":", 1)[0]
    for _ in range(10):
        s = socket.socket(socket.AF_INET6 if ":" in first else socket.AF_INET)
        s.bind((first, 0))
        s.settimeout(2)
        s.connect((relay, port))
        try:
            refused += s.recv(1) == b""
        except (ConnectionResetError, socket.timeout):
            pass
        s.close()
    check(refused == 10, "10 connections past the limit per source closed at once (%d)" % refused)
    select.select([sys.stdin], [], [], seconds)
    for s in held:
        s.close()


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "hairpin":
        hairpin(args[0], int(args[1]), int(args[2]), args[3])
    elif cmd == "close":
        close(args[0], int(args[1]), args[2], int(args[3]))
    elif cmd == "hostile":
        hostile(args[0], int(args[1]), int(args[2]), int(args[3]), args[4])
    elif cmd == "idle":
        idle(args[0], int(args[1]), float(args[2]), args[3:])
    else:
        sys.exit("unknown command " + cmd)
    return 1 if turn_client.failures else 0


if __name__ == "__main__":
    sys.exit(main())
