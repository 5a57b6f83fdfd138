#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# turnpikectl against a running turnpike (socket mode, loopback), and the admin socket spoken
# to directly; see admin.sh for what is checked. The oracles are turnpikectl's answers (its
# --json parsed here), what reaches the clients and peers, the flow records and the metrics.
#
# usage: admin.py TURNPIKECTL SOCKET CONFIG PORT METRICS_URL FLOWS RELAY_PID
import json
import re
import os
import signal
import socket
import struct
import subprocess
import sys
import time

from turn_client import Client, attr, check, error_code, xaddr
import turn_client

ctl, sock_path, conf, port, url, flows_path, pid = sys.argv[1:8]
port, pid = int(port), int(pid)
here = os.path.dirname(os.path.abspath(__file__))


def turnpikectl(*args, user=None):
    pre = ["setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups"] if user else []
    p = subprocess.run(pre + [ctl, "-s", sock_path, *args], capture_output=True, text=True,
                       timeout=40)
    return p.returncode, p.stdout, p.stderr


def ctl_json(*args):
    rc, out, err = turnpikectl("--json", *args)
    return rc, json.loads(out) if out.strip() else None, err


def metric(name, *labels):
    out = subprocess.run([sys.executable, os.path.join(here, "observe.py"), "metric", url, name,
                          *labels], capture_output=True, text=True).stdout.strip()
    return int(out) if out else None


def flow_records(**want):
    recs = []
    with open(flows_path) as f:
        for line in f:
            r = json.loads(line)
            if r.get("event") == "flow-end" and all(str(r.get(k)) == str(v)
                                                     for k, v in want.items()):
                recs.append(r)
    return recs


def wait_for(what, fn, seconds=10):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        v = fn()
        if v:
            return v
        time.sleep(0.1)
    check(False, what + " (waited %d s)" % seconds)
    return None


