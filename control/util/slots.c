/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Binding slots (see slots.h).
 */
#include "slots.h"

#include <errno.h>
#include <stdlib.h>

int
tp_slots_init(struct tp_slots *s, uint32_t max)
{
	*s = (struct tp_slots){ .max = max };
	s->free = calloc(max ? max : 1, sizeof(*s->free));
	s->taken = calloc((size_t)max + 1, 1);
	if (!s->free || !s->taken) {
		tp_slots_fini(s);
		return -ENOMEM;
	}
	/* Lowest first: handed out from the top of the stack. */
	for (uint32_t i = 0; i < max; i++)
		s->free[s->nfree++] = max - i;
	return 0;
}

void
tp_slots_fini(struct tp_slots *s)
{
	free(s->free);
	free(s->taken);
	*s = (struct tp_slots){ 0 };
}

uint32_t
tp_slots_take(struct tp_slots *s, bool *fresh)
{
	uint32_t slot;

	if (!s->nfree)
		return 0;
	slot = s->free[--s->nfree];
	s->taken[slot] = 1;
	s->held++;
	*fresh = slot > s->seen;
	if (*fresh)
		s->seen = slot;
	return slot;
}

bool
tp_slots_release(struct tp_slots *s, uint32_t slot)
{
	if (!slot || slot > s->max || !s->taken[slot])
		return false;
	s->taken[slot] = 0;
	s->held--;
	return true;
}

void
tp_slots_reuse(struct tp_slots *s, uint32_t slot)
{
	s->free[s->nfree++] = slot;
}

void
tp_slots_put(struct tp_slots *s, uint32_t slot)
{
	if (tp_slots_release(s, slot))
		tp_slots_reuse(s, slot);
}
