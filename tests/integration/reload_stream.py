#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# A steady stream through a relay while its configuration is reloaded ten times: nothing may be
# lost. One client (alice) relays numbered datagrams through a channel to an echo peer of this
# script's own, at RATE a second from before the first reload to after the last (COUNT at
# least; how many went is written to SENT_FILE), and the peer sends each back; meanwhile
# turnpikectl reloads the file ten times, each time with other values for live keys (the lifetimes, a
# peers.deny prefix that is not the peer's, flows.interval, which replaces the flow log). Every
# datagram must arrive, both ways, every reload must be applied while the stream runs, and the
# allocation must be there after, refreshing, with every packet counted by turnpikectl
# allocations whichever path carried it.
#
# usage: reload_stream.py TURNPIKECTL SOCKET CONFIG SERVER PEER_IP COUNT RATE FLOWS SENT_FILE
#        (CONFIG.in: the file with a line @LIVE@ where the live keys go)
import json
import select
import socket
import struct
import subprocess
import sys
import threading
import time

from turn_client import Client, attr, check, xaddr
import turn_client

ctl, sock_path, conf, server, peer_ip = sys.argv[1:6]
count, rate, flows, sent_file = int(sys.argv[6]), int(sys.argv[7]), sys.argv[8], sys.argv[9]
RELOADS = 10


def turnpikectl(*args):
    p = subprocess.run([ctl, "-s", sock_path, "--json", *args], capture_output=True, text=True,
                       timeout=40)
    return p.returncode, json.loads(p.stdout) if p.stdout.strip() else None, p.stderr


client = Client(3478, server_ip=server, local_ip="192.0.2.10")
_, code, attrs, _, tid = client.allocate()
check(code == 0, "alice allocates on %s" % server)
relay = turn_client.relayed(attrs, tid)[0]
peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
peer.bind((peer_ip, 0))
peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
client.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 22)
_, code, *_ = client.request(0x0009, [attr(0x000C, b"\x40\x00\0\0"),
                                      lambda t: attr(0x0012, xaddr(peer_ip, peer.getsockname()[1], t))])
check(code == 0, "a channel to the echo peer %s:%d" % peer.getsockname())
template = open(conf + ".in").read()

# The reloads, spread over the stream's length, each with other live values.
reloads = []


def reloader():
    period = count / rate / (RELOADS + 1)
    for i in range(RELOADS):
        time.sleep(period)
        live = ("lifetimes: { permission = %d; channel = %d; };\n" % (301 + i, 601 + i) +
                'peers: { deny = [ "198.51.100.%d/32" ]; };\n' % i +
                'flows: { output = "%s"; interval = %d; };\n' % (flows, i % 2))
        open(conf, "w").write(template.replace("@LIVE@\n", live))
        t = time.monotonic()
        rc, ans, err = turnpikectl("reload")
        reloads.append((t, rc == 0 and ans["ok"] and "lifetimes.permission" in ans["applied"]
                        and not ans["needs_restart"], err))


worker = threading.Thread(target=reloader)
client.sock.setblocking(False)
peer.setblocking(False)
sent = 0
at_peer, at_client = set(), set()
start = time.monotonic()
worker.start()
last_io = time.monotonic()
stream_end = None  # when sending stops: half a second after the last reload, COUNT sent
while (stream_end is None or len(at_client) < sent or len(at_peer) < sent) and \
        time.monotonic() - last_io < 5:
    now = time.monotonic()
    if stream_end is None and not worker.is_alive() and sent >= count:
        stream_end = now + 0.5
    due = int((now - start) * rate) + 1
    if stream_end is not None and now >= stream_end:
        due = sent
    while sent < due:
        client.sock.sendto(struct.pack("!HHI", 0x4000, 8, sent) + b"seq!", client.server)
        sent += 1
        last_io = now
    ready, _, _ = select.select([client.sock, peer], [], [], 0.005)
    for s in ready:
        while True:
            try:
                data, src = s.recvfrom(2048)
            except BlockingIOError:
                break
            last_io = time.monotonic()
            if s is peer and len(data) == 8 and data[4:] == b"seq!":
                at_peer.add(struct.unpack("!I", data[:4])[0])
                peer.sendto(data, src)
            elif s is client.sock and data[:4] == b"\x40\x00\x00\x08":
                at_client.add(struct.unpack("!I", data[4:8])[0])
end = stream_end or time.monotonic()
worker.join()
count = sent
open(sent_file, "w").write("%d\n" % sent)
client.sock.setblocking(True)
client.sock.settimeout(2)

check(len(at_peer) == count, "the peer got %d of %d datagrams in %.1f s"
      % (len(at_peer), count, end - start))
check(len(at_client) == count, "alice got %d of %d back" % (len(at_client), count))
ok = [r for r in reloads if r[1]]
check(len(ok) == RELOADS, "%d of %d reloads applied (%s)" % (len(ok), RELOADS,
                                                            [r[2] for r in reloads if not r[1]]))
check(all(start < t < end for t, _, _ in reloads) and len(reloads) == RELOADS,
      "every reload while the stream ran")
_, code, *_ = client.request(0x0004, [attr(0x000D, struct.pack("!I", 600))])
check(code == 0, "the allocation is still there: it refreshes")
rc, ans, _ = turnpikectl("allocations", "--user", "alice")
a = ans["allocations"][0] if rc == 0 and ans["count"] == 1 else {}
check(a.get("packets_to_peer") == count and a.get("packets_to_client") == count,
      "turnpikectl allocations counts %s and %s packets (every path, across the reloads)"
      % (a.get("packets_to_peer"), a.get("packets_to_client")))
sys.exit(1 if turn_client.failures else 0)
