/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Allocations (RFC 8656 sections 6 to 8): Allocate and Refresh, relayed ports, EVEN-PORT
 * reservations, per-family lifetimes and the allocation quotas.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "crypto.h"
#include "log.h"

#define NPORTS	  65536
#define UDP_PROTO 17
/* Ports the dataplane refused (in use elsewhere) before Allocate gives up with 508. */
#define MAX_PORT_REFUSALS 32

int
tp_engine_ports_init(struct tp_engine *eng)
{
	for (int f = 0; f < TP_NFAM; f++) {
		size_t n = (size_t)eng->cfg->fam[f].naddrs * NPORTS;

		eng->port_state[f] = calloc(n ? n : 1, sizeof(*eng->port_state[f]));
		eng->port_alloc[f] = calloc(n ? n : 1, sizeof(*eng->port_alloc[f]));
		if (!eng->port_state[f] || !eng->port_alloc[f])
			return -ENOMEM;
	}
	return 0;
}

void
tp_engine_ports_fini(struct tp_engine *eng)
{
	for (int f = 0; f < TP_NFAM; f++) {
		free(eng->port_state[f]);
		free(eng->port_alloc[f]);
	}
}

struct tp_alloc *
tp_alloc_find(const struct tp_engine *eng, const struct tp_addr *client)
{
	struct tp_hnode *n = tp_htab_find(&eng->allocs, client);

	return n ? tp_container_of(n, struct tp_alloc, node) : NULL;
}

/* Ports ------------------------------------------------------------------------------------ */

/* Where relayed address (index, port) of a family is in port_state and port_alloc. */
size_t
tp_port_at(unsigned index, uint16_t port)
{
	return (size_t)index * NPORTS + port;
}

static int
open_port(struct tp_engine *eng, int f, struct tp_port at)
{
	struct tp_addr relay = eng->cfg->fam[f].bind[at.relay_index];

	relay.port = at.port;
	return eng->dp->relay_open(eng->dp_ctx, &relay);
}

static void
close_port(struct tp_engine *eng, int f, struct tp_port at)
{
	struct tp_addr relay = eng->cfg->fam[f].bind[at.relay_index];
	size_t i = tp_port_at(at.relay_index, at.port);

	relay.port = at.port;
	eng->dp->relay_close(eng->dp_ctx, &relay);
	if (eng->port_state[f][i] != TP_PORT_FREE)
		eng->ports_held[f][at.relay_index]--;
	eng->port_state[f][i] = TP_PORT_FREE;
	eng->port_alloc[f][i] = NULL;
}

static void
hold_port(struct tp_engine *eng, int f, struct tp_port at, enum tp_port_state state)
{
	size_t i = tp_port_at(at.relay_index, at.port);

	if (eng->port_state[f][i] == TP_PORT_FREE)
		eng->ports_held[f][at.relay_index]++;
	eng->port_state[f][i] = (uint8_t)state;
}

/*
 * Claim a free port at family f's relayed address index, starting at a random point of the
 * range (RFC 8656 section 7.2 recommends randomized ports). even: an even port; pair: port+1
 * free too, claimed as reserved. Returns 0 and the port, or -ENOSPC.
 */
static int
claim_port_at(struct tp_engine *eng, int f, uint8_t index, bool even, bool pair,
	      struct tp_port *out)
{
	uint32_t min = eng->cfg->port_min, range = eng->cfg->port_max - min + 1u;
	uint32_t start = tp_random_u32();
	const uint8_t *state = eng->port_state[f] + tp_port_at(index, 0);
	unsigned refused = 0;

	for (uint32_t i = 0; i < range && refused < MAX_PORT_REFUSALS; i++) {
		uint32_t p = min + (start + i) % range;
		struct tp_port at = { index, (uint16_t)p }, next = { index, (uint16_t)(p + 1) };

		if ((even && p % 2) || state[p] != TP_PORT_FREE)
			continue;
		if (pair && (p + 1 > eng->cfg->port_max || state[p + 1] != TP_PORT_FREE))
			continue;
		if (open_port(eng, f, at) < 0) {
			refused++;
			continue;
		}
		if (pair && open_port(eng, f, next) < 0) {
			close_port(eng, f, at);
			refused++;
			continue;
		}
		hold_port(eng, f, at, TP_PORT_ALLOC);
		if (pair)
			hold_port(eng, f, next, TP_PORT_RESERVED);
		*out = at;
		return 0;
	}
	return -ENOSPC;
}

