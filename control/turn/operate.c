/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What an operator sees of and does to the engine (engine.h): the allocations, listed and
 * kicked, and what a reload changes in what the engine holds.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "answer_budget.h"
#include "peer_filter.h"

static bool
matches(const struct tp_alloc *a, const char *user, const struct tp_addr *client)
{
	if (user && strcmp(a->username, user) != 0)
		return false;
	if (client && (!tp_addr_ip_eq(&a->client, client) ||
		       (client->port && client->port != a->client.port)))
		return false;
	return true;
}

/* v for a, its peers and channels into the arrays given (sized for a). */
static void
view(struct tp_engine *eng, const struct tp_alloc *a, struct tp_alloc_view *v,
     struct tp_addr *peers, struct tp_addr *chans, uint16_t *numbers)
{
	struct tp_list *pos;

	memset(v, 0, sizeof(*v));
	v->username = a->username;
	v->client = a->client;
	v->age_ms = eng->now_ms - a->created_ms;
	v->peers = peers;
	v->channels = chans;
	v->channel_numbers = numbers;
	for (int f = 0; f < TP_NFAM; f++) {
		const struct tp_relay *r = &a->relay[f];

		if (!r->port)
			continue;
		v->relayed[f] = tp_relay_addr(eng, a, f, true);
		if (r->timer.expire_ms > eng->now_ms &&
		    r->timer.expire_ms - eng->now_ms > v->expires_ms)
			v->expires_ms = r->timer.expire_ms - eng->now_ms;
		tp_list_for_each(pos, &r->perms) peers[v->npeers++] =
			tp_container_of(pos, struct tp_perm, link)->ip;
		tp_list_for_each(pos, &r->chans)
		{
			const struct tp_chan *c = tp_container_of(pos, struct tp_chan, link);
			uint64_t packets[2], bytes[2];

			numbers[v->nchannels] = c->channel;
			chans[v->nchannels++] = c->peer;
			tp_chan_counts(c, packets, bytes);
			for (int d = 0; d < 2; d++) {
				v->packets[d] += packets[d];
				v->bytes[d] += bytes[d];
			}
		}
		tp_list_for_each(pos, &r->pflows)
		{
			const struct tp_pflow *p = tp_container_of(pos, struct tp_pflow, link);
			uint64_t packets[2], bytes[2];

			tp_pflow_counts(p, packets, bytes);
			for (int d = 0; d < 2; d++) {
				v->packets[d] += packets[d];
				v->bytes[d] += bytes[d];
			}
		}
	}
}

/* Room for one allocation's peers and channels, grown as allocations need it. */
struct view_room {
	struct tp_addr *peers, *chans;
	uint16_t *numbers;
	size_t npeers, nchans; /* room for */
};

/* Grow *p, of n elements of size, to hold need. 0, or -ENOMEM (*p unchanged). */
static int
grow(void **p, size_t *n, size_t need, size_t size)
{
	void *q;

	if (need <= *n)
		return 0;
	if (!(q = realloc(*p, need * size)))
		return -ENOMEM;
	*p = q;
	*n = need;
	return 0;
}

static int
room_for(struct view_room *r, const struct tp_alloc *a)
{
	size_t np = 0, nc = r->nchans;

	for (int f = 0; f < TP_NFAM; f++)
		np += a->relay[f].nperms;
	if (grow((void **)&r->peers, &r->npeers, np, sizeof(*r->peers)) < 0 ||
	    grow((void **)&r->chans, &r->nchans, a->nchans, sizeof(*r->chans)) < 0 ||
	    grow((void **)&r->numbers, &nc, a->nchans, sizeof(*r->numbers)) < 0)
		return -ENOMEM;
	return 0;
}

