/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Long-term credential checks, stateless nonces and key derivation (see auth.h).
 */
#include "auth.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "crypto.h"

/* RFC 8489 section 9.2: cookie plus base64 of the security features, "Password algorithms"
 * (bit 0, the most significant) set: 0x800000 -> "gAAA". Then base64 of the expiry (Unix
 * seconds of the monotonic clock, 4 bytes) and 8 bytes of HMAC-SHA256 over it and the client's
 * address: 12 bytes, 16 characters, no padding. A 401 goes to whatever address a request
 * claims, so its nonce is as short as its job allows: 64 bits of MAC is far more than an
 * online guesser gets through in a nonce's lifetime. */
#define NONCE_COOKIE	 "obMatJos2gAAA"
#define NONCE_COOKIE_LEN 13
#define NONCE_MAC_LEN	 8
#define NONCE_TAIL	 (4 + NONCE_MAC_LEN) /* bytes after the cookie, before base64 */
#define NONCE_LEN	 (NONCE_COOKIE_LEN + NONCE_TAIL / 3 * 4)
_Static_assert(NONCE_TAIL % 3 == 0, "the nonce's tail is base64 without padding");
_Static_assert(NONCE_LEN < TP_NONCE_MAX, "nonce buffer");

#define PA_MD5	  0x0001
#define PA_SHA256 0x0002

/* PASSWORD-ALGORITHMS as sent in every challenge: SHA-256 preferred, then MD5. */
static const uint8_t password_algorithms[] = { 0x00, 0x02, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00 };

struct tp_auth {
	char realm[TP_CFG_NAME_MAX];
	unsigned nonce_lifetime_ms;
	uint8_t nonce_key[32];
	unsigned nsecrets;
	char (*secrets)[256];
	unsigned nusers;
	const struct tp_cfg_user *users;
};

struct tp_auth *
tp_auth_create(const struct tp_config *cfg)
{
	struct tp_auth *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	memcpy(a->realm, cfg->realm, sizeof(a->realm));
	tp_random(a->nonce_key, sizeof(a->nonce_key));
	tp_auth_configure(a, cfg);
	return a;
}

void
tp_auth_configure(struct tp_auth *a, const struct tp_config *cfg)
{
	a->nonce_lifetime_ms = cfg->nonce_lifetime * 1000u;
	a->nsecrets = cfg->nsecrets;
	a->secrets = (char(*)[256])cfg->secrets;
	a->nusers = cfg->nusers;
	a->users = cfg->users;
}

void
tp_auth_destroy(struct tp_auth *a)
{
	if (a)
		OPENSSL_cleanse(a->nonce_key, sizeof(a->nonce_key));
	free(a);
}

const char *
tp_auth_failure_name(enum tp_auth_failure f)
{
	static const char *const names[] = {
#define X(n, s) [TP_AUTH_##n] = s,
		TP_AUTH_FAILURES(X)
#undef X
	};

	return (unsigned)f < TP_AUTH_FAILURE_COUNT ? names[f] : "unknown";
}

int
tp_auth_derive_key(bool sha256, const char *user, size_t ulen, const char *realm,
		   const char *password, uint8_t *key)
{
	struct tp_iov parts[] = {
		{ user, ulen },
		{ ":", 1 },
		{ realm, strlen(realm) },
		{ ":", 1 },
		{ password, strlen(password) },
	};

	return tp_digest(sha256 ? TP_HASH_SHA256 : TP_HASH_MD5, parts, 5, key, 32);
}

int
tp_auth_derive_timed_key(bool sha256, const char *secret, const char *user, size_t ulen,
			 const char *realm, uint8_t *key)
{
	struct tp_iov part = { user, ulen };
	uint8_t mac[20];
	char password[32];
	int ret;

	if ((ret = tp_hmac(TP_HASH_SHA1, secret, strlen(secret), &part, 1, mac, sizeof(mac))) < 0 ||
	    (ret = tp_base64(mac, sizeof(mac), password, sizeof(password))) < 0)
		return ret;
	return tp_auth_derive_key(sha256, user, ulen, realm, password, key);
}

/* Nonces --------------------------------------------------------------------------------- */

