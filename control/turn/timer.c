/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hashed timing wheel (see timer.h).
 */
#include "timer.h"

#include <string.h>

#define SLOT_MASK (TP_WHEEL_SLOTS - 1)
_Static_assert((TP_WHEEL_SLOTS & SLOT_MASK) == 0, "slots must be a power of two");

void
tp_wheel_init(struct tp_wheel *w, uint64_t now_ms)
{
	memset(w, 0, sizeof(*w));
	w->tick = now_ms / TP_WHEEL_TICK_MS;
}

void
tp_timer_init(struct tp_timer *t, tp_timer_fn fn)
{
	t->next = NULL;
	t->pprev = NULL;
	t->expire_ms = 0;
	t->fn = fn;
}

static void
unlink_timer(struct tp_wheel *w, struct tp_timer *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
	w->count--;
}

void
tp_timer_cancel(struct tp_wheel *w, struct tp_timer *t)
{
	if (tp_timer_pending(t))
		unlink_timer(w, t);
}

void
tp_timer_arm(struct tp_wheel *w, struct tp_timer *t, uint64_t expire_ms)
{
	/* Round up so a timer never fires early, and never into a slot already passed. */
	uint64_t tick = (expire_ms + TP_WHEEL_TICK_MS - 1) / TP_WHEEL_TICK_MS;

	if (tick <= w->tick)
		tick = w->tick + 1;
	tp_timer_cancel(w, t);
	t->expire_ms = expire_ms;

	struct tp_timer **head = &w->slot[tick & SLOT_MASK];

	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	t->pprev = head;
	*head = t;
	w->count++;
}

unsigned
tp_wheel_advance(struct tp_wheel *w, uint64_t now_ms)
{
	uint64_t now_tick = now_ms / TP_WHEEL_TICK_MS;
	unsigned fired = 0;

	/* After a long stall one turn visits every slot; more turns would find the same timers. */
	if (now_tick > w->tick + TP_WHEEL_SLOTS)
		w->tick = now_tick - TP_WHEEL_SLOTS;
	while (w->tick < now_tick) {
		/* Advanced first: a callback arming a timer already due lands in a later slot. */
		w->tick++;

		struct tp_timer **head = &w->slot[w->tick & SLOT_MASK];
		struct tp_timer *t = *head;

		while (t) {
			if (t->expire_ms > now_ms) {
				t = t->next;
				continue;
			}
			/* A callback may cancel or arm others in this slot: start over after it. */
			unlink_timer(w, t);
			t->fn(t);
			fired++;
			t = *head;
		}
	}
	return fired;
}
