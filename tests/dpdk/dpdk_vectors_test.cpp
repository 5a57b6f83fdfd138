/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK dataplane against the golden vectors, through the real worker loop: EAL without
 * hugepages, a net_ring port whose RX rings the test fills and whose TX rings it empties,
 * worker lcores running dp_worker_main() exactly as in production (one; TP_DPDK_WORKERS=N for
 * N, each on a queue of its own: every vector then goes through every worker, and its
 * binding's counters, summed over the workers, must count each), the tables loaded with each
 * vector's bindings, and the vector's MACs (static next hop). Relayed frames must come out
 * of the TX ring byte for byte as the vector expects; frames for the control thread must
 * reach the punt ring exactly as they went in; dropped frames must be counted under their
 * reason and appear nowhere. One vector set, several runners: the core's test and the XDP
 * test run the same vectors.
 *
 * A vector's conditions are recreated here: its headroom is the mbuf's, an unresolved next
 * hop is a neighbour table without it (no static next-hop MAC). What DPDK cannot recreate (a
 * dataplane that cannot sum a payload: this one sums) the vector says in not_dpdk, and the
 * test is reported skipped with that text.
 */
#include <gtest/gtest.h>

#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "dp.h"
#include "dp_hash.h"
#include "tp_vectors.h"
#include "vector_runner.h"

namespace
{

tp_config cfg;
rte_mempool *pool;
#define MAX_QUEUES 8
unsigned nqueues = 1; /* one a worker */
rte_ring *rx_rings[MAX_QUEUES], *tx_rings[MAX_QUEUES];
rte_ring *rx_ring, *tx_ring; /* queue 0's: the tests that drive one worker */
uint16_t port;
dp *plane;
const tp_vector *loaded; /* whose bindings the tables hold */

int
reason_by_name(const char *name)
{
	for (int r = 0; r < TP_R_COUNT; r++)
		if (strcmp(tp_reason_name((enum tp_reason)r), name) == 0)
			return r;
	return -1;
}

uint64_t
reason_count(int r)
{
	dp_reason_stat sum[TP_R_COUNT];

	dp_sum_reasons(plane, sum);
	return sum[r].packets;
}

/* What the dataplane reports for slot (the sum over the workers, as chan_counts reads it). */
uint64_t
binding_count(uint32_t slot, int dir)
{
	tp_binding_stat sum;

	dp_slot_counts(plane, slot, &sum);
	return sum.packets[dir];
}

/* Where frame out differs from v's expected output: the offsets of the first few bytes, and
 * the lengths when they differ. */
std::string
differences(const std::vector<uint8_t> &out, const tp_vector &v)
{
	std::string d;
	int n = 0;

	for (size_t i = 0; i < out.size() && i < v.out_len && n < 12; i++)
		if (out[i] != v.out[i]) {
			char b[32];

			snprintf(b, sizeof(b), " %zu (%02x, not %02x)", i, out[i], v.out[i]);
			d += b;
			n++;
		}
	if (out.size() != v.out_len)
		d += " (length " + std::to_string(out.size()) + ", not " +
		     std::to_string(v.out_len) + ")";
	return d;
}

/* Does v count against its slot toward the peer (else toward the client)? */
bool
to_peer(const tp_vector &v)
{
	return strcmp(v.reason, "to-client") != 0 && strcmp(v.reason, "data-indication") != 0;
}

/* Make the dataplane hold v's configuration and bindings. */
void
load(const tp_vector &v)
{
	if (loaded) {
		for (unsigned i = 0; i < loaded->nchans; i++) {
			tp_peer_key none = {};
			dp_table_remove(plane, &loaded->chans[i].key, &none);
		}
		for (unsigned i = 0; i < loaded->npeers; i++) {
			tp_chan_key none = {};
			dp_table_remove(plane, &none, &loaded->peers[i].key);
		}
		for (unsigned i = 0; i < loaded->nperms; i++)
			rte_hash_del_key(plane->perms, &loaded->perms[i].key);
		for (unsigned i = 0; i < loaded->nsends; i++)
			rte_hash_del_key(plane->sends, &loaded->sends[i].key);
	}
	if (memcmp(&plane->core, &v.cfg, sizeof(v.cfg)) != 0) {
		/* The workers read the configuration: change it only while they are stopped. */
		dp_halt(plane);
		plane->core = v.cfg;
		ASSERT_EQ(dp_launch(plane), 0);
	}
	memcpy(plane->mac.addr_bytes, v.relay_mac, 6);
	/* Without a static MAC the worker asks the neighbour table, which holds nothing here. */
	cfg.dpdk.nexthop_mac.set = !v.next_hop_unresolved;
	memcpy(cfg.dpdk.nexthop_mac.addr, v.next_hop_mac, 6);
	/* Channel and peer entries go in pairs; a vector may hold either alone. Peer entries
	 * first: a hairpin's channel then finds its far end as it is written, and the worker
	 * takes that far slot (HairpinFarSlotIsTakenOnlyWhileItHolds covers the lookup too). */
	/* Each slot from zero on every worker, as dp_chan_add and dp_perm_add hand them out (the
	 * other tests here leave traffic counted in slots they used): a Data indication's
	 * transaction ID counts from there. */
	auto fresh = [](uint32_t slot) {
		for (unsigned w = 0; w < plane->nworkers; w++)
			plane->workers[w]->bindings[slot] = tp_binding_stat{};
	};
	for (unsigned i = 0; i < v.npeers; i++)
		fresh(v.peers[i].val.slot);
	for (unsigned i = 0; i < v.nchans; i++)
		fresh(v.chans[i].val.slot);
	for (unsigned i = 0; i < v.nperms; i++)
		fresh(v.perms[i].val.slot);
	for (unsigned i = 0; i < v.nsends; i++)
		fresh(v.sends[i].val.slot);
	for (unsigned i = 0; i < v.npeers; i++)
		ASSERT_GE(dp_table_put_peer(plane, &v.peers[i].key, &v.peers[i].val), 0);
	for (unsigned i = 0; i < v.nperms; i++)
		ASSERT_GE(dp_table_put_perm(plane, &v.perms[i].key, &v.perms[i].val), 0);
	for (unsigned i = 0; i < v.nsends; i++)
		ASSERT_GE(dp_table_put_send(plane, &v.sends[i].key, &v.sends[i].val), 0);
	for (unsigned i = 0; i < v.nchans; i++)
		ASSERT_GE(dp_table_put_chan(plane, &v.chans[i].key, &v.chans[i].val), 0);
	loaded = &v;
}

/* Dequeue one frame from r within a second. */
std::vector<uint8_t>
take(rte_ring *r, bool *got)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);
	rte_mbuf *m;

	*got = false;
	while (std::chrono::steady_clock::now() < deadline) {
		if (rte_ring_dequeue(r, (void **)&m) == 0) {
			std::vector<uint8_t> out(rte_pktmbuf_data_len(m));
			memcpy(out.data(), rte_pktmbuf_mtod(m, uint8_t *), out.size());
			EXPECT_EQ(m->nb_segs, 1);
			rte_pktmbuf_free(m);
			*got = true;
			return out;
		}
		std::this_thread::sleep_for(std::chrono::microseconds(50));
	}
	return {};
}

