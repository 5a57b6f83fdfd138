/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The worker lcore, in the style of l3fwd: burst RX from its queue, run the burst through
 * dataplane/core in stages (classify every frame, look up the whole burst in each table at
 * once, rewrite in place) with prefetches between them, buffer the output and send it when the
 * buffer fills or its TSC deadline (~100 us) passes, freeing and counting whatever the TX queue
 * refuses. What the core hands on (signalling, the first datagram of a permission's flow, frames
 * whose next hop is unresolved) goes to the control thread over the punt ring, untouched. No locks,
 * no logging; one quiescent state report per loop; one system call, only where a burst punted while
 * the control thread sleeps: the eventfd write that wakes it.
 */
#include <sys/eventfd.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_prefetch.h>

#include "dp.h"
#include "dp_hash.h"

/* The next hop towards dst: dst itself when it lies in the first relayed address's prefix
 * (dpdk.ipvX-prefix-len; every relayed address is taken to share that link), else the family's
 * gateway. */
int
dp_next_hop_ip(const struct dp *dp, uint8_t fam, const uint8_t dst16[16], uint8_t nh16[16])
{
	const struct tp_config *cfg = dp->cfg;
	int f = fam == TP_FAM_V4 ? 0 : 1;
	const uint8_t *own = tp_relay_ip(&dp->core, fam, 0, 0);
	const uint8_t *dst = fam == TP_FAM_V4 ? dst16 + 12 : dst16;
	unsigned bits = cfg->dpdk.prefix_len[f], full = bits / 8, rest = bits % 8;
	int onlink = memcmp(own, dst, full) == 0 &&
		     (!rest || ((own[full] ^ dst[full]) & (uint8_t)(0xff << (8 - rest))) == 0);

	if (onlink) {
		memcpy(nh16, dst16, 16);
		return 0;
	}
	if (cfg->dpdk.gateway[f].family == TP_FAM_NONE)
		return -1;
	tp_ip_to16(nh16, cfg->dpdk.gateway[f].ip, fam);
	return 0;
}

void
dp_worker_send(struct dp_worker *w)
{
	uint16_t sent = rte_eth_tx_burst(w->dp->port, (uint16_t)w->index, w->tx, w->ntx);

	/* Never an mbuf lost: what the queue refuses is freed and counted. */
	if (unlikely(sent < w->ntx)) {
		w->tx_dropped += w->ntx - sent;
		rte_pktmbuf_free_bulk(&w->tx[sent], w->ntx - sent);
	}
	w->ntx = 0;
}

static inline void
enqueue_tx(struct dp_worker *w, struct rte_mbuf *m)
{
	w->tx[w->ntx++] = m;
	if (w->ntx == DP_BURST)
		dp_worker_send(w);
}

static inline void
count(struct dp_worker *w, enum tp_reason r, uint32_t bytes)
{
	w->reasons[r].packets++;
	w->reasons[r].bytes += bytes;
}

/* To the control thread, as it came. */
static inline void
punt(struct dp_worker *w, struct rte_mbuf *m, enum tp_reason r)
{
	count(w, r, rte_pktmbuf_pkt_len(m));
	if (unlikely(rte_ring_enqueue(w->dp->punt, m) != 0)) {
		w->punt_dropped++;
		rte_pktmbuf_free(m);
		return;
	}
	w->punted = true;
}

/*
 * After a burst that punted: wake the control thread if it sleeps. The fence orders the
 * enqueues before the look at ctl_asleep, as the control thread orders its setting of
 * ctl_asleep before its last look at the ring: one of the two sees the other.
 */
static void
wake_control(struct dp *dp)
{
	rte_atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (__atomic_load_n(&dp->ctl_asleep, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&dp->ctl_asleep, 0, __ATOMIC_RELAXED))
		eventfd_write(dp->wake_fd, 1);
}

static inline void
count_binding(struct dp_worker *w, uint32_t slot, int dir, uint32_t bytes)
{
	if (slot) {
		w->bindings[slot].packets[dir]++;
		w->bindings[slot].bytes[dir] += bytes;
	}
}

