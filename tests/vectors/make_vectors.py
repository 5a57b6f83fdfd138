#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
#
# The golden packet vectors shared by every dataplane runner (the core's unit test, DPDK on
# vdevs, XDP through BPF_PROG_TEST_RUN). Each vector is a description, the relay's
# configuration, the binding table state, an input frame, the expected verdict and the
# expected output frame.
#
# The expected frames are built here from scratch with scapy (Debian's python3-scapy), from
# the RFCs and the field choices written down in dataplane/core/tp_rewrite.h, never by
# running the code under test: scapy computes every IP and UDP checksum in full. Writes
# vectors.json, input.pcap and expected.pcap (frame i of each belongs to vector i).
#
# A vector may also set what the dataplane around the core has or knows: the headroom in front
# of the frame, whether the next hop is resolved, whether the dataplane can sum a payload. Each
# runner recreates that condition; where a dataplane genuinely cannot (BPF_PROG_TEST_RUN always
# gives XDP its full headroom, the DPDK lcores always sum), the vector says why in
# "unsupported", by dataplane, and that runner reports the vector skipped with the reason.
#
# usage: /usr/bin/python3 tests/vectors/make_vectors.py [OUTDIR]   (default: beside this file)
import json
import os
import struct
import sys

from scapy.all import (ARP, ICMP, IP, UDP, Dot1Q, Ether, IPOption_RR, IPv6,
                       IPv6ExtHdrFragment, IPv6ExtHdrHopByHop, Raw)

RELAY_MAC = "02:00:00:00:00:01"
ROUTER_MAC = "02:00:00:00:00:fe"  # where frames come from, and the next hop we hand them to

CONFIG = {
    "listen_port": 3478,
    "port_min": 49152,
    "port_max": 65535,
    "v4_enabled": True,
    "v6_enabled": True,
    "bind4": "192.0.2.1",
    "public4": "203.0.113.1",  # behind 1:1 NAT: clients see this one
    "bind6": "2001:db8::1",
    "public6": "2001:db8::1",
    "mtu": 1500,  # the egress interface's: the largest IP packet out
}
JUMBO = {"mtu": 9000}  # an egress with room for what a 1500-byte datagram grows into

CLIENT4, CLIENT4B = "198.51.100.10", "198.51.100.11"
CLIENT6, CLIENT6B = "2001:db8:c::10", "2001:db8:c::11"
PEER4, PEER6 = "198.51.100.200", "2001:db8:f::200"
CPORT, PPORT = 50000, 40000
TOS = 0xBA  # DSCP 46 (EF) with ECN ECT(0): both must survive every rewrite
TTL = 64


def flow_label(src, dst, sport, dport):
    """RFC 6437 section 3 flow label as tp_rewrite.h specifies it: a 32-bit mix of the
    outgoing addresses (as 16-byte forms) and ports, 20 bits kept, never 0."""
    import ipaddress
    words = struct.unpack("!4I", ipaddress.ip_address(src).packed)
    words += struct.unpack("!4I", ipaddress.ip_address(dst).packed)
    h = 0x9E3779B9
    for w in words + ((sport << 16) | dport,):
        h = ((h ^ w) * 0x85EBCA6B) & 0xFFFFFFFF
    h ^= h >> 16
    h &= 0xFFFFF
    return h or 1


def fam(ip):
    return 6 if ":" in ip else 4


def cd(channel, data, pad=0, length=None):
    return struct.pack("!HH", channel, len(data) if length is None else length) + data + b"\xAA" * pad


def l3(src, dst, ttl=TTL, tos=TOS, ident=0x1234, df=True, flags=None, **kw):
    """An IP header: IPv4 or IPv6 by the addresses; IPv4 flags "DF" unless df or flags say."""
    if fam(src) == 4:
        return IP(src=src, dst=dst, ttl=ttl, tos=tos, id=ident,
                  flags=flags if flags is not None else "DF" if df else 0, **kw)
    return IPv6(src=src, dst=dst, hlim=ttl, tc=tos, fl=kw.pop("fl", 0x12345))


def frame(src, dst, sport, dport, payload, vlan=None, chksum=None, ttl=TTL, ident=0x1234,
          df=True, flags=None, src_mac=ROUTER_MAC, dst_mac=RELAY_MAC):
    eth = Ether(src=src_mac, dst=dst_mac)
    if vlan is not None:
        eth = eth / Dot1Q(vlan=vlan, prio=5)
    udp = UDP(sport=sport, dport=dport) if chksum is None else UDP(sport=sport, dport=dport, chksum=chksum)
    return eth / l3(src, dst, ttl=ttl, ident=ident, df=df, flags=flags) / udp / Raw(payload)


def relayed(in_src, out_src, out_dst, sport, dport, payload, vlan=None, zero_csum=False,
            ident=0x1234, df=True):
    """The expected output: our MAC to the next hop, TTL one less, TOS kept; IPv4 from IPv4
    keeps ID and DF (and nothing else of the flags: the reserved bit leaves clear), IPv4 from
    IPv6 gets ID 0 and DF (RFC 6864); IPv6 gets our flow label."""
    eth = Ether(src=RELAY_MAC, dst=ROUTER_MAC)
    if vlan is not None:
        eth = eth / Dot1Q(vlan=vlan, prio=5)
    if fam(out_dst) == 4:
        from_v4 = fam(in_src) == 4
        ip = IP(src=out_src, dst=out_dst, ttl=TTL - 1, tos=TOS, id=ident if from_v4 else 0,
                flags=("DF" if df else 0) if from_v4 else "DF")
    else:
        ip = IPv6(src=out_src, dst=out_dst, hlim=TTL - 1, tc=TOS,
                  fl=flow_label(out_src, out_dst, sport, dport))
    udp = UDP(sport=sport, dport=dport, chksum=0) if zero_csum else UDP(sport=sport, dport=dport)
    return eth / ip / udp / Raw(payload)


def bind_addr(family):
    return CONFIG["bind4"] if family == 4 else CONFIG["bind6"]


def public_addr(family):
    return CONFIG["public4"] if family == 4 else CONFIG["public6"]


vectors = []
slots = iter(range(1, 10000))


def chan(client, channel, family, alloc_port, peer, peer_port, cport=CPORT):
    return {"client": client, "client_port": cport, "channel": channel, "family": family,
            "alloc_port": alloc_port, "peer": peer, "peer_port": peer_port,
            "slot": next(slots)}


def peer(family, alloc_port, peer_ip, peer_port, client, channel, cport=CPORT, slot=None):
    return {"family": family, "alloc_port": alloc_port, "peer": peer_ip, "peer_port": peer_port,
            "client": client, "client_port": cport, "channel": channel,
            "slot": slot if slot is not None else next(slots)}


# The conditions a vector may set, and the dataplanes that cannot recreate them.
XDP_HEADROOM = ("BPF_PROG_TEST_RUN always gives the program XDP_PACKET_HEADROOM (256 bytes, "
                "less at most 32 of metadata): a rewrite never lacks room there")
