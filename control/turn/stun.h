/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN message codec (RFC 8489) with the TURN attributes of RFC 8656 and RFC 6156.
 *
 * The parser validates a whole datagram before anyone looks at it: header, magic cookie,
 * length, the attribute walk with padding, the attributes that follow MESSAGE-INTEGRITY
 * (ignored, RFC 8489 section 14.5), and FINGERPRINT when present. It copies nothing: the
 * parsed message indexes the caller's buffer. The builder appends attributes to a caller's
 * buffer and keeps the header length current, so MESSAGE-INTEGRITY and FINGERPRINT can be
 * computed over exactly the bytes that precede them.
 *
 * Methods, attributes, error codes and parse errors are each declared once, as X-macro lists,
 * so that names in logs and counters come from the same place as the constants.
 */
#ifndef TP_STUN_H
#define TP_STUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TP_STUN_HDR_LEN	  20
#define TP_STUN_MAGIC	  0x2112A442u
#define TP_STUN_TID_LEN	  12
#define TP_STUN_FP_XOR	  0x5354554Eu
#define TP_STUN_MI_LEN	  20
#define TP_STUN_MI256_LEN 32
/* Largest message the relay builds or accepts: one UDP datagram. */
#define TP_STUN_MAX_MSG 65535
/* Attributes indexed per message; more is refused as malformed (bounded work). */
#define TP_STUN_MAX_ATTRS 48
/* Unknown comprehension-required attributes reported in one 420 response. */
#define TP_STUN_MAX_UNKNOWN 16

/* X(name, value, text) */
#define TP_STUN_METHODS(X)                              \
	X(BINDING, 0x001, "Binding")                    \
	X(ALLOCATE, 0x003, "Allocate")                  \
	X(REFRESH, 0x004, "Refresh")                    \
	X(SEND, 0x006, "Send")                          \
	X(DATA, 0x007, "Data")                          \
	X(CREATE_PERMISSION, 0x008, "CreatePermission") \
	X(CHANNEL_BIND, 0x009, "ChannelBind")

enum tp_stun_method {
#define X(n, v, s) TP_STUN_##n = v,
	TP_STUN_METHODS(X)
#undef X
};

enum tp_stun_class {
	TP_STUN_REQUEST = 0,
	TP_STUN_INDICATION = 1,
	TP_STUN_SUCCESS = 2,
	TP_STUN_ERROR = 3,
};

/* X(name, type, text). Types below 0x8000 are comprehension-required. */
#define TP_STUN_ATTRS(X)                                                              \
	X(MAPPED_ADDRESS, 0x0001, "MAPPED-ADDRESS")                                   \
	X(USERNAME, 0x0006, "USERNAME")                                               \
	X(MESSAGE_INTEGRITY, 0x0008, "MESSAGE-INTEGRITY")                             \
	X(ERROR_CODE, 0x0009, "ERROR-CODE")                                           \
	X(UNKNOWN_ATTRIBUTES, 0x000A, "UNKNOWN-ATTRIBUTES")                           \
	X(CHANNEL_NUMBER, 0x000C, "CHANNEL-NUMBER")                                   \
	X(LIFETIME, 0x000D, "LIFETIME")                                               \
	X(XOR_PEER_ADDRESS, 0x0012, "XOR-PEER-ADDRESS")                               \
	X(DATA, 0x0013, "DATA")                                                       \
	X(REALM, 0x0014, "REALM")                                                     \
	X(NONCE, 0x0015, "NONCE")                                                     \
	X(XOR_RELAYED_ADDRESS, 0x0016, "XOR-RELAYED-ADDRESS")                         \
	X(REQUESTED_ADDRESS_FAMILY, 0x0017, "REQUESTED-ADDRESS-FAMILY")               \
	X(EVEN_PORT, 0x0018, "EVEN-PORT")                                             \
	X(REQUESTED_TRANSPORT, 0x0019, "REQUESTED-TRANSPORT")                         \
	X(DONT_FRAGMENT, 0x001A, "DONT-FRAGMENT")                                     \
	X(MESSAGE_INTEGRITY_SHA256, 0x001C, "MESSAGE-INTEGRITY-SHA256")               \
	X(PASSWORD_ALGORITHM, 0x001D, "PASSWORD-ALGORITHM")                           \
	X(XOR_MAPPED_ADDRESS, 0x0020, "XOR-MAPPED-ADDRESS")                           \
	X(RESERVATION_TOKEN, 0x0022, "RESERVATION-TOKEN")                             \
	X(ADDITIONAL_ADDRESS_FAMILY, 0x8000, "ADDITIONAL-ADDRESS-FAMILY")             \
	X(ADDITIONAL_ADDRESS_FAMILY_OLD, 0x8032, "ADDITIONAL-ADDRESS-FAMILY (draft)") \
	X(ADDRESS_ERROR_CODE, 0x8001, "ADDRESS-ERROR-CODE")                           \
	X(PASSWORD_ALGORITHMS, 0x8002, "PASSWORD-ALGORITHMS")                         \
	X(ALTERNATE_DOMAIN, 0x8003, "ALTERNATE-DOMAIN")                               \
	X(ICMP, 0x8004, "ICMP")                                                       \
	X(SOFTWARE, 0x8022, "SOFTWARE")                                               \
	X(ALTERNATE_SERVER, 0x8023, "ALTERNATE-SERVER")                               \
	X(FINGERPRINT, 0x8028, "FINGERPRINT")

