/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN codec tests, written the way the RFCs state the rules. First the published test vectors
 * (RFC 5769 sections 2.1 to 2.4, and RFC 8489 Appendix B.1 as corrected by Errata 6268), each
 * parsed, checked attribute by attribute, authenticated, and then rebuilt byte for byte with
 * the builder. Then every way a datagram can be malformed, as a table of {what is wrong, bytes,
 * the parse error it must give}; the handling of unknown attributes and of what follows
 * MESSAGE-INTEGRITY (RFC 8489 section 14); method and class encoding; address decoding; and the
 * builder's bounds, ERROR-CODE and UNKNOWN-ATTRIBUTES encodings.
 */
#include <gtest/gtest.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <zlib.h>

#include "addr.h"
#include "auth.h"
#include "stun.h"
#include "test_util.h"

namespace
{

using bytes = std::vector<uint8_t>;

/* ICE attributes that appear in the RFC 5769 vectors; the relay does not know them. */
constexpr uint16_t ATTR_PRIORITY = 0x0024;
constexpr uint16_t ATTR_ICE_CONTROLLED = 0x8029;
/* RFC 8489 USERHASH: the relay does not implement it, so it is unknown (and required). */
constexpr uint16_t ATTR_USERHASH = 0x001E;

bytes
hex(const char *s)
{
	bytes out;
	int hi = -1;

	for (; *s; s++) {
		int v;

		if (*s >= '0' && *s <= '9')
			v = *s - '0';
		else if (*s >= 'a' && *s <= 'f')
			v = *s - 'a' + 10;
		else if (*s >= 'A' && *s <= 'F')
			v = *s - 'A' + 10;
		else
			continue;
		if (hi < 0) {
			hi = v;
		} else {
			out.push_back((uint8_t)(hi << 4 | v));
			hi = -1;
		}
	}
	return out;
}

bytes
ascii(const char *s)
{
	return bytes(s, s + strlen(s));
}

using ::hexstr; /* test_util.h's, beside this overload */

/* Bytes as hex in groups of four, as RFC 5769 prints them. */
std::string
hexstr(const bytes &b)
{
	return hexstr(b.data(), b.size(), 4);
}

bytes
cat(std::initializer_list<bytes> parts)
{
	bytes out;

	for (const bytes &p : parts)
		out.insert(out.end(), p.begin(), p.end());
	return out;
}

void
put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

const uint8_t tid_a[TP_STUN_TID_LEN] = { 0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34,
					 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae };

/* A STUN header: type, the length field as given, cookie, transaction ID tid_a. */
bytes
header(uint16_t type, size_t len_field, uint32_t cookie = TP_STUN_MAGIC)
{
	bytes h(TP_STUN_HDR_LEN);

	put16(&h[0], type);
	put16(&h[2], (uint16_t)len_field);
	h[4] = (uint8_t)(cookie >> 24);
	h[5] = (uint8_t)(cookie >> 16);
	h[6] = (uint8_t)(cookie >> 8);
	h[7] = (uint8_t)cookie;
	memcpy(&h[8], tid_a, TP_STUN_TID_LEN);
	return h;
}

/* An attribute exactly as given: type, the length field, then raw bytes (value and padding). */
bytes
attr_raw(uint16_t type, uint16_t len_field, const bytes &raw)
{
	bytes a(4);

	put16(&a[0], type);
	put16(&a[2], len_field);
	a.insert(a.end(), raw.begin(), raw.end());
	return a;
}

/* A well-formed attribute: value, then zero padding to a multiple of four. */
bytes
attr(uint16_t type, const bytes &value)
{
	bytes a = attr_raw(type, (uint16_t)value.size(), value);

	a.resize(4 + ((value.size() + 3) & ~(size_t)3), 0);
	return a;
}

/* A Binding request whose header length is the size of the attributes that follow. */
bytes
message(std::initializer_list<bytes> attrs, uint16_t type = 0x0001)
{
	bytes body = cat(attrs);

	return cat({ header(type, body.size()), body });
}

/* Append a correct FINGERPRINT, computed here with zlib rather than by the code under test. */
bytes
with_fingerprint(bytes m)
{
	put16(&m[2], (uint16_t)(m.size() + 8 - TP_STUN_HDR_LEN));

	uint32_t crc = (uint32_t)crc32(0L, m.data(), (uInt)m.size()) ^ TP_STUN_FP_XOR;

	return cat({ m, attr(TP_ATTR_FINGERPRINT, { (uint8_t)(crc >> 24), (uint8_t)(crc >> 16),
						    (uint8_t)(crc >> 8), (uint8_t)crc }) });
}

/* The same message without its trailing FINGERPRINT, header length adjusted. */
bytes
without_fingerprint(const uint8_t *m, size_t len)
{
	bytes out(m, m + len - 8);

	put16(&out[2], (uint16_t)(out.size() - TP_STUN_HDR_LEN));
	return out;
}

bytes
flipped(bytes m, size_t off)
{
	m.at(off) ^= 0x01;
	return m;
}

/* The parsed message indexes b, so b must outlive it: temporaries are refused. */
int
parse(tp_stun_msg *m, const bytes &b)
{
	return tp_stun_parse(m, b.data(), b.size());
}

int parse(tp_stun_msg *m, bytes &&b) = delete;

bytes
value(const tp_stun_msg &m, const tp_stun_attr *a)
{
	return bytes(tp_stun_value(&m, a), tp_stun_value(&m, a) + a->len);
}

std::string
text(const tp_stun_msg &m, const tp_stun_attr *a)
{
	return std::string((const char *)tp_stun_value(&m, a), a->len);
}

std::string
addr_text(const tp_addr &a)
{
	char buf[TP_ADDR_STRLEN];

	return tp_addr_str(&a, buf, sizeof(buf));
}

bytes
built(const tp_stun_builder &b)
{
	int n = tp_stun_build_end(&b);

	EXPECT_GT(n, 0);
	return n > 0 ? bytes(b.buf, b.buf + n) : bytes();
}

/*
 * RFC 5769 test vectors, with the RFC's own annotations. 2.1 to 2.3 pad with spaces (0x20),
 * which the HMAC and the CRC cover; 2.4 pads with zeros.
 */
// clang-format off
const uint8_t rfc5769_sample_request[] = {
	0x00, 0x01, 0x00, 0x58, /* Request type and message length */
	0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
	0xb7, 0xe7, 0xa7, 0x01, /* } */
	0xbc, 0x34, 0xd6, 0x86, /* }  Transaction ID */
	0xfa, 0x87, 0xdf, 0xae, /* } */
	0x80, 0x22, 0x00, 0x10, /* SOFTWARE attribute header */
	0x53, 0x54, 0x55, 0x4e, /* } */
	0x20, 0x74, 0x65, 0x73, /* }  User-agent... */
	0x74, 0x20, 0x63, 0x6c, /* }  ...name */
	0x69, 0x65, 0x6e, 0x74, /* } */
	0x00, 0x24, 0x00, 0x04, /* PRIORITY attribute header */
	0x6e, 0x00, 0x01, 0xff, /* ICE priority value */
	0x80, 0x29, 0x00, 0x08, /* ICE-CONTROLLED attribute header */
	0x93, 0x2f, 0xf9, 0xb1, /* }  Pseudo-random tie breaker... */
	0x51, 0x26, 0x3b, 0x36, /* }   ...for ICE control */
	0x00, 0x06, 0x00, 0x09, /* USERNAME attribute header */
	0x65, 0x76, 0x74, 0x6a, /* } */
	0x3a, 0x68, 0x36, 0x76, /* }  Username (9 bytes) and padding (3 bytes) */
	0x59, 0x20, 0x20, 0x20, /* } */
	0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY attribute header */
	0x9a, 0xea, 0xa7, 0x0c, /* } */
	0xbf, 0xd8, 0xcb, 0x56, /* } */
	0x78, 0x1e, 0xf2, 0xb5, /* }  HMAC-SHA1 fingerprint */
	0xb2, 0xd3, 0xf2, 0x49, /* } */
	0xc1, 0xb5, 0x71, 0xa2, /* } */
	0x80, 0x28, 0x00, 0x04, /* FINGERPRINT attribute header */
	0xe5, 0x7a, 0x3b, 0xcf, /* CRC32 fingerprint */
};

const uint8_t rfc5769_sample_ipv4_response[] = {
	0x01, 0x01, 0x00, 0x3c, /* Response type and message length */
	0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
	0xb7, 0xe7, 0xa7, 0x01, /* } */
	0xbc, 0x34, 0xd6, 0x86, /* }  Transaction ID */
	0xfa, 0x87, 0xdf, 0xae, /* } */
	0x80, 0x22, 0x00, 0x0b, /* SOFTWARE attribute header */
	0x74, 0x65, 0x73, 0x74, /* } */
	0x20, 0x76, 0x65, 0x63, /* }  UTF-8 server name */
	0x74, 0x6f, 0x72, 0x20, /* } */
	0x00, 0x20, 0x00, 0x08, /* XOR-MAPPED-ADDRESS attribute header */
	0x00, 0x01, 0xa1, 0x47, /* Address family (IPv4) and xor'd mapped port number */
	0xe1, 0x12, 0xa6, 0x43, /* Xor'd mapped IPv4 address */
	0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY attribute header */
	0x2b, 0x91, 0xf5, 0x99, /* } */
	0xfd, 0x9e, 0x90, 0xc3, /* } */
	0x8c, 0x74, 0x89, 0xf9, /* }  HMAC-SHA1 fingerprint */
	0x2a, 0xf9, 0xba, 0x53, /* } */
	0xf0, 0x6b, 0xe7, 0xd7, /* } */
	0x80, 0x28, 0x00, 0x04, /* FINGERPRINT attribute header */
	0xc0, 0x7d, 0x4c, 0x96, /* CRC32 fingerprint */
};

const uint8_t rfc5769_sample_ipv6_response[] = {
	0x01, 0x01, 0x00, 0x48, /* Response type and message length */
	0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
	0xb7, 0xe7, 0xa7, 0x01, /* } */
	0xbc, 0x34, 0xd6, 0x86, /* }  Transaction ID */
	0xfa, 0x87, 0xdf, 0xae, /* } */
	0x80, 0x22, 0x00, 0x0b, /* SOFTWARE attribute header */
	0x74, 0x65, 0x73, 0x74, /* } */
	0x20, 0x76, 0x65, 0x63, /* }  UTF-8 server name */
	0x74, 0x6f, 0x72, 0x20, /* } */
	0x00, 0x20, 0x00, 0x14, /* XOR-MAPPED-ADDRESS attribute header */
	0x00, 0x02, 0xa1, 0x47, /* Address family (IPv6) and xor'd mapped port number */
	0x01, 0x13, 0xa9, 0xfa, /* } */
	0xa5, 0xd3, 0xf1, 0x79, /* }  Xor'd mapped IPv6 address */
	0xbc, 0x25, 0xf4, 0xb5, /* } */
	0xbe, 0xd2, 0xb9, 0xd9, /* } */
	0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY attribute header */
	0xa3, 0x82, 0x95, 0x4e, /* } */
	0x4b, 0xe6, 0x7b, 0xf1, /* } */
	0x17, 0x84, 0xc9, 0x7c, /* }  HMAC-SHA1 fingerprint */
	0x82, 0x92, 0xc2, 0x75, /* } */
	0xbf, 0xe3, 0xed, 0x41, /* } */
	0x80, 0x28, 0x00, 0x04, /* FINGERPRINT attribute header */
	0xc8, 0xfb, 0x0b, 0x4c, /* CRC32 fingerprint */
};

const uint8_t rfc5769_sample_request_long_term[] = {
	0x00, 0x01, 0x00, 0x60, /* Request type and message length */
	0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
	0x78, 0xad, 0x34, 0x33, /* } */
	0xc6, 0xad, 0x72, 0xc0, /* }  Transaction ID */
	0x29, 0xda, 0x41, 0x2e, /* } */
	0x00, 0x06, 0x00, 0x12, /* USERNAME attribute header */
	0xe3, 0x83, 0x9e, 0xe3, /* } */
	0x83, 0x88, 0xe3, 0x83, /* } */
	0xaa, 0xe3, 0x83, 0x83, /* }  Username value (18 bytes) and padding (2 bytes) */
	0xe3, 0x82, 0xaf, 0xe3, /* } */
	0x82, 0xb9, 0x00, 0x00, /* } */
	0x00, 0x15, 0x00, 0x1c, /* NONCE attribute header */
	0x66, 0x2f, 0x2f, 0x34, /* } */
	0x39, 0x39, 0x6b, 0x39, /* } */
	0x35, 0x34, 0x64, 0x36, /* } */
	0x4f, 0x4c, 0x33, 0x34, /* }  Nonce value */
	0x6f, 0x4c, 0x39, 0x46, /* } */
	0x53, 0x54, 0x76, 0x79, /* } */
	0x36, 0x34, 0x73, 0x41, /* } */
	0x00, 0x14, 0x00, 0x0b, /* REALM attribute header */
	0x65, 0x78, 0x61, 0x6d, /* } */
	0x70, 0x6c, 0x65, 0x2e, /* }  Realm value (11 bytes) and padding (1 byte) */
	0x6f, 0x72, 0x67, 0x00, /* } */
	0x00, 0x08, 0x00, 0x14, /* MESSAGE-INTEGRITY attribute header */
	0xf6, 0x70, 0x24, 0x65, /* } */
	0x6d, 0xd6, 0x4a, 0x3e, /* } */
	0x02, 0xb8, 0xe0, 0x71, /* }  HMAC-SHA1 fingerprint */
	0x2e, 0x85, 0xc9, 0xa2, /* } */
	0x8c, 0xa8, 0x96, 0x66, /* } */
};

/*
 * RFC 8489 Appendix B.1 as corrected by Errata 6268 (verified): header length 0x90 and a
 * PASSWORD-ALGORITHM attribute, MESSAGE-INTEGRITY-SHA256 recomputed. Zero padding.
 */
const uint8_t rfc8489_b1_errata6268[] = {
	0x00, 0x01, 0x00, 0x90, /* Request type and message length */
	0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
	0x78, 0xad, 0x34, 0x33, /* } */
	0xc6, 0xad, 0x72, 0xc0, /* }  Transaction ID */
	0x29, 0xda, 0x41, 0x2e, /* } */
	0x00, 0x1e, 0x00, 0x20, /* USERHASH attribute header */
	0x4a, 0x3c, 0xf3, 0x8f, /* } */
	0xef, 0x69, 0x92, 0xbd, /* } */
	0xa9, 0x52, 0xc6, 0x78, /* } */
	0x04, 0x17, 0xda, 0x0f, /* }  Userhash value (32 bytes) */
	0x24, 0x81, 0x94, 0x15, /* } */
	0x56, 0x9e, 0x60, 0xb2, /* } */
	0x05, 0xc4, 0x6e, 0x41, /* } */
	0x40, 0x7f, 0x17, 0x04, /* } */
	0x00, 0x15, 0x00, 0x29, /* NONCE attribute header */
	0x6f, 0x62, 0x4d, 0x61, /* } */
	0x74, 0x4a, 0x6f, 0x73, /* } */
	0x32, 0x41, 0x41, 0x41, /* } */
	0x43, 0x66, 0x2f, 0x2f, /* } */
	0x34, 0x39, 0x39, 0x6b, /* } */
	0x39, 0x35, 0x34, 0x64, /* }  Nonce value and padding (3 bytes) */
	0x36, 0x4f, 0x4c, 0x33, /* } */
	0x34, 0x6f, 0x4c, 0x39, /* } */
	0x46, 0x53, 0x54, 0x76, /* } */
	0x79, 0x36, 0x34, 0x73, /* } */
	0x41, 0x00, 0x00, 0x00, /* } */
	0x00, 0x14, 0x00, 0x0b, /* REALM attribute header */
	0x65, 0x78, 0x61, 0x6d, /* } */
	0x70, 0x6c, 0x65, 0x2e, /* }  Realm value (11 bytes) and padding (1 byte) */
	0x6f, 0x72, 0x67, 0x00, /* } */
	0x00, 0x1d, 0x00, 0x04, /* PASSWORD-ALGORITHM attribute header */
	0x00, 0x02, 0x00, 0x00, /* PASSWORD-ALGORITHM value (4 bytes) */
	0x00, 0x1c, 0x00, 0x20, /* MESSAGE-INTEGRITY-SHA256 attribute header */
	0xb5, 0xc7, 0xbf, 0x00, /* } */
	0x5b, 0x6c, 0x52, 0xa2, /* } */
	0x1c, 0x51, 0xc5, 0xe8, /* } */
	0x92, 0xf8, 0x19, 0x24, /* }  HMAC-SHA256 value */
	0x13, 0x62, 0x96, 0xcb, /* } */
	0x92, 0x7c, 0x43, 0x14, /* } */
	0x93, 0x09, 0x27, 0x8c, /* } */
	0xc6, 0x51, 0x8e, 0x65, /* } */
};

/* RFC 8489 Appendix B.1 exactly as published: see PublishedVectorIsRefusedForItsLength. */
const uint8_t rfc8489_b1_published[] = {
	0x00, 0x01, 0x00, 0x9c, /* Request type and message length (0x9c: wrong) */
	0x21, 0x12, 0xa4, 0x42, /* Magic cookie */
	0x78, 0xad, 0x34, 0x33, /* } */
	0xc6, 0xad, 0x72, 0xc0, /* }  Transaction ID */
	0x29, 0xda, 0x41, 0x2e, /* } */
	0x00, 0x1e, 0x00, 0x20, /* USERHASH attribute header */
	0x4a, 0x3c, 0xf3, 0x8f, /* } */
	0xef, 0x69, 0x92, 0xbd, /* } */
	0xa9, 0x52, 0xc6, 0x78, /* } */
	0x04, 0x17, 0xda, 0x0f, /* }  Userhash value (32 bytes) */
	0x24, 0x81, 0x94, 0x15, /* } */
	0x56, 0x9e, 0x60, 0xb2, /* } */
	0x05, 0xc4, 0x6e, 0x41, /* } */
	0x40, 0x7f, 0x17, 0x04, /* } */
	0x00, 0x15, 0x00, 0x29, /* NONCE attribute header */
	0x6f, 0x62, 0x4d, 0x61, /* } */
	0x74, 0x4a, 0x6f, 0x73, /* } */
	0x32, 0x41, 0x41, 0x41, /* } */
	0x43, 0x66, 0x2f, 0x2f, /* } */
	0x34, 0x39, 0x39, 0x6b, /* } */
	0x39, 0x35, 0x34, 0x64, /* }  Nonce value and padding (3 bytes) */
	0x36, 0x4f, 0x4c, 0x33, /* } */
	0x34, 0x6f, 0x4c, 0x39, /* } */
	0x46, 0x53, 0x54, 0x76, /* } */
	0x79, 0x36, 0x34, 0x73, /* } */
	0x41, 0x00, 0x00, 0x00, /* } */
	0x00, 0x14, 0x00, 0x0b, /* REALM attribute header */
	0x65, 0x78, 0x61, 0x6d, /* } */
	0x70, 0x6c, 0x65, 0x2e, /* }  Realm value (11 bytes) and padding (1 byte) */
	0x6f, 0x72, 0x67, 0x00, /* } */
	0x00, 0x1c, 0x00, 0x20, /* MESSAGE-INTEGRITY-SHA256 attribute header */
	0xe4, 0x68, 0x6c, 0x8f, /* } */
	0x0e, 0xde, 0xb5, 0x90, /* } */
	0x13, 0xe0, 0x70, 0x90, /* } */
	0x01, 0x0a, 0x93, 0xef, /* }  HMAC-SHA256 value */
	0xcc, 0xbc, 0xcc, 0x54, /* } */
	0x4c, 0x0a, 0x45, 0xd9, /* } */
	0xf8, 0x30, 0xaa, 0x6d, /* } */
	0x6f, 0x73, 0x5a, 0x01, /* } */
};
// clang-format on

const char short_term_key[] = "VOkJxbRl1RmTxUk/WvJxBt";
const uint8_t *const short_term_key_bytes = (const uint8_t *)short_term_key;
const size_t short_term_key_len = sizeof(short_term_key) - 1;

/* U+30DE U+30C8 U+30EA U+30C3 U+30AF U+30B9 in UTF-8; the password after SASLprep/OpaqueString
 * is "TheMatrIX", the realm "example.org". */
const char long_term_user[] = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf"
			      "\xe3\x82\xb9";
const size_t long_term_user_len = sizeof(long_term_user) - 1;

const uint8_t tid_long_term[TP_STUN_TID_LEN] = { 0x78, 0xad, 0x34, 0x33, 0xc6, 0xad,
						 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e };

bytes
vec(const uint8_t *p, size_t n)
{
	return bytes(p, p + n);
}

#define VEC(a) vec((a), sizeof(a))

/* RFC 5769 2.1 Sample Request ------------------------------------------------------------------ */

TEST(Rfc5769SampleRequest, ParsesWithEveryAttribute)
{
	tp_stun_msg m;

	ASSERT_EQ(tp_stun_parse(&m, rfc5769_sample_request, sizeof(rfc5769_sample_request)),
		  TP_STUN_OK);
	EXPECT_EQ(m.method, TP_STUN_BINDING);
	EXPECT_EQ(m.cls, TP_STUN_REQUEST);
	EXPECT_EQ(hexstr(m.tid, TP_STUN_TID_LEN, 4), "b7e7a701 bc34d686 fa87dfae");
	EXPECT_EQ(m.len, sizeof(rfc5769_sample_request));

	const tp_stun_attr *a = tp_stun_find(&m, TP_ATTR_SOFTWARE);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->len, 16);
	EXPECT_EQ(text(m, a), "STUN test client");