/* v's input into RX queue q, in an mbuf with v's headroom where it names one. */
bool
receive(const tp_vector &v, unsigned q = 0)
{
	rte_mbuf *m = rte_pktmbuf_alloc(pool);

	if (!m)
		return false;
	if (v.headroom >= 0)
		m->data_off = (uint16_t)v.headroom;
	memcpy(rte_pktmbuf_append(m, (uint16_t)v.in_len), v.in, v.in_len);
	if (rte_ring_enqueue(rx_rings[q], m) != 0) {
		rte_pktmbuf_free(m);
		return false;
	}
	return true;
}

class DpdkGolden : public ::testing::TestWithParam<unsigned>
{
};

TEST_P(DpdkGolden, WorkerLoopGivesTheVectorsVerdictAndBytes)
{
	const tp_vector &v = tp_vectors[GetParam()];
	int reason = reason_by_name(v.reason);
	bool got = false;

	SCOPED_TRACE(v.description);
	if (v.not_dpdk)
		GTEST_SKIP() << "not recreated on DPDK: " << v.not_dpdk;
	ASSERT_FALSE(v.cannot_sum_payload)
		<< "the DPDK dataplane sums payloads: the vector must say so";
	ASSERT_GE(reason, 0);
	load(v);
	uint64_t before = reason_count(reason);
	uint64_t bind_before =
		v.slot ? binding_count(v.slot, to_peer(v) ? TP_DIR_TO_PEER : TP_DIR_TO_CLIENT) : 0;

	/* Through each worker in turn: worker q reads RX queue q and sends on TX queue q. */
	for (unsigned q = 0; q < nqueues; q++) {
		SCOPED_TRACE("worker " + std::to_string(q));
		uint64_t was = reason_count(reason);

		ASSERT_TRUE(receive(v, q)) << "no mbuf, or the RX ring full";

		std::string action = v.action;
		if (action == "relayed" || action == "hairpinned") {
			auto out = take(tx_rings[q], &got);
			ASSERT_TRUE(got) << "nothing left by the port";
			EXPECT_EQ(out, std::vector<uint8_t>(v.out, v.out + v.out_len))
				<< "differing bytes:" << differences(out, v);
		} else if (action == "drop") {
			for (int i = 0; i < 1000 && reason_count(reason) == was; i++)
				std::this_thread::sleep_for(std::chrono::microseconds(100));
			EXPECT_EQ(rte_ring_count(tx_rings[q]), 0u);
			EXPECT_EQ(rte_ring_count(plane->punt), 0u);
		} else {
			auto out = take(plane->punt, &got);
			ASSERT_TRUE(got) << "nothing reached the control thread";
			EXPECT_EQ(out, std::vector<uint8_t>(v.in, v.in + v.in_len))
				<< "not as it arrived";
		}
		EXPECT_EQ(rte_ring_count(tx_rings[q]), 0u);
	}
	/* Every worker's count: the frame once per worker, under its reason and its binding. */
	EXPECT_EQ(reason_count(reason), before + nqueues) << "reason " << v.reason;
	if (v.slot) {
		EXPECT_EQ(binding_count(v.slot, to_peer(v) ? TP_DIR_TO_PEER : TP_DIR_TO_CLIENT),
			  bind_before + nqueues);
	}
}