DPDK_SUMS = ("the DPDK dataplane sums payloads: it relays this frame, as the vector without "
             "the condition says")
XDP_SUMS = ("the XDP program sums payloads (a bounded loop over the frame): it relays this "
            "frame, as the vector without the condition says")


def perm(family, alloc_port, peer_ip, peer_port, client, cport=CPORT):
    """A permission's flow: the peer table's key and value, channel 0."""
    return peer(family, alloc_port, peer_ip, peer_port, client, 0, cport)


def send_entry(client, family, alloc_port, peer_ip, peer_port, slot, cport=CPORT):
    """A permission's flow, client side: the send table's key and the channel table's value."""
    return {"client": client, "client_port": cport, "family": family, "alloc_port": alloc_port,
            "peer": peer_ip, "peer_port": peer_port, "slot": slot}


def stun_attr(t, value, pad_byte=b"\xAA"):
    return struct.pack("!HH", t, len(value)) + value + pad_byte * (-len(value) % 4)


def send_ind(peer_ip, peer_port, data, tid=bytes(range(0xA1, 0xAD)), df=False, data_first=False,
             extra=b"", fingerprint=False, fp_xor=0x5354554E):
    """A Send indication (RFC 8656 section 11.2): XOR-PEER-ADDRESS, DATA (its padding not
    zeros: what it holds is not data, and not checksum either), perhaps DONT-FRAGMENT, extra
    attributes as given, and a FINGERPRINT (RFC 8489 section 14.7, zlib's CRC-32) last."""
    import zlib
    import ipaddress
    key = struct.pack("!I", 0x2112A442) + tid
    addr = ipaddress.ip_address(peer_ip).packed
    xpa = stun_attr(0x0012, struct.pack("!BBH", 0, 1 if len(addr) == 4 else 2, peer_port ^ 0x2112)
                    + bytes(a ^ k for a, k in zip(addr, key)))
    dat = stun_attr(0x0013, data)
    attrs = (dat + xpa if data_first else xpa + dat) + (stun_attr(0x001A, b"") if df else b"") + extra
    if fingerprint:
        head = struct.pack("!HHI", 0x0016, len(attrs) + 8, 0x2112A442) + tid
        attrs += stun_attr(0x8028, struct.pack("!I", (zlib.crc32(head + attrs) ^ fp_xor) & 0xFFFFFFFF))
    return struct.pack("!HHI", 0x0016, len(attrs), 0x2112A442) + tid + attrs


def data_ind(slot, inp, peer_ip, peer_port, data):
    """A Data indication (RFC 8656 section 11.4) as tp_rewrite.h specifies it: XOR-PEER-ADDRESS
    and DATA, padded to 4 bytes with zeros, no FINGERPRINT; the transaction ID is the receiving
    binding's slot, the dataplane's count of its Data indications (0: a fresh binding), and the
    incoming IPv4 ID and header checksum (zeros from IPv6)."""
    import ipaddress
    ip = Ether(bytes(inp)).getlayer(IP)
    tid = struct.pack("!II", slot, 0) + (struct.pack("!HH", ip.id, ip.chksum) if ip else b"\0" * 4)
    key = struct.pack("!I", 0x2112A442) + tid
    addr = ipaddress.ip_address(peer_ip).packed
    xaddr = bytes(a ^ k for a, k in zip(addr, key))
    xpa = struct.pack("!BBH", 0, 1 if len(addr) == 4 else 2, peer_port ^ 0x2112) + xaddr
    pad = b"\0" * (-len(data) % 4)
    attrs = (struct.pack("!HH", 0x0012, len(xpa)) + xpa
             + struct.pack("!HH", 0x0013, len(data)) + data + pad)
    return struct.pack("!HHI", 0x0017, len(attrs), 0x2112A442) + tid + attrs


def add(name, description, inp, action, reason, out=None, chans=(), peers=(), perms=(),
        sends=(), config=None, slot=0, slot_in=0, full_checksum=False, headroom=None,
        next_hop_unresolved=False, cannot_sum_payload=False, unsupported=None):
    """headroom: bytes in front of the frame (None: as much as the dataplane has);
    next_hop_unresolved: the dataplane has no MAC for the output's next hop;
    cannot_sum_payload: the dataplane cannot sum a payload (the core built with
        TP_CORE_NO_PAYLOAD_SUM and no caller that sums);
    unsupported: {"dpdk" or "xdp": why that dataplane cannot recreate the condition}."""
    vectors.append({
        "name": name,
        "description": description,
        "config": dict(CONFIG, **(config or {})),
        "chans": list(chans),
        "peers": list(peers),
        "perms": list(perms),
        "sends": list(sends),
        "input": bytes(inp).hex(),
        "action": action,
        "reason": reason,
        # A frame that is not relayed leaves exactly as it came.
        "output": bytes(out if out is not None else inp).hex(),
        "relay_mac": RELAY_MAC,
        "next_hop_mac": ROUTER_MAC,
        "slot": slot,
        "slot_in": slot_in,
        "full_checksum": full_checksum,
        "headroom": headroom,
        "next_hop_unresolved": next_hop_unresolved,
        "cannot_sum_payload": cannot_sum_payload,
        "unsupported": dict(unsupported or {}),
    })


# The twelve rewrites ---------------------------------------------------------------------------
#
# Client leg x peer leg. Each case comes unpadded, and padded with 1 to 3 bytes after data of
# odd and even length (the pad is stripped toward the peer and before a hairpinned client).

def client_to_peer(cfam, pfam, channel, alloc_port, data, pad=0, suffix="", vlan=None,
                   zero=False, df=True, flags=None, note="", config=None):
    client = CLIENT4 if cfam == 4 else CLIENT6
    dst = PEER4 if pfam == 4 else PEER6
    c = chan(client, channel, pfam, alloc_port, dst, PPORT)
    inp = frame(client, bind_addr(cfam), CPORT, 3478, cd(channel, data, pad), vlan=vlan,
                chksum=0 if zero else None, df=df, flags=flags)
    out = relayed(client, bind_addr(pfam), dst, alloc_port, PPORT, data, vlan=vlan,
                  zero_csum=zero and pfam == 4, df=df)
    add(f"cd{cfam}-to-udp{pfam}{suffix}",
        f"ChannelData over IPv{cfam} from a client, {len(data)} data bytes"
        f"{f' padded with {pad}' if pad else ''}{' in VLAN %d' % vlan if vlan else ''}"
        f"{' with no UDP checksum' if zero else ''}{note}, to its IPv{pfam} peer as UDP",
        inp, "relayed", "to-peer", out, chans=[c], slot=c["slot"], config=config,
        full_checksum=zero and pfam == 6)


