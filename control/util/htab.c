/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intrusive chained hash table (see htab.h).
 */
#include "htab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "crypto.h"

#define HTAB_MIN_BUCKETS 64

static inline const void *
node_key(const struct tp_htab *h, const struct tp_hnode *n)
{
	return (const char *)n + h->key_off;
}

static inline uint64_t
hash_key(const struct tp_htab *h, const void *key)
{
	return XXH3_64bits_withSeed(key, h->key_len, h->seed);
}

int
tp_htab_init(struct tp_htab *h, ptrdiff_t key_off, size_t key_len)
{
	h->buckets = calloc(HTAB_MIN_BUCKETS, sizeof(*h->buckets));
	if (!h->buckets)
		return -ENOMEM;
	h->mask = HTAB_MIN_BUCKETS - 1;
	h->count = 0;
	h->key_off = key_off;
	h->key_len = key_len;
	tp_random(&h->seed, sizeof(h->seed));
	return 0;
}

void
tp_htab_fini(struct tp_htab *h)
{
	free(h->buckets);
	h->buckets = NULL;
}

struct tp_hnode *
tp_htab_find(const struct tp_htab *h, const void *key)
{
	uint64_t hash = hash_key(h, key);

	for (struct tp_hnode *n = h->buckets[hash & h->mask]; n; n = n->next)
		if (n->hash == hash && memcmp(node_key(h, n), key, h->key_len) == 0)
			return n;
	return NULL;
}

static void
grow(struct tp_htab *h)
{
	size_t nb = (h->mask + 1) * 2;
	struct tp_hnode **b = calloc(nb, sizeof(*b));

	if (!b)
		return;
	for (size_t i = 0; i <= h->mask; i++) {
		struct tp_hnode *n = h->buckets[i], *next;

		for (; n; n = next) {
			next = n->next;
			n->next = b[n->hash & (nb - 1)];
			b[n->hash & (nb - 1)] = n;
		}
	}
	free(h->buckets);
	h->buckets = b;
	h->mask = nb - 1;
}

void
tp_htab_insert(struct tp_htab *h, struct tp_hnode *n)
{
	if (h->count > h->mask)
		grow(h);
	n->hash = hash_key(h, node_key(h, n));
	n->next = h->buckets[n->hash & h->mask];
	h->buckets[n->hash & h->mask] = n;
	h->count++;
}

void
tp_htab_remove(struct tp_htab *h, struct tp_hnode *n)
{
	for (struct tp_hnode **pp = &h->buckets[n->hash & h->mask]; *pp; pp = &(*pp)->next) {
		if (*pp == n) {
			*pp = n->next;
			n->next = NULL;
			h->count--;
			return;
		}
	}
}