/*
 * Claim a relayed address in family f: a port at the address that holds the fewest, so that
 * allocations spread evenly over all of them. Among addresses that hold as few, the next in
 * turn after the last such tie's: a client that makes its allocations in twos (coturn's,
 * say), using only the second, still finds the ones it uses at every address. Where that
 * address has no port to give, the next-fewest. Returns 0 and the address, or -ENOSPC.
 */
static int
claim_port(struct tp_engine *eng, int f, bool even, bool pair, struct tp_port *out)
{
	unsigned n = eng->cfg->fam[f].naddrs;
	bool tried[TP_CFG_MAX_RELAY_ADDRS] = { false };

	for (unsigned round = 0; round < n; round++) {
		unsigned best = n, ties = 0;

		for (unsigned k = 0; k < n; k++) {
			unsigned i = (eng->next_relay_addr[f] + k) % n;

			if (tried[i])
				continue;
			if (best == n || eng->ports_held[f][i] < eng->ports_held[f][best]) {
				best = i;
				ties = 0;
			} else if (eng->ports_held[f][i] == eng->ports_held[f][best]) {
				ties++;
			}
		}
		if (ties)
			eng->next_relay_addr[f] = (uint8_t)((best + 1) % n);
		tried[best] = true;
		if (claim_port_at(eng, f, (uint8_t)best, even, pair, out) == 0)
			return 0;
	}
	return -ENOSPC;
}

/* Reservations (EVEN-PORT with R) --------------------------------------------------------- */

void
tp_reservation_free(struct tp_reservation *r)
{
	struct tp_engine *eng = r->eng;

	tp_timer_cancel(&eng->wheel, &r->timer);
	tp_htab_remove(&eng->reservations, &r->node);
	free(r);
}

static void
reservation_expired(struct tp_timer *t)
{
	struct tp_reservation *r = tp_container_of(t, struct tp_reservation, timer);

	close_port(r->eng, TP_FAM_IDX(r->family), r->at);
	tp_reservation_free(r);
}

static int
reserve(struct tp_engine *eng, int f, struct tp_port at, uint8_t token[TP_TOKEN_LEN])
{
	struct tp_reservation *r = calloc(1, sizeof(*r));

	if (!r)
		return -ENOMEM;
	/* Tokens are unguessable: holding one is what entitles a client to the port. */
	do
		tp_random(r->token, sizeof(r->token));
	while (tp_htab_find(&eng->reservations, r->token));
	r->eng = eng;
	r->family = (uint8_t)(f + 1);
	r->at = at;
	tp_timer_init(&r->timer, reservation_expired);
	tp_timer_arm(&eng->wheel, &r->timer, eng->now_ms + TP_RESERVATION_MS);
	tp_htab_insert(&eng->reservations, &r->node);
	memcpy(token, r->token, TP_TOKEN_LEN);
	return 0;
}

void
tp_engine_reservations_fini(struct tp_engine *eng)
{
	for (size_t i = 0; i <= eng->reservations.mask; i++) {
		while (eng->reservations.buckets[i]) {
			struct tp_reservation *r = tp_container_of(eng->reservations.buckets[i],
								   struct tp_reservation, node);

			close_port(eng, TP_FAM_IDX(r->family), r->at);
			tp_reservation_free(r);
		}
	}
}

/* Users and quotas ------------------------------------------------------------------------- */

/*
 * The identity quotas count: a time-limited username counts by its name part, so renewed
 * credentials share one quota; "<expiry>" alone, or a static user, by the whole name.
 */