enum tp_stun_attr_type {
#define X(n, v, s) TP_ATTR_##n = v,
	TP_STUN_ATTRS(X)
#undef X
};

/* X(code, name, reason phrase): the phrases are the RFCs' own. */
#define TP_STUN_ERRORS(X)                                                    \
	X(300, TRY_ALTERNATE, "Try Alternate")                               \
	X(400, BAD_REQUEST, "Bad Request")                                   \
	X(401, UNAUTHENTICATED, "Unauthenticated")                           \
	X(403, FORBIDDEN, "Forbidden")                                       \
	X(420, UNKNOWN_ATTRIBUTE, "Unknown Attribute")                       \
	X(437, ALLOCATION_MISMATCH, "Allocation Mismatch")                   \
	X(438, STALE_NONCE, "Stale Nonce")                                   \
	X(440, ADDRESS_FAMILY_NOT_SUPPORTED, "Address Family not Supported") \
	X(441, WRONG_CREDENTIALS, "Wrong Credentials")                       \
	X(442, UNSUPPORTED_TRANSPORT, "Unsupported Transport Protocol")      \
	X(443, PEER_ADDRESS_FAMILY_MISMATCH, "Peer Address Family Mismatch") \
	X(486, ALLOCATION_QUOTA_REACHED, "Allocation Quota Reached")         \
	X(500, SERVER_ERROR, "Server Error")                                 \
	X(508, INSUFFICIENT_CAPACITY, "Insufficient Capacity")

enum tp_stun_error {
#define X(c, n, s) TP_ERR_##n = c,
	TP_STUN_ERRORS(X)
#undef X
};

/* X(name, text): why a datagram was refused by the parser. */
#define TP_STUN_PARSE_ERRORS(X)                          \
	X(NOT_STUN, "not-stun")                          \
	X(BAD_LENGTH, "bad-length")                      \
	X(TRUNCATED_ATTR, "truncated-attribute")         \
	X(TOO_MANY_ATTRS, "too-many-attributes")         \
	X(BAD_INTEGRITY_LEN, "bad-integrity-length")     \
	X(BAD_FINGERPRINT_LEN, "bad-fingerprint-length") \
	X(BAD_FINGERPRINT, "bad-fingerprint")            \
	X(AFTER_FINGERPRINT, "attribute-after-fingerprint")

enum tp_stun_parse_error {
	TP_STUN_OK = 0,
#define X(n, s) TP_STUN_E##n,
	TP_STUN_PARSE_ERRORS(X)
#undef X
		TP_STUN_E_COUNT
};

struct tp_stun_attr {
	uint16_t type;
	uint16_t len; /* value length, without padding */
	uint32_t off; /* offset of the value from the start of the message */
};

struct tp_stun_msg {
	const uint8_t *buf;
	uint32_t len; /* header plus attributes */
	uint16_t method;
	uint8_t cls; /* enum tp_stun_class */
	const uint8_t *tid;
	/* Offsets of the integrity and fingerprint attribute headers; 0 when absent. */
	uint32_t mi_off, mi256_off, fp_off;
	uint16_t nattrs;
	uint16_t nunknown;
	struct tp_stun_attr attrs[TP_STUN_MAX_ATTRS];
	uint16_t unknown[TP_STUN_MAX_UNKNOWN];
};

