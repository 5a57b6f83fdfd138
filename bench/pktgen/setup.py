#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Bindings for pcap replay: the relay picks relayed ports at run time, so the frames that
# pktgen-dpdk (or tcpreplay) replays must be made for bindings that exist. This script makes
# them through a running turnpike's real control plane, from the host whose addresses the
# replayed frames carry: time-limited credentials (auth.secrets), the 401 challenge,
# Allocate, then ChannelBind per binding (which installs the permission too), for every
# rewrite case it has addresses for. It writes what it made to a JSON file that
# make_pcaps.py reads, then (with --hold) keeps the bindings alive with Refresh and
# ChannelBind while the operator replays, counts the relayed datagrams its client sockets
# (and, with --sink, its peer sockets) receive, and at the end deletes the allocations.
#
# Groups, as in bench/tp_pktgen.c: a relay group per client family x relayed family, each
# --allocations allocations of --channels channels (peer i of an allocation is PEER:port+i),
# serving cdC-to-udpR and udpR-to-cdC; and per hairpin case cdA-to-cdB, --pairs pairs of
# allocations (relayed in A's family, as the golden vectors) bound to each other both ways.
# A case is made only where its families have addresses (--client4/6, --peer4/6, --server4/6).
#
# usage: setup.py --secret S --server4 IP [--server6 IP] --client4 IP[,IP..] [--client6 ..]
#                 --peer4 IP[,IP..] [--peer6 ..] --out bindings.json [--hold SECONDS] ...
# (setup.py --help lists every option). Uses tests/integration/turn_client.py for STUN.
import argparse
import base64
import hashlib
import hmac
import ipaddress
import json
import os
import resource
import selectors
import signal
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "tests", "integration"))
from turn_client import MAGIC, Client, attr, error_code, get, parse, relayed, xaddr  # noqa: E402

ALLOCATE, REFRESH, CHANNEL_BIND = 0x0003, 0x0004, 0x0009
ATTR_LIFETIME, ATTR_CHANNEL, ATTR_FAMILY, ATTR_NONCE = 0x000D, 0x000C, 0x0017, 0x0015
CHANNEL_MIN = 0x4000
TRIES = 4  # sends of one request before it counts as failed
RTO = 1.0  # seconds before a request is sent again

PLAIN = [(c, r) for c in (4, 6) for r in (4, 6)]  # relay groups: client x relayed family
HAIRPINS = [(a, b) for a in (4, 6) for b in (4, 6)]


def log(msg):
    print(f"setup: {msg}", file=sys.stderr, flush=True)


def fam(ip):
    return ipaddress.ip_address(ip).version


def credentials(secret, name, valid):
    """coturn's use-auth-secret: username expiry:name, password base64(HMAC-SHA1)."""
    user = f"{int(time.time()) + valid}:{name}".encode()
    return user, base64.b64encode(hmac.new(secret.encode(), user, hashlib.sha1).digest())


class Alloc:
    def __init__(self, args, index, cfam, rfam, client_ip, valid):
        server = args.server4 if cfam == 4 else args.server6
        self.user, password = credentials(args.secret, f"{args.name}-{index}", valid)
        self.client = Client(args.port, self.user, password, server_ip=server,
                             local_ip=client_ip)
        self.client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
        self.index, self.cfam, self.rfam = index, cfam, rfam
        self.relayed = None
        self.binds = []  # indices into the bindings list

    def addr(self):
        return list(self.client.sock.getsockname()[:2])


def request(a, mtype, attrs, what):
    """A request through turn_client (401/438 handled there), sent again when lost."""
    for _ in range(TRIES):
        try:
            rtype, code, rattrs, _, tid = a.client.request(mtype, attrs)
        except socket.timeout:
            continue
        if rtype & 0x0110 != 0x0100:
            raise SystemExit(f"setup: {what}: error {code} from the relay")
        return rattrs, tid
    raise SystemExit(f"setup: {what}: no answer after {TRIES} tries")


def allocate(a, lifetime):
    extra = [attr(ATTR_LIFETIME, struct.pack("!I", lifetime))]
    if a.rfam == 6:
        extra.append(attr(ATTR_FAMILY, b"\x02\0\0\0"))
    rattrs, tid = request(a, ALLOCATE, [attr(0x0019, b"\x11\0\0\0"), *extra],
                          f"Allocate {a.index} (IPv{a.cfam} client, IPv{a.rfam} relayed)")
    (a.relayed,) = [list(r) for r in relayed(rattrs, tid)]


