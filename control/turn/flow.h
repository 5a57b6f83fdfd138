/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Flow records: who relayed to whom through this relay, for how long, and how much. A flow is
 * one channel binding, or one permission-only conversation with a peer (Send and Data
 * indications, no channel), within an allocation. The engine keeps each flow's counts: what
 * it relayed itself, plus what the dataplane counted while it held the binding (read through
 * the fast-path ops when the binding leaves the dataplane, and for interim records), so that
 * every packet is counted once, whichever path carried it. A hairpinned packet counts in both
 * allocations' flows: toward the peer in the sender's, toward the client in the receiver's.
 *
 * The engine hands finished (and, when configured, interim) records to a sink;
 * observe/flowlog.c is the sink that writes them as JSON lines.
 */
#ifndef TP_FLOW_H
#define TP_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "auth.h"

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, text, help): why a flow ended, as the records and the docs name it. */
#define TP_FLOW_ENDS(X)                                                                      \
	X(EXPIRED, "expired", "its channel binding or permission was not refreshed in time") \
	X(REFRESHED, "refreshed-to-zero", "the client deleted the allocation (Refresh 0)")   \
	X(ALLOCATION, "deleted-with-allocation",                                             \
	  "the allocation's lifetime ran out, and its flows went with it")                   \
	X(CONNECTION, "connection-closed",                                                   \
	  "the client's connection (TCP, TLS, DTLS) closed, and its allocation with it")     \
	X(KICKED, "kicked", "an operator ended its allocation (turnpikectl kick)")           \
	X(REVOKED, "user-revoked",                                                           \
	  "a reload took its user out of auth.users, or changed the user's password or key") \
	X(PEER_DENIED, "peer-denied",                                                        \
	  "a reload put its peer under peers.deny: its permission and channels ended")       \
	X(SHUTDOWN, "shutdown", "the relay stopped")

enum tp_flow_end {
#define X(n, s, h) TP_FLOW_END_##n,
	TP_FLOW_ENDS(X)
#undef X
		TP_FLOW_END_COUNT
};

const char *tp_flow_end_name(enum tp_flow_end e);

enum tp_flow_event {
	TP_FLOW_EVENT_END,     /* the flow is over: its totals */
	TP_FLOW_EVENT_INTERIM, /* a long flow still running: its totals so far */
};

struct tp_flow_record {
	uint64_t id; /* the flow's, shared by its interim and end records */
	uint8_t event;
	uint8_t end;	  /* enum tp_flow_end, for TP_FLOW_EVENT_END */
	uint16_t channel; /* 0 for a permission-only flow */
	struct tp_addr client;
	struct tp_addr relay; /* the relayed address the client was given (public) */
	struct tp_addr peer;
	int64_t start_ms, time_ms;     /* Unix milliseconds: the flow's start, and now (its end) */
	uint64_t packets[2], bytes[2]; /* by enum tp_dir: payload bytes, without headers */
	uint16_t username_len;
	char username[TP_USERNAME_MAX + 1]; /* as the client sent it: any bytes */
};

struct tp_flow_sink {
	void (*emit)(void *ctx, const struct tp_flow_record *r);
	void *ctx;
	unsigned interval; /* seconds between interim records of a long flow; 0: none */
};

#ifdef __cplusplus
}
#endif

#endif