static void
user_id(const struct tp_auth_result *auth, char id[TP_USERNAME_MAX + 1])
{
	size_t len = auth->username_len - auth->user_off;

	memset(id, 0, TP_USERNAME_MAX + 1);
	if (len)
		memcpy(id, auth->username + auth->user_off, len);
	else
		memcpy(id, auth->username, auth->username_len);
}

static struct tp_user *
user_find(const struct tp_engine *eng, const char *id)
{
	struct tp_hnode *n = tp_htab_find(&eng->users, id);

	return n ? tp_container_of(n, struct tp_user, node) : NULL;
}

static struct tp_user *
user_get(struct tp_engine *eng, const struct tp_auth_result *auth)
{
	char id[TP_USERNAME_MAX + 1];
	struct tp_user *u;

	user_id(auth, id);
	if ((u = user_find(eng, id)))
		return u;
	if (!(u = calloc(1, sizeof(*u))))
		return NULL;
	memcpy(u->id, id, sizeof(u->id));
	tp_htab_insert(&eng->users, &u->node);
	return u;
}

static void
user_put(struct tp_engine *eng, struct tp_user *u)
{
	if (--u->allocations == 0) {
		tp_htab_remove(&eng->users, &u->node);
		free(u);
	}
}

static bool
user_over_quota(const struct tp_engine *eng, const struct tp_auth_result *auth)
{
	char id[TP_USERNAME_MAX + 1];
	const struct tp_user *u;

	if (!eng->cfg->max_allocations_per_user)
		return false;
	user_id(auth, id);
	u = user_find(eng, id);
	return u && u->allocations >= eng->cfg->max_allocations_per_user;
}

/* Relays and allocations ------------------------------------------------------------------- */

static void
relay_release(struct tp_alloc *a, int f)
{
	struct tp_engine *eng = a->eng;
	struct tp_relay *r = &a->relay[f];

	tp_relay_clear(a, f, NULL);
	tp_timer_cancel(&eng->wheel, &r->timer);
	close_port(eng, f, (struct tp_port){ r->relay_index, r->port });
	r->port = 0;
	eng->nrelays--;
}

static bool
alloc_empty(const struct tp_alloc *a)
{
	return !a->relay[0].port && !a->relay[1].port;
}

void
tp_alloc_free(struct tp_alloc *a)
{
	struct tp_engine *eng = a->eng;
	char client[TP_ADDR_STRLEN];

	for (int f = 0; f < TP_NFAM; f++)
		if (a->relay[f].port)
			relay_release(a, f);
	TP_DEBUG("allocation %u for %s freed", a->id,
		 tp_addr_str(&a->client, client, sizeof(client)));
	if (a->user)
		user_put(eng, a->user);
	tp_htab_remove(&eng->allocs, &a->node);
	tp_list_del(&a->link);
	eng->nallocs--;
	eng->nallocs_by_transport[a->client.transport]--;
	free(a->username);
	free(a);
}

void
tp_engine_drain(struct tp_engine *eng)
{
	eng->draining = true;
}

bool
tp_engine_draining(const struct tp_engine *eng)
{
	return eng->draining;
}

/* A draining relay's answer to an Allocate for a new allocation: 300 with the next alternate
 * in the client's family, or 508. */
static void
drain_answer(struct tp_engine *eng, const struct tp_stun_msg *m, const struct tp_auth_result *auth,
	     const struct tp_addr *client)
{
	const struct tp_config *cfg = eng->cfg;
	const struct tp_addr *alt = NULL;
	struct tp_reply r;

	for (unsigned i = 0; i < cfg->drain.nalternates && !alt; i++) {
		unsigned at = (eng->next_alternate + i) % cfg->drain.nalternates;

		if (cfg->drain.alternates[at].family == client->family) {
			alt = &cfg->drain.alternates[at];
			eng->next_alternate = (at + 1) % cfg->drain.nalternates;
		}
	}
	if (!alt) {
		tp_reply_error(eng, m, auth, client, TP_ERR_INSUFFICIENT_CAPACITY);
		return;
	}
	tp_reply_begin(eng, &r, m, auth, client, true);
	r.code = TP_ERR_TRY_ALTERNATE;
	tp_stun_add_error(&r.b, TP_ERR_TRY_ALTERNATE, true);
	tp_stun_add_addr(&r.b, TP_ATTR_ALTERNATE_SERVER, alt, false);
	if (client->transport == TP_TRANSPORT_TLS && cfg->drain.alternate_domain[0])
		tp_stun_add_str(&r.b, TP_ATTR_ALTERNATE_DOMAIN, cfg->drain.alternate_domain);
	eng->stats.allocations_redirected++;
	tp_reply_send(eng, &r);
}

