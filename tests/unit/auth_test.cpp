/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Long-term credential tests (RFC 8489 section 9.2): key derivation for MD5 and SHA-256, the
 * stateless nonces (cookie, binding to the client, expiry), and tp_auth_check on real requests
 * built with the STUN builder, one test per step of section 9.2.4 in the RFC's order. Static
 * users come with a password or a precomputed key; time-limited users follow coturn's
 * use-auth-secret, whose password this file computes with OpenSSL itself rather than through
 * the code under test.
 */
#include <gtest/gtest.h>

#include <cctype>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "config.h"
#include "stun.h"
#include "test_util.h"

namespace
{

using bytes = std::vector<uint8_t>;

/* The long-term key, computed here: digest of username ":" realm ":" password. */
bytes
long_term_key(const EVP_MD *md, const std::string &user, const std::string &realm,
	      const std::string &password)
{
	std::string s = user + ":" + realm + ":" + password;
	uint8_t out[EVP_MAX_MD_SIZE];
	unsigned len = 0;

	EVP_Digest(s.data(), s.size(), out, &len, md, nullptr);
	return bytes(out, out + len);
}

/* coturn's use-auth-secret password: base64(HMAC-SHA1(secret, username)). */
std::string
coturn_password(const std::string &secret, const std::string &username)
{
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned len = 0;
	char b64[64];

	HMAC(EVP_sha1(), secret.data(), (int)secret.size(), (const uint8_t *)username.data(),
	     username.size(), mac, &len);
	EVP_EncodeBlock((unsigned char *)b64, mac, (int)len);
	return b64;
}

TEST(AuthDeriveKey, Md5OfUserRealmPassword)
{
	uint8_t key[32];

	ASSERT_EQ(tp_auth_derive_key(false, "user", 4, "realm", "pass", key), 16);
	EXPECT_EQ(hexstr(key, 16), "8493fbc53ba582fb4c044c456bdc40eb");
}

TEST(AuthDeriveKey, Sha256OfUserRealmPassword)
{
	uint8_t key[32];

	ASSERT_EQ(tp_auth_derive_key(true, "user", 4, "realm", "pass", key), 32);
	EXPECT_EQ(hexstr(key, 32),
		  "07e934117abd40836e7c6329b54731b2b2d2a5f9a71f544922d75e0730d8251b");
}

TEST(AuthDeriveKey, UsernameIsTakenByLengthNotByTerminator)
{
	uint8_t key[32];
	bytes want = long_term_key(EVP_md5(), std::string("us\0er", 5), "realm", "pass");

	ASSERT_EQ(tp_auth_derive_key(false, "us\0er", 5, "realm", "pass", key), 16);
	EXPECT_EQ(bytes(key, key + 16), want);
	ASSERT_EQ(tp_auth_derive_key(false, "username", 4, "realm", "pass", key), 16);
	EXPECT_EQ(hexstr(key, 16), "8493fbc53ba582fb4c044c456bdc40eb");
}

/*
 * A relay configured with realm example.org, two secrets for time-limited credentials (the
 * second one to show rotation), a user with a password and one with a precomputed MD5 key.
 * bob's key is MD5("bob:example.org:hunter2").
 */
const char site_conf[] = R"(
auth:
{
	realm = "example.org";
	nonce-lifetime = 600;
	secrets = [ "current-secret", "previous-secret" ];
	users = (
		{ name = "alice"; password = "wonderland"; },
		{ name = "bob"; key = "ef57bc8d8c15ddbbe601ea638397ef72"; }
	);
};
)";

const uint8_t alg_md5[4] = { 0x00, 0x01, 0x00, 0x00 };
const uint8_t alg_sha256[4] = { 0x00, 0x02, 0x00, 0x00 };

enum integrity {
	NO_INTEGRITY,
	MI_SHA1,
	MI_SHA256,
};

