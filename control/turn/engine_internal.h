/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The engine's own structures, shared by engine.c (input, replies, relaying), alloc.c
 * (Allocate, Refresh, ports, reservations, quotas), permission.c, channel.c and flow.c.
 *
 * Ownership: an allocation owns one relay per family it holds; a relay owns its permissions
 * and channels. Every object with a lifetime carries its own timer in the engine's wheel.
 */
#ifndef TP_ENGINE_INTERNAL_H
#define TP_ENGINE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "auth.h"
#include "engine.h"
#include "htab.h"
#include "list.h"
#include "stun.h"
#include "timer.h"

#define TP_CHANNEL_MIN	  0x4000
#define TP_CHANNEL_MAX	  0x7FFF /* RFC 8656 narrows to 0x4FFF; RFC 5766 clients use up to here */
#define TP_TOKEN_LEN	  8
#define TP_RESERVATION_MS (30 * 1000) /* RFC 8656 section 7.2: at least 30 seconds */
#define TP_OUT_MAX	  (TP_STUN_MAX_MSG + 64)

struct tp_alloc;

/* A flow's own state (flow.h): in its channel, or in a permission-only flow. */
struct tp_flow {
	uint64_t id;
	int64_t start_ms;	       /* Unix */
	uint64_t packets[2], bytes[2]; /* by enum tp_dir: engine-relayed plus folded fast path */
	struct tp_timer interim;
};

/* A permission-only flow: an allocation's conversation with one peer transport address. */
struct tp_pflow_key {
	uint32_t alloc_id;
	uint8_t family;
	uint8_t reserved;
	uint16_t port; /* the peer's */
	uint8_t ip[16];
};
_Static_assert(sizeof(struct tp_pflow_key) == 24, "padding-free key");

struct tp_pflow {
	struct tp_hnode node;
	struct tp_pflow_key key;
	struct tp_list link; /* relay's pflows */
	struct tp_alloc *alloc;
	struct tp_addr peer;
	struct tp_flow flow;
	bool in_dataplane; /* the dataplane's permission table holds it (perm_add) */
	bool refused;	   /* the dataplane refused it (perm_add failed): not asked again */
};

struct tp_user {
	struct tp_hnode node;
	char id[TP_USERNAME_MAX + 1]; /* key: zero-padded */
	unsigned allocations;
};

/* A relayed transport address: which of the family's addresses (relay.ipvX.bind), and port. */
struct tp_port {
	uint8_t relay_index;
	uint16_t port;
};

/* Permissions and channels by relayed address (family, which address, port) and peer. */
struct tp_perm_key {
	uint8_t family;
	uint8_t relay_index;
	uint16_t port; /* relay port */
	uint8_t ip[16];
};
_Static_assert(sizeof(struct tp_perm_key) == 20, "padding-free key");

struct tp_perm {
	struct tp_hnode node;
	struct tp_perm_key key;
	struct tp_list link; /* relay's perms */
	struct tp_alloc *alloc;
	struct tp_timer timer;
	struct tp_addr ip; /* peer IP, port 0 */
};

struct tp_chan_num_key {
	uint32_t alloc_id;
	uint16_t channel;
	uint16_t reserved;
};

struct tp_chan_peer_key {
	uint8_t family;
	uint8_t relay_index;
	uint16_t port; /* relay port */
	struct tp_addr peer;
};
_Static_assert(sizeof(struct tp_chan_peer_key) == 24, "padding-free key");

struct tp_chan {
	struct tp_hnode by_num;
	struct tp_chan_num_key num_key;
	struct tp_hnode by_peer;
	struct tp_chan_peer_key peer_key;
	struct tp_list link; /* relay's chans */
	struct tp_alloc *alloc;
	struct tp_timer timer;
	uint16_t channel;
	struct tp_addr peer;
	uint32_t id;
	bool active;	   /* its peer holds a permission: it carries data */
	bool in_dataplane; /* the dataplane holds it (active, and not toward the relay itself) */
	struct tp_flow flow;
};

struct tp_relay {
	struct tp_alloc *alloc;
	uint8_t relay_index; /* which of the family's relayed addresses */
	uint16_t port;	     /* 0 when the allocation holds no address in this family */
	struct tp_timer timer;
	struct tp_list perms, chans, pflows;
	unsigned nperms, nchans;
	unsigned npflows_fast; /* pflows in the dataplane */
};

