/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TURN over TCP, TLS and DTLS (RFC 8656 section 3.1), on kernel sockets driven by the control
 * loop (in dpdk mode, on its kernel interface: dataplane/dp_kernel.c): a listener per enabled
 * transport and family (relay.tcp, relay.tls, relay.dtls), and the connections they accept, all on
 * the loop. A connection's bytes are cut into messages by the framer (turn/framer.h; on DTLS a
 * record is a message) and go to the engine as a datagram from the client would, its client address
 * carrying the transport (tp_addr.transport); what the engine sends back is queued on the
 * connection and leaves at the end of the turn, a record a message on TLS and DTLS. TLS and DTLS
 * are OpenSSL's (libssl), non-blocking. A DTLS client gets a connection (a UDP socket of its own,
 * connected to it) only once its ClientHello has returned the listener's cookie.
 *
 * Bounded by limits.*: connections at once and per source IP (past either, a new connection
 * is closed as soon as it is accepted, and counted), the TLS handshake's time, and the time a
 * connection may go without an allocation; per connection, one message in the making (64 KiB
 * at most) and TX_MAX bytes waiting to leave (past that, a message is dropped and counted). A
 * connection that closes, for any reason, ends its allocation (flows: connection-closed).
 */
#ifndef TP_STREAM_H
#define TP_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "loop.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tp_engine;

enum tp_conn_state {
	TP_CONN_HANDSHAKE,   /* TLS, DTLS: the handshake under way */
	TP_CONN_ESTABLISHED, /* messages flow */
	TP_CONN_STATE_COUNT
};

/* X(name, text): why a connection closed, as the metrics name it. */
#define TP_CONN_CLOSES(X)                                                                     \
	X(CLIENT, "client") /* the client closed it, or reset it */                           \
	X(IDLE, "idle")	    /* limits.connection-idle without an allocation */                \
	X(HANDSHAKE_TIMEOUT, "handshake-timeout") /* limits.handshake-timeout */              \
	X(HANDSHAKE_FAILED, "handshake-failed")	  /* (D)TLS refused the client's handshake */ \
	X(NOT_TURN, "not-turn") /* bytes that are neither STUN nor ChannelData */             \
	X(ERROR, "error")	/* the socket failed, or memory ran short */                  \
	X(SHUTDOWN, "shutdown") /* the relay stopped */

enum tp_conn_close {
#define X(n, s) TP_CONN_CLOSE_##n,
	TP_CONN_CLOSES(X)
#undef X
		TP_CONN_CLOSE_COUNT
};

const char *tp_conn_close_name(enum tp_conn_close c);
const char *tp_conn_state_name(enum tp_conn_state s);

/* The connections' counters, for the metrics. */
struct tp_conn_stats {
	uint64_t open[TP_TRANSPORT_COUNT][TP_CONN_STATE_COUNT]; /* now */
	uint64_t accepted[TP_TRANSPORT_COUNT];
	uint64_t closed[TP_CONN_CLOSE_COUNT];
	uint64_t tls_handshakes_ok, tls_handshakes_failed; /* failed: refused or timed out */
	uint64_t limit_total, limit_source;		   /* connections refused at each limit */
	uint64_t tx_dropped;	/* messages not queued: the connection's TX_MAX was reached */
	uint64_t accept_paused; /* times a listener rested for want of descriptors */
};

struct tp_streams;

/* The listeners relay.tcp and relay.tls ask for (none: an empty set), on loop. NULL (logged,
 * naming the key and, for TLS, OpenSSL's reason) when they cannot be had. */
struct tp_streams *tp_streams_open(const struct tp_config *cfg, struct tp_loop *loop);
/* Messages go to eng, which sends through tp_streams_send; NULL: the engine is going (a
 * connection that closes after that leaves the allocations to it). */
void tp_streams_attach(struct tp_streams *s, struct tp_engine *eng);
/* The engine's output for a connection's client: queued, to leave at the end of the turn.
 * false when there is no such connection, it is not established, or its queue is full. */
bool tp_streams_send(void *ctx, const struct tp_addr *client, const void *buf, size_t len);
/* Every tick: handshakes and idle connections past their time closed. */
void tp_streams_tick(struct tp_streams *s, uint64_t now_ms);
void tp_streams_stats(const struct tp_streams *s, struct tp_conn_stats *out);
/* Connections open, in any state. */
unsigned tp_streams_count(const struct tp_streams *s);
/* A reload, in two steps: prepare makes relay.tls's and relay.dtls's contexts again from next
 * (their files read again; 0, or -1 logged with the key and OpenSSL's reason), commit puts them
 * in use for the handshakes that follow (connections already made keep theirs), abort drops
 * them. The listeners and the rest of next are read as they are used. */
int tp_streams_prepare(struct tp_streams *s, const struct tp_config *next);
void tp_streams_commit(struct tp_streams *s);
void tp_streams_abort(struct tp_streams *s);
/* Every connection and listener closed. */
void tp_streams_close(struct tp_streams *s);

#ifdef __cplusplus
}
#endif

#endif
