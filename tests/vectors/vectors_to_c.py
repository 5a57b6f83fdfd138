#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
#
# Build step: vectors.json (written by make_vectors.py) to C data for tp_vectors.h. Only the
# standard library: addresses become the 16-byte forms and byte orders of dataplane/core.
#
# usage: vectors_to_c.py vectors.json out.c
import ipaddress
import json
import sys

src, dst = sys.argv[1], sys.argv[2]
vectors = json.load(open(src))["vectors"]


def ip16(text):
    a = ipaddress.ip_address(text)
    return (a.packed if a.version == 6 else b"\0" * 10 + b"\xff\xff" + a.packed)


def be16(v):
    """A tp_be16 initializer: the value's two bytes in memory order, whatever the host."""
    return "TP_VEC_BE16(%d)" % v


def blist(b):
    return "{ " + ", ".join("0x%02x" % x for x in b) + " }"


def mac(text):
    return blist(bytes(int(x, 16) for x in text.split(":")))


def addrs(v):
    """A configuration's relayed addresses of one kind: a list, or one address alone."""
    return v if isinstance(v, list) else [v]


def cstr(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


out = ["/* Generated from tests/vectors/vectors.json by vectors_to_c.py: do not edit. */",
       "#include <stddef.h>", "", '#include "tp_vectors.h"', "",
       "#define TP_VEC_BE16(v) tp_htons(v)", ""]
for i, v in enumerate(vectors):
    out.append("static const uint8_t in_%d[] = %s;" % (i, blist(bytes.fromhex(v["input"]))))
    out.append("static const uint8_t out_%d[] = %s;" % (i, blist(bytes.fromhex(v["output"]))))
    if v["chans"]:
        out.append("static const struct tp_vec_chan chans_%d[] = {" % i)
    for c in v["chans"]:
        out.append("\t{ { %s, %s, %s }, { %s, %s, %s, %d, %d, { 0 }, %d } }," % (
            blist(ip16(c["client"])), be16(c["client_port"]), be16(c["channel"]),
            blist(ip16(c["peer"])), be16(c["peer_port"]), be16(c["alloc_port"]),
            1 if c["family"] == 4 else 2, c.get("relay_index", 0), c["slot"]))
    if v["chans"]:
        out.append("};")
    if v["peers"]:
        out.append("static const struct tp_vec_peer peers_%d[] = {" % i)
    for p in v["peers"]:
        out.append("\t{ { %s, %s, %s, %d, %d, { 0 } }, { %s, %s, %s, %d } }," % (
            blist(ip16(p["peer"])), be16(p["peer_port"]), be16(p["alloc_port"]),
            1 if p["family"] == 4 else 2, p.get("relay_index", 0),
            blist(ip16(p["client"])), be16(p["client_port"]), be16(p["channel"]), p["slot"]))
    if v["peers"]:
        out.append("};")
    if v["perms"]:
        out.append("static const struct tp_vec_peer perms_%d[] = {" % i)
    for p in v["perms"]:
        out.append("\t{ { %s, %s, %s, %d, %d, { 0 } }, { %s, %s, %s, %d } }," % (
            blist(ip16(p["peer"])), be16(p["peer_port"]), be16(p["alloc_port"]),
            1 if p["family"] == 4 else 2, p.get("relay_index", 0),
            blist(ip16(p["client"])), be16(p["client_port"]), be16(p["channel"]), p["slot"]))
    if v["perms"]:
        out.append("};")
    if v["sends"]:
        out.append("static const struct tp_vec_send sends_%d[] = {" % i)
    for e in v["sends"]:
        out.append("\t{ { %s, %s, %s, %s }, { %s, %s, %s, %d, %d, { 0 }, %d } }," % (
            blist(ip16(e["client"])), be16(e["client_port"]), be16(e["peer_port"]),
            blist(ip16(e["peer"])),
            blist(ip16(e["peer"])), be16(e["peer_port"]), be16(e["alloc_port"]),
            1 if e["family"] == 4 else 2, e.get("relay_index", 0), e["slot"]))
    if v["sends"]:
        out.append("};")
    out.append("")

out.append("const struct tp_vector tp_vectors[] = {")
for i, v in enumerate(vectors):
    c = v["config"]
    out.append("\t{")
    out.append("\t\t.name = %s," % cstr(v["name"]))
    out.append("\t\t.ident = %s," % cstr("".join(ch if ch.isalnum() else "_" for ch in v["name"])))
    out.append("\t\t.description = %s," % cstr(v["description"]))
    out.append("\t\t.cfg = { .listen_port = %s, .port_min = %d, .port_max = %d," % (
        be16(c["listen_port"]), c["port_min"], c["port_max"]))
    out.append("\t\t\t.naddr4 = %d, .naddr6 = %d," % (
        len(addrs(c["bind4"])) if c["v4_enabled"] else 0,
        len(addrs(c["bind6"])) if c["v6_enabled"] else 0))
    for key in ("bind4", "public4", "bind6", "public6"):
        out.append("\t\t\t.%s = { %s }," % (key, ", ".join(
            blist(ipaddress.ip_address(a).packed) for a in addrs(c[key]))))
    out.append("\t\t\t.mtu = %d }," % c["mtu"])
    out.append("\t\t.chans = %s, .nchans = %d," % ("chans_%d" % i if v["chans"] else "NULL", len(v["chans"])))
    out.append("\t\t.peers = %s, .npeers = %d," % ("peers_%d" % i if v["peers"] else "NULL", len(v["peers"])))
    out.append("\t\t.perms = %s, .nperms = %d," % ("perms_%d" % i if v["perms"] else "NULL", len(v["perms"])))
    out.append("\t\t.sends = %s, .nsends = %d," % ("sends_%d" % i if v["sends"] else "NULL", len(v["sends"])))
    out.append("\t\t.in = in_%d, .in_len = sizeof(in_%d)," % (i, i))
    out.append("\t\t.out = out_%d, .out_len = sizeof(out_%d)," % (i, i))
    out.append("\t\t.action = %s, .reason = %s," % (cstr(v["action"]), cstr(v["reason"])))
    out.append("\t\t.relay_mac = %s, .next_hop_mac = %s," % (mac(v["relay_mac"]), mac(v["next_hop_mac"])))
    out.append("\t\t.slot = %d, .slot_in = %d, .full_checksum = %d," % (
        v["slot"], v["slot_in"], 1 if v["full_checksum"] else 0))
    out.append("\t\t.headroom = %d, .next_hop_unresolved = %d, .cannot_sum_payload = %d," % (
        -1 if v["headroom"] is None else v["headroom"], 1 if v["next_hop_unresolved"] else 0,
        1 if v["cannot_sum_payload"] else 0))
    unsupported = dict(v["unsupported"])
    for plane in ("dpdk", "xdp"):
        if plane in unsupported:
            out.append("\t\t.not_%s = %s," % (plane, cstr(unsupported.pop(plane))))
    if unsupported:
        sys.exit("%s: unsupported names no runner: %s" % (v["name"], ", ".join(unsupported)))
    out.append("\t},")
out.append("};")
out.append("const unsigned tp_nvectors = %d;" % len(vectors))
open(dst, "w").write("\n".join(out) + "\n")