struct tp_alloc {
	struct tp_hnode node;
	struct tp_addr client; /* key */
	struct tp_list link;   /* eng->allocs_list */
	struct tp_engine *eng;
	struct tp_user *user;
	uint32_t id;
	uint64_t created_ms;	      /* the engine's clock */
	uint8_t tid[TP_STUN_TID_LEN]; /* the Allocate that made it, to spot retransmissions */
	bool has_token;
	uint8_t token[TP_TOKEN_LEN];
	int address_error; /* ADDRESS-ERROR-CODE of a partly granted dual allocation */
	uint8_t address_error_family;
	uint16_t username_len;
	char *username;
	struct tp_relay relay[TP_NFAM];
	unsigned nchans; /* across families: channel numbers are per allocation */
};

/* Allocation a's relayed address in family index f. */
static inline struct tp_port
tp_relay_port(const struct tp_alloc *a, int f)
{
	return (struct tp_port){ a->relay[f].relay_index, a->relay[f].port };
}

struct tp_reservation {
	struct tp_hnode node;
	uint8_t token[TP_TOKEN_LEN]; /* key */
	struct tp_engine *eng;
	struct tp_timer timer;
	uint8_t family;
	struct tp_port at;
};

enum tp_port_state {
	TP_PORT_FREE,
	TP_PORT_ALLOC,
	TP_PORT_RESERVED,
};

struct tp_engine {
	const struct tp_config *cfg;
	const struct tp_dataplane *dp;
	void *dp_ctx;
	tp_engine_send_fn conn_send; /* clients on a connection (tp_engine_set_connections) */
	void *conn_ctx;
	struct tp_auth *auth;
	struct tp_answer_budget *answer_budget; /* unauthenticated answers, per source */

	uint64_t now_ms;
	int64_t unix_s;
	struct tp_wheel wheel;

	struct tp_htab allocs; /* by client address */
	struct tp_list allocs_list;
	struct tp_htab users;
	struct tp_htab perms;
	struct tp_htab chans_by_num, chans_by_peer;
	struct tp_htab reservations;
	uint32_t next_alloc_id, next_chan_id;
	uint64_t nallocs, nrelays, npermissions, nchannels;
	uint64_t npflows_fast; /* permission-only flows in the dataplane */
	uint64_t nallocs_by_transport[TP_TRANSPORT_COUNT];
	bool draining;
	unsigned next_alternate; /* drain.alternate-servers, taken in turn */

	/* Per family, per relayed address and port (tp_port_at): who holds it. Lookups by
	 * relayed address are one index. ports_held: the ports each address holds, allocated or
	 * reserved (claim_port spreads allocations by it). */
	uint8_t *port_state[TP_NFAM];
	struct tp_alloc **port_alloc[TP_NFAM];
	unsigned ports_held[TP_NFAM][TP_CFG_MAX_RELAY_ADDRS];
	uint8_t next_relay_addr[TP_NFAM]; /* claim_port's turn among addresses that tie */

	struct tp_engine_stats stats;
	struct tp_engine_requests requests;

	/* Flows: where records go, and why the flows ending now end (default: expired). */
	struct tp_flow_sink sink;
	struct tp_htab pflows;
	uint64_t next_flow_id;
	enum tp_flow_end ending;
	int64_t unix_ms;
	uint8_t ind_tid[TP_STUN_TID_LEN]; /* Data indications: random prefix, counter behind */
	uint8_t out[TP_OUT_MAX];
};

/* A response under construction: the request it answers and how it authenticated. */
struct tp_reply {
	struct tp_stun_builder b;
	const struct tp_stun_msg *req;
	const struct tp_auth_result *auth; /* NULL when unauthenticated */
	const struct tp_addr *client;
	int code; /* the error code, 0 for success */
};

/* engine.c */
/* A message for client, by its transport: the dataplane's output for UDP, the connection's
 * otherwise. Whether it went. */
bool tp_to_client(struct tp_engine *eng, const struct tp_addr *client, const void *buf, size_t len);
void tp_reply_begin(struct tp_engine *eng, struct tp_reply *r, const struct tp_stun_msg *req,
		    const struct tp_auth_result *auth, const struct tp_addr *client, bool error);
void tp_reply_send(struct tp_engine *eng, struct tp_reply *r);
/* A success response with nothing beyond what every response carries. */
void tp_reply_ok(struct tp_engine *eng, const struct tp_stun_msg *req,
		 const struct tp_auth_result *auth, const struct tp_addr *client);
void tp_reply_error(struct tp_engine *eng, const struct tp_stun_msg *req,
		    const struct tp_auth_result *auth, const struct tp_addr *client, int code);
struct tp_addr tp_relay_addr(const struct tp_engine *eng, const struct tp_alloc *a, int f,
			     bool public_);

