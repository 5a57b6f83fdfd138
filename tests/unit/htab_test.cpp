/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Intrusive hash table tests, with an entry the way the relay declares its own: the node and a
 * padding-free key embedded in one struct. Insert, find and remove; growth through 100000
 * entries with every one still found; emptying it again; and keys that differ in a single
 * byte, at every position, staying distinct.
 */
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

#include "htab.h"
#include "list.h"

namespace
{

/* A 5-tuple-like key, packed by construction: no padding for the byte compare to trip on. */
struct flow_key {
	uint8_t family;
	uint8_t proto;
	uint16_t port;
	uint32_t id;
	uint8_t ip[16];
};
static_assert(sizeof(flow_key) == 24, "flow_key must not be padded");

struct flow {
	uint64_t payload; /* something before the node, so the key offset is not trivial */
	tp_hnode node;
	flow_key key;
	int value;
};

flow_key
key_of(uint32_t id)
{
	flow_key k;

	memset(&k, 0, sizeof(k));
	k.family = 1;
	k.proto = 17;
	k.port = (uint16_t)(id * 7);
	k.id = id;
	k.ip[0] = 192;
	k.ip[3] = (uint8_t)id;
	return k;
}

flow *
find(const tp_htab &h, const flow_key &k)
{
	tp_hnode *n = tp_htab_find(&h, &k);

	return n ? tp_container_of(n, flow, node) : nullptr;
}

struct Htab : ::testing::Test {
	void SetUp() override
	{
		ASSERT_EQ(TP_HTAB_INIT(&h, flow, node, key), 0);
		EXPECT_EQ(h.key_len, sizeof(flow_key));
		EXPECT_EQ(h.key_off, (ptrdiff_t)(offsetof(flow, key) - offsetof(flow, node)));
	}

	void TearDown() override
	{
		tp_htab_fini(&h);
	}

	tp_htab h;
};

TEST_F(Htab, InsertFindRemove)
{
	flow a{}, b{};
	flow_key absent = key_of(3);

	a.key = key_of(1);
	a.value = 10;
	b.key = key_of(2);
	b.value = 20;

	EXPECT_EQ(find(h, a.key), nullptr);
	tp_htab_insert(&h, &a.node);
	tp_htab_insert(&h, &b.node);
	EXPECT_EQ(h.count, 2u);

	flow_key probe = key_of(1); /* found by value, not by address */
	ASSERT_EQ(find(h, probe), &a);
	EXPECT_EQ(find(h, probe)->value, 10);
	EXPECT_EQ(find(h, b.key), &b);
	EXPECT_EQ(find(h, absent), nullptr);

	tp_htab_remove(&h, &a.node);
	EXPECT_EQ(h.count, 1u);
	EXPECT_EQ(find(h, a.key), nullptr);
	EXPECT_EQ(find(h, b.key), &b);

	/* Removed entries can go back in. */
	tp_htab_insert(&h, &a.node);
	EXPECT_EQ(find(h, a.key), &a);
	tp_htab_remove(&h, &a.node);
	tp_htab_remove(&h, &b.node);
	EXPECT_EQ(h.count, 0u);
	EXPECT_EQ(find(h, b.key), nullptr);
}

TEST_F(Htab, RemovingAnEntryNotInTheTableChangesNothing)
{
	flow in{}, out{};

	in.key = key_of(1);
	out.key = key_of(2);
	tp_htab_insert(&h, &in.node);
	out.node.hash = in.node.hash; /* even aimed at the same bucket */
	tp_htab_remove(&h, &out.node);
	EXPECT_EQ(h.count, 1u);
	EXPECT_EQ(find(h, in.key), &in);
}

TEST_F(Htab, GrowsThroughManyEntriesAndFindsEveryOne)
{
	const uint32_t n = 100000;
	std::vector<flow> flows(n); /* never resized: the nodes must not move */

	for (uint32_t i = 0; i < n; i++) {
		flows[i].key = key_of(i);
		flows[i].value = (int)i;
		tp_htab_insert(&h, &flows[i].node);
	}
	EXPECT_EQ(h.count, n);
	/* The bucket array grew: at most one entry per bucket on average. */
	EXPECT_GE(h.mask + 1, (size_t)n);
	EXPECT_EQ((h.mask + 1) & h.mask, 0u); /* a power of two */

	for (uint32_t i = 0; i < n; i++) {
		flow *f = find(h, key_of(i));

		ASSERT_EQ(f, &flows[i]) << i;
		ASSERT_EQ(f->value, (int)i);
	}
	for (uint32_t i = n; i < n + 1000; i++)
		ASSERT_EQ(find(h, key_of(i)), nullptr) << i;

	/* Remove every other one, then the rest. */
	for (uint32_t i = 0; i < n; i += 2)
		tp_htab_remove(&h, &flows[i].node);
	EXPECT_EQ(h.count, n / 2);
	for (uint32_t i = 0; i < n; i++)
		ASSERT_EQ(find(h, key_of(i)), i % 2 ? &flows[i] : nullptr) << i;
	for (uint32_t i = 1; i < n; i += 2)
		tp_htab_remove(&h, &flows[i].node);
	EXPECT_EQ(h.count, 0u);
	for (size_t b = 0; b <= h.mask; b++)
		ASSERT_EQ(h.buckets[b], nullptr) << "bucket " << b;
	for (uint32_t i = 0; i < n; i++)
		ASSERT_EQ(find(h, key_of(i)), nullptr) << i;
}

TEST_F(Htab, KeysDifferingInOneByteAreDistinct)
{
	/* One entry with the base key, and one per key byte with just that byte changed. */
	std::vector<flow> flows(1 + sizeof(flow_key));
	flow_key base = key_of(0x01020304);

	for (size_t i = 0; i < flows.size(); i++) {
		flows[i].key = base;
		if (i > 0)
			((uint8_t *)&flows[i].key)[i - 1] ^= 0x01;
		flows[i].value = (int)i;
		tp_htab_insert(&h, &flows[i].node);
	}
	EXPECT_EQ(h.count, flows.size());
	for (size_t i = 0; i < flows.size(); i++) {
		flow_key k = base;

		if (i > 0)
			((uint8_t *)&k)[i - 1] ^= 0x01;
		ASSERT_EQ(find(h, k), &flows[i]) << "byte " << i - 1;
	}

	/* Removing the base key leaves all its one-byte neighbours. */
	tp_htab_remove(&h, &flows[0].node);
	EXPECT_EQ(find(h, base), nullptr);
	for (size_t i = 1; i < flows.size(); i++)
		EXPECT_EQ(find(h, flows[i].key), &flows[i]);
}

TEST(HtabSeed, TablesHashWithTheirOwnSeed)
{
	tp_htab a, b;

	ASSERT_EQ(TP_HTAB_INIT(&a, flow, node, key), 0);
	ASSERT_EQ(TP_HTAB_INIT(&b, flow, node, key), 0);
	/* 64 random bits twice: equal only by a 2^-64 accident. */
	EXPECT_NE(a.seed, b.seed);

	flow f{};
	f.key = key_of(7);
	tp_htab_insert(&a, &f.node);
	uint64_t in_a = f.node.hash;
	tp_htab_remove(&a, &f.node);
	tp_htab_insert(&b, &f.node);
	EXPECT_NE(in_a, f.node.hash);
	tp_htab_remove(&b, &f.node);
	tp_htab_fini(&a);
	tp_htab_fini(&b);
}

} // namespace