def peer_to_client(pfam, cfam, channel, alloc_port, data, suffix="", vlan=None, zero=False,
                   df=True, flags=None, note="", config=None):
    client = CLIENT4 if cfam == 4 else CLIENT6
    src = PEER4 if pfam == 4 else PEER6
    p = peer(pfam, alloc_port, src, PPORT, client, channel)
    inp = frame(src, bind_addr(pfam), PPORT, alloc_port, data, vlan=vlan,
                chksum=0 if zero else None, df=df, flags=flags)
    out = relayed(src, bind_addr(cfam), client, 3478, CPORT, cd(channel, data), vlan=vlan,
                  zero_csum=zero and cfam == 4, df=df)
    add(f"udp{pfam}-to-cd{cfam}{suffix}",
        f"UDP over IPv{pfam} from a peer, {len(data)} bytes{' in VLAN %d' % vlan if vlan else ''}"
        f"{' with no UDP checksum' if zero else ''}{note}, to its IPv{cfam} client as ChannelData",
        inp, "relayed", "to-client", out, peers=[p], slot=p["slot"], config=config,
        full_checksum=zero and cfam == 6)


def hairpin(afam, bfam, relay_fam, chan_a, chan_b, data, pad=0, suffix="", config=None,
            zero=False):
    """Client A (family afam) holds a relay in relay_fam whose channel chan_a points at the
    relayed address of client B's allocation on this same relay; B has channel chan_b back."""
    a = CLIENT4 if afam == 4 else CLIENT6
    b = CLIENT4B if bfam == 4 else CLIENT6B
    port_a, port_b = 50100 + chan_a % 256, 50600 + chan_b % 256
    c = chan(a, chan_a, relay_fam, port_a, public_addr(relay_fam), port_b)
    p = peer(relay_fam, port_b, public_addr(relay_fam), port_a, b, chan_b)
    inp = frame(a, bind_addr(afam), CPORT, 3478, cd(chan_a, data, pad), chksum=0 if zero else None)
    out = relayed(a, bind_addr(bfam), b, 3478, CPORT, cd(chan_b, data),
                  zero_csum=zero and bfam == 4)
    add(f"cd{afam}-to-cd{bfam}{suffix}",
        f"hairpin: ChannelData over IPv{afam} for a peer that is another allocation of this "
        f"relay (IPv{relay_fam} relayed addresses), delivered to that IPv{bfam} client as "
        f"ChannelData{f', {pad} bytes of padding stripped' if pad else ''}"
        f"{' with no UDP checksum' if zero else ''}",
        inp, "hairpinned", "hairpin", out, chans=[c], peers=[p], config=config,
        slot=c["slot"], slot_in=p["slot"], full_checksum=zero and bfam == 6)


def peer_to_data(pfam, cfam, alloc_port, data, suffix="", vlan=None, zero=False, note="",
                 config=None):
    """UDP from a peer whose flow holds a permission, no channel: a Data indication."""
    client = CLIENT4 if cfam == 4 else CLIENT6
    src = PEER4 if pfam == 4 else PEER6
    m = perm(pfam, alloc_port, src, PPORT, client)
    inp = frame(src, bind_addr(pfam), PPORT, alloc_port, data, vlan=vlan,
                chksum=0 if zero else None)
    out = relayed(src, bind_addr(cfam), client, 3478, CPORT,
                  data_ind(m["slot"], inp, src, PPORT, data), vlan=vlan,
                  zero_csum=zero and cfam == 4)
    add(f"udp{pfam}-to-data{cfam}{suffix}",
        f"UDP over IPv{pfam} from a peer with a permission and no channel, {len(data)} bytes"
        f"{' in VLAN %d' % vlan if vlan else ''}{' with no UDP checksum' if zero else ''}{note}, "
        f"to its IPv{cfam} client as a Data indication",
        inp, "relayed", "data-indication", out, perms=[m], slot=m["slot"], config=config,
        full_checksum=zero and cfam == 6)


def send_to_peer(cfam, pfam, alloc_port, data, suffix="", zero=False, df=True, df_attr=False,
                 data_first=False, fingerprint=False, note=""):
    """A Send indication from a client whose flow with the peer is in the send table: the data
    to the peer as UDP from the relayed address."""
    client = CLIENT4 if cfam == 4 else CLIENT6
    dst = PEER4 if pfam == 4 else PEER6
    s = send_entry(client, pfam, alloc_port, dst, PPORT, next(slots))
    inp = frame(client, bind_addr(cfam), CPORT, 3478,
                send_ind(dst, PPORT, data, df=df_attr, data_first=data_first,
                         fingerprint=fingerprint),
                chksum=0 if zero else None, df=df)
    out = relayed(client, bind_addr(pfam), dst, alloc_port, PPORT, data,
                  zero_csum=zero and pfam == 4, df=df or df_attr)
    add(f"send{cfam}-to-udp{pfam}{suffix}",
        f"a Send indication over IPv{cfam} from a client, {len(data)} data bytes"
        f"{' with no UDP checksum' if zero else ''}{note}, to its IPv{pfam} peer as UDP",
        inp, "relayed", "send-to-peer", out, sends=[s], slot=s["slot"],
        full_checksum=zero and pfam == 6)


def hairpin_to_data(afam, bfam, relay_fam, chan_a, data, pad=0, suffix="", zero=False):
    """Client A's channel points at client B's relayed address; B holds a permission for A's
    relayed address and no channel back: B gets a Data indication from A's public address."""
    a = CLIENT4 if afam == 4 else CLIENT6
    b = CLIENT4B if bfam == 4 else CLIENT6B
    port_a, port_b = 50100 + chan_a % 256, 50600 + chan_a % 256
    c = chan(a, chan_a, relay_fam, port_a, public_addr(relay_fam), port_b)
    m = perm(relay_fam, port_b, public_addr(relay_fam), port_a, b)
    inp = frame(a, bind_addr(afam), CPORT, 3478, cd(chan_a, data, pad), chksum=0 if zero else None)
    out = relayed(a, bind_addr(bfam), b, 3478, CPORT,
                  data_ind(m["slot"], inp, public_addr(relay_fam), port_a, data),
                  zero_csum=zero and bfam == 4)
    add(f"cd{afam}-to-data{bfam}{suffix}",
        f"hairpin: ChannelData over IPv{afam} for another allocation of this relay (IPv{relay_fam} "
        f"relayed addresses) that has a permission and no channel back, delivered to that "
        f"IPv{bfam} client as a Data indication{f', {pad} bytes of padding stripped' if pad else ''}"
        f"{' with no UDP checksum' if zero else ''}",
        inp, "hairpinned", "hairpin-data", out, chans=[c], perms=[m], slot=c["slot"],
        slot_in=m["slot"], full_checksum=zero and bfam == 6)


