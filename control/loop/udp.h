/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP on kernel sockets, as the control loop drives it: one socket per family on the listen
 * port (watched with priority: clients before peers), one per relayed address, all on the
 * loop; what arrives goes to the engine in batches (recvmmsg), what the engine sends is
 * queued and leaves with sendmmsg, one call per run of datagrams from the same socket, after
 * each batch and at the end of each turn. socket mode is this alone (socket.c); xdp mode
 * takes whatever its XDP program passes on through it.
 */
#ifndef TP_UDP_H
#define TP_UDP_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "loop.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tp_udp;

/* The listen sockets, on loop; NULL (logged, naming the key) when they cannot be had. */
struct tp_udp *tp_udp_open(const struct tp_config *cfg, struct tp_loop *loop);
void tp_udp_close(struct tp_udp *u);
/* One socket per relayed address (the dataplane's relay_open and relay_close). */
int tp_udp_relay_open(struct tp_udp *u, const struct tp_addr *relay);
void tp_udp_relay_close(struct tp_udp *u, const struct tp_addr *relay);
/* The engine's output (the dataplane's to_client and to_peer): true when queued or sent. */
bool tp_udp_to_client(struct tp_udp *u, const struct tp_addr *client, const void *buf, size_t len);
bool tp_udp_to_peer(struct tp_udp *u, const struct tp_addr *relay, const struct tp_addr *peer,
		    const void *buf, size_t len, bool df);
/* Its own counters (truncated datagrams, failed sends) into the log, where not zero. */
void tp_udp_log_stats(const struct tp_udp *u);

/*
 * Muted sources (the contract's mute: past their answer budget). socket mode has nothing ahead
 * of its listen sockets but the kernel: each listen socket gets a classic BPF filter that drops
 * datagrams from the sources muted on it (at most TP_UDP_MUTED of them, an IPv4 address or an
 * IPv6 /64 each; the one due to end first makes room), rebuilt when the set changes; the tick
 * lets ended mutes go. Counted: mutes set, and filters the kernel refused.
 */
#define TP_UDP_MUTED 32
void tp_udp_mute(struct tp_udp *u, const struct tp_addr *source, unsigned ms);
void tp_udp_tick(struct tp_udp *u, uint64_t now_ms);
void tp_udp_mute_counts(const struct tp_udp *u, uint64_t *mutes, uint64_t *filter_errors);
/* The filter for family's listen socket that drops the n sources of prefix (IPv4: 4 bytes,
 * IPv6: the /64's 8), into out[TP_UDP_FILTER_MAX]; its length. For the tests too. */
#define TP_UDP_FILTER_MAX (4 * TP_UDP_MUTED + 3)
unsigned tp_udp_mute_filter(uint8_t family, const uint8_t (*prefix)[8], unsigned n,
			    struct sock_filter *out);

#ifdef __cplusplus
}
#endif

#endif
