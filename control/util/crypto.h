/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Thin wrappers over OpenSSL's libcrypto for what STUN needs: HMAC-SHA1 and HMAC-SHA256 over
 * a message in pieces (the header with a patched length, then the body), MD5 and SHA-256
 * digests for long-term keys, base64 for time-limited passwords and nonces, and random bytes.
 * Keeping the EVP calls here keeps the codec and auth code readable.
 */
#ifndef TP_CRYPTO_H
#define TP_CRYPTO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum tp_hash {
	TP_HASH_MD5,
	TP_HASH_SHA1,
	TP_HASH_SHA256,
};

struct tp_iov {
	const void *base;
	size_t len;
};

/* HMAC over the concatenation of parts; out holds the full digest. Returns its length or <0. */
int tp_hmac(enum tp_hash hash, const void *key, size_t keylen, const struct tp_iov *parts,
	    size_t nparts, uint8_t *out, size_t outlen);
/* Digest over the concatenation of parts. Returns its length or <0. */
int tp_digest(enum tp_hash hash, const struct tp_iov *parts, size_t nparts, uint8_t *out,
	      size_t outlen);
/* Standard base64 with padding, NUL-terminated. Returns the text length or <0. */
int tp_base64(const uint8_t *in, size_t len, char *out, size_t outlen);
/* The reverse, for text whose length is a multiple of 4 and decodes to exactly outlen bytes
 * (no padding). Returns 0, or -EINVAL for anything else. */
int tp_unbase64(const char *in, size_t len, uint8_t *out, size_t outlen);
/* Cryptographically strong random bytes; aborts start-up if the generator fails. */
void tp_random(void *buf, size_t len);
/*
 * The same generator's output four bytes at a time, for choices made on every request (a
 * relayed port): drawn in blocks, since each draw from the generator costs about a
 * microsecond. Not thread-safe: the control thread's own.
 */
uint32_t tp_random_u32(void);

#ifdef __cplusplus
}
#endif

#endif