/* tail: the expiry, big-endian, then its MAC goes behind it. */
static void
nonce_tail(const struct tp_auth *a, uint32_t expiry, const struct tp_addr *client,
	   uint8_t tail[NONCE_TAIL])
{
	uint8_t mac[32];
	struct tp_iov parts[] = {
		{ tail, 4 },
		{ client, sizeof(*client) },
	};

	tail[0] = (uint8_t)(expiry >> 24);
	tail[1] = (uint8_t)(expiry >> 16);
	tail[2] = (uint8_t)(expiry >> 8);
	tail[3] = (uint8_t)expiry;
	tp_hmac(TP_HASH_SHA256, a->nonce_key, sizeof(a->nonce_key), parts, 2, mac, sizeof(mac));
	memcpy(tail + 4, mac, NONCE_MAC_LEN);
}

void
tp_auth_nonce(const struct tp_auth *a, const struct tp_addr *client, uint64_t now_ms,
	      char out[TP_NONCE_MAX])
{
	uint8_t tail[NONCE_TAIL];

	nonce_tail(a, (uint32_t)((now_ms + a->nonce_lifetime_ms) / 1000), client, tail);
	memcpy(out, NONCE_COOKIE, NONCE_COOKIE_LEN);
	tp_base64(tail, sizeof(tail), out + NONCE_COOKIE_LEN, TP_NONCE_MAX - NONCE_COOKIE_LEN);
}

static bool
nonce_valid(const struct tp_auth *a, const uint8_t *nonce, size_t len, const struct tp_addr *client,
	    uint64_t now_ms)
{
	uint8_t got[NONCE_TAIL], want[NONCE_TAIL];
	uint32_t expiry;

	if (len != NONCE_LEN || memcmp(nonce, NONCE_COOKIE, NONCE_COOKIE_LEN) != 0 ||
	    tp_unbase64((const char *)nonce + NONCE_COOKIE_LEN, len - NONCE_COOKIE_LEN, got,
			sizeof(got)) < 0)
		return false;
	expiry = (uint32_t)got[0] << 24 | (uint32_t)got[1] << 16 | (uint32_t)got[2] << 8 | got[3];
	nonce_tail(a, expiry, client, want);
	if (CRYPTO_memcmp(got + 4, want + 4, NONCE_MAC_LEN) != 0)
		return false;
	return (uint64_t)expiry * 1000 > now_ms;
}

void
tp_auth_add_challenge(const struct tp_auth *a, struct tp_stun_builder *b,
		      const struct tp_addr *client, uint64_t now_ms)
{
	char nonce[TP_NONCE_MAX];

	tp_auth_nonce(a, client, now_ms, nonce);
	tp_stun_add_str(b, TP_ATTR_REALM, a->realm);
	tp_stun_add_str(b, TP_ATTR_NONCE, nonce);
	tp_stun_add(b, TP_ATTR_PASSWORD_ALGORITHMS, password_algorithms,
		    sizeof(password_algorithms));
}

/* Checks ----------------------------------------------------------------------------------- */

/*
 * RFC 8489 section 9.2.4, step 3: our nonces advertise password algorithms, so a client either
 * ignores them (both attributes absent: MD5) or echoes our list and picks one from it; anything
 * else could be a bid-down and gets 400. Returns the algorithm or -1.
 */
static int
password_algorithm(const struct tp_stun_msg *m)
{
	const struct tp_stun_attr *algs = tp_stun_find(m, TP_ATTR_PASSWORD_ALGORITHMS);
	const struct tp_stun_attr *alg = tp_stun_find(m, TP_ATTR_PASSWORD_ALGORITHM);
	const struct tp_stun_attr *nonce = tp_stun_find(m, TP_ATTR_NONCE);

	if (nonce->len < NONCE_COOKIE_LEN ||
	    memcmp(tp_stun_value(m, nonce), NONCE_COOKIE, NONCE_COOKIE_LEN) != 0)
		return algs || alg ? -1 : PA_MD5;
	if (!algs && !alg)
		return PA_MD5;
	if (!algs || !alg || alg->len != 4)
		return -1;
	if (algs->len != sizeof(password_algorithms) ||
	    memcmp(tp_stun_value(m, algs), password_algorithms, sizeof(password_algorithms)) != 0)
		return -1;

	const uint8_t *v = tp_stun_value(m, alg);
	int which = v[0] << 8 | v[1];

	if ((which != PA_MD5 && which != PA_SHA256) || v[2] != 0 || v[3] != 0)
		return -1;
	return which;
}

/* "<expiry>" or "<expiry>:<name>" with a decimal expiry: the time-limited form. */
static bool
parse_timed_username(const char *u, size_t len, int64_t *expiry, size_t *name_off)
{
	size_t i = 0;
	int64_t v = 0;

	while (i < len && u[i] >= '0' && u[i] <= '9' && i < 18)
		v = v * 10 + (u[i++] - '0');
	if (i == 0 || (i < len && u[i] != ':'))
		return false;
	*expiry = v;
	*name_off = i < len ? i + 1 : len;
	return true;
}

