/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP dataplane: every frame through dataplane/core, the same code the DPDK lcores run.
 * ChannelData and peer data with a binding (a channel, or a permission's flow: sent as a Data
 * indication) are rewritten and sent back out (XDP_TX, or XDP_REDIRECT when the route leaves
 * by another interface); everything else goes to the kernel exactly as it arrived, where
 * turnpike's sockets and engine take it (signalling, the first datagram of a permission's
 * flow, next hops not yet resolved), or is dropped under its reason.
 *
 * Next hops come from the kernel: bpf_fib_lookup() (its routes and neighbour table; the
 * kernel answers only where forwarding is on for the ingress interface), or, for tests and
 * simple one-armed set-ups, one static router MAC. The configuration is set by the loader in
 * .rodata before load; the tables are written by the control thread.
 */
#include <linux/bpf.h>

#include <bpf/bpf_helpers.h>

#define TP_CORE_NO_PAYLOAD_SUM 1
#include "tp_core.h"
#include "tp_xdp.h"

#ifndef AF_INET
#define AF_INET	 2
#define AF_INET6 10
#endif

const volatile struct tp_xdp_cfg tp_cfg = { 0 };

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* sized by the loader (xdp.max-bindings) */
	__type(key, struct tp_chan_key);
	__type(value, struct tp_xdp_chan_val); /* with a hairpin's far end */
} tp_chans SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tp_peer_key);
	__type(value, struct tp_xdp_peer_val); /* with the label to its client */
} tp_peers SEC(".maps");

/* Permissions' flows: Send indications from the client (the channel table's value), and the
 * peer's data (the peer table's key, a value whose channel is 0). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tp_send_key);
	__type(value, struct tp_xdp_chan_val); /* never with a far end */
} tp_sends SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, struct tp_peer_key);
	__type(value, struct tp_xdp_peer_val);
} tp_perms SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TP_R_COUNT);
	__type(key, __u32);
	__type(value, struct tp_xdp_reason_stat);
} tp_reason_stats SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, struct tp_binding_stat);
} tp_binding_stats SEC(".maps");

/* Sources past their answer budget, until when (bpf_ktime_get_ns(): CLOCK_MONOTONIC), written
 * by the control thread; least recently used forgotten, so its memory is bounded. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, TP_XDP_MUTED_MAX);
	__type(key, struct tp_muted_key);
	__type(value, __u64);
} tp_muted SEC(".maps");

/* What the muting dropped, per CPU: one record (packets and frame bytes). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tp_xdp_reason_stat);
} tp_muted_stats SEC(".maps");

/* The frame on its way through: more than the 512-byte stack holds beside what the core's
 * calls need. One per CPU: XDP runs one frame at a time on a CPU. */
struct tp_xdp_scratch {
	struct tp_pkt p;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tp_xdp_scratch);
} tp_scratch SEC(".maps");

/* bpf_fib_lookup() answers, by return code, so "no-next-hop" can be explained. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, TP_XDP_FIB_CODES);
	__type(key, __u32);
	__type(value, __u64);
} tp_fib_stats SEC(".maps");

static __always_inline int
verdict(enum tp_reason r, __u32 len)
{
	__u32 key = r;
	struct tp_xdp_reason_stat *st = bpf_map_lookup_elem(&tp_reason_stats, &key);

	if (st) {
		st->packets++;
		st->bytes += len;
	}
	switch (tp_reason_action(r)) {
	case TP_ACT_DROP:
		return XDP_DROP;
	case TP_ACT_RELAYED:
	case TP_ACT_HAIRPINNED:
		return XDP_TX;
	default:
		return XDP_PASS;
	}
}

static __always_inline void
count_binding(__u32 slot, int dir, __u32 bytes)
{
	struct tp_binding_stat *st;

	if (!slot || !(st = bpf_map_lookup_elem(&tp_binding_stats, &slot)))
		return;
	st->packets[dir & 1]++;
	st->bytes[dir & 1] += bytes;
}

/* What this CPU sent the client of binding slot so far: a Data indication's count. */
static __always_inline __u32
sent_to_client(__u32 slot)
{
	struct tp_binding_stat *st = bpf_map_lookup_elem(&tp_binding_stats, &slot);

	return st ? (__u32)st->packets[TP_DIR_TO_CLIENT] : 0;
}

/*
 * The next hop for the output: MACs, and the interface when not the ingress one. Returns 0,
 * or -1 to leave the frame to the kernel (which resolves neighbours).
 */
