/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The stream framer (turn/framer.h): messages cut from a byte stream by their headers, fed
 * whole and a byte at a time; ChannelData's padding; bytes that are not TURN; and what it keeps
 * of a message still arriving (what has come, never what the header claims).
 */
#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

#include "framer.h"

namespace
{

using bytes = std::vector<uint8_t>;

bytes
stun(uint16_t type, size_t body)
{
	bytes m = { uint8_t(type >> 8),
		    uint8_t(type),
		    uint8_t(body >> 8),
		    uint8_t(body),
		    0x21,
		    0x12,
		    0xA4,
		    0x42 };
	m.resize(20 + body, 0x5a);
	return m;
}

bytes
channel_data(uint16_t number, size_t len)
{
	bytes m = { uint8_t(number >> 8), uint8_t(number), uint8_t(len >> 8), uint8_t(len) };
	m.resize(4 + len, 0x77);
	m.resize((m.size() + 3) & ~size_t(3), 0);
	return m;
}

struct collected {
	std::vector<bytes> msgs;
	static void fn(void *arg, const uint8_t *m, size_t len)
	{
		static_cast<collected *>(arg)->msgs.emplace_back(m, m + len);
	}
};

bytes
cat(std::initializer_list<bytes> parts)
{
	bytes out;
	for (const auto &p : parts)
		out.insert(out.end(), p.begin(), p.end());
	return out;
}

TEST(Framer, LengthFromTheHeader)
{
	EXPECT_EQ(tp_frame_len(stun(0x0003, 8).data(), 20), 28);
	EXPECT_EQ(tp_frame_len(channel_data(0x4000, 5).data(), 4), 12); /* 5 padded to 8 */
	EXPECT_EQ(tp_frame_len(channel_data(0x4000, 8).data(), 4), 12);
	EXPECT_EQ(tp_frame_len(stun(0x0001, 0).data(), 7), 0); /* the cookie not here yet */
	const uint8_t bad_cookie[8] = { 0, 1, 0, 0, 1, 2, 3, 4 };
	EXPECT_EQ(tp_frame_len(bad_cookie, 8), -1);
	const uint8_t odd_length[4] = { 0, 1, 0, 6 };
	EXPECT_EQ(tp_frame_len(odd_length, 4), -1);
	const uint8_t tls_record[1] = { 0x16 }; /* 22: neither STUN nor ChannelData */
	EXPECT_EQ(tp_frame_len(tls_record, 1), 0);
	const uint8_t high[1] = { 0x80 };
	EXPECT_EQ(tp_frame_len(high, 1), -1);
}

TEST(Framer, SameMessagesWholeOrByteByByte)
{
	bytes stream = cat({ stun(0x0003, 12), channel_data(0x4000, 1), channel_data(0x4001, 0),
			     stun(0x0009, 40), channel_data(0x7fff, 3000) });
	collected whole, bytewise;
	tp_framer a = {}, b = {};

	ASSERT_EQ(tp_framer_input(&a, stream.data(), stream.size(), collected::fn, &whole), 0);
	for (uint8_t c : stream)
		ASSERT_EQ(tp_framer_input(&b, &c, 1, collected::fn, &bytewise), 0);
	ASSERT_EQ(whole.msgs.size(), 5u);
	EXPECT_EQ(whole.msgs, bytewise.msgs);
	EXPECT_EQ(whole.msgs[1].size(), 8u); /* 4 + 1, padded */
	EXPECT_EQ(whole.msgs[2].size(), 4u);
	EXPECT_EQ(a.len, 0u);
	EXPECT_EQ(b.len, 0u);
	EXPECT_EQ(b.buf, nullptr) << "a buffer grown for 3000 bytes is not kept";
	tp_framer_free(&a);
	tp_framer_free(&b);
}

TEST(Framer, NotTurnEndsTheStream)
{
	bytes stream = cat({ channel_data(0x4000, 2), { 0xff, 0xff, 0xff, 0xff } });
	collected got;
	tp_framer f = {};

	EXPECT_EQ(tp_framer_input(&f, stream.data(), stream.size(), collected::fn, &got), -1);
	EXPECT_EQ(got.msgs.size(), 1u) << "what came before is handed on";
	tp_framer_free(&f);
}

TEST(Framer, KeepsWhatArrivedNotWhatTheHeaderClaims)
{
	bytes big = stun(0x0003, 65532);
	collected got;
	tp_framer f = {};

	ASSERT_EQ(tp_framer_input(&f, big.data(), 100, collected::fn, &got), 0);
	EXPECT_EQ(f.len, 100u);
	EXPECT_LE(f.cap, 2048u);
	ASSERT_EQ(tp_framer_input(&f, big.data() + 100, big.size() - 100, collected::fn, &got), 0);
	ASSERT_EQ(got.msgs.size(), 1u);
	EXPECT_EQ(got.msgs[0], big);
	EXPECT_EQ(f.buf, nullptr);
	tp_framer_free(&f);
}

} // namespace