std::string
vector_name(const ::testing::TestParamInfo<unsigned> &info)
{
	return tp_vectors[info.param].ident;
}

INSTANTIATE_TEST_SUITE_P(Vectors, DpdkGolden, ::testing::Range(0u, tp_nvectors), vector_name);

tp_addr
addr(const char *ip, uint16_t port)
{
	tp_addr a;

	EXPECT_EQ(tp_addr_parse_ip(&a, ip), 0);
	a.port = port;
	return a;
}

/* Binding c in through the engine's op. Out of slots only while the worker has not passed a
 * quiescent state since the last ones were retired (a starved core: tests share the
 * machine): then once more, after waiting up to 5 s for a slot to come back. */
int
add_binding(const tp_binding &c)
{
	int ret = dp_chan_add(plane, &c);

	if (ret == -ENOSPC && dp_slots_reclaim(plane, 5000, false) > 0)
		ret = dp_chan_add(plane, &c);
	return ret;
}

/*
 * Bindings come and go three times over the table's size, through the engine's ops, while
 * the worker runs: a deleted binding's slot comes back (after the worker's quiescent state),
 * so adding never runs out; each new binding finds its slot's counters at zero; and the
 * values the keys point at are the binding's own.
 */
TEST(DpdkTables, SlotsComeBackAndStartFromZero)
{
	const uint32_t rounds = 3 * cfg.dpdk.max_bindings;
	uint32_t nfree = plane->slots.nfree;

	for (uint32_t i = 0; i < rounds; i++) {
		tp_binding c = { addr("198.51.100.10", (uint16_t)(10000 + i % 50000)),
				 addr("192.0.2.1", 50000),
				 addr("198.51.100.200", 40000),
				 (uint16_t)(0x4000 + i % 0x4000),
				 i + 1,
				 0 };
		tp_chan_key ck;
		tp_chan_val cv;
		tp_peer_key pk;
		tp_peer_val pv;
		void *v;

		ASSERT_EQ(add_binding(c), 0) << "binding " << i << " of " << rounds;
		tp_dataplane_entries(&c, &ck, &cv, &pk, &pv);
		ASSERT_GE(rte_hash_lookup_data(plane->chans, &ck, &v), 0);
		uint32_t slot = static_cast<tp_chan_val *>(v)->slot;
		ASSERT_GE(slot, 1u);
		ASSERT_LE(slot, cfg.dpdk.max_bindings);
		EXPECT_EQ(static_cast<tp_chan_val *>(v)->peer_port, cv.peer_port);
		ASSERT_GE(rte_hash_lookup_data(plane->peers, &pk, &v), 0);
		EXPECT_EQ(static_cast<tp_peer_val *>(v)->slot, slot);
		EXPECT_EQ(static_cast<tp_peer_val *>(v)->channel, pv.channel);
		EXPECT_EQ(binding_count(slot, TP_DIR_TO_PEER), 0u);
		EXPECT_EQ(binding_count(slot, TP_DIR_TO_CLIENT), 0u);
		/* Some traffic on it, so that a slot reused too early would show. */
		plane->workers[0]->bindings[slot].packets[TP_DIR_TO_PEER] += 1;
		dp_chan_del(plane, &c);
	}
	/* Every slot back, once the worker has moved on. */
	EXPECT_EQ(dp_slots_reclaim(plane, 5000, true), nfree);
}