/* alloc.c */
size_t tp_port_at(unsigned index, uint16_t port);
void tp_handle_allocate(struct tp_engine *eng, const struct tp_stun_msg *m,
			const struct tp_auth_result *auth, const struct tp_addr *client);
void tp_handle_refresh(struct tp_engine *eng, struct tp_alloc *a, const struct tp_stun_msg *m,
		       const struct tp_auth_result *auth);
struct tp_alloc *tp_alloc_find(const struct tp_engine *eng, const struct tp_addr *client);
void tp_alloc_free(struct tp_alloc *a);
/* Free a, its flows' records saying why they ended. */
void tp_alloc_end(struct tp_alloc *a, enum tp_flow_end why);
void tp_reservation_free(struct tp_reservation *r);
/* Close and free every reservation (shutdown). */
void tp_engine_reservations_fini(struct tp_engine *eng);
int tp_engine_ports_init(struct tp_engine *eng);
void tp_engine_ports_fini(struct tp_engine *eng);

/* permission.c */
void tp_handle_create_permission(struct tp_engine *eng, struct tp_alloc *a,
				 const struct tp_stun_msg *m, const struct tp_auth_result *auth);
struct tp_perm *tp_perm_find(const struct tp_engine *eng, uint8_t family, struct tp_port at,
			     const struct tp_addr *peer);
/* Install or refresh the permission for peer's IP on relay f of a. 0, or -errno. */
int tp_perm_install(struct tp_alloc *a, int f, const struct tp_addr *peer);
void tp_perm_free(struct tp_perm *p);
/* The checks every peer address in a request passes: family (443), then policy (403).
 * 0, or the error code. */
int tp_request_peer_check(const struct tp_engine *eng, const struct tp_alloc *a,
			  const struct tp_addr *peer);

/* channel.c */
/* What c has relayed so far: its flow's counts plus what the dataplane holds for it. */
void tp_chan_counts(const struct tp_chan *c, uint64_t packets[2], uint64_t bytes[2]);
void tp_handle_channel_bind(struct tp_engine *eng, struct tp_alloc *a, const struct tp_stun_msg *m,
			    const struct tp_auth_result *auth);
struct tp_chan *tp_chan_find_num(const struct tp_engine *eng, const struct tp_alloc *a,
				 uint16_t channel);
struct tp_chan *tp_chan_find_peer(const struct tp_engine *eng, uint8_t family, struct tp_port at,
				  const struct tp_addr *peer);
/* Resync every channel of relay f of a whose peer has IP ip (its permission came or went). */
void tp_chans_sync_ip(struct tp_alloc *a, int f, const struct tp_addr *ip);
/* Drop every permission and channel of relay f of a, or those for peers at ip when given
 * (the relay itself stays). */
void tp_relay_clear(struct tp_alloc *a, int f, const struct tp_addr *ip);

/* flow.c */
void tp_flow_begin(struct tp_engine *eng, struct tp_flow *fl, tp_timer_fn interim);
void tp_flow_report(struct tp_engine *eng, struct tp_flow *fl, const struct tp_alloc *a,
		    const struct tp_addr *peer, uint16_t channel,
		    const struct tp_binding_stat *live, enum tp_flow_event ev);
/* Count a relayed datagram of len payload bytes in direction dir. */
static inline void
tp_flow_count(struct tp_flow *fl, enum tp_dir dir, size_t len)
{
	fl->packets[dir]++;
	fl->bytes[dir] += len;
}
/* A flow's totals: its own counts and what the dataplane relayed and it has not folded in yet
 * (live, or NULL); and live folded in, when the flow leaves the dataplane. */
void tp_flow_totals(const struct tp_flow *fl, const struct tp_binding_stat *live,
		    uint64_t packets[2], uint64_t bytes[2]);
void tp_flow_fold(struct tp_flow *fl, const struct tp_binding_stat *live);
/* The permission-only flow of relay f of a with peer, made on first use (and handed to the
 * dataplane then, where it takes it); NULL when flows are neither recorded (no sink) nor
 * carried by the dataplane, or memory is short. */
struct tp_flow *tp_pflow_get(struct tp_engine *eng, struct tp_alloc *a, int f,
			     const struct tp_addr *peer);
/* End the permission-only flows of relay f of a with peers at ip (every one when NULL). */
void tp_pflows_end(struct tp_alloc *a, int f, const struct tp_addr *ip);
/* A permission-only flow's packets and bytes: the engine's and the dataplane's. */
void tp_pflow_counts(const struct tp_pflow *p, uint64_t packets[2], uint64_t bytes[2]);

#endif