void
tp_engine_connection_closed(struct tp_engine *eng, const struct tp_addr *client)
{
	struct tp_alloc *a = tp_alloc_find(eng, client);

	if (!a)
		return;
	eng->stats.allocations_closed++;
	tp_alloc_end(a, TP_FLOW_END_CONNECTION);
}

void
tp_alloc_end(struct tp_alloc *a, enum tp_flow_end why)
{
	struct tp_engine *eng = a->eng;

	eng->ending = why;
	tp_alloc_free(a);
	eng->ending = TP_FLOW_END_EXPIRED;
}

static void
relay_expired(struct tp_timer *t)
{
	struct tp_relay *r = tp_container_of(t, struct tp_relay, timer);
	struct tp_alloc *a = r->alloc;

	a->eng->ending = TP_FLOW_END_ALLOCATION;
	relay_release(a, (int)(r - a->relay));
	a->eng->ending = TP_FLOW_END_EXPIRED;
	if (alloc_empty(a)) {
		a->eng->stats.allocations_expired++;
		tp_alloc_free(a);
	}
}

static void
relay_set_lifetime(struct tp_alloc *a, int f, unsigned seconds)
{
	tp_timer_arm(&a->eng->wheel, &a->relay[f].timer, a->eng->now_ms + seconds * 1000ull);
}

static void
relay_take(struct tp_alloc *a, int f, struct tp_port at)
{
	struct tp_engine *eng = a->eng;

	a->relay[f].relay_index = at.relay_index;
	a->relay[f].port = at.port;
	hold_port(eng, f, at, TP_PORT_ALLOC);
	eng->port_alloc[f][tp_port_at(at.relay_index, at.port)] = a;
	eng->nrelays++;
}

/*
 * RFC 8656 sections 7.2 and 8.2: the requested lifetime, capped at the maximum, but never
 * below the default; a Refresh may ask for 0, which deletes.
 */
static unsigned
lifetime(const struct tp_engine *eng, const struct tp_stun_msg *m, bool refresh, int *err)
{
	const struct tp_stun_attr *lt = tp_stun_find(m, TP_ATTR_LIFETIME);
	unsigned def = eng->cfg->alloc_lifetime_default, max = eng->cfg->alloc_lifetime_max;
	uint32_t v;

	*err = 0;
	if (!lt)
		return def;
	if (tp_stun_get_u32(m, lt, &v) < 0) {
		*err = TP_ERR_BAD_REQUEST;
		return 0;
	}
	if (v == 0 && refresh)
		return 0;
	if (v > max)
		v = max;
	return v > def ? v : def;
}

static unsigned
remaining(const struct tp_alloc *a)
{
	uint64_t best = 0;

	for (int f = 0; f < TP_NFAM; f++)
		if (a->relay[f].port && a->relay[f].timer.expire_ms > best)
			best = a->relay[f].timer.expire_ms;
	return best > a->eng->now_ms ? (unsigned)((best - a->eng->now_ms + 999) / 1000) : 0;
}

static void
add_address_error(struct tp_stun_builder *b, uint8_t family, int code)
{
	const char *reason = tp_stun_error_reason(code);
	uint8_t v[4 + 64];
	size_t rlen = strlen(reason);

	v[0] = family;
	v[1] = 0;
	v[2] = (uint8_t)(code / 100);
	v[3] = (uint8_t)(code % 100);
	memcpy(v + 4, reason, rlen);
	tp_stun_add(b, TP_ATTR_ADDRESS_ERROR_CODE, v, 4 + rlen);
}

