/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the fast path decides for a frame: an action and the reason, declared once. The list
 * yields the enum, the names used by counters and stats output, and the help text for the
 * docs. A reason belongs to exactly one action:
 *
 *   relayed     rewritten and sent on (to a peer, or to a client)
 *   hairpinned  rewritten from one allocation of this relay straight to another's client
 *   to-control  for the TURN engine: signalling, or data it must handle itself
 *   to-kernel   not fast-path traffic: handed on untouched (XDP_PASS; the DPDK control path)
 *   drop        malformed or undeliverable, counted under its reason
 */
#ifndef TP_CORE_VERDICT_H
#define TP_CORE_VERDICT_H

#include "tp_types.h"

#define TP_ACTIONS(X)               \
	X(RELAYED, "relayed")       \
	X(HAIRPINNED, "hairpinned") \
	X(TO_CONTROL, "to-control") \
	X(TO_KERNEL, "to-kernel")   \
	X(DROP, "drop")

enum tp_action {
#define X(n, s) TP_ACT_##n,
	TP_ACTIONS(X)
#undef X
		TP_ACT_COUNT
};

/* X(name, action, text, help) */
#define TP_REASONS(X)                                                                              \
	X(TO_PEER, RELAYED, "to-peer", "ChannelData from a client, sent to its peer as UDP")       \
	X(TO_CLIENT, RELAYED, "to-client", "UDP from a peer, sent to the client as ChannelData")   \
	X(SEND_TO_PEER, RELAYED, "send-to-peer",                                                   \
	  "a Send indication for a permission's flow, sent to the peer as UDP")                    \
	X(HAIRPIN, HAIRPINNED, "hairpin",                                                          \
	  "ChannelData or a Send indication for another allocation of this relay, sent to that "   \
	  "client as ChannelData")                                                                 \
	X(DATA_INDICATION, RELAYED, "data-indication",                                             \
	  "UDP from a peer with a permission and no channel, sent to the client as Data")          \
	X(HAIRPIN_DATA, HAIRPINNED, "hairpin-data",                                                \
	  "ChannelData or a Send indication for another allocation of this relay without a "       \
	  "channel back, sent to that client as Data")                                             \
	X(STUN, TO_CONTROL, "stun",                                                                \
	  "not ChannelData on the listen port: STUN for the engine (a Send indication too, where " \
	  "the fast path holds no flow for it or it is more than XOR-PEER-ADDRESS, DATA and "      \
	  "DONT-FRAGMENT)")                                                                        \
	X(PEER_NO_CHANNEL, TO_CONTROL, "peer-no-channel",                                          \
	  "peer data the fast path holds neither a channel nor a permission's flow for: the "      \
	  "engine checks permissions, sends Data")                                                 \
	X(HAIRPIN_NO_CHANNEL, TO_CONTROL, "hairpin-no-channel",                                    \
	  "hairpin toward an allocation with neither a channel back nor a permission's flow in "   \
	  "the fast path: the engine sends Data")                                                  \
	X(TOO_BIG, TO_CONTROL, "too-big",                                                          \
	  "the output would exceed the egress MTU (it grows: a Data indication, IPv4 to IPv6): "   \
	  "the kernel path sends it, fragmented where IP allows (xdp mode)")                       \
	X(NEEDS_FULL_CSUM, TO_CONTROL, "needs-full-checksum",                                      \
	  "IPv4 without UDP checksum leaving as IPv6, where this dataplane cannot sum it")         \
	X(NOT_IP, TO_KERNEL, "not-ip", "neither IPv4 nor IPv6 (ARP and the like)")                 \
	X(NOT_UDP, TO_KERNEL, "not-udp", "IP but not UDP (ICMP, TCP, ...)")                        \
	X(NOT_FOR_RELAY, TO_KERNEL, "not-for-relay", "not addressed to the relay")                 \
	X(OTHER_PORT, TO_KERNEL, "other-port",                                                     \
	  "UDP to the relay outside the listen port and the allocation range")                     \
	X(IPV4_OPTIONS, TO_KERNEL, "ipv4-options", "IPv4 with options: not fast-path traffic")     \
	X(IPV4_FRAGMENT, TO_KERNEL, "ipv4-fragment", "an IPv4 fragment: the kernel reassembles")   \
	X(IPV6_EXTENSION, TO_KERNEL, "ipv6-extension",                                             \
	  "IPv6 with extension headers: not fast-path traffic")                                    \
	X(NO_NEXT_HOP, TO_KERNEL, "no-next-hop",                                                   \
	  "next hop not resolved yet: the kernel resolves it, the sockets relay meanwhile")        \
	X(NO_HEADROOM, TO_KERNEL, "no-headroom",                                                   \
	  "no room to grow the headers here: the kernel path relays it")                           \
	X(TRUNCATED, DROP, "truncated", "frame shorter than its headers say")                      \
	X(BAD_IP_HEADER, DROP, "bad-ip-header", "IP version, header or total length wrong")        \
	X(BAD_IP_CHECKSUM, DROP, "bad-ip-checksum", "IPv4 header checksum wrong")                  \
	X(BAD_UDP_LENGTH, DROP, "bad-udp-length", "UDP length disagrees with the IP length")       \
	X(UDP6_NO_CHECKSUM, DROP, "udp6-no-checksum", "IPv6 UDP with a zero checksum")             \
	X(BAD_CHANNEL_LENGTH, DROP, "bad-channel-length",                                          \
	  "ChannelData length beyond the datagram, or more than 3 bytes of padding")               \
	X(NO_CHANNEL, DROP, "no-channel", "ChannelData on a channel not bound (or no permission)") \
	X(TTL_EXPIRED, DROP, "ttl-expired", "TTL or hop limit would reach 0")                      \
	X(PEER_IS_RELAY, DROP, "peer-is-relay",                                                    \
	  "channel peer is this relay outside the allocation range")

enum tp_reason {
#define X(n, a, s, h) TP_R_##n,
	TP_REASONS(X)
#undef X
		TP_R_COUNT
};

TP_CORE_INLINE enum tp_action
tp_reason_action(enum tp_reason r)
{
	switch (r) {
#define X(n, a, s, h)  \
	case TP_R_##n: \
		return TP_ACT_##a;
		TP_REASONS(X)
#undef X
	default:
		return TP_ACT_DROP;
	}
}

TP_CORE_INLINE const char *
tp_reason_name(enum tp_reason r)
{
	switch (r) {
#define X(n, a, s, h)  \
	case TP_R_##n: \
		return s;
		TP_REASONS(X)
#undef X
	default:
		return "unknown";
	}
}

TP_CORE_INLINE const char *
tp_action_name(enum tp_action a)
{
	switch (a) {
#define X(n, s)          \
	case TP_ACT_##n: \
		return s;
		TP_ACTIONS(X)
#undef X
	default:
		return "unknown";
	}
}

#endif
