/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The DPDK dataplane's shared structures, after l3fwd and ip_pipeline: per-lcore state in one
 * cache-aligned struct written by its own lcore only, tables the control thread alone writes
 * (rte_hash with lock-free reads, entries reclaimed through an RCU QSBR variable the workers
 * report to), a ring carrying what the workers cannot finish to the control thread, and a
 * ring carrying what the control thread sends to the first worker's TX queue.
 *
 *   dp_tables.c  binding and neighbour tables, the fast-path ops the engine calls
 *   dp_worker.c  the worker loop: burst RX, dataplane/core, buffered TX
 *   dp_host.c    the control thread's side of the wire: ARP, ND, ICMP echo, UDP to and
 *                from the engine, next-hop resolution
 *   dp_port.c    the mbuf pool, the port's set-up, and the watch that restarts a stalled port
 *   dp_main.c    EAL, ports, lcores, telemetry, the control loop, shutdown
 */
#ifndef TP_DP_H
#define TP_DP_H

#include <assert.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_ether.h>
#include <rte_hash.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>
#include <rte_rcu_qsbr.h>
#include <rte_seqcount.h>
#include <rte_ring.h>

#include "config.h"
#include "dataplane.h"
#include "engine.h"
#include "loop.h"
#include "slots.h"
#include "tp_fastpath.h"