# Data lengths chosen to hit both parities: the checksum must be right either way.
client_to_peer(4, 4, 0x4001, 50010, b"turnpike: cd4 to udp4!")
client_to_peer(4, 6, 0x4002, 50020, b"turnpike: cd4 to udp6")
client_to_peer(6, 4, 0x4003, 50030, b"turnpike: cd6 to udp4 ..")
client_to_peer(6, 6, 0x4004, 50040, b"turnpike: cd6 to udp6 !")
peer_to_client(4, 4, 0x4001, 50010, b"turnpike: udp4 to cd4")
peer_to_client(4, 6, 0x4003, 50030, b"turnpike: udp4 to cd6..")
peer_to_client(6, 4, 0x4002, 50020, b"turnpike: udp6 to cd4 !")
peer_to_client(6, 6, 0x4004, 50040, b"turnpike: udp6 to cd6")
hairpin(4, 4, 4, 0x4005, 0x4105, b"hairpin 4 to 4")
hairpin(4, 6, 4, 0x4006, 0x4106, b"hairpin 4 to 6!")
hairpin(6, 4, 6, 0x4007, 0x4107, b"hairpin 6 to 4..")
hairpin(6, 6, 6, 0x4008, 0x4108, b"hairpin 6 to 6 :-)")

# Padding: 1 to 3 bytes, after odd and even data lengths, for each client leg and family.
client_to_peer(4, 4, 0x4011, 50011, b"odd:1", pad=3, suffix="-pad3-odd")
client_to_peer(4, 4, 0x4012, 50012, b"even", pad=0, suffix="-even")
client_to_peer(4, 4, 0x4013, 50013, b"odd:12345", pad=3, suffix="-pad3")
client_to_peer(4, 4, 0x4014, 50014, b"ten bytes!", pad=2, suffix="-pad2")
client_to_peer(4, 6, 0x4015, 50015, b"eleven byte", pad=1, suffix="-pad1")
client_to_peer(6, 4, 0x4016, 50016, b"seven!!", pad=1, suffix="-pad1")
client_to_peer(6, 6, 0x4017, 50017, b"x", pad=3, suffix="-pad3")
client_to_peer(6, 6, 0x4018, 50018, b"", suffix="-empty")
hairpin(4, 6, 4, 0x4019, 0x4119, b"padded hairpin", pad=2, suffix="-pad2")
hairpin(6, 4, 6, 0x401A, 0x411A, b"padded hairpin!", pad=1, suffix="-pad1")
hairpin(4, 4, 4, 0x401B, 0x411B, b"odd padded", pad=2, suffix="-pad2")
hairpin(6, 6, 6, 0x401C, 0x411C, b"pad 3 hairpin", pad=3, suffix="-pad3")

# Data indications: peer data for a permission's flow, and hairpins toward one; data lengths
# needing 0 to 3 bytes of padding.
peer_to_data(4, 4, 50201, b"turnpike: udp4 to data4")
peer_to_data(4, 6, 50202, b"turnpike: udp4 to data6!")
peer_to_data(6, 4, 50203, b"turnpike: udp6 to data4 ..")
peer_to_data(6, 6, 50204, b"turnpike: udp6 to data6")
peer_to_data(4, 4, 50205, b"no checksum", suffix="-zero-csum", zero=True)
peer_to_data(4, 6, 50206, b"no checksum, v6 client", suffix="-zero-csum", zero=True)
peer_to_data(6, 4, 50207, b"tagged data", suffix="-vlan", vlan=100)
peer_to_data(4, 6, 50208, bytes((i * 151 + 7) & 0xFF for i in range(1469)), suffix="-zero-csum-mtu",
             zero=True, config=JUMBO,
             note=", a full 1500-byte IPv4 datagram")
peer_to_data(6, 6, 50209, b"", suffix="-empty")
hairpin_to_data(4, 4, 4, 0x4201, b"hairpin to data 4")
hairpin_to_data(4, 6, 4, 0x4202, b"hairpin to data 6", pad=3, suffix="-pad3")
hairpin_to_data(6, 4, 6, 0x4203, b"hairpin 6 to data 4")
hairpin_to_data(6, 6, 6, 0x4204, b"hairpin 6 to data 6!", pad=2, suffix="-pad2")
hairpin_to_data(4, 6, 4, 0x4205, b"zero csum hairpin to data", suffix="-zero-csum", zero=True)

# Send indications: each family pair; DONT-FRAGMENT sets DF; attributes in another order; an
# IPv4 datagram without checksum to an IPv6 peer.
send_to_peer(4, 4, 50301, b"turnpike: send4 to udp4")
send_to_peer(4, 6, 50302, b"turnpike: send4 to udp6!")
send_to_peer(6, 4, 50303, b"turnpike: send6 to udp4 ..")
send_to_peer(6, 6, 50304, b"turnpike: send6 to udp6")
send_to_peer(4, 4, 50305, b"do not fragment", suffix="-dont-fragment", df=False, df_attr=True,
             note=" without DF and with DONT-FRAGMENT (DF set)")
send_to_peer(4, 4, 50306, b"DF clear stays", suffix="-df-clear", df=False, note=" without DF")
send_to_peer(6, 4, 50307, b"data first", suffix="-data-first", data_first=True, df_attr=True,
             note=", DATA before XOR-PEER-ADDRESS, DONT-FRAGMENT last")
send_to_peer(4, 6, 50308, b"no checksum, v6 peer", suffix="-zero-csum", zero=True)
send_to_peer(6, 6, 50309, b"", suffix="-empty")
send_to_peer(4, 4, 50312, b"with a fingerprint", suffix="-fingerprint", fingerprint=True,
             note=" and a FINGERPRINT")
send_to_peer(6, 4, 50313, b"fingerprint, don't fragment", suffix="-fingerprint", df_attr=True,
             fingerprint=True, note=", DONT-FRAGMENT and a FINGERPRINT")
send_to_peer(4, 6, 50314, bytes((i * 151 + 7) & 0xFF for i in range(1429)),
             suffix="-fingerprint-mtu", zero=True, fingerprint=True,
             note=" and a FINGERPRINT, a full 1500-byte IPv4 datagram")

def send_hairpin(afam, bfam, relay_fam, data, to_data=False, suffix=""):
    """Client A's Send indication for the relayed address of client B's allocation on this same
    relay (A's flow with it in the send table): to B as ChannelData on B's channel back, or as
    a Data indication for B's permission's flow."""
    a = CLIENT4 if afam == 4 else CLIENT6
    b = CLIENT4B if bfam == 4 else CLIENT6B
    base = 50400 + 10 * afam + bfam + (100 if to_data else 0)
    port_a, port_b = base, base + 500
    s = send_entry(a, relay_fam, port_a, public_addr(relay_fam), port_b, next(slots))
    inp = frame(a, bind_addr(afam), CPORT, 3478, send_ind(public_addr(relay_fam), port_b, data))
    if to_data:
        m = perm(relay_fam, port_b, public_addr(relay_fam), port_a, b)
        out = relayed(a, bind_addr(bfam), b, 3478, CPORT,
                      data_ind(m["slot"], inp, public_addr(relay_fam), port_a, data))
        add(f"send{afam}-to-data{bfam}{suffix}",
            f"hairpin: a Send indication over IPv{afam} for another allocation of this relay "
            f"(IPv{relay_fam} relayed addresses) that has a permission and no channel back, "
            f"delivered to that IPv{bfam} client as a Data indication",
            inp, "hairpinned", "hairpin-data", out, sends=[s], perms=[m], slot=s["slot"],
            slot_in=m["slot"])
        return
    p = peer(relay_fam, port_b, public_addr(relay_fam), port_a, b, 0x4300 + base % 256)
    out = relayed(a, bind_addr(bfam), b, 3478, CPORT, cd(p["channel"], data))
    add(f"send{afam}-to-cd{bfam}{suffix}",
        f"hairpin: a Send indication over IPv{afam} for another allocation of this relay "
        f"(IPv{relay_fam} relayed addresses), delivered to that IPv{bfam} client as ChannelData",
        inp, "hairpinned", "hairpin", out, sends=[s], peers=[p], slot=s["slot"],
        slot_in=p["slot"])