static void
allocate_success(struct tp_engine *eng, struct tp_alloc *a, const struct tp_stun_msg *m,
		 const struct tp_auth_result *auth)
{
	struct tp_reply r;

	tp_reply_begin(eng, &r, m, auth, &a->client, false);
	for (int f = 0; f < TP_NFAM; f++) {
		if (a->relay[f].port) {
			struct tp_addr relayed = tp_relay_addr(eng, a, f, true);

			tp_stun_add_addr(&r.b, TP_ATTR_XOR_RELAYED_ADDRESS, &relayed, true);
		}
	}
	tp_stun_add_u32(&r.b, TP_ATTR_LIFETIME, remaining(a));
	if (a->has_token)
		tp_stun_add(&r.b, TP_ATTR_RESERVATION_TOKEN, a->token, TP_TOKEN_LEN);
	tp_stun_add_addr(&r.b, TP_ATTR_XOR_MAPPED_ADDRESS, &a->client, true);
	if (a->address_error)
		add_address_error(&r.b, a->address_error_family, a->address_error);
	tp_reply_send(eng, &r);
}

static struct tp_alloc *
alloc_new(struct tp_engine *eng, const struct tp_stun_msg *m, const struct tp_auth_result *auth,
	  const struct tp_addr *client)
{
	struct tp_alloc *a = calloc(1, sizeof(*a));

	if (!a || !(a->username = malloc(auth->username_len + 1u)) ||
	    !(a->user = user_get(eng, auth))) {
		if (a)
			free(a->username);
		free(a);
		return NULL;
	}
	a->user->allocations++;
	a->eng = eng;
	a->client = *client;
	a->id = ++eng->next_alloc_id;
	a->created_ms = eng->now_ms;
	memcpy(a->tid, m->tid, TP_STUN_TID_LEN);
	a->username_len = auth->username_len;
	memcpy(a->username, auth->username, auth->username_len + 1u);
	for (int f = 0; f < TP_NFAM; f++) {
		a->relay[f].alloc = a;
		tp_timer_init(&a->relay[f].timer, relay_expired);
		tp_list_init(&a->relay[f].perms);
		tp_list_init(&a->relay[f].chans);
		tp_list_init(&a->relay[f].pflows);
	}
	tp_htab_insert(&eng->allocs, &a->node);
	tp_list_add_tail(&eng->allocs_list, &a->link);
	eng->nallocs++;
	eng->nallocs_by_transport[a->client.transport]++;
	return a;
}

/* What an Allocate asks for, once its attributes have been checked. */
struct alloc_req {
	int family;		    /* index of the primary family */
	bool dual;		    /* ADDITIONAL-ADDRESS-FAMILY IPv6 */
	bool even, pair;	    /* EVEN-PORT, and its R bit */
	struct tp_reservation *res; /* RESERVATION-TOKEN */
	unsigned lifetime;
};

