/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN codec: the validating parser and the response builder (see stun.h).
 */
#include "stun.h"

#include <errno.h>
#include <string.h>

#include <openssl/crypto.h>
#include <zlib.h>

#include "crypto.h"

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void
wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void
wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static inline size_t
pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* The 14 method bits are interleaved with the two class bits C1 (bit 8) and C0 (bit 4). */
static uint16_t
type_method(uint16_t t)
{
	return (uint16_t)((t & 0x000f) | (t & 0x00e0) >> 1 | (t & 0x3e00) >> 2);
}

static uint8_t
type_class(uint16_t t)
{
	return (uint8_t)((t >> 4 & 1) | (t >> 7 & 2));
}

static uint16_t
make_type(uint16_t method, uint8_t cls)
{
	return (uint16_t)((method & 0x000f) | (method & 0x0070) << 1 | (method & 0x0f80) << 2 |
			  (cls & 1) << 4 | (cls & 2) << 7);
}

bool
tp_stun_looks_like(const uint8_t *buf, size_t len)
{
	return len >= TP_STUN_HDR_LEN && (buf[0] & 0xc0) == 0 && rd32(buf + 4) == TP_STUN_MAGIC;
}

bool
tp_stun_attr_known(uint16_t type)
{
	switch (type) {
#define X(n, v, s) case v:
		TP_STUN_ATTRS(X)
#undef X
		return true;
	}
	return false;
}

static void
note_unknown(struct tp_stun_msg *m, uint16_t type)
{
	for (unsigned i = 0; i < m->nunknown; i++)
		if (m->unknown[i] == type)
			return;
	if (m->nunknown < TP_STUN_MAX_UNKNOWN)
		m->unknown[m->nunknown++] = type;
}

static bool
fingerprint_ok(const uint8_t *buf, uint32_t fp_off)
{
	/* FINGERPRINT is last, so the header length covers it already: CRC the bytes as sent. */
	uLong crc = crc32(0L, buf, fp_off);

	return ((uint32_t)crc ^ TP_STUN_FP_XOR) == rd32(buf + fp_off + 4);
}

int
tp_stun_parse(struct tp_stun_msg *m, const uint8_t *buf, size_t len)
{
	enum { ATTRS, AFTER_MI, AFTER_MI256 } state = ATTRS;

	if (!tp_stun_looks_like(buf, len))
		return TP_STUN_ENOT_STUN;

	uint16_t type = rd16(buf);
	size_t mlen = rd16(buf + 2);

	if (mlen % 4 != 0 || TP_STUN_HDR_LEN + mlen != len)
		return TP_STUN_EBAD_LENGTH;

	m->buf = buf;
	m->len = (uint32_t)len;
	m->method = type_method(type);
	m->cls = type_class(type);
	m->tid = buf + 8;
	m->mi_off = m->mi256_off = m->fp_off = 0;
	m->nattrs = m->nunknown = 0;

	for (size_t off = TP_STUN_HDR_LEN; off < len;) {
		if (len - off < 4)
			return TP_STUN_ETRUNCATED_ATTR;

		uint16_t at = rd16(buf + off);
		uint16_t alen = rd16(buf + off + 2);

		if (pad4(alen) > len - off - 4)
			return TP_STUN_ETRUNCATED_ATTR;
		if (m->fp_off)
			return TP_STUN_EAFTER_FINGERPRINT;

		switch (at) {
		case TP_ATTR_FINGERPRINT:
			if (alen != 4)
				return TP_STUN_EBAD_FINGERPRINT_LEN;
			if (off + 8 == len && !fingerprint_ok(buf, (uint32_t)off))
				return TP_STUN_EBAD_FINGERPRINT;
			m->fp_off = (uint32_t)off;
			break;
		case TP_ATTR_MESSAGE_INTEGRITY:
			if (alen != TP_STUN_MI_LEN)
				return TP_STUN_EBAD_INTEGRITY_LEN;
			if (state == ATTRS) {
				m->mi_off = (uint32_t)off;
				state = AFTER_MI;
			}
			break;
		case TP_ATTR_MESSAGE_INTEGRITY_SHA256:
			if (alen < 16 || alen > TP_STUN_MI256_LEN || alen % 4 != 0)
				return TP_STUN_EBAD_INTEGRITY_LEN;
			if (state != AFTER_MI256) {
				m->mi256_off = (uint32_t)off;
				state = AFTER_MI256;
			}
			break;
		default:
			/* RFC 8489 section 14.5: what follows the integrity is ignored. */
			if (state != ATTRS)
				break;
			if (m->nattrs == TP_STUN_MAX_ATTRS)
				return TP_STUN_ETOO_MANY_ATTRS;
			m->attrs[m->nattrs++] = (struct tp_stun_attr){ .type = at,
								       .len = alen,
								       .off = (uint32_t)(off + 4) };
			if (at < 0x8000 && !tp_stun_attr_known(at))
				note_unknown(m, at);
		}
		off += 4 + pad4(alen);
	}
	return TP_STUN_OK;
}