/*
 * The next hop's MAC: the configured one, or the neighbour table's, through the worker's
 * cache of the next hops it last used (most traffic goes to a gateway or a few); -1 when
 * unresolved.
 */
static inline int
next_hop_mac(struct dp_worker *w, const struct tp_pkt *p, struct rte_ether_addr *mac)
{
	const struct dp *dp = w->dp;
	struct dp_nh_entry *e;
	uint8_t nh[16];
	uint32_t k;

	if (dp->cfg->dpdk.nexthop_mac.set) {
		memcpy(mac->addr_bytes, dp->cfg->dpdk.nexthop_mac.addr, RTE_ETHER_ADDR_LEN);
		return 0;
	}
	if (dp_next_hop_ip(dp, p->out_fam, p->out_dst, nh) < 0)
		return -1;
	memcpy(&k, nh + 12, 4);
	e = &w->nh[(k * 0x9e3779b1u) >> 16 & (DP_NH_CACHE - 1)];
	if (e->gen == w->nh_gen && memcmp(e->ip, nh, 16) == 0) {
		*mac = e->mac;
		return 0;
	}
	if (dp_neigh_get(dp, nh, mac) < 0)
		return -1;
	memcpy(e->ip, nh, 16);
	e->mac = *mac;
	e->gen = w->nh_gen;
	return 0;
}

/* Parse a frame; multi-segment frames are made one first (or dropped, counted). */
static inline enum tp_step
classify(struct dp_worker *w, struct rte_mbuf **mp, struct tp_pkt *p)
{
	struct rte_mbuf *m = *mp;
	uint8_t *data;

	if (unlikely(m->nb_segs > 1) && rte_pktmbuf_linearize(m) != 0) {
		w->multiseg_dropped++;
		rte_pktmbuf_free(m);
		*mp = NULL;
		return TP_STEP_DONE;
	}
	data = rte_pktmbuf_mtod(m, uint8_t *);
	return tp_classify(p, data, data + rte_pktmbuf_data_len(m), &w->dp->core);
}

/* STUN from a source the control thread muted (past its answer budget), its time not over. */
static inline bool
muted(const struct dp_worker *w, const struct tp_pkt *p)
{
	const struct dp_muted_cell *c;
	struct tp_muted_key k;
	uint64_t until;
	uint32_t sn;
	bool same;

	tp_muted_key_of(&k, p->src, p->in_fam);
	c = dp_muted_cell(w->dp, &k);
	do {
		sn = rte_seqcount_read_begin(&c->seq);
		same = memcmp(&c->key, &k, sizeof(k)) == 0;
		until = c->until_tsc;
	} while (rte_seqcount_read_retry(&c->seq, sn));
	return same && rte_rdtsc() < until;
}

