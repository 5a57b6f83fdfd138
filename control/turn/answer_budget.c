/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source byte budgets for unauthenticated answers (see answer_budget.h).
 */
#include "answer_budget.h"

#include <stdlib.h>
#include <string.h>

#include <xxhash.h>

#include "crypto.h"

#define WAYS 4 /* entries per set: one cache line */

struct entry {
	uint64_t key;	      /* the IPv4 address, or the IPv6 /64, as read from the wire */
	uint32_t stamp;	      /* now_ms (mod 2^32) when the source was last answered or refused */
	uint32_t tokens : 24; /* bytes it may still be sent */
	uint32_t family : 8;  /* 0: unused */
};
_Static_assert(sizeof(struct entry) * WAYS == 64, "a set is one cache line");

struct tp_answer_budget {
	struct entry (*sets)[WAYS];
	size_t mask; /* sets - 1 */
	uint64_t seed;
	uint32_t burst, rate;
	uint64_t evictions;
};

struct tp_answer_budget *
tp_answer_budget_create(unsigned sources, unsigned burst, unsigned rate)
{
	struct tp_answer_budget *b = calloc(1, sizeof(*b));
	size_t nsets = 1;

	if (!b)
		return NULL;
	while (nsets * WAYS < sources)
		nsets <<= 1;
	if (!(b->sets = aligned_alloc(64, nsets * sizeof(*b->sets)))) {
		free(b);
		return NULL;
	}
	memset(b->sets, 0, nsets * sizeof(*b->sets));
	b->mask = nsets - 1;
	b->burst = burst > TP_ANSWER_BURST_MAX ? TP_ANSWER_BURST_MAX : burst;
	b->rate = rate;
	tp_random(&b->seed, sizeof(b->seed));
	return b;
}

void
tp_answer_budget_set_rate(struct tp_answer_budget *b, unsigned burst, unsigned rate)
{
	b->burst = burst > TP_ANSWER_BURST_MAX ? TP_ANSWER_BURST_MAX : burst;
	b->rate = rate;
}

void
tp_answer_budget_destroy(struct tp_answer_budget *b)
{
	if (!b)
		return;
	free(b->sets);
	free(b);
}

size_t
tp_answer_budget_size(const struct tp_answer_budget *b)
{
	return (b->mask + 1) * WAYS;
}

uint64_t
tp_answer_budget_evictions(const struct tp_answer_budget *b)
{
	return b->evictions;
}

static uint64_t
source_key(const struct tp_addr *src)
{
	uint64_t key = 0;

	memcpy(&key, src->ip, src->family == TP_FAM_V4 ? 4 : 8);
	return key;
}

static struct entry *
source_set(const struct tp_answer_budget *b, const struct tp_addr *src, uint64_t key)
{
	return b->sets[XXH3_64bits_withSeed(&key, sizeof(key), b->seed ^ src->family) & b->mask];
}

static struct entry *
find(const struct tp_answer_budget *b, const struct tp_addr *src)
{
	uint64_t key = source_key(src);
	struct entry *set = source_set(b, src, key);

	for (int w = 0; w < WAYS; w++)
		if (set[w].family == src->family && set[w].key == key)
			return &set[w];
	return NULL;
}

/* The source's entry, made (full) in its set's least recently used way when it has none. */
static struct entry *
lookup(struct tp_answer_budget *b, const struct tp_addr *src, uint32_t now)
{
	uint64_t key = source_key(src);
	struct entry *set = source_set(b, src, key), *victim = &set[0];

	for (int w = 0; w < WAYS; w++) {
		struct entry *e = &set[w];

		if (e->family == src->family && e->key == key)
			return e;
		/* Unused ways first, then the least recently used. */
		if (victim->family &&
		    (!e->family || (uint32_t)(now - e->stamp) > (uint32_t)(now - victim->stamp)))
			victim = e;
	}
	if (victim->family)
		b->evictions++;
	*victim = (struct entry){
		.key = key, .stamp = now, .tokens = b->burst, .family = src->family
	};
	return victim;
}

bool
tp_answer_budget_spend(struct tp_answer_budget *b, const struct tp_addr *src, size_t in_len,
		       size_t out_len, uint64_t now_ms)
{
	uint32_t now = (uint32_t)now_ms;
	struct entry *e = lookup(b, src, now);
	uint64_t refill = (uint64_t)(uint32_t)(now - e->stamp) * b->rate / 1000;
	uint64_t tokens = e->tokens;

	/* A source that asks more often than every 1000 / rate ms gets no refill: the fraction
	 * is dropped each time, which errs on the side of the forged address's owner. */
	e->stamp = now;
	tokens += refill + in_len;
	if (tokens > b->burst)
		tokens = b->burst;
	if (tokens < out_len) {
		e->tokens = (uint32_t)tokens;
		return false;
	}
	e->tokens = (uint32_t)(tokens - out_len);
	return true;
}

void
tp_answer_budget_credit(struct tp_answer_budget *b, const struct tp_addr *src, size_t in_len)
{
	struct entry *e = find(b, src);

	if (e)
		e->tokens =
			e->tokens + in_len > b->burst ? b->burst : (uint32_t)(e->tokens + in_len);
}