static __always_inline int
next_hop(struct xdp_md *ctx, const struct tp_pkt *p, __u8 *smac, __u8 *dmac, __u32 *ifindex)
{
	struct bpf_fib_lookup fib = { 0 };
	__u64 *hits;
	__u32 code;
	long rc;

	*ifindex = ctx->ingress_ifindex;
	if (tp_cfg.nexthop == TP_XDP_NEXTHOP_STATIC) {
		for (int i = 0; i < 6; i++) {
			smac[i] = tp_cfg.src_mac[i];
			dmac[i] = tp_cfg.dst_mac[i];
		}
		return 0;
	}
	fib.ifindex = ctx->ingress_ifindex;
	fib.l4_protocol = TP_IPPROTO_UDP;
	fib.sport = p->out_sport;
	fib.dport = p->out_dport;
	if (p->out_fam == TP_FAM_V4) {
		fib.family = AF_INET;
		fib.tos = p->tos;
		fib.tot_len = (__u16)(tp_out_len(p) - p->l3); /* host order */
		__builtin_memcpy(&fib.ipv4_src, p->out_src + 12, 4);
		__builtin_memcpy(&fib.ipv4_dst, p->out_dst + 12, 4);
	} else {
		fib.family = AF_INET6;
		fib.tot_len = (__u16)(tp_out_len(p) - p->l3); /* host order */
		__builtin_memcpy(fib.ipv6_src, p->out_src, 16);
		__builtin_memcpy(fib.ipv6_dst, p->out_dst, 16);
	}
	rc = bpf_fib_lookup(ctx, &fib, sizeof(fib), BPF_FIB_LOOKUP_OUTPUT);
	code = rc >= 0 && rc < TP_XDP_FIB_CODES ? (__u32)rc : TP_XDP_FIB_CODES - 1;
	if ((hits = bpf_map_lookup_elem(&tp_fib_stats, &code)))
		(*hits)++;
	if (rc != BPF_FIB_LKUP_RET_SUCCESS)
		return -1;
	__builtin_memcpy(smac, fib.smac, 6);
	__builtin_memcpy(dmac, fib.dmac, 6);
	*ifindex = fib.ifindex;
	return 0;
}

/*
 * The longest payload the program sums. More than a linear XDP frame holds (a page, less the
 * headroom and the shared info; the program takes no multi-buffer frames), so the bound the
 * verifier needs for the loop turns no frame away; past it, the engine would send the frame.
 * Headers end well before TP_XDP_SUM_AT, which bounds where the payload may start.
 */
#define TP_XDP_SUM_MAX 4096
#define TP_XDP_SUM_AT  256

/*
 * The one's complement sum of the payload, for an IPv4 datagram without a UDP checksum that
 * leaves as IPv6, where one is mandatory (tp_set_payload_sum()): 4-byte words into a 64-bit
 * sum, then a 2-byte and a 1-byte tail, folded as tp_csum_partial() folds. The payload starts
 * at an even offset within the UDP datagram, so memory-order words are the checksum's words.
 * Returns 0, or -1 when the payload lies past the bounds above (it never does).
 */
static __always_inline int
payload_sum(const __u8 *frame, const __u8 *end, __u32 at, __u32 len, __u32 *out)
{
	const __u8 *pos;
	__u64 sum = 0;

	if (at > TP_XDP_SUM_AT || len > TP_XDP_SUM_MAX)
		return -1;
	pos = frame + at;
	for (__u32 i = 0; i < TP_XDP_SUM_MAX / 4; i++) {
		if (len < 4)
			break;
		barrier_var(pos); /* clang would otherwise fold the bound into pkt_end arithmetic */
		if (pos + 4 > end)
			return -1;
		sum += *(const __u32 *)pos;
		pos += 4;
		len -= 4;
	}
	if (len >= 2) {
		if (pos + 2 > end)
			return -1;
		sum += *(const __u16 *)pos;
		pos += 2;
		len -= 2;
	}
	if (len) {
		if (pos + 1 > end)
			return -1;
		sum += tp_csum_byte(*pos, 0);
	}
	sum = (sum & 0xffffffff) + (sum >> 32);
	sum = (sum & 0xffffffff) + (sum >> 32);
	*out = tp_csum_fold((__u32)(sum & 0xffff) + (__u32)(sum >> 16));
	return 0;
}

/*
 * The longest STUN message whose FINGERPRINT the program checks: a Send indication in a
 * 1500-byte IPv6 datagram and then some. A longer one (a jumbo frame's) goes to the engine,
 * which checks it; the bound keeps the verifier's walk of the loop short.
 */
#define TP_XDP_CRC_MAX 2048

