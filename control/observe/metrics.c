/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The metrics endpoint (see metrics.h): a snapshot under a mutex, the text exposition format
 * (version 0.0.4) made from it, and libmicrohttpd serving GET /metrics.
 */
#include "metrics.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "log.h"

struct tp_metrics {
	struct MHD_Daemon *httpd;
	const char *dataplane;
	pthread_mutex_t lock;
	struct tp_metrics_snapshot snap;
};

/* The exposition text ----------------------------------------------------------------------- */

static void
family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
latency(FILE *f, const struct tp_engine_requests *q)
{
	static const uint64_t bounds_us[] = { TP_LATENCY_BOUNDS_US };
	const char *name = "turnpike_request_duration_seconds";
	uint64_t cum = 0;

	family(f, name, "histogram",
	       "Time from a request's arrival at the control thread to its response.");
	for (unsigned b = 0; b < TP_LATENCY_BUCKETS; b++) {
		cum += q->latency[b];
		if (b < TP_LATENCY_BUCKETS - 1)
			fprintf(f, "%s_bucket{le=\"%g\"} %llu\n", name, bounds_us[b] / 1e6,
				(unsigned long long)cum);
		else
			fprintf(f, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)cum);
	}
	fprintf(f, "%s_sum %.9f\n%s_count %llu\n", name, q->latency_sum_ns / 1e9, name,
		(unsigned long long)q->latency_count);
}

static void
relayed(FILE *f, const struct tp_metrics_snapshot *s, const char *dataplane)
{
	static const char *const dirs[2] = { "to_peer", "to_client" };
	const struct tp_engine_stats *e = &s->eng;
	uint64_t ctl_packets[2] = { e->relayed_to_peer, e->relayed_to_client };
	uint64_t ctl_bytes[2] = { e->relayed_to_peer_bytes, e->relayed_to_client_bytes };

	family(f, "turnpike_relayed_packets_total", "counter",
	       "Datagrams relayed, by who relayed them (path: the control thread, or the "
	       "dataplane's fast path) and direction; a hairpin counts in both directions.");
	for (int d = 0; d < 2; d++)
		fprintf(f,
			"turnpike_relayed_packets_total{path=\"control\",direction=\"%s\"} %llu\n",
			dirs[d], (unsigned long long)ctl_packets[d]);
	if (s->fastpath) {
		uint64_t hairpin =
			s->reasons[TP_R_HAIRPIN].packets + s->reasons[TP_R_HAIRPIN_DATA].packets;
		uint64_t fast[2] = { s->reasons[TP_R_TO_PEER].packets +
					     s->reasons[TP_R_SEND_TO_PEER].packets + hairpin,
				     s->reasons[TP_R_TO_CLIENT].packets +
					     s->reasons[TP_R_DATA_INDICATION].packets + hairpin };

		for (int d = 0; d < 2; d++)
			fprintf(f,
				"turnpike_relayed_packets_total{path=\"%s\",direction=\"%s\"} "
				"%llu\n",
				dataplane, dirs[d], (unsigned long long)fast[d]);
	}
	family(f, "turnpike_relayed_bytes_total", "counter",
	       "Payload bytes the control thread relayed, by direction (the fast path's bytes, "
	       "whole frames, are in turnpike_dataplane_bytes_total by reason).");
	for (int d = 0; d < 2; d++)
		fprintf(f, "turnpike_relayed_bytes_total{path=\"control\",direction=\"%s\"} %llu\n",
			dirs[d], (unsigned long long)ctl_bytes[d]);
}

/* Connections (TCP, TLS, DTLS): open by transport and state, accepted, closed by reason,
 * refused at a limit; TLS and DTLS handshakes by result. */
