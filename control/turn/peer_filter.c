/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Peer address policy (see peer_filter.h).
 */
#include "peer_filter.h"

#include <stddef.h>
#include <string.h>

struct builtin {
	const char *text;
	bool private_; /* only with peers.deny-private */
};

static const struct builtin builtins[] = {
	{ "0.0.0.0/8", false },	     /* this network, unspecified */
	{ "127.0.0.0/8", false },    /* loopback */
	{ "169.254.0.0/16", false }, /* link-local */
	{ "224.0.0.0/4", false },    /* multicast */
	{ "240.0.0.0/4", false },    /* reserved, limited broadcast */
	{ "::/96", false },	     /* unspecified, loopback, IPv4-compatible */
	{ "100::/64", false },	     /* discard-only */
	{ "2001::/32", false },	     /* Teredo */
	{ "2002::/16", false },	     /* 6to4 */
	{ "fe80::/10", false },	     /* link-local */
	{ "fec0::/10", false },	     /* site-local, deprecated */
	{ "ff00::/8", false },	     /* multicast */
	{ "10.0.0.0/8", true },	     { "172.16.0.0/12", true },
	{ "192.168.0.0/16", true },  { "100.64.0.0/10", true }, /* shared address space (CGN) */
	{ "fc00::/7", true },					/* unique local */
	{ "64:ff9b:1::/48", true },				/* local-use NAT64 */
};

#define NBUILTIN (sizeof(builtins) / sizeof(builtins[0]))

static struct tp_prefix builtin_prefixes[NBUILTIN];
static bool builtin_ready;

static void
prepare_builtins(void)
{
	/* The table is text so it reads like the RFCs; parsing it once is cheap. */
	for (size_t i = 0; i < NBUILTIN; i++)
		tp_prefix_parse(&builtin_prefixes[i], builtins[i].text);
	builtin_ready = true;
}

bool
tp_peer_embedded_v4(const struct tp_addr *a, struct tp_addr *v4)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t nat64[12] = { 0, 0x64, 0xff, 0x9b };

	if (a->family != TP_FAM_V6)
		return false;
	if (memcmp(a->ip, mapped, 12) != 0 && memcmp(a->ip, nat64, 12) != 0)
		return false;
	memset(v4, 0, sizeof(*v4));
	v4->family = TP_FAM_V4;
	memcpy(v4->ip, a->ip + 12, 4);
	return true;
}

static bool
in_list(const struct tp_prefix *list, unsigned n, const struct tp_addr *a)
{
	for (unsigned i = 0; i < n; i++)
		if (tp_prefix_match(&list[i], a))
			return true;
	return false;
}

static bool
denied(const struct tp_config *cfg, const struct tp_addr *a)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if ((!builtins[i].private_ || cfg->deny_private) &&
		    tp_prefix_match(&builtin_prefixes[i], a))
			return true;
	return in_list(cfg->deny, cfg->ndeny, a);
}

bool
tp_peer_is_own(const struct tp_config *cfg, const struct tp_addr *a)
{
	/* A wildcard bind is no address of ours: the unspecified address stays denied. */
	return (a->family == TP_FAM_V4 || a->family == TP_FAM_V6) && !tp_addr_is_unspecified(a) &&
	       tp_cfg_relay_index(cfg, TP_FAM_IDX(a->family), a) >= 0;
}

bool
tp_peer_self_port_ok(const struct tp_config *cfg, uint16_t port)
{
	if (port >= cfg->port_min && port <= cfg->port_max)
		return true;
	return cfg->allow_relay_ports && port != cfg->listen_port;
}

bool
tp_peer_allow_listed(const struct tp_config *cfg, const struct tp_addr *peer)
{
	struct tp_addr ip = *peer, v4;

	ip.port = 0;
	return in_list(cfg->allow, cfg->nallow, &ip) ||
	       (tp_peer_embedded_v4(&ip, &v4) && in_list(cfg->allow, cfg->nallow, &v4));
}

enum tp_peer_verdict
tp_peer_check(const struct tp_config *cfg, const struct tp_addr *peer)
{
	struct tp_addr ip = *peer, v4;
	bool embedded;

	if (!builtin_ready)
		prepare_builtins();
	ip.port = 0;
	if (tp_peer_is_own(cfg, &ip))
		return TP_PEER_SELF;

	embedded = tp_peer_embedded_v4(&ip, &v4);
	/* Our own IPv4 address spelt as IPv6 cannot be hairpinned: families must match. */
	if (embedded && tp_peer_is_own(cfg, &v4))
		return TP_PEER_DENIED;
	if (tp_peer_allow_listed(cfg, &ip))
		return TP_PEER_ALLOWED;
	if (denied(cfg, &ip) || (embedded && denied(cfg, &v4)))
		return TP_PEER_DENIED;
	return TP_PEER_ALLOWED;
}
