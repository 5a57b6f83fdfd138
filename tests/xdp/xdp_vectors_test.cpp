/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The XDP program against the golden vectors, through BPF_PROG_TEST_RUN: the same vector set
 * the core's own test and the DPDK runner use, one set, several runners. For each vector the
 * program is configured as the vector says (static next hop: the vector's MACs), its tables
 * hold the vector's bindings and nothing else, and the kernel runs it on the input frame: the
 * XDP action, the output bytes, the reason counter and the binding counters must be what the
 * vector expects. Frames the program hands to the kernel must come back exactly as they went
 * in.
 *
 * The configuration is .rodata, fixed at load, and the verifier's pass over the program is
 * what a load costs (about a second here). The suite loads the program once per distinct
 * configuration the vectors use (three), keeps it for the suite (SetUpTestSuite /
 * TearDownTestSuite), and each vector starts on empty tables and reads its counters as
 * differences from before the run.
 *
 * A vector's conditions are recreated here: an unresolved next hop is the kernel's own answer
 * (next hop by bpf_fib_lookup(), run in a network namespace with no routes). What XDP cannot
 * recreate (a headroom: BPF_PROG_TEST_RUN always gives the program its full headroom; a
 * dataplane that cannot sum a payload: the program sums it) the vector says in not_xdp, and
 * the test is reported skipped with that text.
 *
 * The vectors with table entries run a second time (XdpGoldenKept) with those entries as the
 * XDP dataplane keeps them (struct tp_xdp_chan_val, for channels and sends, and
 * tp_xdp_peer_val, by their _of() functions): a hairpin's far end beside its channel, and that peer
 * entry left out of tp_peers, so that only the kept value can complete the hairpin; each output's
 * IPv6 flow label beside its value, which the program then takes instead of working it out.
 *
 * Needs root (CAP_BPF); CI runs as root.
 */
#include <gtest/gtest.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <sched.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "tp_vectors.h"
#include "tp_xdp.h"
#include "turnpike.skel.h"

namespace
{

int
silent(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		vfprintf(stderr, fmt, ap);
	return 0;
}

/* The program as the loader would configure it for a vector (zeroed first: the bytes are the
 * key the suite's programs are kept by). */
tp_xdp_cfg
config_of(const tp_vector &v)
{
	tp_xdp_cfg c;

	memset(&c, 0, sizeof(c));
	memcpy(&c.core, &v.cfg, sizeof(c.core));
	c.nexthop = v.next_hop_unresolved ? TP_XDP_NEXTHOP_FIB : TP_XDP_NEXTHOP_STATIC;
	memcpy(c.src_mac, v.relay_mac, 6);
	memcpy(c.dst_mac, v.next_hop_mac, 6);
	return c;
}

/* The program loaded (and verified) for one configuration. */
struct Loaded {
	turnpike *skel = nullptr;

	explicit Loaded(const tp_xdp_cfg &cfg)
	{
		skel = turnpike__open();
		if (!skel)
			return;
		skel->rodata->tp_cfg = cfg;
		if (turnpike__load(skel)) {
			turnpike__destroy(skel);
			skel = nullptr;
		}
	}
	~Loaded()
	{
		turnpike__destroy(skel);
	}
	Loaded(const Loaded &) = delete;
	Loaded &operator=(const Loaded &) = delete;
	int fd(bpf_map *m)
	{
		return bpf_map__fd(m);
	}
	/* Empty a binding table, so that a vector runs on its own bindings only. */
	bool clear(bpf_map *m)
	{
		std::vector<uint8_t> key(bpf_map__key_size(m));
		std::vector<std::vector<uint8_t>> keys;

		while (bpf_map_get_next_key(fd(m), keys.empty() ? nullptr : keys.back().data(),
					    key.data()) == 0)
			keys.push_back(key);
		for (auto &k : keys)
			if (bpf_map_delete_elem(fd(m), k.data()) != 0)
				return false;
		return true;
	}
};

/* The suite's programs, by configuration; loaded when a vector first needs one. */
std::map<std::string, std::unique_ptr<Loaded>> programs;

Loaded *
program_for(const tp_vector &v)
{
	tp_xdp_cfg c = config_of(v);
	std::string key(reinterpret_cast<const char *>(&c), sizeof(c));
	auto &l = programs[key];

	if (!l)
		l = std::make_unique<Loaded>(c);
	return l->skel ? l.get() : nullptr;
}

uint64_t
sum_reason(Loaded &l, uint32_t reason)
{
	int ncpus = libbpf_num_possible_cpus();
	std::vector<tp_xdp_reason_stat> v((size_t)ncpus);
	uint64_t total = 0;

	if (bpf_map_lookup_elem(l.fd(l.skel->maps.tp_reason_stats), &reason, v.data()) == 0)
		for (auto &s : v)
			total += s.packets;
	return total;
}

uint64_t
sum_binding(Loaded &l, uint32_t slot, int dir)
{
	int ncpus = libbpf_num_possible_cpus();
	std::vector<tp_binding_stat> v((size_t)ncpus);
	uint64_t total = 0;

	if (bpf_map_lookup_elem(l.fd(l.skel->maps.tp_binding_stats), &slot, v.data()) == 0)
		for (auto &s : v)
			total += s.packets[dir];
	return total;
}

/* Lookups bpf_fib_lookup() did not resolve, summed over CPUs and return codes. */
uint64_t
sum_fib_failures(Loaded &l)
{
	int ncpus = libbpf_num_possible_cpus();
	std::vector<uint64_t> v((size_t)ncpus);
	uint64_t total = 0;

	for (uint32_t code = 1; code < TP_XDP_FIB_CODES; code++)
		if (bpf_map_lookup_elem(l.fd(l.skel->maps.tp_fib_stats), &code, v.data()) == 0)
			for (auto n : v)
				total += n;
	return total;
}

/*
 * Run the program from a thread in a network namespace of its own: BPF_PROG_TEST_RUN gives it
 * that namespace's loopback as the ingress device, and bpf_fib_lookup() finds no route there,
 * whatever routes and neighbours the host has.
 */
int
test_run_without_routes(int prog_fd, bpf_test_run_opts *run)
{
	int ret = -1, err = 0;
	std::thread t([&] {
		if (unshare(CLONE_NEWNET) != 0) {
			err = errno;
			return;
		}
		ret = bpf_prog_test_run_opts(prog_fd, run);
		err = errno;
	});

	t.join();
	errno = err;
	return ret;
}

int
reason_by_name(const char *name)
{
	for (int r = 0; r < TP_R_COUNT; r++)
		if (strcmp(tp_reason_name((enum tp_reason)r), name) == 0)
			return r;
	return -1;
}

/*
 * n channel or send entries e of vector v into table m: as the XDP dataplane keeps them where
 * kept (outputs' labels, and for channels, with_far, their hairpins' far ends), the core's
 * values alone otherwise (the program looks far ends up and works labels out).
 */
template <class Entry>
bool
put_chan_vals(Loaded &l, bpf_map *m, const Entry *e, unsigned n, const tp_vector &v, bool kept,
	      bool with_far)
{
	for (unsigned i = 0; i < n; i++) {
		tp_xdp_chan_val cv;

		memset(&cv, 0, sizeof(cv));
		cv.chan = e[i].val;
		if (kept)
			tp_xdp_chan_val_of(&cv, &v.cfg, &e[i].val,
					   with_far ? tp_vector_far(&v, &e[i].val) : nullptr);
		if (bpf_map_update_elem(l.fd(m), &e[i].key, &cv, BPF_ANY) != 0)
			return false;
	}
	return true;
}

/* Is peer entry e some channel's far end in vector v? */
bool
is_far_end(const tp_vector &v, const tp_vec_peer &e)
{
	for (unsigned i = 0; i < v.nchans; i++)
		if (tp_vector_far(&v, &v.chans[i].val) == &e.val)
			return true;
	return false;
}

/*
 * n peer or permission entries e of vector v into table m: as the XDP dataplane keeps them
 * where kept (with their outputs' labels; the channels' far ends left out), the core's values
 * alone otherwise.
 */
bool
put_peers(Loaded &l, bpf_map *m, const tp_vec_peer *e, unsigned n, const tp_vector &v, bool kept)
{
	for (unsigned i = 0; i < n; i++) {
		tp_xdp_peer_val pv;

		if (kept && is_far_end(v, e[i]))
			continue;
		memset(&pv, 0, sizeof(pv));
		pv.peer = e[i].val;
		if (kept)
			tp_xdp_peer_val_of(&pv, &v.cfg, &e[i].val);
		if (bpf_map_update_elem(l.fd(m), &e[i].key, &pv, BPF_ANY) != 0)
			return false;
	}
	return true;
}

/* The vectors with table entries. */
std::vector<unsigned>
table_vectors()
{
	std::vector<unsigned> out;

	for (unsigned i = 0; i < tp_nvectors; i++)
		if (tp_vectors[i].nchans || tp_vectors[i].npeers || tp_vectors[i].nperms ||
		    tp_vectors[i].nsends)
			out.push_back(i);
	return out;
}

/*
 * Vector v through the program, its tables as the vector says (kept: as above): the action,
 * the bytes, the reason and binding counters.
 */
void
run_vector(const tp_vector &v, bool kept)
{
	SCOPED_TRACE(v.description);
	if (v.not_xdp)
		GTEST_SKIP() << "not recreated on XDP: " << v.not_xdp;
	ASSERT_LT(v.headroom, 0) << "XDP cannot set a frame's headroom: the vector must say so";

	Loaded *p = program_for(v);

	ASSERT_NE(p, nullptr) << "the program did not load";
	Loaded &l = *p;
	ASSERT_TRUE(l.clear(l.skel->maps.tp_chans) && l.clear(l.skel->maps.tp_peers) &&
		    l.clear(l.skel->maps.tp_perms) && l.clear(l.skel->maps.tp_sends))
		<< "the last vector's bindings are still in the tables";
	ASSERT_TRUE(put_chan_vals(l, l.skel->maps.tp_chans, v.chans, v.nchans, v, kept, true));
	ASSERT_TRUE(put_peers(l, l.skel->maps.tp_peers, v.peers, v.npeers, v, kept));
	ASSERT_TRUE(put_peers(l, l.skel->maps.tp_perms, v.perms, v.nperms, v, kept));
	ASSERT_TRUE(put_chan_vals(l, l.skel->maps.tp_sends, v.sends, v.nsends, v, kept, false));

	/* The program sums a payload where the output needs it (an IPv4 datagram without UDP
	 * checksum leaving as IPv6): those frames are relayed, byte for byte as expected. */
	ASSERT_FALSE(v.cannot_sum_payload)
		<< "the XDP program sums payloads: the vector must say so";
	std::string action = v.action;
	int reason = reason_by_name(v.reason);
	ASSERT_GE(reason, 0) << v.reason;

	std::vector<uint8_t> out(4096);
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = v.in, .data_out = out.data(),
		    .data_size_in = v.in_len, .data_size_out = (__u32)out.size(), .repeat = 1);
	/* Counters are the program's for the whole suite: each vector's are differences. */
	uint64_t before = sum_reason(l, (uint32_t)reason), fib_before = sum_fib_failures(l);
	int dir = strcmp(v.reason, "to-client") == 0 || strcmp(v.reason, "data-indication") == 0
			  ? TP_DIR_TO_CLIENT
			  : TP_DIR_TO_PEER;
	uint64_t counted_before = v.slot ? sum_binding(l, v.slot, dir) : 0;
	uint64_t counted_in_before = v.slot_in ? sum_binding(l, v.slot_in, TP_DIR_TO_CLIENT) : 0;
	int prog = bpf_program__fd(l.skel->progs.turnpike_xdp);
	int ret = v.next_hop_unresolved ? test_run_without_routes(prog, &run)
					: bpf_prog_test_run_opts(prog, &run);

	if (v.in_len < 14) {
		/* The kernel gives XDP no frame shorter than an Ethernet header (nor does a NIC):
		 * BPF_PROG_TEST_RUN refuses it, so the program can never see this one. */
		EXPECT_EQ(ret, -EINVAL);
		return;
	}
	ASSERT_EQ(ret, 0) << strerror(errno);
	out.resize(run.data_size_out);

	if (action == "relayed" || action == "hairpinned") {
		EXPECT_EQ(run.retval, (__u32)XDP_TX);
		EXPECT_EQ(out, std::vector<uint8_t>(v.out, v.out + v.out_len));
	} else if (action == "drop") {
		EXPECT_EQ(run.retval, (__u32)XDP_DROP);
	} else {
		EXPECT_EQ(run.retval, (__u32)XDP_PASS) << action;
		EXPECT_EQ(out, std::vector<uint8_t>(v.in, v.in + v.in_len)) << "not as it arrived";
	}
	EXPECT_EQ(sum_reason(l, (uint32_t)reason), before + 1) << "reason " << v.reason;
	if (v.next_hop_unresolved) {
		EXPECT_EQ(sum_fib_failures(l), fib_before + 1)
			<< "the kernel was not asked for the next hop";
	}
	if (v.slot) {
		EXPECT_EQ(sum_binding(l, v.slot, dir), counted_before + 1);
	}
	if (v.slot_in) {
		EXPECT_EQ(sum_binding(l, v.slot_in, TP_DIR_TO_CLIENT), counted_in_before + 1);
	}
}

class XdpGolden : public ::testing::TestWithParam<unsigned>
{
      protected:
	static void SetUpTestSuite()
	{
		libbpf_set_print(silent);
	}
	static void TearDownTestSuite()
	{
		programs.clear();
	}
	void SetUp() override
	{
		if (geteuid() != 0)
			GTEST_SKIP() << "BPF_PROG_TEST_RUN needs root; CI runs as root";
	}
};

TEST_P(XdpGolden, SameVerdictAndBytesAsTheCore)
{
	run_vector(tp_vectors[GetParam()], false);
}

class XdpGoldenKept : public XdpGolden
{
};

TEST_P(XdpGoldenKept, SameVerdictAndBytesAsTheCore)
{
	run_vector(tp_vectors[GetParam()], true);
}

std::string
vector_name(const ::testing::TestParamInfo<unsigned> &info)
{
	return tp_vectors[info.param].ident;
}

INSTANTIATE_TEST_SUITE_P(Vectors, XdpGolden, ::testing::Range(0u, tp_nvectors), vector_name);
INSTANTIATE_TEST_SUITE_P(Vectors, XdpGoldenKept, ::testing::ValuesIn(table_vectors()), vector_name);

} // namespace