static void
connections(FILE *f, const struct tp_conn_stats *c)
{
	family(f, "turnpike_connections", "gauge",
	       "Client connections open, by transport and state.");
	for (unsigned t = TP_TRANSPORT_TCP; t < TP_TRANSPORT_COUNT; t++)
		for (unsigned st = 0; st < TP_CONN_STATE_COUNT; st++)
			fprintf(f, "turnpike_connections{transport=\"%s\",state=\"%s\"} %llu\n",
				tp_transport_name((uint8_t)t),
				tp_conn_state_name((enum tp_conn_state)st),
				(unsigned long long)c->open[t][st]);
	family(f, "turnpike_connections_accepted_total", "counter",
	       "Client connections accepted, by transport.");
	for (unsigned t = TP_TRANSPORT_TCP; t < TP_TRANSPORT_COUNT; t++)
		fprintf(f, "turnpike_connections_accepted_total{transport=\"%s\"} %llu\n",
			tp_transport_name((uint8_t)t), (unsigned long long)c->accepted[t]);
	family(f, "turnpike_connections_closed_total", "counter",
	       "Client connections closed, by reason.");
	for (unsigned r = 0; r < TP_CONN_CLOSE_COUNT; r++)
		fprintf(f, "turnpike_connections_closed_total{reason=\"%s\"} %llu\n",
			tp_conn_close_name((enum tp_conn_close)r),
			(unsigned long long)c->closed[r]);
	family(f, "turnpike_connection_limit_hits_total", "counter",
	       "Connections closed as they were accepted, by the limit they would have passed.");
	fprintf(f, "turnpike_connection_limit_hits_total{limit=\"max-connections\"} %llu\n",
		(unsigned long long)c->limit_total);
	fprintf(f,
		"turnpike_connection_limit_hits_total{limit=\"max-connections-per-source\"} "
		"%llu\n",
		(unsigned long long)c->limit_source);
	family(f, "turnpike_tls_handshakes_total", "counter",
	       "TLS handshakes, by result (failure: refused, or not done within "
	       "limits.handshake-timeout).");
	fprintf(f, "turnpike_tls_handshakes_total{result=\"success\"} %llu\n",
		(unsigned long long)c->tls_handshakes_ok);
	fprintf(f, "turnpike_tls_handshakes_total{result=\"failure\"} %llu\n",
		(unsigned long long)c->tls_handshakes_failed);
	family(f, "turnpike_connection_tx_dropped_total", "counter",
	       "Messages for a connection's client dropped: its send queue was full.");
	fprintf(f, "turnpike_connection_tx_dropped_total %llu\n",
		(unsigned long long)c->tx_dropped);
	family(f, "turnpike_connection_accept_paused_total", "counter",
	       "Times a listener rested until the next tick: no descriptor left to accept with.");
	fprintf(f, "turnpike_connection_accept_paused_total %llu\n",
		(unsigned long long)c->accept_paused);
}

static void
verdicts(FILE *f, const struct tp_metrics_snapshot *s)
{
	static const char *const names[2] = { "turnpike_dataplane_frames_total",
					      "turnpike_dataplane_bytes_total" };

	for (int which = 0; which < 2; which++) {
		family(f, names[which], "counter",
		       which ? "Frame bytes the fast path handled, by verdict (action and reason)."
			     : "Frames the fast path handled, by verdict (action and reason).");
		for (unsigned r = 0; r < TP_R_COUNT; r++)
			fprintf(f, "%s{action=\"%s\",reason=\"%s\"} %llu\n", names[which],
				tp_action_name(tp_reason_action((enum tp_reason)r)),
				tp_reason_name((enum tp_reason)r),
				(unsigned long long)(which ? s->reasons[r].bytes
							   : s->reasons[r].packets));
	}
}

void
tp_metrics_add_counter(struct tp_metrics_snapshot *s, const char *name, const char *help,
		       uint64_t value)
{
	if (s->ncounters < TP_METRICS_COUNTERS)
		s->counters[s->ncounters++] = (struct tp_metrics_counter){ name, help, value };
}

