/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Channel bindings (RFC 8656 section 12): ChannelBind, their lifetimes, and keeping the
 * dataplane's tables in step. The dataplane holds a channel exactly while the channel is
 * bound and its peer's IP holds a permission (permission.c), the relay's own ports aside;
 * chan_sync() is the one place that decides.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "peer_filter.h"

struct tp_chan *
tp_chan_find_num(const struct tp_engine *eng, const struct tp_alloc *a, uint16_t channel)
{
	struct tp_chan_num_key k = { .alloc_id = a->id, .channel = channel };
	struct tp_hnode *n = tp_htab_find(&eng->chans_by_num, &k);

	return n ? tp_container_of(n, struct tp_chan, by_num) : NULL;
}

struct tp_chan *
tp_chan_find_peer(const struct tp_engine *eng, uint8_t family, struct tp_port at,
		  const struct tp_addr *peer)
{
	struct tp_chan_peer_key k = {
		.family = family, .relay_index = at.relay_index, .port = at.port, .peer = *peer
	};
	struct tp_hnode *n = tp_htab_find(&eng->chans_by_peer, &k);

	return n ? tp_container_of(n, struct tp_chan, by_peer) : NULL;
}

/* Channels in the dataplane ---------------------------------------------------------------- */

static struct tp_binding
channel_binding(const struct tp_chan *c)
{
	struct tp_alloc *a = c->alloc;

	return (struct tp_binding){
		.client = a->client,
		.relay = tp_relay_addr(a->eng, a, TP_FAM_IDX(c->peer.family), false),
		.relay_index = a->relay[TP_FAM_IDX(c->peer.family)].relay_index,
		.peer = c->peer,
		.channel = c->channel,
		.id = c->id,
	};
}

/* What the dataplane relayed for c since it took it (zeros when it keeps no counts). */
static void
chan_fast_counts(const struct tp_chan *c, const struct tp_binding *fc, struct tp_binding_stat *out)
{
	struct tp_engine *eng = c->alloc->eng;

	memset(out, 0, sizeof(*out));
	if (eng->dp->chan_counts)
		eng->dp->chan_counts(eng->dp_ctx, fc, out);
}

/* What the dataplane has relayed for c and not yet folded into its flow (zeros when c is not
 * in the dataplane). */
static void
chan_live_counts(const struct tp_chan *c, struct tp_binding_stat *live)
{
	memset(live, 0, sizeof(*live));
	if (c->in_dataplane) {
		struct tp_binding fc = channel_binding(c);

		chan_fast_counts(c, &fc, live);
	}
}

/* c out of the dataplane, its counts there folded into its flow first. */
static void
chan_leave_dataplane(struct tp_chan *c, const struct tp_binding *fc)
{
	struct tp_engine *eng = c->alloc->eng;
	struct tp_binding_stat n;

	chan_fast_counts(c, fc, &n);
	tp_flow_fold(&c->flow, &n);
	if (eng->dp->chan_del)
		eng->dp->chan_del(eng->dp_ctx, fc);
	c->in_dataplane = false;
}

/* c active while its peer holds a permission, and in the dataplane while active, unless its
 * peer is one of the relay's own other ports (peers.allow-relay-ports): the control thread
 * relays those, through the kernel, since a fast path would send them to itself. Returns 0, or
 * -errno when the dataplane refused it (c inactive then). */
static int
chan_sync(struct tp_chan *c)
{
	struct tp_engine *eng = c->alloc->eng;
	const struct tp_config *cfg = eng->cfg;
	struct tp_port at = { c->peer_key.relay_index, c->peer_key.port };
	bool active = tp_perm_find(eng, c->peer.family, at, &c->peer) != NULL;
	bool own_port = tp_peer_is_own(cfg, &c->peer) &&
			(c->peer.port < cfg->port_min || c->peer.port > cfg->port_max);
	/* A connection's client is the control thread's to serve: no fast path carries it. */
	bool held = active && !own_port && !tp_addr_on_connection(&c->alloc->client);

	if (held != c->in_dataplane) {
		struct tp_binding fc = channel_binding(c);

		if (!held) {
			chan_leave_dataplane(c, &fc);
		} else if (eng->dp->chan_add) {
			int err = eng->dp->chan_add(eng->dp_ctx, &fc);

			if (err < 0) {
				eng->stats.drop_fastpath++;
				c->active = false;
				return err;
			}
		}
		c->in_dataplane = held;
	}
	c->active = active;
	return 0;
}

/* Resync every channel of relay f of a whose peer has IP ip. */
void
tp_chans_sync_ip(struct tp_alloc *a, int f, const struct tp_addr *ip)
{
	struct tp_list *pos, *tmp;

	tp_list_for_each_safe(pos, tmp, &a->relay[f].chans)
	{
		struct tp_chan *c = tp_container_of(pos, struct tp_chan, link);

		if (tp_addr_ip_eq(&c->peer, ip))
			chan_sync(c);
	}
}

/* Channels --------------------------------------------------------------------------------- */

static void
chan_free(struct tp_chan *c)
{
	struct tp_alloc *a = c->alloc;
	struct tp_engine *eng = a->eng;

	if (c->in_dataplane) {
		struct tp_binding fc = channel_binding(c);

		chan_leave_dataplane(c, &fc);
	}
	/* A flow begins with the binding's success: a refused ChannelBind made none. */
	if (c->flow.id)
		tp_flow_report(eng, &c->flow, a, &c->peer, c->channel, NULL, TP_FLOW_EVENT_END);
	tp_timer_cancel(&eng->wheel, &c->timer);
	tp_htab_remove(&eng->chans_by_num, &c->by_num);
	tp_htab_remove(&eng->chans_by_peer, &c->by_peer);
	tp_list_del(&c->link);
	a->relay[TP_FAM_IDX(c->peer.family)].nchans--;
	a->nchans--;
	eng->nchannels--;
	free(c);
}