/*
 * Parse one datagram. Returns TP_STUN_OK or a positive enum tp_stun_parse_error. Unknown
 * comprehension-required attributes do not fail the parse: they are collected in unknown[] for
 * a 420 answer once the request has been authenticated.
 */
int tp_stun_parse(struct tp_stun_msg *m, const uint8_t *buf, size_t len);

/* Quick test on the first bytes only: could this be STUN (first two bits 00 and the cookie)? */
bool tp_stun_looks_like(const uint8_t *buf, size_t len);

const struct tp_stun_attr *tp_stun_find(const struct tp_stun_msg *m, uint16_t type);
const struct tp_stun_attr *tp_stun_find_next(const struct tp_stun_msg *m,
					     const struct tp_stun_attr *prev, uint16_t type);

static inline const uint8_t *
tp_stun_value(const struct tp_stun_msg *m, const struct tp_stun_attr *a)
{
	return m->buf + a->off;
}

/* Decode an XOR-*-ADDRESS (or, with xored false, a plain MAPPED-ADDRESS). 0 or -EINVAL. */
int tp_stun_get_addr(const struct tp_stun_msg *m, const struct tp_stun_attr *a, bool xored,
		     struct tp_addr *out);
int tp_stun_get_u32(const struct tp_stun_msg *m, const struct tp_stun_attr *a, uint32_t *out);
/* A client's view of an answer: the ERROR-CODE's number (0 when there is none), and a text
 * attribute copied NUL-terminated, cut to cap - 1 bytes ("" when absent). */
int tp_stun_error_code(const struct tp_stun_msg *m);
size_t tp_stun_get_str(const struct tp_stun_msg *m, uint16_t type, char *out, size_t cap);

/*
 * Check MESSAGE-INTEGRITY (sha256 false) or MESSAGE-INTEGRITY-SHA256 (sha256 true) with key.
 * Returns true when the attribute is present and the HMAC matches.
 */
bool tp_stun_check_integrity(const struct tp_stun_msg *m, bool sha256, const uint8_t *key,
			     size_t keylen);

const char *tp_stun_method_name(uint16_t method);
const char *tp_stun_attr_name(uint16_t type);
const char *tp_stun_error_reason(int code);
const char *tp_stun_parse_error_name(int err);
bool tp_stun_attr_known(uint16_t type);

/* Builder --------------------------------------------------------------------------------- */

struct tp_stun_builder {
	uint8_t *buf;
	size_t cap;
	size_t len;
	const uint8_t *tid; /* points at the header's copy */
	uint8_t pad_byte;   /* 0; the RFC 5769 vectors pad with 0x20 */
	bool overflow;
};

void tp_stun_build_init(struct tp_stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
			uint8_t cls, const uint8_t tid[TP_STUN_TID_LEN]);
void tp_stun_add(struct tp_stun_builder *b, uint16_t type, const void *val, size_t len);
void tp_stun_add_u32(struct tp_stun_builder *b, uint16_t type, uint32_t v);
void tp_stun_add_str(struct tp_stun_builder *b, uint16_t type, const char *s);
void tp_stun_add_addr(struct tp_stun_builder *b, uint16_t type, const struct tp_addr *a,
		      bool xored);
/* ERROR-CODE with the code's reason phrase, or none (an empty phrase is valid, RFC 8489
 * section 14.8: answers to unauthenticated requests go without). */
void tp_stun_add_error(struct tp_stun_builder *b, int code, bool reason);
void tp_stun_add_unknown(struct tp_stun_builder *b, const uint16_t *types, size_t n);
void tp_stun_add_integrity(struct tp_stun_builder *b, bool sha256, const uint8_t *key,
			   size_t keylen);
void tp_stun_add_fingerprint(struct tp_stun_builder *b);
/* Length of the finished message, or -ENOSPC when something did not fit. */
int tp_stun_build_end(const struct tp_stun_builder *b);

#ifdef __cplusplus
}
#endif

#endif
