/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Prometheus metrics over HTTP (metrics.listen), served by libmicrohttpd's own thread. The
 * control thread publishes a snapshot of its counters about once a second; the HTTP thread
 * formats the latest snapshot for each GET /metrics, so a scrape never touches the engine.
 * Every label set is bounded: by method and result, by direction, by verdict reason, never
 * by allocation, user or address.
 */
#ifndef TP_METRICS_H
#define TP_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "engine.h"
#include "stream.h"
#include "tp_verdict.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TP_METRICS_COUNTERS 32

struct tp_metrics_snapshot {
	struct tp_engine_stats eng;
	struct tp_engine_gauges gauges;
	uint64_t allocations_limit; /* limits.max-allocations */
	bool draining;
	uint64_t reloads[2]; /* applied, refused */
	unsigned workers;    /* the dataplane's relaying threads (dpdk's worker lcores) */
	struct tp_engine_requests requests;
	/* The fast path's verdicts (xdp, dpdk), summed over CPUs or lcores. */
	bool fastpath;
	struct {
		uint64_t packets, bytes;
	} reasons[TP_R_COUNT];
	bool flows;
	uint64_t flows_written, flows_skipped;
	struct tp_conn_stats conns; /* TCP and TLS connections (loop/stream.h) */
	/* The dataplane's own counters (its port, workers and host side), each exported as
	 * turnpike_<dataplane>_<name>_total; name and help are static strings. */
	unsigned ncounters;
	struct tp_metrics_counter {
		const char *name, *help;
		uint64_t value;
	} counters[TP_METRICS_COUNTERS];
};

struct tp_metrics;

/* Start serving when metrics.listen is set (*out NULL otherwise). 0, or -1 (logged). */
int tp_metrics_open(const struct tp_config *cfg, const char *dataplane, struct tp_metrics **out);
void tp_metrics_publish(struct tp_metrics *m, const struct tp_metrics_snapshot *s);
void tp_metrics_close(struct tp_metrics *m);

/* One of the dataplane's own counters into s (name and help static; past
 * TP_METRICS_COUNTERS, left out). */
void tp_metrics_add_counter(struct tp_metrics_snapshot *s, const char *name, const char *help,
			    uint64_t value);

/* The exposition text for s (malloc'd, NUL-terminated; NULL when out of memory). */
char *tp_metrics_format(const struct tp_metrics_snapshot *s, const char *dataplane);

#ifdef __cplusplus
}
#endif

#endif