/* What a client puts in a request; an empty optional leaves the attribute out. */
struct request {
	std::optional<std::string> username, realm, nonce;
	std::optional<bytes> algorithms, algorithm;
	enum integrity integrity = MI_SHA1;
	bytes key;
};

struct Auth : ::testing::Test {
	void SetUp() override
	{
		char err[512];

		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
		ASSERT_EQ(
			tp_config_load_string(&cfg, site_conf, "auth-test.conf", err, sizeof(err)),
			0)
			<< err;
		auth = tp_auth_create(&cfg);
		ASSERT_NE(auth, nullptr);
		ASSERT_EQ(tp_addr_parse_ip(&client, "192.0.2.1"), 0);
		client.port = 50000;
	}

	void TearDown() override
	{
		tp_auth_destroy(auth);
		tp_config_free(&cfg);
	}

	std::string nonce_for(const tp_addr &c, uint64_t at_ms)
	{
		char n[TP_NONCE_MAX];

		tp_auth_nonce(auth, &c, at_ms, n);
		return n;
	}

	/* The challenge of a 401, parsed: REALM, NONCE and PASSWORD-ALGORITHMS. */
	bytes challenge_attr(uint16_t type)
	{
		uint8_t buf[256];
		tp_stun_builder b;
		tp_stun_msg m;
		static const uint8_t tid[TP_STUN_TID_LEN] = { 1 };

		tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_ALLOCATE, TP_STUN_ERROR, tid);
		tp_stun_add_error(&b, TP_ERR_UNAUTHENTICATED, true);
		tp_auth_add_challenge(auth, &b, &client, now_ms);
		int n = tp_stun_build_end(&b);
		EXPECT_GT(n, 0);
		EXPECT_EQ(tp_stun_parse(&m, buf, (size_t)n), TP_STUN_OK);

		const tp_stun_attr *a = tp_stun_find(&m, type);
		EXPECT_NE(a, nullptr);
		return a ? bytes(tp_stun_value(&m, a), tp_stun_value(&m, a) + a->len) : bytes();
	}

	/* alice, with the nonce this client was given, MD5 and MESSAGE-INTEGRITY. */
	request alice()
	{
		request r;

		r.username = "alice";
		r.realm = "example.org";
		r.nonce = nonce_for(client, now_ms);
		r.key = long_term_key(EVP_md5(), "alice", "example.org", "wonderland");
		return r;
	}

	/* alice choosing SHA-256: she echoes PASSWORD-ALGORITHMS and signs with -SHA256. */
	request alice_sha256()
	{
		request r = alice();

		r.algorithms = challenge_attr(TP_ATTR_PASSWORD_ALGORITHMS);
		r.algorithm = bytes(alg_sha256, alg_sha256 + 4);
		r.integrity = MI_SHA256;
		r.key = long_term_key(EVP_sha256(), "alice", "example.org", "wonderland");
		return r;
	}

	/* A time-limited user "<expiry>:<name>" whose password comes from secret. */
	request timed(const std::string &username, const std::string &secret)
	{
		request r = alice();

		r.username = username;
		r.key = long_term_key(EVP_md5(), username, "example.org",
				      coturn_password(secret, username));
		return r;
	}

	/* Build rq as an Allocate request, parse it, and run the checks as the relay would. */
	int check(const request &rq, tp_auth_result *res, uint64_t at_ms = 0,
		  const tp_addr *from = nullptr)
	{
		tp_stun_builder b;
		static const uint8_t tid[TP_STUN_TID_LEN] = { 9, 8, 7, 6, 5, 4, 3, 2, 1 };

		wire.assign(1024, 0);
		tp_stun_build_init(&b, wire.data(), wire.size(), TP_STUN_ALLOCATE, TP_STUN_REQUEST,
				   tid);
		tp_stun_add_u32(&b, TP_ATTR_REQUESTED_TRANSPORT, 17u << 24);
		if (rq.username)
			tp_stun_add(&b, TP_ATTR_USERNAME, rq.username->data(), rq.username->size());
		if (rq.realm)
			tp_stun_add_str(&b, TP_ATTR_REALM, rq.realm->c_str());
		if (rq.nonce)
			tp_stun_add_str(&b, TP_ATTR_NONCE, rq.nonce->c_str());
		if (rq.algorithms)
			tp_stun_add(&b, TP_ATTR_PASSWORD_ALGORITHMS, rq.algorithms->data(),
				    rq.algorithms->size());
		if (rq.algorithm)
			tp_stun_add(&b, TP_ATTR_PASSWORD_ALGORITHM, rq.algorithm->data(),
				    rq.algorithm->size());
		if (rq.integrity != NO_INTEGRITY)
			tp_stun_add_integrity(&b, rq.integrity == MI_SHA256, rq.key.data(),
					      rq.key.size());
		tp_stun_add_fingerprint(&b);

		int n = tp_stun_build_end(&b);
		EXPECT_GT(n, 0);
		wire.resize((size_t)n);
		EXPECT_EQ(tp_stun_parse(&msg, wire.data(), wire.size()), TP_STUN_OK);
		return tp_auth_check(auth, &msg, from ? from : &client, at_ms ? at_ms : now_ms,
				     unix_s, res);
	}

	tp_config cfg;
	tp_auth *auth = nullptr;
	tp_addr client;
	const uint64_t now_ms = 5000000;   /* monotonic clock, a whole second */
	const int64_t unix_s = 1700000000; /* wall clock */
	bytes wire;
	tp_stun_msg msg;
};

