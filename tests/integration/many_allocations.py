#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# COUNT allocations held at once against a running turnpike, one UDP socket each (user alice,
# password alice-pw, realm turnpike.test), the sockets spread over the LOCAL_IP addresses
# given: each client asks for its 401 first, then sends its authenticated Allocate. At most
# WINDOW requests are in flight at once (a relay's socket buffer holds only so many), and a
# request unanswered for a second goes again. Prints "holding N" once all are made, then one
# line "relayed N ADDRESS" per relayed address the allocations got, then holds them until
# stdin closes.
#
# usage: many_allocations.py SERVER_IP SERVER_PORT COUNT LOCAL_IP[,LOCAL_IP...] [SECONDS]
#   SECONDS: how long making them may take (default 60)
import collections
import resource
import select
import socket
import sys
import time

from turn_client import Client, attr, error_code, get, parse, relayed

WINDOW = 1000
RESEND_AFTER = 1.0

server, port, count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
locals_ = sys.argv[4].split(",")
seconds = float(sys.argv[5]) if len(sys.argv) > 5 else 60
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

clients = [Client(port, server_ip=server, local_ip=locals_[i % len(locals_)]) for i in range(count)]
poller = select.epoll()
by_fd = {}
for c in clients:
    c.sock.setblocking(False)
    c.tid = None
    by_fd[c.sock.fileno()] = c
    poller.register(c.sock.fileno(), select.EPOLLIN)

REQUESTED_TRANSPORT_UDP = attr(0x0019, b"\x11\0\0\0")
todo = collections.deque(clients)  # clients whose next request is to go
in_flight = {}  # client -> when its request went
addresses = collections.Counter()
held = 0


def send(c):
    # Without a nonce: the unauthenticated Allocate, for the 401 and its nonce.
    msg, c.tid = c.build(0x0003, [REQUESTED_TRANSPORT_UDP], auth=c.nonce is not None)
    c.sock.sendto(msg, c.server)
    in_flight[c] = time.monotonic()


def answered(c, resp):
    global held
    _, _, attrs = parse(resp)
    code = error_code(attrs)
    del in_flight[c]
    if c.nonce is None:
        if code != 401 or not get(attrs, 0x0015):
            sys.exit("the first Allocate answered %d, not 401 with a nonce" % code)
        c.nonce = get(attrs, 0x0015)[0]
        todo.appendleft(c)
        return
    # 437: a resent request's first answer was lost and the allocation is there already.
    if code == 437:
        held += 1
        return
    if code != 0:
        sys.exit("Allocate answered %d" % code)
    held += 1
    for ip, _ in relayed(attrs, c.tid):
        addresses[ip] += 1


deadline = time.monotonic() + seconds
last_scan = time.monotonic()
while held < count:
    now = time.monotonic()
    if now > deadline:
        sys.exit("%d of %d allocations in %g s" % (held, count, seconds))
    while todo and len(in_flight) < WINDOW:
        send(todo.popleft())
    for fd, _ in poller.poll(0.05):
        c = by_fd[fd]
        while True:
            try:
                resp = c.sock.recv(2048)
            except BlockingIOError:
                break
            if c in in_flight and resp[8:20] == c.tid:
                answered(c, resp)
    if now - last_scan > 0.2:
        last_scan = now
        for c in [c for c, t in in_flight.items() if now - t > RESEND_AFTER]:
            del in_flight[c]
            todo.append(c)
print("holding %d" % held, flush=True)
for ip, n in sorted(addresses.items()):
    print("relayed %d %s" % (n, ip), flush=True)
select.select([sys.stdin], [], [], 600)
