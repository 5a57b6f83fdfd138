/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK dataplane's tables: channel and peer bindings (dataplane/core's keys and values)
 * and neighbours, as rte_hash with lock-free read/write concurrency. The control thread is
 * the only writer; workers read without locks and report quiescent states to the RCU QSBR
 * variable the tables are attached to, so a deleted entry's value is freed only when no
 * worker can still hold it. Neighbours need no freeing: a MAC fits in the data pointer.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <xxhash.h>

#include "dp.h"
#include "log.h"

static void
free_value(void *p, void *value)
{
	(void)p;
	free(value);
}

/* XXH3: fast on 20-24 byte keys and safe on any alignment (the keys are 2-byte aligned;
 * rte_hash_crc reads them 8 bytes at a time). */
static uint32_t
hash_key(const void *key, uint32_t len, uint32_t seed)
{
	return (uint32_t)XXH3_64bits_withSeed(key, len, seed);
}

static struct rte_hash *
table(struct dp *dp, const char *name, uint32_t entries, uint32_t key_len, bool values)
{
	char full[RTE_HASH_NAMESIZE];
	struct rte_hash_parameters params = {
		.name = full,
		.entries = entries,
		.key_len = key_len,
		.hash_func = hash_key,
		.socket_id = (int)rte_socket_id(),
		.extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF,
	};
	struct rte_hash_rcu_config rcu = {
		.v = dp->qsbr,
		.mode = RTE_HASH_QSBR_MODE_DQ,
		.free_key_data_func = values ? free_value : NULL,
	};
	struct rte_hash *h;

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
	dp->chans = table(dp, "chans", dp->max_bindings, sizeof(struct tp_chan_key), true);
	dp->peers = table(dp, "peers", dp->max_bindings, sizeof(struct tp_peer_key), true);
	/* Two next hops per binding at most, and rarely more than a handful in practice. */
	dp->neigh = table(dp, "neigh", 65536, 16, false);
	if (!dp->chans || !dp->peers || !dp->neigh)
		return -1;

	dp->free_slots = calloc(dp->max_bindings, sizeof(*dp->free_slots));
	if (!dp->free_slots) {
		TP_ERR("dpdk: out of memory for %u bindings (dpdk.max-bindings)", dp->max_bindings);
		return -1;
	}
	for (uint32_t i = 0; i < dp->max_bindings; i++)
		dp->free_slots[dp->nfree++] = dp->max_bindings - i;
	return 0;
}

/* Every value still in a table, freed: only once the workers have stopped. */
static void
drain_values(struct rte_hash *h)
{
	const void *key;
	void *value;
	uint32_t next = 0;

	while (h && rte_hash_iterate(h, &key, &value, &next) >= 0)
		free(value);
}

void
dp_tables_destroy(struct dp *dp)
{
	drain_values(dp->chans);
	drain_values(dp->peers);
	rte_hash_free(dp->chans);
	rte_hash_free(dp->peers);
	rte_hash_free(dp->neigh);
	rte_free(dp->qsbr);
	free(dp->free_slots);
	dp->chans = dp->peers = dp->neigh = NULL;
	dp->qsbr = NULL;
	dp->free_slots = NULL;
}

static void *
copy_of(const void *v, size_t len)
{
	void *p = malloc(len);

	if (p)
		memcpy(p, v, len);
	return p;
}

int
dp_table_put(struct dp *dp, const struct tp_chan_key *ck, const struct tp_chan_val *cv,
	     const struct tp_peer_key *pk, const struct tp_peer_val *pv)
{
	void *c = copy_of(cv, sizeof(*cv)), *p = copy_of(pv, sizeof(*pv)), *old = NULL;
	int ret;

	if (!c || !p) {
		free(c);
		free(p);
		return -ENOMEM;
	}
	/* A key already present would leak its value on overwrite: take it out first. */
	if (rte_hash_lookup_data(dp->chans, ck, &old) >= 0 ||
	    rte_hash_lookup_data(dp->peers, pk, &old) >= 0)
		dp_table_remove(dp, ck, pk);
	if ((ret = rte_hash_add_key_data(dp->chans, ck, c)) < 0) {
		free(c);
		free(p);
		return ret;
	}
	if ((ret = rte_hash_add_key_data(dp->peers, pk, p)) < 0) {
		rte_hash_del_key(dp->chans, ck);
		free(p);
		return ret;
	}
	return 0;
}