/*
 * A Send indication's FINGERPRINT, once the send table has its flow (tp_on_fingerprint()):
 * the CRC-32 of the message up to it, through the core's table, four bytes an iteration (the
 * FINGERPRINT is at a multiple of 4 bytes into the message). The next step; a message past
 * the bounds above is the engine's. A BPF subprogram of its own: its frame is not the
 * decision's.
 */
static __noinline int
check_fingerprint(const __u8 *frame, const __u8 *end, struct tp_pkt *p)
{
	__u32 at = tp_stun_at(p), len = p->fp_at, crc = 0xFFFFFFFFu;
	const __u8 *pos;

	if (at > TP_XDP_SUM_AT || len > TP_XDP_CRC_MAX || (len & 3))
		goto engines;
	barrier_var(at); /* so that clang keeps the mask, the bound the verifier sees */
	pos = frame + (at & (2 * TP_XDP_SUM_AT - 1));
	for (__u32 i = 0; i < TP_XDP_CRC_MAX / 4; i++) {
		if (i >= len / 4)
			break;
		barrier_var(pos);
		if (pos + 4 > end)
			goto engines;
		crc = tp_crc32_byte(crc, pos[0]);
		crc = tp_crc32_byte(crc, pos[1]);
		crc = tp_crc32_byte(crc, pos[2]);
		crc = tp_crc32_byte(crc, pos[3]);
		pos += 4;
	}
	return tp_on_fingerprint(p, ~crc);
engines:
	p->reason = TP_R_STUN;
	return TP_STEP_DONE;
}

/*
 * The core reads its configuration through a plain pointer to .rodata itself. The pointer
 * passes through an empty asm first: handed &tp_cfg.core directly, the compiler would fold the
 * zeros .rodata holds at compile time, where the loader writes the real values. The verifier
 * knows .rodata (frozen before load): every read at a constant offset is a known value, so
 * the loops over the relayed addresses run as many times as the configuration has them, and
 * what the configuration rules out is never explored.
 */
static __always_inline const struct tp_core_cfg *
core_cfg(void)
{
	const struct tp_core_cfg *c = (const struct tp_core_cfg *)&tp_cfg.core;

	asm volatile("" : "+r"(c));
	return c;
}

/* STUN from a source the control thread muted, its time not yet over: counted, to be dropped.
 * Not a verdict of dataplane/core's: a policy of the control thread's, which the XDP program
 * applies ahead of it (the engine would have dropped the answers). */
static __always_inline int
muted(const struct tp_pkt *p, __u32 len)
{
	struct tp_xdp_reason_stat *st;
	struct tp_muted_key k;
	__u32 zero = 0;
	__u64 *until;

	tp_muted_key_of(&k, p->src, p->in_fam);
	until = bpf_map_lookup_elem(&tp_muted, &k);
	if (!until || bpf_ktime_get_ns() >= *until)
		return 0;
	if ((st = bpf_map_lookup_elem(&tp_muted_stats, &zero))) {
		st->packets++;
		st->bytes += len;
	}
	return 1;
}

/*
 * The parse, the lookups and the rewrite: each a BPF subprogram of its own (the core is
 * inlined into each), so that their stack frames do not add up to one over the 512 bytes a
 * program has.
 */
static __noinline int
classify(struct tp_pkt *p, const __u8 *data, const __u8 *end, const struct tp_core_cfg *cfg)
{
	return tp_classify(p, data, end, cfg);
}

/*
 * The lookups the step asks for. A channel whose hairpin's far end the control thread has
 * written beside it (struct tp_xdp_chan_val) completes without the peer table's. Every answer
 * brings its output's IPv6 flow label, taken with it whatever the next step: 0 where the value
 * has none (IPv4, or a hairpin whose far end the next answer brings), worked out in the rewrite.
 */
static __noinline int
look_up(struct tp_pkt *p, const struct tp_core_cfg *cfg, enum tp_step step)
{
	if (step == TP_STEP_LOOKUP_CHAN) {
		const struct tp_xdp_chan_val *v = bpf_map_lookup_elem(&tp_chans, &p->ckey);

		step = tp_on_chan(p, cfg, v ? &v->chan : 0);
		if (step == TP_STEP_LOOKUP_PEER && v && v->far.slot)
			step = tp_on_peer(p, cfg, &v->far);
		if (v)
			p->flow_label = v->flow_label;
	}
	if (step == TP_STEP_LOOKUP_SEND) {
		const struct tp_xdp_chan_val *v = bpf_map_lookup_elem(&tp_sends, &p->skey);

		step = tp_on_send(p, cfg, v ? &v->chan : 0);
		if (v)
			p->flow_label = v->flow_label;
	}
	if (step == TP_STEP_LOOKUP_PEER) {
		const struct tp_xdp_peer_val *v = bpf_map_lookup_elem(&tp_peers, &p->pkey);

		step = tp_on_peer(p, cfg, v ? &v->peer : 0);
		if (v)
			p->flow_label = v->flow_label;
	}
	if (step == TP_STEP_LOOKUP_PERM) {
		const struct tp_xdp_peer_val *v = bpf_map_lookup_elem(&tp_perms, &p->pkey);

		step = tp_on_perm(p, cfg, v ? &v->peer : 0);
		if (v)
			p->flow_label = v->flow_label;
	}
	return step;
}

