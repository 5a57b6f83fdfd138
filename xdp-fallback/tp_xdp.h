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
 * The channel table's value in the XDP program: dataplane/core's, and beside it, where the
 * channel is a hairpin's sending side, the far end's peer entry (struct tp_peer_val, the value
 * under the key tp_hairpin_key() makes), slot 0 where none is known. The control thread keeps
 * it equal to the peer table's entry: written after that entry comes or changes, taken out
 * before it leaves. A hairpin then costs one hash lookup, not two; without a far end, the
 * program looks the key up as for any hairpin.
 */
struct tp_xdp_chan_val {
	struct tp_chan_val chan;
	struct tp_peer_val far;
};

TP_STATIC_ASSERT(sizeof(struct tp_xdp_chan_val) == 52, "XDP channel value is padding-free");

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