const struct tp_stun_attr *
tp_stun_find_next(const struct tp_stun_msg *m, const struct tp_stun_attr *prev, uint16_t type)
{
	const struct tp_stun_attr *a = prev ? prev + 1 : m->attrs;

	for (; a < m->attrs + m->nattrs; a++)
		if (a->type == type)
			return a;
	return NULL;
}

const struct tp_stun_attr *
tp_stun_find(const struct tp_stun_msg *m, uint16_t type)
{
	return tp_stun_find_next(m, NULL, type);
}

int
tp_stun_get_addr(const struct tp_stun_msg *m, const struct tp_stun_attr *a, bool xored,
		 struct tp_addr *out)
{
	const uint8_t *v = tp_stun_value(m, a);

	memset(out, 0, sizeof(*out));
	if (a->len < 4)
		return -EINVAL;
	if (v[1] == TP_FAM_V4 && a->len == 8)
		out->family = TP_FAM_V4;
	else if (v[1] == TP_FAM_V6 && a->len == 20)
		out->family = TP_FAM_V6;
	else
		return -EINVAL;

	size_t iplen = tp_fam_iplen(out->family);

	out->port = rd16(v + 2);
	memcpy(out->ip, v + 4, iplen);
	if (xored) {
		uint8_t pad[16];

		wr32(pad, TP_STUN_MAGIC);
		memcpy(pad + 4, m->tid, TP_STUN_TID_LEN);
		out->port ^= (uint16_t)(TP_STUN_MAGIC >> 16);
		for (size_t i = 0; i < iplen; i++)
			out->ip[i] ^= pad[i];
	}
	return 0;
}

int
tp_stun_get_u32(const struct tp_stun_msg *m, const struct tp_stun_attr *a, uint32_t *out)
{
	if (a->len != 4)
		return -EINVAL;
	*out = rd32(tp_stun_value(m, a));
	return 0;
}

int
tp_stun_error_code(const struct tp_stun_msg *m)
{
	const struct tp_stun_attr *e = tp_stun_find(m, TP_ATTR_ERROR_CODE);
	const uint8_t *v;

	if (!e || e->len < 4)
		return 0;
	v = tp_stun_value(m, e);
	return (v[2] & 0x7) * 100 + v[3];
}

size_t
tp_stun_get_str(const struct tp_stun_msg *m, uint16_t type, char *out, size_t cap)
{
	const struct tp_stun_attr *a = tp_stun_find(m, type);
	size_t n = a ? (a->len < cap - 1 ? a->len : cap - 1) : 0;

	if (a)
		memcpy(out, tp_stun_value(m, a), n);
	out[n] = '\0';
	return n;
}

bool
tp_stun_check_integrity(const struct tp_stun_msg *m, bool sha256, const uint8_t *key, size_t keylen)
{
	uint32_t off = sha256 ? m->mi256_off : m->mi_off;
	uint8_t hdr[TP_STUN_HDR_LEN], mac[TP_STUN_MI256_LEN];

	if (!off)
		return false;

	uint16_t alen = rd16(m->buf + off + 2);

	/* The HMAC covers everything before the attribute, with a length that ends after it. */
	memcpy(hdr, m->buf, sizeof(hdr));
	wr16(hdr + 2, (uint16_t)(off + 4 + alen - TP_STUN_HDR_LEN));

	struct tp_iov parts[] = {
		{ hdr, sizeof(hdr) },
		{ m->buf + TP_STUN_HDR_LEN, off - TP_STUN_HDR_LEN },
	};

	if (tp_hmac(sha256 ? TP_HASH_SHA256 : TP_HASH_SHA1, key, keylen, parts, 2, mac,
		    sizeof(mac)) < alen)
		return false;
	return CRYPTO_memcmp(mac, m->buf + off + 4, alen) == 0;
}

const char *
tp_stun_method_name(uint16_t method)
{
	switch (method) {
#define X(n, v, s) \
	case v:    \
		return s;
		TP_STUN_METHODS(X)
#undef X
	}
	return "unknown-method";
}

const char *
tp_stun_attr_name(uint16_t type)
{
	switch (type) {
#define X(n, v, s) \
	case v:    \
		return s;
		TP_STUN_ATTRS(X)
#undef X
	}
	return "unknown-attribute";
}

const char *
tp_stun_error_reason(int code)
{
	switch (code) {
#define X(c, n, s) \
	case c:    \
		return s;
		TP_STUN_ERRORS(X)
#undef X
	}
	return "Error";
}

const char *
tp_stun_parse_error_name(int err)
{
	static const char *const names[] = {
#define X(n, s) [TP_STUN_E##n] = s,
		TP_STUN_PARSE_ERRORS(X)
#undef X
	};

	if (err == TP_STUN_OK)
		return "ok";
	if (err < 0 || err >= TP_STUN_E_COUNT)
		return "unknown";
	return names[err];
}

/* Builder --------------------------------------------------------------------------------- */

static void
set_length(struct tp_stun_builder *b, size_t len)
{
	wr16(b->buf + 2, (uint16_t)(len - TP_STUN_HDR_LEN));
}