int
tp_engine_list_allocations(struct tp_engine *eng, const char *user, const struct tp_addr *client,
			   unsigned limit, tp_alloc_view_fn fn, void *arg)
{
	struct view_room room = { 0 };
	struct tp_alloc_view v;
	struct tp_list *pos;
	int n = 0;

	tp_list_for_each(pos, &eng->allocs_list)
	{
		const struct tp_alloc *a = tp_container_of(pos, struct tp_alloc, link);

		if (!matches(a, user, client))
			continue;
		if ((unsigned)n++ >= limit)
			continue;
		if (room_for(&room, a) < 0) {
			n = -ENOMEM;
			break;
		}
		view(eng, a, &v, room.peers, room.chans, room.numbers);
		fn(arg, &v);
	}
	free(room.peers);
	free(room.chans);
	free(room.numbers);
	return n;
}

unsigned
tp_engine_kick(struct tp_engine *eng, const char *user, const struct tp_addr *client)
{
	struct tp_list *pos, *tmp;
	unsigned n = 0;

	tp_list_for_each_safe(pos, tmp, &eng->allocs_list)
	{
		struct tp_alloc *a = tp_container_of(pos, struct tp_alloc, link);

		if (!matches(a, user, client))
			continue;
		tp_alloc_end(a, TP_FLOW_END_KICKED);
		eng->stats.allocations_kicked++;
		n++;
	}
	return n;
}

static const struct tp_cfg_user *
find_user(const struct tp_config *cfg, const char *name)
{
	for (unsigned i = 0; i < cfg->nusers; i++)
		if (strcmp(cfg->users[i].name, name) == 0)
			return &cfg->users[i];
	return NULL;
}

/* a was made under a static user of old that the running configuration no longer has as it
 * was. A timed (secret-based) user is never revoked: it stays good until its next request,
 * which must pass under the secrets listed now. */
static bool
revoked(const struct tp_engine *eng, const struct tp_config *old, const struct tp_alloc *a)
{
	const struct tp_cfg_user *was = find_user(old, a->username);
	const struct tp_cfg_user *now = find_user(eng->cfg, a->username);

	return was && (!now || memcmp(was, now, sizeof(*was)) != 0);
}

/* End the permissions of a whose peer the running peers.* lists refuse, with the channels to
 * that peer. A permission is by IP alone: for the relay's own addresses, whose verdict hangs
 * on the port (tp_peer_self_port_ok), nothing is known to judge, and they stay. */
static unsigned
deny_peers(struct tp_engine *eng, struct tp_alloc *a)
{
	struct tp_list *pos, *tmp;
	unsigned n = 0;

	eng->ending = TP_FLOW_END_PEER_DENIED;
	for (int f = 0; f < TP_NFAM; f++) {
		tp_list_for_each_safe(pos, tmp, &a->relay[f].perms)
		{
			struct tp_addr ip = tp_container_of(pos, struct tp_perm, link)->ip;

			if (tp_peer_check(eng->cfg, &ip) != TP_PEER_DENIED)
				continue;
			/* Frees this permission only: tmp, the next, stays. */
			tp_relay_clear(a, f, &ip);
			n++;
		}
	}
	eng->ending = TP_FLOW_END_EXPIRED;
	return n;
}

void
tp_engine_reconfigured(struct tp_engine *eng, const struct tp_config *old,
		       struct tp_engine_reload *out)
{
	const struct tp_config *cfg = eng->cfg;
	struct tp_list *pos, *tmp;

	memset(out, 0, sizeof(*out));
	tp_auth_configure(eng->auth, cfg);
	tp_answer_budget_set_rate(eng->answer_budget, cfg->unauth_burst, cfg->unauth_rate);
	tp_list_for_each_safe(pos, tmp, &eng->allocs_list)
	{
		struct tp_alloc *a = tp_container_of(pos, struct tp_alloc, link);

		if (revoked(eng, old, a)) {
			tp_alloc_end(a, TP_FLOW_END_REVOKED);
			out->allocations_revoked++;
			continue;
		}
		out->permissions_denied += deny_peers(eng, a);
	}
	eng->stats.allocations_revoked += out->allocations_revoked;
	eng->stats.permissions_denied += out->permissions_denied;
}