/*
 * The binding tables' key compare (rte_hash calls memcmp for keys of 20 and 24 bytes; these
 * have their own): a key equals itself and a copy, and differs from one with any single bit
 * of any byte flipped, for both key sizes and keys as unaligned as rte_hash may hand them.
 * rte_hash compares only keys whose hashes agree in a bucket, so lookups alone would miss
 * a compare that ignores some bytes.
 */
TEST(DpdkTables, KeyCompareSeesEveryByte)
{
	for (size_t len : { sizeof(tp_chan_key), sizeof(tp_peer_key) }) {
		alignas(8) uint8_t a[32], b[33];

		for (size_t i = 0; i < len; i++)
			a[i] = (uint8_t)(0x5a + 37 * i);
		memcpy(b + 1, a, len);
		EXPECT_EQ(dp_keys_differ(a, a, len), 0) << len;
		EXPECT_EQ(dp_keys_differ(a, b + 1, len), 0) << len;
		for (size_t i = 0; i < len; i++)
			for (unsigned bit = 0; bit < 8; bit++) {
				b[1 + i] ^= (uint8_t)(1u << bit);
				EXPECT_NE(dp_keys_differ(a, b + 1, len), 0) << len << " " << i;
				EXPECT_NE(dp_keys_differ(b + 1, a, len), 0) << len << " " << i;
				b[1 + i] ^= (uint8_t)(1u << bit);
			}
	}
}

/*
 * The workers hash a burst's keys themselves and look them up by hash (dp_hash.h): a key's
 * hash there must be the one rte_hash gave it when the control thread added it, in each
 * table under that table's seed, or every lookup misses.
 */
TEST(DpdkTables, WorkersHashAsTheTablesDo)
{
	for (uint16_t i = 0; i < 64; i++) {
		tp_binding c = { addr("198.51.100.10", (uint16_t)(20000 + i)),
				 addr("192.0.2.1", 50000),
				 addr("2001:db8::20", 40000),
				 (uint16_t)(0x4000 + i),
				 i + 1u,
				 0 };
		tp_chan_key ck;
		tp_chan_val cv;
		tp_peer_key pk;
		tp_peer_val pv;

		tp_dataplane_entries(&c, &ck, &cv, &pk, &pv);
		EXPECT_EQ(dp_key_hash(&ck, sizeof(ck), plane->chans_seed),
			  rte_hash_hash(plane->chans, &ck))
			<< i;
		EXPECT_EQ(dp_key_hash(&pk, sizeof(pk), plane->peers_seed),
			  rte_hash_hash(plane->peers, &pk))
			<< i;
	}
}

