/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Binding slots, for both table-keeping dataplanes: a slot (1..max) is a binding's index into
 * its per-lcore or per-CPU counters (struct tp_binding_stat) and, in the DPDK tables, its
 * values; 0 means none. The most recently freed slot is handed out first, and never-used
 * ones lowest first, so that a relay's live bindings stay packed at the bottom of the arrays
 * and their counters warm in the cache. A slot given back becomes reusable at once (tp_slots_put),
 * or, where readers may still hold it, after their grace period: released when its binding leaves
 * (tp_slots_release), reusable when the grace period has passed (tp_slots_reuse).
 */
#ifndef TP_SLOTS_H
#define TP_SLOTS_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct tp_slots {
	uint32_t max;
	uint32_t *free; /* a stack, the lowest slot on top */
	uint32_t nfree;
	uint32_t seen;	/* the highest slot handed out so far: those above were never used */
	uint8_t *taken; /* [max + 1]: held by a binding */
	uint32_t held;	/* slots taken and not released: the bindings there are */
};

/* Slots 1..max, all free. 0, or -ENOMEM. */
int tp_slots_init(struct tp_slots *s, uint32_t max);
void tp_slots_fini(struct tp_slots *s);
/* A free slot, taken; 0 when none is free. *fresh: never handed out before (its
 * counters are still as allocated, zero). */
uint32_t tp_slots_take(struct tp_slots *s, bool *fresh);
/* The binding at slot has left: false (and nothing done) when slot is 0, out of range or
 * not taken. The slot is not free again until tp_slots_reuse. */
bool tp_slots_release(struct tp_slots *s, uint32_t slot);
/* A released slot free again. */
void tp_slots_reuse(struct tp_slots *s, uint32_t slot);
/* Released and free at once, where no reader can still hold it. */
void tp_slots_put(struct tp_slots *s, uint32_t slot);

#ifdef __cplusplus
}
#endif

#endif
