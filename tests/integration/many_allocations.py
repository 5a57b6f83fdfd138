#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# COUNT allocations held at once against a running turnpike, one UDP socket each (user alice,
# password alice-pw, realm turnpike.test): every 401 asked for first, then every
# authenticated Allocate, in waves, each unanswered request sent again. Prints "holding N"
# once all are made, then holds them until stdin closes.
#
# usage: many_allocations.py SERVER_IP SERVER_PORT COUNT LOCAL_IP
import resource
import select
import socket
import sys
import time

from turn_client import Client, attr, error_code, get, parse

server, port, count, local = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))

clients = [Client(port, server_ip=server, local_ip=local) for _ in range(count)]
for c in clients:
    c.sock.setblocking(False)


def wave(pending, build, done, what):
    """Send build(c) for every client in pending, collect answers, again until none is left."""
    deadline = time.monotonic() + 60
    while pending and time.monotonic() < deadline:
        sent = {}
        for c in pending:
            msg, tid = build(c)
            sent[c] = tid
            c.sock.sendto(msg, c.server)
        end = time.monotonic() + 2
        left = set(pending)
        while left and time.monotonic() < end:
            for c in list(left):
                try:
                    resp = c.sock.recv(2048)
                except BlockingIOError:
                    continue
                if resp[8:20] == sent[c]:
                    done(c, resp)
                    left.discard(c)
            if left:
                time.sleep(0.01)
        pending = [c for c in pending if c in left]
    if pending:
        sys.exit("%d clients got no answer to %s" % (len(pending), what))


def got_nonce(c, resp):
    _, _, attrs = parse(resp)
    c.nonce = get(attrs, 0x0015)[0]


allocated = []


def got_allocation(c, resp):
    _, _, attrs = parse(resp)
    # 437: a retransmission's answer was lost and the allocation is there already.
    if error_code(attrs) in (0, 437):
        allocated.append(c)
    else:
        sys.exit("Allocate answered %d" % error_code(attrs))


wave(clients, lambda c: c.build(0x0003, [attr(0x0019, b"\x11\0\0\0")], auth=False),
     got_nonce, "the first Allocate")
wave(clients, lambda c: c.build(0x0003, [attr(0x0019, b"\x11\0\0\0")]), got_allocation,
     "the authenticated Allocate")
print("holding %d" % len(allocated), flush=True)
select.select([sys.stdin], [], [], 600)
