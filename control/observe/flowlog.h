/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow log: flow records (flow.h) as JSON lines, built with json-c, to a file, stdout or
 * syslog (flows.output). The control thread only copies a record into a bounded queue; a
 * writer thread of its own formats and writes it, so a slow disk or a flood of short flows
 * never stalls relaying or signalling. A record that finds the queue full is skipped and
 * counted, and the writer reports the skipped count in the log itself and in turnpike's log.
 * SIGHUP reopens the file (log rotation).
 */
#ifndef TP_FLOWLOG_H
#define TP_FLOWLOG_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "flow.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tp_flowlog;

/*
 * Open what flows.output names and start the writer. *out is NULL when flows.output is off.
 * Returns 0, or -1 with the reason logged (naming the key).
 */
int tp_flowlog_open(const struct tp_config *cfg, const char *dataplane, struct tp_flowlog **out);
/* The sink to give the engine. */
void tp_flowlog_sink(struct tp_flowlog *fl, struct tp_flow_sink *sink);
/* SIGHUP: reopen the file at the next write. */
void tp_flowlog_reopen(struct tp_flowlog *fl);
/* From here on a full queue waits for the writer instead of skipping: for the records of
 * the relay's own shutdown, which nothing else competes with. */
void tp_flowlog_drain_mode(struct tp_flowlog *fl);
void tp_flowlog_counts(struct tp_flowlog *fl, uint64_t *written, uint64_t *skipped);
/* Write what is queued, stop the writer, close. */
void tp_flowlog_close(struct tp_flowlog *fl);

/* One record as a JSON object on one line, no newline (malloc'd; NULL when out of memory). */
char *tp_flow_json(const struct tp_flow_record *r, const char *dataplane);

#ifdef __cplusplus
}
#endif

#endif
