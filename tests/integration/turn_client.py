#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Our own TURN client over real UDP sockets, independent of the C code: it builds and checks
# STUN with Python's hashlib/hmac/zlib only. It covers what coturn's client does not: the
# SHA-256 password algorithm with MESSAGE-INTEGRITY-SHA256, static users, padded ChannelData,
# EVEN-PORT reservations held by real sockets, relayed ports released by Refresh 0, 403 for
# denied peers and 420 for unknown attributes, all against a running turnpike.
#
# usage: turn_client.py SERVER_PORT PEER_PORT   (turnpike on 127.0.0.1, user alice/alice-pw)
import hashlib
import hmac
import os
import signal
import socket
import struct
import sys
import time
import zlib

MAGIC = 0x2112A442
REALM = "turnpike.test"
failures = 0


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def xaddr(ip, port, tid):
    fam = socket.AF_INET6 if ":" in ip else socket.AF_INET
    raw = socket.inet_pton(fam, ip)
    pad = struct.pack("!I", MAGIC) + tid
    return struct.pack("!BBH", 0, 2 if fam == socket.AF_INET6 else 1, port ^ 0x2112) + bytes(
        a ^ b for a, b in zip(raw, pad))


def parse(msg):
    mtype, mlen, magic = struct.unpack("!HHI", msg[:8])
    assert magic == MAGIC and mlen + 20 == len(msg), "bad STUN from the server"
    attrs, off = [], 20
    while off < len(msg):
        t, n = struct.unpack("!HH", msg[off:off + 4])
        attrs.append((t, msg[off + 4:off + 4 + n], off))
        off += 4 + n + (-n % 4)
    return mtype, msg[8:20], attrs


def get(attrs, t):
    return [v for (a, v, _) in attrs if a == t]


def unxor(v, tid):
    fam, port = v[1], struct.unpack("!H", v[2:4])[0] ^ 0x2112
    pad = struct.pack("!I", MAGIC) + tid
    ip = bytes(a ^ b for a, b in zip(v[4:], pad))
    return socket.inet_ntop(socket.AF_INET6 if fam == 2 else socket.AF_INET, ip), port


def as_bytes(s):
    return s if isinstance(s, bytes) else s.encode()


class Client:
    """user and password: str, or bytes for usernames that are not text."""

    def __init__(self, server_port, user="alice", password="alice-pw", sha256=False,
                 server_ip="127.0.0.1", local_ip="127.0.0.1"):
        self.sock = socket.socket(socket.AF_INET6 if ":" in local_ip else socket.AF_INET,
                                  socket.SOCK_DGRAM)
        self.sock.bind((local_ip, 0))
        self.sock.settimeout(2)
        self.server = (server_ip, server_port)
        self.user, self.password, self.sha256 = as_bytes(user), as_bytes(password), sha256
        self.nonce = None

    def key(self):
        h = hashlib.sha256 if self.sha256 else hashlib.md5
        return h(self.user + b":" + REALM.encode() + b":" + self.password).digest()

    def build(self, mtype, attrs, auth=True):
        tid = os.urandom(12)
        body = b"".join(a(tid) if callable(a) else a for a in attrs)
        if auth and self.nonce:
            body += attr(0x0006, self.user) + attr(0x0014, REALM.encode())
            body += attr(0x0015, self.nonce)
            if self.sha256:
                body += attr(0x8002, b"\0\2\0\0\0\1\0\0") + attr(0x001D, b"\0\2\0\0")
            hdr = struct.pack("!HHI", mtype, len(body) + (36 if self.sha256 else 24), MAGIC) + tid
            alg = hashlib.sha256 if self.sha256 else hashlib.sha1
            mac = hmac.new(self.key(), hdr + body, alg).digest()
            body += attr(0x001C if self.sha256 else 0x0008, mac)
        hdr = struct.pack("!HHI", mtype, len(body) + 8, MAGIC) + tid
        crc = (zlib.crc32(hdr + body) ^ 0x5354554E) & 0xFFFFFFFF
        body += attr(0x8028, struct.pack("!I", crc))
        return struct.pack("!HHI", mtype, len(body), MAGIC) + tid + body, tid

    def send(self, msg):
        self.sock.sendto(msg, self.server)

    def recv(self):
        return self.sock.recv(65536)

    def request(self, mtype, attrs=()):
        for _ in range(3):
            msg, tid = self.build(mtype, attrs)
            self.send(msg)
            while True:
                resp = self.recv()
                if resp[4:8] == struct.pack("!I", MAGIC) and resp[8:20] == tid:
                    break
            rtype, _, rattrs = parse(resp)
            code = error_code(rattrs)
            if code in (401, 438) and get(rattrs, 0x0015) and (code == 438 or not self.nonce):
                self.nonce = get(rattrs, 0x0015)[0]
                continue
            return rtype, code, rattrs, resp, tid
        raise RuntimeError("no answer past the challenges")

    def verify(self, resp, rattrs):
        """The response's integrity, checked the way RFC 8489 says."""
        t = 0x001C if self.sha256 else 0x0008
        found = [(v, off) for (a, v, off) in rattrs if a == t]
        if not found:
            return False
        mac, off = found[0]
        hdr = resp[:2] + struct.pack("!H", off + 4 + len(mac) - 20) + resp[4:20]
        alg = hashlib.sha256 if self.sha256 else hashlib.sha1
        return hmac.compare_digest(hmac.new(self.key(), hdr + resp[20:off], alg).digest(), mac)

    def allocate(self, extra=()):
        return self.request(0x0003, [attr(0x0019, b"\x11\0\0\0"), *extra])

    def request_until(self, deadline, mtype, attrs=()):
        """request, sent again each time the socket's timeout passes unanswered, until the
        deadline (time.monotonic()): (type, error code), or None."""
        while time.monotonic() < deadline:
            try:
                rtype, code, *_ = self.request(mtype, attrs)
                return rtype, code
            except (socket.timeout, RuntimeError):
                continue
        return None


