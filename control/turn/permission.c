/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Permissions (RFC 8656 section 9): CreatePermission, their lifetimes, and the checks every
 * peer address in a request passes. A permission is by peer IP, for any port; the channels
 * to that IP (channel.c) are in the dataplane exactly while it lives.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "peer_filter.h"

static struct tp_perm_key
perm_key(uint8_t family, struct tp_port at, const struct tp_addr *peer)
{
	struct tp_perm_key k = { .family = family, .relay_index = at.relay_index, .port = at.port };

	memcpy(k.ip, peer->ip, sizeof(k.ip));
	return k;
}

struct tp_perm *
tp_perm_find(const struct tp_engine *eng, uint8_t family, struct tp_port at,
	     const struct tp_addr *peer)
{
	struct tp_perm_key k = perm_key(family, at, peer);
	struct tp_hnode *n = tp_htab_find(&eng->perms, &k);

	return n ? tp_container_of(n, struct tp_perm, node) : NULL;
}

void
tp_perm_free(struct tp_perm *p)
{
	struct tp_alloc *a = p->alloc;
	struct tp_engine *eng = a->eng;
	int f = TP_FAM_IDX(p->key.family);

	tp_timer_cancel(&eng->wheel, &p->timer);
	tp_htab_remove(&eng->perms, &p->node);
	tp_list_del(&p->link);
	a->relay[f].nperms--;
	eng->npermissions--;
	/* Channels to this IP leave the dataplane with the permission; conversations without
	 * a channel end with it. */
	tp_chans_sync_ip(a, f, &p->ip);
	tp_pflows_end(a, f, &p->ip);
	free(p);
}

static void
perm_expired(struct tp_timer *t)
{
	tp_perm_free(tp_container_of(t, struct tp_perm, timer));
}

/* Install or refresh the permission for peer's IP on relay f of a. Returns 0 or -errno. */
int
tp_perm_install(struct tp_alloc *a, int f, const struct tp_addr *peer)
{
	struct tp_engine *eng = a->eng;
	uint8_t family = (uint8_t)(f + 1);
	struct tp_perm *p = tp_perm_find(eng, family, tp_relay_port(a, f), peer);

	if (!p) {
		if (!(p = calloc(1, sizeof(*p))))
			return -ENOMEM;
		p->key = perm_key(family, tp_relay_port(a, f), peer);
		p->alloc = a;
		p->ip = *peer;
		p->ip.port = 0;
		tp_timer_init(&p->timer, perm_expired);
		tp_htab_insert(&eng->perms, &p->node);
		tp_list_add_tail(&a->relay[f].perms, &p->link);
		a->relay[f].nperms++;
		eng->npermissions++;
		tp_timer_arm(&eng->wheel, &p->timer,
			     eng->now_ms + eng->cfg->perm_lifetime * 1000ull);
		tp_chans_sync_ip(a, f, &p->ip);
		return 0;
	}
	tp_timer_arm(&eng->wheel, &p->timer, eng->now_ms + eng->cfg->perm_lifetime * 1000ull);
	return 0;
}

/* The checks every peer address in a request passes: family (443), then policy (403). */
int
tp_request_peer_check(const struct tp_engine *eng, const struct tp_alloc *a,
		      const struct tp_addr *peer)
{
	if (!a->relay[TP_FAM_IDX(peer->family)].port)
		return TP_ERR_PEER_ADDRESS_FAMILY_MISMATCH;
	switch (tp_peer_check(eng->cfg, peer)) {
	case TP_PEER_DENIED:
		return TP_ERR_FORBIDDEN;
	case TP_PEER_SELF:
		/* The relay is never its own peer outside the allocation range. */
		return tp_peer_self_port_ok(eng->cfg, peer->port) ? 0 : TP_ERR_FORBIDDEN;
	default:
		return 0;
	}
}

void
tp_handle_create_permission(struct tp_engine *eng, struct tp_alloc *a, const struct tp_stun_msg *m,
			    const struct tp_auth_result *auth)
{
	struct tp_addr peers[TP_STUN_MAX_ATTRS];
	unsigned npeers = 0, fresh[TP_NFAM] = { 0 };
	const struct tp_stun_attr *pa = NULL;
	int err = 0;

	/* All or nothing: every address is checked before any permission is installed. */
	while ((pa = tp_stun_find_next(m, pa, TP_ATTR_XOR_PEER_ADDRESS)))
		if (tp_stun_get_addr(m, pa, true, &peers[npeers++]) < 0)
			err = TP_ERR_BAD_REQUEST;
	if (!npeers)
		err = TP_ERR_BAD_REQUEST;
	for (unsigned i = 0; i < npeers && !err; i++)
		err = tp_request_peer_check(eng, a, &peers[i]);
	for (unsigned i = 0; i < npeers && !err; i++) {
		int f = TP_FAM_IDX(peers[i].family);
		bool dup = false;

		for (unsigned j = 0; j < i; j++)
			dup |= tp_addr_ip_eq(&peers[j], &peers[i]);
		if (!dup && !tp_perm_find(eng, peers[i].family, tp_relay_port(a, f), &peers[i]))
			fresh[f]++;
		if (a->relay[f].nperms + fresh[f] > eng->cfg->max_permissions)
			err = TP_ERR_INSUFFICIENT_CAPACITY;
	}
	for (unsigned i = 0; i < npeers && !err; i++)
		if (tp_perm_install(a, TP_FAM_IDX(peers[i].family), &peers[i]) < 0)
			err = TP_ERR_INSUFFICIENT_CAPACITY;
	if (err)
		tp_reply_error(eng, m, auth, &a->client, err);
	else
		tp_reply_ok(eng, m, auth, &a->client);
}
