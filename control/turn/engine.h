/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TURN engine (RFC 8656 over UDP): allocations, permissions, channels, indications and
 * lifetimes. It does no I/O and reads no clock: datagrams and the time go in; responses,
 * relayed datagrams and table changes come out, through the dataplane's output and table ops
 * (dataplane.h). Every mode's control loop, the unit tests and the fuzzer drive this same
 * code.
 *
 * Data relayed through the engine (socket mode, or what a fast path hands up) follows the
 * same rules as the fast paths: a channel carries data only while its peer holds a
 * permission, ChannelData may carry up to 3 bytes of padding, and a datagram for one of the
 * relay's own addresses within the allocation port range is delivered to that allocation
 * directly (hairpin, one hop).
 */
#ifndef TP_ENGINE_H
#define TP_ENGINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "dataplane.h"
#include "flow.h"
#include "stun.h"

#ifdef __cplusplus
extern "C" {
#endif

/* How long a source past its answer budget is muted in the fast path (dataplane.h, mute). */
#define TP_ENGINE_MUTE_MS 1000

/* X(name, help): engine counters, exported under these names. */
#define TP_ENGINE_COUNTERS(X)                                                                   \
	X(rx_stun, "STUN messages received on the listen port")                                 \
	X(rx_channel_data, "ChannelData messages received from clients")                        \
	X(rx_peer, "datagrams received on relayed addresses")                                   \
	X(tx_response, "STUN responses sent")                                                   \
	X(relayed_to_peer, "datagrams relayed to peers")                                        \
	X(relayed_to_peer_bytes, "payload bytes relayed to peers")                              \
	X(relayed_to_client, "datagrams relayed to clients")                                    \
	X(relayed_to_client_bytes, "payload bytes relayed to clients")                          \
	X(hairpinned, "datagrams delivered from one allocation to another of this relay")       \
	X(data_indications, "Data indications sent")                                            \
	X(send_indications, "Send indications relayed")                                         \
	X(allocations_created, "allocations created")                                           \
	X(allocations_ipv4, "allocations created with an IPv4 relayed address")                 \
	X(allocations_ipv6, "allocations created with an IPv6 relayed address")                 \
	X(allocations_expired, "allocations that expired")                                      \
	X(allocations_deleted, "allocations deleted by Refresh with lifetime 0")                \
	X(allocations_closed, "allocations that ended with their client's connection")          \
	X(allocations_kicked, "allocations an operator ended (turnpikectl kick)")               \
	X(allocations_revoked, "allocations a reload ended: their user was removed or changed") \
	X(permissions_denied, "permissions a reload ended: their peer is refused now")          \
	X(allocations_redirected, "Allocates sent to an alternate server (300) while draining") \
	X(auth_challenges, "401 and 438 responses sent")                                        \
	X(answer_budget_evictions, "sources whose answer budget was forgotten to make room")    \
	X(drop_not_turn, "datagrams on the listen port that are neither STUN nor ChannelData")  \
	X(drop_malformed, "STUN messages refused by the parser")                                \
	X(drop_unexpected, "STUN messages of a method or class the relay does not serve")       \
	X(drop_no_allocation, "indications or ChannelData with no allocation")                  \
	X(drop_no_permission, "data for or from a peer without a permission")                   \
	X(drop_no_channel, "ChannelData on an unbound channel")                                 \
	X(drop_bad_channel_data, "ChannelData with a bad number or length")                     \
	X(drop_bad_send, "Send indications without a usable peer or data")                      \
	X(drop_hairpin, "data for the relay's own address with no allocation there")            \
	X(drop_relay_port, "data for the relay's own address outside the allocation range")     \
	X(drop_oversize, "data that does not fit the message toward the client")                \
	X(drop_tx, "relayed datagrams the dataplane could not send (it counts why)")            \
	X(drop_fastpath, "bindings the dataplane refused")                                      \
	X(drop_answer_budget, "unauthenticated answers not sent: the source's budget was spent")

struct tp_engine_stats {
#define X(n, h) uint64_t n;
	TP_ENGINE_COUNTERS(X)
#undef X
};

/* X(name, method): the requests counted by method and result. */
#define TP_REQUEST_METHODS(X)                           \
	X(binding, TP_STUN_BINDING)                     \
	X(allocate, TP_STUN_ALLOCATE)                   \
	X(refresh, TP_STUN_REFRESH)                     \
	X(create_permission, TP_STUN_CREATE_PERMISSION) \
	X(channel_bind, TP_STUN_CHANNEL_BIND)

enum tp_request_method {
#define X(n, m) TP_REQ_##n,
	TP_REQUEST_METHODS(X)
#undef X
		TP_REQ_COUNT
};

/* Results: success, or one of the error codes the codec declares. */
enum tp_request_result {
	TP_RES_SUCCESS,
#define X(c, n, s) TP_RES_##n,
	TP_STUN_ERRORS(X)
#undef X
		TP_RES_COUNT
};

/* Upper bounds of the request latency histogram's buckets, microseconds (+Inf follows). */
#define TP_LATENCY_BOUNDS_US 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 25000, 100000
#define TP_LATENCY_BUCKETS   13 /* the bounds above, and +Inf */

struct tp_engine_requests {
	uint64_t by[TP_REQ_COUNT][TP_RES_COUNT];
	/* Time from a request's arrival to its response, as the driver measured it. */
	uint64_t latency[TP_LATENCY_BUCKETS]; /* per bucket, not cumulative */
	uint64_t latency_count, latency_sum_ns;
};

const char *tp_request_method_name(enum tp_request_method m);
/* "success", or the error code as text ("401"). */
const char *tp_request_result_name(enum tp_request_result r);

/* Current table sizes. */
struct tp_engine_gauges {
	uint64_t allocations, relays, permissions, channels, reservations, users;
	/* Permission-only flows kept (for flow records, or the fast path), and those of them the
	 * dataplane carries. */
	uint64_t permission_flows, permission_flows_fast;
	uint64_t allocations_by_transport[TP_TRANSPORT_COUNT]; /* by the client's */
};

struct tp_engine;

/* An engine whose output and table changes go to dataplane dp (its context ctx). */
struct tp_engine *tp_engine_create(const struct tp_config *cfg, const struct tp_dataplane *dp,
				   void *ctx);
/* Frees every allocation, closing its relayed addresses through the fast-path ops. */
void tp_engine_destroy(struct tp_engine *eng);

/* The clocks for what follows: monotonic milliseconds, and Unix seconds for credentials. */
void tp_engine_set_time(struct tp_engine *eng, uint64_t mono_ms, int64_t unix_s);
/* The same, with Unix time in milliseconds (flow records carry milliseconds). */
void tp_engine_set_clock(struct tp_engine *eng, uint64_t mono_ms, int64_t unix_ms);
/* Where flow records go (flow.h); none until this is called. */
void tp_engine_set_flow_sink(struct tp_engine *eng, const struct tp_flow_sink *sink);

/* Permissions' flows (a permission's conversation with one peer transport address) one relayed
 * address hands to the dataplane at most: a peer that sends from many ports takes no more of
 * the counter slots than this; the engine relays the rest. (The slots are the dataplane's,
 * for channels and flows alike: many allocations can still fill them.) */
#define TP_PFLOWS_FAST_MAX 64
uint64_t tp_engine_now_ms(const struct tp_engine *eng);
/* Run the timers due at the current time. */
void tp_engine_tick(struct tp_engine *eng);

/*
 * Clients on a connection (TCP, TLS, DTLS: tp_addr_on_connection) are the loop's connections'
 * (loop/stream.h): what the engine sends them goes to send(ctx, client, message), true when
 * it went or is queued to. Their data never enters a fast path: the dataplane gets no channel
 * for them, and their peers' data comes up to the engine as permission-only traffic does.
 */
typedef bool (*tp_engine_send_fn)(void *ctx, const struct tp_addr *client, const void *buf,
				  size_t len);
void tp_engine_set_connections(struct tp_engine *eng, tp_engine_send_fn send, void *ctx);
/* client's connection closed: its allocation ends with it (flows: connection-closed). */
void tp_engine_connection_closed(struct tp_engine *eng, const struct tp_addr *client);
bool tp_engine_has_allocation(const struct tp_engine *eng, const struct tp_addr *client);

/* Draining: from now on an Allocate for a new allocation is answered 300 Try Alternate with
 * an ALTERNATE-SERVER of drain.alternate-servers in the client's family (and
 * ALTERNATE-DOMAIN over TLS), or 508 without one; what exists carries on. */
void tp_engine_drain(struct tp_engine *eng);
bool tp_engine_draining(const struct tp_engine *eng);

/* What an operator sees of and does to the engine (turn/operate.c): turnpikectl's
 * allocations and kick, and a reload's effects. */

/* One allocation, as turnpikectl allocations shows it; valid during the visit only. */
struct tp_alloc_view {
	const char *username; /* as the client sent it, NUL-terminated */
	struct tp_addr client;
	struct tp_addr relayed[TP_NFAM]; /* the public address; family NONE when not held */
	uint64_t age_ms, expires_ms;	 /* since it was made; until its last relay expires */
	unsigned npeers, nchannels;
	const struct tp_addr *peers;	 /* the permissions' IPs (port 0) */
	const struct tp_addr *channels;	 /* each channel's peer, its number in the port field */
	const uint16_t *channel_numbers; /* by channels' index */
	uint64_t packets[2], bytes[2];	 /* relayed, by enum tp_dir, whichever path carried it */
};

typedef void (*tp_alloc_view_fn)(void *arg, const struct tp_alloc_view *v);

/* fn for each allocation of user (NULL: any) from client (NULL: any; port 0: any port of its
 * IP; the transport is not compared), the first limit of them. How many matched in all (fn
 * saw min(that, limit)), or -ENOMEM. */
int tp_engine_list_allocations(struct tp_engine *eng, const char *user,
			       const struct tp_addr *client, unsigned limit, tp_alloc_view_fn fn,
			       void *arg);
/* End the allocations of user and client, matched as above (flows: kicked). How many ended. */
unsigned tp_engine_kick(struct tp_engine *eng, const char *user, const struct tp_addr *client);

/* What a reload did to what the engine holds. */
struct tp_engine_reload {
	unsigned allocations_revoked; /* their static user is gone or has new credentials */
	unsigned permissions_denied;  /* their peer is now refused (peers.*) */
};

/* The configuration the engine reads (the one it was created with, changed in place by a
 * reload) now holds a reload's values; old is what it held. From now on: the new credentials
 * and nonce lifetime, the unauthenticated answers' burst and rate. Allocations of a static user
 * that old had and the new one lacks, or has with another password or key, end (flows:
 * user-revoked); permissions for a peer the new peers.* refuses end, with their channels'
 * data (flows: peer-denied). Everything else applies as it is next read: limits and quotas
 * to the next request, lifetimes to the next refresh. */
void tp_engine_reconfigured(struct tp_engine *eng, const struct tp_config *old,
			    struct tp_engine_reload *out);

/* A datagram from client on the listen port: STUN or ChannelData. True when it was a request
 * that got its response (the caller's clock around this call is its latency). */
bool tp_engine_client_input(struct tp_engine *eng, const struct tp_addr *client, const uint8_t *buf,
			    size_t len);
/* A datagram from peer to relayed address relay (a bind address and port, or its public
 * address). */
void tp_engine_peer_input(struct tp_engine *eng, const struct tp_addr *relay,
			  const struct tp_addr *peer, const uint8_t *buf, size_t len);

const struct tp_engine_stats *tp_engine_stats(const struct tp_engine *eng);
const struct tp_engine_requests *tp_engine_requests(const struct tp_engine *eng);
/* A request's time from arrival to response, as the driver measured it: into the latency
 * histogram. */
void tp_engine_note_latency(struct tp_engine *eng, uint64_t ns);
void tp_engine_gauges(const struct tp_engine *eng, struct tp_engine_gauges *g);
void tp_engine_log_stats(const struct tp_engine *eng);

#ifdef __cplusplus
}
#endif

#endif