	uint32_t prio = 0;
	a = tp_stun_find(&m, ATTR_PRIORITY);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(tp_stun_get_u32(&m, a, &prio), 0);
	EXPECT_EQ(prio, 0x6e0001ffu);

	a = tp_stun_find(&m, ATTR_ICE_CONTROLLED);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(hexstr(value(m, a)), "932ff9b1 51263b36");

	a = tp_stun_find(&m, TP_ATTR_USERNAME);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->len, 9); /* the three 0x20 padding bytes are not part of the value */
	EXPECT_EQ(text(m, a), "evtj:h6vY");

	/* MESSAGE-INTEGRITY and FINGERPRINT are located, not indexed as ordinary attributes. */
	EXPECT_EQ(m.nattrs, 4);
	EXPECT_EQ(m.mi_off, 76u);
	EXPECT_EQ(m.mi256_off, 0u);
	EXPECT_EQ(m.fp_off, 100u);

	/* PRIORITY (0x0024) is comprehension-required and unknown to a TURN server. */
	ASSERT_EQ(m.nunknown, 1);
	EXPECT_EQ(m.unknown[0], ATTR_PRIORITY);
}

TEST(Rfc5769SampleRequest, FingerprintIsVerifiedByTheParser)
{
	tp_stun_msg m;
	bytes v = VEC(rfc5769_sample_request);

	for (size_t off : { 24, /* in SOFTWARE */ 73, /* a padding byte */ 107 /* the CRC */ }) {
		bytes changed = flipped(v, off);

		EXPECT_EQ(parse(&m, changed), TP_STUN_EBAD_FINGERPRINT) << "byte " << off;
	}
}

