/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TURN engine's front: what arrives on the listen port (STUN requests and indications,
 * ChannelData) and on relayed addresses (peer data), the replies, and relaying with hairpin.
 * Allocations live in alloc.c, permissions in permission.c, channels in channel.c.
 */
#include "engine_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "answer_budget.h"
#include "crypto.h"
#include "log.h"
#include "peer_filter.h"

static inline uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

struct tp_engine *
tp_engine_create(const struct tp_config *cfg, const struct tp_dataplane *dp, void *ctx)
{
	struct tp_engine *eng = calloc(1, sizeof(*eng));

	if (!eng)
		return NULL;
	eng->cfg = cfg;
	eng->dp = dp;
	eng->dp_ctx = ctx;
	tp_list_init(&eng->allocs_list);
	tp_wheel_init(&eng->wheel, 0);
	tp_random(eng->ind_tid, sizeof(eng->ind_tid));
	if (!(eng->auth = tp_auth_create(cfg)) ||
	    !(eng->answer_budget = tp_answer_budget_create(cfg->unauth_sources, cfg->unauth_burst,
							   cfg->unauth_rate)) ||
	    TP_HTAB_INIT(&eng->allocs, struct tp_alloc, node, client) < 0 ||
	    TP_HTAB_INIT(&eng->users, struct tp_user, node, id) < 0 ||
	    TP_HTAB_INIT(&eng->perms, struct tp_perm, node, key) < 0 ||
	    TP_HTAB_INIT(&eng->chans_by_num, struct tp_chan, by_num, num_key) < 0 ||
	    TP_HTAB_INIT(&eng->chans_by_peer, struct tp_chan, by_peer, peer_key) < 0 ||
	    TP_HTAB_INIT(&eng->reservations, struct tp_reservation, node, token) < 0 ||
	    TP_HTAB_INIT(&eng->pflows, struct tp_pflow, node, key) < 0 ||
	    tp_engine_ports_init(eng) < 0) {
		tp_engine_destroy(eng);
		return NULL;
	}
	return eng;
}

void
tp_engine_destroy(struct tp_engine *eng)
{
	struct tp_list *pos, *tmp;

	if (!eng)
		return;
	eng->ending = TP_FLOW_END_SHUTDOWN;
	tp_list_for_each_safe(pos, tmp, &eng->allocs_list)
		tp_alloc_free(tp_container_of(pos, struct tp_alloc, link));
	if (eng->reservations.buckets && eng->port_state[1])
		tp_engine_reservations_fini(eng);
	tp_engine_ports_fini(eng);
	tp_htab_fini(&eng->allocs);
	tp_htab_fini(&eng->users);
	tp_htab_fini(&eng->perms);
	tp_htab_fini(&eng->chans_by_num);
	tp_htab_fini(&eng->chans_by_peer);
	tp_htab_fini(&eng->reservations);
	tp_htab_fini(&eng->pflows);
	tp_auth_destroy(eng->auth);
	tp_answer_budget_destroy(eng->answer_budget);
	free(eng);
}

void
tp_engine_set_time(struct tp_engine *eng, uint64_t mono_ms, int64_t unix_s)
{
	eng->now_ms = mono_ms;
	eng->unix_s = unix_s;
	eng->unix_ms = unix_s * 1000;
}

void
tp_engine_set_clock(struct tp_engine *eng, uint64_t mono_ms, int64_t unix_ms)
{
	tp_engine_set_time(eng, mono_ms, unix_ms / 1000);
	eng->unix_ms = unix_ms;
}

uint64_t
tp_engine_now_ms(const struct tp_engine *eng)
{
	return eng->now_ms;
}

void
tp_engine_set_connections(struct tp_engine *eng, tp_engine_send_fn send, void *ctx)
{
	eng->conn_send = send;
	eng->conn_ctx = ctx;
}

bool
tp_engine_has_allocation(const struct tp_engine *eng, const struct tp_addr *client)
{
	return tp_alloc_find(eng, client) != NULL;
}

bool
tp_to_client(struct tp_engine *eng, const struct tp_addr *client, const void *buf, size_t len)
{
	if (!tp_addr_on_connection(client))
		return eng->dp->to_client(eng->dp_ctx, client, buf, len);
	return eng->conn_send && eng->conn_send(eng->conn_ctx, client, buf, len);
}