/* Nonces --------------------------------------------------------------------------------------- */

TEST_F(Auth, NonceStartsWithTheCookieAdvertisingPasswordAlgorithms)
{
	std::string n = nonce_for(client, now_ms);

	/* RFC 8489 section 9.2: "obMatJos2" then base64 of the 24 security feature bits, of
	 * which bit 0 (the leftmost, RFC 8489 section 18.1) is "Password algorithms". */
	ASSERT_EQ(n.compare(0, 13, "obMatJos2gAAA"), 0) << n;
	uint8_t features[3];
	ASSERT_EQ(EVP_DecodeBlock(features, (const unsigned char *)"gAAA", 4), 3);
	EXPECT_EQ(features[0] << 16 | features[1] << 8 | features[2], 0x800000);

	/* Then 16 characters: 4 bytes of expiry and 8 of MAC. */
	EXPECT_EQ(n.size(), 13u + 16u);
	for (char c : n)
		EXPECT_TRUE(isalnum((unsigned char)c) || c == '+' || c == '/' || c == '=') << n;
}

TEST_F(Auth, NonceIsBoundToTheClientAndDrawnPerRelay)
{
	tp_addr other_port = client, other_ip = client;

	other_port.port++;
	ASSERT_EQ(tp_addr_parse_ip(&other_ip, "192.0.2.2"), 0);
	other_ip.port = client.port;

	EXPECT_EQ(nonce_for(client, now_ms), nonce_for(client, now_ms)); /* stateless */
	EXPECT_NE(nonce_for(client, now_ms), nonce_for(other_port, now_ms));
	EXPECT_NE(nonce_for(client, now_ms), nonce_for(other_ip, now_ms));

	/* Another relay process draws another nonce key. */
	tp_auth *second = tp_auth_create(&cfg);
	ASSERT_NE(second, nullptr);
	char n[TP_NONCE_MAX];
	tp_auth_nonce(second, &client, now_ms, n);
	EXPECT_NE(nonce_for(client, now_ms), std::string(n));
	tp_auth_destroy(second);
}