TEST(Rfc5769SampleRequest, MessageIntegrityWithTheShortTermKey)
{
	tp_stun_msg m;

	ASSERT_EQ(tp_stun_parse(&m, rfc5769_sample_request, sizeof(rfc5769_sample_request)),
		  TP_STUN_OK);
	EXPECT_TRUE(tp_stun_check_integrity(&m, false, short_term_key_bytes, short_term_key_len));
	EXPECT_FALSE(
		tp_stun_check_integrity(&m, false, short_term_key_bytes, short_term_key_len - 1));
	EXPECT_FALSE(tp_stun_check_integrity(&m, true, short_term_key_bytes, short_term_key_len));

	/* Without FINGERPRINT the CRC no longer hides a change: MESSAGE-INTEGRITY must catch it. */
	bytes no_fp = without_fingerprint(rfc5769_sample_request, sizeof(rfc5769_sample_request));
	ASSERT_EQ(parse(&m, no_fp), TP_STUN_OK);
	EXPECT_TRUE(tp_stun_check_integrity(&m, false, short_term_key_bytes, short_term_key_len));

	bytes changed = flipped(no_fp, 24);
	ASSERT_EQ(parse(&m, changed), TP_STUN_OK);
	EXPECT_FALSE(tp_stun_check_integrity(&m, false, short_term_key_bytes, short_term_key_len));

	/* Padding is covered too: the RFC 5769 spaces rewritten as zeros do not verify. */
	bytes zero_pad = no_fp;
	zero_pad[69] = zero_pad[70] = zero_pad[71] = 0;
	ASSERT_EQ(parse(&m, zero_pad), TP_STUN_OK);
	EXPECT_FALSE(tp_stun_check_integrity(&m, false, short_term_key_bytes, short_term_key_len));
}

TEST(Rfc5769SampleRequest, BuilderReproducesTheVector)
{
	uint8_t buf[sizeof(rfc5769_sample_request)];
	tp_stun_builder b;
	static const uint8_t tie_breaker[8] = { 0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36 };

	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_BINDING, TP_STUN_REQUEST, tid_a);
	b.pad_byte = 0x20;
	tp_stun_add_str(&b, TP_ATTR_SOFTWARE, "STUN test client");
	tp_stun_add_u32(&b, ATTR_PRIORITY, 0x6e0001ff);
	tp_stun_add(&b, ATTR_ICE_CONTROLLED, tie_breaker, sizeof(tie_breaker));
	tp_stun_add_str(&b, TP_ATTR_USERNAME, "evtj:h6vY");
	tp_stun_add_integrity(&b, false, short_term_key_bytes, short_term_key_len);
	tp_stun_add_fingerprint(&b);

	EXPECT_EQ(hexstr(built(b)), hexstr(VEC(rfc5769_sample_request)));
}

/* RFC 5769 2.2 Sample IPv4 Response ------------------------------------------------------------ */

TEST(Rfc5769Ipv4Response, ParsesAndDecodesTheMappedAddress)
{
	tp_stun_msg m;
	tp_addr mapped;

	ASSERT_EQ(tp_stun_parse(&m, rfc5769_sample_ipv4_response,
				sizeof(rfc5769_sample_ipv4_response)),
		  TP_STUN_OK);
	EXPECT_EQ(m.method, TP_STUN_BINDING);
	EXPECT_EQ(m.cls, TP_STUN_SUCCESS);
	EXPECT_EQ(hexstr(m.tid, TP_STUN_TID_LEN, 4), "b7e7a701 bc34d686 fa87dfae");
	EXPECT_EQ(m.nattrs, 2);
	EXPECT_EQ(m.nunknown, 0);
	EXPECT_EQ(m.mi_off, 48u);
	EXPECT_EQ(m.fp_off, 72u);

	const tp_stun_attr *a = tp_stun_find(&m, TP_ATTR_SOFTWARE);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->len, 11);
	EXPECT_EQ(text(m, a), "test vector");

	a = tp_stun_find(&m, TP_ATTR_XOR_MAPPED_ADDRESS);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->len, 8);
	ASSERT_EQ(tp_stun_get_addr(&m, a, true, &mapped), 0);
	EXPECT_EQ(mapped.family, TP_FAM_V4);
	EXPECT_EQ(mapped.port, 32853);
	EXPECT_EQ(addr_text(mapped), "192.0.2.1:32853");
}

TEST(Rfc5769Ipv4Response, IntegrityAndFingerprint)
{
	tp_stun_msg m;
	bytes v = VEC(rfc5769_sample_ipv4_response);

	ASSERT_EQ(parse(&m, v), TP_STUN_OK);
	EXPECT_TRUE(tp_stun_check_integrity(&m, false, short_term_key_bytes, short_term_key_len));
	EXPECT_FALSE(tp_stun_check_integrity(&m, false, (const uint8_t *)"VOkJxbRl1RmTxUk/WvJxBT",
					     short_term_key_len));
	bytes in_address = flipped(v, 45);
	EXPECT_EQ(parse(&m, in_address), TP_STUN_EBAD_FINGERPRINT);

	bytes changed = flipped(without_fingerprint(v.data(), v.size()), 45);
	ASSERT_EQ(parse(&m, changed), TP_STUN_OK);
	EXPECT_FALSE(tp_stun_check_integrity(&m, false, short_term_key_bytes, short_term_key_len));
}

TEST(Rfc5769Ipv4Response, BuilderReproducesTheVector)
{
	uint8_t buf[sizeof(rfc5769_sample_ipv4_response)];
	tp_stun_builder b;
	tp_addr mapped;

	ASSERT_EQ(tp_addr_parse_ip(&mapped, "192.0.2.1"), 0);
	mapped.port = 32853;
	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_BINDING, TP_STUN_SUCCESS, tid_a);
	b.pad_byte = 0x20;
	tp_stun_add_str(&b, TP_ATTR_SOFTWARE, "test vector");
	tp_stun_add_addr(&b, TP_ATTR_XOR_MAPPED_ADDRESS, &mapped, true);
	tp_stun_add_integrity(&b, false, short_term_key_bytes, short_term_key_len);
	tp_stun_add_fingerprint(&b);

	EXPECT_EQ(hexstr(built(b)), hexstr(VEC(rfc5769_sample_ipv4_response)));
}