/* RFC 8656 section 7.2, the checks in the RFC's order. Returns 0 or the error code. */
static int
allocate_check(struct tp_engine *eng, const struct tp_stun_msg *m, struct alloc_req *q)
{
	const struct tp_config *cfg = eng->cfg;
	const struct tp_stun_attr *rt = tp_stun_find(m, TP_ATTR_REQUESTED_TRANSPORT);
	const struct tp_stun_attr *tok = tp_stun_find(m, TP_ATTR_RESERVATION_TOKEN);
	const struct tp_stun_attr *even = tp_stun_find(m, TP_ATTR_EVEN_PORT);
	const struct tp_stun_attr *raf = tp_stun_find(m, TP_ATTR_REQUESTED_ADDRESS_FAMILY);
	const struct tp_stun_attr *aaf = tp_stun_find(m, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY);
	uint32_t v;

	/* coturn's client still sends the draft's code point (turnutils_uclient -Z). */
	if (!aaf)
		aaf = tp_stun_find(m, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY_OLD);
	int err;

	memset(q, 0, sizeof(*q));
	if (!rt || tp_stun_get_u32(m, rt, &v) < 0)
		return TP_ERR_BAD_REQUEST;
	if (v >> 24 != UDP_PROTO)
		return TP_ERR_UNSUPPORTED_TRANSPORT;
	/* DONT-FRAGMENT: accepted; socket mode sets DF, the fast paths copy it. */
	if (tok && (even || raf || aaf || tok->len != TP_TOKEN_LEN))
		return TP_ERR_BAD_REQUEST;
	if (raf && aaf)
		return TP_ERR_BAD_REQUEST;
	if (raf) {
		if (tp_stun_get_u32(m, raf, &v) < 0)
			return TP_ERR_BAD_REQUEST;
		v >>= 24;
		if ((v != TP_FAM_V4 && v != TP_FAM_V6) || !cfg->fam[TP_FAM_IDX(v)].enabled)
			return TP_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
		q->family = TP_FAM_IDX((int)v);
	} else if (!tok && !cfg->fam[0].enabled) {
		return TP_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
	}
	if (even) {
		if (even->len != 1)
			return TP_ERR_BAD_REQUEST;
		q->even = true;
		q->pair = tp_stun_value(m, even)[0] & 0x80;
		if (q->pair && aaf)
			return TP_ERR_BAD_REQUEST;
	}
	if (aaf) {
		if (tp_stun_get_u32(m, aaf, &v) < 0 || v >> 24 != TP_FAM_V6)
			return TP_ERR_BAD_REQUEST;
		q->dual = true;
	}
	q->lifetime = lifetime(eng, m, false, &err);
	if (err)
		return err;
	if (eng->nallocs >= cfg->max_allocations)
		return TP_ERR_INSUFFICIENT_CAPACITY;
	if (tok) {
		struct tp_hnode *n = tp_htab_find(&eng->reservations, tp_stun_value(m, tok));

		if (!n)
			return TP_ERR_INSUFFICIENT_CAPACITY;
		q->res = tp_container_of(n, struct tp_reservation, node);
		q->family = TP_FAM_IDX(q->res->family);
	}
	return 0;
}

/* Give a its relayed addresses. Returns 0 or the error code; a is then still empty. */
static int
allocate_ports(struct tp_engine *eng, struct tp_alloc *a, const struct alloc_req *q)
{
	struct tp_port at;

	if (q->res) {
		relay_take(a, q->family, q->res->at);
		tp_reservation_free(q->res);
		return 0;
	}
	if (claim_port(eng, q->family, q->even, q->pair, &at) == 0) {
		struct tp_port next = { at.relay_index, (uint16_t)(at.port + 1) };

		relay_take(a, q->family, at);
		if (q->pair && reserve(eng, q->family, next, a->token) == 0)
			a->has_token = true;
		else if (q->pair)
			close_port(eng, q->family, next);
	}
	if (q->dual) {
		int v6 = TP_FAM_IDX(TP_FAM_V6);

		if (!eng->cfg->fam[v6].enabled)
			a->address_error = TP_ERR_ADDRESS_FAMILY_NOT_SUPPORTED;
		else if (claim_port(eng, v6, false, false, &at) == 0)
			relay_take(a, v6, at);
		else
			a->address_error = TP_ERR_INSUFFICIENT_CAPACITY;
		if (!a->relay[q->family].port) {
			/* The IPv4 half failed: say so, unless nothing was granted at all. */
			a->address_error = TP_ERR_INSUFFICIENT_CAPACITY;
			a->address_error_family = TP_FAM_V4;
		} else {
			a->address_error_family = TP_FAM_V6;
		}
	}
	return alloc_empty(a) ? TP_ERR_INSUFFICIENT_CAPACITY : 0;
}