/* After the lookups: drop, punt, or rewrite in place and queue for TX. */
static void
finish(struct dp_worker *w, struct rte_mbuf *m, struct tp_pkt *p, enum tp_step step)
{
	struct dp *dp = w->dp;
	struct rte_ether_addr nh_mac;
	uint8_t *data;

	if (step != TP_STEP_REWRITE) {
		if (tp_reason_action(p->reason) == TP_ACT_DROP) {
			count(w, p->reason, rte_pktmbuf_pkt_len(m));
			rte_pktmbuf_free(m);
		} else if (p->reason == TP_R_STUN && unlikely(muted(w, p))) {
			w->muted_stun++;
			rte_pktmbuf_free(m);
		} else {
			punt(w, m, p->reason);
		}
		return;
	}

	/* Whatever may still hand the frame on is decided before it changes. */
	if (unlikely(next_hop_mac(w, p, &nh_mac) < 0)) {
		punt(w, m, TP_R_NO_NEXT_HOP);
		return;
	}

	int32_t delta = tp_head_delta(p);

	/* A Data indication may end up to 3 bytes past what came: room for them first. */
	int32_t grow = (int32_t)tp_out_len(p) - (int32_t)rte_pktmbuf_data_len(m) - delta;

	if (unlikely(grow > 0 && rte_pktmbuf_tailroom(m) < (uint16_t)grow)) {
		punt(w, m, TP_R_NO_HEADROOM);
		return;
	}
	if (delta > 0 && unlikely(!rte_pktmbuf_prepend(m, (uint16_t)delta))) {
		punt(w, m, TP_R_NO_HEADROOM);
		return;
	}
	if (delta < 0)
		rte_pktmbuf_adj(m, (uint16_t)-delta);
	/* Padding and Ethernet trailers go: the frame ends with the data (and a Data
	 * indication's padding). */
	if (rte_pktmbuf_data_len(m) > tp_out_len(p))
		rte_pktmbuf_trim(m, (uint16_t)(rte_pktmbuf_data_len(m) - tp_out_len(p)));
	else if (rte_pktmbuf_data_len(m) < tp_out_len(p))
		rte_pktmbuf_append(m, (uint16_t)(tp_out_len(p) - rte_pktmbuf_data_len(m)));

	data = rte_pktmbuf_mtod(m, uint8_t *);
	if (p->out_ind)
		p->ind_seq = (uint32_t)w->bindings[p->hairpin ? p->slot_in : p->slot]
				     .packets[TP_DIR_TO_CLIENT];
	p->reason = tp_rewrite(p, data, data + rte_pktmbuf_data_len(m), dp->mac.addr_bytes,
			       nh_mac.addr_bytes);
	count(w, p->reason, rte_pktmbuf_pkt_len(m));
	if (unlikely(tp_reason_action(p->reason) == TP_ACT_DROP)) {
		rte_pktmbuf_free(m);
		return;
	}
	if (p->reason == TP_R_TO_CLIENT || p->reason == TP_R_DATA_INDICATION) {
		count_binding(w, p->slot, TP_DIR_TO_CLIENT, p->data_len);
	} else {
		count_binding(w, p->slot, TP_DIR_TO_PEER, p->data_len);
		if (p->reason == TP_R_HAIRPIN || p->reason == TP_R_HAIRPIN_DATA)
			count_binding(w, p->slot_in, TP_DIR_TO_CLIENT, p->data_len);
	}
	/* The checksums are complete: no offload flags from the RX side may follow it. */
	m->ol_flags = 0;
	enqueue_tx(w, m);
}

/* The slot of a value the tables point at: its cell's index in the array (dp_tables.c). */
static inline uint32_t
chan_cell_slot(const struct dp *dp, const void *v)
{
	return (uint32_t)((const struct dp_chan_cell *)v - dp->chan_vals);
}

static inline uint32_t
peer_cell_slot(const struct dp *dp, const void *v)
{
	return (uint32_t)((const struct dp_peer_cell *)v - dp->peer_vals);
}

/*
 * The far end of hairpin p without a lookup: the peer cell at slot, if it still holds the
 * entry under p's key, read under its sequence count (see struct dp_peer_cell); its value
 * into *out. False: look the key up.
 */
static inline bool
hairpin_take(const struct dp *dp, const struct tp_pkt *p, uint32_t slot, struct tp_peer_val *out,
	     uint32_t *flow_label)
{
	const struct dp_peer_cell *c = &dp->peer_vals[slot];
	uint32_t sn = rte_seqcount_read_begin(&c->seq);

	if (memcmp(&c->hp_key, &p->pkey, sizeof(c->hp_key)) != 0)
		return false;
	*out = c->v;
	*flow_label = c->flow_label;
	return !rte_seqcount_read_retry(&c->seq, sn);
}

/*
 * One table's lookups for every frame of the burst waiting at step `at`, at once: the keys
 * are hashed here, rte_hash_lookup_with_hash_bulk_data pipelines the bucket and key fetches,
 * and the values are prefetched together before any is read. A channel that makes a hairpin
 * may name its far end's peer cell (far_slot[i], prefetched at once); at the peer step, such
 * frames take that cell if it is still theirs, and only the others are looked up. The
 * permission step looks up what the peer step missed, by the same key.
 */