/* RFC 5769 2.3 Sample IPv6 Response ------------------------------------------------------------ */

TEST(Rfc5769Ipv6Response, ParsesAndDecodesTheMappedAddress)
{
	tp_stun_msg m;
	tp_addr mapped;

	ASSERT_EQ(tp_stun_parse(&m, rfc5769_sample_ipv6_response,
				sizeof(rfc5769_sample_ipv6_response)),
		  TP_STUN_OK);
	EXPECT_EQ(m.method, TP_STUN_BINDING);
	EXPECT_EQ(m.cls, TP_STUN_SUCCESS);
	EXPECT_EQ(hexstr(m.tid, TP_STUN_TID_LEN, 4), "b7e7a701 bc34d686 fa87dfae");
	EXPECT_EQ(m.nattrs, 2);
	EXPECT_EQ(m.mi_off, 60u);
	EXPECT_EQ(m.fp_off, 84u);

	const tp_stun_attr *a = tp_stun_find(&m, TP_ATTR_SOFTWARE);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(text(m, a), "test vector");

	a = tp_stun_find(&m, TP_ATTR_XOR_MAPPED_ADDRESS);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->len, 20);
	ASSERT_EQ(tp_stun_get_addr(&m, a, true, &mapped), 0);
	EXPECT_EQ(mapped.family, TP_FAM_V6);
	EXPECT_EQ(mapped.port, 32853);
	EXPECT_EQ(addr_text(mapped), "[2001:db8:1234:5678:11:2233:4455:6677]:32853");
}

TEST(Rfc5769Ipv6Response, IntegrityAndFingerprint)
{
	tp_stun_msg m;
	bytes v = VEC(rfc5769_sample_ipv6_response);

	ASSERT_EQ(parse(&m, v), TP_STUN_OK);
	EXPECT_TRUE(tp_stun_check_integrity(&m, false, short_term_key_bytes, short_term_key_len));
	EXPECT_FALSE(tp_stun_check_integrity(&m, false, (const uint8_t *)"", 0));
	bytes in_address = flipped(v, 55);
	EXPECT_EQ(parse(&m, in_address), TP_STUN_EBAD_FINGERPRINT);

	bytes changed = flipped(without_fingerprint(v.data(), v.size()), 55);
	ASSERT_EQ(parse(&m, changed), TP_STUN_OK);
	EXPECT_FALSE(tp_stun_check_integrity(&m, false, short_term_key_bytes, short_term_key_len));
}

TEST(Rfc5769Ipv6Response, BuilderReproducesTheVector)
{
	uint8_t buf[sizeof(rfc5769_sample_ipv6_response)];
	tp_stun_builder b;
	tp_addr mapped;

	ASSERT_EQ(tp_addr_parse_ip(&mapped, "2001:db8:1234:5678:11:2233:4455:6677"), 0);
	mapped.port = 32853;
	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_BINDING, TP_STUN_SUCCESS, tid_a);
	b.pad_byte = 0x20;
	tp_stun_add_str(&b, TP_ATTR_SOFTWARE, "test vector");
	tp_stun_add_addr(&b, TP_ATTR_XOR_MAPPED_ADDRESS, &mapped, true);
	tp_stun_add_integrity(&b, false, short_term_key_bytes, short_term_key_len);
	tp_stun_add_fingerprint(&b);

	EXPECT_EQ(hexstr(built(b)), hexstr(VEC(rfc5769_sample_ipv6_response)));
}

/* RFC 5769 2.4 Sample Request with Long-Term Authentication ------------------------------------ */

TEST(Rfc5769LongTermAuth, KeyIsMd5OfUsernameRealmPassword)
{
	uint8_t key[32];

	ASSERT_EQ(tp_auth_derive_key(false, long_term_user, long_term_user_len, "example.org",
				     "TheMatrIX", key),
		  16);
	EXPECT_EQ(hexstr(key, 16, 4), "e8ca7ad5 9d5eb051 8e312911 d2dab2a9");
}

TEST(Rfc5769LongTermAuth, ParsesAndAuthenticates)
{
	tp_stun_msg m;
	uint8_t key[32];

	ASSERT_EQ(tp_stun_parse(&m, rfc5769_sample_request_long_term,
				sizeof(rfc5769_sample_request_long_term)),
		  TP_STUN_OK);
	EXPECT_EQ(m.method, TP_STUN_BINDING);
	EXPECT_EQ(m.cls, TP_STUN_REQUEST);
	EXPECT_EQ(hexstr(m.tid, TP_STUN_TID_LEN, 4), "78ad3433 c6ad72c0 29da412e");
	EXPECT_EQ(m.nattrs, 3);
	EXPECT_EQ(m.nunknown, 0);
	EXPECT_EQ(m.mi_off, 92u);
	EXPECT_EQ(m.fp_off, 0u); /* this vector has no FINGERPRINT */

	const tp_stun_attr *a = tp_stun_find(&m, TP_ATTR_USERNAME);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->len, 18);
	EXPECT_EQ(text(m, a), long_term_user);
	a = tp_stun_find(&m, TP_ATTR_NONCE);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(text(m, a), "f//499k954d6OL34oL9FSTvy64sA");
	a = tp_stun_find(&m, TP_ATTR_REALM);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(text(m, a), "example.org");

	ASSERT_EQ(tp_auth_derive_key(false, long_term_user, long_term_user_len, "example.org",
				     "TheMatrIX", key),
		  16);
	EXPECT_TRUE(tp_stun_check_integrity(&m, false, key, 16));

	/* The password before SASLprep ("The<SOFT HYPHEN>M<U+00AA>tr<U+2168>") is not the key. */
	uint8_t raw_key[32];
	ASSERT_EQ(tp_auth_derive_key(false, long_term_user, long_term_user_len, "example.org",
				     "The\xc2\xad"
				     "M\xc2\xaatr\xe2\x85\xa8",
				     raw_key),
		  16);
	EXPECT_FALSE(tp_stun_check_integrity(&m, false, raw_key, 16));

	bytes changed = flipped(VEC(rfc5769_sample_request_long_term), 50); /* in NONCE */
	ASSERT_EQ(parse(&m, changed), TP_STUN_OK);
	EXPECT_FALSE(tp_stun_check_integrity(&m, false, key, 16));
}

TEST(Rfc5769LongTermAuth, BuilderReproducesTheVector)
{
	uint8_t buf[sizeof(rfc5769_sample_request_long_term)];
	uint8_t key[32];
	tp_stun_builder b;

	ASSERT_EQ(tp_auth_derive_key(false, long_term_user, long_term_user_len, "example.org",
				     "TheMatrIX", key),
		  16);
	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_BINDING, TP_STUN_REQUEST, tid_long_term);
	tp_stun_add(&b, TP_ATTR_USERNAME, long_term_user, long_term_user_len);
	tp_stun_add_str(&b, TP_ATTR_NONCE, "f//499k954d6OL34oL9FSTvy64sA");
	tp_stun_add_str(&b, TP_ATTR_REALM, "example.org");
	tp_stun_add_integrity(&b, false, key, 16);

	EXPECT_EQ(hexstr(built(b)), hexstr(VEC(rfc5769_sample_request_long_term)));
}

/* RFC 8489 Appendix B.1, SHA-256 long-term authentication, with Errata 6268 -------------------- */

const char b1_nonce[] = "obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA";

TEST(Rfc8489B1, KeyIsSha256OfUsernameRealmPassword)
{
	uint8_t key[32];

	ASSERT_EQ(tp_auth_derive_key(true, long_term_user, long_term_user_len, "example.org",
				     "TheMatrIX", key),
		  32);
	EXPECT_EQ(hexstr(key, 32, 4),
		  "dd295a61 3b9058c3 c23d6dc7 165bda07 2304d989 c9d0af3a 8c7e184b "
		  "4f9bb4a1");
}

TEST(Rfc8489B1, CorrectedVectorParsesAndAuthenticates)
{
	tp_stun_msg m;
	uint8_t key[32], md5_key[32];

	ASSERT_EQ(tp_stun_parse(&m, rfc8489_b1_errata6268, sizeof(rfc8489_b1_errata6268)),
		  TP_STUN_OK);
	EXPECT_EQ(m.method, TP_STUN_BINDING);
	EXPECT_EQ(m.cls, TP_STUN_REQUEST);
	EXPECT_EQ(hexstr(m.tid, TP_STUN_TID_LEN, 4), "78ad3433 c6ad72c0 29da412e");
	EXPECT_EQ(m.nattrs, 4);
	EXPECT_EQ(m.mi_off, 0u);
	EXPECT_EQ(m.mi256_off, 128u);
	EXPECT_EQ(m.fp_off, 0u);

	/* USERHASH = SHA-256(username ":" realm); the relay does not implement it (unknown). */
	const tp_stun_attr *a = tp_stun_find(&m, ATTR_USERHASH);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(hexstr(value(m, a)), "4a3cf38f ef6992bd a952c678 0417da0f 24819415 569e60b2 "
				       "05c46e41 407f1704");
	uint8_t userhash[32];
	unsigned hlen = 0;
	std::string user_realm = std::string(long_term_user) + ":example.org";
	ASSERT_EQ(EVP_Digest(user_realm.data(), user_realm.size(), userhash, &hlen, EVP_sha256(),
			     nullptr),
		  1);
	EXPECT_EQ(value(m, a), bytes(userhash, userhash + 32));
	ASSERT_EQ(m.nunknown, 1);
	EXPECT_EQ(m.unknown[0], ATTR_USERHASH);

	a = tp_stun_find(&m, TP_ATTR_NONCE);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->len, 41);
	EXPECT_EQ(text(m, a), b1_nonce);
	a = tp_stun_find(&m, TP_ATTR_REALM);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(text(m, a), "example.org");
	a = tp_stun_find(&m, TP_ATTR_PASSWORD_ALGORITHM);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(hexstr(value(m, a)), "00020000"); /* SHA-256, no parameters */

	ASSERT_EQ(tp_auth_derive_key(true, long_term_user, long_term_user_len, "example.org",
				     "TheMatrIX", key),
		  32);
	EXPECT_TRUE(tp_stun_check_integrity(&m, true, key, 32));
	EXPECT_FALSE(tp_stun_check_integrity(&m, false, key, 32)); /* no MESSAGE-INTEGRITY */
	ASSERT_EQ(tp_auth_derive_key(false, long_term_user, long_term_user_len, "example.org",
				     "TheMatrIX", md5_key),
		  16);
	EXPECT_FALSE(tp_stun_check_integrity(&m, true, md5_key, 16));

	bytes changed = flipped(VEC(rfc8489_b1_errata6268), 110); /* in REALM */
	ASSERT_EQ(parse(&m, changed), TP_STUN_OK);
	EXPECT_FALSE(tp_stun_check_integrity(&m, true, key, 32));
}

