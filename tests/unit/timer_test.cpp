/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Timing wheel tests. A timer fires once, never before its expiry and no later than the first
 * advance that reaches the next tick after it, whether the clock moves in small steps, in one
 * jump, or after a stall longer than a whole turn of the wheel. Re-arming moves a timer,
 * cancelling stops it, callbacks may cancel or re-arm timers of the slot being run, and the
 * count of armed timers stays right. A scale check runs 100000 random timers.
 */
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "list.h"
#include "timer.h"

namespace
{

constexpr uint64_t TICK = TP_WHEEL_TICK_MS;
constexpr uint64_t SPAN = (uint64_t)TP_WHEEL_SLOTS * TP_WHEEL_TICK_MS; /* one turn, in ms */

struct probe;
using probe_hook = void (*)(probe *p);

/* A timer as the relay embeds it, with what the test wants to know about its firing. */
struct probe {
	tp_timer timer;
	unsigned fired = 0;
	uint64_t fired_at = 0;	   /* the now_ms of the advance that fired it */
	probe_hook hook = nullptr; /* run inside the callback */
	probe *other = nullptr;	   /* for hooks that act on another timer */
};

/* The clock the current advance runs at, and the wheel, for callbacks to look at. */
uint64_t clock_ms;
tp_wheel *running_wheel;
std::vector<probe *> firing_order;

void
on_fire(tp_timer *t)
{
	probe *p = tp_container_of(t, probe, timer);

	p->fired++;
	p->fired_at = clock_ms;
	firing_order.push_back(p);
	if (p->hook)
		p->hook(p);
}

unsigned
advance(tp_wheel *w, uint64_t now_ms)
{
	clock_ms = now_ms;
	running_wheel = w;
	return tp_wheel_advance(w, now_ms);
}

/* The wheel is 128 KiB of slots: keep it off the stack. */
std::unique_ptr<tp_wheel>
new_wheel(uint64_t now_ms)
{
	auto w = std::make_unique<tp_wheel>();

	tp_wheel_init(w.get(), now_ms);
	firing_order.clear();
	return w;
}

void
arm(tp_wheel *w, probe *p, uint64_t expire_ms)
{
	tp_timer_init(&p->timer, on_fire);
	tp_timer_arm(w, &p->timer, expire_ms);
}

/* Expiry --------------------------------------------------------------------------------------- */

TEST(TimerWheel, FiresAtItsExpiryNotBefore)
{
	auto w = new_wheel(0);
	probe p;

	arm(w.get(), &p, 1000);
	EXPECT_TRUE(tp_timer_pending(&p.timer));
	EXPECT_EQ(advance(w.get(), 999), 0u);
	EXPECT_EQ(p.fired, 0u);
	EXPECT_EQ(advance(w.get(), 1000), 1u);
	EXPECT_EQ(p.fired, 1u);
	EXPECT_FALSE(tp_timer_pending(&p.timer));
	EXPECT_EQ(advance(w.get(), 1000 + SPAN), 0u); /* once */
	EXPECT_EQ(p.fired, 1u);
}

TEST(TimerWheel, FiresWithinATickOfItsExpiryWhateverItsAlignment)
{
	/* Stepping the clock a millisecond at a time: never early, less than a tick late. */
	for (uint64_t expire :
	     { 1ull, 249ull, 250ull, 251ull, 999ull, 1000ull, 1001ull, 1249ull, 123457ull }) {
		SCOPED_TRACE(expire);
		auto w = new_wheel(0);
		probe p;

		arm(w.get(), &p, expire);
		for (uint64_t now = 1; now < expire + 2 * TICK && !p.fired; now++)
			advance(w.get(), now);
		ASSERT_EQ(p.fired, 1u);
		EXPECT_GE(p.fired_at, expire);
		EXPECT_LT(p.fired_at, expire + TICK);
		EXPECT_EQ(p.fired_at % TICK, 0u); /* it fires as a tick is reached */
	}
}

TEST(TimerWheel, OneJumpAndManyStepsFireTheSameTimers)
{
	const uint64_t expiries[] = { 10, 250, 251, 5000, 60000, 600000, 3599999, 3600000 };
	auto stepped = new_wheel(0), jumped = new_wheel(0);
	probe a[8], b[8];

	for (int i = 0; i < 8; i++) {
		arm(stepped.get(), &a[i], expiries[i]);
		arm(jumped.get(), &b[i], expiries[i]);
	}
	for (uint64_t now = 0; now <= 3600000; now += 777)
		advance(stepped.get(), now);
	advance(stepped.get(), 3600000);
	EXPECT_EQ(advance(jumped.get(), 3600000), 8u);
	for (int i = 0; i < 8; i++) {
		EXPECT_EQ(a[i].fired, 1u) << expiries[i];
		EXPECT_EQ(b[i].fired, 1u) << expiries[i];
		EXPECT_GE(a[i].fired_at, expiries[i]);
	}
	EXPECT_EQ(stepped->count, 0u);
	EXPECT_EQ(jumped->count, 0u);
}

TEST(TimerWheel, LongStallFiresEveryTimerOnce)
{
	const uint64_t start = 7 * SPAN + 123;
	auto w = new_wheel(start);
	std::vector<probe> due(1000), later(10);

	/* Due within three turns, in every slot, then a stall of ten turns. */
	for (size_t i = 0; i < due.size(); i++)
		arm(w.get(), &due[i], start + 1 + i * (3 * SPAN / due.size()));
	/* Due after the stall, one of them exactly a whole number of turns after another. */
	for (size_t i = 0; i < later.size(); i++)
		arm(w.get(), &later[i], start + 10 * SPAN + 1 + i * SPAN);

	EXPECT_EQ(advance(w.get(), start + 10 * SPAN), due.size());
	for (const probe &p : due)
		EXPECT_EQ(p.fired, 1u);
	for (const probe &p : later)
		EXPECT_EQ(p.fired, 0u);
	EXPECT_EQ(w->count, later.size());

	/* The wheel keeps working after the stall. */
	EXPECT_EQ(advance(w.get(), start + 10 * SPAN + 1 + TICK), 1u);
	EXPECT_EQ(later[0].fired, 1u);
	EXPECT_EQ(advance(w.get(), start + 30 * SPAN), later.size() - 1);
	for (const probe &p : later)
		EXPECT_EQ(p.fired, 1u);
	EXPECT_EQ(w->count, 0u);
}

TEST(TimerWheel, TimerSeveralTurnsAheadWaitsForItsTurn)
{
	auto w = new_wheel(0);
	probe p;
	const uint64_t expire = 2 * SPAN + SPAN / 2;

	arm(w.get(), &p, expire);
	/* Its slot comes round twice before it is due. */
	for (uint64_t now = 1000; now < expire; now += 1000)
		advance(w.get(), now);
	advance(w.get(), expire - 1);
	EXPECT_EQ(p.fired, 0u);
	EXPECT_EQ(advance(w.get(), expire), 1u);
	EXPECT_EQ(p.fired, 1u);
}

TEST(TimerWheel, ArmingInThePastFiresOnTheNextTick)
{
	auto w = new_wheel(100000);
	probe past, now, zero;

	arm(w.get(), &past, 50000);
	arm(w.get(), &now, 100000);
	arm(w.get(), &zero, 0);
	EXPECT_EQ(advance(w.get(), 100000 + TICK), 3u);
	EXPECT_EQ(past.fired, 1u);
	EXPECT_EQ(now.fired, 1u);
	EXPECT_EQ(zero.fired, 1u);
}

/* Re-arming, cancelling, counting -------------------------------------------------------------- */

TEST(TimerWheel, RearmMovesTheTimer)
{
	auto w = new_wheel(0);
	probe later, earlier;

	arm(w.get(), &later, 1000);
	tp_timer_arm(w.get(), &later.timer, 5000);
	arm(w.get(), &earlier, 5000);
	tp_timer_arm(w.get(), &earlier.timer, 1000);
	EXPECT_EQ(w->count, 2u);

	EXPECT_EQ(advance(w.get(), 1000), 1u);
	EXPECT_EQ(later.fired, 0u);
	EXPECT_EQ(earlier.fired, 1u);
	EXPECT_EQ(advance(w.get(), 5000), 1u);
	EXPECT_EQ(later.fired, 1u);
	EXPECT_EQ(earlier.fired, 1u); /* not again at its old time */
	EXPECT_EQ(w->count, 0u);
}

TEST(TimerWheel, CancelPreventsFiring)
{
	auto w = new_wheel(0);
	probe p, never_armed;

	arm(w.get(), &p, 1000);
	tp_timer_cancel(w.get(), &p.timer);
	EXPECT_FALSE(tp_timer_pending(&p.timer));
	EXPECT_EQ(w->count, 0u);
	tp_timer_cancel(w.get(), &p.timer); /* twice is harmless */
	tp_timer_init(&never_armed.timer, on_fire);
	tp_timer_cancel(w.get(), &never_armed.timer);
	EXPECT_EQ(w->count, 0u);
	EXPECT_EQ(advance(w.get(), 10000), 0u);
	EXPECT_EQ(p.fired, 0u);

	/* A cancelled timer can be armed again. */
	tp_timer_arm(w.get(), &p.timer, 20000);
	EXPECT_EQ(advance(w.get(), 20000), 1u);
	EXPECT_EQ(p.fired, 1u);
}

TEST(TimerWheel, CountFollowsArmCancelAndFire)
{
	auto w = new_wheel(0);
	probe a, b, c;

	EXPECT_EQ(w->count, 0u);
	arm(w.get(), &a, 1000);
	arm(w.get(), &b, 2000);
	arm(w.get(), &c, 3000);
	EXPECT_EQ(w->count, 3u);
	tp_timer_arm(w.get(), &a.timer, 1500); /* re-arm: still three */
	EXPECT_EQ(w->count, 3u);
	tp_timer_cancel(w.get(), &b.timer);
	EXPECT_EQ(w->count, 2u);
	advance(w.get(), 1500);
	EXPECT_EQ(w->count, 1u);
	advance(w.get(), 3000);
	EXPECT_EQ(w->count, 0u);
}

/* Callbacks that touch the wheel --------------------------------------------------------------- */

void
cancel_other(probe *p)
{
	tp_timer_cancel(running_wheel, &p->other->timer);
}

TEST(TimerWheel, CallbackCancelsAnotherTimerOfTheSameSlot)
{
	auto w = new_wheel(0);
	probe a, b, c;

	/* All three due at the same tick; whichever of a and b runs first cancels the other. */
	arm(w.get(), &a, 1000);
	arm(w.get(), &b, 1000);
	arm(w.get(), &c, 1000);
	a.hook = b.hook = cancel_other;
	a.other = &b;
	b.other = &a;
	EXPECT_EQ(advance(w.get(), 1000), 2u);
	EXPECT_EQ(a.fired + b.fired, 1u);
	EXPECT_EQ(c.fired, 1u);
	EXPECT_EQ(w->count, 0u);
	EXPECT_EQ(advance(w.get(), 1000 + 2 * SPAN), 0u);
}

TEST(TimerWheel, CallbackCancelsATimerOfTheSameSlotDueInALaterTurn)
{
	auto w = new_wheel(0);
	probe now, next_turn;

	arm(w.get(), &now, 1000);
	arm(w.get(), &next_turn, 1000 + SPAN); /* the same slot */
	now.hook = cancel_other;
	now.other = &next_turn;
	EXPECT_EQ(advance(w.get(), 1000), 1u);
	EXPECT_FALSE(tp_timer_pending(&next_turn.timer));
	EXPECT_EQ(advance(w.get(), 1000 + 2 * SPAN), 0u);
	EXPECT_EQ(next_turn.fired, 0u);
}

void
rearm_every_second(probe *p)
{
	if (p->fired < 10)
		tp_timer_arm(running_wheel, &p->timer, p->timer.expire_ms + 1000);
}

TEST(TimerWheel, CallbackRearmsItself)
{
	/* A periodic timer catches up within one advance, firing once per period. */
	auto w = new_wheel(0);
	probe p;

	arm(w.get(), &p, 1000);
	p.hook = rearm_every_second;
	EXPECT_EQ(advance(w.get(), 10000), 10u);
	EXPECT_EQ(p.fired, 10u);
	EXPECT_FALSE(tp_timer_pending(&p.timer));
	EXPECT_EQ(w->count, 0u);
}

void
rearm_same_time(probe *p)
{
	if (p->fired < 3)
		tp_timer_arm(running_wheel, &p->timer, p->timer.expire_ms);
}

TEST(TimerWheel, CallbackRearmingIntoThePastWaitsForTheNextTick)
{
	/* No loop within a tick: a timer re-armed for a time already due runs on the next one. */
	auto w = new_wheel(0);
	probe p;

	arm(w.get(), &p, 1000);
	p.hook = rearm_same_time;
	EXPECT_EQ(advance(w.get(), 1000), 1u);
	EXPECT_TRUE(tp_timer_pending(&p.timer));
	EXPECT_EQ(advance(w.get(), 1000 + TICK), 1u);
	EXPECT_EQ(advance(w.get(), 1000 + 10 * TICK), 1u);
	EXPECT_EQ(p.fired, 3u);
	EXPECT_EQ(w->count, 0u);
}

/* Scale ---------------------------------------------------------------------------------------- */

uint64_t
tick_of(uint64_t expire_ms)
{
	return (expire_ms + TICK - 1) / TICK;
}

TEST(TimerWheelScale, HundredThousandRandomTimersInSteps)
{
	const uint64_t horizon = 5 * SPAN / 2; /* two and a half turns */
	std::mt19937_64 rng(20240601);
	auto w = new_wheel(0);
	std::vector<probe> timers(100000);

	for (probe &p : timers)
		arm(w.get(), &p, 1 + rng() % horizon);
	ASSERT_EQ(w->count, timers.size());

	uint64_t now = 0, before = 0, fired = 0;
	size_t seen = 0;
	uint64_t last_tick = 0;

	while (now < horizon + TICK) {
		before = now;
		now += 1 + rng() % 20000;
		fired += advance(w.get(), now);
		for (; seen < firing_order.size(); seen++) {
			const probe *p = firing_order[seen];
			uint64_t tick = tick_of(p->timer.expire_ms);

			ASSERT_LE(p->timer.expire_ms, now);
			/* It was not yet due at a tick the previous advance reached. */
			ASSERT_GT(tick * TICK, before);
			/* Slots run in order. */
			ASSERT_GE(tick, last_tick);
			last_tick = tick;
		}
	}
	EXPECT_EQ(fired, timers.size());
	EXPECT_EQ(w->count, 0u);
	for (const probe &p : timers)
		ASSERT_EQ(p.fired, 1u);
}

TEST(TimerWheelScale, HundredThousandRandomTimersInOneAdvance)
{
	std::mt19937_64 rng(42);
	auto w = new_wheel(0);
	std::vector<probe> timers(100000);

	for (probe &p : timers)
		arm(w.get(), &p, 1 + rng() % (SPAN - TICK));
	EXPECT_EQ(advance(w.get(), SPAN), timers.size());
	EXPECT_EQ(w->count, 0u);
	ASSERT_EQ(firing_order.size(), timers.size());
	EXPECT_TRUE(std::is_sorted(
		firing_order.begin(), firing_order.end(), [](const probe *a, const probe *b) {
			return tick_of(a->timer.expire_ms) < tick_of(b->timer.expire_ms);
		}));
	for (const probe &p : timers)
		ASSERT_EQ(p.fired, 1u);
}

} // namespace
