/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Binding slots (util/slots.h), as both table-keeping dataplanes use them: never-used slots
 * come lowest first and fresh, a slot given back comes again (no longer fresh), none is
 * handed out twice, a slot released waits for tp_slots_reuse, and giving back a slot that is
 * not held does nothing.
 */
#include <gtest/gtest.h>

#include <set>

#include "slots.h"

namespace
{

TEST(Slots, LowestFirstNeverTwiceAndBackAgain)
{
	tp_slots s;
	bool fresh = false;

	ASSERT_EQ(tp_slots_init(&s, 4), 0);
	EXPECT_EQ(tp_slots_take(&s, &fresh), 1u);
	EXPECT_TRUE(fresh);
	EXPECT_EQ(tp_slots_take(&s, &fresh), 2u);
	EXPECT_EQ(tp_slots_take(&s, &fresh), 3u);
	tp_slots_put(&s, 2);
	EXPECT_EQ(tp_slots_take(&s, &fresh), 2u) << "the slot given back comes first";
	EXPECT_FALSE(fresh) << "slot 2 was used: its counters need zeroing";
	EXPECT_EQ(tp_slots_take(&s, &fresh), 4u);
	EXPECT_TRUE(fresh);
	EXPECT_EQ(tp_slots_take(&s, &fresh), 0u) << "all four are held";
	EXPECT_EQ(s.held, 4u);

	tp_slots_put(&s, 3);
	tp_slots_put(&s, 3); /* twice: the second does nothing */
	tp_slots_put(&s, 0);
	tp_slots_put(&s, 5); /* out of range */
	EXPECT_EQ(s.nfree, 1u);
	EXPECT_EQ(s.held, 3u) << "each slot given back once";
	EXPECT_EQ(tp_slots_take(&s, &fresh), 3u);
	EXPECT_EQ(tp_slots_take(&s, &fresh), 0u);
	tp_slots_fini(&s);
}

TEST(Slots, ReleasedWaitsForReuse)
{
	tp_slots s;
	bool fresh;

	ASSERT_EQ(tp_slots_init(&s, 2), 0);
	uint32_t a = tp_slots_take(&s, &fresh), b = tp_slots_take(&s, &fresh);
	EXPECT_TRUE(tp_slots_release(&s, a));
	EXPECT_FALSE(tp_slots_release(&s, a)) << "released once only";
	EXPECT_EQ(s.held, 1u) << "a released slot holds no binding";
	EXPECT_EQ(tp_slots_take(&s, &fresh), 0u) << "released is not yet free";
	tp_slots_reuse(&s, a);
	EXPECT_EQ(tp_slots_take(&s, &fresh), a);
	EXPECT_NE(a, b);
	tp_slots_fini(&s);
}

TEST(Slots, ManyRoundsHandOutEachSlotOnce)
{
	tp_slots s;
	std::set<uint32_t> held;
	bool fresh;

	ASSERT_EQ(tp_slots_init(&s, 1000), 0);
	for (unsigned round = 0; round < 20000; round++) {
		if (held.size() < 1000 && (round % 3 != 0 || held.empty())) {
			uint32_t slot = tp_slots_take(&s, &fresh);

			ASSERT_GE(slot, 1u);
			ASSERT_LE(slot, 1000u);
			ASSERT_TRUE(held.insert(slot).second)
				<< "slot " << slot << " handed out twice";
		} else {
			auto it = held.begin();
			std::advance(it, round % held.size());
			tp_slots_put(&s, *it);
			held.erase(it);
		}
	}
	EXPECT_EQ(s.nfree + held.size(), 1000u);
	tp_slots_fini(&s);
}

} // namespace