TEST(Rfc8489B1, BuilderReproducesTheCorrectedVector)
{
	uint8_t buf[sizeof(rfc8489_b1_errata6268)];
	uint8_t key[32];
	tp_stun_builder b;
	const bytes userhash = hex("4a3cf38f ef6992bd a952c678 0417da0f 24819415 569e60b2 "
				   "05c46e41 407f1704");
	const uint8_t sha256_alg[4] = { 0x00, 0x02, 0x00, 0x00 };

	ASSERT_EQ(tp_auth_derive_key(true, long_term_user, long_term_user_len, "example.org",
				     "TheMatrIX", key),
		  32);
	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_BINDING, TP_STUN_REQUEST, tid_long_term);
	tp_stun_add(&b, ATTR_USERHASH, userhash.data(), userhash.size());
	tp_stun_add_str(&b, TP_ATTR_NONCE, b1_nonce);
	tp_stun_add_str(&b, TP_ATTR_REALM, "example.org");
	tp_stun_add(&b, TP_ATTR_PASSWORD_ALGORITHM, sha256_alg, sizeof(sha256_alg));
	tp_stun_add_integrity(&b, true, key, 32);

	EXPECT_EQ(hexstr(built(b)), hexstr(VEC(rfc8489_b1_errata6268)));
}

/*
 * The vector as printed in RFC 8489 is wrong (Errata 6268, verified): its header length 0x9c
 * counts the 20-byte header, and PASSWORD-ALGORITHM is missing. A parser that checks the length
 * against the datagram must refuse it.
 */
TEST(Rfc8489B1, PublishedVectorIsRefusedForItsLength)
{
	tp_stun_msg m;

	EXPECT_EQ(get16(rfc8489_b1_published + 2), 0x9c);
	EXPECT_EQ(sizeof(rfc8489_b1_published), 0x9cu);
	EXPECT_EQ(tp_stun_parse(&m, rfc8489_b1_published, sizeof(rfc8489_b1_published)),
		  TP_STUN_EBAD_LENGTH);
}

/* Malformed datagrams -------------------------------------------------------------------------- */

struct malformed_case {
	const char *what;
	bytes datagram;
	int error;
};

bytes
binding_request()
{
	return message({ attr(TP_ATTR_SOFTWARE, ascii("test")) });
}

bytes
first(const bytes &b, size_t n)
{
	return bytes(b.begin(), b.begin() + (long)n);
}

bytes
set_length(bytes b, uint16_t len)
{
	put16(&b[2], len);
	return b;
}

/* m with a appended and the header length grown to cover it. */
bytes
append(const bytes &m, const bytes &a)
{
	bytes out = cat({ m, a });

	put16(&out[2], (uint16_t)(out.size() - TP_STUN_HDR_LEN));
	return out;
}

bytes
n_attributes(size_t n)
{
	bytes body;

	for (size_t i = 0; i < n; i++)
		body = cat({ body, attr(TP_ATTR_SOFTWARE, {}) });
	return cat({ header(0x0001, body.size()), body });
}

bytes
zeros(size_t n)
{
	return bytes(n, 0);
}

const bytes crc_bad = hex("00000000");

TEST(StunParse, MalformedDatagramsGiveTheirError)
{
	const malformed_case cases[] = {
		/* Not STUN at all (RFC 8489 section 6: first two bits zero, magic cookie). */
		{ "empty datagram", {}, TP_STUN_ENOT_STUN },
		{ "19 bytes, one short of a header", first(header(0x0001, 0), 19),
		  TP_STUN_ENOT_STUN },
		{ "first two bits 01 (a ChannelData number)", header(0x4001, 0),
		  TP_STUN_ENOT_STUN },
		{ "first two bits 10", header(0x8001, 0), TP_STUN_ENOT_STUN },
		{ "first two bits 11", header(0xc001, 0), TP_STUN_ENOT_STUN },
		{ "magic cookie off by one bit", header(0x0001, 0, TP_STUN_MAGIC ^ 1),
		  TP_STUN_ENOT_STUN },
		{ "RFC 3489 header: no magic cookie", header(0x0001, 0, 0x12345678),
		  TP_STUN_ENOT_STUN },

		/* The header length must be a multiple of 4 and match the datagram. */
		{ "length 2: not a multiple of 4", cat({ header(0x0001, 2), zeros(2) }),
		  TP_STUN_EBAD_LENGTH },
		{ "length 8, datagram carries 4",
		  set_length(message({ attr(TP_ATTR_SOFTWARE, {}) }), 8), TP_STUN_EBAD_LENGTH },
		{ "length 0, datagram carries 8", set_length(binding_request(), 0),
		  TP_STUN_EBAD_LENGTH },
		{ "length 12, datagram carries 8", set_length(binding_request(), 12),
		  TP_STUN_EBAD_LENGTH },
		/*
		 * With the length a multiple of 4 that matches the datagram, an attribute header
		 * can never be cut short and padding can never be missing: such datagrams fail the
		 * length check first.
		 */
		{ "attribute header cut after 2 bytes", cat({ header(0x0001, 2), hex("8022") }),
		  TP_STUN_EBAD_LENGTH },
		{ "last attribute's padding missing",
		  cat({ header(0x0001, 9), attr_raw(TP_ATTR_SOFTWARE, 5, ascii("hello")) }),
		  TP_STUN_EBAD_LENGTH },

		/* Attribute values must lie inside the message, with their padding. */
		{ "value length 8 with 4 bytes left",
		  message({ attr_raw(TP_ATTR_SOFTWARE, 8, ascii("abcd")) }),
		  TP_STUN_ETRUNCATED_ATTR },
		{ "value length 5 with 4 bytes left (value and padding overrun)",
		  message({ attr_raw(TP_ATTR_SOFTWARE, 5, ascii("abcd")) }),
		  TP_STUN_ETRUNCATED_ATTR },
		{ "value length 0xffff",
		  message({ attr_raw(TP_ATTR_SOFTWARE, 0xffff, ascii("abcd")) }),
		  TP_STUN_ETRUNCATED_ATTR },
		{ "second attribute overruns",
		  message({ attr(TP_ATTR_SOFTWARE, ascii("ok")),
			    attr_raw(TP_ATTR_USERNAME, 12, ascii("user")) }),
		  TP_STUN_ETRUNCATED_ATTR },

		/* Work per datagram is bounded. */
		{ "48 attributes: the most that are indexed", n_attributes(TP_STUN_MAX_ATTRS),
		  TP_STUN_OK },
		{ "49 attributes", n_attributes(TP_STUN_MAX_ATTRS + 1), TP_STUN_ETOO_MANY_ATTRS },

		/* MESSAGE-INTEGRITY is 20 bytes; MESSAGE-INTEGRITY-SHA256 16 to 32, in fours. */
		{ "MESSAGE-INTEGRITY of 16 bytes",
		  message({ attr(TP_ATTR_MESSAGE_INTEGRITY, zeros(16)) }),
		  TP_STUN_EBAD_INTEGRITY_LEN },
		{ "MESSAGE-INTEGRITY of 24 bytes",
		  message({ attr(TP_ATTR_MESSAGE_INTEGRITY, zeros(24)) }),
		  TP_STUN_EBAD_INTEGRITY_LEN },
		{ "MESSAGE-INTEGRITY of 0 bytes", message({ attr(TP_ATTR_MESSAGE_INTEGRITY, {}) }),
		  TP_STUN_EBAD_INTEGRITY_LEN },
		{ "MESSAGE-INTEGRITY-SHA256 of 12 bytes",
		  message({ attr(TP_ATTR_MESSAGE_INTEGRITY_SHA256, zeros(12)) }),
		  TP_STUN_EBAD_INTEGRITY_LEN },
		{ "MESSAGE-INTEGRITY-SHA256 of 36 bytes",
		  message({ attr(TP_ATTR_MESSAGE_INTEGRITY_SHA256, zeros(36)) }),
		  TP_STUN_EBAD_INTEGRITY_LEN },
		{ "MESSAGE-INTEGRITY-SHA256 of 18 bytes",
		  message({ attr(TP_ATTR_MESSAGE_INTEGRITY_SHA256, zeros(18)) }),
		  TP_STUN_EBAD_INTEGRITY_LEN },
		{ "MESSAGE-INTEGRITY-SHA256 of 16 bytes (truncated, allowed)",
		  message({ attr(TP_ATTR_MESSAGE_INTEGRITY_SHA256, zeros(16)) }), TP_STUN_OK },
		{ "MESSAGE-INTEGRITY-SHA256 of 24 bytes (truncated, allowed)",
		  message({ attr(TP_ATTR_MESSAGE_INTEGRITY_SHA256, zeros(24)) }), TP_STUN_OK },

		/* FINGERPRINT is 4 bytes, correct, and last. */
		{ "FINGERPRINT of 8 bytes", message({ attr(TP_ATTR_FINGERPRINT, zeros(8)) }),
		  TP_STUN_EBAD_FINGERPRINT_LEN },
		{ "FINGERPRINT of 0 bytes", message({ attr(TP_ATTR_FINGERPRINT, {}) }),
		  TP_STUN_EBAD_FINGERPRINT_LEN },
		{ "FINGERPRINT with a wrong CRC", message({ attr(TP_ATTR_FINGERPRINT, crc_bad) }),
		  TP_STUN_EBAD_FINGERPRINT },
		{ "FINGERPRINT correct", with_fingerprint(binding_request()), TP_STUN_OK },
		{ "SOFTWARE after FINGERPRINT",
		  append(with_fingerprint(binding_request()), attr(TP_ATTR_SOFTWARE, {})),
		  TP_STUN_EAFTER_FINGERPRINT },
		{ "two FINGERPRINTs",
		  message({ attr(TP_ATTR_FINGERPRINT, crc_bad),
			    attr(TP_ATTR_FINGERPRINT, crc_bad) }),
		  TP_STUN_EAFTER_FINGERPRINT },
	};

	for (const malformed_case &c : cases) {
		SCOPED_TRACE(c.what);
		tp_stun_msg m;
		bytes d = c.datagram;

		/* Datagrams that are not about the length carry a right one. */
		if (c.error != TP_STUN_ENOT_STUN && c.error != TP_STUN_EBAD_LENGTH) {
			ASSERT_EQ(get16(&d[2]) + TP_STUN_HDR_LEN, d.size());
		}
		EXPECT_EQ(tp_stun_parse(&m, d.data(), d.size()), c.error)
			<< tp_stun_parse_error_name(c.error);
	}
}