/* An address in tp_addr form from the tables' 16-byte form and a port in network order. */
tp_addr
from16(const uint8_t ip[16], uint16_t port_be)
{
	tp_addr a = {};

	if (tp_ip16_family(ip) == TP_FAM_V4) {
		a.family = TP_FAM_V4;
		memcpy(a.ip, ip + 12, 4);
	} else {
		a.family = TP_FAM_V6;
		memcpy(a.ip, ip, 16);
	}
	a.port = ntohs(port_be);
	return a;
}

/* v's input through the worker: what the port sent (*relayed) or the control thread got. */
std::vector<uint8_t>
send_one(const tp_vector &v, bool *relayed)
{
	auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(1);

	*relayed = false;
	if (!receive(v)) {
		ADD_FAILURE() << "no mbuf, or the RX ring full";
		return {};
	}
	while (std::chrono::steady_clock::now() < deadline) {
		rte_ring *r = rte_ring_count(tx_ring)	    ? tx_ring
			      : rte_ring_count(plane->punt) ? plane->punt
							    : nullptr;
		bool got;

		if (r) {
			*relayed = r == tx_ring;
			return take(r, &got);
		}
		std::this_thread::sleep_for(std::chrono::microseconds(50));
	}
	ADD_FAILURE() << "the frame went nowhere";
	return {};
}

uint32_t
peer_slot(const tp_peer_key &k)
{
	void *v;

	return rte_hash_lookup_data(plane->peers, &k, &v) >= 0 ? static_cast<tp_peer_val *>(v)->slot
							       : 0;
}

/*
 * A hairpin's far slot, its far end's peer cell (struct dp_chan_cell),: set whichever of the two
 * bindings comes first, moved when the far end's binding comes back at another slot, and
 * taken only while the cell holds the entry under the hairpin's own key. Whatever the far slot
 * says, the frame goes where the tables say, and counts on the far end's slot.
 */
