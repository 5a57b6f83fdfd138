/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The binding tables, declared once for the control engine, the DPDK tables (rte_hash) and
 * the BPF maps. Fixed-width fields in network byte order, no padding (asserted), and every
 * address 16 bytes: IPv6, or IPv4 in its IPv4-mapped form (::ffff:a.b.c.d), so one key
 * serves both families and compares as bytes.
 *
 *   channel table: (client address, client port, channel) -> (family, relayed address,
 *                  allocation port, peer address, peer port)   ChannelData from a client
 *   peer table:    (family, relayed address, allocation port, peer address, peer port) ->
 *                  (client address, client port, channel)      UDP from a peer to a relayed
 *                                                               address
 *
 * and for a permission's flow (a peer transport address holding a permission, without a
 * channel), the same pair of directions:
 *
 *   send table:    (client address, client port, peer port, peer address) -> the channel
 *                  table's value                   Send indications from a client
 *   permission table: the peer table's key -> its value, channel 0   UDP from the peer
 *
 * A relayed address is its index among the family's (struct tp_core_cfg, relay_index), so
 * that a relay with several addresses per family holds as many allocations per port.
 *
 * Each value carries the binding's slot: the index of its per-lcore (per-CPU) counters
 * (struct tp_binding_stat) and, in the DPDK tables, of its values; the same for both
 * directions of a binding, given by the dataplane that writes the entries.
 */
#ifndef TP_CORE_BINDING_H
#define TP_CORE_BINDING_H

#include "tp_types.h"

struct tp_chan_key {
	tp_u8 client_ip[16];
	tp_be16 client_port;
	tp_be16 channel;
} TP_ALIGNED4;

struct tp_chan_val {
	tp_u8 peer_ip[16];
	tp_be16 peer_port;
	tp_be16 alloc_port; /* the relayed address's port */
	tp_u8 family;	    /* of the relayed address and the peer: TP_FAM_V4 or _V6 */
	tp_u8 relay_index;  /* the relayed address: its index among the family's */
	tp_u8 reserved[2];
	tp_u32 slot; /* host order: an index, never on the wire */
};

struct tp_peer_key {
	tp_u8 peer_ip[16];
	tp_be16 peer_port;
	tp_be16 alloc_port;
	tp_u8 family;
	tp_u8 relay_index; /* where the peer sent it: the relayed address's index */
	tp_u8 reserved[2];
} TP_ALIGNED4;

struct tp_peer_val {
	tp_u8 client_ip[16];
	tp_be16 client_port;
	tp_be16 channel;
	tp_u32 slot;
};

struct tp_send_key {
	tp_u8 client_ip[16];
	tp_be16 client_port;
	tp_be16 peer_port;
	tp_u8 peer_ip[16];
} TP_ALIGNED4;

TP_STATIC_ASSERT(sizeof(struct tp_chan_key) == 20, "channel key is padding-free");
TP_STATIC_ASSERT(sizeof(struct tp_send_key) == 36, "send key is padding-free");
TP_STATIC_ASSERT(sizeof(struct tp_chan_val) == 28, "channel value is padding-free");
TP_STATIC_ASSERT(sizeof(struct tp_peer_key) == 24, "peer key is padding-free");
TP_STATIC_ASSERT(sizeof(struct tp_peer_val) == 24, "peer value is padding-free");
TP_STATIC_ASSERT(__alignof__(struct tp_chan_val) >= 4 && __alignof__(struct tp_peer_val) >= 4 &&
			 __alignof__(struct tp_chan_key) >= 4 &&
			 __alignof__(struct tp_peer_key) >= 4 &&
			 __alignof__(struct tp_send_key) >= 4 &&
			 __builtin_offsetof(struct tp_send_key, peer_ip) % 4 == 0,
		 "the tables' addresses are read 32 bits at a time (tp_ip_eq())");

/*
 * A source the engine found past its answer budget (control/turn/answer_budget.h): an IPv4
 * address, or an IPv6 /64 (its first 8 bytes), as the budget keys them. While the fast path
 * holds one, with an expiry ahead, it drops that source's STUN to the listen port before the
 * control thread sees it; what it would have answered was to be dropped anyway.
 */
struct tp_muted_key {
	tp_u8 family; /* TP_FAM_V4 or _V6 */
	tp_u8 reserved[7];
	tp_u8 prefix[8]; /* IPv4: the address, then zeros; IPv6: the /64 */
};

TP_STATIC_ASSERT(sizeof(struct tp_muted_key) == 16, "muted source key is padding-free");

/* The muted-source key of a 16-byte address (IPv4-mapped for IPv4) of family fam. */
TP_CORE_INLINE void
tp_muted_key_of(struct tp_muted_key *k, const tp_u8 ip16[16], tp_u8 fam)
{
	tp_memset(k, 0, sizeof(*k));
	k->family = fam;
	if (fam == TP_FAM_V4)
		tp_memcpy(k->prefix, ip16 + 12, 4);
	else
		tp_memcpy(k->prefix, ip16, 8);
}

/* Directions of a binding's counters. */
enum tp_dir {
	TP_DIR_TO_PEER = 0,   /* client -> peer (and the sending side of a hairpin) */
	TP_DIR_TO_CLIENT = 1, /* peer -> client (and the receiving side of a hairpin) */
};

/*
 * A binding's counters at its slot, by direction (enum tp_dir): relayed packets and payload
 * bytes. One record per lcore (DPDK) or per CPU (the XDP program's per-CPU map), written by
 * that one alone; the control thread sums them into one of these.
 */
struct tp_binding_stat {
	tp_u64 packets[2];
	tp_u64 bytes[2];
};

TP_STATIC_ASSERT(sizeof(struct tp_binding_stat) == 32, "binding counters are padding-free");

/* 16-byte form of an address of family fam held in 4 (IPv4) or 16 bytes. */
TP_CORE_INLINE void
tp_ip_to16(tp_u8 out[16], const tp_u8 *ip, tp_u8 fam)
{
	if (fam == TP_FAM_V6) {
		tp_memcpy(out, ip, 16);
		return;
	}
	tp_memset(out, 0, 10);
	out[10] = 0xff;
	out[11] = 0xff;
	tp_memcpy(out + 12, ip, 4);
}

/* Family of a 16-byte address: IPv4-mapped means IPv4. */
TP_CORE_INLINE tp_u8
tp_ip16_family(const tp_u8 ip[16])
{
	tp_u32 w0, w1, w2;

	tp_memcpy(&w0, ip, 4);
	tp_memcpy(&w1, ip + 4, 4);
	tp_memcpy(&w2, ip + 8, 4);
	return w0 == 0 && w1 == 0 && w2 == tp_htonl(0xffff) ? TP_FAM_V4 : TP_FAM_V6;
}

#endif