TEST(StunParse, LooksLikeNeedsOnlyTheHeader)
{
	bytes h = header(0x0001, 0);

	EXPECT_TRUE(tp_stun_looks_like(h.data(), h.size()));
	EXPECT_FALSE(tp_stun_looks_like(h.data(), h.size() - 1));
	h[0] = 0x40; /* ChannelData */
	EXPECT_FALSE(tp_stun_looks_like(h.data(), h.size()));
}

TEST(StunParse, ErrorNamesComeFromTheList)
{
	EXPECT_STREQ(tp_stun_parse_error_name(TP_STUN_OK), "ok");
	EXPECT_STREQ(tp_stun_parse_error_name(TP_STUN_ENOT_STUN), "not-stun");
	EXPECT_STREQ(tp_stun_parse_error_name(TP_STUN_EBAD_FINGERPRINT), "bad-fingerprint");
	EXPECT_STREQ(tp_stun_parse_error_name(TP_STUN_EAFTER_FINGERPRINT),
		     "attribute-after-fingerprint");
	EXPECT_STREQ(tp_stun_parse_error_name(TP_STUN_E_COUNT), "unknown");
	EXPECT_STREQ(tp_stun_parse_error_name(-1), "unknown");
}

/* Unknown attributes (RFC 8489 section 14) ----------------------------------------------------- */

TEST(StunUnknown, RequiredOnesAreCollectedOptionalOnesAreNot)
{
	tp_stun_msg m;
	bytes d = message({
		attr(0x0003, zeros(4)), /* CHANGE-REQUEST (RFC 5780): comprehension-required */
		attr(0xc001, zeros(4)), /* comprehension-optional */
		attr(0x7fff, {}),	/* the highest comprehension-required type */
		attr(0x0003, zeros(4)), /* the same again: reported once */
		attr(TP_ATTR_SOFTWARE, ascii("known")),
	});

	ASSERT_EQ(parse(&m, d), TP_STUN_OK);
	ASSERT_EQ(m.nunknown, 2);
	EXPECT_EQ(m.unknown[0], 0x0003);
	EXPECT_EQ(m.unknown[1], 0x7fff);
	/* All of them are still indexed, in order. */
	ASSERT_EQ(m.nattrs, 5);
	EXPECT_EQ(m.attrs[1].type, 0xc001);
	EXPECT_NE(tp_stun_find(&m, 0xc001), nullptr);
	EXPECT_FALSE(tp_stun_attr_known(0x0003));
	EXPECT_TRUE(tp_stun_attr_known(TP_ATTR_XOR_PEER_ADDRESS));
}

TEST(StunUnknown, ReportIsCappedButTheParseSucceeds)
{
	tp_stun_msg m;
	bytes body;

	for (uint16_t t = 0x0040; t < 0x0040 + TP_STUN_MAX_UNKNOWN + 4; t++)
		body = cat({ body, attr(t, {}) });
	bytes d = cat({ header(0x0001, body.size()), body });
	ASSERT_EQ(parse(&m, d), TP_STUN_OK);
	ASSERT_EQ(m.nunknown, TP_STUN_MAX_UNKNOWN);
	for (unsigned i = 0; i < TP_STUN_MAX_UNKNOWN; i++)
		EXPECT_EQ(m.unknown[i], 0x0040 + i);
	EXPECT_EQ(m.nattrs, TP_STUN_MAX_UNKNOWN + 4);
}

TEST(StunUnknown, FindNextWalksRepeatedAttributes)
{
	tp_stun_msg m;
	bytes d = message({ attr(TP_ATTR_XOR_PEER_ADDRESS, zeros(8)), attr(TP_ATTR_SOFTWARE, {}),
			    attr(TP_ATTR_XOR_PEER_ADDRESS, zeros(20)) });

	ASSERT_EQ(parse(&m, d), TP_STUN_OK);
	const tp_stun_attr *a = tp_stun_find(&m, TP_ATTR_XOR_PEER_ADDRESS);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->len, 8);
	a = tp_stun_find_next(&m, a, TP_ATTR_XOR_PEER_ADDRESS);
	ASSERT_NE(a, nullptr);
	EXPECT_EQ(a->len, 20);
	EXPECT_EQ(tp_stun_find_next(&m, a, TP_ATTR_XOR_PEER_ADDRESS), nullptr);
	EXPECT_EQ(tp_stun_find(&m, TP_ATTR_USERNAME), nullptr);
}

/* What follows MESSAGE-INTEGRITY (RFC 8489 sections 14.5, 14.6, 14.7) -------------------------- */

const uint8_t key16[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

TEST(StunIntegrity, AttributesAfterMessageIntegrityAreIgnored)
{
	tp_stun_msg m;
	bytes d = message({
		attr(TP_ATTR_USERNAME, ascii("user")),
		attr(TP_ATTR_MESSAGE_INTEGRITY, zeros(20)),
		attr(TP_ATTR_SOFTWARE, ascii("ignored")),
		attr(0x7fff, {}), /* unknown and required, but after the integrity */
		attr(TP_ATTR_MESSAGE_INTEGRITY_SHA256, zeros(32)),
	});

	bytes with_fp = with_fingerprint(d);
	ASSERT_EQ(parse(&m, with_fp), TP_STUN_OK);
	ASSERT_EQ(m.nattrs, 1);
	EXPECT_EQ(m.attrs[0].type, TP_ATTR_USERNAME);
	EXPECT_EQ(tp_stun_find(&m, TP_ATTR_SOFTWARE), nullptr);
	EXPECT_EQ(m.nunknown, 0);
	EXPECT_EQ(m.mi_off, 28u);
	EXPECT_EQ(m.mi256_off, 68u); /* MESSAGE-INTEGRITY-SHA256 may follow MESSAGE-INTEGRITY */
	EXPECT_EQ(m.fp_off, 104u);   /* and FINGERPRINT may follow both */
}

TEST(StunIntegrity, AttributesAfterMessageIntegritySha256AreIgnored)
{
	tp_stun_msg m;
	bytes d = message({
		attr(TP_ATTR_MESSAGE_INTEGRITY_SHA256, zeros(32)),
		attr(TP_ATTR_MESSAGE_INTEGRITY, zeros(20)), /* too late */
		attr(TP_ATTR_USERNAME, ascii("late")),
		attr(0x0003, zeros(4)),
	});

	bytes with_fp = with_fingerprint(d);
	ASSERT_EQ(parse(&m, with_fp), TP_STUN_OK);
	EXPECT_EQ(m.nattrs, 0);
	EXPECT_EQ(m.nunknown, 0);
	EXPECT_EQ(m.mi256_off, 20u);
	EXPECT_EQ(m.mi_off, 0u);
	EXPECT_NE(m.fp_off, 0u);
}

/* A request with USERNAME and MESSAGE-INTEGRITY under key16, and nothing after it. */
bytes
signed_request(bool sha256)
{
	uint8_t buf[256];
	tp_stun_builder b;

	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_ALLOCATE, TP_STUN_REQUEST, tid_a);
	tp_stun_add_str(&b, TP_ATTR_USERNAME, "user");
	tp_stun_add_u32(&b, TP_ATTR_LIFETIME, 600);
	tp_stun_add_integrity(&b, sha256, key16, sizeof(key16));
	return built(b);
}