TEST(DpdkTables, HairpinFarSlotIsTakenOnlyWhileItHolds)
{
	const tp_vector *v = tp_vec_by_name("cd4-to-cd4");

	ASSERT_NE(v, nullptr);
	ASSERT_EQ(v->nchans, 1u);
	ASSERT_EQ(v->npeers, 1u);
	load(*v);
	/* The vector's entries out; the same two bindings in, as the engine writes them. */
	tp_peer_key none_p = {};
	tp_chan_key none_c = {};
	dp_table_remove(plane, &v->chans[0].key, &none_p);
	dp_table_remove(plane, &none_c, &v->peers[0].key);
	loaded = nullptr;

	const tp_vec_chan &ac = v->chans[0]; /* A's channel toward B's relayed address */
	const tp_vec_peer &bp = v->peers[0]; /* B's peer entry for A's relayed address */
	tp_binding a = { from16(ac.key.client_ip, ac.key.client_port),
			 {},
			 from16(ac.val.peer_ip, ac.val.peer_port),
			 ntohs(ac.key.channel),
			 1,
			 ac.val.relay_index };
	tp_binding b = { from16(bp.val.client_ip, bp.val.client_port),
			 {},
			 from16(bp.key.peer_ip, bp.key.peer_port),
			 ntohs(bp.val.channel),
			 2,
			 bp.key.relay_index };
	/* Each relayed address: the relay's own, as the other's peer is, at its allocation port. */
	a.relay = a.peer;
	a.relay.port = ntohs(ac.val.alloc_port);
	b.relay = b.peer;
	b.relay.port = ntohs(bp.key.alloc_port);
	std::vector<uint8_t> want(v->out, v->out + v->out_len);
	bool relayed;
	void *cv;

	auto far_slot = [&]() {
		EXPECT_GE(rte_hash_lookup_data(plane->chans, &ac.key, &cv), 0);
		return __atomic_load_n(&static_cast<dp_chan_cell *>(cv)->far_slot,
				       __ATOMIC_RELAXED);
	};

	/* B first, then A: A's channel finds B's entry as it is written. */
	ASSERT_EQ(dp_chan_add(plane, &b), 0);
	ASSERT_EQ(dp_chan_add(plane, &a), 0);
	uint32_t b_slot = peer_slot(bp.key);
	ASSERT_NE(b_slot, 0u);
	EXPECT_EQ(far_slot(), b_slot);
	uint64_t before = binding_count(b_slot, TP_DIR_TO_CLIENT);
	EXPECT_EQ(send_one(*v, &relayed), want);
	EXPECT_TRUE(relayed);
	EXPECT_EQ(binding_count(b_slot, TP_DIR_TO_CLIENT), before + 1);

	/* B gone: the far slot no longer holds; the engine hears of the frame, as without it. */
	dp_chan_del(plane, &b);
	EXPECT_EQ(far_slot(), b_slot) << "the far slot stays; the cell says it is no longer B's";
	EXPECT_EQ(send_one(*v, &relayed), std::vector<uint8_t>(v->in, v->in + v->in_len));
	EXPECT_FALSE(relayed) << "relayed to a binding that has left";

	/* B back at another slot (the old one is still in its grace period): A's far slot moves. */
	ASSERT_EQ(dp_chan_add(plane, &b), 0);
	uint32_t b_again = peer_slot(bp.key);
	ASSERT_NE(b_again, 0u);
	ASSERT_NE(b_again, b_slot);
	EXPECT_EQ(far_slot(), b_again);
	EXPECT_EQ(send_one(*v, &relayed), want);
	EXPECT_TRUE(relayed);
	EXPECT_EQ(binding_count(b_again, TP_DIR_TO_CLIENT), 1u);

	/* A far slot naming a cell under another key (A's own peer entry: a hairpin's key,
	 * reversed) is not taken: the frame still reaches B, by lookup. */
	tp_peer_key a_rev = bp.key;
	a_rev.peer_port = bp.key.alloc_port;
	a_rev.alloc_port = bp.key.peer_port;
	uint32_t a_slot = peer_slot(a_rev);
	ASSERT_NE(a_slot, 0u);
	__atomic_store_n(&static_cast<dp_chan_cell *>(cv)->far_slot, a_slot, __ATOMIC_RELEASE);
	EXPECT_EQ(send_one(*v, &relayed), want);
	EXPECT_TRUE(relayed);
	EXPECT_EQ(binding_count(b_again, TP_DIR_TO_CLIENT), 2u);

	/* B leaving and coming back while frames stream through the worker: every frame comes
	 * out whole and as the tables say, or reaches the engine as it came, or (TX ring full)
	 * is counted as refused; none goes missing. Each round's frames are in flight while B
	 * changes, and accounted for before the next round. */
	const unsigned rounds = 200, per_round = 16;
	const uint64_t refused_before = plane->workers[0]->tx_dropped;
	unsigned sent = 0, out = 0, punted = 0, wrong = 0;
	auto accounted = [&]() {
		for (rte_mbuf *m; rte_ring_dequeue(tx_ring, (void **)&m) == 0; out++) {
			wrong += rte_pktmbuf_data_len(m) != want.size() ||
				 memcmp(rte_pktmbuf_mtod(m, uint8_t *), want.data(), want.size()) !=
					 0;
			rte_pktmbuf_free(m);
		}
		for (rte_mbuf *m; rte_ring_dequeue(plane->punt, (void **)&m) == 0; punted++)
			rte_pktmbuf_free(m);
		return out + punted + (plane->workers[0]->tx_dropped - refused_before);
	};
	for (unsigned r = 0; r < rounds; r++) {
		for (unsigned i = 0; i < per_round; i++, sent++)
			ASSERT_TRUE(receive(*v)) << "no mbuf, or the RX ring full";
		if (r % 2 == 0)
			dp_chan_del(plane, &b);
		else
			ASSERT_EQ(add_binding(b), 0) << "round " << r;
		auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
		while (accounted() < sent && std::chrono::steady_clock::now() < deadline)
			std::this_thread::sleep_for(std::chrono::microseconds(50));
		ASSERT_EQ(accounted(), sent) << "round " << r << ": frames missing";
	}
	EXPECT_EQ(wrong, 0u);
	EXPECT_GT(out, 0u);
	EXPECT_GT(punted, 0u);

	dp_chan_del(plane, &a);
	dp_chan_del(plane, &b);
}

