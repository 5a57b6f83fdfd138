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

static const EVP_MD *
hash_md(enum tp_hash hash)
{
	switch (hash) {
	case TP_HASH_MD5:
		return EVP_md5();
	case TP_HASH_SHA1:
		return EVP_sha1();
	case TP_HASH_SHA256:
		return EVP_sha256();
	}
	return NULL;
}

int
tp_hmac(enum tp_hash hash, const void *key, size_t keylen, const struct tp_iov *parts,
	size_t nparts, uint8_t *out, size_t outlen)
{
	/* Fetched once: the control thread is the only caller, and fetching is the slow part. */
	static EVP_MAC *mac;
	OSSL_PARAM params[2];
	EVP_MAC_CTX *ctx;
	size_t len = 0;
	int ret = -EIO;

	if (!mac && !(mac = EVP_MAC_fetch(NULL, "HMAC", NULL)))
		return -EIO;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		return -ENOMEM;
	params[0] =
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)hash_name(hash), 0);
	params[1] = OSSL_PARAM_construct_end();
	if (!EVP_MAC_init(ctx, key, keylen, params))
		goto out;
	for (size_t i = 0; i < nparts; i++)
		if (!EVP_MAC_update(ctx, parts[i].base, parts[i].len))
			goto out;
	if (EVP_MAC_final(ctx, out, &len, outlen))
		ret = (int)len;
out:
	EVP_MAC_CTX_free(ctx);
	return ret;
}

int
tp_digest(enum tp_hash hash, const struct tp_iov *parts, size_t nparts, uint8_t *out, size_t outlen)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	const EVP_MD *md = hash_md(hash);
	unsigned len = 0;
	int ret = -EIO;

	if (!ctx)
		return -ENOMEM;
	if (outlen < (size_t)EVP_MD_get_size(md) || !EVP_DigestInit_ex(ctx, md, NULL))
		goto out;
	for (size_t i = 0; i < nparts; i++)
		if (!EVP_DigestUpdate(ctx, parts[i].base, parts[i].len))
			goto out;
	if (EVP_DigestFinal_ex(ctx, out, &len))
		ret = (int)len;
out:
	EVP_MD_CTX_free(ctx);
	return ret;
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