class StreamClient(Client):
    """The same client over TCP, or TLS (ssl_context given): messages framed by their
    headers (RFC 8656 section 12.5), ChannelData padded to four bytes both ways."""

    def __init__(self, server_port, ssl_context=None, server_ip="127.0.0.1", **kw):
        kw.setdefault("local_ip", "::" if ":" in server_ip else "0.0.0.0")
        super().__init__(server_port, server_ip=server_ip, **kw)
        self.sock.close()
        raw = socket.create_connection((server_ip, server_port), timeout=2)
        self.sock = ssl_context.wrap_socket(raw) if ssl_context else raw
        self.buf = b""

    def send(self, msg):
        if msg[0] & 0xC0 == 0x40:
            msg += b"\0" * (-len(msg) % 4)
        self.sock.sendall(msg)

    def frame_len(self):
        if len(self.buf) < 4:
            return None
        n = struct.unpack("!H", self.buf[2:4])[0]
        return 4 + n + (-n % 4) if self.buf[0] & 0xC0 == 0x40 else 20 + n

    def recv(self):
        """The next whole message (ChannelData with its padding)."""
        while self.frame_len() is None or len(self.buf) < self.frame_len():
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the relay closed the connection")
            self.buf += data
        n = self.frame_len()
        msg, self.buf = self.buf[:n], self.buf[n:]
        return msg


def error_code(attrs):
    e = get(attrs, 0x0009)
    return e[0][2] * 100 + e[0][3] if e else 0


def relayed(attrs, tid):
    return [unxor(v, tid) for v in get(attrs, 0x0016)]


