/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peer policy tests (RFC 8656 section 21.4 and the relay's own rules), as a table of peer
 * addresses and the verdict each gets with peers.deny-private on and off: the ranges denied
 * always, the private ones, the addresses that must stay reachable, and the IPv4-mapped and
 * NAT64 spellings of each. Then the configured lists (allow wins, deny adds) and the relay's
 * own addresses (TP_PEER_SELF, but never under another family's spelling).
 */
#include <gtest/gtest.h>

#include <string>

#include "addr.h"
#include "config.h"
#include "peer_filter.h"
#include "test_util.h"

namespace
{

const char *
verdict_name(tp_peer_verdict v)
{
	switch (v) {
	case TP_PEER_ALLOWED:
		return "allowed";
	case TP_PEER_SELF:
		return "self";
	case TP_PEER_DENIED:
		return "denied";
	}
	return "?";
}

/*
 * The relay's own addresses are moved off loopback (where conf/turnpike.conf puts them) to
 * documentation addresses, so that loopback is judged as any other peer would be.
 */
const char relay_elsewhere[] = R"(
relay:
{
	ipv4: { bind = "192.0.2.10"; public = "203.0.113.10"; };
	ipv6: { bind = "2001:db8::10"; };
};
)";

struct PeerFilter : ::testing::Test {
	void SetUp() override
	{
		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
		ASSERT_EQ(tp_config_load_string(&cfg, relay_elsewhere, "peer-test.conf", err,
						sizeof(err)),
			  0)
			<< err;
		ASSERT_TRUE(cfg.deny_private);
	}

	void TearDown() override
	{
		tp_config_free(&cfg);
	}

	void load(const char *text)
	{
		ASSERT_EQ(tp_config_load_string(&cfg, text, "peer-test.conf", err, sizeof(err)), 0)
			<< err;
	}

	const char *check(const char *peer, uint16_t port = 3478)
	{
		tp_addr a = addr(peer, port);

		return verdict_name(tp_peer_check(&cfg, &a));
	}

	bool allow_listed(const char *peer)
	{
		tp_addr a = addr(peer, 1234);

		return tp_peer_allow_listed(&cfg, &a);
	}

	tp_config cfg;
	char err[512];
};

struct peer_case {
	const char *peer;
	const char *deny_private_on; /* verdict with peers.deny-private = true (the default) */
	const char *deny_private_off;
	const char *why;
};

const peer_case peer_cases[] = {
	/* IPv4, denied always. */
	{ "127.0.0.1", "denied", "denied", "loopback" },
	{ "127.255.255.254", "denied", "denied", "loopback, top of 127/8" },
	{ "0.0.0.0", "denied", "denied", "unspecified" },
	{ "0.1.2.3", "denied", "denied", "this network, 0/8" },
	{ "169.254.1.1", "denied", "denied", "link-local" },
	{ "224.0.0.1", "denied", "denied", "multicast" },
	{ "239.255.255.250", "denied", "denied", "multicast, top of 224/4 (SSDP)" },
	{ "240.0.0.1", "denied", "denied", "reserved, 240/4" },
	{ "255.255.255.255", "denied", "denied", "limited broadcast" },

	/* IPv4, private. */
	{ "10.1.2.3", "denied", "allowed", "RFC 1918 10/8" },
	{ "172.16.0.1", "denied", "allowed", "RFC 1918 172.16/12, bottom" },
	{ "172.31.255.255", "denied", "allowed", "RFC 1918 172.16/12, top" },
	{ "192.168.1.1", "denied", "allowed", "RFC 1918 192.168/16" },
	{ "100.64.0.1", "denied", "allowed", "shared address space 100.64/10" },
	{ "100.127.255.255", "denied", "allowed", "shared address space, top" },

	/* IPv4, public, including the neighbours of the ranges above. */
	{ "8.8.8.8", "allowed", "allowed", "public" },
	{ "1.1.1.1", "allowed", "allowed", "public" },
	{ "172.32.0.1", "allowed", "allowed", "just above 172.16/12" },
	{ "172.15.255.255", "allowed", "allowed", "just below 172.16/12" },
	{ "100.128.0.1", "allowed", "allowed", "just above 100.64/10" },
	{ "100.63.255.255", "allowed", "allowed", "just below 100.64/10" },
	{ "1.0.0.0", "allowed", "allowed", "just above 0/8" },
	{ "126.255.255.255", "allowed", "allowed", "just below 127/8" },
	{ "223.255.255.255", "allowed", "allowed", "just below 224/4" },

	/* IPv6, denied always. */
	{ "::", "denied", "denied", "unspecified" },
	{ "::1", "denied", "denied", "loopback" },
	{ "::127.0.0.1", "denied", "denied", "IPv4-compatible (deprecated)" },
	{ "::8.8.8.8", "denied", "denied", "IPv4-compatible, even of a public address" },
	{ "100::1", "denied", "denied", "discard-only" },
	{ "fe80::1", "denied", "denied", "link-local" },
	{ "febf:ffff::1", "denied", "denied", "link-local, top of fe80::/10" },
	{ "fec0::1", "denied", "denied", "site-local (deprecated)" },
	{ "ff02::1", "denied", "denied", "multicast" },
	{ "2001::1", "denied", "denied", "Teredo" },
	{ "2002:c000:0201::1", "denied", "denied", "6to4" },

	/* IPv6, private. */
	{ "fc00::1", "denied", "allowed", "unique local, fc00::/7 bottom" },
	{ "fd12::1", "denied", "allowed", "unique local" },
	{ "64:ff9b:1::1", "denied", "allowed", "local-use NAT64" },

	/* IPv6, public. */
	{ "2001:4860:4860::8888", "allowed", "allowed", "public" },
	{ "2001:db8::1", "allowed", "allowed", "not Teredo: 2001:db8 is outside 2001::/32" },
	{ "fe00::1", "allowed", "allowed", "just below fe80::/10" },

	/* IPv4-mapped addresses are judged by the IPv4 address they carry. */
	{ "::ffff:127.0.0.1", "denied", "denied", "mapped loopback" },
	{ "::ffff:169.254.0.1", "denied", "denied", "mapped link-local" },
	{ "::ffff:224.0.0.1", "denied", "denied", "mapped multicast" },
	{ "::ffff:255.255.255.255", "denied", "denied", "mapped broadcast" },
	{ "::ffff:0.0.0.0", "denied", "denied", "mapped unspecified" },
	{ "::ffff:10.0.0.1", "denied", "allowed", "mapped RFC 1918" },
	{ "::ffff:8.8.8.8", "allowed", "allowed", "mapped public" },

	/* So are NAT64 addresses (64:ff9b::/96, RFC 6052). */
	{ "64:ff9b::7f00:1", "denied", "denied", "NAT64 of 127.0.0.1" },
	{ "64:ff9b::", "denied", "denied", "NAT64 of 0.0.0.0 (unspecified)" },
	{ "64:ff9b::a9fe:101", "denied", "denied", "NAT64 of 169.254.1.1 (link-local)" },
	{ "64:ff9b::e000:1", "denied", "denied", "NAT64 of 224.0.0.1" },
	{ "64:ff9b::ffff:ffff", "denied", "denied", "NAT64 of 255.255.255.255 (broadcast)" },
	{ "64:ff9b::a00:1", "denied", "allowed", "NAT64 of 10.0.0.1" },
	{ "64:ff9b::808:808", "allowed", "allowed", "NAT64 of 8.8.8.8" },
};

TEST_F(PeerFilter, DefaultPolicy)
{
	for (const peer_case &c : peer_cases) {
		SCOPED_TRACE(std::string(c.peer) + ": " + c.why);
		EXPECT_STREQ(check(c.peer), c.deny_private_on);
		EXPECT_STREQ(check(c.peer, 0), c.deny_private_on); /* the port is not looked at */
		EXPECT_STREQ(check(c.peer, 65535), c.deny_private_on);
	}
}

TEST_F(PeerFilter, DenyPrivateOff)
{
	load("peers: { deny-private = false; };");
	for (const peer_case &c : peer_cases) {
		SCOPED_TRACE(std::string(c.peer) + ": " + c.why);
		EXPECT_STREQ(check(c.peer), c.deny_private_off);
	}
}

TEST_F(PeerFilter, AllowListWinsInEverySpelling)
{
	load("peers: { allow = [ \"127.0.0.0/8\", \"fd00::/8\" ]; };");

	EXPECT_STREQ(check("127.0.0.1"), "allowed");
	EXPECT_STREQ(check("127.1.2.3"), "allowed");
	EXPECT_STREQ(check("::ffff:127.0.0.1"), "allowed");
	EXPECT_STREQ(check("64:ff9b::7f00:1"), "allowed");
	EXPECT_STREQ(check("fd12::1"), "allowed");
	EXPECT_TRUE(allow_listed("127.0.0.1"));
	EXPECT_TRUE(allow_listed("::ffff:127.0.0.1"));
	EXPECT_TRUE(allow_listed("64:ff9b::7f00:1"));

	/* Only what is listed. */
	EXPECT_STREQ(check("::1"), "denied");
	EXPECT_STREQ(check("128.0.0.1"), "allowed");
	EXPECT_STREQ(check("10.0.0.1"), "denied");
	EXPECT_STREQ(check("fc00::1"), "denied");
	EXPECT_STREQ(check("::127.0.0.1"), "denied"); /* IPv4-compatible is not a spelling */
	EXPECT_FALSE(allow_listed("::1"));
	EXPECT_FALSE(allow_listed("8.8.8.8"));
	EXPECT_FALSE(allow_listed("::127.0.0.1"));
}

TEST_F(PeerFilter, AllowListIsEmptyByDefault)
{
	EXPECT_FALSE(allow_listed("127.0.0.1"));
	EXPECT_FALSE(allow_listed("8.8.8.8"));
	EXPECT_FALSE(allow_listed("2001:4860:4860::8888"));
}

TEST_F(PeerFilter, DenyListAddsInEverySpelling)
{
	load("peers: { deny = [ \"8.8.8.0/24\", \"2001:4860::/32\" ]; };");

	EXPECT_STREQ(check("8.8.8.8"), "denied");
	EXPECT_STREQ(check("8.8.8.255"), "denied");
	EXPECT_STREQ(check("::ffff:8.8.8.8"), "denied");
	EXPECT_STREQ(check("64:ff9b::808:808"), "denied");
	EXPECT_STREQ(check("2001:4860:4860::8888"), "denied");
	EXPECT_STREQ(check("8.8.4.4"), "allowed");
	EXPECT_STREQ(check("8.8.9.0"), "allowed");
	EXPECT_STREQ(check("2001:4861::1"), "allowed");
}

TEST_F(PeerFilter, AllowWinsOverDeny)
{
	load("peers: { deny = [ \"8.8.8.0/24\" ]; allow = [ \"8.8.8.8/32\" ]; };");

	EXPECT_STREQ(check("8.8.8.8"), "allowed");
	EXPECT_STREQ(check("8.8.8.9"), "denied");
}

TEST_F(PeerFilter, RelayAddressesAreSelf)
{
	EXPECT_STREQ(check("192.0.2.10"), "self");	    /* ipv4.bind */
	EXPECT_STREQ(check("203.0.113.10", 50000), "self"); /* ipv4.public */
	EXPECT_STREQ(check("2001:db8::10", 0), "self");	    /* ipv6.bind, which is also public */
	EXPECT_STREQ(check("192.0.2.11"), "allowed");
	EXPECT_STREQ(check("2001:db8::11"), "allowed");
}

TEST_F(PeerFilter, RelayIpv4AddressSpeltAsIpv6IsDenied)
{
	/* Hairpin needs matching families; another spelling of our own address is refused. */
	EXPECT_STREQ(check("::ffff:203.0.113.10"), "denied");
	EXPECT_STREQ(check("::ffff:192.0.2.10"), "denied");
	EXPECT_STREQ(check("64:ff9b::cb00:710a"), "denied"); /* NAT64 of 203.0.113.10 */

	/* Even when the allow list names it. */
	load("peers: { allow = [ \"203.0.113.0/24\" ]; };");
	EXPECT_STREQ(check("::ffff:203.0.113.10"), "denied");
	EXPECT_STREQ(check("::ffff:203.0.113.11"), "allowed");
}

TEST_F(PeerFilter, RelayAddressInADeniedRangeIsStillSelf)
{
	/* Behind 1:1 NAT the bind address is private; clients still meet through the relay. */
	load("relay: { ipv4: { bind = \"10.0.0.5\"; public = \"203.0.113.5\"; }; };");
	EXPECT_STREQ(check("10.0.0.5"), "self");
	EXPECT_STREQ(check("203.0.113.5"), "self");
	EXPECT_STREQ(check("10.0.0.6"), "denied");
	EXPECT_STREQ(check("203.0.113.10"), "allowed"); /* no longer ours */
}

TEST_F(PeerFilter, DisabledFamilyHasNoOwnAddress)
{
	load("relay: { ipv6: { enabled = false; }; };");
	EXPECT_STREQ(check("2001:db8::10"), "allowed");
	EXPECT_STREQ(check("192.0.2.10"), "self");
}

/*
 * With bind on the unspecified address (allowed when public is set), the unspecified address
 * is not one of the relay's addresses: it stays denied like every other "this host" spelling.
 */
TEST_F(PeerFilter, UnspecifiedBindIsNotAnOwnAddress)
{
	load("relay: { ipv4: { bind = \"0.0.0.0\"; public = \"203.0.113.10\"; };"
	     " ipv6: { bind = \"::\"; public = \"2001:db8::10\"; }; };");
	EXPECT_STREQ(check("203.0.113.10"), "self");
	EXPECT_STREQ(check("2001:db8::10"), "self");
	EXPECT_STREQ(check("0.0.0.0"), "denied");
	EXPECT_STREQ(check("::"), "denied");
}

TEST(PeerEmbeddedV4, MappedAndNat64CarryAnIpv4Address)
{
	const struct {
		const char *v6;
		const char *v4; /* nullptr: none */
	} cases[] = {
		{ "::ffff:192.0.2.1", "192.0.2.1" },
		{ "64:ff9b::c000:201", "192.0.2.1" },
		{ "64:ff9b::", "0.0.0.0" },
		{ "::192.0.2.1", nullptr },	    /* IPv4-compatible: denied as a range instead */
		{ "64:ff9b:1::c000:201", nullptr }, /* local-use NAT64 has no fixed layout */
		{ "::fffe:192.0.2.1", nullptr },
		{ "2001:db8::c000:201", nullptr },
		{ "192.0.2.1", nullptr }, /* already IPv4 */
	};

	for (const auto &c : cases) {
		SCOPED_TRACE(c.v6);
		tp_addr a = addr(c.v6, 99), v4;
		char buf[TP_ADDR_STRLEN];

		ASSERT_EQ(tp_peer_embedded_v4(&a, &v4), c.v4 != nullptr);
		if (c.v4) {
			EXPECT_STREQ(tp_addr_str(&v4, buf, sizeof(buf)), c.v4);
			EXPECT_EQ(v4.family, TP_FAM_V4);
		}
	}
}

} // namespace