TEST(StunIntegrity, CoversExactlyTheBytesBeforeItWithTheLengthAdjusted)
{
	tp_stun_msg m;

	for (bool sha256 : { false, true }) {
		SCOPED_TRACE(sha256 ? "MESSAGE-INTEGRITY-SHA256" : "MESSAGE-INTEGRITY");
		bytes d = signed_request(sha256);

		ASSERT_EQ(parse(&m, d), TP_STUN_OK);
		EXPECT_TRUE(tp_stun_check_integrity(&m, sha256, key16, sizeof(key16)));
		EXPECT_FALSE(tp_stun_check_integrity(&m, !sha256, key16, sizeof(key16)));

		/* FINGERPRINT appended after it changes the header length, not the check. */
		bytes with_fp = with_fingerprint(d);
		ASSERT_EQ(parse(&m, with_fp), TP_STUN_OK);
		EXPECT_TRUE(tp_stun_check_integrity(&m, sha256, key16, sizeof(key16)));

		/* Nor does an attribute that is ignored because it follows the integrity. */
		bytes with_late = append(d, attr(TP_ATTR_SOFTWARE, ascii("late")));
		ASSERT_EQ(parse(&m, with_late), TP_STUN_OK);
		EXPECT_TRUE(tp_stun_check_integrity(&m, sha256, key16, sizeof(key16)));

		/* The header (method, transaction ID) is covered, and so is the value. */
		for (size_t off : { (size_t)1, (size_t)19, d.size() - 1 }) {
			bytes changed = flipped(d, off);

			ASSERT_EQ(parse(&m, changed), TP_STUN_OK);
			EXPECT_FALSE(tp_stun_check_integrity(&m, sha256, key16, sizeof(key16)))
				<< "byte " << off;
		}
	}
}

TEST(StunIntegrity, BothIntegritiesInTheRfcOrderVerify)
{
	uint8_t buf[256];
	tp_stun_builder b;
	tp_stun_msg m;

	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_REFRESH, TP_STUN_REQUEST, tid_a);
	tp_stun_add_str(&b, TP_ATTR_USERNAME, "user");
	tp_stun_add_integrity(&b, false, key16, sizeof(key16));
	tp_stun_add_integrity(&b, true, key16, sizeof(key16));
	tp_stun_add_fingerprint(&b);
	bytes d = built(b);
	ASSERT_EQ(parse(&m, d), TP_STUN_OK);
	EXPECT_NE(m.mi_off, 0u);
	EXPECT_NE(m.mi256_off, 0u);
	EXPECT_TRUE(tp_stun_check_integrity(&m, false, key16, sizeof(key16)));
	EXPECT_TRUE(tp_stun_check_integrity(&m, true, key16, sizeof(key16)));
}

TEST(StunIntegrity, TruncatedSha256IsCheckedOnItsLength)
{
	/* RFC 8489 section 14.6: MESSAGE-INTEGRITY-SHA256 may carry the leading 16 to 32 bytes.
	 * The HMAC is computed here with OpenSSL over the header with the length ending after a
	 * 16-byte attribute. */
	bytes d = message({ attr(TP_ATTR_USERNAME, ascii("user")) });
	put16(&d[2], (uint16_t)(d.size() + 4 + 16 - TP_STUN_HDR_LEN));
	uint8_t mac[32];
	unsigned maclen = 0;
	ASSERT_NE(HMAC(EVP_sha256(), key16, sizeof(key16), d.data(), d.size(), mac, &maclen),
		  nullptr);
	d = cat({ d, attr(TP_ATTR_MESSAGE_INTEGRITY_SHA256, bytes(mac, mac + 16)) });

	tp_stun_msg m;
	ASSERT_EQ(parse(&m, d), TP_STUN_OK);
	EXPECT_TRUE(tp_stun_check_integrity(&m, true, key16, sizeof(key16)));
	bytes changed = flipped(d, d.size() - 16);
	ASSERT_EQ(parse(&m, changed), TP_STUN_OK);
	EXPECT_FALSE(tp_stun_check_integrity(&m, true, key16, sizeof(key16)));
}

TEST(StunIntegrity, AbsentIntegrityNeverVerifies)
{
	tp_stun_msg m;

	bytes d = binding_request();
	ASSERT_EQ(parse(&m, d), TP_STUN_OK);
	EXPECT_FALSE(tp_stun_check_integrity(&m, false, key16, sizeof(key16)));
	EXPECT_FALSE(tp_stun_check_integrity(&m, true, key16, sizeof(key16)));
}

/* Methods and classes (RFC 8489 section 5, RFC 8656 section 18) -------------------------------- */

TEST(StunMethodClass, TypesAreTheRfcValues)
{
	const struct {
		uint16_t method;
		uint8_t cls;
		uint16_t type;
	} cases[] = {
		{ TP_STUN_BINDING, TP_STUN_REQUEST, 0x0001 },
		{ TP_STUN_BINDING, TP_STUN_INDICATION, 0x0011 },
		{ TP_STUN_BINDING, TP_STUN_SUCCESS, 0x0101 },
		{ TP_STUN_BINDING, TP_STUN_ERROR, 0x0111 },
		{ TP_STUN_ALLOCATE, TP_STUN_REQUEST, 0x0003 },
		{ TP_STUN_ALLOCATE, TP_STUN_SUCCESS, 0x0103 },
		{ TP_STUN_ALLOCATE, TP_STUN_ERROR, 0x0113 },
		{ TP_STUN_REFRESH, TP_STUN_REQUEST, 0x0004 },
		{ TP_STUN_SEND, TP_STUN_INDICATION, 0x0016 },
		{ TP_STUN_DATA, TP_STUN_INDICATION, 0x0017 },
		{ TP_STUN_CREATE_PERMISSION, TP_STUN_REQUEST, 0x0008 },
		{ TP_STUN_CREATE_PERMISSION, TP_STUN_SUCCESS, 0x0108 },
		{ TP_STUN_CHANNEL_BIND, TP_STUN_REQUEST, 0x0009 },
		{ TP_STUN_CHANNEL_BIND, TP_STUN_ERROR, 0x0119 },
		/* Every method bit set: class bits C0 (0x0010) and C1 (0x0100) sit between them. */
		{ 0x0fff, TP_STUN_REQUEST, 0x3eef },
		{ 0x0fff, TP_STUN_ERROR, 0x3fff },
		{ 0x0080, TP_STUN_REQUEST, 0x0200 },
		{ 0x0010, TP_STUN_REQUEST, 0x0020 },
	};

	for (const auto &c : cases) {
		SCOPED_TRACE(::testing::Message()
			     << "method 0x" << std::hex << c.method << " class " << (int)c.cls);
		uint8_t buf[TP_STUN_HDR_LEN];
		tp_stun_builder b;
		tp_stun_msg m;

		tp_stun_build_init(&b, buf, sizeof(buf), c.method, c.cls, tid_a);
		ASSERT_EQ(tp_stun_build_end(&b), TP_STUN_HDR_LEN);
		EXPECT_EQ(get16(buf), c.type);
		ASSERT_EQ(tp_stun_parse(&m, buf, sizeof(buf)), TP_STUN_OK);
		EXPECT_EQ(m.method, c.method);
		EXPECT_EQ(m.cls, c.cls);
	}
}

TEST(StunMethodClass, EveryTurnMethodRoundTripsInEveryClass)
{
	const struct {
		uint16_t method;
		const char *name;
	} methods[] = {
#define X(n, v, s) { v, s },
		TP_STUN_METHODS(X)
#undef X
	};

	EXPECT_EQ(sizeof(methods) / sizeof(methods[0]), 7u);
	for (const auto &meth : methods) {
		EXPECT_STREQ(tp_stun_method_name(meth.method), meth.name);
		for (uint8_t cls = TP_STUN_REQUEST; cls <= TP_STUN_ERROR; cls++) {
			uint8_t buf[64];
			tp_stun_builder b;
			tp_stun_msg m;

			tp_stun_build_init(&b, buf, sizeof(buf), meth.method, cls, tid_a);
			tp_stun_add_fingerprint(&b);
			bytes d = built(b);
			ASSERT_EQ(parse(&m, d), TP_STUN_OK);
			EXPECT_EQ(m.method, meth.method) << meth.name;
			EXPECT_EQ(m.cls, cls) << meth.name;
			EXPECT_EQ(memcmp(m.tid, tid_a, TP_STUN_TID_LEN), 0);
		}
	}
	EXPECT_STREQ(tp_stun_method_name(0x0002), "unknown-method");
}

/* Addresses and integers ----------------------------------------------------------------------- */

TEST(StunAddr, PlainMappedAddressDecodes)
{
	tp_stun_msg m;
	tp_addr a;

	bytes d = message({ attr(TP_ATTR_MAPPED_ADDRESS, hex("0001 8055 c0000201")) });
	ASSERT_EQ(parse(&m, d), TP_STUN_OK);
	ASSERT_EQ(tp_stun_get_addr(&m, &m.attrs[0], false, &a), 0);
	EXPECT_EQ(addr_text(a), "192.0.2.1:32853");
	/* The same bytes read as XOR-MAPPED-ADDRESS are another address. */
	ASSERT_EQ(tp_stun_get_addr(&m, &m.attrs[0], true, &a), 0);
	EXPECT_NE(addr_text(a), "192.0.2.1:32853");
}

TEST(StunAddr, BadFamilyOrLengthIsRefused)
{
	const struct {
		const char *what;
		bytes value;
	} cases[] = {
		{ "family 0", hex("0000 a147 e112a643") },
		{ "family 3", hex("0003 a147 e112a643") },
		{ "IPv4 family with 20 bytes",
		  hex("0001 a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9") },
		{ "IPv6 family with 8 bytes", hex("0002 a147 e112a643") },
		{ "IPv4 family with 4 bytes (no address)", hex("0001 a147") },
		{ "2 bytes", hex("0001") },
		{ "empty", {} },
	};

	for (const auto &c : cases) {
		SCOPED_TRACE(c.what);
		tp_stun_msg m;
		tp_addr a;

		bytes d = message({ attr(TP_ATTR_XOR_PEER_ADDRESS, c.value) });
		ASSERT_EQ(parse(&m, d), TP_STUN_OK);
		EXPECT_EQ(tp_stun_get_addr(&m, &m.attrs[0], true, &a), -EINVAL);
		EXPECT_EQ(tp_stun_get_addr(&m, &m.attrs[0], false, &a), -EINVAL);
	}
}

