/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the XDP program and its loader share, in the style of xdp-tools' *_kern_user.h: the
 * configuration the loader writes into the program's .rodata before load, and the verdict
 * counters both sides read. Table keys and values, and the per-binding counters, are
 * dataplane/core's (tp_binding.h).
 */
#ifndef TP_XDP_H
#define TP_XDP_H

#include "tp_binding.h"
#include "tp_fastpath.h"
#include "tp_types.h"

enum tp_xdp_nexthop {
	TP_XDP_NEXTHOP_STATIC = 0, /* every frame to one router MAC (xdp.nexthop-mac) */
	TP_XDP_NEXTHOP_FIB = 1,	   /* bpf_fib_lookup(): the kernel's routes and neighbours */
};

struct tp_xdp_cfg {
	struct tp_core_cfg core;
	tp_u32 nexthop;	  /* enum tp_xdp_nexthop */
	tp_u8 src_mac[6]; /* static: the interface's own MAC */
	tp_u8 dst_mac[6]; /* static: the router's */
};

/*
 * The channel and send tables' value in the XDP program: dataplane/core's, and beside it what
 * depends on the binding alone, worked out by the control thread rather than per frame:
 *
 * - far: where the channel is a hairpin's sending side, the far end's peer entry (the value
 *   under the key tp_hairpin_key() makes), slot 0 where none is known. The control thread
 *   keeps it equal to the peer table's entry: written after that entry comes or changes,
 *   taken out before it leaves. A hairpin then costs one hash lookup, not two; without a far
 *   end, the program looks the key up as for any hairpin. A send entry never has one.
 * - flow_label: the IPv6 flow label of the output, tp_to_peer_label() of the channel or, for
 *   a hairpin, tp_to_client_label() of its far end; 0: none, or worked out per frame.
 */
struct tp_xdp_chan_val {
	struct tp_chan_val chan;
	struct tp_peer_val far;
	tp_u32 flow_label;
};

TP_STATIC_ASSERT(sizeof(struct tp_xdp_chan_val) == 56, "XDP channel value is padding-free");

/*
 * The peer and permission tables' value in the XDP program: dataplane/core's, and the IPv6 flow
 * label of what the program sends to its client (tp_to_client_label(); 0: an IPv4 client).
 */
struct tp_xdp_peer_val {
	struct tp_peer_val peer;
	tp_u32 flow_label;
};

TP_STATIC_ASSERT(sizeof(struct tp_xdp_peer_val) == 28, "XDP peer value is padding-free");

/* The value the control thread keeps for peer value v. */
TP_CORE_INLINE void
tp_xdp_peer_val_of(struct tp_xdp_peer_val *out, const struct tp_core_cfg *cfg,
		   const struct tp_peer_val *v)
{
	out->peer = *v;
	out->flow_label = tp_to_client_label(cfg, v);
}

/* The value the control thread keeps for channel value v, far the far end of its hairpin
 * (NULL: none known, or no hairpin). */
TP_CORE_INLINE void
tp_xdp_chan_val_of(struct tp_xdp_chan_val *out, const struct tp_core_cfg *cfg,
		   const struct tp_chan_val *v, const struct tp_peer_val *far)
{
	tp_memset(out, 0, sizeof(*out));
	out->chan = *v;
	if (far) {
		out->far = *far;
		out->flow_label = tp_to_client_label(cfg, far);
	} else {
		out->flow_label = tp_to_peer_label(cfg, v);
	}
}

/* Sources muted at once (tp_muted, an LRU table): 16 bytes of key and 8 of value each. */
#define TP_XDP_MUTED_MAX 65536

/* bpf_fib_lookup() return codes counted (BPF_FIB_LKUP_RET_*), the last one "other". */
#define TP_XDP_FIB_CODES 16

/* Per reason, per CPU. */
struct tp_xdp_reason_stat {
	tp_u64 packets;
	tp_u64 bytes;
};

#endif
