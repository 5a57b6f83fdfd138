#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Flow records and metrics, end to end: known traffic through a running turnpike, then the
# records it wrote, read with Python's json and compared count for count, and its metrics,
# scraped over HTTP and read with prometheus_client's parser.
#
#   flow_client.py traffic SERVER_IP PORT CLIENT_IP PEER_IP SECRET PLAN SYNC_DIR
#       three flows from client A (a username with quotes, a backslash, UTF-8 and a byte
#       that is not UTF-8): a channel to PEER_IP:3480, Send/Data with PEER_IP:3481, and a
#       channel to client B's relayed address (hairpin) with B's channel back; waits for
#       every datagram; then touches SYNC_DIR/ready and waits for SYNC_DIR/go (the caller
#       scrapes the metrics meanwhile) before both clients Refresh 0. Writes what it did to
#       PLAN (JSON).
#   flow_client.py verify PLAN FLOWLOG
#       exactly one end record per flow, whose counts match the plan.
#   flow_client.py metrics URL DATAPLANE
#       the text parses; the gauges and counters say what the traffic did.
import base64
import hashlib
import hmac
import json
import os
import socket
import struct
import sys
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from turn_client import Client, attr, error_code, relayed, xaddr  # noqa: E402

N_TO_PEER, N_TO_CLIENT = 25, 17  # the channel flow
N_SEND, N_DATA = 6, 4  # the permission-only flow
N_HAIRPIN = 9  # A to B through the relay


def fail(what):
    print("FAIL " + what)
    sys.exit(1)


def credentials(secret, name):
    user = str(int(time.time()) + 3600).encode() + b":" + name
    password = base64.b64encode(hmac.new(secret.encode(), user, hashlib.sha1).digest())
    return user, password


def ok(resp, what):
    rtype, code = resp[0], resp[1]
    if rtype & 0x0110 != 0x0100:
        fail(f"{what}: error {code}")
    return resp


def channel_bind(c, number, ip, port):
    ok(c.request(0x0009, [attr(0x000C, struct.pack("!HH", number, 0)),
                          lambda t: attr(0x0012, xaddr(ip, port, t))]), f"ChannelBind {number:#x}")


def recv_n(sock, n, what):
    got = []
    try:
        while len(got) < n:
            got.append(sock.recvfrom(4096))
    except socket.timeout:
        fail(f"{what}: {len(got)} of {n} arrived")
    return got


def stun_attrs(msg):
    out, off = {}, 20
    while off + 4 <= len(msg):
        t, n = struct.unpack("!HH", msg[off:off + 4])
        out.setdefault(t, msg[off + 4:off + 4 + n])
        off += 4 + n + (-n % 4)
    return out


