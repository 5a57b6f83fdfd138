#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Writes the fuzz targets' seed inputs (committed under seeds/): typical TURN messages for the
# parser, and operation scripts that walk the engine through allocation, permission, channel,
# data, hairpin and expiry, and the golden vectors' frames for dataplane/core. Run it again
# after changing the script format in fuzz_engine.c or the vectors.
# (seeds/stun_parse/rfc* are the RFC 5769 and RFC 8489 B.1 vectors, the bytes that
# tests/unit/stun_test.cpp checks.)
import json
import os
import struct
import zlib

here = os.path.dirname(os.path.abspath(__file__))
MAGIC = 0x2112A442


def attr(t, v):
    return struct.pack("!HH", t, len(v)) + v + b"\0" * (-len(v) % 4)


def stun(method_type, attrs, tid=b"turnpike-tid", fingerprint=True):
    body = b"".join(attrs)
    msg = struct.pack("!HHI", method_type, len(body), MAGIC) + tid + body
    if fingerprint:
        msg = msg[:2] + struct.pack("!H", len(body) + 8) + msg[4:]
        crc = (zlib.crc32(msg) ^ 0x5354554E) & 0xFFFFFFFF
        msg += attr(0x8028, struct.pack("!I", crc))
    return msg


def xaddr(ip4, port):
    x = struct.pack("!BBH", 0, 1, port ^ 0x2112) + bytes(a ^ b for a, b in zip(ip4, struct.pack("!I", MAGIC)))
    return x


def write(target, name, data):
    d = os.path.join(here, "seeds", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# Parser seeds: TURN messages.
write("stun_parse", "binding", stun(0x0001, []))
write("stun_parse", "allocate", stun(0x0003, [attr(0x0019, b"\x11\0\0\0"), attr(0x000D, struct.pack("!I", 600)),
                                              attr(0x0017, b"\x02\0\0\0"), attr(0x0018, b"\x80")]))
write("stun_parse", "channel-bind", stun(0x0009, [attr(0x000C, b"\x40\x00\0\0"), attr(0x0012, xaddr(bytes([198, 51, 100, 7]), 40000)),
                                                  attr(0x0006, b"alice"), attr(0x0014, b"realm"), attr(0x0015, b"obMatJos2gAAA00000000"),
                                                  attr(0x0008, b"\0" * 20)]))
write("stun_parse", "send", stun(0x0016, [attr(0x0012, xaddr(bytes([198, 51, 100, 7]), 40000)), attr(0x0013, b"hello")]))
write("stun_parse", "unknown-attrs", stun(0x0003, [attr(0x0003, b"\0\0\0\0"), attr(0xC001, b"x"), attr(0x001C, b"\0" * 32)]))


# Engine scripts: records of (op, length, bytes); see fuzz_engine.c.
def rec(op, data=b""):
    return bytes([op, len(data)]) + data


def req(client, method, attrs):
    body = struct.pack("!H", method)
    for t, v in attrs:
        body += struct.pack("!HB", t, len(v)) + v
    return rec(1 + 5 * client, body)


peer = xaddr(bytes([198, 51, 100, 7]), 40000)
allocate = req(0, 0x0003, [(0x0019, b"\x11\0\0\0")])
script = (allocate
          + req(0, 0x0008, [(0x0012, peer)])
          + req(0, 0x0009, [(0x000C, b"\x40\x00\0\0"), (0x0012, peer)])
          + rec(4, b"\x01\x00\x00payload")         # ChannelData 0x4000
          + rec(4, b"\x00\x00\x07send")            # Send indication
          + rec(2, b"\x00\x33\x64\x07data")        # peer datagram
          + rec(3, b"\xff") + rec(3, b"\xff") + rec(3, b"\xff")
          + req(0, 0x0004, [(0x000D, b"\0\0\0\0")]))
write("engine", "lifecycle", script)
write("engine", "dual", req(1, 0x0003, [(0x0019, b"\x11\0\0\0"), (0x8000, b"\x02\0\0\0")]) + rec(3, b"\x80"))
write("engine", "even-port", req(2, 0x0003, [(0x0019, b"\x11\0\0\0"), (0x0018, b"\x80")]) + rec(3, b"\x20"))
write("engine", "hairpin", allocate + req(2, 0x0003, [(0x0019, b"\x11\0\0\0")])
      + req(0, 0x0009, [(0x000C, b"\x40\x01\0\0"), (0x0012, xaddr(bytes([192, 0, 2, 1]), 50001))])
      + rec(4, b"\x01\x01\x01hairpin") + rec(4, b"\x00\x01\x01hairpin"))
write("engine", "raw", rec(0, stun(0x0001, [])) + rec(0, b"\x40\x00\x00\x02hi"))

# dataplane/core: each golden vector's input frame, after two bytes that fuzz_core.c reads as
# the vector whose configuration and bindings to use (its index) and half the headroom in front.
vectors = json.load(open(os.path.join(here, "..", "vectors", "vectors.json")))["vectors"]
for i, v in enumerate(vectors):
    headroom = 64 if v["headroom"] is None or v["headroom"] < 0 else v["headroom"]
    write("core", v["name"], bytes([i, headroom // 2]) + bytes.fromhex(v["input"]))

# The stream framer: a byte that seeds where fuzz_framer.c cuts the stream, then the stream.
def channel_data(number, data):
    return struct.pack("!HH", number, len(data)) + data + b"\0" * (-len(data) % 4)


binding = stun(0x0001, [])
alloc_req = stun(0x0003, [attr(0x0019, b"\x11\0\0\0")])
write("framer", "stun-then-channel-data", b"\x07" + binding + channel_data(0x4000, b"hello") + alloc_req)
write("framer", "channel-data-run", b"\x33" + channel_data(0x4001, b"") + channel_data(0x4002, b"x" * 7)
      + channel_data(0x7FFF, b"y" * 300))
write("framer", "half-header", b"\x05" + binding[:6])
write("framer", "not-turn", b"\x11" + channel_data(0x4000, b"ab") + b"\xff\xff\xff\xff")
