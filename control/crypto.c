/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libcrypto wrappers: multi-part HMAC and digests, base64 and random bytes (see crypto.h).
 */
#include "crypto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
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

int
tp_hmac(enum tp_hash hash, const void *key, size_t keylen, const struct tp_iov *parts,
	size_t nparts, uint8_t *out, size_t outlen)
{
	/*
	 * One context per hash, set up once and keyed again for each message: fetching the MAC
	 * and its digest, and a context's allocations, cost more than the HMAC of a STUN message.
	 * The control thread is the only caller.
	 */
	static EVP_MAC *mac;
	static EVP_MAC_CTX *ctx[TP_HASH_SHA256 + 1];
	size_t len = 0;

	if ((unsigned)hash > TP_HASH_SHA256)
		return -EINVAL;
	if (!ctx[hash]) {
		OSSL_PARAM params[2];

		if (!mac && !(mac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
			return -EIO;
		if (!(ctx[hash] = EVP_MAC_CTX_new(mac)))
			return -ENOMEM;
		params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
							     (char *)hash_name(hash), 0);
		params[1] = OSSL_PARAM_construct_end();
		if (!EVP_MAC_CTX_set_params(ctx[hash], params)) {
			EVP_MAC_CTX_free(ctx[hash]);
			ctx[hash] = NULL;
			return -EIO;
		}
	}
	if (!EVP_MAC_init(ctx[hash], key, keylen, NULL))
		return -EIO;
	for (size_t i = 0; i < nparts; i++)
		if (!EVP_MAC_update(ctx[hash], parts[i].base, parts[i].len))
			return -EIO;
	return EVP_MAC_final(ctx[hash], out, &len, outlen) ? (int)len : -EIO;
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

void
tp_random(void *buf, size_t len)
{
	if (RAND_bytes(buf, (int)len) != 1) {
		fprintf(stderr, "turnpike: RAND_bytes failed: no entropy source\n");
		abort();
	}
}