/*
 * Without a static next-hop MAC, the worker finds a next hop's MAC in the neighbour table
 * and keeps it; when the control thread learns a new MAC for it, the next frame goes there.
 */
/* A port is stalled only when it has received nothing for DP_STALL_MS while it missed frames
 * on every look; an idle port (nothing missed) and a busy one (misses, but frames coming in)
 * are not. */
TEST(DpdkPort, StalledOnlyWhenMissingWithoutReceiving)
{
	struct dp_port_watch w = {};
	uint64_t t = 1000;

	EXPECT_FALSE(dp_port_stalled(&w, 10, 0, t));	     /* the first look starts the watch */
	for (t += 250; t < 1000 + 4 * DP_STALL_MS; t += 250) /* idle: nothing missed */
		EXPECT_FALSE(dp_port_stalled(&w, 10, 0, t));
	for (uint64_t rx = 11, miss = 1; rx < 30; rx++, miss += 100, t += 250) /* busy */
		EXPECT_FALSE(dp_port_stalled(&w, rx, miss, t));

	/* Overloaded and deaf: misses climb, nothing is received. */
	uint64_t rx = 30, miss = 5000, start = t;
	bool stalled = false;

	EXPECT_FALSE(dp_port_stalled(&w, rx, miss, t));
	while (!stalled && t < start + 4 * DP_STALL_MS) {
		t += 250;
		miss += 1000;
		stalled = dp_port_stalled(&w, rx, miss, t);
	}
	EXPECT_TRUE(stalled);
	EXPECT_EQ(t - start, (uint64_t)DP_STALL_MS);

	/* A tick without a miss in the window starts it over. */
	struct dp_port_watch v = {};

	EXPECT_FALSE(dp_port_stalled(&v, 1, 1, 1000));
	EXPECT_FALSE(dp_port_stalled(&v, 1, 2, 1000 + DP_STALL_MS / 2));
	EXPECT_FALSE(dp_port_stalled(&v, 1, 2, 1000 + DP_STALL_MS));
	EXPECT_FALSE(dp_port_stalled(&v, 1, 3, 1000 + DP_STALL_MS + 250));
}

TEST(DpdkNeighbours, WorkerFollowsANeighboursNewMac)
{
	const tp_vector *v = tp_vec_by_name("cd4-to-udp4");
	const rte_ether_addr mac1 = { { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x01 } };
	const rte_ether_addr mac2 = { { 0x02, 0x00, 0x5e, 0x00, 0x00, 0x02 } };
	uint8_t gw16[16];
	bool relayed;

	ASSERT_NE(v, nullptr);
	load(*v);
	/* The peer is off-link: behind a gateway on the relay's /24. */
	const tp_cfg_mac was_mac = cfg.dpdk.nexthop_mac;
	const tp_addr was_gw = cfg.dpdk.gateway[0];
	const uint8_t was_len = cfg.dpdk.prefix_len[0];
	cfg.dpdk.gateway[0] = addr("192.0.2.254", 0);
	cfg.dpdk.prefix_len[0] = 24;
	cfg.dpdk.nexthop_mac.set = false;
	tp_ip_to16(gw16, cfg.dpdk.gateway[0].ip, TP_FAM_V4);

	ASSERT_EQ(dp_neigh_set(plane, gw16, &mac1), 0);
	for (int i = 0; i < 2; i++) { /* the second from the worker's cache */
		auto out = send_one(*v, &relayed);
		ASSERT_TRUE(relayed);
		EXPECT_EQ(memcmp(out.data(), mac1.addr_bytes, 6), 0) << "frame " << i;
	}
	ASSERT_EQ(dp_neigh_set(plane, gw16, &mac2), 0);
	auto out = send_one(*v, &relayed);
	ASSERT_TRUE(relayed);
	EXPECT_EQ(memcmp(out.data(), mac2.addr_bytes, 6), 0) << "still to the old MAC";
	/* Apart from the MAC, the golden frame. */
	EXPECT_EQ(std::vector<uint8_t>(out.begin() + 6, out.end()),
		  std::vector<uint8_t>(v->out + 6, v->out + v->out_len));

	rte_hash_del_key(plane->neigh, gw16);
	cfg.dpdk.nexthop_mac = was_mac;
	cfg.dpdk.gateway[0] = was_gw;
	cfg.dpdk.prefix_len[0] = was_len;
}

} // namespace

