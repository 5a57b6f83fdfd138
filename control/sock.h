/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket mode (dataplane.mode = "socket"): the kernel owns the NIC and the control thread
 * relays. One UDP socket per family on the listen port, one per relayed address, all in one
 * epoll set; the engine's timers run between batches. It is the reference dataplane, and what
 * the fast paths fall back to: xdp mode runs this same loop with its own fast-path ops, and
 * its sockets take whatever the XDP program hands to the kernel.
 */
#ifndef TP_SOCK_H
#define TP_SOCK_H

#include "config.h"
#include "fastpath.h"
#include "observe.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tp_sock;

/* What a dataplane built on these sockets (xdp mode) brings: its ops and its counters. */
struct tp_sock_dataplane {
	const char *name;
	const struct tp_fastpath_ops *ops;
	void *ctx;
	void (*log_stats)(void *ctx); /* on SIGUSR1 and at exit; may be NULL */
	tp_reasons_fn reasons;	      /* its verdict counters for the metrics; may be NULL */
	/*
	 * Called before anything the engine queued leaves: table writes the ops deferred (xdp
	 * mode batches its ChannelBinds') go in here, so that a binding is in the tables
	 * before its answer is on the wire. May be NULL.
	 */
	void (*before_send)(void *ctx);
};

/* Listen sockets, epoll and signals; NULL (logged) when they cannot be had. */
struct tp_sock *tp_sock_open(const struct tp_config *cfg);
/* One socket per relayed address: what the ops' relay_open/relay_close do here. */
int tp_sock_relay_open(struct tp_sock *s, const struct tp_addr *relay);
void tp_sock_relay_close(struct tp_sock *s, const struct tp_addr *relay);
/* Run the engine over dp until SIGINT or SIGTERM. Returns the process exit status. */
int tp_sock_loop(struct tp_sock *s, const struct tp_sock_dataplane *dp);
void tp_sock_close(struct tp_sock *s);

/* Socket mode: open, loop with the sockets as the whole dataplane, close. */
int tp_sock_run(const struct tp_config *cfg);

#ifdef __cplusplus
}
#endif

#endif