void
tp_engine_set_flow_sink(struct tp_engine *eng, const struct tp_flow_sink *sink)
{
	eng->sink = *sink;
}

void
tp_engine_tick(struct tp_engine *eng)
{
	tp_wheel_advance(&eng->wheel, eng->now_ms);
}

const struct tp_engine_stats *
tp_engine_stats(const struct tp_engine *eng)
{
	return &eng->stats;
}

const struct tp_engine_requests *
tp_engine_requests(const struct tp_engine *eng)
{
	return &eng->requests;
}

const char *
tp_request_method_name(enum tp_request_method m)
{
	static const char *const names[] = {
#define X(n, v) #n,
		TP_REQUEST_METHODS(X)
#undef X
	};

	return m < TP_REQ_COUNT ? names[m] : "unknown";
}

const char *
tp_request_result_name(enum tp_request_result r)
{
	static const char *const names[] = { "success",
#define X(c, n, s) #c,
					     TP_STUN_ERRORS(X)
#undef X
	};

	return r < TP_RES_COUNT ? names[r] : "unknown";
}

static int
request_method(uint16_t method)
{
#define X(n, v)            \
	if (method == (v)) \
		return TP_REQ_##n;
	TP_REQUEST_METHODS(X)
#undef X
	return -1;
}

static enum tp_request_result
request_result(int code)
{
	switch (code) {
#define X(c, n, s) \
	case c:    \
		return TP_RES_##n;
		TP_STUN_ERRORS(X)
#undef X
	default:
		return TP_RES_SUCCESS;
	}
}

void
tp_engine_note_latency(struct tp_engine *eng, uint64_t ns)
{
	static const uint64_t bounds_us[] = { TP_LATENCY_BOUNDS_US };
	struct tp_engine_requests *q = &eng->requests;
	unsigned b = 0;

	while (b < TP_LATENCY_BUCKETS - 1 && ns > bounds_us[b] * 1000)
		b++;
	q->latency[b]++;
	q->latency_count++;
	q->latency_sum_ns += ns;
}

void
tp_engine_gauges(const struct tp_engine *eng, struct tp_engine_gauges *g)
{
	g->allocations = eng->nallocs;
	g->relays = eng->nrelays;
	g->permissions = eng->npermissions;
	g->channels = eng->nchannels;
	g->reservations = eng->reservations.count;
	g->permission_flows = eng->pflows.count;
	g->permission_flows_fast = eng->npflows_fast;
	g->users = eng->users.count;
	memcpy(g->allocations_by_transport, eng->nallocs_by_transport,
	       sizeof(g->allocations_by_transport));
}