void
tp_handle_allocate(struct tp_engine *eng, const struct tp_stun_msg *m,
		   const struct tp_auth_result *auth, const struct tp_addr *client)
{
	struct tp_alloc *a = tp_alloc_find(eng, client);
	struct alloc_req q;
	int err;

	if (a) {
		/* The same transaction again is a retransmission: answer as before. */
		if (memcmp(a->tid, m->tid, TP_STUN_TID_LEN) == 0)
			allocate_success(eng, a, m, auth);
		else
			tp_reply_error(eng, m, auth, client, TP_ERR_ALLOCATION_MISMATCH);
		return;
	}
	/* Authenticated first: a redirection is not something to forge (RFC 8489 section
	 * 10). */
	if (eng->draining) {
		drain_answer(eng, m, auth, client);
		return;
	}
	if ((err = allocate_check(eng, m, &q)) != 0) {
		tp_reply_error(eng, m, auth, client, err);
		return;
	}
	if (user_over_quota(eng, auth)) {
		tp_reply_error(eng, m, auth, client, TP_ERR_ALLOCATION_QUOTA_REACHED);
		return;
	}
	if (!(a = alloc_new(eng, m, auth, client))) {
		tp_reply_error(eng, m, auth, client, TP_ERR_SERVER_ERROR);
		return;
	}
	if ((err = allocate_ports(eng, a, &q)) != 0) {
		tp_alloc_free(a);
		tp_reply_error(eng, m, auth, client, err);
		return;
	}
	for (int f = 0; f < TP_NFAM; f++)
		if (a->relay[f].port)
			relay_set_lifetime(a, f, q.lifetime);
	eng->stats.allocations_created++;
	eng->stats.allocations_ipv4 += a->relay[0].port != 0;
	eng->stats.allocations_ipv6 += a->relay[1].port != 0;
	if (tp_log_level >= TP_LOG_DEBUG) {
		char c[TP_ADDR_STRLEN];

		TP_DEBUG("allocation %u for %s user \"%s\": ports %u/%u, %u s", a->id,
			 tp_addr_str(client, c, sizeof(c)),
			 tp_log_text(a->username, a->username_len, (char[160]){ 0 }, 160),
			 a->relay[0].port, a->relay[1].port, q.lifetime);
	}
	/* The relayed addresses are open in the dataplane before the client learns them. */
	allocate_success(eng, a, m, auth);
}

void
tp_handle_refresh(struct tp_engine *eng, struct tp_alloc *a, const struct tp_stun_msg *m,
		  const struct tp_auth_result *auth)
{
	const struct tp_stun_attr *raf = tp_stun_find(m, TP_ATTR_REQUESTED_ADDRESS_FAMILY);
	struct tp_addr client = a->client;
	int only = -1, err;
	unsigned desired;
	struct tp_reply r;
	uint32_t v;

	if (raf) {
		if (tp_stun_get_u32(m, raf, &v) < 0) {
			tp_reply_error(eng, m, auth, &client, TP_ERR_BAD_REQUEST);
			return;
		}
		v >>= 24;
		if (v != TP_FAM_V4 && v != TP_FAM_V6) {
			tp_reply_error(eng, m, auth, &client, TP_ERR_ADDRESS_FAMILY_NOT_SUPPORTED);
			return;
		}
		only = TP_FAM_IDX((int)v);
		if (!a->relay[only].port) {
			tp_reply_error(eng, m, auth, &client, TP_ERR_PEER_ADDRESS_FAMILY_MISMATCH);
			return;
		}
	}
	desired = lifetime(eng, m, true, &err);
	if (err) {
		tp_reply_error(eng, m, auth, &client, err);
		return;
	}
	for (int f = 0; f < TP_NFAM; f++) {
		if (!a->relay[f].port || (only >= 0 && f != only))
			continue;
		if (desired) {
			relay_set_lifetime(a, f, desired);
		} else {
			eng->ending = TP_FLOW_END_REFRESHED;
			relay_release(a, f);
			eng->ending = TP_FLOW_END_EXPIRED;
		}
	}
	tp_reply_begin(eng, &r, m, auth, &client, false);
	tp_stun_add_u32(&r.b, TP_ATTR_LIFETIME, desired);
	tp_reply_send(eng, &r);
	if (alloc_empty(a)) {
		eng->stats.allocations_deleted++;
		tp_alloc_free(a);
	}
}
