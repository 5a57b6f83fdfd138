/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Address helper tests: numeric parsing, CIDR prefixes (what is accepted and refused, and
 * where a prefix stops matching: /0, /32, /128, byte-aligned and odd lengths), the text form
 * used in logs, and the round trip through struct sockaddr. struct tp_addr is compared as
 * bytes elsewhere, so these also check that unused bytes stay zero.
 */
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <string>
#include <sys/un.h>

#include "addr.h"
#include "test_util.h"

namespace
{

std::string
text(const tp_addr &a)
{
	char buf[TP_ADDR_STRLEN];

	return tp_addr_str(&a, buf, sizeof(buf));
}

tp_prefix
prefix(const char *s)
{
	tp_prefix p;

	EXPECT_EQ(tp_prefix_parse(&p, s), 0) << s;
	return p;
}

/* Parsing -------------------------------------------------------------------------------------- */

TEST(AddrParse, Ipv4)
{
	tp_addr a;

	memset(&a, 0xff, sizeof(a));
	ASSERT_EQ(tp_addr_parse_ip(&a, "192.0.2.1"), 0);
	EXPECT_EQ(a.family, TP_FAM_V4);
	EXPECT_EQ(a.transport, TP_TRANSPORT_UDP);
	EXPECT_EQ(a.port, 0);
	const uint8_t want[16] = { 192, 0, 2, 1 }; /* the rest zero */
	EXPECT_EQ(memcmp(a.ip, want, 16), 0);
}

TEST(AddrParse, Ipv6)
{
	tp_addr a;

	ASSERT_EQ(tp_addr_parse_ip(&a, "2001:db8::1"), 0);
	EXPECT_EQ(a.family, TP_FAM_V6);
	const uint8_t want[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	EXPECT_EQ(memcmp(a.ip, want, 16), 0);

	ASSERT_EQ(tp_addr_parse_ip(&a, "::ffff:192.0.2.1"), 0);
	EXPECT_EQ(a.family, TP_FAM_V6); /* mapped stays IPv6 */
}

TEST(AddrParse, RefusesWhatIsNotANumericAddress)
{
	for (const char *s : { "", "localhost", "192.0.2", "192.0.2.256", "192.0.2.1.5",
			       " 192.0.2.1", "192.0.2.1 ", "192.0.2.1:80", "[::1]", "::1/128",
			       "2001:db8:::1", "2001:db8::g", "1:2:3:4:5:6:7:8:9" }) {
		tp_addr a;

		memset(&a, 0xff, sizeof(a));
		EXPECT_EQ(tp_addr_parse_ip(&a, s), -EINVAL) << '"' << s << '"';
		EXPECT_EQ(a.family, TP_FAM_NONE) << '"' << s << '"';
	}
}

/* Prefixes ------------------------------------------------------------------------------------- */

TEST(PrefixParse, Accepts)
{
	const struct {
		const char *text;
		uint8_t family, len;
	} cases[] = {
		{ "10.0.0.0/8", TP_FAM_V4, 8 },
		{ "0.0.0.0/0", TP_FAM_V4, 0 },
		{ "192.0.2.1/32", TP_FAM_V4, 32 },
		{ "192.0.2.1", TP_FAM_V4, 32 }, /* a bare address is a host prefix */
		{ "172.16.0.0/12", TP_FAM_V4, 12 },
		{ "128.0.0.0/1", TP_FAM_V4, 1 },
		{ "::/0", TP_FAM_V6, 0 },
		{ "::1/128", TP_FAM_V6, 128 },
		{ "::1", TP_FAM_V6, 128 },
		{ "2001:db8::/32", TP_FAM_V6, 32 },
		{ "fe80::/10", TP_FAM_V6, 10 },
		{ "fc00::/7", TP_FAM_V6, 7 },
		{ "64:ff9b::/96", TP_FAM_V6, 96 },
		{ "2001:db8::8000/113", TP_FAM_V6, 113 },
	};

	for (const auto &c : cases) {
		SCOPED_TRACE(c.text);
		tp_prefix p;

		memset(&p, 0xff, sizeof(p));
		ASSERT_EQ(tp_prefix_parse(&p, c.text), 0);
		EXPECT_EQ(p.addr.family, c.family);
		EXPECT_EQ(p.len, c.len);
		EXPECT_EQ(p.addr.port, 0);
	}
}

TEST(PrefixParse, Refuses)
{
	const struct {
		const char *text;
		const char *why;
	} cases[] = {
		{ "10.0.0.1/8", "host bits set" },
		{ "172.17.0.0/12", "host bits set in the partial byte" },
		{ "0.0.0.1/0", "host bits set under /0" },
		{ "fe80::1/10", "IPv6 host bits set" },
		{ "fd00::/7", "host bit set in the partial first byte" },
		{ "10.0.0.0/33", "longer than 32" },
		{ "::/129", "longer than 128" },
		{ "10.0.0.0/", "no length" },
		{ "10.0.0.0/-1", "negative" },
		{ "10.0.0.0/+8", "sign" },
		{ "10.0.0.0/ 8", "space" },
		{ "10.0.0.0/8x", "trailing garbage" },
		{ "10.0.0.0/8/8", "two lengths" },
		{ "10.0.0.0/99999999999999999999999", "overflowing length" },
		{ "/8", "no address" },
		{ "", "empty" },
		{ "garbage", "not an address" },
		{ "1.2.3/24", "short IPv4" },
		{ "10.0.0.0:80", "a port" },
		{ "[::1]/128", "brackets" },
		{ "11111111111111111111111111111111111111111111111111/8",
		  "longer than any address" },
	};

	for (const auto &c : cases) {
		tp_prefix p;

		EXPECT_EQ(tp_prefix_parse(&p, c.text), -EINVAL) << '"' << c.text << "\": " << c.why;
	}
}

/* The prefix, the addresses at its edges that it matches, and their neighbours that it does not. */
struct match_case {
	const char *prefix;
	const char *inside[3];
	const char *outside[3];
};

const match_case match_cases[] = {
	{ "0.0.0.0/0",
	  { "0.0.0.0", "255.255.255.255", "192.0.2.1" },
	  { "::", "::ffff:1.2.3.4", "::1" } },
	{ "::/0",
	  { "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "::ffff:1.2.3.4" },
	  { "0.0.0.0", "255.255.255.255", "1.2.3.4" } },
	{ "172.16.0.0/12",
	  { "172.16.0.0", "172.31.255.255", "172.20.1.1" },
	  { "172.15.255.255", "172.32.0.0", "173.16.0.0" } },
	{ "100.64.0.0/10",
	  { "100.64.0.0", "100.127.255.255", "100.100.100.100" },
	  { "100.63.255.255", "100.128.0.0", "::ffff:100.64.0.1" } },
	{ "fc00::/7",
	  { "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fd12::1" },
	  { "fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe00::", "fe80::1" } },
	{ "fe80::/10",
	  { "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fe80::1" },
	  { "fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "fec0::", "ff80::" } },
	{ "2001:db8::/32",
	  { "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db8::1" },
	  { "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::", "192.0.2.1" } },
	{ "128.0.0.0/1",
	  { "128.0.0.0", "255.255.255.255", "200.0.0.1" },
	  { "127.255.255.255", "0.0.0.0", "1.2.3.4" } },
	{ "192.0.2.1/32",
	  { "192.0.2.1", "192.0.2.1", "192.0.2.1" },
	  { "192.0.2.0", "192.0.2.2", "::ffff:192.0.2.1" } },
	{ "2001:db8::1/128",
	  { "2001:db8::1", "2001:db8::1", "2001:db8::1" },
	  { "2001:db8::", "2001:db8::2", "2001:db8::1:1" } },
	{ "2001:db8::8000/113",
	  { "2001:db8::8000", "2001:db8::ffff", "2001:db8::c000" },
	  { "2001:db8::7fff", "2001:db8::1:0", "2001:db8::" } },
};

TEST(PrefixMatch, EdgesAndNeighbours)
{
	for (const match_case &c : match_cases) {
		SCOPED_TRACE(c.prefix);
		tp_prefix p = prefix(c.prefix);

		for (const char *a : c.inside) {
			tp_addr x = addr(a, 443); /* the port plays no part */

			EXPECT_TRUE(tp_prefix_match(&p, &x)) << a;
		}
		for (const char *a : c.outside) {
			tp_addr x = addr(a);

			EXPECT_FALSE(tp_prefix_match(&p, &x)) << a;
		}
	}
}

TEST(PrefixMatch, EveryLengthSplitsAtItsBit)
{
	/* For every n, base matches its own /n; with bit n flipped it still matches /n (a host
	 * bit there) but no longer /(n+1) (a network bit there). Bits count from the left. */
	tp_addr base = addr("2001:db8:1234:5678:9abc:def0:1357:9bdf");

	for (unsigned n = 0; n < 128; n++) {
		tp_addr flipped = base;
		tp_prefix p;

		flipped.ip[n / 8] ^= (uint8_t)(0x80 >> (n % 8));
		memset(&p, 0, sizeof(p));
		p.addr = base;
		p.addr.port = 0;
		p.len = (uint8_t)n;
		/* zero the host bits so that p is a prefix tp_prefix_parse would accept */
		for (unsigned bit = n; bit < 128; bit++)
			p.addr.ip[bit / 8] &= (uint8_t) ~(0x80 >> (bit % 8));
		EXPECT_TRUE(tp_prefix_match(&p, &base)) << "/" << n;
		EXPECT_TRUE(tp_prefix_match(&p, &flipped)) << "/" << n;
		p.len = (uint8_t)(n + 1);
		p.addr.ip[n / 8] |= base.ip[n / 8] & (uint8_t)(0x80 >> (n % 8));
		EXPECT_TRUE(tp_prefix_match(&p, &base)) << "/" << n + 1;
		EXPECT_FALSE(tp_prefix_match(&p, &flipped)) << "/" << n + 1;
	}
}

/* Text ----------------------------------------------------------------------------------------- */

TEST(AddrStr, Formats)
{
	tp_addr none;

	memset(&none, 0, sizeof(none));
	EXPECT_EQ(text(addr("192.0.2.1")), "192.0.2.1");
	EXPECT_EQ(text(addr("192.0.2.1", 3478)), "192.0.2.1:3478");
	EXPECT_EQ(text(addr("2001:db8::1")), "2001:db8::1");
	EXPECT_EQ(text(addr("2001:db8::1", 3478)), "[2001:db8::1]:3478");
	EXPECT_EQ(text(addr("::ffff:192.0.2.1", 65535)), "[::ffff:192.0.2.1]:65535");
	EXPECT_EQ(text(addr("2001:0db8:0000:0000:0000:0000:0000:0001")), "2001:db8::1");
	EXPECT_EQ(text(none), "(none)");
}

TEST(AddrStr, LongestFormFitsAndShortBuffersAreTerminated)
{
	tp_addr a = addr("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535);
	char buf[TP_ADDR_STRLEN];

	EXPECT_STREQ(tp_addr_str(&a, buf, sizeof(buf)),
		     "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");

	char small[8];
	memset(small, 'x', sizeof(small));
	a = addr("192.0.2.1", 3478);
	EXPECT_STREQ(tp_addr_str(&a, small, sizeof(small)), "192.0.2");
}

/* sockaddr ------------------------------------------------------------------------------------- */

TEST(AddrSockaddr, Ipv4RoundTrip)
{
	sockaddr_in sin;
	sockaddr_storage ss;
	tp_addr a, back;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(3478);
	ASSERT_EQ(inet_pton(AF_INET, "192.0.2.1", &sin.sin_addr), 1);
	ASSERT_EQ(tp_addr_from_sockaddr(&a, (const sockaddr *)&sin), 0);
	EXPECT_EQ(text(a), "192.0.2.1:3478");
	tp_addr want = addr("192.0.2.1", 3478);
	EXPECT_TRUE(tp_addr_eq(&a, &want));

	ASSERT_EQ(tp_addr_to_sockaddr(&a, &ss), (socklen_t)sizeof(sockaddr_in));
	const sockaddr_in *out = (const sockaddr_in *)&ss;
	EXPECT_EQ(out->sin_family, AF_INET);
	EXPECT_EQ(out->sin_port, htons(3478));
	EXPECT_EQ(out->sin_addr.s_addr, sin.sin_addr.s_addr);
	ASSERT_EQ(tp_addr_from_sockaddr(&back, (const sockaddr *)&ss), 0);
	EXPECT_TRUE(tp_addr_eq(&a, &back));
}

TEST(AddrSockaddr, Ipv6RoundTrip)
{
	sockaddr_in6 sin6;
	sockaddr_storage ss;
	tp_addr a, back;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons(50000);
	ASSERT_EQ(inet_pton(AF_INET6, "2001:db8::42", &sin6.sin6_addr), 1);
	ASSERT_EQ(tp_addr_from_sockaddr(&a, (const sockaddr *)&sin6), 0);
	EXPECT_EQ(text(a), "[2001:db8::42]:50000");

	ASSERT_EQ(tp_addr_to_sockaddr(&a, &ss), (socklen_t)sizeof(sockaddr_in6));
	const sockaddr_in6 *out = (const sockaddr_in6 *)&ss;
	EXPECT_EQ(out->sin6_family, AF_INET6);
	EXPECT_EQ(out->sin6_port, htons(50000));
	EXPECT_EQ(memcmp(&out->sin6_addr, &sin6.sin6_addr, 16), 0);
	EXPECT_EQ(out->sin6_flowinfo, 0u);
	EXPECT_EQ(out->sin6_scope_id, 0u);
	ASSERT_EQ(tp_addr_from_sockaddr(&back, (const sockaddr *)&ss), 0);
	EXPECT_TRUE(tp_addr_eq(&a, &back));
}

TEST(AddrSockaddr, OtherFamiliesAreRefused)
{
	sockaddr_un sun;
	tp_addr a;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	EXPECT_EQ(tp_addr_from_sockaddr(&a, (const sockaddr *)&sun), -EAFNOSUPPORT);
}

/* Comparison ----------------------------------------------------------------------------------- */

TEST(AddrCompare, EqualityAndUnspecified)
{
	tp_addr a = addr("192.0.2.1", 1), b = addr("192.0.2.1", 2), c = addr("::ffff:192.0.2.1", 1);
	tp_addr any4 = addr("0.0.0.0", 80), any6 = addr("::"), one6 = addr("::1"),
		one4 = addr("0.0.0.1");

	EXPECT_TRUE(tp_addr_eq(&a, &a));
	EXPECT_FALSE(tp_addr_eq(&a, &b));    /* the port counts */
	EXPECT_TRUE(tp_addr_ip_eq(&a, &b));  /* but not here */
	EXPECT_FALSE(tp_addr_ip_eq(&a, &c)); /* another family is another address */
	EXPECT_TRUE(tp_addr_is_unspecified(&any4));
	EXPECT_TRUE(tp_addr_is_unspecified(&any6));
	EXPECT_FALSE(tp_addr_is_unspecified(&one6));
	EXPECT_FALSE(tp_addr_is_unspecified(&one4));
}

} // namespace