void
tp_engine_log_stats(const struct tp_engine *eng)
{
	const struct tp_engine_stats *s = &eng->stats;

	TP_INFO("stats: allocations %llu permissions %llu channels %llu",
		(unsigned long long)eng->nallocs, (unsigned long long)eng->npermissions,
		(unsigned long long)eng->nchannels);
#define X(n, h)   \
	if (s->n) \
		TP_INFO("stats: %s %llu", #n, (unsigned long long)s->n);
	TP_ENGINE_COUNTERS(X)
#undef X
}

/* Replies ---------------------------------------------------------------------------------- */

void
tp_reply_begin(struct tp_engine *eng, struct tp_reply *r, const struct tp_stun_msg *req,
	       const struct tp_auth_result *auth, const struct tp_addr *client, bool error)
{
	r->req = req;
	r->auth = auth;
	r->client = client;
	r->code = 0;
	tp_stun_build_init(&r->b, eng->out, sizeof(eng->out), req->method,
			   error ? TP_STUN_ERROR : TP_STUN_SUCCESS, req->tid);
}

/* An answer without MESSAGE-INTEGRITY: it goes to whatever address the request claims. */
static bool
reply_unauthenticated(const struct tp_reply *r)
{
	return !r->auth || r->auth->code != 0;
}

void
tp_reply_send(struct tp_engine *eng, struct tp_reply *r)
{
	bool unauthenticated = reply_unauthenticated(r);
	int len, method;

	if (eng->cfg->software[0] && (!unauthenticated || eng->cfg->software_unauthenticated))
		tp_stun_add_str(&r->b, TP_ATTR_SOFTWARE, eng->cfg->software);
	if (!unauthenticated)
		tp_stun_add_integrity(&r->b, r->auth->sha256, r->auth->key, r->auth->keylen);
	/* FINGERPRINT is optional in TURN: answer in kind. */
	if (r->req->fp_off)
		tp_stun_add_fingerprint(&r->b);
	if ((len = tp_stun_build_end(&r->b)) < 0) {
		TP_WARN("%s response does not fit a datagram", tp_stun_method_name(r->req->method));
		return;
	}
	if ((method = request_method(r->req->method)) >= 0)
		eng->requests.by[method][request_result(r->code)]++;
	/* A connection's client has shown its address is its own (the handshake): only answers
	 * to a datagram's claimed source are budgeted. */
	bool budgeted = !tp_addr_on_connection(r->client);

	if (budgeted && unauthenticated) {
		bool within = tp_answer_budget_spend(eng->answer_budget, r->client, r->req->len,
						     (size_t)len, eng->now_ms);

		eng->stats.answer_budget_evictions = tp_answer_budget_evictions(eng->answer_budget);
		if (!within) {
			eng->stats.drop_answer_budget++;
			/* Its next requests would be dropped too: where the fast path can, it drops
			 * them before they cost the control thread anything. */
			if (eng->dp->mute)
				eng->dp->mute(eng->dp_ctx, r->client, TP_ENGINE_MUTE_MS);
			return;
		}
	} else if (budgeted) {
		tp_answer_budget_credit(eng->answer_budget, r->client, r->req->len);
	}
	if (r->code == TP_ERR_UNAUTHENTICATED || r->code == TP_ERR_STALE_NONCE)
		eng->stats.auth_challenges++;
	eng->stats.tx_response++;
	tp_to_client(eng, r->client, eng->out, (size_t)len);
}

void
tp_reply_ok(struct tp_engine *eng, const struct tp_stun_msg *req, const struct tp_auth_result *auth,
	    const struct tp_addr *client)
{
	struct tp_reply r;

	tp_reply_begin(eng, &r, req, auth, client, false);
	tp_reply_send(eng, &r);
}

void
tp_reply_error(struct tp_engine *eng, const struct tp_stun_msg *req,
	       const struct tp_auth_result *auth, const struct tp_addr *client, int code)
{
	struct tp_reply r;

	tp_reply_begin(eng, &r, req, auth, client, true);
	r.code = code;
	tp_stun_add_error(&r.b, code, !reply_unauthenticated(&r));
	if (code == TP_ERR_UNAUTHENTICATED || code == TP_ERR_STALE_NONCE)
		tp_auth_add_challenge(eng->auth, &r.b, client, eng->now_ms);
	if (code == TP_ERR_UNKNOWN_ATTRIBUTE)
		tp_stun_add_unknown(&r.b, req->unknown, req->nunknown);
	tp_reply_send(eng, &r);
}

struct tp_addr
tp_relay_addr(const struct tp_engine *eng, const struct tp_alloc *a, int f, bool public_)
{
	unsigned i = a->relay[f].relay_index;
	struct tp_addr addr = public_ ? *tp_cfg_public(eng->cfg, f, i) : eng->cfg->fam[f].bind[i];

	addr.port = a->relay[f].port;
	return addr;
}

/* Requests and indications ----------------------------------------------------------------- */

static void
handle_binding(struct tp_engine *eng, const struct tp_stun_msg *m, const struct tp_addr *client)
{
	struct tp_reply r;

	if (m->nunknown) {
		tp_reply_error(eng, m, NULL, client, TP_ERR_UNKNOWN_ATTRIBUTE);
		return;
	}
	tp_reply_begin(eng, &r, m, NULL, client, false);
	tp_stun_add_addr(&r.b, TP_ATTR_XOR_MAPPED_ADDRESS, client, true);
	tp_reply_send(eng, &r);
}

static void
handle_turn_request(struct tp_engine *eng, const struct tp_stun_msg *m,
		    const struct tp_addr *client)
{
	struct tp_auth_result auth;
	struct tp_alloc *a;

	if (tp_auth_check(eng->auth, m, client, eng->now_ms, eng->unix_s, &auth) != 0) {
		TP_DEBUG("%s from %s: %d (%s)", tp_stun_method_name(m->method),
			 tp_addr_str(client, (char[TP_ADDR_STRLEN]){ 0 }, TP_ADDR_STRLEN),
			 auth.code, tp_auth_failure_name(auth.why));
		tp_reply_error(eng, m, &auth, client, auth.code);
		return;
	}
	/* RFC 8489 section 6.3: unknown comprehension-required attributes, after auth. */
	if (m->nunknown) {
		tp_reply_error(eng, m, &auth, client, TP_ERR_UNKNOWN_ATTRIBUTE);
		return;
	}
	if (m->method == TP_STUN_ALLOCATE) {
		tp_handle_allocate(eng, m, &auth, client);
		return;
	}
	if (!(a = tp_alloc_find(eng, client))) {
		tp_reply_error(eng, m, &auth, client, TP_ERR_ALLOCATION_MISMATCH);
		return;
	}
	if (a->username_len != auth.username_len ||
	    memcmp(a->username, auth.username, auth.username_len) != 0) {
		tp_reply_error(eng, m, &auth, client, TP_ERR_WRONG_CREDENTIALS);
		return;
	}
	switch (m->method) {
	case TP_STUN_REFRESH:
		tp_handle_refresh(eng, a, m, &auth);
		break;
	case TP_STUN_CREATE_PERMISSION:
		tp_handle_create_permission(eng, a, m, &auth);
		break;
	case TP_STUN_CHANNEL_BIND:
		tp_handle_channel_bind(eng, a, m, &auth);
		break;
	}
}

static bool relay_to_peer(struct tp_engine *eng, struct tp_alloc *a, int f,
			  const struct tp_addr *peer, const uint8_t *data, size_t len, bool df);

static void
handle_send(struct tp_engine *eng, const struct tp_stun_msg *m, const struct tp_addr *client)
{
	const struct tp_stun_attr *pa = tp_stun_find(m, TP_ATTR_XOR_PEER_ADDRESS);
	const struct tp_stun_attr *data = tp_stun_find(m, TP_ATTR_DATA);
	struct tp_alloc *a = tp_alloc_find(eng, client);
	struct tp_addr peer;

	if (!a) {
		eng->stats.drop_no_allocation++;
		return;
	}
	if (!pa || !data || m->nunknown || tp_stun_get_addr(m, pa, true, &peer) < 0 ||
	    !a->relay[TP_FAM_IDX(peer.family)].port) {
		eng->stats.drop_bad_send++;
		return;
	}
	if (!tp_perm_find(eng, peer.family, tp_relay_port(a, TP_FAM_IDX(peer.family)), &peer)) {
		eng->stats.drop_no_permission++;
		return;
	}
	int f = TP_FAM_IDX(peer.family);
	struct tp_flow *fl;

	eng->stats.send_indications++;
	/* The conversation is a flow from its first datagram that went. */
	if (relay_to_peer(eng, a, f, &peer, tp_stun_value(m, data), data->len,
			  tp_stun_find(m, TP_ATTR_DONT_FRAGMENT) != NULL) &&
	    (fl = tp_pflow_get(eng, a, f, &peer)))
		tp_flow_count(fl, TP_DIR_TO_PEER, data->len);
}

static void
stun_input(struct tp_engine *eng, const struct tp_addr *client, const uint8_t *buf, size_t len)
{
	struct tp_stun_msg m;
	int err;

	eng->stats.rx_stun++;
	if ((err = tp_stun_parse(&m, buf, len)) != TP_STUN_OK) {
		eng->stats.drop_malformed++;
		TP_DEBUG("STUN from %s dropped: %s",
			 tp_addr_str(client, (char[TP_ADDR_STRLEN]){ 0 }, TP_ADDR_STRLEN),
			 tp_stun_parse_error_name(err));
		return;
	}
	if (m.cls == TP_STUN_REQUEST) {
		switch (m.method) {
		case TP_STUN_BINDING:
			handle_binding(eng, &m, client);
			return;
		case TP_STUN_ALLOCATE:
		case TP_STUN_REFRESH:
		case TP_STUN_CREATE_PERMISSION:
		case TP_STUN_CHANNEL_BIND:
			handle_turn_request(eng, &m, client);
			return;
		}
	} else if (m.cls == TP_STUN_INDICATION) {
		if (m.method == TP_STUN_SEND) {
			handle_send(eng, &m, client);
			return;
		}
		/* A Binding indication is a keepalive: nothing to do. */
		if (m.method == TP_STUN_BINDING)
			return;
	}
	/* RFC 8489 section 6.3: unknown methods and classes are silently discarded. */
	eng->stats.drop_unexpected++;
}

/* Data ------------------------------------------------------------------------------------- */

static bool deliver_to_client(struct tp_engine *eng, struct tp_alloc *a, int f,
			      const struct tp_addr *peer, const uint8_t *data, size_t len);

/*
 * Data from allocation a (family index f) for peer. When the peer is one of the relay's own
 * addresses in the allocation range, the datagram never leaves: it is delivered to the
 * allocation holding that port as if it came from a's public relayed address. Delivery goes
 * to a client, never back into relaying, so a hairpin is one hop and cannot loop. Other
 * ports of the relay's own addresses are reachable only with peers.allow-relay-ports, and the
 * listen port never is. Returns whether the datagram went.
 */
static bool
relay_to_peer(struct tp_engine *eng, struct tp_alloc *a, int f, const struct tp_addr *peer,
	      const uint8_t *data, size_t len, bool df)
{
	const struct tp_config *cfg = eng->cfg;
	bool in_range = peer->port >= cfg->port_min && peer->port <= cfg->port_max;

	if (tp_peer_is_own(cfg, peer) && !in_range && !tp_peer_self_port_ok(cfg, peer->port)) {
		eng->stats.drop_relay_port++;
		return false;
	}
	if (tp_peer_is_own(cfg, peer) && in_range) {
		unsigned at = (unsigned)tp_cfg_relay_index(cfg, f, peer);
		struct tp_alloc *dst = eng->port_alloc[f][tp_port_at(at, peer->port)];

		if (!dst) {
			eng->stats.drop_hairpin++;
			return false;
		}

		struct tp_addr from = tp_relay_addr(eng, a, f, true);

		if (!deliver_to_client(eng, dst, f, &from, data, len))
			return false;
		eng->stats.hairpinned++;
		eng->stats.relayed_to_peer++;
		eng->stats.relayed_to_peer_bytes += len;
		return true;
	}

	struct tp_addr relay = tp_relay_addr(eng, a, f, false);

	if (!eng->dp->to_peer(eng->dp_ctx, &relay, peer, data, len, df)) {
		eng->stats.drop_tx++;
		return false;
	}
	eng->stats.relayed_to_peer++;
	eng->stats.relayed_to_peer_bytes += len;
	return true;
}

static void
channel_data_input(struct tp_engine *eng, const struct tp_addr *client, const uint8_t *buf,
		   size_t len)
{
	struct tp_alloc *a;
	struct tp_chan *c;

	eng->stats.rx_channel_data++;
	if (len < 4) {
		eng->stats.drop_bad_channel_data++;
		return;
	}

	uint16_t num = rd16(buf), dlen = rd16(buf + 2);

	/* The length rules; up to 3 bytes of padding may follow (RFC 8656 section 12.5). */
	if (num < TP_CHANNEL_MIN || num > TP_CHANNEL_MAX || (size_t)dlen + 4 > len ||
	    len - dlen - 4 > 3) {
		eng->stats.drop_bad_channel_data++;
		return;
	}
	if (!(a = tp_alloc_find(eng, client))) {
		eng->stats.drop_no_allocation++;
		return;
	}
	if (!(c = tp_chan_find_num(eng, a, num))) {
		eng->stats.drop_no_channel++;
		return;
	}
	/* A channel whose permission lapsed is out of the fast path too: same rule here. */
	if (!c->active) {
		eng->stats.drop_no_permission++;
		return;
	}
	if (relay_to_peer(eng, a, TP_FAM_IDX(c->peer.family), &c->peer, buf + 4, dlen, false))
		tp_flow_count(&c->flow, TP_DIR_TO_PEER, dlen);
}

bool
tp_engine_client_input(struct tp_engine *eng, const struct tp_addr *client, const uint8_t *buf,
		       size_t len)
{
	uint64_t answered = eng->stats.tx_response;

	/* RFC 7983 demultiplexing: 0-3 STUN, 64-127 ChannelData (we accept RFC 5766's range). */
	if (len >= 1 && (buf[0] & 0xc0) == 0x40)
		channel_data_input(eng, client, buf, len);
	else if (tp_stun_looks_like(buf, len))
		stun_input(eng, client, buf, len);
	else
		eng->stats.drop_not_turn++;
	return eng->stats.tx_response != answered;
}

/* Deliver data from peer to a's client: ChannelData when a channel is bound, else Data.
 * Returns whether it went. */
static bool
deliver_to_client(struct tp_engine *eng, struct tp_alloc *a, int f, const struct tp_addr *peer,
		  const uint8_t *data, size_t len)
{
	uint8_t family = (uint8_t)(f + 1);
	struct tp_port at = tp_relay_port(a, f);
	struct tp_chan *c;

	if (!tp_perm_find(eng, family, at, peer)) {
		eng->stats.drop_no_permission++;
		return false;
	}
	if ((c = tp_chan_find_peer(eng, family, at, peer)) && c->active) {
		size_t n = len + 4;

		if (n + 3 > sizeof(eng->out)) {
			eng->stats.drop_oversize++;
			return false;
		}
		eng->out[0] = (uint8_t)(c->channel >> 8);
		eng->out[1] = (uint8_t)c->channel;
		eng->out[2] = (uint8_t)(len >> 8);
		eng->out[3] = (uint8_t)len;
		memcpy(eng->out + 4, data, len);
		/* On a stream, padded to four bytes (RFC 8656 section 12.5). */
		while (tp_addr_on_connection(&a->client) && n % 4)
			eng->out[n++] = 0;
		if (!tp_to_client(eng, &a->client, eng->out, n)) {
			eng->stats.drop_tx++;
			return false;
		}
		eng->stats.relayed_to_client++;
		eng->stats.relayed_to_client_bytes += len;
		tp_flow_count(&c->flow, TP_DIR_TO_CLIENT, len);
		return true;
	}

	struct tp_stun_builder b;
	struct tp_flow *fl;
	int n;

	/* Indications need unique, not secret, transaction IDs: count in the last bytes. */
	for (int i = TP_STUN_TID_LEN - 1; i >= 8 && ++eng->ind_tid[i] == 0; i--)
		;
	tp_stun_build_init(&b, eng->out, sizeof(eng->out), TP_STUN_DATA, TP_STUN_INDICATION,
			   eng->ind_tid);
	tp_stun_add_addr(&b, TP_ATTR_XOR_PEER_ADDRESS, peer, true);
	tp_stun_add(&b, TP_ATTR_DATA, data, len);
	if ((n = tp_stun_build_end(&b)) < 0) {
		eng->stats.drop_oversize++;
		return false;
	}
	if (!tp_to_client(eng, &a->client, eng->out, (size_t)n)) {
		eng->stats.drop_tx++;
		return false;
	}
	eng->stats.data_indications++;
	eng->stats.relayed_to_client++;
	eng->stats.relayed_to_client_bytes += len;
	if ((fl = tp_pflow_get(eng, a, f, peer)))
		tp_flow_count(fl, TP_DIR_TO_CLIENT, len);
	return true;
}

void
tp_engine_peer_input(struct tp_engine *eng, const struct tp_addr *relay, const struct tp_addr *peer,
		     const uint8_t *buf, size_t len)
{
	struct tp_alloc *a;
	int f, at;

	eng->stats.rx_peer++;
	if ((relay->family != TP_FAM_V4 && relay->family != TP_FAM_V6) ||
	    (at = tp_cfg_relay_index(eng->cfg, f = TP_FAM_IDX(relay->family), relay)) < 0 ||
	    !(a = eng->port_alloc[f][tp_port_at((unsigned)at, relay->port)])) {
		eng->stats.drop_no_allocation++;
		return;
	}
	deliver_to_client(eng, a, f, peer, buf, len);
}
