/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/core against the golden vectors: every vector through the core gives its verdict
 * and, byte for byte, its expected frame; every frame the core rewrites is then checked
 * again by recomputing its IPv4 header and UDP checksums in full, here, without the core's
 * helpers. The vector set itself must cover the twelve rewrites and every reason.
 */
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "vector_runner.h"

namespace
{

std::string
hexdump(const uint8_t *p, unsigned n)
{
	std::string s;
	char b[4];

	for (unsigned i = 0; i < n; i++) {
		snprintf(b, sizeof(b), "%02x", p[i]);
		s += b;
		s += i % 16 == 15 ? "\n" : " ";
	}
	return s;
}

/* One's complement sum, written out plainly: the independent check of the core's output. */
/* Verify a rewritten frame's checksums from scratch. */
void
verify_checksums(const uint8_t *f, unsigned len, const char *name)
{
	unsigned l3 = 14;
	unsigned type = f[12] << 8 | f[13];

	if (type == 0x8100) {
		type = f[16] << 8 | f[17];
		l3 = 18;
	}
	ASSERT_TRUE(type == 0x0800 || type == 0x86DD) << name;
	if (type == 0x0800) {
		const uint8_t *ip = f + l3;
		unsigned tot = ip[2] << 8 | ip[3];

		ASSERT_EQ(ip[0], 0x45) << name;
		ASSERT_EQ(l3 + tot, len) << name << ": IP total length";
		EXPECT_EQ(tp_vec_ones_sum(ip, 20, 0), 0xffffu) << name << ": IPv4 header checksum";

		const uint8_t *udp = ip + 20;
		unsigned ulen = udp[4] << 8 | udp[5];

		ASSERT_EQ(ulen, tot - 20) << name;
		if (udp[6] == 0 && udp[7] == 0)
			return; /* no checksum: allowed in IPv4 only */
		uint32_t sum = tp_vec_ones_sum(ip + 12, 8, 0);

		sum = tp_vec_ones_sum(udp, ulen, sum + 17 + ulen);
		EXPECT_EQ(sum, 0xffffu) << name << ": UDP checksum over IPv4";
		return;
	}
	const uint8_t *ip = f + l3;
	unsigned plen = ip[4] << 8 | ip[5];

	ASSERT_EQ(ip[0] >> 4, 6) << name;
	ASSERT_EQ(ip[6], 17) << name;
	ASSERT_EQ(l3 + 40 + plen, len) << name << ": IPv6 payload length";

	const uint8_t *udp = ip + 40;

	EXPECT_FALSE(udp[6] == 0 && udp[7] == 0) << name << ": IPv6 UDP needs a checksum";
	uint32_t sum = tp_vec_ones_sum(ip + 8, 32, 0);

	sum = tp_vec_ones_sum(udp, plen, sum + 17 + plen);
	EXPECT_EQ(sum, 0xffffu) << name << ": UDP checksum over IPv6";
}

class Golden : public ::testing::TestWithParam<unsigned>
{
};

TEST_P(Golden, VerdictAndFrame)
{
	const tp_vector &v = tp_vectors[GetParam()];
	tp_vec_result r;

	SCOPED_TRACE(v.description);
	tp_vec_run(&v, &r);
	EXPECT_STREQ(r.action, v.action);
	EXPECT_STREQ(r.reason, v.reason);
	EXPECT_EQ(std::vector<uint8_t>(r.frame, r.frame + r.len),
		  std::vector<uint8_t>(v.out, v.out + v.out_len))
		<< "got:\n"
		<< hexdump(r.frame, r.len) << "\nexpected:\n"
		<< hexdump(v.out, v.out_len);
	EXPECT_EQ(r.slot, v.slot);
	EXPECT_EQ(r.slot_in, v.slot_in);
}

TEST_P(Golden, RewrittenFramesVerifyInFull)
{
	const tp_vector &v = tp_vectors[GetParam()];
	tp_vec_result r;

	tp_vec_run(&v, &r);
	if (strcmp(v.action, "relayed") != 0 && strcmp(v.action, "hairpinned") != 0) {
		/* Not rewritten: must leave exactly as it came. */
		EXPECT_EQ(r.len, v.in_len);
		EXPECT_EQ(memcmp(r.frame, v.in, v.in_len), 0) << v.name;
		return;
	}
	verify_checksums(r.frame, r.len, v.name);
}

std::string
vector_name(const ::testing::TestParamInfo<unsigned> &info)
{
	return tp_vectors[info.param].ident;
}

INSTANTIATE_TEST_SUITE_P(Vectors, Golden, ::testing::Range(0u, tp_nvectors), vector_name);

TEST(VectorSet, CoversTheTwelveRewritesPaddingAndZeroChecksums)
{
	std::set<std::string> names;

	for (unsigned i = 0; i < tp_nvectors; i++)
		names.insert(tp_vectors[i].name);
	for (const char *in : { "cd4", "cd6" })
		for (const char *out : { "udp4", "udp6", "cd4", "cd6" })
			EXPECT_TRUE(names.count(std::string(in) + "-to-" + out))
				<< in << "-to-" << out;
	for (const char *in : { "udp4", "udp6" })
		for (const char *out : { "cd4", "cd6" })
			EXPECT_TRUE(names.count(std::string(in) + "-to-" + out))
				<< in << "-to-" << out;
	for (const char *n :
	     { "cd4-to-udp4-pad3", "cd4-to-udp4-pad2", "cd4-to-udp6-pad1", "cd6-to-udp4-pad1",
	       "cd6-to-udp6-pad3", "cd4-to-cd6-pad2", "cd6-to-cd4-pad1", "cd4-to-udp4-zero-csum",
	       "cd4-to-udp6-zero-csum", "udp4-to-cd4-zero-csum", "udp4-to-cd6-zero-csum",
	       "cd4-to-cd4-zero-csum", "cd4-to-cd4-single-stack" })
		EXPECT_TRUE(names.count(n)) << n;
}

TEST(VectorSet, CoversEveryReason)
{
	std::set<std::string> reasons;

	for (unsigned i = 0; i < tp_nvectors; i++)
		reasons.insert(tp_vectors[i].reason);
	for (int r = 0; r < TP_R_COUNT; r++)
		EXPECT_TRUE(reasons.count(tp_reason_name((enum tp_reason)r)))
			<< "no vector for " << tp_reason_name((enum tp_reason)r);
}

/* IPv4 flags and fragments, and the fragment header of IPv6, each have their vector. */
TEST(VectorSet, CoversIpFlagsAndFragments)
{
	std::set<std::string> names;

	for (unsigned i = 0; i < tp_nvectors; i++)
		names.insert(tp_vectors[i].name);
	for (const char *n : { "cd4-to-udp4-df-clear", "udp4-to-cd4-df-clear",
			       "udp4-to-cd4-reserved-flag", "cd4-to-udp4-reserved-flag",
			       "ipv4-fragment", "ipv4-fragment-later", "ipv6-fragment" })
		EXPECT_TRUE(names.count(n)) << n;
}

/* RFC 1624 section 4's worked example: HC 0xDD2F, m 0x5555 -> m' 0x3285 gives 0x0000. */
TEST(Checksum, Rfc1624Example)
{
	EXPECT_EQ(tp_csum_replace16(0xDD2F, 0x5555, 0x3285), 0x0000);
}

TEST(Checksum, IncrementalEqualsFullRecomputation)
{
	uint8_t hdr[20] = { 0x45, 0xba, 0x00, 0x30, 0x12, 0x34, 0x40, 0x00, 64, 17,
			    0,	  0,	198,  51,   100,  10,	192,  0,    2,	1 };
	uint8_t addr[4] = { 198, 51, 100, 200 };

	tp_be16 check = tp_csum_ipv4_hdr(hdr);
	memcpy(hdr + 10, &check, 2);
	EXPECT_EQ(tp_vec_ones_sum(hdr, 20, 0), 0xffffu);

	/* Replace the destination address incrementally, then check from scratch. */
	check = tp_csum_replace(check, hdr + 16, addr, 4);
	memcpy(hdr + 16, addr, 4);
	memcpy(hdr + 10, &check, 2);
	EXPECT_EQ(tp_vec_ones_sum(hdr, 20, 0), 0xffffu);
}

/*
 * A dataplane that keeps a binding's IPv6 flow label (the DPDK tables do) hands it over in
 * p.flow_label: the rewrite writes that label, with the checksums still right, instead of
 * working it out; left 0, the rewrite works it out (as every golden vector shows).
 */
TEST(FlowLabel, KeptLabelIsWritten)
{
	const tp_vector *v = tp_vec_by_name("cd4-to-udp6");
	uint8_t buf[TP_VEC_BUF];
	tp_pkt p;

	ASSERT_NE(v, nullptr);
	uint8_t *frame = buf + TP_VEC_HEADROOM;
	memcpy(frame, v->in, v->in_len);
	ASSERT_EQ(tp_classify(&p, frame, frame + v->in_len, &v->cfg), TP_STEP_LOOKUP_CHAN);
	ASSERT_EQ(tp_on_chan(&p, &v->cfg, tp_vec_find_chan(v, &p.ckey)), TP_STEP_REWRITE);
	EXPECT_EQ(p.flow_label, 0u) << "classify leaves no label behind";
	p.flow_label = 0x5a5a5;
	uint8_t *out = frame - tp_head_delta(&p);
	ASSERT_EQ(tp_rewrite(&p, out, out + tp_out_len(&p), v->relay_mac, v->next_hop_mac),
		  TP_R_TO_PEER);
	ASSERT_EQ(tp_out_len(&p), v->out_len);
	unsigned l3 = 14;
	EXPECT_EQ((out[l3 + 1] & 0xf) << 16 | out[l3 + 2] << 8 | out[l3 + 3], 0x5a5a5);
	/* Apart from the label, the golden frame. */
	std::vector<uint8_t> got(out, out + v->out_len), want(v->out, v->out + v->out_len);
	got[l3 + 1] &= 0xf0, got[l3 + 2] = got[l3 + 3] = 0;
	want[l3 + 1] &= 0xf0, want[l3 + 2] = want[l3 + 3] = 0;
	EXPECT_EQ(got, want);
	verify_checksums(out, v->out_len, v->name);
}

} // namespace
