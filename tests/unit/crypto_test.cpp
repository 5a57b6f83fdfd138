/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libcrypto wrappers against published known answers: HMAC-MD5 and HMAC-SHA1 (RFC 2202),
 * HMAC-SHA256 (RFC 4231), MD5 (RFC 1321) and SHA-256 (FIPS 180-2). tp_hmac and tp_digest
 * keep contexts between calls (tp_hmac a few keyed ones per hash), so every answer is asked
 * for again after the others, with its message in several parts, and keys of other lengths
 * in between; then more keys than tp_hmac keeps, against libcrypto's one-shot HMAC.
 */
#include <gtest/gtest.h>

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "crypto.h"
#include "test_util.h"

namespace
{

struct known {
	enum tp_hash hash;
	std::string key, msg, answer;
};

const known hmacs[] = {
	{ TP_HASH_MD5, "Jefe", "what do ya want for nothing?", "750c783e6ab0b503eaa86e310a5db738" },
	{ TP_HASH_SHA1, "Jefe", "what do ya want for nothing?",
	  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ TP_HASH_SHA256, "Jefe", "what do ya want for nothing?",
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ TP_HASH_SHA1, std::string(80, '\xaa'),
	  "Test Using Larger Than Block-Size Key - Hash Key First",
	  "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
};

/* The message in three parts (the last may be empty). */
std::string
hmac_of(const known &k)
{
	uint8_t out[32];
	size_t third = k.msg.size() / 3;
	struct tp_iov parts[3] = {
		{ k.msg.data(), third },
		{ k.msg.data() + third, third },
		{ k.msg.data() + 2 * third, k.msg.size() - 2 * third },
	};
	int n = tp_hmac(k.hash, k.key.data(), k.key.size(), parts, 3, out, sizeof(out));

	return n > 0 ? hexstr(out, (size_t)n) : "error " + std::to_string(n);
}

std::string
digest_of(enum tp_hash hash, const std::string &msg)
{
	uint8_t out[32];
	struct tp_iov parts[2] = { { msg.data(), msg.size() / 2 },
				   { msg.data() + msg.size() / 2, msg.size() - msg.size() / 2 } };
	int n = tp_digest(hash, parts, 2, out, sizeof(out));

	return n > 0 ? hexstr(out, (size_t)n) : "error " + std::to_string(n);
}

TEST(Crypto, HmacKnownAnswersInAnyOrder)
{
	for (int round = 0; round < 3; round++)
		for (const known &k : hmacs)
			EXPECT_EQ(hmac_of(k), k.answer) << "hash " << k.hash << ", round " << round;
	for (int i = 3; i >= 0; i--)
		EXPECT_EQ(hmac_of(hmacs[i]), hmacs[i].answer);
}

TEST(Crypto, DigestKnownAnswersBetweenHmacs)
{
	for (int round = 0; round < 2; round++) {
		EXPECT_EQ(digest_of(TP_HASH_MD5, "abc"), "900150983cd24fb0d6963f7d28e17f72");
		EXPECT_EQ(hmac_of(hmacs[1]), hmacs[1].answer);
		EXPECT_EQ(digest_of(TP_HASH_SHA256, "abc"),
			  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
		EXPECT_EQ(digest_of(TP_HASH_MD5, ""), "d41d8cd98f00b204e9800998ecf8427e");
	}
}

TEST(Crypto, ShortOutputIsRefusedAndLeavesNoTrace)
{
	uint8_t out[16];
	struct tp_iov part = { "abc", 3 };

	EXPECT_LT(tp_digest(TP_HASH_SHA256, &part, 1, out, sizeof(out)), 0);
	EXPECT_LT(tp_hmac(TP_HASH_SHA256, "Jefe", 4, &part, 1, out, sizeof(out)), 0);
	/* and the next calls with room still give the right answers */
	EXPECT_EQ(digest_of(TP_HASH_SHA256, "abc"),
		  "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	EXPECT_EQ(hmac_of(hmacs[2]), hmacs[2].answer);
}

/* libcrypto's one-shot HMAC, which keeps nothing between calls: the reference. */
std::string
reference_hmac(enum tp_hash hash, const std::string &key, const std::string &msg)
{
	const EVP_MD *md = hash == TP_HASH_MD5	  ? EVP_md5()
			   : hash == TP_HASH_SHA1 ? EVP_sha1()
						  : EVP_sha256();
	uint8_t out[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	HMAC(md, key.data(), (int)key.size(), (const uint8_t *)msg.data(), msg.size(), out, &len);
	return hexstr(out, len);
}

TEST(Crypto, HmacKeysComeAndGo)
{
	/*
	 * Nine keys, more than tp_hmac keeps keyed per hash: keys that differ only in their last
	 * byte, one the prefix of another, the empty key, and one longer than it keeps (set
	 * afresh each time). Used in an order that both hits and evicts, each hash in turn.
	 */
	std::string k32a(32, 'k'), k32b = k32a;
	k32b.back() = 'K';
	const std::vector<std::string> keys = {
		k32a,
		k32b,
		k32a.substr(0, 16),
		"",
		std::string(300, '\x5c'),
		"obMatJos2gAAA",
		std::string(16, '\0'),
		std::string(64, '\x36'),
		std::string(257, 'z'),
	};
	const unsigned order[] = { 0, 1, 0, 2, 3, 0, 1, 4, 4, 5, 6, 7, 8, 0, 8, 7, 6, 5,
				   4, 3, 2, 1, 0, 1, 1, 2, 0, 3, 8, 8, 5, 0, 7, 2, 6, 1 };
	const enum tp_hash hashes[] = { TP_HASH_MD5, TP_HASH_SHA1, TP_HASH_SHA256 };
	unsigned n = 0;

	for (unsigned k : order)
		for (enum tp_hash h : hashes) {
			std::string msg = "message " + std::to_string(n++);
			known x = { h, keys[k], msg, reference_hmac(h, keys[k], msg) };

			EXPECT_EQ(hmac_of(x), x.answer) << "key " << k << ", hash " << h;
		}
}

TEST(Crypto, RandomWordsDoNotRepeat)
{
	/* 300 words, across refills of the block they come from: 32-bit values that repeat
	 * within 300 draws would say the block is handed out twice. */
	std::set<uint32_t> seen;

	for (int i = 0; i < 300; i++)
		seen.insert(tp_random_u32());
	EXPECT_EQ(seen.size(), 300u);
}

} // namespace