void
tp_stun_build_init(struct tp_stun_builder *b, uint8_t *buf, size_t cap, uint16_t method,
		   uint8_t cls, const uint8_t tid[TP_STUN_TID_LEN])
{
	b->buf = buf;
	b->cap = cap < TP_STUN_MAX_MSG ? cap : TP_STUN_MAX_MSG;
	b->len = TP_STUN_HDR_LEN;
	b->pad_byte = 0;
	b->overflow = cap < TP_STUN_HDR_LEN;
	b->tid = buf + 8;
	if (b->overflow)
		return;
	wr16(buf, make_type(method, cls));
	wr16(buf + 2, 0);
	wr32(buf + 4, TP_STUN_MAGIC);
	memcpy(buf + 8, tid, TP_STUN_TID_LEN);
}

/* Reserve room for an attribute of len bytes; returns where its value goes, or NULL. */
static uint8_t *
attr_begin(struct tp_stun_builder *b, uint16_t type, size_t len)
{
	if (b->overflow || len > 0xffff || b->cap - b->len < 4 + pad4(len)) {
		b->overflow = true;
		return NULL;
	}

	uint8_t *p = b->buf + b->len;

	wr16(p, type);
	wr16(p + 2, (uint16_t)len);
	memset(p + 4 + len, b->pad_byte, pad4(len) - len);
	b->len += 4 + pad4(len);
	set_length(b, b->len);
	return p + 4;
}

void
tp_stun_add(struct tp_stun_builder *b, uint16_t type, const void *val, size_t len)
{
	uint8_t *p = attr_begin(b, type, len);

	if (p && len)
		memcpy(p, val, len);
}

void
tp_stun_add_u32(struct tp_stun_builder *b, uint16_t type, uint32_t v)
{
	uint8_t *p = attr_begin(b, type, 4);

	if (p)
		wr32(p, v);
}

void
tp_stun_add_str(struct tp_stun_builder *b, uint16_t type, const char *s)
{
	tp_stun_add(b, type, s, strlen(s));
}

void
tp_stun_add_addr(struct tp_stun_builder *b, uint16_t type, const struct tp_addr *a, bool xored)
{
	size_t iplen = tp_fam_iplen(a->family);
	uint8_t *p = attr_begin(b, type, 4 + iplen);
	uint8_t pad[16];

	if (!p)
		return;
	p[0] = 0;
	p[1] = a->family;
	wr16(p + 2, xored ? a->port ^ (uint16_t)(TP_STUN_MAGIC >> 16) : a->port);
	wr32(pad, TP_STUN_MAGIC);
	memcpy(pad + 4, b->tid, TP_STUN_TID_LEN);
	for (size_t i = 0; i < iplen; i++)
		p[4 + i] = xored ? a->ip[i] ^ pad[i] : a->ip[i];
}

void
tp_stun_add_error(struct tp_stun_builder *b, int code, bool reason)
{
	const char *text = tp_stun_error_reason(code);
	size_t rlen = reason ? strlen(text) : 0;
	uint8_t *p = attr_begin(b, TP_ATTR_ERROR_CODE, 4 + rlen);

	if (!p)
		return;
	p[0] = p[1] = 0;
	p[2] = (uint8_t)(code / 100);
	p[3] = (uint8_t)(code % 100);
	memcpy(p + 4, text, rlen);
}

void
tp_stun_add_unknown(struct tp_stun_builder *b, const uint16_t *types, size_t n)
{
	uint8_t *p = attr_begin(b, TP_ATTR_UNKNOWN_ATTRIBUTES, 2 * n);

	for (size_t i = 0; p && i < n; i++)
		wr16(p + 2 * i, types[i]);
}

void
tp_stun_add_integrity(struct tp_stun_builder *b, bool sha256, const uint8_t *key, size_t keylen)
{
	size_t maclen = sha256 ? TP_STUN_MI256_LEN : TP_STUN_MI_LEN;
	uint8_t mac[TP_STUN_MI256_LEN];

	if (b->overflow || b->cap - b->len < 4 + maclen) {
		b->overflow = true;
		return;
	}
	set_length(b, b->len + 4 + maclen);

	struct tp_iov part = { b->buf, b->len };

	if (tp_hmac(sha256 ? TP_HASH_SHA256 : TP_HASH_SHA1, key, keylen, &part, 1, mac,
		    sizeof(mac)) != (int)maclen) {
		b->overflow = true;
		return;
	}
	tp_stun_add(b, sha256 ? TP_ATTR_MESSAGE_INTEGRITY_SHA256 : TP_ATTR_MESSAGE_INTEGRITY, mac,
		    maclen);
}

void
tp_stun_add_fingerprint(struct tp_stun_builder *b)
{
	if (b->overflow || b->cap - b->len < 8) {
		b->overflow = true;
		return;
	}
	set_length(b, b->len + 8);
	tp_stun_add_u32(b, TP_ATTR_FINGERPRINT,
			(uint32_t)crc32(0L, b->buf, (uInt)b->len) ^ TP_STUN_FP_XOR);
}

int
tp_stun_build_end(const struct tp_stun_builder *b)
{
	return b->overflow ? -ENOSPC : (int)b->len;
}
