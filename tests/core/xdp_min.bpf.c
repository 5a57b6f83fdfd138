/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Build check: the smallest XDP program around dataplane/core, compiled with clang -target
 * bpf. Maps keyed by the core's structs, configuration in .bss, head adjustment before the
 * rewrite; the frame's state in a per-CPU array and the decision and the rewrite in
 * subprograms of their own, as the real program has them (its stack would not hold it all).
 * The real program, its loader and its tests belong to xdp-fallback/.
 */
#define TP_CORE_NO_PAYLOAD_SUM 1
#include "tp_core.h"

#define SEC(name)		  __attribute__((section(name), used))
#define BPF_MAP_TYPE_HASH	  1
#define BPF_MAP_TYPE_PERCPU_ARRAY 6
#define XDP_DROP		  1
#define XDP_PASS		  2
#define XDP_TX			  3

struct xdp_md {
	tp_u32 data, data_end, data_meta, ingress_ifindex, rx_queue_index, egress_ifindex;
};

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)1;
static long (*bpf_xdp_adjust_head)(struct xdp_md *ctx, int delta) = (void *)44;

struct {
	int (*type)[BPF_MAP_TYPE_HASH];
	int (*max_entries)[65536];
	struct tp_chan_key *key;
	struct tp_chan_val *value;
} chans SEC(".maps");

struct {
	int (*type)[BPF_MAP_TYPE_HASH];
	int (*max_entries)[65536];
	struct tp_peer_key *key;
	struct tp_peer_val *value;
} peers SEC(".maps");

struct {
	int (*type)[BPF_MAP_TYPE_HASH];
	int (*max_entries)[65536];
	struct tp_send_key *key;
	struct tp_chan_val *value;
} sends SEC(".maps");

struct {
	int (*type)[BPF_MAP_TYPE_HASH];
	int (*max_entries)[65536];
	struct tp_peer_key *key;
	struct tp_peer_val *value;
} perms SEC(".maps");

struct {
	int (*type)[BPF_MAP_TYPE_PERCPU_ARRAY];
	int (*max_entries)[1];
	tp_u32 *key;
	struct tp_pkt *value;
} scratch SEC(".maps");

/* Writable (.bss), not .rodata: the verifier must check every path, not the ones a zeroed
 * configuration leaves after it prunes. */
struct tp_core_cfg cfg;
tp_u8 relay_mac[TP_ETH_ALEN], next_hop_mac[TP_ETH_ALEN];

static __attribute__((noinline)) int
decide(struct tp_pkt *p, const tp_u8 *data, const tp_u8 *end)
{
	enum tp_step step = tp_classify(p, data, end, &cfg);

	if (step == TP_STEP_LOOKUP_CHAN)
		step = tp_on_chan(p, &cfg, bpf_map_lookup_elem(&chans, &p->ckey));
	if (step == TP_STEP_LOOKUP_SEND)
		step = tp_on_send(p, &cfg, bpf_map_lookup_elem(&sends, &p->skey));
	if (step == TP_STEP_CHECK_FINGERPRINT)
		step = TP_STEP_DONE; /* the real program sums the CRC (a loop of its own) */
	if (step == TP_STEP_LOOKUP_PEER)
		step = tp_on_peer(p, &cfg, bpf_map_lookup_elem(&peers, &p->pkey));
	if (step == TP_STEP_LOOKUP_PERM)
		step = tp_on_perm(p, &cfg, bpf_map_lookup_elem(&perms, &p->pkey));
	return step;
}

static __attribute__((noinline)) int
rewrite(struct tp_pkt *p, tp_u8 *data, const tp_u8 *end)
{
	return tp_rewrite(p, data, end, relay_mac, next_hop_mac);
}

SEC("xdp")
int
xdp_min(struct xdp_md *ctx)
{
	tp_u8 *data = (tp_u8 *)(long)ctx->data, *end = (tp_u8 *)(long)ctx->data_end;
	tp_u32 zero = 0;
	struct tp_pkt *p = bpf_map_lookup_elem(&scratch, &zero);
	enum tp_step step;

	if (!p)
		return XDP_PASS;
	step = decide(p, data, end);
	if (step != TP_STEP_REWRITE)
		return tp_reason_action(p->reason) == TP_ACT_DROP ? XDP_DROP : XDP_PASS;
	if (tp_needs_full_csum(p) || bpf_xdp_adjust_head(ctx, -tp_head_delta(p)))
		return XDP_PASS;
	data = (tp_u8 *)(long)ctx->data;
	end = (tp_u8 *)(long)ctx->data_end;
	return rewrite(p, data, end) == TP_R_TRUNCATED ? XDP_DROP : XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