void
dp_table_remove(struct dp *dp, const struct tp_chan_key *ck, const struct tp_peer_key *pk)
{
	/* The value goes to the RCU defer queue with its key, freed after a grace period. */
	rte_hash_del_key(dp->chans, ck);
	rte_hash_del_key(dp->peers, pk);
}

int
dp_neigh_set(struct dp *dp, const uint8_t ip16[16], const struct rte_ether_addr *mac)
{
	uintptr_t v = 0;

	memcpy(&v, mac->addr_bytes, RTE_ETHER_ADDR_LEN);
	/* Lock-free mode replaces the data of an existing key atomically. */
	return rte_hash_add_key_data(dp->neigh, ip16, (void *)v);
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

/* Fast-path ops: DPDK owns the port, so relayed addresses need nothing but the engine's word.
 */

static int
dp_relay_open(void *ctx, const struct tp_addr *relay)
{
	(void)ctx, (void)relay;
	return 0;
}

static void
dp_relay_close(void *ctx, const struct tp_addr *relay)
{
	(void)ctx, (void)relay;
}

static int
dp_chan_add(void *ctx, const struct tp_fp_channel *c)
{
	struct dp *dp = ctx;
	struct tp_chan_key ck;
	struct tp_chan_val cv;
	struct tp_peer_key pk;
	struct tp_peer_val pv;
	uint32_t slot;
	int ret;

	if (!dp->nfree)
		return -ENOSPC;
	tp_fp_channel_entries(c, &ck, &cv, &pk, &pv);
	slot = dp->free_slots[--dp->nfree];
	cv.counter = pv.counter = slot;
	/* A slot starts from zero on every worker; the workers only ever add to it. */
	for (unsigned w = 0; w < dp->nworkers; w++)
		memset(&dp->workers[w]->bindings[slot], 0, sizeof(struct dp_binding_stat));
	if ((ret = dp_table_put(dp, &ck, &cv, &pk, &pv)) < 0)
		dp->free_slots[dp->nfree++] = slot;
	return ret;
}

static void
dp_chan_del(void *ctx, const struct tp_fp_channel *c)
{
	struct dp *dp = ctx;
	struct tp_chan_key ck;
	struct tp_chan_val cv;
	struct tp_peer_key pk;
	struct tp_peer_val pv;
	void *v;

	tp_fp_channel_entries(c, &ck, &cv, &pk, &pv);
	if (rte_hash_lookup_data(dp->chans, &ck, &v) >= 0) {
		uint32_t slot = ((const struct tp_chan_val *)v)->counter;
		struct dp_binding_stat sum = { 0 };

		for (unsigned w = 0; w < dp->nworkers; w++) {
			for (int d = 0; d < 2; d++) {
				sum.packets[d] += dp->workers[w]->bindings[slot].packets[d];
				sum.bytes[d] += dp->workers[w]->bindings[slot].bytes[d];
			}
		}
		TP_DEBUG("channel 0x%04x of binding %u leaves the DPDK tables: %llu packets "
			 "(%llu bytes) to the peer, %llu (%llu) to the client",
			 c->channel, c->id, (unsigned long long)sum.packets[TP_DIR_TO_PEER],
			 (unsigned long long)sum.bytes[TP_DIR_TO_PEER],
			 (unsigned long long)sum.packets[TP_DIR_TO_CLIENT],
			 (unsigned long long)sum.bytes[TP_DIR_TO_CLIENT]);
		dp->free_slots[dp->nfree++] = slot;
	}
	dp_table_remove(dp, &ck, &pk);
}

const struct tp_fastpath_ops dp_ops = {
	.name = "dpdk",
	.relay_open = dp_relay_open,
	.relay_close = dp_relay_close,
	.chan_add = dp_chan_add,
	.chan_del = dp_chan_del,
};