def raw(request):
    """One exchange on the admin socket, as any script would: the answer, parsed."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(10)
    s.connect(sock_path)
    s.sendall(request)
    data = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionResetError:  # it answered before reading all we sent
            break
        if not chunk:
            break
        data += chunk
    s.close()
    return json.loads(data) if data else None


def peer_socket(ip="127.0.0.1"):
    p = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    p.bind((ip, 0))
    p.settimeout(2)
    return p


def allocate(user, password):
    c = Client(port, user=user, password=password)
    _, code, attrs, _, tid = c.allocate()
    relayed = turn_client.relayed(attrs, tid)
    return c, code, relayed[0] if relayed else None


def channel(c, number, peer):
    ip, pport = peer.getsockname()
    _, code, *_ = c.request(0x0009, [attr(0x000C, struct.pack("!HH", number, 0)),
                                     lambda tid: attr(0x0012, xaddr(ip, pport, tid))])
    return code


def chandata(number, data):
    return struct.pack("!HH", number, len(data)) + data + b"\0" * (-len(data) % 4)


def recv_or_none(s):
    try:
        return s.recv(2048)
    except socket.timeout:
        return None


# status ------------------------------------------------------------------------------------
rc, out, _ = turnpikectl("status")
check(rc == 0 and "socket mode" in out and "allocations   0 of" in out,
      "turnpikectl status: socket mode, no allocations (exit %d)" % rc)
rc, st, _ = ctl_json("status")
check(rc == 0 and st["ok"] and st["mode"] == "socket" and st["config"] == os.path.abspath(conf)
      and st["allocations"] == 0 and st["draining"] is False and "uptime_s" in st
      and st["version"] and set(st["connections"]) == {"tcp", "tls", "dtls"},
      "status --json: mode, config file, uptime, version, allocations, connections")
p = subprocess.run([ctl, "-c", conf, "--json", "status"], capture_output=True, text=True)
check(p.returncode == 0 and json.loads(p.stdout)["mode"] == "socket",
      "turnpikectl -c CONFIG finds the socket from admin.socket")

# allocations -------------------------------------------------------------------------------
alice, code, alice_relay = allocate("alice", "alice-pw")
check(code == 0, "alice allocates")
peer = peer_socket()
check(channel(alice, 0x4000, peer) == 0, "alice binds channel 0x4000 to her peer")
for i in range(3):
    alice.send(chandata(0x4000, b"to-peer-%02d" % i))
got = [recv_or_none(peer) for _ in range(3)]
check(all(g and g.startswith(b"to-peer-") for g in got), "her peer gets 3 datagrams")
for i in range(2):
    peer.sendto(b"to-alice", alice_relay)
back = [recv_or_none(alice.sock) for _ in range(2)]
check(all(b and b[:2] == b"\x40\x00" for b in back), "she gets 2 back as ChannelData")

me = "127.0.0.1:%d" % alice.sock.getsockname()[1]
rc, ans, _ = ctl_json("allocations", "--user", "alice")
a = ans["allocations"][0] if rc == 0 and ans["count"] == 1 else {}
check(a.get("client") == me and a.get("transport") == "udp" and a.get("user") == "alice",
      "allocations --user alice: hers, from %s over UDP" % me)
check(a.get("relayed") == ["%s:%d" % alice_relay] and a.get("peers") == ["127.0.0.1"]
      and a.get("channels") == [{"number": 0x4000, "peer": "127.0.0.1:%d" % peer.getsockname()[1]}],
      "... her relayed address, her peer's permission and her channel")
check(a.get("packets_to_peer") == 3 and a.get("bytes_to_peer") == 30
      and a.get("packets_to_client") == 2 and a.get("bytes_to_client") == 16,
      "... 3 packets (30 bytes) to the peer, 2 (16 bytes) to her: got %s/%s, %s/%s"
      % (a.get("packets_to_peer"), a.get("bytes_to_peer"), a.get("packets_to_client"),
         a.get("bytes_to_client")))
check(a.get("age_s", -1) >= 0 and 0 < a.get("expires_in_s", 0) <= 600, "... her age and lifetime")
rc, ans, _ = ctl_json("allocations", "--client", me)
check(rc == 0 and ans["count"] == 1, "allocations --client %s: one" % me)
rc, ans, _ = ctl_json("allocations", "--client", "127.0.0.1")
check(rc == 0 and ans["count"] == 1, "allocations --client 127.0.0.1 (any port): one")
rc, ans, _ = ctl_json("allocations", "--user", "nobody")
check(rc == 0 and ans["count"] == 0, "allocations --user nobody: none")
rc, out, _ = turnpikectl("allocations")
check(rc == 0 and "1 allocation(s)" in out and 'user "alice"' in out and "0x4000" in out,
      "allocations, human-readable")

# kick --------------------------------------------------------------------------------------
bobs = [allocate("bob", "bob-pw") for _ in range(2)]
check(all(code == 0 for _, code, _ in bobs), "bob allocates twice")
rc, ans, _ = ctl_json("allocations", "--user", "bob", "--limit", "1")
check(rc == 0 and ans["count"] == 2 and len(ans["allocations"]) == 1,
      "allocations --limit 1: 2 match, 1 listed")
rc, out, _ = turnpikectl("kick", "--user", "bob")
check(rc == 0 and "kicked 2" in out, "kick --user bob: kicked 2 (%r)" % out.strip())
rc, ans, _ = ctl_json("allocations", "--user", "bob")
check(ans["count"] == 0, "bob holds none")
_, code, *_ = bobs[0][0].request(0x0004, [attr(0x000D, struct.pack("!I", 600))])
check(code == 437, "bob's Refresh: 437 Allocation Mismatch (got %d)" % code)
rc, out, _ = turnpikectl("kick", "--client", me)
check(rc == 0 and "kicked 1" in out, "kick --client %s" % me)
recs = wait_for("alice's flow record, end_reason kicked",
                lambda: flow_records(end_reason="kicked", username="alice"))
check(bool(recs) and recs[0]["to_peer_packets"] == 3 and recs[0]["to_client_packets"] == 2,
      "... with her 3 and 2 packets")
check(bool(wait_for("3 kicked, in the metrics",
                    lambda: metric("turnpike_engine_allocations_kicked_total") == 3)),
      "3 kicked, in the metrics")
rc, out, err = turnpikectl("kick", "--client", me)
check(rc == 1 and "no allocation matches" in err, "kick again: exit 1, no allocation matches")
rc, out, err = turnpikectl("kick")
check(rc == 1 and "kick needs" in err, "kick without a client or user: refused")

# bad requests ------------------------------------------------------------------------------
ans = raw(b"hello\n")
check(ans and ans["ok"] is False and "JSON" in ans["error"], "not JSON: an error that says so")
ans = raw(b'{"command": "fly"}\n')
check(ans and ans["ok"] is False and "unknown command" in ans["error"], "unknown command: said")
ans = raw(b'{"command": "allocations", "client": "not-an-address"}\n')
check(ans and ans["ok"] is False and "client" in ans["error"], "a bad client filter: named")
ans = raw(b'{"command": ' + b"x" * 5000)
check(ans and ans["ok"] is False and "longer than" in ans["error"], "5000 bytes: too long, said")
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sock_path)
s.sendall(b'{"command": "status"}')
s.shutdown(socket.SHUT_WR)
check(json.loads(s.recv(65536))["ok"], "a request ended by shutting down the write side")
s.close()
rc, _, err = turnpikectl("fly")
check(rc == 2 and "unknown command" in err, "turnpikectl fly: exit 2")

# Silent clients: served around, closed within their 5 s, and never more than 16 kept.
silent = []
for _ in range(20):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sock_path)
    silent.append(s)
t0 = time.monotonic()
rc, out, _ = turnpikectl("status")
check(rc == 0 and time.monotonic() - t0 < 3, "status with 20 silent clients connected")
for s in silent:
    s.settimeout(10)
closed = sum(1 for s in silent if s.recv(1) == b"")
check(closed == 20 and time.monotonic() - t0 < 9,
      "every silent client closed (%d of 20) within %.1f s" % (closed, time.monotonic() - t0))
for s in silent:
    s.close()

# Who may connect: admin.mode 0600, root's socket; nobody is refused.
rc, _, err = turnpikectl("status", user=65534)
check(rc == 3 and "Permission denied" in err, "nobody: refused (exit %d, %s)" % (rc, err.strip()))

# reload ------------------------------------------------------------------------------------
base = ctl_json("status")[1]["reloads"]
carol, code, carol_relay = allocate("carol", "carol-pw")
p1, p2 = peer_socket("127.0.0.1"), peer_socket("127.0.0.2")
check(code == 0 and channel(carol, 0x4001, p1) == 0 and channel(carol, 0x4002, p2) == 0,
      "carol binds channels to 127.0.0.1 and 127.0.0.2")
dave, code, _ = allocate("dave", "dave-pw")
check(code == 0 and channel(dave, 0x4003, p1) == 0, "dave allocates, with a channel")
text = open(conf).read()
new = (text.replace('{ name = "dave"; password = "dave-pw"; },', "")
       .replace('allow = [ "127.0.0.0/8" ]', 'allow = [ "127.0.0.1/32" ]')
       .replace('level = "info"', 'level = "debug"')
       )
new = re.sub(r"port-max = (\d+)", lambda m: "port-max = %d" % (int(m.group(1)) - 1), new)
check(new.count("dave") == 0 and "127.0.0.1/32" in new and "debug" in new,
      "the new file: no dave, 127.0.0.2 no longer allowed, debug logs, another port-max")
open(conf, "w").write(new)
rc, ans, err = ctl_json("reload")
check(rc == 0 and ans["ok"], "turnpikectl reload: applied (%s)" % err.strip())
check(ans and {"auth.users", "peers.allow", "log.level"} <= set(ans["applied"]),
      "... applied auth.users, peers.allow, log.level (%s)" % (ans or {}).get("applied"))
check(ans and ans["needs_restart"] == ["relay.port-max"],
      "... relay.port-max reported as needing a restart (%s)" % (ans or {}).get("needs_restart"))
check(ans and ans["allocations_revoked"] == 1 and ans["permissions_denied"] == 1,
      "... dave's allocation and carol's permission for 127.0.0.2 ended")
check(ctl_json("allocations", "--user", "dave")[1]["count"] == 0, "dave holds nothing")
check(bool(wait_for("dave's flow record: user-revoked",
                    lambda: flow_records(end_reason="user-revoked", username="dave"))),
      "dave's flow ended user-revoked")
check(bool(wait_for("carol's 127.0.0.2 flow record: peer-denied",
                    lambda: flow_records(end_reason="peer-denied", peer_ip="127.0.0.2"))),
      "carol's flow to 127.0.0.2 ended peer-denied")
c = ctl_json("allocations", "--user", "carol")[1]["allocations"]
check(len(c) == 1 and c[0]["peers"] == ["127.0.0.1"], "carol keeps her allocation, 127.0.0.1 only")
carol.send(chandata(0x4001, b"still"))
check(recv_or_none(p1) == b"still", "carol's channel to 127.0.0.1 still relays")
p2.sendto(b"denied", carol_relay)
carol.sock.settimeout(1)
check(recv_or_none(carol.sock) is None, "127.0.0.2's data no longer reaches her")
carol.sock.settimeout(2)
_, code, *_ = carol.request(0x0008, [lambda tid: attr(0x0012, xaddr("127.0.0.2", 9, tid))])
check(code == 403, "a new permission for 127.0.0.2: 403 (got %d)" % code)
rc, st, _ = ctl_json("status")
check(st["reloads"] == {"applied": base["applied"] + 1, "refused": base["refused"]},
      "status: one more reload applied")

# A bad file changes nothing, and says where.
open(conf, "a").write("limits: { max-allocations = 0; };\n")
line = open(conf).read().count("\n")
rc, _, err = turnpikectl("reload")
check(rc == 1 and ("turnpike.conf:%d: limits.max-allocations: must be between" % line) in err
      and "running configuration stays" in err, "a bad file: refused, file:line:key (%s)"
      % err.strip())
check(bool(wait_for("one more refused, in the metrics",
                    lambda: metric("turnpike_config_reloads_total", "result=refused")
                    == base["refused"] + 1)),
      "one more refused, in the metrics")
carol.send(chandata(0x4001, b"after"))
check(recv_or_none(p1) == b"after", "carol still relays")
_, code, *_ = carol.request(0x0004, [attr(0x000D, struct.pack("!I", 600))])
check(code == 0, "and refreshes")
open(conf, "w").write(new)
os.kill(pid, signal.SIGHUP)
check(wait_for("SIGHUP reloads: one more applied",
               lambda: metric("turnpike_config_reloads_total", "result=applied")
               == base["applied"] + 2),
      "SIGHUP reloads too")

# drain -------------------------------------------------------------------------------------
rc, out, _ = turnpikectl("drain")
check(rc == 0 and "draining" in out and "1 allocation(s) held" in out, "turnpikectl drain")
st = ctl_json("status")[1]
check(st["draining"] is True, "status: draining")
check(bool(wait_for("metrics: draining", lambda: metric("turnpike_draining") == 1)),
      "metrics: draining")
_, code, _ = allocate("alice", "alice-pw")
check(code == 508, "a new Allocate while draining: 508 (got %d)" % code)
rc, out, _ = turnpikectl("drain")
check(rc == 0 and "(already)" in out, "drain again: already")
rc, out, _ = turnpikectl("kick", "--user", "carol")
check(rc == 0, "the last allocation kicked: turnpike should exit now")
sys.exit(1 if turn_client.failures else 0)
