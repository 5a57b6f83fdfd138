/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's loop, one for every mode: epoll over a signalfd, the fds the dataplane
 * and any other component register (tp_loop_watch), the engine's clock and timers, the
 * dataplane's hooks (dataplane.h), the flow log and metrics (observe.h), and shutdown in
 * order. Idle, it sleeps in epoll_wait until an fd is ready or the next tick (250 ms): it
 * never spins, so it can share a core.
 *
 * One turn: the dataplane's poll; epoll_wait (not sleeping when poll found work); the clock;
 * each ready fd's callback (the priority ones again after every eight others, so that clients
 * are served before a flood of peers); the engine's timers; the dataplane's tick every 250
 * ms; what the transports queued leaves (tp_loop_on_turn_end), after the dataplane's flush;
 * the metrics once a second.
 */
#ifndef TP_LOOP_H
#define TP_LOOP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "dataplane.h"
#include "engine.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tp_loop;

/* Called when fd is ready, with the epoll events that made it so. */
typedef void (*tp_loop_fn)(void *arg, uint32_t events);

/* One registered fd: kept by its owner (its memory must outlive the registration). */
struct tp_loop_fd {
	tp_loop_fn fn;
	void *arg;
	int fd;
	bool priority;
};

#define TP_LOOP_PRIORITY 1u /* tp_loop_watch: served again after every eight other fds */

/* Watch fd for input (EPOLLIN), calling fn(arg) when it is ready. 0, or -errno. */
int tp_loop_watch(struct tp_loop *l, struct tp_loop_fd *w, int fd, tp_loop_fn fn, void *arg,
		  unsigned flags);
/* Watch w's fd for output too (EPOLLOUT), or no longer: a connection with bytes the kernel
 * would not take yet. 0, or -errno. */
int tp_loop_want_output(struct tp_loop *l, struct tp_loop_fd *w, bool on);
/* Watch w's fd for output alone, no longer for input: a reply waits to leave and what else
 * the peer sends (or its end of input) must not keep the loop awake. 0, or -errno. */
int tp_loop_output_only(struct tp_loop *l, struct tp_loop_fd *w);
/* Stop watching (before fd closes); an event of this turn still pending for it is dropped. */
void tp_loop_unwatch(struct tp_loop *l, struct tp_loop_fd *w);
/* fn(arg) at the end of every turn: a transport sends what it has queued. */
int tp_loop_on_turn_end(struct tp_loop *l, void (*fn)(void *arg), void *arg);

/* A transport is about to send: the dataplane's deferred table writes go in first, so that a
 * binding is in the tables before its answer is on the wire. */
void tp_loop_before_send(struct tp_loop *l);

/* What a transport received, into the engine: a datagram from client on the listen port
 * (timed: a request's time to its response goes into the latency histogram), and one from
 * peer on relayed address relay (bind address and port). */
void tp_loop_client_input(struct tp_loop *l, const struct tp_addr *client, const uint8_t *buf,
			  size_t len);
void tp_loop_peer_input(struct tp_loop *l, const struct tp_addr *relay, const struct tp_addr *peer,
			const uint8_t *buf, size_t len);

/* The engine's clock, monotonic milliseconds, as of this turn. */
uint64_t tp_loop_now_ms(const struct tp_loop *l);

/*
 * Run turnpike on dataplane dp until SIGINT or SIGTERM: open it, create the engine, start,
 * loop, then stop, destroy the engine (every binding leaves the tables) and close. SIGUSR1
 * logs the counters, SIGHUP reopens the flow log and reloads (tp_loop_reload), SIGUSR2 drains (no
 * new allocations; the run ends, with status 0, when the last one does or at drain.deadline).
 * Returns the process exit status.
 */
int tp_loop_run(struct tp_config *cfg, const char *path, const struct tp_dataplane *dp);

/* What turnpikectl (loop/admin.c) asks of a running loop. */

/* A reload's outcome: applied, or refused with the reason as --check-config words it. */
struct tp_reload_result {
	bool ok;
	char error[768];
	struct tp_config_changes changes;
	struct tp_engine_reload engine; /* what it ended among what the relay held */
};
/* Read the configuration file again and apply it (SIGHUP, turnpikectl reload): the file is
 * checked whole, and what it needs opened (TLS contexts, the flow log, the metrics endpoint)
 * is opened, before anything changes; a failure changes nothing. Keys that need a restart
 * keep their running values (tp_config_reconcile). Logged, and told to systemd. */
void tp_loop_reload(struct tp_loop *l, struct tp_reload_result *r);
/* Drain (SIGUSR2, turnpikectl drain): see tp_engine_drain. false when already draining. */
bool tp_loop_drain(struct tp_loop *l);

struct tp_loop_status {
	const char *mode, *config; /* config NULL: the built-in configuration */
	uint64_t uptime_ms;
	bool draining;
	uint64_t drain_deadline_ms; /* left until drain.deadline; 0: none */
};
struct tp_metrics_snapshot;
/* The loop's state, and the counters the metrics have, into snap. */
void tp_loop_status(struct tp_loop *l, struct tp_loop_status *st, struct tp_metrics_snapshot *snap);
struct tp_engine *tp_loop_engine(struct tp_loop *l);

#ifdef __cplusplus
}
#endif

#endif
