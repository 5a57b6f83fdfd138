/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Which peers a client may reach through the relay (answered with 403 when not).
 *
 * Built in, always: loopback, unspecified, "this network", link-local, multicast, broadcast
 * and reserved IPv4; the IPv6 equivalents plus the deprecated IPv4-compatible and site-local
 * ranges, and Teredo and 6to4 (RFC 8656 section 21.4). With deny-private: RFC 1918, shared
 * address space, ULA and local-use NAT64. IPv4-mapped (::ffff:a.b.c.d) and NAT64
 * (64:ff9b::a.b.c.d) addresses are judged by the IPv4 address they carry, so a denied IPv4
 * address cannot be reached under another spelling. The configured allow list wins over
 * every deny rule. The relay's own addresses pass this check (TP_PEER_SELF) so that clients of
 * this relay can meet through it; which of their ports is decided by tp_peer_self_port_ok():
 * the allocation ports (delivered internally: hairpin), other ports only with
 * peers.allow-relay-ports, and never the listen port.
 */
#ifndef TP_PEER_FILTER_H
#define TP_PEER_FILTER_H

#include <stdbool.h>

#include "addr.h"
#include "config.h"

#ifdef __cplusplus
extern "C" {
#endif

enum tp_peer_verdict {
	TP_PEER_ALLOWED,
	TP_PEER_SELF, /* one of the relay's own addresses: hairpin */
	TP_PEER_DENIED,
};

/* Judge peer's IP (the port is not looked at) under cfg's lists and the relay's addresses. */
enum tp_peer_verdict tp_peer_check(const struct tp_config *cfg, const struct tp_addr *peer);

/* May a client reach port of one of the relay's own addresses: the allocation range (the
 * hairpin), or, with peers.allow-relay-ports, any other port but the listen port. */
bool tp_peer_self_port_ok(const struct tp_config *cfg, uint16_t port);

/* Is ip (port not looked at) one of the relay's own addresses, bind or public? */
bool tp_peer_is_own(const struct tp_config *cfg, const struct tp_addr *ip);

/* Does the configured allow list name peer's IP (in any of its spellings)? */
bool tp_peer_allow_listed(const struct tp_config *cfg, const struct tp_addr *peer);

/* The IPv4 address carried by an IPv4-mapped or NAT64 IPv6 address. */
bool tp_peer_embedded_v4(const struct tp_addr *a, struct tp_addr *v4);

#ifdef __cplusplus
}
#endif

#endif
