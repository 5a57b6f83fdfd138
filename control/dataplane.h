/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The dataplane contract: what socket, xdp and dpdk mode each implement, and all that the
 * control loop (loop/loop.c) and the TURN engine (turn/engine.c) know of them. main() picks
 * one by dataplane.mode and hands it to tp_loop_run(), which calls it in this order:
 *
 *   open    before the engine exists: take the NIC or the sockets, register the fds the
 *           loop is to wait on (tp_loop_watch)
 *   start   the engine exists: begin relaying (dpdk launches its workers)
 *           ... the loop runs: the engine calls the output and table ops, the loop the hooks
 *   stop    relaying ends (dpdk's workers stop: their counters are final)
 *           ... the engine goes; every binding leaves through chan_del and relay_close
 *   close   everything open took
 *
 * A binding is in the tables before the success response that announces it leaves: chan_add
 * writes it, or queues it for flush, which the loop runs before anything leaves.
 *
 * A channel is handed to the dataplane only while its peer also holds a permission: the fast
 * path then needs no permission lookup of its own, and both directions stop together when
 * the permission lapses. So is a permission's flow (perm_add): a peer transport address
 * that holds a permission and has exchanged a datagram through the engine, whose further
 * data the fast path relays both ways: the client's Send indications to the peer (the send
 * table) and the peer's data to the client as Data indications (the permission table). The table
 * entries themselves are dataplane/core's structs, declared once (tp_binding.h) and filled by
 * tp_dataplane_entries().
 */
#ifndef TP_DATAPLANE_H
#define TP_DATAPLANE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "tp_binding.h"

struct tp_core_cfg;
struct tp_engine;
struct tp_loop;
struct tp_metrics_snapshot;

#ifdef __cplusplus
extern "C" {
#endif

/* A binding as the engine hands it to the dataplane: a channel, or a permission's flow. */
struct tp_binding {
	struct tp_addr client; /* the client's transport address (5-tuple, server side implied) */
	struct tp_addr relay;  /* the allocation's relayed address: bind address and port */
	struct tp_addr peer;   /* the bound peer transport address */
	uint16_t channel;      /* 0 for a permission's flow */
	uint32_t id;	     /* the engine's number for the binding, unique while it lives (logs) */
	uint8_t relay_index; /* which of the family's relayed addresses relay is (the tables key
			      * on it: relay.ipv4.bind's order) */
};

struct tp_dataplane {
	const char *name; /* as dataplane.mode names it */

	/* Lifecycle. open returns the dataplane's context, or NULL (logged: do not start). */
	void *(*open)(const struct tp_config *cfg, struct tp_loop *loop);
	int (*start)(void *ctx, struct tp_engine *eng); /* may be NULL; -1: do not run */
	void (*stop)(void *ctx);			/* may be NULL */
	void (*close)(void *ctx);

	/* The engine's output. A response, Data indication or ChannelData for client, from the
	 * listen port; relayed data for peer from the relayed address relay (bind address and
	 * port). df asks for the IPv4 DF bit: only a Send indication with DONT-FRAGMENT sets it
	 * (RFC 8656 section 14, the alternate behaviour, since a socket cannot see the incoming
	 * DF bit). true when the datagram left, or is queued to leave (its next hop being
	 * resolved, say); false when the dataplane dropped it (and counted that): the engine
	 * counts, in its flows too, only what goes. */
	bool (*to_client)(void *ctx, const struct tp_addr *client, const void *buf, size_t len);
	bool (*to_peer)(void *ctx, const struct tp_addr *relay, const struct tp_addr *peer,
			const void *buf, size_t len, bool df);

	/* Tables. A relayed address claimed (-EADDRINUSE makes the engine try another port) and
	 * released; channel bindings in both directions (NULL: the dataplane keeps no tables);
	 * chan_counts: what the dataplane relayed for c since chan_add, summed over its lcores or
	 * CPUs, read just before chan_del (the flow's totals) and for interim flow records.
	 * Returns 0, or -errno (counts zeroed) when c is not held. */
	int (*relay_open)(void *ctx, const struct tp_addr *relay);
	void (*relay_close)(void *ctx, const struct tp_addr *relay);
	int (*chan_add)(void *ctx, const struct tp_binding *c);
	void (*chan_del)(void *ctx, const struct tp_binding *c);
	int (*chan_counts)(void *ctx, const struct tp_binding *c, struct tp_binding_stat *out);
	/* A permission's flow (channel 0) into the send and permission tables, and out; its
	 * counts as chan_counts'. NULL: the engine relays every Send and Data indication. */
	int (*perm_add)(void *ctx, const struct tp_binding *b);
	void (*perm_del)(void *ctx, const struct tp_binding *b);
	int (*perm_counts)(void *ctx, const struct tp_binding *b, struct tp_binding_stat *out);
	/* source (an IPv4 address, an IPv6 /64: tp_muted_key) is past its answer budget: the
	 * fast path may drop its STUN to the listen port for the next ms milliseconds, as the
	 * engine would drop its answers (NULL: every request reaches the engine). */
	void (*mute)(void *ctx, const struct tp_addr *source, unsigned ms);

	/* Loop hooks, each may be NULL. The fds the loop waits on are the ones open registered.
	 *   poll   work that arrives without an fd event (dpdk's punt ring): done, and how much;
	 *          the loop sleeps only after a poll that found none
	 *   sleep  just before the loop sleeps: false when work came meanwhile (do not sleep)
	 *   wake   just after it slept
	 *   tick   every 250 ms
	 *   flush  table writes the ops deferred go in: run before anything leaves */
	unsigned (*poll)(void *ctx);
	bool (*sleep)(void *ctx);
	void (*wake)(void *ctx);
	void (*tick)(void *ctx, uint64_t now_ms);
	void (*flush)(void *ctx);

	/* Observability: the counters for the metrics (the fast path's verdicts into s->reasons,
	 * setting s->fastpath; the dataplane's own into s->counters); the dataplane's counters
	 * into the log, on SIGUSR1 and at exit. */
	void (*counters)(void *ctx, struct tp_metrics_snapshot *s);
	void (*log_stats)(void *ctx);
};

/* loop/socket.c: the control thread relays through one socket per relayed address. */
extern const struct tp_dataplane tp_socket_dataplane;
/* xdp-fallback/: an XDP program relays, the sockets take what it passes on. */
extern const struct tp_dataplane tp_xdp_dataplane;
/* dataplane/: DPDK owns the NIC; worker lcores relay, the control thread does the rest. */
extern const struct tp_dataplane tp_dpdk_dataplane;

/* For the table-keeping dataplanes: the fast path's run-time configuration (dataplane/core)
 * from turnpike's, and the entries they write for binding c in dataplane/core's declared
 * layout, the channel table's (client side) and the peer or permission table's (peer side),
 * slots 0. */
void tp_dataplane_core_cfg(const struct tp_config *cfg, struct tp_core_cfg *core);
void tp_dataplane_entries(const struct tp_binding *c, struct tp_chan_key *ck,
			  struct tp_chan_val *cv, struct tp_peer_key *pk, struct tp_peer_val *pv);
/* The send table's key of permission flow b (channel 0); its value is the channel table's, as
 * tp_dataplane_entries() fills it. */
void tp_dataplane_send_key(const struct tp_binding *b, struct tp_send_key *sk);
/* The key under which the fast paths hold source muted (mute): its IPv4 address or IPv6 /64. */
void tp_dataplane_muted_key(const struct tp_addr *source, struct tp_muted_key *k);

#ifdef __cplusplus
}
#endif

#endif
