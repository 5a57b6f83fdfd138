/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport addresses as the control plane sees them: one fixed-size, padding-free struct for
 * IPv4 and IPv6 (so it can be hashed and compared as bytes), conversions to and from sockaddr,
 * text, and CIDR prefixes. Families use the STUN codes (0x01 IPv4, 0x02 IPv6) because that is
 * what REQUESTED-ADDRESS-FAMILY and the XOR-*-ADDRESS attributes carry.
 */
#ifndef TP_ADDR_H
#define TP_ADDR_H

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "tp_types.h" /* enum tp_family, shared with the fast paths */

#ifdef __cplusplus
extern "C" {
#endif

/* Index for per-family arrays: 0 for IPv4, 1 for IPv6. */
#define TP_FAM_IDX(f) ((f)-1)
#define TP_NFAM	      2

/* Longest text form of an address with port: "[" v6 "]:" port plus NUL. */
#define TP_ADDR_STRLEN 56

/* The transport a client reaches the relay over (RFC 8656 section 3.1). Peers, relayed
 * addresses and the listen port are UDP. */
enum tp_transport {
	TP_TRANSPORT_UDP, /* zero: what every address without a connection is */
	TP_TRANSPORT_TCP,
	TP_TRANSPORT_TLS,
	TP_TRANSPORT_DTLS,
	TP_TRANSPORT_COUNT
};

/* A transport address, and the transport it is reached over: a client's 5-tuple with the
 * server's side implied (two clients on one IP and port over TCP and UDP are two clients). */
struct tp_addr {
	uint8_t family;	   /* enum tp_family */
	uint8_t transport; /* enum tp_transport: UDP (zero) but for clients on a connection */
	uint16_t port;	   /* host byte order */
	uint8_t ip[16];	   /* network byte order; IPv4 uses the first 4 bytes, the rest zero */
};
static_assert(sizeof(struct tp_addr) == 20, "struct tp_addr must not be padded");

struct tp_prefix {
	struct tp_addr addr; /* port unused, zero */
	uint8_t len;	     /* prefix length in bits */
};

static inline size_t
tp_fam_iplen(uint8_t family)
{
	return family == TP_FAM_V4 ? 4 : 16;
}

/* "udp", "tcp", "tls" or "dtls", as flow records and metrics name it. */
const char *tp_transport_name(uint8_t transport);
/* A client on a connection (TCP, TLS, DTLS), whose data the fast paths never carry. */
static inline bool
tp_addr_on_connection(const struct tp_addr *a)
{
	return a->transport != TP_TRANSPORT_UDP;
}

bool tp_addr_eq(const struct tp_addr *a, const struct tp_addr *b);
bool tp_addr_ip_eq(const struct tp_addr *a, const struct tp_addr *b);
bool tp_addr_is_unspecified(const struct tp_addr *a);

int tp_addr_from_sockaddr(struct tp_addr *a, const struct sockaddr *sa);
socklen_t tp_addr_to_sockaddr(const struct tp_addr *a, struct sockaddr_storage *ss);

/* Parse a numeric IPv4 or IPv6 address (no port). Returns 0 or -EINVAL. */
int tp_addr_parse_ip(struct tp_addr *a, const char *s);
/* Parse "a.b.c.d/n" or "x::y/n"; a bare address is a host prefix. Host bits must be zero. */
int tp_prefix_parse(struct tp_prefix *p, const char *s);
bool tp_prefix_match(const struct tp_prefix *p, const struct tp_addr *a);

/* "1.2.3.4:5" or "[::1]:5"; with port 0 the port is left out. Returns buf. */
const char *tp_addr_str(const struct tp_addr *a, char *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