static inline void
lookup(struct dp_worker *w, const struct rte_hash *h, enum tp_step at, struct tp_pkt *p,
       enum tp_step *step, uint32_t *far_slot, uint16_t n)
{
	const struct dp *dp = w->dp;
	const bool chan = at == TP_STEP_LOOKUP_CHAN;
	const bool send = at == TP_STEP_LOOKUP_SEND;
	const uint32_t seed = chan			  ? dp->chans_seed
			      : send			  ? dp->sends_seed
			      : at == TP_STEP_LOOKUP_PEER ? dp->peers_seed
							  : dp->perms_seed;
	const void *keys[DP_BURST];
	hash_sig_t sigs[DP_BURST];
	void *vals[DP_BURST];
	uint16_t idx[DP_BURST];
	uint64_t hits = 0;
	unsigned k = 0;

	for (uint16_t i = 0; i < n; i++) {
		if (step[i] != at)
			continue;
		if (far_slot[i] && at == TP_STEP_LOOKUP_PEER) {
			struct tp_peer_val far;
			uint32_t label;

			if (hairpin_take(dp, &p[i], far_slot[i], &far, &label)) {
				step[i] = tp_on_peer(&p[i], &dp->core, &far);
				p[i].flow_label = label;
				continue;
			}
		}
		idx[k] = i;
		/* Hashed here, with the key's length known at compile time, rather than by
		 * rte_hash through a function pointer: the same hash (dp_hash.h). */
		if (chan) {
			keys[k] = &p[i].ckey;
			sigs[k++] = dp_key_hash(&p[i].ckey, sizeof(p[i].ckey), seed);
		} else if (send) {
			keys[k] = &p[i].skey;
			sigs[k++] = dp_key_hash(&p[i].skey, sizeof(p[i].skey), seed);
		} else {
			keys[k] = &p[i].pkey;
			sigs[k++] = dp_key_hash(&p[i].pkey, sizeof(p[i].pkey), seed);
		}
	}
	if (!k)
		return;
	rte_hash_lookup_with_hash_bulk_data(h, keys, sigs, k, &hits, vals);
	/* A value's place in its cell array is its slot: the binding's counters are fetched
	 * beside the value, not a round of misses after it. */
	for (unsigned j = 0; j < k; j++) {
		if (!(hits >> j & 1))
			continue;
		rte_prefetch0(vals[j]);
		rte_prefetch0(&w->bindings[chan || send ? chan_cell_slot(dp, vals[j])
							: peer_cell_slot(dp, vals[j])]);
	}
	for (unsigned j = 0; j < k; j++) {
		void *v = hits >> j & 1 ? vals[j] : NULL;
		uint16_t i = idx[j];

		/* The values sit at the start of their cells, with the flow label beside. */
		if (send) {
			step[i] = tp_on_send(&p[i], &dp->core, v);
			if (step[i] == TP_STEP_REWRITE)
				p[i].flow_label = ((const struct dp_chan_cell *)v)->flow_label;
			continue;
		}
		if (!chan) {
			step[i] = at == TP_STEP_LOOKUP_PEER ? tp_on_peer(&p[i], &dp->core, v)
							    : tp_on_perm(&p[i], &dp->core, v);
			if (step[i] == TP_STEP_REWRITE)
				p[i].flow_label = ((const struct dp_peer_cell *)v)->flow_label;
			continue;
		}
		step[i] = tp_on_chan(&p[i], &dp->core, v);
		if (step[i] == TP_STEP_REWRITE)
			p[i].flow_label = ((const struct dp_chan_cell *)v)->flow_label;
		if (step[i] == TP_STEP_LOOKUP_PEER &&
		    (far_slot[i] = __atomic_load_n(&((const struct dp_chan_cell *)v)->far_slot,
						   __ATOMIC_RELAXED))) {
			rte_prefetch0(&dp->peer_vals[far_slot[i]]);
			rte_prefetch0(&w->bindings[far_slot[i]]);
		}
	}
}