int
main(int argc, char **argv)
{
	char prefix[64], lcores[64], err[512];
	const char *eal[] = { argv[0], "--no-huge", "-m",
			      "512",   "--no-pci",  "--lcores",
			      lcores,  prefix,	    "--log-level=*:error" };
	const char *workers = getenv("TP_DPDK_WORKERS");
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);

	::testing::InitGoogleTest(&argc, argv);
	if (workers)
		nqueues = (unsigned)atoi(workers);
	if (nqueues < 1 || nqueues > MAX_QUEUES) {
		fprintf(stderr, "TP_DPDK_WORKERS: 1 to %d\n", MAX_QUEUES);
		return 2;
	}
	/* The main lcore and a worker lcore each; more lcores than CPUs share them. */
	snprintf(lcores, sizeof(lcores), "(0-%u)@(0-%ld)", nqueues, cpus > 1 ? cpus - 1 : 0);
	snprintf(prefix, sizeof(prefix), "--file-prefix=tpvec%d", (int)getpid());
	if (rte_eal_init((int)(sizeof(eal) / sizeof(eal[0])), (char **)eal) < 0) {
		fprintf(stderr, "EAL: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	if (tp_config_defaults(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	cfg.dpdk.max_bindings = 1024;
	pool = rte_pktmbuf_pool_create("tpvec", 4095, 64, 0, RTE_MBUF_DEFAULT_BUF_SIZE,
				       (int)rte_socket_id());
	for (unsigned q = 0; q < nqueues; q++) {
		std::string rx = "tpvec_rx" + std::to_string(q),
			    tx = "tpvec_tx" + std::to_string(q);

		rx_rings[q] = rte_ring_create(rx.c_str(), 1024, (int)rte_socket_id(),
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		tx_rings[q] = rte_ring_create(tx.c_str(), 1024, (int)rte_socket_id(),
					      RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!rx_rings[q] || !tx_rings[q]) {
			fprintf(stderr, "cannot make ring %u: %s\n", q, rte_strerror(rte_errno));
			return 1;
		}
	}
	rx_ring = rx_rings[0];
	tx_ring = tx_rings[0];
	int p = rte_eth_from_rings("net_ring_tpvec", rx_rings, nqueues, tx_rings, nqueues,
				   (unsigned)rte_socket_id());
	if (!pool || p < 0) {
		fprintf(stderr, "cannot make the ring port: %s\n", rte_strerror(rte_errno));
		return 1;
	}
	port = (uint16_t)p;
	if (!(plane = dp_new(&cfg, port, &tp_vectors[0].cfg)) ||
	    dp_port_init(&cfg, port, plane->nworkers, pool) < 0) {
		fprintf(stderr, "cannot set up the dataplane\n");
		return 1;
	}
	plane->pool = pool;
	if (dp_launch(plane) < 0)
		return 1;
	int status = RUN_ALL_TESTS();
	dp_halt(plane);
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	dp_free(plane);
	rte_mempool_free(pool);
	for (unsigned q = 0; q < nqueues; q++) {
		rte_ring_free(rx_rings[q]);
		rte_ring_free(tx_rings[q]);
	}
	/* DPDK 22.11 leaves its run directory behind: this process's own, so it goes too. */
	std::string run_dir = rte_eal_get_runtime_dir();
	rte_eal_cleanup();
	std::error_code ec;
	std::filesystem::remove_all(run_dir, ec);
	return status;
}