#ifdef __cplusplus
extern "C" {
#endif

#define DP_BURST	  32
#define DP_MAX_WORKERS	  64
#define DP_RING_SIZE	  4096
#define DP_DRAIN_US	  100 /* buffered TX leaves after this long at the latest */
#define DP_MBUF_CACHE	  256
#define DP_PENDING_PER_NH 64   /* frames held per next hop while ARP/ND resolves it */
#define DP_PENDING_NH	  64   /* next hops being resolved at once */
#define DP_PENDING_MAX	  1024 /* frames held over all of them */
#define DP_NH_CACHE	  16   /* next hops a worker remembers (direct-mapped) */
#define DP_STALL_MS	  1000 /* nothing received this long while frames are missed: stalled */
#define DP_MUTED	  4096 /* muted sources held at once (direct-mapped: a newer evicts) */

struct dp_reason_stat {
	uint64_t packets, bytes;
};

/* The worker's own counters beside the verdicts: what its queues refused. */
#define DP_WORKER_COUNTERS(X)                                                    \
	X(tx_dropped, "frames the TX queue refused (freed)")                     \
	X(punt_dropped, "frames for the control thread with its ring full")      \
	X(multiseg_dropped, "multi-segment frames that could not be linearised") \
	X(muted_stun, "STUN from sources past their answer budget, dropped while muted")

/*
 * A binding's values, each in a cell of its slot's place in an array aligned to the cell: a
 * value never straddles two cache lines (at their own 28 and 24 bytes, four in ten channel
 * values and one in four peer values would, and cost a second miss to read). Beside the
 * value, the IPv6 flow label of what the worker sends for it, which depends on the binding
 * alone: worked out once here, not per frame (nine dependent multiplies). A channel's cell
 * holds either that label or, for a hairpin (whose output is the far end's), its far slot:
 * 32 bytes, as a footprint of 64 cost more misses at a million bindings than it saved.
 *
 * A hairpin's second lookup (the receiving allocation's peer entry, under the key
 * tp_on_chan() makes) is skipped where the control thread has found that entry already:
 * `far_slot` in the sending channel's cell names its slot. The worker takes the peer cell only
 * if the cell still holds the entry under that very key (hp_key, 0 family when its key
 * is no hairpin's or it has left the table), read under the cell's sequence count; anything
 * else, and it looks the key up as before. So the shortcut can be late, never wrong.
 */
struct dp_chan_cell {
	struct tp_chan_val v;
	union {
		uint32_t far_slot;   /* a hairpin's: its far end's peer cell; 0: look it up */
		uint32_t flow_label; /* any other's, to IPv6: the output's label; 0: none */
	};
} __rte_aligned(32);

struct dp_peer_cell {
	struct tp_peer_val v;
	uint32_t flow_label;	   /* to an IPv6 client: the output's (tp_flow_label); 0: none */
	rte_seqcount_t seq;	   /* odd while the control thread rewrites the cell */
	struct tp_peer_key hp_key; /* its key, where the key is a hairpin's; family 0: none */
} __rte_aligned(64);

static_assert(sizeof(struct dp_chan_cell) == 32, "one channel cell, half a cache line");
static_assert(sizeof(struct dp_peer_cell) == 64, "one peer cell, a cache line");

/* A next hop's MAC as a worker last found it in the neighbour table, while the table is at
 * generation gen (struct dp's neigh_gen): any change there, and the worker asks again. */
struct dp_nh_entry {
	uint8_t ip[16];
	struct rte_ether_addr mac;
	uint32_t gen;
};

struct dp;

struct dp_worker {
	struct dp *dp;
	unsigned lcore_id;
	unsigned index; /* its RX and TX queue on the port, and its RCU thread id */
	uint16_t ntx;
	bool punted;		       /* in this burst: the control thread may need waking */
	struct rte_mbuf *tx[DP_BURST]; /* buffered, sent when full or at drain_at */
	uint64_t drain_at;	       /* TSC */
	struct dp_reason_stat reasons[TP_R_COUNT];
#define X(n, h) uint64_t n;
	DP_WORKER_COUNTERS(X)
#undef X
	struct tp_binding_stat *bindings; /* [max_bindings + 1] */
	uint32_t nh_gen;		  /* the neighbour table's generation, this burst */
	struct dp_nh_entry nh[DP_NH_CACHE];
} __rte_cache_aligned;

/*
 * A muted source (tp_muted_key: past its answer budget), until when (TSC): its STUN to the
 * listen port is dropped by the workers, not punted. Written by the control thread alone, read
 * by the workers under the cell's sequence count; a source whose cell another takes is simply
 * heard again (the engine mutes it anew).
 */
struct dp_muted_cell {
	struct tp_muted_key key;
	uint64_t until_tsc;
	rte_seqcount_t seq;
} __rte_aligned(32);

/* A next hop being resolved: the packets waiting for it. */
struct dp_pending {
	uint8_t ip[16]; /* 16-byte form */
	uint8_t family;
	uint8_t tries;
	uint16_t n;
	uint64_t asked_ms;
	struct rte_mbuf *m[DP_PENDING_PER_NH];
};

#define DP_HOST_COUNTERS(X)                                                                 \
	X(arp_replies, "ARP requests for the relay answered")                               \
	X(nd_adverts, "neighbour solicitations for the relay answered")                     \
	X(echo_replies, "ICMP and ICMPv6 echo requests answered")                           \
	X(neigh_learnt, "neighbours learnt or refreshed")                                   \
	X(resolutions_sent, "ARP requests and neighbour solicitations sent")                \
	X(resolutions_failed, "next hops that never answered (their packets dropped)")      \
	X(pending_dropped, "frames dropped waiting for a next hop (queue full, no answer)") \
	X(no_route, "packets with no next hop (no gateway for an off-link address)")        \
	X(tx_no_mbuf, "packets the control thread could not build: mbuf pool empty")        \
	X(tx_ring_full, "packets the control thread could not hand to a worker")            \
	X(malformed, "punted frames the control thread could not parse")                    \
	X(not_for_us, "punted frames for nobody here (dropped)")                            \
	X(wakeups, "times a worker's punt woke the sleeping control thread")                \
	X(rx_stalls, "times the port received nothing for a second while it missed frames") \
	X(port_restarts, "times the port was closed and set up again (stalled, or asked)")  \
	X(restart_dropped, "frames waiting in the rings when the port restarted (dropped)") \
	X(to_kernel, "frames for the relay handed to the kernel (dpdk.kernel-interface)")   \
	X(from_kernel, "frames the kernel sent out by the port")                            \
	X(kernel_dropped, "frames to or from the kernel lost (its queue full, no mbuf)")

/* The port's counters at the start of the window in which it has received nothing. */
struct dp_port_watch {
	uint64_t ipackets, imissed;
	uint64_t since_ms; /* 0: not started */
};

struct dp_host_stats {
#define X(n, h) uint64_t n;
	DP_HOST_COUNTERS(X)
#undef X
};

/*
 * The dataplane. Its fields by who writes and who reads them, each group on cache lines of its
 * own, so that what a worker reads every burst shares no line with what is written often.
 */
struct dp {
	/* Set up before the workers start, read by them every burst; the control thread alone
	 * writes neigh_gen, and seldom (after a neighbour's MAC changes, from 1: a worker's
	 * zeroed next-hop cache holds nothing; every worker's cache then starts over). */
	const struct tp_config *cfg;
	struct tp_core_cfg core;
	uint16_t port;		   /* the one port (one-armed relay) */
	struct rte_ether_addr mac; /* the port's */
	/* sends and perms: permissions' flows, their client and peer sides */
	struct rte_hash *chans, *peers, *sends, *perms, *neigh;
	/* their hashes' seeds (dp_hash.h), for the workers */
	uint32_t chans_seed, peers_seed, sends_seed, perms_seed;
	struct dp_chan_cell *chan_vals; /* [max_bindings + 1], by slot */
	struct dp_peer_cell *peer_vals;
	struct dp_muted_cell *muted; /* [DP_MUTED] */
	struct rte_rcu_qsbr *qsbr;
	struct rte_ring *punt;	 /* workers -> control */
	struct rte_ring *ctl_tx; /* control -> worker 0's TX queue */
	int wake_fd;		 /* workers write it to wake the sleeping control thread */
	unsigned nworkers;
	struct dp_worker *workers[DP_MAX_WORKERS];
	uint32_t neigh_gen;
	volatile bool quit; /* the control thread's word to the workers, once */

	/* Written by the control thread each time it sleeps and wakes, and by a worker that
	 * punts while it sleeps (dp_worker.c, wake_control): a line of its own. */
	uint32_t ctl_asleep __rte_cache_aligned;

	/* The control thread's alone. */
	struct tp_loop *loop __rte_cache_aligned;
	struct tp_loop_fd wake; /* wake_fd on the loop */
	struct tp_engine *eng;	/* for telemetry, from start to stop */
	struct rte_mempool *pool;
	uint32_t max_bindings;
	struct tp_slots slots;		 /* 1..max_bindings */
	struct rte_rcu_qsbr_dq *slot_dq; /* released slots, reusable after a grace period */
	uint16_t ip_id;
	uint64_t now_ms, next_stats_ms;
	struct dp_pending pending[DP_PENDING_NH];
	unsigned npending; /* frames in pending[], DP_PENDING_MAX at most */
	struct dp_host_stats host;
	struct {
		int fd; /* the TAP interface's (dpdk.kernel-interface); -1: none */
		struct tp_loop_fd w;
	} kernel;
	struct dp_port_watch watch;
	bool restart_asked; /* by telemetry's /turnpike/restart_port (its thread writes it) */
};

/* dp_main.c: the pieces the runner tests use too. */
struct dp *dp_new(const struct tp_config *cfg, uint16_t port, const struct tp_core_cfg *core);
void dp_free(struct dp *dp);
int dp_port_init(const struct tp_config *cfg, uint16_t port, unsigned nqueues,
		 struct rte_mempool *pool);
int dp_launch(struct dp *dp);
void dp_halt(struct dp *dp);
void dp_sum_reasons(const struct dp *dp, struct dp_reason_stat out[TP_R_COUNT]);

/* dp_port.c. The pool (NULL, logged, when it cannot be had); the port named by a dpdk.ports
 * string; its queues set up and started. */
struct rte_mempool *dp_pool_create(const struct tp_config *cfg);
int dp_find_port(const char *spec, uint16_t *port);
/* A dpdk.ports string names a PCI address (EAL's -a) rather than a vdev (--vdev). */
bool dp_port_is_pci(const char *spec);
/* The port stopped and closed, with what its PMD leaks on close (net_af_xdp's sockets). */
void dp_port_close(uint16_t port);
/* The stall test on one tick's counters (for the tests); the tick's watch, which restarts a
 * stalled port or one telemetry asked for (restart_asked); the restart itself (workers stopped,
 * device probed again, a fresh pool, workers launched): 0, or -errno (logged) with the workers
 * stopped and no pool. */
bool dp_port_stalled(struct dp_port_watch *w, uint64_t ipackets, uint64_t imissed, uint64_t now_ms);
void dp_port_watch(struct dp *dp, uint64_t now_ms);
int dp_port_restart(struct dp *dp);

/* dp_tables.c */
int dp_tables_create(struct dp *dp);
void dp_tables_destroy(struct dp *dp);
int dp_table_put(struct dp *dp, const struct tp_chan_key *ck, const struct tp_chan_val *cv,
		 const struct tp_peer_key *pk, const struct tp_peer_val *pv);
void dp_table_remove(struct dp *dp, const struct tp_chan_key *ck, const struct tp_peer_key *pk);
/* One entry alone, its value at the slot v->slot (1..max_bindings): for the tests. */
int dp_table_put_chan(struct dp *dp, const struct tp_chan_key *k, const struct tp_chan_val *v);
int dp_table_put_peer(struct dp *dp, const struct tp_peer_key *k, const struct tp_peer_val *v);
uint32_t dp_slots_reclaim(struct dp *dp, unsigned wait_ms, bool all);
/* A binding's counters (its slot), summed over the workers: each worker counts what it
 * relayed in its own copy, so a binding whose packets arrive on several queues is exact. */
void dp_slot_counts(const struct dp *dp, uint32_t slot, struct tp_binding_stat *sum);
/* The binding tables' key compare (rte_hash's cmp_eq: 0 when equal), for keys of 17 to 24
 * bytes. */
int dp_keys_differ(const void *a, const void *b, size_t len);
int dp_neigh_set(struct dp *dp, const uint8_t ip16[16], const struct rte_ether_addr *mac);
int dp_neigh_get(const struct dp *dp, const uint8_t ip16[16], struct rte_ether_addr *mac);
/* The table ops of tp_dpdk_dataplane: a channel binding into the tables (a counter slot of
 * its own, from zero), its counters summed over the workers, and out again. */
int dp_chan_add(struct dp *dp, const struct tp_binding *c);
int dp_chan_counts(struct dp *dp, const struct tp_binding *c, struct tp_binding_stat *sum);
void dp_chan_del(struct dp *dp, const struct tp_binding *c);
/* The same for a permission's flow (channel 0): its entries in the send table (the value in
 * the channel cell of its slot) and the permission table (in the peer cell, never a hairpin's
 * far end). dp_table_put_send and _perm, one entry alone: for the tests. */
int dp_perm_add(struct dp *dp, const struct tp_binding *b);
int dp_perm_counts(struct dp *dp, const struct tp_binding *b, struct tp_binding_stat *sum);
void dp_perm_del(struct dp *dp, const struct tp_binding *b);
int dp_table_put_send(struct dp *dp, const struct tp_send_key *k, const struct tp_chan_val *v);
int dp_table_put_perm(struct dp *dp, const struct tp_peer_key *k, const struct tp_peer_val *v);

/* Muted sources (struct dp_muted_cell): k's cell, and k muted until until_tsc. */
struct dp_muted_cell *dp_muted_cell(const struct dp *dp, const struct tp_muted_key *k);
void dp_mute(struct dp *dp, const struct tp_muted_key *k, uint64_t until_tsc);

/* dp_worker.c */
int dp_worker_main(void *arg);
/* The loop's two steps, for bench/worker_bench: one burst through the core into w's TX
 * buffer (or the punt ring, or freed), and the buffer out to w's TX queue. */
void dp_worker_burst(struct dp_worker *w, struct rte_mbuf **ms, uint16_t n);
void dp_worker_send(struct dp_worker *w);
/* The next hop's 16-byte address for dst in family fam: dst when on-link, else the gateway.
 * Returns 0, or -1 when there is none (off-link with no gateway). */
int dp_next_hop_ip(const struct dp *dp, uint8_t fam, const uint8_t dst16[16], uint8_t nh16[16]);

/* dp_host.c */
void dp_host_input(struct dp *dp, struct rte_mbuf *m);
void dp_host_tick(struct dp *dp);
bool dp_host_to_client(void *ctx, const struct tp_addr *client, const void *buf, size_t len);
bool dp_host_to_peer(void *ctx, const struct tp_addr *relay, const struct tp_addr *peer,
		     const void *buf, size_t len, bool df);
void dp_host_flush(struct dp *dp);
/* A frame out by the port through worker 0's TX queue: false when the ring is full (counted,
 * freed). */
bool dp_host_send(struct dp *dp, struct rte_mbuf *m);

/* dp_kernel.c: the exception path (dpdk.kernel-interface), on the loop; without the key, none
 * (fd -1). dp_kernel_input hands a frame to the kernel (consumed) and is false when there is
 * no exception path (the frame is still the caller's). */
int dp_kernel_open(struct dp *dp);
void dp_kernel_close(struct dp *dp);
bool dp_kernel_input(struct dp *dp, struct rte_mbuf *m);

#ifdef __cplusplus
}
#endif

#endif