/*
 * A burst in stages, as l3fwd does: parse every frame, then the channel lookups of the
 * whole burst, then the Send indications', then the peer lookups (peer data and the second half of
 * hairpins), then the permission lookups (what found no channel), then the rewrites, the
 * bindings' counters fetched beside their values.
 */
void
dp_worker_burst(struct dp_worker *w, struct rte_mbuf **ms, uint16_t n)
{
	struct dp *dp = w->dp;
	struct tp_pkt p[DP_BURST];
	enum tp_step step[DP_BURST];
	uint32_t far_slot[DP_BURST];

	/* A neighbour changed since the last burst: the next hops cached before are stale. The
	 * control thread writes the table before it bumps the generation. */
	w->nh_gen = __atomic_load_n(&dp->neigh_gen, __ATOMIC_ACQUIRE);
	for (uint16_t i = 0; i < n; i++) {
		if (i + 1 < n)
			rte_prefetch0(rte_pktmbuf_mtod(ms[i + 1], void *));
		step[i] = classify(w, &ms[i], &p[i]);
		far_slot[i] = 0;
	}
	lookup(w, dp->chans, TP_STEP_LOOKUP_CHAN, p, step, far_slot, n);
	lookup(w, dp->sends, TP_STEP_LOOKUP_SEND, p, step, far_slot, n);
	/* A Send indication with a flow and a FINGERPRINT: the CRC over its message now, once the
	 * flow is known (classify left the frame's bounds checked). */
	for (uint16_t i = 0; i < n; i++)
		if (unlikely(step[i] == TP_STEP_CHECK_FINGERPRINT))
			step[i] = tp_on_fingerprint(
				&p[i],
				tp_crc32(rte_pktmbuf_mtod(ms[i], uint8_t *) + tp_stun_at(&p[i]),
					 p[i].fp_at));
	lookup(w, dp->peers, TP_STEP_LOOKUP_PEER, p, step, far_slot, n);
	lookup(w, dp->perms, TP_STEP_LOOKUP_PERM, p, step, far_slot, n);
	for (uint16_t i = 0; i < n; i++)
		if (ms[i])
			finish(w, ms[i], &p[i], step[i]);
}

int
dp_worker_main(void *arg)
{
	struct dp_worker *w = arg;
	struct dp *dp = w->dp;
	struct rte_mbuf *pkts[DP_BURST];
	uint64_t drain_tsc = rte_get_tsc_hz() / 1000000 * DP_DRAIN_US;

	rte_rcu_qsbr_thread_register(dp->qsbr, w->index);
	rte_rcu_qsbr_thread_online(dp->qsbr, w->index);
	w->drain_at = rte_rdtsc() + drain_tsc;

	while (!dp->quit) {
		uint16_t rx = rte_eth_rx_burst(dp->port, (uint16_t)w->index, pkts, DP_BURST);

		if (rx)
			dp_worker_burst(w, pkts, rx);
		if (w->punted) {
			w->punted = false;
			wake_control(dp);
		}
		/* The first worker also carries what the control thread sends. */
		if (w->index == 0) {
			uint16_t n = rte_ring_dequeue_burst(dp->ctl_tx, (void **)pkts,
							    DP_BURST - w->ntx, NULL);

			for (uint16_t i = 0; i < n; i++)
				enqueue_tx(w, pkts[i]);
		}
		/* Buffered frames leave at the deadline, or at once when nothing came in: with
		 * no burst to fill, waiting only delays them (signalling answers above all). */
		if (w->ntx && (!rx || rte_rdtsc() >= w->drain_at))
			dp_worker_send(w);
		if (!w->ntx)
			w->drain_at = rte_rdtsc() + drain_tsc;
		rte_rcu_qsbr_quiescent(dp->qsbr, w->index);
	}
	if (w->ntx)
		dp_worker_send(w);
	rte_rcu_qsbr_thread_offline(dp->qsbr, w->index);
	rte_rcu_qsbr_thread_unregister(dp->qsbr, w->index);
	return 0;
}