TEST(StunAddr, BuilderAndParserAgree)
{
	for (const char *ip : { "198.51.100.7", "0.0.0.0", "255.255.255.255", "2001:db8::1",
				"::ffff:192.0.2.1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff" }) {
		for (bool xored : { true, false }) {
			SCOPED_TRACE(::testing::Message() << ip << (xored ? " xor" : " plain"));
			uint8_t buf[128];
			tp_stun_builder b;
			tp_stun_msg m;
			tp_addr in, out;

			ASSERT_EQ(tp_addr_parse_ip(&in, ip), 0);
			in.port = 0xabcd;
			tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_SEND, TP_STUN_INDICATION,
					   tid_long_term);
			tp_stun_add_addr(&b, TP_ATTR_XOR_PEER_ADDRESS, &in, xored);
			bytes d = built(b);
			ASSERT_EQ(parse(&m, d), TP_STUN_OK);
			ASSERT_EQ(tp_stun_get_addr(&m, &m.attrs[0], xored, &out), 0);
			EXPECT_TRUE(tp_addr_eq(&in, &out));
			/* On the wire the XOR form hides the address; the plain form does not. */
			EXPECT_EQ(memcmp(tp_stun_value(&m, &m.attrs[0]) + 4, in.ip,
					 tp_fam_iplen(in.family)) == 0,
				  !xored);
		}
	}
}

TEST(StunAddr, U32NeedsFourBytes)
{
	tp_stun_msg m;
	uint32_t v = 7;

	bytes d = message(
		{ attr(TP_ATTR_LIFETIME, hex("00000258")), attr(TP_ATTR_LIFETIME, hex("0258")),
		  attr(TP_ATTR_LIFETIME, hex("00000000 00000258")), attr(TP_ATTR_LIFETIME, {}) });
	ASSERT_EQ(parse(&m, d), TP_STUN_OK);
	EXPECT_EQ(tp_stun_get_u32(&m, &m.attrs[0], &v), 0);
	EXPECT_EQ(v, 600u);
	EXPECT_EQ(tp_stun_get_u32(&m, &m.attrs[1], &v), -EINVAL);
	EXPECT_EQ(tp_stun_get_u32(&m, &m.attrs[2], &v), -EINVAL);
	EXPECT_EQ(tp_stun_get_u32(&m, &m.attrs[3], &v), -EINVAL);
	EXPECT_EQ(v, 600u); /* untouched on failure */
}

/* Builder -------------------------------------------------------------------------------------- */

/* Everything the relay puts in responses, into buf of cap bytes. */
int
build_everything(uint8_t *buf, size_t cap)
{
	tp_stun_builder b;
	tp_addr relayed;
	const uint16_t unknown[] = { 0x0003, 0x7fff, 0x0024 };

	tp_addr_parse_ip(&relayed, "2001:db8::42");
	relayed.port = 50000;
	tp_stun_build_init(&b, buf, cap, TP_STUN_ALLOCATE, TP_STUN_ERROR, tid_a);
	tp_stun_add_error(&b, TP_ERR_UNKNOWN_ATTRIBUTE, true);
	tp_stun_add_unknown(&b, unknown, 3);
	tp_stun_add_addr(&b, TP_ATTR_XOR_RELAYED_ADDRESS, &relayed, true);
	tp_stun_add_u32(&b, TP_ATTR_LIFETIME, 600);
	tp_stun_add_str(&b, TP_ATTR_SOFTWARE, "turnpike");
	tp_stun_add_integrity(&b, false, key16, sizeof(key16));
	tp_stun_add_integrity(&b, true, key16, sizeof(key16));
	tp_stun_add_fingerprint(&b);
	return tp_stun_build_end(&b);
}

TEST(StunBuilder, TooSmallABufferGivesEnospcAndIsNeverOverrun)
{
	uint8_t ref[512];
	int full = build_everything(ref, sizeof(ref));
	const size_t guard = 64;

	ASSERT_GT(full, TP_STUN_HDR_LEN);
	for (size_t cap = 0; cap <= (size_t)full; cap++) {
		SCOPED_TRACE(::testing::Message() << "capacity " << cap);
		std::vector<uint8_t> buf(cap + guard, 0xa5);
		int n = build_everything(buf.data(), cap);

		if (cap < (size_t)full) {
			EXPECT_EQ(n, -ENOSPC);
		} else {
			ASSERT_EQ(n, full);
			EXPECT_EQ(memcmp(buf.data(), ref, (size_t)full), 0);
		}
		for (size_t i = cap; i < cap + guard; i++)
			ASSERT_EQ(buf[i], 0xa5) << "byte " << i << " written";
	}
}

TEST(StunBuilder, OversizedValueGivesEnospc)
{
	std::vector<uint8_t> buf(70000);
	std::vector<uint8_t> big(0x10000, 'x');
	tp_stun_builder b;

	tp_stun_build_init(&b, buf.data(), buf.size(), TP_STUN_SEND, TP_STUN_INDICATION, tid_a);
	tp_stun_add(&b, TP_ATTR_DATA, big.data(), big.size()); /* one more than a length holds */
	EXPECT_EQ(tp_stun_build_end(&b), -ENOSPC);
}

TEST(StunBuilder, ErrorCodeIsClassNumberAndReasonPhrase)
{
	const struct {
		int code;
		bytes attribute;
	} cases[] = {
		/* type 0x0009, length 4 + phrase, 21 reserved bits, class, number, phrase, pad */
		{ 401, cat({ hex("0009 0013 0000 04 01"), ascii("Unauthenticated"), hex("00") }) },
		{ 438, cat({ hex("0009 000f 0000 04 26"), ascii("Stale Nonce"), hex("00") }) },
		{ 508, cat({ hex("0009 0019 0000 05 08"), ascii("Insufficient Capacity"),
			     hex("000000") }) },
		{ 420,
		  cat({ hex("0009 0015 0000 04 14"), ascii("Unknown Attribute"), hex("000000") }) },
		{ 300,
		  cat({ hex("0009 0011 0000 03 00"), ascii("Try Alternate"), hex("000000") }) },
	};

	for (const auto &c : cases) {
		SCOPED_TRACE(c.code);
		uint8_t buf[128];
		tp_stun_builder b;

		tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_ALLOCATE, TP_STUN_ERROR, tid_a);
		tp_stun_add_error(&b, c.code, true);
		bytes m = built(b);
		ASSERT_EQ(m.size(), TP_STUN_HDR_LEN + c.attribute.size());
		EXPECT_EQ(hexstr(bytes(m.begin() + TP_STUN_HDR_LEN, m.end())), hexstr(c.attribute));
	}
}

TEST(StunBuilder, UnknownAttributesArePaddedWhenTheCountIsOdd)
{
	const uint16_t three[] = { 0x0003, 0x7fff, 0x0024 };
	const uint16_t two[] = { 0x0003, 0x7fff };
	uint8_t buf[64];
	tp_stun_builder b;

	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_BINDING, TP_STUN_ERROR, tid_a);
	tp_stun_add_unknown(&b, three, 3);
	tp_stun_add_unknown(&b, two, 2);
	bytes m = built(b);
	EXPECT_EQ(hexstr(bytes(m.begin() + TP_STUN_HDR_LEN, m.end())),
		  hexstr(hex("000a 0006 0003 7fff 0024 0000"
			     "000a 0004 0003 7fff")));
	EXPECT_EQ(get16(&m[2]), 20);
}

TEST(StunBuilder, HeaderLengthFollowsEveryAttribute)
{
	uint8_t buf[64];
	tp_stun_builder b;

	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_BINDING, TP_STUN_SUCCESS, tid_a);
	EXPECT_EQ(get16(buf + 2), 0);
	EXPECT_EQ(hexstr(buf, TP_STUN_HDR_LEN, 4), "01010000 2112a442 b7e7a701 bc34d686 fa87dfae");
	tp_stun_add_str(&b, TP_ATTR_SOFTWARE, "x");
	EXPECT_EQ(get16(buf + 2), 8);
	tp_stun_add(&b, TP_ATTR_DONT_FRAGMENT, nullptr, 0);
	EXPECT_EQ(get16(buf + 2), 12);
	EXPECT_EQ(tp_stun_build_end(&b), 32);
	EXPECT_EQ(hexstr(buf + TP_STUN_HDR_LEN, 12, 4), "80220001 78000000 001a0000");
}

} // namespace

TEST(StunClientView, ErrorCodeAndTextAttributes)
{
	uint8_t buf[256];
	tp_stun_builder b;
	tp_stun_msg m;
	char out[8];

	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_ALLOCATE, TP_STUN_ERROR, tid_a);
	tp_stun_add_error(&b, TP_ERR_STALE_NONCE, true);
	tp_stun_add_str(&b, TP_ATTR_NONCE, "0123456789");
	int len = tp_stun_build_end(&b);
	ASSERT_GT(len, 0);
	ASSERT_EQ(tp_stun_parse(&m, buf, (size_t)len), TP_STUN_OK);
	EXPECT_EQ(tp_stun_error_code(&m), 438);
	/* Cut to fit, always terminated. */
	EXPECT_EQ(tp_stun_get_str(&m, TP_ATTR_NONCE, out, sizeof(out)), 7u);
	EXPECT_STREQ(out, "0123456");
	/* Absent: empty. */
	EXPECT_EQ(tp_stun_get_str(&m, TP_ATTR_REALM, out, sizeof(out)), 0u);
	EXPECT_STREQ(out, "");

	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_ALLOCATE, TP_STUN_SUCCESS, tid_a);
	len = tp_stun_build_end(&b);
	ASSERT_EQ(tp_stun_parse(&m, buf, (size_t)len), TP_STUN_OK);
	EXPECT_EQ(tp_stun_error_code(&m), 0);
}