char *
tp_metrics_format(const struct tp_metrics_snapshot *s, const char *dataplane)
{
	const struct tp_engine_gauges *g = &s->gauges;
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	family(f, "turnpike_info", "gauge", "The relay's build and dataplane.");
	fprintf(f, "turnpike_info{version=\"%s\",dataplane=\"%s\"} 1\n", TP_VERSION, dataplane);

	family(f, "turnpike_allocations", "gauge", "Allocations held.");
	fprintf(f, "turnpike_allocations %llu\n", (unsigned long long)g->allocations);
	family(f, "turnpike_draining", "gauge",
	       "1 while the relay drains (SIGUSR2): no new allocations, exit when the last ends.");
	fprintf(f, "turnpike_draining %d\n", s->draining);
	family(f, "turnpike_config_reloads_total", "counter",
	       "Reloads of the configuration file (SIGHUP, turnpikectl reload), applied or "
	       "refused.");
	fprintf(f, "turnpike_config_reloads_total{result=\"applied\"} %llu\n",
		(unsigned long long)s->reloads[0]);
	fprintf(f, "turnpike_config_reloads_total{result=\"refused\"} %llu\n",
		(unsigned long long)s->reloads[1]);
	family(f, "turnpike_allocations_limit", "gauge",
	       "Allocations the relay takes at most (limits.max-allocations; 508 beyond).");
	fprintf(f, "turnpike_allocations_limit %llu\n", (unsigned long long)s->allocations_limit);
	family(f, "turnpike_allocations_by_transport", "gauge",
	       "Allocations held, by the transport their client reaches the relay over.");
	for (unsigned t = 0; t < TP_TRANSPORT_COUNT; t++)
		fprintf(f, "turnpike_allocations_by_transport{transport=\"%s\"} %llu\n",
			tp_transport_name((uint8_t)t),
			(unsigned long long)g->allocations_by_transport[t]);
	family(f, "turnpike_relayed_addresses", "gauge", "Relayed addresses held (per family).");
	fprintf(f, "turnpike_relayed_addresses %llu\n", (unsigned long long)g->relays);
	family(f, "turnpike_permissions", "gauge", "Permissions installed.");
	fprintf(f, "turnpike_permissions %llu\n", (unsigned long long)g->permissions);
	family(f, "turnpike_channels", "gauge", "Channel bindings.");
	fprintf(f, "turnpike_channels %llu\n", (unsigned long long)g->channels);
	family(f, "turnpike_permission_flows", "gauge",
	       "Permission-only conversations with one peer transport address kept, by where their "
	       "data is relayed (the dataplane's fast path after the first datagram, or the "
	       "engine).");
	fprintf(f, "turnpike_permission_flows{path=\"fastpath\"} %llu\n",
		(unsigned long long)g->permission_flows_fast);
	fprintf(f, "turnpike_permission_flows{path=\"control\"} %llu\n",
		(unsigned long long)(g->permission_flows - g->permission_flows_fast));

	family(f, "turnpike_requests_total", "counter",
	       "Requests answered, by method and result (success or the error code).");
	for (unsigned m = 0; m < TP_REQ_COUNT; m++)
		for (unsigned r = 0; r < TP_RES_COUNT; r++)
			fprintf(f, "turnpike_requests_total{method=\"%s\",result=\"%s\"} %llu\n",
				tp_request_method_name((enum tp_request_method)m),
				tp_request_result_name((enum tp_request_result)r),
				(unsigned long long)s->requests.by[m][r]);
	latency(f, &s->requests);
	relayed(f, s, dataplane);
	if (s->fastpath)
		verdicts(f, s);
	connections(f, &s->conns);

	/* The engine's own counters, each under its name, its help from the same list. */
#define X(n, h)                                                  \
	family(f, "turnpike_engine_" #n "_total", "counter", h); \
	fprintf(f, "turnpike_engine_" #n "_total %llu\n", (unsigned long long)s->eng.n);
	TP_ENGINE_COUNTERS(X)
#undef X

	for (unsigned i = 0; i < s->ncounters; i++) {
		char name[128];

		snprintf(name, sizeof(name), "turnpike_%s_%s_total", dataplane,
			 s->counters[i].name);
		family(f, name, "counter", s->counters[i].help);
		fprintf(f, "%s %llu\n", name, (unsigned long long)s->counters[i].value);
	}

	if (s->flows) {
		family(f, "turnpike_flow_records_total", "counter",
		       "Flow records written, and skipped because the queue was full.");
		fprintf(f, "turnpike_flow_records_total{result=\"written\"} %llu\n",
			(unsigned long long)s->flows_written);
		fprintf(f, "turnpike_flow_records_total{result=\"skipped\"} %llu\n",
			(unsigned long long)s->flows_skipped);
	}
	if (fclose(f) != 0) {
		free(text);
		return NULL;
	}
	return text;
}

/* HTTP -------------------------------------------------------------------------------------- */

static enum MHD_Result
answer(struct MHD_Connection *c, unsigned status, char *body, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(strlen(body), body, mode);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
				"text/plain; version=0.0.4; charset=utf-8");
	ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url, const char *method,
       const char *version, const char *upload, size_t *upload_size, void **state)
{
	struct tp_metrics *m = cls;
	struct tp_metrics_snapshot *s;
	char *text;

	(void)version, (void)upload, (void)upload_size, (void)state;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
		return answer(c, MHD_HTTP_METHOD_NOT_ALLOWED, "GET /metrics\n",
			      MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics") != 0)
		return answer(c, MHD_HTTP_NOT_FOUND, "not found: the metrics are at /metrics\n",
			      MHD_RESPMEM_PERSISTENT);
	/* A copy, so the format runs outside the lock the control thread publishes under. */
	if (!(s = malloc(sizeof(*s))))
		return MHD_NO;
	pthread_mutex_lock(&m->lock);
	*s = m->snap;
	pthread_mutex_unlock(&m->lock);
	text = tp_metrics_format(s, m->dataplane);
	free(s);
	if (!text)
		return MHD_NO;
	return answer(c, MHD_HTTP_OK, text, MHD_RESPMEM_MUST_FREE);
}

int
tp_metrics_open(const struct tp_config *cfg, const char *dataplane, struct tp_metrics **out)
{
	const struct tp_addr *a = &cfg->metrics.listen;
	struct sockaddr_storage ss;
	char where[TP_ADDR_STRLEN];
	struct tp_metrics *m;

	*out = NULL;
	if (a->family == TP_FAM_NONE)
		return 0;
	if (!(m = calloc(1, sizeof(*m)))) {
		TP_ERR("metrics.listen: out of memory");
		return -1;
	}
	m->dataplane = dataplane;
	pthread_mutex_init(&m->lock, NULL);
	tp_addr_to_sockaddr(a, &ss);
	tp_addr_str(a, where, sizeof(where));
	errno = 0;
	/* epoll, not select(): the relay holds thousands of sockets (allocations, connections),
	 * and select() cannot take one numbered past FD_SETSIZE (1024). */
	m->httpd = MHD_start_daemon(MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
					    (a->family == TP_FAM_V6 ? MHD_USE_IPv6 : 0),
				    a->port, NULL, NULL, handle, m, MHD_OPTION_SOCK_ADDR,
				    (struct sockaddr *)&ss, MHD_OPTION_CONNECTION_LIMIT, 32u,
				    MHD_OPTION_CONNECTION_TIMEOUT, 10u, MHD_OPTION_END);
	if (!m->httpd) {
		TP_ERR("metrics.listen: cannot serve HTTP on %s: %s", where,
		       errno ? strerror(errno) : "libmicrohttpd refused");
		pthread_mutex_destroy(&m->lock);
		free(m);
		return -1;
	}
	TP_INFO("metrics: http://%s/metrics", where);
	*out = m;
	return 0;
}

void
tp_metrics_publish(struct tp_metrics *m, const struct tp_metrics_snapshot *s)
{
	pthread_mutex_lock(&m->lock);
	m->snap = *s;
	pthread_mutex_unlock(&m->lock);
}

void
tp_metrics_close(struct tp_metrics *m)
{
	if (!m)
		return;
	MHD_stop_daemon(m->httpd);
	pthread_mutex_destroy(&m->lock);
	free(m);
}