def channel_bind_attrs(channel, peer):
    ip, port = peer
    return [attr(ATTR_CHANNEL, struct.pack("!HH", channel, 0)),
            lambda t: attr(0x0012, xaddr(ip, port, t))]


def split(s):
    """A comma-separated list of addresses, each in its canonical spelling (as the sockets and
    the relay's answers write them, so that make_pcaps.py and the counts agree)."""
    try:
        return [str(ipaddress.ip_address(x)) for x in (s or "").split(",") if x]
    except ValueError as e:
        raise SystemExit(f"setup: {e}")


def make(args):
    clients = {4: split(args.client4), 6: split(args.client6)}
    peers = {4: split(args.peer4), 6: split(args.peer6)}
    servers = {4: args.server4, 6: args.server6}
    for f in (4, 6):
        for ip in clients[f] + peers[f] + split(servers[f]):
            if fam(ip) != f:
                raise SystemExit(f"setup: {ip} is not an IPv{f} address")
    valid = int(max(args.hold, 0)) + args.lifetime + 600
    allocs, binds, cases = [], [], {}

    def new_alloc(cfam, rfam):
        ips = clients[cfam]
        a = Alloc(args, len(allocs), cfam, rfam, ips[len(allocs) % len(ips)], valid)
        allocs.append(a)
        return a

    started = time.monotonic()
    for cfam, rfam in PLAIN:
        names = [f"cd{cfam}-to-udp{rfam}", f"udp{rfam}-to-cd{cfam}"]
        if not (clients[cfam] and servers[cfam] and peers[rfam] and servers[rfam]):
            log(f"no {' and '.join(names)}: no IPv{cfam} client/server or IPv{rfam} peer/relay")
            continue
        group = []
        for _ in range(args.allocations):
            a = new_alloc(cfam, rfam)
            allocate(a, args.lifetime)
            for i in range(args.channels):
                pips = peers[rfam]
                peer = [pips[len(binds) % len(pips)], args.peer_port + i]
                b = dict(alloc=a.index, channel=CHANNEL_MIN + i, peer=peer)
                request(a, CHANNEL_BIND, channel_bind_attrs(b["channel"], peer),
                        f"ChannelBind {b['channel']:#x} on allocation {a.index}")
                a.binds.append(len(binds))
                group.append(len(binds))
                binds.append(b)
        for n in names:
            cases[n] = group
        log(f"{' and '.join(names)}: {args.allocations} allocations x {args.channels} "
            f"channels ({time.monotonic() - started:.1f} s)")

    for afam, bfam in HAIRPINS:
        name = f"cd{afam}-to-cd{bfam}"
        if not (clients[afam] and clients[bfam] and servers[afam] and servers[bfam]):
            log(f"no {name}: no IPv{afam} or IPv{bfam} client or server")
            continue
        group = []
        for _ in range(args.pairs):
            # Relayed in A's family, as the golden vectors: the peer is B's relayed address.
            a, b = new_alloc(afam, afam), new_alloc(bfam, afam)
            allocate(a, args.lifetime)
            allocate(b, args.lifetime)
            ia, ib = len(binds), len(binds) + 1
            binds.append(dict(alloc=a.index, channel=CHANNEL_MIN, peer=b.relayed, back=ib))
            binds.append(dict(alloc=b.index, channel=CHANNEL_MIN, peer=a.relayed, back=ia))
            for x, i in ((a, ia), (b, ib)):
                request(x, CHANNEL_BIND, channel_bind_attrs(CHANNEL_MIN, binds[i]["peer"]),
                        f"ChannelBind (hairpin) on allocation {x.index}")
                x.binds.append(i)
            group.append(ia)
        cases[name] = group
        log(f"{name}: {args.pairs} pairs ({time.monotonic() - started:.1f} s)")
    if not cases:
        raise SystemExit("setup: no case has the addresses it needs")
    return allocs, binds, cases


