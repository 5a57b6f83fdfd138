/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Hashed timing wheel for lifetimes (allocations, permissions, channels, reservations).
 * Arming, re-arming and cancelling are O(1); advancing the clock visits only the slots that
 * passed, so expiry never scans every allocation. The span (slots x tick) exceeds the longest
 * lifetime, so a timer is normally looked at once, when it fires; longer ones simply wait for
 * another turn of the wheel.
 */
#ifndef TP_TIMER_H
#define TP_TIMER_H

#include <stdbool.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TP_WHEEL_TICK_MS 250
#define TP_WHEEL_SLOTS	 16384 /* 4096 s at 250 ms */

struct tp_timer;
typedef void (*tp_timer_fn)(struct tp_timer *t);

struct tp_timer {
	struct tp_timer *next, **pprev;
	uint64_t expire_ms;
	tp_timer_fn fn;
};

struct tp_wheel {
	uint64_t tick;	/* last tick processed */
	uint64_t count; /* timers armed */
	struct tp_timer *slot[TP_WHEEL_SLOTS];
};

void tp_wheel_init(struct tp_wheel *w, uint64_t now_ms);
/* Fire every timer due at now_ms. Returns how many fired. */
unsigned tp_wheel_advance(struct tp_wheel *w, uint64_t now_ms);

void tp_timer_init(struct tp_timer *t, tp_timer_fn fn);
void tp_timer_arm(struct tp_wheel *w, struct tp_timer *t, uint64_t expire_ms);
void tp_timer_cancel(struct tp_wheel *w, struct tp_timer *t);

static inline bool
tp_timer_pending(const struct tp_timer *t)
{
	return t->pprev != 0;
}

#ifdef __cplusplus
}
#endif

#endif