send_hairpin(4, 4, 4, b"send hairpin 4 to 4")
send_hairpin(4, 6, 4, b"send hairpin 4 to 6!")
send_hairpin(6, 4, 6, b"send hairpin 6 to 4..", to_data=True)
send_hairpin(6, 6, 6, b"send hairpin 6 to data 6", to_data=True)

# What the engine takes: a Send indication beyond the plain form, or without a flow.
def send_for_engine(name, description, payload, entry=True, **kw):
    s = send_entry(CLIENT4, 4, 50310, PEER4, PPORT, next(slots))
    add(name, description, frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, payload, **kw),
        "to-control", "stun", sends=[s] if entry else [])


send_for_engine("send-no-flow", "a Send indication for a peer whose flow the fast path holds "
                "not (yet): the engine's", send_ind(PEER4, PPORT, b"first"), entry=False)
send_for_engine("send-bad-fingerprint", "a Send indication whose FINGERPRINT is wrong: the "
                "engine drops it", send_ind(PEER4, PPORT, b"fp", fingerprint=True, fp_xor=0))
send_for_engine("send-fingerprint-not-last", "a Send indication with DONT-FRAGMENT after its "
                "FINGERPRINT: malformed, the engine's", send_ind(
                    PEER4, PPORT, b"fp", extra=stun_attr(0x8028, b"\0" * 4) + stun_attr(0x001A, b"")))
send_for_engine("send-unknown-required", "a Send indication with an unknown "
                "comprehension-required attribute: the engine drops it",
                send_ind(PEER4, PPORT, b"?", extra=stun_attr(0x0030, b"\1\2\3\4")))
send_for_engine("send-software", "a Send indication with SOFTWARE (comprehension-optional): "
                "more than the fast path takes", send_ind(PEER4, PPORT, b"sw",
                                                          extra=stun_attr(0x8022, b"tp")))
send_for_engine("send-to-relay", "a Send indication for this relay's own public address "
                "outside the allocation range: the engine's (peers.allow-relay-ports)",
                send_ind(CONFIG["public4"], 3478, b"to myself"))
s6m = send_entry(CLIENT4, 4, 50315, PEER4, PPORT, next(slots))
add("send-v4-mapped", "a Send indication whose XOR-PEER-ADDRESS is IPv6 ::ffff:" + PEER4 +
    ", with a flow for the IPv4 peer " + PEER4 + ": the engine's (IPv6 permissions apart)",
    frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, send_ind("::ffff:" + PEER4, PPORT, b"mapped")),
    "to-control", "stun", sends=[s6m])
bad = bytearray(send_ind(PEER4, PPORT, b"length"))
bad[3] += 4
send_for_engine("send-bad-length", "a Send indication whose STUN length is not the datagram's",
                bytes(bad))
send_for_engine("send-two-peers", "a Send indication with two XOR-PEER-ADDRESS attributes",
                send_ind(PEER4, PPORT, b"which?",
                         extra=stun_attr(0x0012, bytes(send_ind(PEER4, PPORT + 1, b"")[24:32]))))

# A channel wins over a permission's flow for the same peer; a flow is one peer transport
# address, not the peer's every port.
p = peer(4, 50210, PEER4, PPORT, CLIENT4, 0x4210)
m = perm(4, 50210, PEER4, PPORT, CLIENT4)
inp = frame(PEER4, CONFIG["bind4"], PPORT, 50210, b"channel first")
add("udp4-to-cd4-over-permission",
    "UDP from a peer with both a channel and a permission's flow: ChannelData, as the engine "
    "sends it", inp, "relayed", "to-client",
    relayed(PEER4, CONFIG["bind4"], CLIENT4, 3478, CPORT, cd(0x4210, b"channel first")),
    peers=[p], perms=[m], slot=p["slot"])
m = perm(4, 50211, PEER4, PPORT, CLIENT4)
add("peer-other-port-no-flow",
    "UDP from another port of a peer whose flow is in the permission table: a flow of its own "
    "for the engine to begin", frame(PEER4, CONFIG["bind4"], PPORT + 1, 50211, b"new port"),
    "to-control", "peer-no-channel", perms=[m])
m = perm(4, 50212, PEER4, PPORT, CLIENT6)
add("no-headroom-data",
    "UDP over IPv4 from a peer for an IPv6 client as a Data indication: 56 more header bytes "
    "than came, with 32 bytes of headroom; to the kernel as it came",
    frame(PEER4, CONFIG["bind4"], PPORT, 50212, b"no room for STUN"), "to-kernel", "no-headroom",
    perms=[m], headroom=32, unsupported={"xdp": XDP_HEADROOM})

# IPv4 UDP checksum 0: stays 0 within IPv4, computed in full when the output is IPv6.
client_to_peer(4, 4, 0x4021, 50021, b"no checksum", suffix="-zero-csum", zero=True)
client_to_peer(4, 6, 0x4022, 50022, b"no checksum, to v6", pad=2, suffix="-zero-csum", zero=True)
peer_to_client(4, 4, 0x4023, 50023, b"peer without checksum", suffix="-zero-csum", zero=True)
peer_to_client(4, 6, 0x4024, 50024, b"peer without checksum, v6 client", suffix="-zero-csum",
               zero=True)
hairpin(4, 4, 4, 0x4025, 0x4125, b"zero csum hairpin", suffix="-zero-csum", zero=True)
hairpin(4, 6, 4, 0x4026, 0x4126, b"zero csum hairpin to v6", pad=1, suffix="-zero-csum",
        zero=True)
# Full 1500-byte IPv4 datagrams: every payload byte summed, to an odd last one; what a
# dataplane that bounds its loop over the payload (XDP) must still get right.
def pattern(n):
    return bytes((i * 151 + 7) & 0xFF for i in range(n))


client_to_peer(4, 6, 0x4027, 50027, pattern(1465), pad=3, suffix="-zero-csum-mtu", zero=True,
               config=JUMBO,
               note=", a full 1500-byte IPv4 datagram")
peer_to_client(4, 6, 0x4028, 50028, pattern(1471), suffix="-zero-csum-mtu", zero=True,
               config=JUMBO,
               note=", a full 1500-byte IPv4 datagram")