static __noinline int
rewrite(struct tp_pkt *p, __u8 *data, const __u8 *end, const __u8 *smac, const __u8 *dmac)
{
	return tp_rewrite(p, data, end, smac, dmac);
}

SEC("xdp")
int
turnpike_xdp(struct xdp_md *ctx)
{
	__u8 *data = (__u8 *)(long)ctx->data, *end = (__u8 *)(long)ctx->data_end;
	__u32 len = (__u32)(end - data), ifindex, sum;
	__u8 smac[6], dmac[6];
	struct tp_xdp_scratch *scratch;
	const struct tp_core_cfg *cfg;
	struct tp_pkt *p;
	enum tp_step step;
	__u32 zero = 0;
	int delta, trim;

	if (!(scratch = bpf_map_lookup_elem(&tp_scratch, &zero)))
		return XDP_PASS; /* never: the array has its one entry on every CPU */
	p = &scratch->p;
	cfg = core_cfg();
	step = look_up(p, cfg, classify(p, data, end, cfg));
	if (step == TP_STEP_CHECK_FINGERPRINT) /* then on, a hairpin's lookups too */
		step = look_up(p, cfg, check_fingerprint(data, end, p));
	if (step != TP_STEP_REWRITE) {
		if (p->reason == TP_R_STUN && muted(p, len))
			return XDP_DROP;
		return verdict(p->reason, len);
	}

	/* Everything that may still hand the frame to the kernel happens before it changes. */
	if (tp_needs_full_csum(p)) {
		if (payload_sum(data, end, p->data, p->data_len, &sum) < 0)
			return verdict(TP_R_NEEDS_FULL_CSUM, len);
		tp_set_payload_sum(p, sum);
	}
	if (next_hop(ctx, p, smac, dmac, &ifindex) < 0)
		return verdict(TP_R_NO_NEXT_HOP, len);
	delta = tp_head_delta(p);
	/* The frame ends with the data: padding and Ethernet trailers go, a Data indication's
	 * padding comes. Room at the tail first, so that a frame that cannot have it goes to the
	 * kernel as it came; then the head, giving the tail back where that fails. */
	trim = (int)tp_out_len(p) - (int)(len + delta);
	if (trim > 0 && bpf_xdp_adjust_tail(ctx, trim))
		return verdict(TP_R_NO_HEADROOM, len);
	if (bpf_xdp_adjust_head(ctx, -delta)) {
		if (trim > 0)
			bpf_xdp_adjust_tail(ctx, -trim);
		return verdict(TP_R_NO_HEADROOM, len);
	}
	if (trim < 0 && bpf_xdp_adjust_tail(ctx, trim))
		return verdict(TP_R_TRUNCATED, len);

	data = (__u8 *)(long)ctx->data;
	end = (__u8 *)(long)ctx->data_end;
	if (p->out_ind)
		p->ind_seq = sent_to_client(p->hairpin ? p->slot_in : p->slot);
	p->reason = rewrite(p, data, end, smac, dmac);
	if (p->reason == TP_R_TO_PEER || p->reason == TP_R_SEND_TO_PEER ||
	    p->reason == TP_R_HAIRPIN || p->reason == TP_R_HAIRPIN_DATA)
		count_binding(p->slot, TP_DIR_TO_PEER, p->data_len);
	if (p->reason == TP_R_TO_CLIENT || p->reason == TP_R_DATA_INDICATION)
		count_binding(p->slot, TP_DIR_TO_CLIENT, p->data_len);
	if (p->reason == TP_R_HAIRPIN || p->reason == TP_R_HAIRPIN_DATA)
		count_binding(p->slot_in, TP_DIR_TO_CLIENT, p->data_len);
	if (verdict(p->reason, (__u32)(end - data)) != XDP_TX)
		return XDP_DROP; /* rewritten, yet not sendable: never hand a half-made frame on */
	if (ifindex != ctx->ingress_ifindex)
		return bpf_redirect(ifindex, 0);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
