/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Per-source answer budgets (turn/answer_budget.h) on their own: spent, paid back by the
 * requests, refilled with time up to the burst, a source per IPv4 address and IPv6 /64, and
 * the least recently used source forgotten when its set is full (one set here: four sources).
 */
#include <gtest/gtest.h>

#include "answer_budget.h"
#include "test_util.h"

namespace
{

struct Budget : ::testing::Test {
	tp_answer_budget *b = tp_answer_budget_create(4, 1000, 100);

	~Budget() override
	{
		tp_answer_budget_destroy(b);
	}
	bool Spend(const char *ip, size_t in, size_t out, uint64_t now_ms = 1000)
	{
		tp_addr a = addr(ip, 1234);

		return tp_answer_budget_spend(b, &a, in, out, now_ms);
	}
};

TEST_F(Budget, SpentPaidBackAndRefilledUpToTheBurst)
{
	ASSERT_NE(b, nullptr);
	EXPECT_EQ(tp_answer_budget_size(b), 4u);
	EXPECT_TRUE(Spend("192.0.2.1", 0, 1000)) << "a new source has the whole burst";
	EXPECT_FALSE(Spend("192.0.2.1", 0, 1));
	EXPECT_FALSE(Spend("192.0.2.1", 60, 100)) << "60 bytes in do not buy 100 out";
	EXPECT_TRUE(Spend("192.0.2.1", 60, 100)) << "but 120 do, the first 60 were kept";
	EXPECT_TRUE(Spend("192.0.2.1", 0, 20));
	EXPECT_FALSE(Spend("192.0.2.1", 0, 1));

	/* 100 bytes a second: half a second buys 50. */
	EXPECT_TRUE(Spend("192.0.2.1", 0, 50, 1500));
	EXPECT_FALSE(Spend("192.0.2.1", 0, 1, 1500));
	/* A long quiet: back to the burst, not beyond. */
	EXPECT_TRUE(Spend("192.0.2.1", 0, 1000, 100000));
	EXPECT_FALSE(Spend("192.0.2.1", 0, 1, 100000));

	/* An authenticated request from it pays back too; an unknown source gets no entry. */
	tp_addr a = addr("192.0.2.1", 9), other = addr("192.0.2.99", 9);
	tp_answer_budget_credit(b, &a, 300);
	tp_answer_budget_credit(b, &other, 300);
	EXPECT_TRUE(Spend("192.0.2.1", 0, 300, 100000));
	EXPECT_FALSE(Spend("192.0.2.1", 0, 1, 100000));
	EXPECT_EQ(tp_answer_budget_evictions(b), 0u);
}

TEST_F(Budget, OneSourcePerIpv4AddressAndPerIpv6Slash64)
{
	ASSERT_TRUE(Spend("2001:db8:1:2::1", 0, 1000));
	EXPECT_FALSE(Spend("2001:db8:1:2:ffff::9", 0, 1)) << "same /64";
	EXPECT_TRUE(Spend("2001:db8:1:3::1", 0, 1)) << "next /64";
	ASSERT_TRUE(Spend("198.51.100.1", 0, 1000));
	EXPECT_TRUE(Spend("198.51.100.2", 0, 1)) << "next address";
	EXPECT_EQ(tp_answer_budget_evictions(b), 0u) << "four sources in four ways";
}

TEST_F(Budget, TheLeastRecentlyUsedSourceIsForgotten)
{
	const char *ips[] = { "203.0.113.1", "203.0.113.2", "203.0.113.3", "203.0.113.4" };

	for (uint64_t i = 0; i < 4; i++)
		ASSERT_TRUE(Spend(ips[i], 0, 1000, 1000 + i)) << ips[i];
	EXPECT_FALSE(Spend(ips[0], 0, 1, 1004)) << "all four remembered";
	EXPECT_EQ(tp_answer_budget_evictions(b), 0u);

	/* A fifth takes the place of the one used longest ago (.2, .1 was just used). */
	EXPECT_TRUE(Spend("203.0.113.5", 0, 1, 1005));
	EXPECT_EQ(tp_answer_budget_evictions(b), 1u);
	EXPECT_FALSE(Spend(ips[0], 0, 1, 1006)) << ".1 is still remembered, still spent";
	EXPECT_FALSE(Spend(ips[2], 0, 1, 1007));
	EXPECT_FALSE(Spend(ips[3], 0, 1, 1008));
	EXPECT_TRUE(Spend(ips[1], 0, 1000, 1009)) << ".2 was forgotten: a full burst again";
}

} // namespace
