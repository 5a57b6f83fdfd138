/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow log and the metrics endpoint around a control loop (see observe.h).
 */
#include "observe.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"

int
tp_observe_open(struct tp_observe *o, const struct tp_config *cfg, const struct tp_dataplane *dp,
		void *dp_ctx)
{
	memset(o, 0, sizeof(*o));
	o->cfg = cfg;
	o->dp = dp;
	o->dp_ctx = dp_ctx;
	if (tp_flowlog_open(cfg, dp->name, &o->flows) < 0 ||
	    tp_metrics_open(cfg, dp->name, &o->metrics) < 0) {
		tp_observe_close(o);
		return -1;
	}
	return 0;
}

void
tp_observe_attach(struct tp_observe *o, struct tp_engine *eng)
{
	struct tp_flow_sink sink = { 0 };

	if (o->flows)
		tp_flowlog_sink(o->flows, &sink);
	tp_engine_set_flow_sink(eng, &sink);
}

void
tp_observe_snapshot(const struct tp_observe *o, const struct tp_engine *eng,
		    const struct tp_streams *streams, struct tp_metrics_snapshot *s)
{
	memset(s, 0, sizeof(*s));
	s->eng = *tp_engine_stats(eng);
	tp_engine_gauges(eng, &s->gauges);
	s->allocations_limit = o->cfg->max_allocations;
	s->draining = tp_engine_draining(eng);
	s->requests = *tp_engine_requests(eng);
	s->reloads[0] = o->reloads_ok;
	s->reloads[1] = o->reloads_failed;
	tp_streams_stats(streams, &s->conns);
	if (o->dp->counters)
		o->dp->counters(o->dp_ctx, s);
	if (o->flows) {
		s->flows = true;
		tp_flowlog_counts(o->flows, &s->flows_written, &s->flows_skipped);
	}
}

void
tp_observe_tick(struct tp_observe *o, const struct tp_engine *eng, const struct tp_streams *streams,
		uint64_t now_ms)
{
	struct tp_metrics_snapshot *s;

	if (!o->metrics || now_ms < o->next_publish_ms)
		return;
	o->next_publish_ms = now_ms + 1000;
	/* Some kilobytes: not on the control thread's stack. */
	if (!(s = malloc(sizeof(*s))))
		return;
	tp_observe_snapshot(o, eng, streams, s);
	tp_metrics_publish(o->metrics, s);
	free(s);
}

void
tp_observe_hup(struct tp_observe *o)
{
	if (o->flows)
		tp_flowlog_reopen(o->flows);
	else
		TP_DEBUG("SIGHUP: no flow log file to reopen");
}

int
tp_observe_prepare(struct tp_observe *o, const struct tp_config *next, const struct tp_engine *eng,
		   const struct tp_streams *streams)
{
	const struct tp_config *cfg = o->cfg;

	tp_observe_abort(o);
	o->new_flows = strcmp(cfg->flows.output, next->flows.output) != 0 ||
		       cfg->flows.interval != next->flows.interval ||
		       cfg->flows.queue != next->flows.queue;
	o->new_metrics = !tp_addr_eq(&cfg->metrics.listen, &next->metrics.listen);
	if ((o->new_flows && tp_flowlog_open(next, o->dp->name, &o->next_flows) < 0) ||
	    (o->new_metrics && tp_metrics_open(next, o->dp->name, &o->next_metrics) < 0)) {
		tp_observe_abort(o);
		return -1;
	}
	/* Never a scrape of zeros (a counter reset, to Prometheus) from the new endpoint. */
	if (o->next_metrics) {
		struct tp_metrics_snapshot *s = malloc(sizeof(*s));

		if (s) {
			tp_observe_snapshot(o, eng, streams, s);
			tp_metrics_publish(o->next_metrics, s);
			free(s);
		}
	}
	return 0;
}

void
tp_observe_commit(struct tp_observe *o, struct tp_engine *eng)
{
	if (o->new_flows) {
		struct tp_flowlog *old = o->flows;

		o->flows = o->next_flows;
		tp_observe_attach(o, eng);
		tp_flowlog_close(old);
	}
	if (o->new_metrics) {
		tp_metrics_close(o->metrics);
		o->metrics = o->next_metrics;
		o->next_publish_ms = 0;
	}
	o->new_flows = o->new_metrics = false;
	o->next_flows = NULL;
	o->next_metrics = NULL;
}

void
tp_observe_abort(struct tp_observe *o)
{
	tp_flowlog_close(o->next_flows);
	tp_metrics_close(o->next_metrics);
	o->new_flows = o->new_metrics = false;
	o->next_flows = NULL;
	o->next_metrics = NULL;
}

void
tp_observe_drain(struct tp_observe *o)
{
	if (o->flows)
		tp_flowlog_drain_mode(o->flows);
}

void
tp_observe_close(struct tp_observe *o)
{
	tp_observe_abort(o);
	tp_flowlog_close(o->flows);
	tp_metrics_close(o->metrics);
	o->flows = NULL;
	o->metrics = NULL;
}