# What would leave larger than the egress MTU (1500 here) is the engine's, as it came: the
# kernel path fragments where IP lets it, the fast path never does.
c = chan(CLIENT4, 0x4029, 6, 50029, PEER6, PPORT)
add("too-big-udp", "ChannelData over IPv4 in a full 1500-byte datagram for an IPv6 peer: 1513 "
    "bytes of IPv6 out, over the MTU", frame(CLIENT4, CONFIG["bind4"], CPORT, 3478,
                                            cd(0x4029, pattern(1465), 3)),
    "to-control", "too-big", chans=[c])
p = peer(4, 50030, PEER4, PPORT, CLIENT6, 0x4030)
add("too-big-cd", "UDP over IPv4 in a full 1500-byte datagram for an IPv6 client: 1523 bytes "
    "of IPv6 out, over the MTU", frame(PEER4, CONFIG["bind4"], PPORT, 50030, pattern(1471)),
    "to-control", "too-big", peers=[p])
m = perm(4, 50213, PEER4, PPORT, CLIENT4)
add("too-big-data", "UDP over IPv4, 1464 bytes, as a Data indication to an IPv4 client: 1528 "
    "bytes out, over the MTU", frame(PEER4, CONFIG["bind4"], PPORT, 50213, pattern(1464)),
    "to-control", "too-big", perms=[m])
peer_to_data(4, 4, 50214, pattern(1436), suffix="-fits-mtu",
             note=", the largest whose Data indication fits a 1500-byte MTU")

# An 802.1Q tag stays as it came.
client_to_peer(4, 6, 0x4031, 50031, b"tagged", suffix="-vlan", vlan=100)
peer_to_client(6, 4, 0x4032, 50032, b"tagged reply", suffix="-vlan", vlan=100)

# A single-stack relay hairpins too.
hairpin(4, 4, 4, 0x4041, 0x4141, b"single stack", suffix="-single-stack",
        config={"v6_enabled": False, "bind6": "::", "public6": "::"})

# Ethernet padding behind a short frame is not relayed.
c = chan(CLIENT4, 0x4051, 4, 50051, PEER4, PPORT)
short = frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, cd(0x4051, b"hi"))
add("cd4-to-udp4-eth-trailer",
    "a short frame padded to the 60-byte Ethernet minimum: the trailer is not data",
    bytes(short) + b"\x00" * (60 - len(short)), "relayed", "to-peer",
    relayed(CLIENT4, CONFIG["bind4"], PEER4, 50051, PPORT, b"hi"), chans=[c],
    slot=c["slot"])

# IPv4 flags, IPv4 to IPv4: DF copied as it came, set or clear (RFC 8656 section 14's
# preferred behaviour). The reserved bit (RFC 791: must be zero) does not leave, as it would not
# from the relay's own sockets, and the header checksum accounts for its going.
client_to_peer(4, 4, 0x4081, 50081, b"DF clear stays clear", suffix="-df-clear", df=False,
               note=" without DF")
peer_to_client(4, 4, 0x4082, 50082, b"no DF from the peer", suffix="-df-clear", df=False,
               note=" without DF")
peer_to_client(4, 4, 0x4083, 50083, b"reserved bit", suffix="-reserved-flag", flags="evil+DF",
               note=" with DF and the reserved flag bit set")
client_to_peer(4, 4, 0x4084, 50084, b"reserved bit only", suffix="-reserved-flag", flags="evil",
               df=False, note=" with only the reserved flag bit set")

# Several relayed addresses per family --------------------------------------------------------
#
# A relay with two bind/public pairs per family: it listens on the first, and a binding's
# relayed address is its index among them (relay_index in the tables' entries), so that the
# same port at two addresses is two allocations.

MULTI = {
    "bind4": ["192.0.2.1", "192.0.2.2"],
    "public4": ["203.0.113.1", "203.0.113.2"],
    "bind6": ["2001:db8::1", "2001:db8::2"],
    "public6": ["2001:db8::1", "2001:db8::2"],
}


def multi_addr(kind, family, index):
    return MULTI[f"{kind}{family}"][index]


def at_index(entry, index):
    entry["relay_index"] = index
    return entry


for cfam, pfam, channel, port, data in ((4, 4, 0x4501, 50501, b"from the second address"),
                                        (6, 4, 0x4502, 50502, b"second address, v6 client"),
                                        (4, 6, 0x4503, 50503, b"second v6 address!")):
    client = CLIENT4 if cfam == 4 else CLIENT6
    other = PEER4 if pfam == 4 else PEER6
    c = at_index(chan(client, channel, pfam, port, other, PPORT), 1)
    add(f"cd{cfam}-to-udp{pfam}-addr1",
        f"ChannelData over IPv{cfam} to the listen address for a channel whose allocation holds "
        f"the second IPv{pfam} relayed address: to the peer from that address",
        frame(client, multi_addr("bind", cfam, 0), CPORT, 3478, cd(channel, data)), "relayed",
        "to-peer", relayed(client, multi_addr("bind", pfam, 1), other, port, PPORT, data),
        chans=[c], slot=c["slot"], config=MULTI)
    p = at_index(peer(pfam, port, other, PPORT, client, channel), 1)
    add(f"udp{pfam}-to-cd{cfam}-addr1",
        f"UDP over IPv{pfam} from a peer to the second relayed address: to its IPv{cfam} client "
        f"as ChannelData from the listen address",
        frame(other, multi_addr("bind", pfam, 1), PPORT, port, data), "relayed", "to-client",
        relayed(other, multi_addr("bind", cfam, 0), client, 3478, CPORT, cd(channel, data)),
        peers=[p], slot=p["slot"], config=MULTI)

p = at_index(peer(4, 50510, PEER4, PPORT, CLIENT4, 0x4510), 0)
add("udp4-addr1-other-address", "UDP from a peer to the second relayed address, for a port whose "
    "channel is at the first: another allocation's port, the engine's",
    frame(PEER4, multi_addr("bind", 4, 1), PPORT, 50510, b"wrong address"), "to-control",
    "peer-no-channel", peers=[p], config=MULTI)
c = chan(CLIENT4, 0x4511, 4, 50511, PEER4, PPORT)
add("cd4-addr1-listen-port", "ChannelData to the listen port of the second address, where the "
    "relay does not listen: the kernel's",
    frame(CLIENT4, multi_addr("bind", 4, 1), CPORT, 3478, cd(0x4511, b"not here")), "to-kernel",
    "other-port", chans=[c], config=MULTI)

