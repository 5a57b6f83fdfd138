/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libcrypto wrappers: multi-part HMAC and digests, base64 and random bytes (see crypto.h).
 */
#include "crypto.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

static const char *
hash_name(enum tp_hash hash)
{
	switch (hash) {
	case TP_HASH_MD5:
		return "MD5";
	case TP_HASH_SHA1:
		return "SHA1";
	case TP_HASH_SHA256:
		return "SHA256";
	}
	return NULL;
}

/*
 * Keyed HMAC contexts, a few per hash, most recently used first. Setting a key costs more
 * than the HMAC of a STUN message (the padded key through the compression function twice,
 * then context copies), and most keys come straight back: the nonce key on every request, a
 * secret on every time-limited credential, a user's key for the check and then for the
 * answer. A context found with the same key is only reset; the least recently used one takes
 * a new key. Keys longer than HMAC_KEY_MAX are set each time. The control thread is the only
 * caller.
 */
#define HMAC_SLOTS   4
#define HMAC_KEY_MAX 256

struct hmac_slot {
	EVP_MAC_CTX *ctx;
	size_t keylen; /* 0: no key kept (none set yet, or one too long to keep) */
	uint8_t key[HMAC_KEY_MAX];
};

struct hmac_cache {
	struct hmac_slot slot[HMAC_SLOTS];
	uint8_t order[HMAC_SLOTS]; /* slot indices, most recently used first */
	bool ordered;
};

static EVP_MAC_CTX *
hmac_ctx_new(enum tp_hash hash)
{
	static EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	OSSL_PARAM params[2];

	if (!mac && !(mac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
		return NULL;
	if (!(ctx = EVP_MAC_CTX_new(mac)))
		return NULL;
	params[0] =
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)hash_name(hash), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_CTX_set_params(ctx, params)) {
		EVP_MAC_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static bool
holds_key(const struct hmac_slot *s, const void *key, size_t keylen)
{
	return s->keylen && s->keylen == keylen && CRYPTO_memcmp(s->key, key, keylen) == 0;
}

/* A context of hash ready for a message under key, or NULL. */
static EVP_MAC_CTX *
hmac_ctx_for(enum tp_hash hash, const void *key, size_t keylen)
{
	static struct hmac_cache caches[TP_HASH_SHA256 + 1];
	struct hmac_cache *c = &caches[hash];
	struct hmac_slot *s;
	unsigned i, idx;

	if (!c->ordered) {
		for (i = 0; i < HMAC_SLOTS; i++)
			c->order[i] = (uint8_t)i;
		c->ordered = true;
	}
	for (i = 0; i < HMAC_SLOTS - 1 && !holds_key(&c->slot[c->order[i]], key, keylen); i++)
		;
	/* Found at i, or not found: i is the last place, whose slot takes the key. */
	idx = c->order[i];
	memmove(&c->order[1], &c->order[0], i);
	c->order[0] = (uint8_t)idx;
	s = &c->slot[idx];
	if (holds_key(s, key, keylen))
		return EVP_MAC_init(s->ctx, NULL, 0, NULL) ? s->ctx : NULL;

	OPENSSL_cleanse(s->key, s->keylen);
	s->keylen = 0;
	if (!s->ctx && !(s->ctx = hmac_ctx_new(hash)))
		return NULL;
	if (!EVP_MAC_init(s->ctx, key, keylen, NULL))
		return NULL;
	if (keylen <= HMAC_KEY_MAX) {
		memcpy(s->key, key, keylen);
		s->keylen = keylen;
	}
	return s->ctx;
}

int
tp_hmac(enum tp_hash hash, const void *key, size_t keylen, const struct tp_iov *parts,
	size_t nparts, uint8_t *out, size_t outlen)
{
	EVP_MAC_CTX *ctx;
	size_t len = 0;

	if ((unsigned)hash > TP_HASH_SHA256)
		return -EINVAL;
	if (!(ctx = hmac_ctx_for(hash, key, keylen)))
		return -EIO;
	for (size_t i = 0; i < nparts; i++)
		if (!EVP_MAC_update(ctx, parts[i].base, parts[i].len))
			return -EIO;
	return EVP_MAC_final(ctx, out, &len, outlen) ? (int)len : -EIO;
}

int
tp_digest(enum tp_hash hash, const struct tp_iov *parts, size_t nparts, uint8_t *out, size_t outlen)
{
	/* Fetched once, one context kept: as for tp_hmac, the control thread is the only caller. */
	static EVP_MD *md[TP_HASH_SHA256 + 1];
	static EVP_MD_CTX *ctx;
	unsigned len = 0;

	if ((unsigned)hash > TP_HASH_SHA256)
		return -EINVAL;
	if (!md[hash] && !(md[hash] = EVP_MD_fetch(NULL, hash_name(hash), NULL)))
		return -EIO;
	if (!ctx && !(ctx = EVP_MD_CTX_new()))
		return -ENOMEM;
	if (outlen < (size_t)EVP_MD_get_size(md[hash]) || !EVP_DigestInit_ex2(ctx, md[hash], NULL))
		return -EIO;
	for (size_t i = 0; i < nparts; i++)
		if (!EVP_DigestUpdate(ctx, parts[i].base, parts[i].len))
			return -EIO;
	return EVP_DigestFinal_ex(ctx, out, &len) ? (int)len : -EIO;
}

int
tp_base64(const uint8_t *in, size_t len, char *out, size_t outlen)
{
	if (outlen < 4 * ((len + 2) / 3) + 1 || len > 0x3fffffff)
		return -ENOSPC;
	return EVP_EncodeBlock((unsigned char *)out, in, (int)len);
}

int
tp_unbase64(const char *in, size_t len, uint8_t *out, size_t outlen)
{
	uint8_t tmp[192];

	if (len % 4 || len / 4 * 3 != outlen || outlen > sizeof(tmp) || memchr(in, '=', len) ||
	    EVP_DecodeBlock(tmp, (const unsigned char *)in, (int)len) != (int)outlen)
		return -EINVAL;
	memcpy(out, tmp, outlen);
	OPENSSL_cleanse(tmp, sizeof(tmp));
	return 0;
}

void
tp_random(void *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1) {
		fprintf(stderr, "turnpike: RAND_bytes failed: no entropy source\n");
		abort();
	}
}

uint32_t
tp_random_u32(void)
{
	/* Drawn from the generator a block at a time; what was handed out is wiped. */
	static uint8_t pool[256];
	static size_t left;
	uint32_t v;

	if (left < sizeof(v)) {
		tp_random(pool, sizeof(pool));
		left = sizeof(pool);
	}
	left -= sizeof(v);
	memcpy(&v, pool + left, sizeof(v));
	OPENSSL_cleanse(pool + left, sizeof(v));
	return v;
}