def can_bind(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.bind(("127.0.0.1", port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def main():
    server_port, peer_port = int(sys.argv[1]), int(sys.argv[2])
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind(("127.0.0.1", peer_port))
    peer.settimeout(2)

    # SHA-256 password algorithm: the answer carries MESSAGE-INTEGRITY-SHA256.
    c = Client(server_port, sha256=True)
    rtype, code, attrs, resp, tid = c.allocate()
    check(rtype == 0x0103, "Allocate with PASSWORD-ALGORITHM SHA-256 succeeds")
    check(c.verify(resp, attrs), "its response verifies with MESSAGE-INTEGRITY-SHA256")
    (rip, rport), = relayed(attrs, tid)
    check(rip == "127.0.0.1" and not can_bind(rport), f"relayed port {rport} is held by turnpike")

    # ChannelBind, then padded ChannelData: the peer sees the data without the pad.
    rtype, code, attrs, resp, tid = c.request(0x0009, [
        attr(0x000C, b"\x40\x10\0\0"), lambda t: attr(0x0012, xaddr("127.0.0.1", peer_port, t))])
    check(rtype == 0x0109 and c.verify(resp, attrs), "ChannelBind succeeds, signed")
    c.sock.sendto(b"\x40\x10\x00\x05hello\0\0\0", c.server)
    data, src = peer.recvfrom(2048)
    check(data == b"hello" and src == ("127.0.0.1", rport), "padded ChannelData reaches the peer unpadded from the relayed address")
    peer.sendto(b"world!", ("127.0.0.1", rport))
    data = c.sock.recv(2048)
    check(data == b"\x40\x10\x00\x06world!", "the peer's answer comes back as ChannelData")

    # Order holds across what the relay sends at once rather than after its batch: a Send
    # indication with DONT-FRAGMENT between two ChannelData, and a peer datagram too long to
    # queue (4 kB) between two short ones. turnpike is paused while each three are sent, so
    # that it reads them in one batch.
    def paused(send):
        pid = int(os.environ["TP_RELAY_PID"])
        os.kill(pid, signal.SIGSTOP)
        try:
            send()
        finally:
            os.kill(pid, signal.SIGCONT)

    send_df, _ = c.build(0x0016, [lambda t: attr(0x0012, xaddr("127.0.0.1", peer_port, t)),
                                  attr(0x0013, b"b"), attr(0x001A, b"")], auth=False)
    paused(lambda: [c.sock.sendto(m, c.server) for m in
                    (b"\x40\x10\x00\x01a\0\0\0", send_df, b"\x40\x10\x00\x01c\0\0\0")])
    got = [peer.recvfrom(2048) for _ in range(3)]
    check(got == [(d, ("127.0.0.1", rport)) for d in (b"a", b"b", b"c")],
          "ChannelData, a DONT-FRAGMENT Send and ChannelData reach the peer in order")
    big = bytes(range(256)) * 16
    paused(lambda: [peer.sendto(m, ("127.0.0.1", rport)) for m in (b"x", big, b"y")])
    got = [c.sock.recv(65536) for _ in range(3)]
    check(got == [b"\x40\x10\x00\x01x", b"\x40\x10\x10\x00" + big, b"\x40\x10\x00\x01y"],
          "a short, a 4 kB and a short datagram from the peer reach the client in order")

    # Clients before peers: with turnpike paused, the peers of 48 allocations send 20
    # datagrams each, then a client sends a Binding request. Its answer must not wait for
    # the whole flood (960 datagrams) to be relayed: the kernel's receive times, on the
    # client sockets, say what left turnpike before it.
    so_timestampns = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux, not in Python's module

    def stamped(sock):
        data, anc, _, _ = sock.recvmsg(2048, socket.CMSG_SPACE(16))
        for level, kind, val in anc:
            if level == socket.SOL_SOCKET and kind == so_timestampns:
                sec, nsec = struct.unpack("qq", val[:16])
                return data, sec * 10**9 + nsec
        raise RuntimeError("no receive timestamp")

    flood, flood_ports = [], []
    for _ in range(48):
        f = Client(server_port)
        rtype, code, attrs, resp, tid = f.allocate()
        (_, fport), = relayed(attrs, tid)
        f.request(0x0008, [lambda t: attr(0x0012, xaddr("127.0.0.1", peer_port, t))])
        f.sock.setsockopt(socket.SOL_SOCKET, so_timestampns, 1)
        flood.append(f)
        flood_ports.append(fport)
    probe = Client(server_port)
    probe.sock.setsockopt(socket.SOL_SOCKET, so_timestampns, 1)
    binding, _ = probe.build(0x0001, [], auth=False)

    def flood_then_ask():
        for fport in flood_ports:
            for _ in range(20):
                peer.sendto(b"f" * 32, ("127.0.0.1", fport))
        probe.sock.sendto(binding, probe.server)

    paused(flood_then_ask)
    answer, answered = stamped(probe.sock)
    relayed_times = [stamped(f.sock)[1] for f in flood for _ in range(20)]
    before = sum(t < answered for t in relayed_times)
    check(answer[:2] == b"\x01\x01" and before < 480,
          f"a Binding request behind 960 peer datagrams is answered after {before} of them")
    for f in flood:
        f.request(0x0004, [attr(0x000D, b"\0\0\0\0")])

    # A static user with MD5 (legacy) gets MESSAGE-INTEGRITY.
    d = Client(server_port, user="bob", password="bob-pw")
    rtype, code, attrs, resp, tid = d.allocate([attr(0x0018, b"\x80")])
    check(rtype == 0x0103 and d.verify(resp, attrs), "Allocate with EVEN-PORT R as bob succeeds")
    (rip, even), = relayed(attrs, tid)
    token = get(attrs, 0x0022)
    check(even % 2 == 0 and len(token) == 1 and not can_bind(even + 1),
          f"even port {even}, port {even + 1} held for the reservation token")
    e = Client(server_port, user="bob", password="bob-pw")
    rtype, code, attrs, resp, tid = e.allocate([attr(0x0022, token[0])])
    check(rtype == 0x0103 and relayed(attrs, tid) == [("127.0.0.1", even + 1)],
          "another client takes the reserved port with the token")

    # Denied peers and unknown attributes.
    rtype, code, *_ = d.request(0x0008, [lambda t: attr(0x0012, xaddr("10.0.0.1", 9, t))])
    check(code == 403, "CreatePermission for 10.0.0.1 is refused with 403")
    rtype, code, attrs, resp, tid = d.request(0x0008, [attr(0x7ABC, b"?")])
    check(code == 420 and get(attrs, 0x000A) == [b"\x7a\xbc"], "an unknown attribute gets 420 naming it")

    # Refresh 0 lets go of the relayed port at once.
    rtype, code, attrs, resp, tid = c.request(0x0004, [attr(0x000D, b"\0\0\0\0")])
    check(rtype == 0x0104 and can_bind(rport), "Refresh 0 deletes the allocation and frees its port")
    rtype, code, *_ = c.request(0x0004, [attr(0x000D, b"\0\0\0\0")])
    check(code == 437, "a second Refresh 0 gets 437")

    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
