/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What an operator watches, for every dataplane alike: the flow log (flowlog.h) and the
 * metrics endpoint (metrics.h), both optional. The control loop opens them before the engine
 * exists, attaches the engine, ticks them, passes SIGHUP on, and closes them once the engine
 * has written its last flows.
 */
#ifndef TP_OBSERVE_H
#define TP_OBSERVE_H

#include <stdint.h>

#include "config.h"
#include "dataplane.h"
#include "engine.h"
#include "flowlog.h"
#include "metrics.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tp_observe {
	const struct tp_config *cfg;
	const struct tp_dataplane *dp; /* its name and verdict counters (reasons) */
	void *dp_ctx;
	struct tp_flowlog *flows;
	struct tp_metrics *metrics;
	uint64_t next_publish_ms;
	uint64_t reloads_ok, reloads_failed; /* counted by the loop */
	/* A reload's (tp_observe_prepare), until it commits: what it replaces them with. */
	bool new_flows, new_metrics;
	struct tp_flowlog *next_flows;
	struct tp_metrics *next_metrics;
};

/* Open what the config asks for, for dataplane dp. 0, or -1 (logged, naming the key): do not
 * start. */
int tp_observe_open(struct tp_observe *o, const struct tp_config *cfg,
		    const struct tp_dataplane *dp, void *dp_ctx);
/* Flow records from eng go to the flow log. */
void tp_observe_attach(struct tp_observe *o, struct tp_engine *eng);
/* Publish the metrics when a second has passed since the last time: the engine's, the
 * dataplane's and the connections' (streams) counters. */
void tp_observe_tick(struct tp_observe *o, const struct tp_engine *eng,
		     const struct tp_streams *streams, uint64_t now_ms);
/* What the metrics publish, now, into s. */
void tp_observe_snapshot(const struct tp_observe *o, const struct tp_engine *eng,
			 const struct tp_streams *streams, struct tp_metrics_snapshot *s);
/* SIGHUP: reopen the flow log's file. */
void tp_observe_hup(struct tp_observe *o);
/* A reload, in two steps. prepare opens, beside what runs, what next changes: a flow log with
 * other flows.* settings, a metrics endpoint on another metrics.listen (0, or -1 logged with
 * the key; a new endpoint serves eng's and streams' figures from the start). commit puts them in
 * use (the flow log replaced writes out what it holds first, and eng's records go to the new one),
 * abort drops them. */
int tp_observe_prepare(struct tp_observe *o, const struct tp_config *next,
		       const struct tp_engine *eng, const struct tp_streams *streams);
void tp_observe_commit(struct tp_observe *o, struct tp_engine *eng);
void tp_observe_abort(struct tp_observe *o);
/* Before the engine goes: its shutdown records wait for room rather than being skipped. */
void tp_observe_drain(struct tp_observe *o);
void tp_observe_close(struct tp_observe *o);

#ifdef __cplusplus
}
#endif

#endif