for fam_, a_at, b_at, chan_a, data in ((4, 0, 1, 0x4520, b"hairpin, address 0 to 1"),
                                       (4, 1, 0, 0x4521, b"hairpin, address 1 to 0!"),
                                       (6, 0, 1, 0x4522, b"v6 hairpin, address 0 to 1")):
    a = CLIENT4 if fam_ == 4 else CLIENT6
    b = CLIENT4B if fam_ == 4 else CLIENT6B
    port_a, port_b = 50520 + chan_a % 16, 50540 + chan_a % 16
    c = at_index(chan(a, chan_a, fam_, port_a, multi_addr("public", fam_, b_at), port_b), a_at)
    p = at_index(peer(fam_, port_b, multi_addr("public", fam_, a_at), port_a, b, chan_a + 0x100),
                 b_at)
    add(f"cd{fam_}-to-cd{fam_}-addr{a_at}-to-addr{b_at}",
        f"hairpin between relayed addresses: a channel of an allocation at IPv{fam_} address "
        f"{a_at} toward one at address {b_at}, seen there as from the first one's public address",
        frame(a, multi_addr("bind", fam_, 0), CPORT, 3478, cd(chan_a, data)), "hairpinned",
        "hairpin", relayed(a, multi_addr("bind", fam_, 0), b, 3478, CPORT,
                           cd(chan_a + 0x100, data)),
        chans=[c], peers=[p], slot=c["slot"], slot_in=p["slot"], config=MULTI)

s = at_index(send_entry(CLIENT4, 4, 50530, PEER4, PPORT, next(slots)), 1)
add("send4-to-udp4-addr1", "a Send indication for a flow of an allocation at the second relayed "
    "address: to the peer from that address",
    frame(CLIENT4, multi_addr("bind", 4, 0), CPORT, 3478, send_ind(PEER4, PPORT, b"sent from 1")),
    "relayed", "send-to-peer",
    relayed(CLIENT4, multi_addr("bind", 4, 1), PEER4, 50530, PPORT, b"sent from 1"),
    sends=[s], slot=s["slot"], config=MULTI)
m = at_index(perm(6, 50531, PEER6, PPORT, CLIENT6), 1)
inp = frame(PEER6, multi_addr("bind", 6, 1), PPORT, 50531, b"data at address 1")
add("udp6-to-data6-addr1", "UDP from a peer with a permission's flow at the second IPv6 relayed "
    "address: a Data indication from the listen address",
    inp, "relayed", "data-indication",
    relayed(PEER6, multi_addr("bind", 6, 0), CLIENT6, 3478, CPORT,
            data_ind(m["slot"], inp, PEER6, PPORT, b"data at address 1")),
    perms=[m], slot=m["slot"], config=MULTI)


# The most relayed addresses a family may have (relay.ipv4.bind, TP_RELAY_ADDRS_MAX), the last
# of them in use: what the XDP program's verifier must still accept.
MOST = {
    "bind4": ["192.0.2.%d" % (i + 1) for i in range(16)],
    "public4": ["203.0.113.%d" % (i + 1) for i in range(16)],
    "bind6": ["2001:db8::%x" % (i + 1) for i in range(16)],
    "public6": ["2001:db8:1::%x" % (i + 1) for i in range(16)],
}
p = at_index(peer(4, 50550, PEER4, PPORT, CLIENT6, 0x4550), 15)
add("udp4-to-cd6-addr15", "UDP from a peer to the sixteenth IPv4 relayed address of sixteen: to "
    "its IPv6 client from the listen address",
    frame(PEER4, MOST["bind4"][15], PPORT, 50550, b"the last address"), "relayed", "to-client",
    relayed(PEER4, MOST["bind6"][0], CLIENT6, 3478, CPORT, cd(0x4550, b"the last address")),
    peers=[p], slot=p["slot"], config=MOST)
c = at_index(chan(CLIENT6, 0x4551, 6, 50551, PEER6, PPORT), 15)
add("cd6-to-udp6-addr15", "ChannelData for a channel at the sixteenth IPv6 relayed address of "
    "sixteen: to the peer from that address",
    frame(CLIENT6, MOST["bind6"][0], CPORT, 3478, cd(0x4551, b"from the last")), "relayed",
    "to-peer", relayed(CLIENT6, MOST["bind6"][15], PEER6, 50551, PPORT, b"from the last"),
    chans=[c], slot=c["slot"], config=MOST)
c = at_index(chan(CLIENT4, 0x4552, 4, 50552, MOST["public4"][14], 50553), 15)
p = at_index(peer(4, 50553, MOST["public4"][15], 50552, CLIENT4B, 0x4553), 14)
add("cd4-to-cd4-addr15-to-addr14", "hairpin from the sixteenth IPv4 relayed address to the "
    "fifteenth, of sixteen",
    frame(CLIENT4, MOST["bind4"][0], CPORT, 3478, cd(0x4552, b"last to next-to-last")),
    "hairpinned", "hairpin",
    relayed(CLIENT4, MOST["bind4"][0], CLIENT4B, 3478, CPORT, cd(0x4553, b"last to next-to-last")),
    chans=[c], peers=[p], slot=c["slot"], slot_in=p["slot"], config=MOST)


# What the dataplane around the core has or knows ----------------------------------------------

c = chan(CLIENT4, 0x4091, 4, 50091, PEER4, PPORT)
add("no-next-hop",
    "ChannelData for a peer whose next hop is not resolved yet: to the kernel as it came, "
    "which resolves it while the sockets relay",
    frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, cd(0x4091, b"who has the router?")),
    "to-kernel", "no-next-hop", chans=[c], next_hop_unresolved=True)
p = peer(4, 50092, PEER4, PPORT, CLIENT6, 0x4092)
add("no-headroom",
    "UDP over IPv4 from a peer for an IPv6 client: 24 more header bytes than came, with 16 "
    "bytes of headroom; to the kernel as it came",
    frame(PEER4, CONFIG["bind4"], PPORT, 50092, b"no room to grow"), "to-kernel", "no-headroom",
    peers=[p], headroom=16, unsupported={"xdp": XDP_HEADROOM})
c = chan(CLIENT4, 0x4093, 6, 50093, PEER6, PPORT)
add("needs-full-checksum",
    "ChannelData over IPv4 without a UDP checksum for an IPv6 peer, in a dataplane that cannot "
    "sum the payload: to the engine as it came, which sends it with a checksum",
    frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, cd(0x4093, b"sum me, please"), chksum=0),
    "to-control", "needs-full-checksum", chans=[c], cannot_sum_payload=True,
    unsupported={"dpdk": DPDK_SUMS + " (cd4-to-udp6-zero-csum)",
                 "xdp": XDP_SUMS + " (cd4-to-udp6-zero-csum)"})

# Passed on untouched --------------------------------------------------------------------------

add("not-ip", "an ARP request for the relay's address goes to the kernel as it came",
    Ether(src=ROUTER_MAC, dst="ff:ff:ff:ff:ff:ff") / ARP(op=1, psrc=PEER4, pdst=CONFIG["bind4"]),
    "to-kernel", "not-ip")
add("not-udp", "ICMP echo to the relay's address",
    Ether(src=ROUTER_MAC, dst=RELAY_MAC) / IP(src=PEER4, dst=CONFIG["bind4"]) / ICMP() / Raw(b"ping"),
    "to-kernel", "not-udp")
