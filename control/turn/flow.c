/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's side of flow records (flow.h): a flow's start, its counts, its interim and end
 * records, and the permission-only flows, kept in a table of their own by allocation and peer.
 * Channel flows live in their channel (channel.c), which starts and ends them.
 *
 * A permission-only flow is also what the dataplane's permission table holds (perm_add): from
 * its first datagram that went through the engine until its permission ends, the fast path
 * sends its peer's data to the client as Data indications, its counts folded in at the end.
 * The flows are kept for that even where no flow records are written.
 */
#include "engine_internal.h"

#include <stdlib.h>
#include <string.h>

#include "peer_filter.h"

const char *
tp_flow_end_name(enum tp_flow_end e)
{
	switch (e) {
#define X(n, s, h)            \
	case TP_FLOW_END_##n: \
		return s;
		TP_FLOW_ENDS(X)
#undef X
	default:
		return "unknown";
	}
}

void
tp_flow_begin(struct tp_engine *eng, struct tp_flow *fl, tp_timer_fn interim)
{
	memset(fl, 0, sizeof(*fl));
	fl->id = ++eng->next_flow_id;
	fl->start_ms = eng->unix_ms;
	tp_timer_init(&fl->interim, interim);
	if (eng->sink.emit && eng->sink.interval)
		tp_timer_arm(&eng->wheel, &fl->interim, eng->now_ms + eng->sink.interval * 1000ull);
}

void
tp_flow_totals(const struct tp_flow *fl, const struct tp_binding_stat *live, uint64_t packets[2],
	       uint64_t bytes[2])
{
	for (int d = 0; d < 2; d++) {
		packets[d] = fl->packets[d] + (live ? live->packets[d] : 0);
		bytes[d] = fl->bytes[d] + (live ? live->bytes[d] : 0);
	}
}

void
tp_flow_fold(struct tp_flow *fl, const struct tp_binding_stat *live)
{
	tp_flow_totals(fl, live, fl->packets, fl->bytes);
}

void
tp_flow_report(struct tp_engine *eng, struct tp_flow *fl, const struct tp_alloc *a,
	       const struct tp_addr *peer, uint16_t channel, const struct tp_binding_stat *live,
	       enum tp_flow_event ev)
{
	struct tp_flow_record r;

	if (ev == TP_FLOW_EVENT_END)
		tp_timer_cancel(&eng->wheel, &fl->interim);
	else if (eng->sink.interval)
		tp_timer_arm(&eng->wheel, &fl->interim, eng->now_ms + eng->sink.interval * 1000ull);
	if (!eng->sink.emit)
		return;
	r.id = fl->id;
	r.event = (uint8_t)ev;
	r.end = (uint8_t)eng->ending;
	r.channel = channel;
	r.client = a->client;
	r.relay = tp_relay_addr(eng, a, TP_FAM_IDX(peer->family), true);
	r.peer = *peer;
	r.start_ms = fl->start_ms;
	r.time_ms = eng->unix_ms;
	tp_flow_totals(fl, live, r.packets, r.bytes);
	r.username_len = a->username_len;
	memcpy(r.username, a->username, a->username_len);
	r.username[a->username_len] = '\0';
	eng->sink.emit(eng->sink.ctx, &r);
}

/* Permission-only flows ------------------------------------------------------------------- */

static struct tp_pflow_key
pflow_key(const struct tp_alloc *a, const struct tp_addr *peer)
{
	struct tp_pflow_key k = { .alloc_id = a->id, .family = peer->family, .port = peer->port };

	memcpy(k.ip, peer->ip, sizeof(k.ip));
	return k;
}

static struct tp_binding
pflow_binding(const struct tp_pflow *p)
{
	struct tp_alloc *a = p->alloc;

	return (struct tp_binding){
		.client = a->client,
		.relay = tp_relay_addr(a->eng, a, TP_FAM_IDX(p->peer.family), false),
		.relay_index = a->relay[TP_FAM_IDX(p->peer.family)].relay_index,
		.peer = p->peer,
		.channel = 0,
		.id = (uint32_t)p->flow.id,
	};
}

/* What the dataplane relayed for p and the engine has not folded in yet. */
static void
pflow_live_counts(const struct tp_pflow *p, struct tp_binding_stat *live)
{
	struct tp_engine *eng = p->alloc->eng;

	memset(live, 0, sizeof(*live));
	if (p->in_dataplane && eng->dp->perm_counts) {
		struct tp_binding b = pflow_binding(p);

		eng->dp->perm_counts(eng->dp_ctx, &b, live);
	}
}

void
tp_pflow_counts(const struct tp_pflow *p, uint64_t packets[2], uint64_t bytes[2])
{
	struct tp_binding_stat live;

	pflow_live_counts(p, &live);
	tp_flow_totals(&p->flow, &live, packets, bytes);
}