def write_json(path, obj):
    tmp = f"{path}.tmp"
    with open(tmp, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(tmp, path)  # whoever waits for the file sees it whole


class Holder:
    """Refreshes while the replay runs; counts what the relay sends to our sockets."""

    def __init__(self, args, allocs, binds):
        self.args, self.allocs, self.binds = args, allocs, binds
        self.sel = selectors.DefaultSelector()
        self.pending = {}  # tid -> [alloc, mtype, attrs, sent, tries]
        self.received = {}  # "ip port <- ip port" or "ip port ch 0x4000" -> datagrams
        self.refreshes = self.failures = 0
        self.stop = False
        for a in allocs:
            a.client.sock.setblocking(False)
            self.sel.register(a.client.sock, selectors.EVENT_READ, a)
        self.sinks = []
        if args.sink:
            for ip, port in sorted({tuple(b["peer"]) for b in binds if "back" not in b}):
                s = socket.socket(socket.AF_INET6 if fam(ip) == 6 else socket.AF_INET,
                                  socket.SOCK_DGRAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
                try:
                    s.bind((ip, port))
                except OSError as e:
                    raise SystemExit(f"setup: --sink: cannot bind {ip} port {port}: {e}")
                s.setblocking(False)
                self.sel.register(s, selectors.EVENT_READ, None)
                self.sinks.append(s)

    def send(self, a, mtype, attrs, tries=0):
        msg, tid = a.client.build(mtype, attrs)
        try:
            a.client.sock.sendto(msg, a.client.server)
        except BlockingIOError:
            pass  # the socket's buffer is full: sent again after RTO, like a lost one
        self.pending[tid] = [a, mtype, attrs, time.monotonic(), tries + 1]

    def refresh_all(self):
        life = struct.pack("!I", self.args.lifetime)
        for a in self.allocs:
            self.send(a, REFRESH, [attr(ATTR_LIFETIME, life)])
            for i in a.binds:
                b = self.binds[i]
                self.send(a, CHANNEL_BIND, channel_bind_attrs(b["channel"], b["peer"]))

    def on_stun(self, a, data):
        try:
            rtype, tid, rattrs = parse(data)
        except (AssertionError, struct.error):
            self.count(f"{a.client.sock.getsockname()[0]} malformed STUN")
            return
        p = self.pending.pop(tid, None)
        if p is None:
            return  # an answer to a request already sent again and answered
        code = error_code(rattrs)
        if code == 438 and get(rattrs, ATTR_NONCE) and p[4] < TRIES:
            a.client.nonce = get(rattrs, ATTR_NONCE)[0]  # stale nonce: again with the new one
            self.send(a, p[1], p[2], p[4])
        elif rtype & 0x0110 == 0x0100:
            self.refreshes += 1
        else:
            self.failures += 1
            log(f"{'Refresh' if p[1] == REFRESH else 'ChannelBind'} on allocation "
                f"{a.index}: error {code}")

    def count(self, key):
        self.received[key] = self.received.get(key, 0) + 1

    def drain(self, sock, a):
        me = sock.getsockname()
        while True:
            try:
                data, src = sock.recvfrom(65536)
            except BlockingIOError:
                return
            if a is None:  # a peer sink
                self.count(f"{me[0]} {me[1]} <- {src[0]} {src[1]}")
            elif len(data) >= 20 and data[0] < 0x40 and data[4:8] == struct.pack("!I", MAGIC):
                self.on_stun(a, data)
            elif len(data) >= 4 and 0x40 <= data[0] <= 0x7F:
                self.count(f"{me[0]} {me[1]} ch {struct.unpack('!H', data[:2])[0]:#x}")
            else:
                self.count(f"{me[0]} {me[1]} other")

    def run(self, seconds):
        end = time.monotonic() + seconds
        next_refresh = time.monotonic() + self.args.refresh
        while not self.stop:
            now = time.monotonic()
            if now >= end:
                break
            if now >= next_refresh:
                self.refresh_all()
                next_refresh = now + self.args.refresh
            for tid, p in list(self.pending.items()):
                if now - p[3] > RTO:
                    del self.pending[tid]
                    if p[4] < TRIES:
                        self.send(p[0], p[1], p[2], p[4])
                    else:
                        self.failures += 1
                        log(f"allocation {p[0].index}: no answer to a refresh")
            for key, _ in self.sel.select(timeout=min(0.2, max(end - now, 0))):
                self.drain(key.fileobj, key.data)
        # What is still on its way when the hold ends.
        for key, _ in self.sel.select(timeout=0):
            self.drain(key.fileobj, key.data)
        self.failures += len(self.pending)

    def release(self):
        for a in self.allocs:
            a.client.sock.setblocking(True)
            a.client.sock.settimeout(2)
            try:
                request(a, REFRESH, [attr(ATTR_LIFETIME, b"\0\0\0\0")],
                        f"Refresh 0 on allocation {a.index}")
            except SystemExit as e:
                self.failures += 1
                log(str(e))


def main():
    p = argparse.ArgumentParser(description="Bindings on a running turnpike for pcap replay "
                                "(bench/pktgen/README.md).")
    p.add_argument("--secret", required=True, help="one of the relay's auth.secrets")
    p.add_argument("--server4", help="the relay's IPv4 address that IPv4 clients contact")
    p.add_argument("--server6", help="the relay's IPv6 address that IPv6 clients contact")
    p.add_argument("--port", type=int, default=3478, help="the relay's listen port")
    p.add_argument("--client4", help="local IPv4 addresses for clients, comma-separated")
    p.add_argument("--client6", help="local IPv6 addresses for clients, comma-separated")
    p.add_argument("--peer4", help="IPv4 peer addresses, comma-separated (peers.allow!)")
    p.add_argument("--peer6", help="IPv6 peer addresses, comma-separated")
    p.add_argument("--peer-port", type=int, default=9000,
                   help="channel i of an allocation binds PEER:PEER_PORT+i")
    p.add_argument("--allocations", type=int, default=4,
                   help="allocations per relay group (client x relayed family)")
    p.add_argument("--channels", type=int, default=4, help="channels per allocation")
    p.add_argument("--pairs", type=int, default=2, help="allocation pairs per hairpin case")
    p.add_argument("--lifetime", type=int, default=3600, help="LIFETIME asked for (s)")
    p.add_argument("--name", default="pktgen", help="user name prefix (one name per allocation)")
    p.add_argument("--out", required=True, help="the bindings JSON to write")
    p.add_argument("--hold", type=float, default=0,
                   help="seconds to keep the bindings alive, then delete them (0: exit at "
                        "once and leave them to their lifetimes: 300 s for permissions)")
    p.add_argument("--refresh", type=float, default=60, help="seconds between refreshes")
    p.add_argument("--sink", action="store_true",
                   help="bind the peers' addresses (local ones) and count what arrives")
    p.add_argument("--counts", help="with --hold: write what arrived where to this JSON")
    p.add_argument("--keep", action="store_true", help="do not delete the allocations at the end")
    args = p.parse_args()
    if not 0 < args.channels <= 0x4000 or args.allocations < 0 or args.pairs < 0:
        p.error("--channels 1..16384 (and the relay's limits.max-channels-per-allocation), "
                "--allocations and --pairs >= 0")
    if args.peer_port + args.channels > 65536:
        p.error("--peer-port + --channels beyond port 65535")
    if not 0 < args.refresh < 300 or args.hold < 0 or args.hold > 7 * 86400:
        p.error("--refresh 0..300 s (permissions last 300 s), --hold 0..604800 s")
    if not (args.server4 or args.server6):
        p.error("--server4 or --server6")

    # A socket per allocation: thousands of them.
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    allocs, binds, cases = make(args)
    out = {
        "version": 1,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "listen_port": args.port,
        "allocations": [dict(client=a.addr(), server=[a.client.server[0], args.port],
                             relayed=a.relayed, username=a.user.decode()) for a in allocs],
        "bindings": binds,
        "cases": cases,
    }
    write_json(args.out, out)
    log(f"{len(allocs)} allocations, {len(binds)} bindings, {len(cases)} cases -> {args.out}")
    if args.hold <= 0:
        return 0

    h = Holder(args, allocs, binds)
    log(f"holding for {args.hold:g} s (refresh every {args.refresh:g} s; SIGTERM ends it)")
    # The handlers only set a flag: select() returns within 0.2 s and the loop sees it.
    signal.signal(signal.SIGTERM, lambda *_: setattr(h, "stop", True))
    signal.signal(signal.SIGINT, lambda *_: setattr(h, "stop", True))
    h.stop = bool(stop)
    h.run(args.hold)
    if not args.keep:
        h.release()
    log(f"{h.refreshes} refreshes answered, {h.failures} failed; "
        f"{sum(h.received.values())} datagrams received")
    if args.counts:
        write_json(args.counts, dict(refreshes=h.refreshes, failures=h.failures,
                                     received=h.received))
    return 1 if h.failures else 0


if __name__ == "__main__":
    sys.exit(main())
