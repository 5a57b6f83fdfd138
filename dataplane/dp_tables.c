/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK dataplane's tables: channel and peer bindings (dataplane/core's keys and values),
 * permissions' flows (the send table, by client and peer transport address, and the
 * permission table: the peer table's key and value, channel 0) and neighbours, as rte_hash with
 * lock-free read/write concurrency. The control thread is the only writer; workers read without
 * locks and report quiescent states to the RCU QSBR variable the tables are attached to.
 *
 * A binding's two values live in arrays indexed by its slot (the same index as its counters),
 * in hugepage memory beside the tables, and the keys point at them: no allocation per
 * binding, no page walks on the way; each in a cell of its own cache line or half-line (see
 * struct dp_chan_cell), where a hairpin's channel also keeps its far end's slot. A deleted
 * binding's slot goes into an RCU defer queue after both its entries left the tables, and back to
 * the free list once every worker has reported a quiescent state since: by then none holds either
 * value or adds to the slot's counters. Neighbours need no values: a MAC fits in the data pointer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_errno.h>
#include <rte_pause.h>
#include <rte_malloc.h>
#include "crypto.h"
#include "dp.h"
#include "dp_hash.h"
#include "log.h"

#define SLOT_WAIT_MS 10 /* at most, for a grace period, when every slot is deferred */

/* The defer queue's word that no worker can hold these slots' values any more. */
static void
reuse_slots(void *p, void *e, unsigned int n)
{
	struct dp *dp = p;
	const uint32_t *slots = e;

	for (unsigned int i = 0; i < n; i++)
		tp_slots_reuse(&dp->slots, slots[i]);
}

/*
 * Retired slots whose grace period has passed, back to the free list. Workers report a
 * quiescent state every loop, so a grace period takes microseconds unless one is starved of
 * its core; this waits up to wait_ms for a free slot (for every retired one when `all`).
 * Returns the free slots.
 */
uint32_t
dp_slots_reclaim(struct dp *dp, unsigned wait_ms, bool all)
{
	uint64_t end = rte_get_timer_cycles() + rte_get_timer_hz() * wait_ms / 1000;
	unsigned int pending = 0;

	for (;;) {
		rte_rcu_qsbr_dq_reclaim(dp->slot_dq, UINT32_MAX, NULL, &pending, NULL);
		if (!pending || (!all && dp->slots.nfree) || rte_get_timer_cycles() >= end)
			return dp->slots.nfree;
		rte_pause();
	}
}

/*
 * Equality of two binding keys (17 to 24 bytes): three 8-byte words, the last one ending at
 * the key's end (it overlaps the second for a 20-byte key), compared without branches.
 * rte_hash has vector compares for 16, 32, 48... bytes only, and calls memcmp for the rest.
 */
int
dp_keys_differ(const void *a, const void *b, size_t len)
{
	const uint8_t *x = a, *y = b;
	uint64_t x0, x1, x2, y0, y1, y2;

	memcpy(&x0, x, 8);
	memcpy(&y0, y, 8);
	memcpy(&x1, x + 8, 8);
	memcpy(&y1, y + 8, 8);
	memcpy(&x2, x + len - 8, 8);
	memcpy(&y2, y + len - 8, 8);
	return ((x0 ^ y0) | (x1 ^ y1) | (x2 ^ y2)) != 0;
}

