/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intrusive chained hash table for the control plane's tables (allocations by client, ports,
 * permissions, channels). Keys are fixed-size, padding-free structs embedded in the entry and
 * compared as bytes; the hash is XXH3 with a random seed per table, so clients who choose
 * their addresses and ports cannot aim for one bucket. Inserting never fails: when growing
 * the bucket array fails, chains just get longer.
 */
#ifndef TP_HTAB_H
#define TP_HTAB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tp_hnode {
	struct tp_hnode *next;
	uint64_t hash;
};

struct tp_htab {
	struct tp_hnode **buckets;
	size_t mask;
	size_t count;
	ptrdiff_t key_off; /* from the node to the key */
	size_t key_len;
	uint64_t seed;
};

/* Entry type E embeds node member N and key member K. */
#define TP_HTAB_INIT(h, E, N, K)                                                 \
	tp_htab_init((h), (ptrdiff_t)offsetof(E, K) - (ptrdiff_t)offsetof(E, N), \
		     sizeof(((E *)0)->K))

int tp_htab_init(struct tp_htab *h, ptrdiff_t key_off, size_t key_len);
void tp_htab_fini(struct tp_htab *h);
struct tp_hnode *tp_htab_find(const struct tp_htab *h, const void *key);
void tp_htab_insert(struct tp_htab *h, struct tp_hnode *n);
void tp_htab_remove(struct tp_htab *h, struct tp_hnode *n);

#ifdef __cplusplus
}
#endif

#endif