static void
chan_expired(struct tp_timer *t)
{
	chan_free(tp_container_of(t, struct tp_chan, timer));
}

static void
chan_interim(struct tp_timer *t)
{
	struct tp_chan *c = tp_container_of(t, struct tp_chan, flow.interim);
	struct tp_binding_stat live;

	chan_live_counts(c, &live);
	tp_flow_report(c->alloc->eng, &c->flow, c->alloc, &c->peer, c->channel, &live,
		       TP_FLOW_EVENT_INTERIM);
}

void
tp_chan_counts(const struct tp_chan *c, uint64_t packets[2], uint64_t bytes[2])
{
	struct tp_binding_stat live;

	chan_live_counts(c, &live);
	tp_flow_totals(&c->flow, &live, packets, bytes);
}

static struct tp_chan *
chan_new(struct tp_alloc *a, int f, uint16_t channel, const struct tp_addr *peer)
{
	struct tp_engine *eng = a->eng;
	struct tp_chan *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->alloc = a;
	c->channel = channel;
	c->peer = *peer;
	c->id = ++eng->next_chan_id;
	c->num_key = (struct tp_chan_num_key){ .alloc_id = a->id, .channel = channel };
	c->peer_key = (struct tp_chan_peer_key){ .family = peer->family,
						 .relay_index = a->relay[f].relay_index,
						 .port = a->relay[f].port,
						 .peer = *peer };
	tp_timer_init(&c->timer, chan_expired);
	tp_htab_insert(&eng->chans_by_num, &c->by_num);
	tp_htab_insert(&eng->chans_by_peer, &c->by_peer);
	tp_list_add_tail(&a->relay[f].chans, &c->link);
	a->relay[f].nchans++;
	a->nchans++;
	eng->nchannels++;
	return c;
}

void
tp_relay_clear(struct tp_alloc *a, int f, const struct tp_addr *ip)
{
	struct tp_list *pos, *tmp;

	tp_list_for_each_safe(pos, tmp, &a->relay[f].chans)
	{
		struct tp_chan *c = tp_container_of(pos, struct tp_chan, link);

		if (!ip || tp_addr_ip_eq(&c->peer, ip))
			chan_free(c);
	}
	tp_list_for_each_safe(pos, tmp, &a->relay[f].perms)
	{
		struct tp_perm *p = tp_container_of(pos, struct tp_perm, link);

		if (!ip || tp_addr_ip_eq(&p->ip, ip))
			tp_perm_free(p);
	}
}

/* Requests --------------------------------------------------------------------------------- */

static int
channel_bind(struct tp_engine *eng, struct tp_alloc *a, const struct tp_stun_msg *m)
{
	const struct tp_stun_attr *cn = tp_stun_find(m, TP_ATTR_CHANNEL_NUMBER);
	const struct tp_stun_attr *pa = tp_stun_find(m, TP_ATTR_XOR_PEER_ADDRESS);
	struct tp_chan *c, *other;
	struct tp_addr peer;
	uint32_t v;
	int f, err;

	if (!cn || !pa || tp_stun_get_u32(m, cn, &v) < 0 ||
	    tp_stun_get_addr(m, pa, true, &peer) < 0)
		return TP_ERR_BAD_REQUEST;

	uint16_t channel = (uint16_t)(v >> 16);

	if (channel < TP_CHANNEL_MIN || channel > TP_CHANNEL_MAX)
		return TP_ERR_BAD_REQUEST;
	if ((err = tp_request_peer_check(eng, a, &peer)) != 0)
		return err;
	f = TP_FAM_IDX(peer.family);
	/* RFC 8656 section 12.2: a number and a peer belong to at most one binding. */
	c = tp_chan_find_num(eng, a, channel);
	if (c && !tp_addr_eq(&c->peer, &peer))
		return TP_ERR_BAD_REQUEST;
	other = tp_chan_find_peer(eng, peer.family, tp_relay_port(a, f), &peer);
	if (other && other != c)
		return TP_ERR_BAD_REQUEST;
	if (!c && a->nchans >= eng->cfg->max_channels)
		return TP_ERR_INSUFFICIENT_CAPACITY;
	if (!tp_perm_find(eng, peer.family, tp_relay_port(a, f), &peer) &&
	    a->relay[f].nperms >= eng->cfg->max_permissions)
		return TP_ERR_INSUFFICIENT_CAPACITY;

	bool fresh = !c;

	if (fresh && !(c = chan_new(a, f, channel, &peer)))
		return TP_ERR_SERVER_ERROR;
	/* Installing the permission puts the channel into the dataplane. */
	if (tp_perm_install(a, f, &peer) < 0 || chan_sync(c) < 0) {
		if (fresh)
			chan_free(c);
		return TP_ERR_INSUFFICIENT_CAPACITY;
	}
	if (fresh)
		tp_flow_begin(eng, &c->flow, chan_interim);
	tp_timer_arm(&eng->wheel, &c->timer, eng->now_ms + eng->cfg->chan_lifetime * 1000ull);
	return 0;
}

void
tp_handle_channel_bind(struct tp_engine *eng, struct tp_alloc *a, const struct tp_stun_msg *m,
		       const struct tp_auth_result *auth)
{
	int err = channel_bind(eng, a, m);

	if (err)
		tp_reply_error(eng, m, auth, &a->client, err);
	else
		tp_reply_ok(eng, m, auth, &a->client);
}