TEST_F(Auth, ChallengeCarriesRealmNonceAndPasswordAlgorithms)
{
	bytes realm = challenge_attr(TP_ATTR_REALM);
	bytes nonce = challenge_attr(TP_ATTR_NONCE);

	EXPECT_EQ(std::string(realm.begin(), realm.end()), "example.org");
	EXPECT_EQ(std::string(nonce.begin(), nonce.end()), nonce_for(client, now_ms));
	/* SHA-256 preferred, then MD5, neither with parameters. */
	bytes algs = challenge_attr(TP_ATTR_PASSWORD_ALGORITHMS);
	EXPECT_EQ(hexstr(algs.data(), algs.size()), "0002000000010000");
}

/* RFC 8489 section 9.2.4, in order ------------------------------------------------------------- */

TEST_F(Auth, NoIntegrityIsAChallenge)
{
	tp_auth_result r;
	request rq = alice();

	rq.integrity = NO_INTEGRITY;
	EXPECT_EQ(check(rq, &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_NO_INTEGRITY);

	/* Even with nothing else: the first check decides. */
	request bare;
	bare.integrity = NO_INTEGRITY;
	EXPECT_EQ(check(bare, &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_NO_INTEGRITY);
	EXPECT_STREQ(tp_auth_failure_name(r.why), "no-integrity");
}

TEST_F(Auth, IntegrityWithoutUsernameRealmOrNonceIsABadRequest)
{
	tp_auth_result r;

	for (int missing = 0; missing < 3; missing++) {
		request rq = alice();
		const char *what[] = { "USERNAME", "REALM", "NONCE" };

		SCOPED_TRACE(what[missing]);
		if (missing == 0)
			rq.username.reset();
		else if (missing == 1)
			rq.realm.reset();
		else
			rq.nonce.reset();
		/* PASSWORD-ALGORITHM alone would be a bid-down too: this check comes first. */
		rq.algorithm = bytes(alg_sha256, alg_sha256 + 4);
		EXPECT_EQ(check(rq, &r), 400);
		EXPECT_EQ(r.why, TP_AUTH_MISSING_ATTRS);
	}
}

TEST_F(Auth, PasswordAlgorithmBidDownIsABadRequest)
{
	const bytes server_list = challenge_attr(TP_ATTR_PASSWORD_ALGORITHMS);
	const bytes md5(alg_md5, alg_md5 + 4), sha256(alg_sha256, alg_sha256 + 4);
	const struct {
		const char *what;
		std::optional<bytes> algorithms, algorithm;
	} cases[] = {
		{ "PASSWORD-ALGORITHMS without PASSWORD-ALGORITHM", server_list, std::nullopt },
		{ "PASSWORD-ALGORITHM without PASSWORD-ALGORITHMS", std::nullopt, sha256 },
		{ "PASSWORD-ALGORITHMS stripped to MD5", md5, md5 },
		{ "PASSWORD-ALGORITHMS reordered", bytes{ 0, 1, 0, 0, 0, 2, 0, 0 }, md5 },
		{ "PASSWORD-ALGORITHMS empty", bytes{}, md5 },
		{ "PASSWORD-ALGORITHM not in the list", server_list, bytes{ 0, 3, 0, 0 } },
		{ "PASSWORD-ALGORITHM with parameters", server_list,
		  bytes{ 0, 2, 0, 4, 1, 2, 3, 4 } },
		{ "PASSWORD-ALGORITHM truncated", server_list, bytes{ 0, 2 } },
	};

	for (const auto &c : cases) {
		SCOPED_TRACE(c.what);
		tp_auth_result r;
		request rq = alice();

		rq.algorithms = c.algorithms;
		rq.algorithm = c.algorithm;
		EXPECT_EQ(check(rq, &r), 400);
		EXPECT_EQ(r.why, TP_AUTH_BAD_ALGORITHMS);
	}
}

TEST_F(Auth, UnknownUserIsUnauthenticated)
{
	tp_auth_result r;
	request rq = alice();

	rq.username = "mallory";
	EXPECT_EQ(check(rq, &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_UNKNOWN_USER);

	rq.username = "alic"; /* a prefix of a user is not that user */
	EXPECT_EQ(check(rq, &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_UNKNOWN_USER);

	rq.username = std::string(TP_USERNAME_MAX + 1, 'a');
	EXPECT_EQ(check(rq, &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_UNKNOWN_USER);
}

TEST_F(Auth, WrongPasswordIsUnauthenticated)
{
	tp_auth_result r;
	request rq = alice();

	rq.key = long_term_key(EVP_md5(), "alice", "example.org", "Wonderland");
	EXPECT_EQ(check(rq, &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_BAD_INTEGRITY);

	/* The realm is part of the key: the right password under another realm fails too. */
	rq.key = long_term_key(EVP_md5(), "alice", "example.com", "wonderland");
	EXPECT_EQ(check(rq, &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_BAD_INTEGRITY);
}

TEST_F(Auth, IntegrityIsCheckedBeforeTheNonce)
{
	tp_auth_result r;
	tp_addr other = client;
	request rq = alice();

	other.port++;
	rq.nonce = nonce_for(other, now_ms);
	rq.key = long_term_key(EVP_md5(), "alice", "example.org", "guess");
	EXPECT_EQ(check(rq, &r), 401); /* not 438: a stale nonce is only news to a real user */
	EXPECT_EQ(r.why, TP_AUTH_BAD_INTEGRITY);
}

TEST_F(Auth, NonceOfAnotherClientIsStale)
{
	tp_auth_result r;
	tp_addr other_port = client;
	request rq = alice();

	other_port.port++;
	rq.nonce = nonce_for(other_port, now_ms);
	EXPECT_EQ(check(rq, &r), 438);
	EXPECT_EQ(r.why, TP_AUTH_STALE_NONCE);

	/* The same request from the client the nonce was given to succeeds. */
	EXPECT_EQ(check(rq, &r, now_ms, &other_port), 0);
}

TEST_F(Auth, NonceNotIssuedHereIsStale)
{
	tp_auth_result r;
	const char *foreign[] = {
		"f//499k954d6OL34oL9FSTvy64sA",		 /* RFC 5769 2.4 */
		"obMatJos2gAAA",			 /* the cookie alone */
		"obMatJos2gAAAffffffffAAAAAAAAAAAAAAAA", /* an older form */
		"obMatJos2gAAA/////wAAAAAAAAAA",	 /* a far expiry, a made-up MAC */
		"obMatJos2gAAA/////wAAAAAAAAA=",	 /* the same, padded */
	};

	for (const char *n : foreign) {
		SCOPED_TRACE(n);
		request rq = alice();

		rq.nonce = n;
		EXPECT_EQ(check(rq, &r), 438);
		EXPECT_EQ(r.why, TP_AUTH_STALE_NONCE);
	}
}

TEST_F(Auth, NonceCannotBeAltered)
{
	std::string good = nonce_for(client, now_ms);

	for (size_t i = 13; i < good.size(); i++) {
		SCOPED_TRACE(i);
		tp_auth_result r;
		request rq = alice();
		std::string n = good;

		n[i] = n[i] == 'f' ? 'e' : 'f'; /* a later expiry, or a changed MAC */
		rq.nonce = n;
		EXPECT_EQ(check(rq, &r), 438);
	}
}

TEST_F(Auth, NonceExpiresAfterItsLifetime)
{
	tp_auth_result r;
	const uint64_t lifetime_ms = cfg.nonce_lifetime * 1000ull;

	ASSERT_EQ(cfg.nonce_lifetime, 600u);
	EXPECT_EQ(check(alice(), &r, now_ms + lifetime_ms - 1), 0);
	EXPECT_EQ(check(alice(), &r, now_ms + lifetime_ms), 438);
	EXPECT_EQ(r.why, TP_AUTH_STALE_NONCE);
	EXPECT_EQ(check(alice(), &r, now_ms + 10 * lifetime_ms), 438);
}

TEST_F(Auth, Md5SuccessAnswersWithMessageIntegrity)
{
	tp_auth_result r;

	ASSERT_EQ(check(alice(), &r), 0);
	EXPECT_EQ(r.code, 0);
	EXPECT_EQ(r.why, TP_AUTH_NONE);
	EXPECT_FALSE(r.sha256);
	ASSERT_EQ(r.keylen, 16);
	EXPECT_EQ(bytes(r.key, r.key + 16),
		  long_term_key(EVP_md5(), "alice", "example.org", "wonderland"));
	EXPECT_STREQ(r.username, "alice");
	EXPECT_EQ(r.username_len, 5);
	EXPECT_EQ(r.user_off, 0);
}

TEST_F(Auth, Md5SignedWithSha256IntegrityStillAnswersWithMessageIntegrity)
{
	/* RFC 8489 section 9.2.4: without PASSWORD-ALGORITHM(S) the request is processed as MD5,
	 * and then the response uses MESSAGE-INTEGRITY. */
	tp_auth_result r;
	request rq = alice();

	rq.integrity = MI_SHA256;
	ASSERT_EQ(check(rq, &r), 0);
	EXPECT_FALSE(r.sha256);
	EXPECT_EQ(r.keylen, 16);
}

TEST_F(Auth, Sha256SuccessAnswersWithMessageIntegritySha256)
{
	tp_auth_result r;

	ASSERT_EQ(check(alice_sha256(), &r), 0);
	EXPECT_EQ(r.why, TP_AUTH_NONE);
	EXPECT_TRUE(r.sha256);
	ASSERT_EQ(r.keylen, 32);
	EXPECT_EQ(bytes(r.key, r.key + 32),
		  long_term_key(EVP_sha256(), "alice", "example.org", "wonderland"));

	/* The MD5 key does not pass for SHA-256. */
	request rq = alice_sha256();
	rq.key = long_term_key(EVP_md5(), "alice", "example.org", "wonderland");
	EXPECT_EQ(check(rq, &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_BAD_INTEGRITY);
}

TEST_F(Auth, ExplicitMd5AnswersWithMessageIntegritySha256)
{
	/* A client that echoes PASSWORD-ALGORITHMS and picks MD5 gets MESSAGE-INTEGRITY-SHA256
	 * back (RFC 8489 section 9.2.4, last paragraph); its key is still the MD5 one. */
	tp_auth_result r;
	request rq = alice();

	rq.algorithms = challenge_attr(TP_ATTR_PASSWORD_ALGORITHMS);
	rq.algorithm = bytes(alg_md5, alg_md5 + 4);
	ASSERT_EQ(check(rq, &r), 0);
	EXPECT_TRUE(r.sha256);
	EXPECT_EQ(r.keylen, 16);
}

TEST_F(Auth, UserWithConfiguredKeyWorksForMd5Only)
{
	tp_auth_result r;
	request rq = alice();

	rq.username = "bob";
	rq.key = long_term_key(EVP_md5(), "bob", "example.org", "hunter2");
	ASSERT_EQ(check(rq, &r), 0);
	EXPECT_EQ(hexstr(r.key, r.keylen), "ef57bc8d8c15ddbbe601ea638397ef72");

	/* Without the password there is no SHA-256 key to check against. */
	request sha = alice_sha256();
	sha.username = "bob";
	sha.key = long_term_key(EVP_sha256(), "bob", "example.org", "hunter2");
	EXPECT_EQ(check(sha, &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_UNKNOWN_USER);
}

/* Time-limited credentials (coturn's use-auth-secret) ------------------------------------------ */

TEST_F(Auth, TimeLimitedUsernameWithTheCurrentSecret)
{
	tp_auth_result r;
	std::string username = std::to_string(unix_s + 3600) + ":carol";

	ASSERT_EQ(check(timed(username, "current-secret"), &r), 0);
	EXPECT_EQ(std::string(r.username, r.username_len), username);
	/* The quota identity is the name after the expiry. */
	EXPECT_STREQ(r.username + r.user_off, "carol");
	EXPECT_EQ(r.user_off, 11);
}

TEST_F(Auth, TimeLimitedUsernameWithThePreviousSecret)
{
	tp_auth_result r;
	std::string username = std::to_string(unix_s + 60) + ":carol";

	EXPECT_EQ(check(timed(username, "previous-secret"), &r), 0);
	EXPECT_EQ(check(timed(username, "never-configured"), &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_BAD_INTEGRITY);
}

TEST_F(Auth, TimeLimitedUsernameExpires)
{
	tp_auth_result r;
	std::string username = std::to_string(unix_s - 1) + ":carol";

	EXPECT_EQ(check(timed(username, "current-secret"), &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_EXPIRED_CREDENTIALS);

	/* Still good in its last second. */
	username = std::to_string(unix_s) + ":carol";
	EXPECT_EQ(check(timed(username, "current-secret"), &r), 0);
}

TEST_F(Auth, TimeLimitedUsernameOfOnlyDigits)
{
	tp_auth_result r;
	std::string username = std::to_string(unix_s + 3600);

	ASSERT_EQ(check(timed(username, "current-secret"), &r), 0);
	EXPECT_EQ(r.user_off, username.size());
	EXPECT_STREQ(r.username + r.user_off, "");
}

TEST_F(Auth, TimeLimitedUsernameWithSha256)
{
	tp_auth_result r;
	std::string username = std::to_string(unix_s + 3600) + ":carol";
	request rq = alice_sha256();

	rq.username = username;
	rq.key = long_term_key(EVP_sha256(), username, "example.org",
			       coturn_password("current-secret", username));
	ASSERT_EQ(check(rq, &r), 0);
	EXPECT_TRUE(r.sha256);
	EXPECT_EQ(r.keylen, 32);
}

TEST_F(Auth, NotATimeLimitedUsername)
{
	tp_auth_result r;

	for (const char *u : { "carol", ":carol", "1700003600carol", "17000x3600:carol" }) {
		SCOPED_TRACE(u);
		EXPECT_EQ(check(timed(u, "current-secret"), &r), 401);
		EXPECT_EQ(r.why, TP_AUTH_UNKNOWN_USER);
	}
}

TEST(AuthWithoutSecrets, TimeLimitedUsernameIsUnknown)
{
	tp_config cfg;
	char err[256];
	tp_auth_result r;
	tp_stun_msg m;
	uint8_t buf[256];
	tp_stun_builder b;
	tp_addr client;
	static const uint8_t tid[TP_STUN_TID_LEN] = { 1 };

	ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
	ASSERT_EQ(cfg.nsecrets, 0u);
	tp_auth *auth = tp_auth_create(&cfg);
	ASSERT_NE(auth, nullptr);
	ASSERT_EQ(tp_addr_parse_ip(&client, "192.0.2.1"), 0);

	char nonce[TP_NONCE_MAX];
	tp_auth_nonce(auth, &client, 1000, nonce);
	std::string username = "4000000000:carol";
	bytes key = long_term_key(EVP_md5(), username, "turnpike", coturn_password("", username));
	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_ALLOCATE, TP_STUN_REQUEST, tid);
	tp_stun_add_str(&b, TP_ATTR_USERNAME, username.c_str());
	tp_stun_add_str(&b, TP_ATTR_REALM, "turnpike");
	tp_stun_add_str(&b, TP_ATTR_NONCE, nonce);
	tp_stun_add_integrity(&b, false, key.data(), key.size());
	int n = tp_stun_build_end(&b);
	ASSERT_GT(n, 0);
	ASSERT_EQ(tp_stun_parse(&m, buf, (size_t)n), TP_STUN_OK);
	EXPECT_EQ(tp_auth_check(auth, &m, &client, 1000, 1700000000, &r), 401);
	EXPECT_EQ(r.why, TP_AUTH_UNKNOWN_USER);
	tp_auth_destroy(auth);
	tp_config_free(&cfg);
}

} // namespace