/*
 * May a flow of a's with peer enter the dataplane's tables now? Where the dataplane has them
 * and may carry it (a client on a connection is the control thread's to serve, and so are the
 * relay's own ports outside the allocation range, peers.allow-relay-ports, as for channels:
 * channel.c, chan_sync), and relay r has room (TP_PFLOWS_FAST_MAX).
 */
static bool
pflow_may_enter(const struct tp_engine *eng, const struct tp_alloc *a, const struct tp_relay *r,
		const struct tp_addr *peer)
{
	const struct tp_config *cfg = eng->cfg;
	bool own_port = tp_peer_is_own(cfg, peer) &&
			(peer->port < cfg->port_min || peer->port > cfg->port_max);

	return eng->dp->perm_add && !own_port && !tp_addr_on_connection(&a->client) &&
	       r->npflows_fast < TP_PFLOWS_FAST_MAX;
}

/* p into the dataplane's tables; a refusal (no slot left, say) is counted and not retried. */
static void
pflow_enter_dataplane(struct tp_engine *eng, struct tp_pflow *p, struct tp_relay *r)
{
	struct tp_binding b = pflow_binding(p);

	if (eng->dp->perm_add(eng->dp_ctx, &b) < 0) {
		eng->stats.drop_fastpath++;
		p->refused = true;
		return;
	}
	p->in_dataplane = true;
	r->npflows_fast++;
	eng->npflows_fast++;
}

/* p out of the dataplane, its counts there folded into its flow first. */
static void
pflow_leave_dataplane(struct tp_engine *eng, struct tp_pflow *p, struct tp_relay *r)
{
	struct tp_binding_stat live;
	struct tp_binding b;

	if (!p->in_dataplane)
		return;
	pflow_live_counts(p, &live);
	tp_flow_fold(&p->flow, &live);
	b = pflow_binding(p);
	eng->dp->perm_del(eng->dp_ctx, &b);
	p->in_dataplane = false;
	r->npflows_fast--;
	eng->npflows_fast--;
}

static void
pflow_interim(struct tp_timer *t)
{
	struct tp_pflow *p = tp_container_of(t, struct tp_pflow, flow.interim);
	struct tp_binding_stat live;

	pflow_live_counts(p, &live);
	tp_flow_report(p->alloc->eng, &p->flow, p->alloc, &p->peer, 0, &live,
		       TP_FLOW_EVENT_INTERIM);
}

/*
 * Without a flow sink, a flow is kept only while the dataplane carries it: a peer spraying
 * ports costs the engine no memory beyond the dataplane's room. A flow the relay had no room
 * for enters once it has (its next datagram through the engine).
 */
struct tp_flow *
tp_pflow_get(struct tp_engine *eng, struct tp_alloc *a, int f, const struct tp_addr *peer)
{
	struct tp_pflow_key k = pflow_key(a, peer);
	struct tp_relay *r = &a->relay[f];
	bool may_enter = pflow_may_enter(eng, a, r, peer);
	struct tp_hnode *n;
	struct tp_pflow *p;

	if ((n = tp_htab_find(&eng->pflows, &k))) {
		p = tp_container_of(n, struct tp_pflow, node);
		if (!p->in_dataplane && !p->refused && may_enter)
			pflow_enter_dataplane(eng, p, r);
		return &p->flow;
	}
	if (!eng->sink.emit && !may_enter)
		return NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return NULL;
	p->key = k;
	p->alloc = a;
	p->peer = *peer;
	if (may_enter)
		pflow_enter_dataplane(eng, p, r);
	if (!eng->sink.emit && !p->in_dataplane) {
		free(p);
		return NULL;
	}
	tp_flow_begin(eng, &p->flow, pflow_interim);
	tp_htab_insert(&eng->pflows, &p->node);
	tp_list_add_tail(&r->pflows, &p->link);
	return &p->flow;
}

void
tp_pflows_end(struct tp_alloc *a, int f, const struct tp_addr *ip)
{
	struct tp_engine *eng = a->eng;
	struct tp_list *pos, *tmp;

	tp_list_for_each_safe(pos, tmp, &a->relay[f].pflows)
	{
		struct tp_pflow *p = tp_container_of(pos, struct tp_pflow, link);

		if (ip && !tp_addr_ip_eq(&p->peer, ip))
			continue;
		pflow_leave_dataplane(eng, p, &a->relay[f]);
		tp_flow_report(eng, &p->flow, a, &p->peer, 0, NULL, TP_FLOW_EVENT_END);
		tp_htab_remove(&eng->pflows, &p->node);
		tp_list_del(&p->link);
		free(p);
	}
}