add("not-for-relay", "UDP for another address on the segment",
    frame(CLIENT4, "192.0.2.99", CPORT, 3478, cd(0x4001, b"not ours")), "to-kernel",
    "not-for-relay")
add("other-port", "UDP to the relay outside the listen port and the allocation range",
    frame(PEER4, CONFIG["bind4"], PPORT, 5000, b"elsewhere"), "to-kernel", "other-port")
add("ipv4-options", "IPv4 with options is not fast-path traffic",
    Ether(src=ROUTER_MAC, dst=RELAY_MAC)
    / IP(src=CLIENT4, dst=CONFIG["bind4"], options=[IPOption_RR()])
    / UDP(sport=CPORT, dport=3478) / Raw(cd(0x4001, b"options")),
    "to-kernel", "ipv4-options")
add("ipv4-fragment", "the first fragment of a fragmented datagram",
    Ether(src=ROUTER_MAC, dst=RELAY_MAC) / IP(src=CLIENT4, dst=CONFIG["bind4"], flags="MF")
    / UDP(sport=CPORT, dport=3478, len=1000, chksum=0x1234) / Raw(cd(0x4001, b"frag", length=992)),
    "to-kernel", "ipv4-fragment")
add("ipv6-extension", "IPv6 with a hop-by-hop header",
    Ether(src=ROUTER_MAC, dst=RELAY_MAC) / IPv6(src=CLIENT6, dst=CONFIG["bind6"])
    / IPv6ExtHdrHopByHop() / UDP(sport=CPORT, dport=3478) / Raw(cd(0x4001, b"hbh")),
    "to-kernel", "ipv6-extension")
add("ipv4-fragment-later", "the last fragment of a datagram: offset 1480, MF clear, no UDP header",
    Ether(src=ROUTER_MAC, dst=RELAY_MAC)
    / IP(src=CLIENT4, dst=CONFIG["bind4"], proto=17, flags=0, frag=185)
    / Raw(b"the rest of a long datagram"),
    "to-kernel", "ipv4-fragment")
add("ipv6-fragment", "IPv6 with a Fragment header (44), the datagram's first fragment",
    Ether(src=ROUTER_MAC, dst=RELAY_MAC) / IPv6(src=CLIENT6, dst=CONFIG["bind6"])
    / IPv6ExtHdrFragment(id=0x2a, m=1) / UDP(sport=CPORT, dport=3478, len=1000, chksum=0x1234)
    / Raw(cd(0x4004, b"frag", length=992)),
    "to-kernel", "ipv6-extension")

# For the engine -------------------------------------------------------------------------------

stun_binding = struct.pack("!HHI", 0x0001, 0, 0x2112A442) + bytes(range(12))
add("stun", "a STUN Binding request on the listen port goes to the engine",
    frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, stun_binding), "to-control", "stun")
add("peer-no-channel", "peer data with no channel: the engine checks permissions, sends Data",
    frame(PEER4, CONFIG["bind4"], PPORT, 50099, b"to a permission"), "to-control",
    "peer-no-channel")
c = chan(CLIENT4, 0x4061, 4, 50161, CONFIG["public4"], 50661)
add("hairpin-no-channel",
    "hairpin toward an allocation that has no channel back: the engine sends a Data indication",
    frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, cd(0x4061, b"data indication")), "to-control",
    "hairpin-no-channel", chans=[c])

# Dropped, counted -----------------------------------------------------------------------------

full = bytes(frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, cd(0x4001, b"cut short")))
add("truncated", "a frame that ends before its IP length", full[:-4], "drop", "truncated")
add("truncated-ethernet", "a runt shorter than an Ethernet header", full[:10], "drop", "truncated")
bad_version = bytearray(full)
bad_version[14] = 0x55  # IPv4 ethertype, version 5
add("bad-ip-header", "version 5 under the IPv4 ethertype", bytes(bad_version), "drop",
    "bad-ip-header")
bad_sum = bytearray(full)
bad_sum[24] ^= 0xFF  # IPv4 header checksum
add("bad-ip-checksum", "IPv4 header checksum wrong", bytes(bad_sum), "drop", "bad-ip-checksum")
add("bad-udp-length", "UDP length shorter than the IP payload",
    Ether(src=ROUTER_MAC, dst=RELAY_MAC) / IP(src=CLIENT4, dst=CONFIG["bind4"])
    / UDP(sport=CPORT, dport=3478, len=12) / Raw(cd(0x4001, b"length")),
    "drop", "bad-udp-length")
add("udp6-no-checksum", "IPv6 UDP with a zero checksum (RFC 8200 forbids it)",
    frame(CLIENT6, CONFIG["bind6"], CPORT, 3478, cd(0x4004, b"no sum"), chksum=0), "drop",
    "udp6-no-checksum")
add("bad-channel-length", "ChannelData claiming more data than the datagram holds",
    frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, cd(0x4001, b"short", length=9)), "drop",
    "bad-channel-length", chans=[chan(CLIENT4, 0x4001, 4, 50010, PEER4, PPORT)])
add("bad-channel-padding", "ChannelData followed by more than 3 bytes: not padding",
    frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, cd(0x4001, b"data", pad=4)), "drop",
    "bad-channel-length", chans=[chan(CLIENT4, 0x4001, 4, 50010, PEER4, PPORT)])
add("no-channel", "ChannelData on a channel not in the table",
    frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, cd(0x4F00, b"unbound")), "drop", "no-channel",
    chans=[chan(CLIENT4, 0x4001, 4, 50010, PEER4, PPORT)])
c = chan(CLIENT4, 0x4001, 4, 50010, PEER4, PPORT)
add("ttl-expired", "a frame that would leave with TTL 0",
    frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, cd(0x4001, b"last hop"), ttl=1), "drop",
    "ttl-expired", chans=[c])
c = chan(CLIENT4, 0x4071, 4, 50071, CONFIG["public4"], 3478)
add("peer-is-relay", "a channel to the relay's own listen port: never relayed, never looped",
    frame(CLIENT4, CONFIG["bind4"], CPORT, 3478, cd(0x4071, b"loop?")), "drop", "peer-is-relay",
    chans=[c])


def write_pcap(path, frames):
    """Classic pcap, Ethernet link type, one record per frame as bytes (runts included)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i, data in enumerate(frames):
            f.write(struct.pack("<IIII", 1700000000 + i, 0, len(data), len(data)))
            f.write(data)


def main():
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.dirname(os.path.abspath(__file__))
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, "vectors.json"), "w") as f:
        json.dump({"vectors": vectors}, f, indent=1)
        f.write("\n")
    write_pcap(os.path.join(out_dir, "input.pcap"), [bytes.fromhex(v["input"]) for v in vectors])
    write_pcap(os.path.join(out_dir, "expected.pcap"),
               [bytes.fromhex(v["output"]) for v in vectors])
    print(f"{len(vectors)} vectors written to {out_dir}")


if __name__ == "__main__":
    main()