def traffic(server_ip, port, client_ip, peer_ip, secret, plan_path, sync_dir):
    port = int(port)
    peer = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer.bind((peer_ip, 3480))
    peer.settimeout(3)
    peer2 = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    peer2.bind((peer_ip, 3481))
    peer2.settimeout(3)

    name_a = b'q"u\\o\xc3\xa9-\xff'
    user_a, pw_a = credentials(secret, name_a)
    user_b, pw_b = credentials(secret, b"bob")
    a = Client(port, user_a, pw_a, server_ip=server_ip, local_ip=client_ip)
    b = Client(port, user_b, pw_b, server_ip=server_ip, local_ip=client_ip)
    a.sock.settimeout(3)
    b.sock.settimeout(3)
    _, _, attrs, _, tid = ok(a.allocate(), "Allocate A")
    (ra_ip, ra_port), = relayed(attrs, tid)
    _, _, attrs, _, tid = ok(b.allocate(), "Allocate B")
    (rb_ip, rb_port), = relayed(attrs, tid)

    # The channel flow: N_TO_PEER datagrams of 100 bytes out, N_TO_CLIENT of 50 back.
    channel_bind(a, 0x4001, peer_ip, 3480)
    for i in range(N_TO_PEER):
        a.sock.sendto(struct.pack("!HH", 0x4001, 100) + bytes([i]) * 100, a.server)
    got = recv_n(peer, N_TO_PEER, "ChannelData to the peer")
    if any(src != (ra_ip, ra_port) or len(d) != 100 for d, src in got):
        fail("the peer got something other than 100 bytes from A's relayed address")
    for i in range(N_TO_CLIENT):
        peer.sendto(bytes([i]) * 50, (ra_ip, ra_port))
    got = recv_n(a.sock, N_TO_CLIENT, "peer data to A")
    if any(d[:4] != struct.pack("!HH", 0x4001, 50) for d, _ in got):
        fail("A got something other than ChannelData 0x4001 of 50 bytes")

    # The permission-only flow: Send indications of 30 bytes, Data indications of 20 back.
    ok(a.request(0x0008, [lambda t: attr(0x0012, xaddr(peer_ip, 3481, t))]), "CreatePermission")
    # The first through the engine, which begins the flow (and hands it to a fast path); the
    # rest once it has gone, so that a fast path has the flow for them.
    for i in range(N_SEND):
        msg, _ = a.build(0x0016, [lambda t: attr(0x0012, xaddr(peer_ip, 3481, t)),
                                  attr(0x0013, bytes([i]) * 30)], auth=False)
        a.sock.sendto(msg, a.server)
        if i == 0:
            recv_n(peer2, 1, "the first Send indication to the second peer")
    recv_n(peer2, N_SEND - 1, "Send indications to the second peer")
    for i in range(N_DATA):
        peer2.sendto(bytes([i]) * 20, (ra_ip, ra_port))
    got = recv_n(a.sock, N_DATA, "Data indications to A")
    if any(struct.unpack("!H", d[:2])[0] != 0x0017 or len(stun_attrs(d).get(0x0013, b"")) != 20
           for d, _ in got):
        fail("A got something other than Data indications of 20 bytes")

    # The hairpin: channels both ways between A's and B's relayed addresses.
    channel_bind(a, 0x4002, rb_ip, rb_port)
    channel_bind(b, 0x4003, ra_ip, ra_port)
    for i in range(N_HAIRPIN):
        a.sock.sendto(struct.pack("!HH", 0x4002, 60) + bytes([i]) * 60, a.server)
    got = recv_n(b.sock, N_HAIRPIN, "hairpinned ChannelData to B")
    if any(d[:4] != struct.pack("!HH", 0x4003, 60) for d, _ in got):
        fail("B got something other than ChannelData 0x4003 of 60 bytes")

    # A flow that lasts: flows.interval is 1 s, so the relay writes an update meanwhile.
    time.sleep(2.5)
    open(os.path.join(sync_dir, "ready"), "w").close()
    for _ in range(300):
        if os.path.exists(os.path.join(sync_dir, "go")):
            break
        time.sleep(0.1)
    else:
        fail("nobody said go")
    for c, who in ((a, "A"), (b, "B")):
        ok(c.request(0x0004, [attr(0x000D, b"\0\0\0\0")]), f"Refresh 0 for {who}")

    a_port, b_port = a.sock.getsockname()[1], b.sock.getsockname()[1]
    flows = [
        dict(what="channel", client_port=a_port, peer_ip=peer_ip, peer_port=3480,
             channel=0x4001, to_peer=[N_TO_PEER, 100 * N_TO_PEER],
             to_client=[N_TO_CLIENT, 50 * N_TO_CLIENT]),
        dict(what="permission-only", client_port=a_port, peer_ip=peer_ip, peer_port=3481,
             channel=None, to_peer=[N_SEND, 30 * N_SEND], to_client=[N_DATA, 20 * N_DATA]),
        dict(what="hairpin, sending side", client_port=a_port, peer_ip=rb_ip,
             peer_port=rb_port, channel=0x4002, to_peer=[N_HAIRPIN, 60 * N_HAIRPIN],
             to_client=[0, 0]),
        dict(what="hairpin, receiving side", client_port=b_port, peer_ip=ra_ip,
             peer_port=ra_port, channel=0x4003, to_peer=[0, 0],
             to_client=[N_HAIRPIN, 60 * N_HAIRPIN]),
    ]
    plan = dict(client_ip=client_ip, relayed_ip=ra_ip, user_a=user_a.hex(), flows=flows)
    with open(plan_path, "w") as f:
        json.dump(plan, f)
    print(f"traffic done: 4 flows, A {a_port} ({ra_ip}:{ra_port}), B {b_port} ({rb_port})")


