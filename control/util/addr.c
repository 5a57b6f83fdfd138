/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Transport address helpers: sockaddr and text conversions and CIDR prefix matching for the
 * padding-free struct tp_addr.
 */
#include "addr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
tp_transport_name(uint8_t transport)
{
	static const char *const names[TP_TRANSPORT_COUNT] = { "udp", "tcp", "tls", "dtls" };

	return transport < TP_TRANSPORT_COUNT ? names[transport] : "unknown";
}

bool
tp_addr_eq(const struct tp_addr *a, const struct tp_addr *b)
{
	return memcmp(a, b, sizeof(*a)) == 0;
}

bool
tp_addr_ip_eq(const struct tp_addr *a, const struct tp_addr *b)
{
	return a->family == b->family && memcmp(a->ip, b->ip, sizeof(a->ip)) == 0;
}

bool
tp_addr_is_unspecified(const struct tp_addr *a)
{
	static const uint8_t zero[16];

	return memcmp(a->ip, zero, sizeof(zero)) == 0;
}

int
tp_addr_from_sockaddr(struct tp_addr *a, const struct sockaddr *sa)
{
	memset(a, 0, sizeof(*a));
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;

		a->family = TP_FAM_V4;
		a->port = ntohs(sin->sin_port);
		memcpy(a->ip, &sin->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;

		a->family = TP_FAM_V6;
		a->port = ntohs(sin6->sin6_port);
		memcpy(a->ip, &sin6->sin6_addr, 16);
		return 0;
	}
	return -EAFNOSUPPORT;
}

socklen_t
tp_addr_to_sockaddr(const struct tp_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == TP_FAM_V4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->ip, 4);
		return sizeof(*sin);
	}
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons(a->port);
	memcpy(&sin6->sin6_addr, a->ip, 16);
	return sizeof(*sin6);
}

int
tp_addr_parse_ip(struct tp_addr *a, const char *s)
{
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->ip) == 1) {
		a->family = TP_FAM_V4;
		return 0;
	}
	if (inet_pton(AF_INET6, s, a->ip) == 1) {
		a->family = TP_FAM_V6;
		return 0;
	}
	return -EINVAL;
}

int
tp_prefix_parse(struct tp_prefix *p, const char *s)
{
	char ip[INET6_ADDRSTRLEN];
	const char *slash = strchr(s, '/');
	size_t iplen = slash ? (size_t)(slash - s) : strlen(s);

	memset(p, 0, sizeof(*p));
	if (iplen == 0 || iplen >= sizeof(ip))
		return -EINVAL;
	memcpy(ip, s, iplen);
	ip[iplen] = '\0';
	if (tp_addr_parse_ip(&p->addr, ip) < 0)
		return -EINVAL;

	unsigned max = p->addr.family == TP_FAM_V4 ? 32 : 128;
	unsigned len = max;

	if (slash) {
		char *end;
		unsigned long v;

		if (slash[1] < '0' || slash[1] > '9')
			return -EINVAL;
		errno = 0;
		v = strtoul(slash + 1, &end, 10);
		if (errno || *end != '\0' || v > max)
			return -EINVAL;
		len = (unsigned)v;
	}
	p->len = (uint8_t)len;

	/* Host bits set usually means a typo in an operator's list: refuse rather than guess. */
	for (unsigned bit = len; bit < max; bit++)
		if (p->addr.ip[bit / 8] & (0x80 >> (bit % 8)))
			return -EINVAL;
	return 0;
}

bool
tp_prefix_match(const struct tp_prefix *p, const struct tp_addr *a)
{
	if (p->addr.family != a->family)
		return false;

	unsigned full = p->len / 8, rest = p->len % 8;

	if (memcmp(p->addr.ip, a->ip, full) != 0)
		return false;
	if (rest == 0)
		return true;

	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	return (p->addr.ip[full] & mask) == (a->ip[full] & mask);
}

const char *
tp_addr_str(const struct tp_addr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (a->family != TP_FAM_V4 && a->family != TP_FAM_V6) {
		snprintf(buf, len, "(none)");
		return buf;
	}
	inet_ntop(a->family == TP_FAM_V4 ? AF_INET : AF_INET6, a->ip, ip, sizeof(ip));
	if (a->port == 0)
		snprintf(buf, len, "%s", ip);
	else if (a->family == TP_FAM_V4)
		snprintf(buf, len, "%s:%u", ip, a->port);
	else
		snprintf(buf, len, "[%s]:%u", ip, a->port);
	return buf;
}
