/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Long-term credentials for TURN (RFC 8489 section 9.2): nonces, key derivation and the
 * ordered checks a server makes on every authenticated request.
 *
 * Nonces hold no server state: a nonce is the RFC 8489 cookie, its expiry time and an HMAC
 * over that expiry and the client's address and port, under a key drawn at start-up. So no
 * per-client state exists before a request authenticates, and a nonce is good only for the
 * client it was given to, until it expires (then 438 with a fresh one).
 *
 * Credentials come from static users in the config, or are time-limited ones in the format
 * of coturn's use-auth-secret: username "<expiry>:<name>", password base64(HMAC-SHA1(secret,
 * username)). The key is MD5(username:realm:password), or SHA-256 of the same string when
 * the client chose PASSWORD-ALGORITHM SHA-256.
 */
#ifndef TP_AUTH_H
#define TP_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "stun.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TP_USERNAME_MAX 512
#define TP_NONCE_MAX	64

/* X(name, text): why a request did not authenticate, for counters and the debug log. */
#define TP_AUTH_FAILURES(X)                                 \
	X(NONE, "ok")                                       \
	X(NO_INTEGRITY, "no-integrity")                     \
	X(MISSING_ATTRS, "missing-username-realm-or-nonce") \
	X(BAD_ALGORITHMS, "bad-password-algorithms")        \
	X(UNKNOWN_USER, "unknown-user")                     \
	X(EXPIRED_CREDENTIALS, "expired-credentials")       \
	X(BAD_INTEGRITY, "bad-integrity")                   \
	X(STALE_NONCE, "stale-nonce")

enum tp_auth_failure {
#define X(n, s) TP_AUTH_##n,
	TP_AUTH_FAILURES(X)
#undef X
		TP_AUTH_FAILURE_COUNT
};

struct tp_auth_result {
	int code; /* 0 when authenticated, else the error to answer: 400, 401 or 438 */
	enum tp_auth_failure why;
	bool sha256; /* answer with MESSAGE-INTEGRITY-SHA256 rather than MESSAGE-INTEGRITY */
	uint8_t keylen;
	uint8_t key[32];
	uint16_t username_len;
	uint16_t user_off; /* where the quota identity starts in username */
	char username[TP_USERNAME_MAX + 1];
};

struct tp_auth;

struct tp_auth *tp_auth_create(const struct tp_config *cfg);
void tp_auth_destroy(struct tp_auth *a);
/* cfg's credentials and nonce lifetime from now on (a reload; the realm and the nonce key stay:
 * nonces already out remain good). cfg's secrets and users must outlive a's use of them. */
void tp_auth_configure(struct tp_auth *a, const struct tp_config *cfg);

/* A fresh nonce for client, valid from now_ms on for the configured lifetime. */
void tp_auth_nonce(const struct tp_auth *a, const struct tp_addr *client, uint64_t now_ms,
		   char out[TP_NONCE_MAX]);

/*
 * The RFC 8489 section 9.2.4 checks, in order, on a request from client. now_ms is the
 * engine's monotonic clock (nonces), unix_s the wall clock (time-limited usernames).
 * Returns r->code.
 */
int tp_auth_check(const struct tp_auth *a, const struct tp_stun_msg *m,
		  const struct tp_addr *client, uint64_t now_ms, int64_t unix_s,
		  struct tp_auth_result *r);

/* Add REALM, NONCE and PASSWORD-ALGORITHMS, as 401 and 438 responses carry them. */
void tp_auth_add_challenge(const struct tp_auth *a, struct tp_stun_builder *b,
			   const struct tp_addr *client, uint64_t now_ms);

const char *tp_auth_failure_name(enum tp_auth_failure f);

/* Long-term key for username:realm:password with MD5 (16 bytes) or SHA-256 (32 bytes). */
int tp_auth_derive_key(bool sha256, const char *user, size_t ulen, const char *realm,
		       const char *password, uint8_t *key);
/*
 * The same for a time-limited username under secret: its password is
 * base64(HMAC-SHA1(secret, username)), as coturn's use-auth-secret makes it.
 */
int tp_auth_derive_timed_key(bool sha256, const char *secret, const char *user, size_t ulen,
			     const char *realm, uint8_t *key);

#ifdef __cplusplus
}
#endif

#endif