def verify(plan_path, log_path):
    plan = json.load(open(plan_path))
    records = []
    with open(log_path, "rb") as f:
        for n, line in enumerate(f, 1):
            try:
                records.append(json.loads(line.decode("utf-8")))
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                fail(f"flow log line {n} is not JSON: {e}: {line[:200]!r}")
    ends = [r for r in records if r["event"] == "flow-end"]
    updates = [r for r in records if r["event"] == "flow-update"]
    print(f"flow log: {len(records)} records, {len(ends)} flow-end, {len(updates)} flow-update")
    failures = 0
    for fl in plan["flows"]:
        key = lambda r: (r["client_port"], r["peer_ip"], r["peer_port"], r["channel"])
        want = (fl["client_port"], fl["peer_ip"], fl["peer_port"], fl["channel"])
        mine = [r for r in ends if key(r) == want]
        if len(mine) != 1:
            print(f"FAIL {fl['what']}: {len(mine)} end records, want exactly 1")
            failures += 1
            continue
        r = mine[0]
        got = dict(to_peer=[r["to_peer_packets"], r["to_peer_bytes"]],
                   to_client=[r["to_client_packets"], r["to_client_bytes"]])
        checks = [
            (got["to_peer"] == fl["to_peer"], f"to the peer {got['to_peer']}, want {fl['to_peer']}"),
            (got["to_client"] == fl["to_client"],
             f"to the client {got['to_client']}, want {fl['to_client']}"),
            (r["end_reason"] == "refreshed-to-zero", f"end_reason {r['end_reason']}"),
            (r["client_ip"] == plan["client_ip"], f"client_ip {r['client_ip']}"),
            (r["duration_ms"] >= 0 and r["start"] <= r["end"], "start before end"),
        ]
        if fl["client_port"] == plan["flows"][0]["client_port"]:
            # A's username: not UTF-8 as a whole, so readable text and every byte in hex.
            checks.append((r.get("username_hex") == plan["user_a"],
                           f"username_hex {r.get('username_hex')}, want {plan['user_a']}"))
            checks.append(('q"u\\oé-\ufffd' in r["username"], f"username {r['username']!r}"))
            checks.append((r["relayed_ip"] == plan["relayed_ip"], f"relayed_ip {r['relayed_ip']}"))
        for good, what in checks:
            if not good:
                print(f"FAIL {fl['what']}: {what}")
                failures += 1
        print(f"ok   {fl['what']}: 1 record, to peer {got['to_peer']}, "
              f"to client {got['to_client']}")
        # Updates of the same flow: earlier totals, never more than the end's.
        for u in (u for u in updates if key(u) == want):
            if u["flow_id"] != r["flow_id"] or u["to_peer_packets"] > r["to_peer_packets"]:
                print(f"FAIL {fl['what']}: an update disagrees with the end record: {u}")
                failures += 1
    if not updates:
        print("FAIL no flow-update record although flows.interval = 1 and flows lasted 2.5 s")
        failures += 1
    print(f"{failures} failure(s)")
    return 1 if failures else 0


def metrics(url, dataplane):
    from prometheus_client.parser import text_string_to_metric_families

    text = urllib.request.urlopen(url, timeout=5).read().decode("utf-8")
    samples = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value

    def get(name, **labels):
        return samples.get((name, tuple(sorted(labels.items()))))

    failures = 0
    checks = [
        (get("turnpike_info", version=get_version(samples), dataplane=dataplane) == 1,
         "turnpike_info names the dataplane"),
        (get("turnpike_allocations") == 2, f"allocations {get('turnpike_allocations')}"),
        (get("turnpike_channels") == 3, f"channels {get('turnpike_channels')}"),
        ((get("turnpike_requests_total", method="allocate", result="success") or 0) >= 2,
         "allocate successes counted"),
        ((get("turnpike_requests_total", method="allocate", result="401") or 0) >= 2,
         "401 challenges counted"),
        ((get("turnpike_request_duration_seconds_count") or 0) >= 8, "request latencies"),
        (get("turnpike_request_duration_seconds_bucket", le="+Inf") ==
         get("turnpike_request_duration_seconds_count"), "histogram +Inf equals its count"),
    ]
    relayed_out = sum(v for (n, l), v in samples.items()
                      if n == "turnpike_relayed_packets_total" and ("direction", "to_peer") in l)
    checks.append((relayed_out >= N_TO_PEER + N_SEND + N_HAIRPIN,
                   f"relayed to peers {relayed_out}"))
    if dataplane == "socket":
        kept = get("turnpike_permission_flows", path="control")
        checks.append((kept == 1, f"permission flows the engine keeps: {kept}"))
    if dataplane != "socket":
        fast = get("turnpike_relayed_packets_total", path=dataplane, direction="to_peer") or 0
        # The first burst to the fresh peer may go through the control thread (dpdk mode:
        # its next hop is being resolved); the hairpin, between known hosts, is the fast
        # path's.
        checks.append((fast >= N_HAIRPIN, f"the {dataplane} fast path relayed {fast}"))
        # The permission-only flow began with Send indications through the engine: its peer's
        # data came after, every datagram a Data indication from the fast path.
        ind = get("turnpike_dataplane_frames_total", action="relayed",
                  reason="data-indication") or 0
        checks.append((ind == N_DATA, f"the {dataplane} fast path sent {ind} Data indications"))
        kept = get("turnpike_permission_flows", path="fastpath")
        checks.append((kept == 1, f"permission flows in the {dataplane} fast path: {kept}"))
        sends = get("turnpike_dataplane_frames_total", action="relayed",
                    reason="send-to-peer") or 0
        checks.append((sends == N_SEND - 1,
                       f"the {dataplane} fast path relayed {sends} Send indications"))
    for good, what in checks:
        print(("ok   " if good else "FAIL ") + "metrics: " + what)
        failures += not good
    return 1 if failures else 0


def get_version(samples):
    for (name, labels), _ in samples.items():
        if name == "turnpike_info":
            return dict(labels).get("version")
    return None


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "traffic":
        traffic(*args)
    elif cmd == "verify":
        sys.exit(verify(*args))
    elif cmd == "metrics":
        sys.exit(metrics(*args))
    else:
        fail(f"unknown command {cmd}")
