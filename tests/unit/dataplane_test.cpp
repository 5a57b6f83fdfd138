/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's channels become dataplane/core table entries: 16-byte addresses (IPv4-mapped
 * for IPv4), ports and channel numbers in network byte order, the family of the relayed
 * address, and every reserved byte zero so entries hash and compare as bytes. The counter
 * slot is left 0: the dataplane that writes the entries gives each binding its own.
 */
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <cstring>

#include "dataplane.h"
#include "test_util.h"

namespace
{

TEST(DataplaneEntries, IPv4ClientWithIPv6Peer)
{
	tp_binding c = {};
	tp_chan_key ck;
	tp_chan_val cv;
	tp_peer_key pk;
	tp_peer_val pv;

	c.client = addr("198.51.100.10", 50000);
	c.relay = addr("2001:db8::1", 50020);
	c.peer = addr("2001:db8:f::200", 40000);
	c.channel = 0x4002;
	c.id = 77;
	memset(&ck, 0xAA, sizeof(ck));
	memset(&pk, 0xAA, sizeof(pk));
	tp_dataplane_entries(&c, &ck, &cv, &pk, &pv);

	const uint8_t mapped[16] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 10 };
	EXPECT_EQ(memcmp(ck.client_ip, mapped, 16), 0);
	EXPECT_EQ(ck.client_port, htons(50000));
	EXPECT_EQ(ck.channel, htons(0x4002));

	EXPECT_EQ(memcmp(cv.peer_ip, c.peer.ip, 16), 0);
	EXPECT_EQ(cv.peer_port, htons(40000));
	EXPECT_EQ(cv.alloc_port, htons(50020));
	EXPECT_EQ(cv.family, TP_FAM_V6);
	EXPECT_EQ(cv.slot, 0u) << "the dataplane gives the slot, not the engine";

	EXPECT_EQ(memcmp(pk.peer_ip, c.peer.ip, 16), 0);
	EXPECT_EQ(pk.peer_port, htons(40000));
	EXPECT_EQ(pk.alloc_port, htons(50020));
	EXPECT_EQ(pk.family, TP_FAM_V6);
	for (uint8_t b : pk.reserved)
		EXPECT_EQ(b, 0);

	EXPECT_EQ(memcmp(pv.client_ip, mapped, 16), 0);
	EXPECT_EQ(pv.client_port, htons(50000));
	EXPECT_EQ(pv.channel, htons(0x4002));
	EXPECT_EQ(pv.slot, 0u);
	EXPECT_EQ(tp_ip16_family(pv.client_ip), TP_FAM_V4);
}

TEST(DataplaneEntries, IPv6ClientWithIPv4Peer)
{
	tp_binding c = {};
	tp_chan_key ck;
	tp_chan_val cv;
	tp_peer_key pk;
	tp_peer_val pv;

	c.client = addr("2001:db8:c::10", 50000);
	c.relay = addr("192.0.2.1", 50030);
	c.peer = addr("198.51.100.200", 40000);
	c.channel = 0x7FFF;
	tp_dataplane_entries(&c, &ck, &cv, &pk, &pv);

	EXPECT_EQ(tp_ip16_family(ck.client_ip), TP_FAM_V6);
	EXPECT_EQ(cv.family, TP_FAM_V4);
	EXPECT_EQ(tp_ip16_family(cv.peer_ip), TP_FAM_V4);
	EXPECT_EQ(memcmp(cv.peer_ip + 12, c.peer.ip, 4), 0);
	EXPECT_EQ(ck.channel, htons(0x7FFF));
}

} // namespace