/* A table for entries keys of key_len bytes; the seed drawn for its hash goes to *seed. */
static struct rte_hash *
table(struct dp *dp, const char *name, uint32_t entries, uint32_t key_len, uint32_t *seed)
{
	char full[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters params = {
		.name = full,
		.entries = entries,
		.key_len = key_len,
		.hash_func = dp_key_hash,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rcu = {
		.v = dp->qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
	};
	struct rte_hash *h;

	tp_random(seed, sizeof(*seed));
	params.hash_func_init_val = *seed;
	/* Hash names are global to the DPDK process: one set of tables per dp. */
	snprintf(full, sizeof(full), "tp_%s_%p", name, (void *)dp);
	if (!(h = rte_hash_create(&params))) {
		TP_ERR("dpdk: cannot create the %s table (%u entries): %s", name, entries,
		       rte_strerror(rte_errno));
		return NULL;
	}
	if (rte_hash_rcu_qsbr_add(h, &rcu) != 0) {
		TP_ERR("dpdk: cannot attach RCU to the %s table: %s", name,
		       rte_strerror(rte_errno));
		rte_hash_free(h);
		return NULL;
	}
	if (key_len > 16 && key_len <= 24)
		rte_hash_set_cmp_func(h, dp_keys_differ);
	return h;
}

int
dp_tables_create(struct dp *dp)
{
	size_t sz = rte_rcu_qsbr_get_memsize(dp->nworkers);

	dp->qsbr = rte_zmalloc("tp_qsbr", sz, RTE_CACHE_LINE_SIZE);
	if (!dp->qsbr || rte_rcu_qsbr_init(dp->qsbr, dp->nworkers) != 0) {
		TP_ERR("dpdk: cannot set up RCU for %u workers", dp->nworkers);
		return -1;
	}
	dp->chan_vals = rte_zmalloc("tp_chan_vals", sizeof(*dp->chan_vals) * (dp->max_bindings + 1),
				    RTE_CACHE_LINE_SIZE);
	dp->peer_vals = rte_zmalloc("tp_peer_vals", sizeof(*dp->peer_vals) * (dp->max_bindings + 1),
				    RTE_CACHE_LINE_SIZE);
	dp->muted = rte_zmalloc("tp_muted", sizeof(*dp->muted) * DP_MUTED, RTE_CACHE_LINE_SIZE);
	if (!dp->chan_vals || !dp->peer_vals || !dp->muted ||
	    tp_slots_init(&dp->slots, dp->max_bindings) < 0) {
		TP_ERR("dpdk: out of memory for %u bindings (dpdk.max-bindings)", dp->max_bindings);
		return -1;
	}

	char name[RTE_RCU_QSBR_DQ_NAMESIZE];
	struct rte_rcu_qsbr_dq_parameters dq = {
		.name = name,
		.flags = RTE_RCU_QSBR_DQ_MT_UNSAFE, /* the control thread alone */
		.size = dp->max_bindings,
		.esize = sizeof(uint32_t),
		.trigger_reclaim_limit = 32,
		.max_reclaim_size = 256,
		.free_fn = reuse_slots,
		.p = dp,
		.v = dp->qsbr,
	};
	snprintf(name, sizeof(name), "tps_%p", (void *)dp);
	if (!(dp->slot_dq = rte_rcu_qsbr_dq_create(&dq))) {
		TP_ERR("dpdk: cannot make the slots' defer queue: %s", rte_strerror(rte_errno));
		return -1;
	}

	/* Room beyond max-bindings for deleted keys whose grace period is still running (the
	 * tables reclaim them when full); max-bindings itself is enforced by the slots. */
	uint32_t room = dp->max_bindings + RTE_MAX(dp->max_bindings / 8, 1024u);
	uint32_t neigh_seed; /* the workers look next hops up by key: rte_hash hashes them */

	dp->chans = table(dp, "chans", room, sizeof(struct tp_chan_key), &dp->chans_seed);
	dp->peers = table(dp, "peers", room, sizeof(struct tp_peer_key), &dp->peers_seed);
	dp->sends = table(dp, "sends", room, sizeof(struct tp_send_key), &dp->sends_seed);
	dp->perms = table(dp, "perms", room, sizeof(struct tp_peer_key), &dp->perms_seed);
	/* Two next hops per binding at most, and rarely more than a handful in practice. */
	dp->neigh = table(dp, "neigh", 65536, 16, &neigh_seed);
	dp->neigh_gen = 1;
	return dp->chans && dp->peers && dp->sends && dp->perms && dp->neigh ? 0 : -1;
}

void
dp_tables_destroy(struct dp *dp)
{
	/* Workers have stopped: every deferred slot and entry can go. */
	if (dp->slot_dq)
		rte_rcu_qsbr_dq_delete(dp->slot_dq);
	rte_hash_free(dp->chans);
	rte_hash_free(dp->peers);
	rte_hash_free(dp->sends);
	rte_hash_free(dp->perms);
	rte_hash_free(dp->neigh);
	rte_free(dp->qsbr);
	rte_free(dp->chan_vals);
	rte_free(dp->peer_vals);
	rte_free(dp->muted);
	tp_slots_fini(&dp->slots);
	dp->chans = dp->peers = dp->sends = dp->perms = dp->neigh = NULL;
	dp->slot_dq = NULL;
	dp->qsbr = NULL;
	dp->chan_vals = NULL;
	dp->peer_vals = NULL;
	dp->muted = NULL;
}

/* The cell of muted-source key k. */
struct dp_muted_cell *
dp_muted_cell(const struct dp *dp, const struct tp_muted_key *k)
{
	uint32_t h = dp_key_hash(k, sizeof(*k), dp->chans_seed);

	return &dp->muted[h & (DP_MUTED - 1)];
}

void
dp_mute(struct dp *dp, const struct tp_muted_key *k, uint64_t until_tsc)
{
	struct dp_muted_cell *c = dp_muted_cell(dp, k);

	rte_seqcount_write_begin(&c->seq);
	c->key = *k;
	c->until_tsc = until_tsc;
	rte_seqcount_write_end(&c->seq);
}

/* Is k a key that tp_hairpin_key() makes (from one of the relay's public addresses)? */
static bool
is_hairpin_key(const struct dp *dp, const struct tp_peer_key *k)
{
	return tp_relay_index(&dp->core, k->family, k->peer_ip, TP_RELAY_PUBLIC) >= 0;
}

/* A peer cell rewritten under its sequence count: value v under key k, or (v NULL) its key
 * no longer any hairpin's; a permission's flow (perm) is never a hairpin's far end. */
static void
peer_cell_write(struct dp *dp, uint32_t slot, const struct tp_peer_key *k,
		const struct tp_peer_val *v, bool perm)
{
	struct dp_peer_cell *c = &dp->peer_vals[slot];

	rte_seqcount_write_begin(&c->seq);
	if (v) {
		c->v = *v;
		/* What tp_on_peer() and tp_on_perm() send: ChannelData or a Data indication
		 * from the listen address and port. */
		c->flow_label = tp_to_client_label(&dp->core, v);
	}
	c->hp_key = *k;
	if (!v || perm || !is_hairpin_key(dp, k))
		c->hp_key.family = 0;
	rte_seqcount_write_end(&c->seq);
}

/*
 * Peer entry k (at slot) has come: the channels whose hairpins it completes learn its slot.
 * They are found through their own bindings' peer entries (the engine writes both entries of
 * a binding, at one slot), whose key is the hairpin's reversed, from the public or the bind
 * address. A channel entry written alone is not found: its hairpins are looked up.
 */
static void
hairpins_to(struct dp *dp, const struct tp_peer_key *k, uint32_t slot)
{
	struct tp_peer_key rev, want;
	void *v;

	for (int pub = 1; pub >= 0; pub--) {
		/* It sent to the receiving allocation's address, public or bind. */
		if (!tp_hairpin_back(&rev, &dp->core, k, pub))
			return;
		if (rte_hash_lookup_data(dp->peers, &rev, &v) < 0)
			continue;

		struct dp_chan_cell *c = &dp->chan_vals[((const struct tp_peer_val *)v)->slot];

		if (tp_hairpin_key(&want, &dp->core, &c->v) && memcmp(&want, k, sizeof(want)) == 0)
			__atomic_store_n(&c->far_slot, slot, __ATOMIC_RELEASE);
	}
}

/* A value into its slot's place in the array, and its key pointing there. */
/* Value v (a channel's, or a permission flow's send entry) into its slot's channel cell: the
 * cell, or NULL for a slot out of range. */
static struct dp_chan_cell *
chan_cell_write(struct dp *dp, const struct tp_chan_val *v)
{
	struct dp_chan_cell *c;
	struct tp_peer_key hk;
	void *far;

	if (v->slot == 0 || v->slot > dp->max_bindings)
		return NULL;
	c = &dp->chan_vals[v->slot];
	c->v = *v;
	/* What tp_to_peer() sends to IPv6 (tp_to_peer_label()), or a hairpin's far slot. */
	c->flow_label = tp_to_peer_label(&dp->core, v);
	if (tp_hairpin_key(&hk, &dp->core, v) && rte_hash_lookup_data(dp->peers, &hk, &far) >= 0)
		c->far_slot = ((const struct tp_peer_val *)far)->slot;
	return c;
}

int
dp_table_put_chan(struct dp *dp, const struct tp_chan_key *k, const struct tp_chan_val *v)
{
	struct dp_chan_cell *c = chan_cell_write(dp, v);

	return c ? rte_hash_add_key_data(dp->chans, k, &c->v) : -EINVAL;
}

int
dp_table_put_peer(struct dp *dp, const struct tp_peer_key *k, const struct tp_peer_val *v)
{
	void *old;
	int ret;

	if (v->slot == 0 || v->slot > dp->max_bindings)
		return -EINVAL;
	/* A value replaced under its key: the old cell is no hairpin's far slot any more. */
	if (rte_hash_lookup_data(dp->peers, k, &old) >= 0 &&
	    ((const struct tp_peer_val *)old)->slot != v->slot)
		peer_cell_write(dp, ((const struct tp_peer_val *)old)->slot, k, NULL, false);
	peer_cell_write(dp, v->slot, k, v, false);
	ret = rte_hash_add_key_data(dp->peers, k, &dp->peer_vals[v->slot].v);
	if (ret >= 0 && is_hairpin_key(dp, k))
		hairpins_to(dp, k, v->slot);
	return ret;
}

/*
 * Entries ck and pk out of the tables, pk's value at slot pslot (0: none there): its cell
 * first, so that no hairpin takes it as its far slot any more. The keys go into the tables' RCU
 * defer queues: their key slots are reused after a grace period.
 */
static void
unlink_entries(struct dp *dp, const struct tp_chan_key *ck, const struct tp_peer_key *pk,
	       uint32_t pslot)
{
	if (pslot)
		peer_cell_write(dp, pslot, pk, NULL, false);
	rte_hash_del_key(dp->chans, ck);
	rte_hash_del_key(dp->peers, pk);
}

/* A binding's two slots (0: none) into the defer queue, once its entries have left the tables:
 * they come back only when no worker can hold either value. */
static void
defer_slots(struct dp *dp, uint32_t slots[2])
{
	for (int i = 0; i < 2; i++)
		if (tp_slots_release(&dp->slots, slots[i]))
			rte_rcu_qsbr_dq_enqueue(dp->slot_dq, &slots[i]);
}

/* A fresh slot for a binding, zero on every worker (the workers only ever add to it):
 * 0 when every slot is held or still deferred. */
static uint32_t
take_slot(struct dp *dp)
{
	uint32_t slot;
	bool fresh;

	if (!dp->slots.nfree && !dp_slots_reclaim(dp, SLOT_WAIT_MS, false))
		return 0;
	slot = tp_slots_take(&dp->slots, &fresh);
	for (unsigned w = 0; w < dp->nworkers; w++)
		memset(&dp->workers[w]->bindings[slot], 0, sizeof(struct tp_binding_stat));
	return slot;
}

/*
 * A binding's entries out of the tables; the slot taken for it, if any, into the defer queue
 * after them, so that it comes back only when no worker can hold either value.
 */
static void
retire(struct dp *dp, const struct tp_chan_key *ck, const struct tp_peer_key *pk)
{
	uint32_t slots[2] = { 0, 0 };
	void *v;

	if (rte_hash_lookup_data(dp->chans, ck, &v) >= 0)
		slots[0] = ((const struct tp_chan_val *)v)->slot;
	if (rte_hash_lookup_data(dp->peers, pk, &v) >= 0)
		slots[1] = ((const struct tp_peer_val *)v)->slot;
	unlink_entries(dp, ck, pk, slots[1]);
	defer_slots(dp, slots);
}

int
dp_table_put(struct dp *dp, const struct tp_chan_key *ck, const struct tp_chan_val *cv,
	     const struct tp_peer_key *pk, const struct tp_peer_val *pv)
{
	int ret;

	/* A key already present belongs to another slot: retire it first. */
	retire(dp, ck, pk);
	if ((ret = dp_table_put_chan(dp, ck, cv)) < 0)
		return ret;
	if ((ret = dp_table_put_peer(dp, pk, pv)) < 0) {
		rte_hash_del_key(dp->chans, ck);
		return ret;
	}
	return 0;
}

void
dp_table_remove(struct dp *dp, const struct tp_chan_key *ck, const struct tp_peer_key *pk)
{
	void *v;

	unlink_entries(dp, ck, pk,
		       rte_hash_lookup_data(dp->peers, pk, &v) >= 0
			       ? ((const struct tp_peer_val *)v)->slot
			       : 0);
}

int
dp_neigh_set(struct dp *dp, const uint8_t ip16[16], const struct rte_ether_addr *mac)
{
	uintptr_t v = 0;
	void *old;
	int ret;

	memcpy(&v, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	if (rte_hash_lookup_data(dp->neigh, ip16, &old) >= 0 && old == (void *)v)
		return 0; /* refreshed, unchanged: the workers' caches still hold */
	/* Lock-free mode replaces the data of an existing key atomically. */
	ret = rte_hash_add_key_data(dp->neigh, ip16, (void *)v);
	__atomic_fetch_add(&dp->neigh_gen, 1, __ATOMIC_RELEASE);
	return ret;
}

int
dp_neigh_get(const struct dp *dp, const uint8_t ip16[16], struct rte_ether_addr *mac)
{
	void *v;

	if (rte_hash_lookup_data(dp->neigh, ip16, &v) < 0)
		return -ENOENT;
	memcpy(mac->addr_bytes, &v, RTE_ETHER_ADDR_LEN);
	return 0;
}

/* The dataplane's table ops (tp_dpdk_dataplane, dp_main.c) ---------------------------------- */

int
dp_chan_add(struct dp *dp, const struct tp_binding *c)
{
	struct tp_chan_key ck;
	struct tp_chan_val cv;
	struct tp_peer_key pk;
	struct tp_peer_val pv;
	uint32_t slot;
	int ret;

	if (!(slot = take_slot(dp)))
		return -ENOSPC;
	tp_dataplane_entries(c, &ck, &cv, &pk, &pv);
	cv.slot = pv.slot = slot;
	if ((ret = dp_table_put(dp, &ck, &cv, &pk, &pv)) < 0) {
		tp_slots_put(&dp->slots, slot);
	}
	return ret;
}

/* Channel c's counters, summed over the workers, found by the slot its entry names. */
int
dp_chan_counts(struct dp *dp, const struct tp_binding *c, struct tp_binding_stat *sum)
{
	struct tp_chan_key ck;
	struct tp_chan_val cv;
	struct tp_peer_key pk;
	struct tp_peer_val pv;
	uint32_t slot;
	void *v;

	memset(sum, 0, sizeof(*sum));
	tp_dataplane_entries(c, &ck, &cv, &pk, &pv);
	if (rte_hash_lookup_data(dp->chans, &ck, &v) < 0)
		return -ENOENT;
	slot = ((const struct tp_chan_val *)v)->slot;
	dp_slot_counts(dp, slot, sum);
	return 0;
}

void
dp_slot_counts(const struct dp *dp, uint32_t slot, struct tp_binding_stat *sum)
{
	memset(sum, 0, sizeof(*sum));
	for (unsigned w = 0; w < dp->nworkers; w++) {
		for (int d = 0; d < 2; d++) {
			sum->packets[d] += dp->workers[w]->bindings[slot].packets[d];
			sum->bytes[d] += dp->workers[w]->bindings[slot].bytes[d];
		}
	}
}

void
dp_chan_del(struct dp *dp, const struct tp_binding *c)
{
	struct tp_chan_key ck;
	struct tp_chan_val cv;
	struct tp_peer_key pk;
	struct tp_peer_val pv;
	struct tp_binding_stat sum;

	tp_dataplane_entries(c, &ck, &cv, &pk, &pv);
	/* The engine has read the counts already (chan_counts): summed again only for the
	 * debug log. */
	if (tp_log_level >= TP_LOG_DEBUG && dp_chan_counts(dp, c, &sum) == 0) {
		TP_DEBUG("channel 0x%04x of binding %u leaves the DPDK tables: %llu packets "
			 "(%llu bytes) to the peer, %llu (%llu) to the client",
			 c->channel, c->id, (unsigned long long)sum.packets[TP_DIR_TO_PEER],
			 (unsigned long long)sum.bytes[TP_DIR_TO_PEER],
			 (unsigned long long)sum.packets[TP_DIR_TO_CLIENT],
			 (unsigned long long)sum.bytes[TP_DIR_TO_CLIENT]);
	}
	retire(dp, &ck, &pk);
}

/* Permissions' flows: the permission table ---------------------------------------------------- */

int
dp_table_put_send(struct dp *dp, const struct tp_send_key *k, const struct tp_chan_val *v)
{
	struct dp_chan_cell *c = chan_cell_write(dp, v);

	return c ? rte_hash_add_key_data(dp->sends, k, &c->v) : -EINVAL;
}

int
dp_table_put_perm(struct dp *dp, const struct tp_peer_key *k, const struct tp_peer_val *v)
{
	if (v->slot == 0 || v->slot > dp->max_bindings)
		return -EINVAL;
	peer_cell_write(dp, v->slot, k, v, true);
	return rte_hash_add_key_data(dp->perms, k, &dp->peer_vals[v->slot].v);
}

/* A permission flow's entries (send key sk, permission key pk) out of the tables, their
 * slots (if any) into the defer queue after them. */
static void
retire_perm(struct dp *dp, const struct tp_send_key *sk, const struct tp_peer_key *pk)
{
	uint32_t slots[2] = { 0, 0 };
	void *v;

	if (rte_hash_lookup_data(dp->sends, sk, &v) >= 0)
		slots[0] = ((const struct tp_chan_val *)v)->slot;
	if (rte_hash_lookup_data(dp->perms, pk, &v) >= 0)
		slots[1] = ((const struct tp_peer_val *)v)->slot;
	rte_hash_del_key(dp->sends, sk);
	rte_hash_del_key(dp->perms, pk);
	defer_slots(dp, slots);
}

int
dp_perm_add(struct dp *dp, const struct tp_binding *b)
{
	struct tp_chan_key ck;
	struct tp_chan_val cv;
	struct tp_peer_key pk;
	struct tp_peer_val pv;
	struct tp_send_key sk;
	uint32_t slot;
	int ret;

	if (!(slot = take_slot(dp)))
		return -ENOSPC;
	tp_dataplane_entries(b, &ck, &cv, &pk, &pv);
	tp_dataplane_send_key(b, &sk);
	retire_perm(dp, &sk, &pk); /* a key already present belongs to another slot */
	cv.slot = pv.slot = slot;
	if ((ret = dp_table_put_send(dp, &sk, &cv)) < 0)
		goto fail;
	if ((ret = dp_table_put_perm(dp, &pk, &pv)) < 0) {
		rte_hash_del_key(dp->sends, &sk);
		goto fail;
	}
	return 0;
fail:
	tp_slots_put(&dp->slots, pv.slot);
	return ret;
}

int
dp_perm_counts(struct dp *dp, const struct tp_binding *b, struct tp_binding_stat *sum)
{
	struct tp_chan_key ck;
	struct tp_chan_val cv;
	struct tp_peer_key pk;
	struct tp_peer_val pv;
	void *v;

	memset(sum, 0, sizeof(*sum));
	tp_dataplane_entries(b, &ck, &cv, &pk, &pv);
	if (rte_hash_lookup_data(dp->perms, &pk, &v) < 0)
		return -ENOENT;
	dp_slot_counts(dp, ((const struct tp_peer_val *)v)->slot, sum);
	return 0;
}

void
dp_perm_del(struct dp *dp, const struct tp_binding *b)
{
	struct tp_chan_key ck;
	struct tp_chan_val cv;
	struct tp_peer_key pk;
	struct tp_peer_val pv;
	struct tp_send_key sk;

	tp_dataplane_entries(b, &ck, &cv, &pk, &pv);
	tp_dataplane_send_key(b, &sk);
	retire_perm(dp, &sk, &pk);
}