static const struct tp_cfg_user *
find_user(const struct tp_auth *a, const char *name, size_t len)
{
	for (unsigned i = 0; i < a->nusers; i++)
		if (strlen(a->users[i].name) == len && memcmp(a->users[i].name, name, len) == 0)
			return &a->users[i];
	return NULL;
}

static bool
integrity_ok(const struct tp_stun_msg *m, const uint8_t *key, size_t keylen)
{
	/* With MESSAGE-INTEGRITY-SHA256 present, that is the one to verify (section 9.2.4). */
	return tp_stun_check_integrity(m, m->mi256_off != 0, key, keylen);
}

static int
set_fail(struct tp_auth_result *r, int code, enum tp_auth_failure why)
{
	r->code = code;
	r->why = why;
	return code;
}

int
tp_auth_check(const struct tp_auth *a, const struct tp_stun_msg *m, const struct tp_addr *client,
	      uint64_t now_ms, int64_t unix_s, struct tp_auth_result *r)
{
	const struct tp_stun_attr *user = tp_stun_find(m, TP_ATTR_USERNAME);
	const struct tp_stun_attr *nonce = tp_stun_find(m, TP_ATTR_NONCE);
	size_t keylen;
	int alg;

	memset(r, 0, sizeof(*r));
	if (!m->mi_off && !m->mi256_off)
		return set_fail(r, TP_ERR_UNAUTHENTICATED, TP_AUTH_NO_INTEGRITY);
	if (!user || !nonce || !tp_stun_find(m, TP_ATTR_REALM))
		return set_fail(r, TP_ERR_BAD_REQUEST, TP_AUTH_MISSING_ATTRS);
	if ((alg = password_algorithm(m)) < 0)
		return set_fail(r, TP_ERR_BAD_REQUEST, TP_AUTH_BAD_ALGORITHMS);
	r->sha256 = tp_stun_find(m, TP_ATTR_PASSWORD_ALGORITHM) != NULL;
	keylen = alg == PA_SHA256 ? 32 : 16;
	r->keylen = (uint8_t)keylen;

	if (user->len > TP_USERNAME_MAX)
		return set_fail(r, TP_ERR_UNAUTHENTICATED, TP_AUTH_UNKNOWN_USER);
	r->username_len = user->len;
	memcpy(r->username, tp_stun_value(m, user), user->len);
	r->username[user->len] = '\0';

	const struct tp_cfg_user *u = find_user(a, r->username, user->len);
	int64_t expiry;
	size_t name_off;

	if (u) {
		if (u->has_key && alg == PA_MD5)
			memcpy(r->key, u->key, 16);
		else if (u->has_key)
			return set_fail(r, TP_ERR_UNAUTHENTICATED, TP_AUTH_UNKNOWN_USER);
		else
			tp_auth_derive_key(alg == PA_SHA256, r->username, user->len, a->realm,
					   u->password, r->key);
		if (!integrity_ok(m, r->key, keylen))
			return set_fail(r, TP_ERR_UNAUTHENTICATED, TP_AUTH_BAD_INTEGRITY);
	} else if (a->nsecrets &&
		   parse_timed_username(r->username, user->len, &expiry, &name_off)) {
		bool ok = false;

		if (expiry < unix_s)
			return set_fail(r, TP_ERR_UNAUTHENTICATED, TP_AUTH_EXPIRED_CREDENTIALS);
		r->user_off = (uint16_t)name_off;
		/* Any configured secret may have issued it: that is how secrets rotate. */
		for (unsigned i = 0; i < a->nsecrets && !ok; i++) {
			tp_auth_derive_timed_key(alg == PA_SHA256, a->secrets[i], r->username,
						 user->len, a->realm, r->key);
			ok = integrity_ok(m, r->key, keylen);
		}
		if (!ok)
			return set_fail(r, TP_ERR_UNAUTHENTICATED, TP_AUTH_BAD_INTEGRITY);
	} else {
		return set_fail(r, TP_ERR_UNAUTHENTICATED, TP_AUTH_UNKNOWN_USER);
	}

	if (!nonce_valid(a, tp_stun_value(m, nonce), nonce->len, client, now_ms))
		return set_fail(r, TP_ERR_STALE_NONCE, TP_AUTH_STALE_NONCE);
	return set_fail(r, 0, TP_AUTH_NONE);
}
