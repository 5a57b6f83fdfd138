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

#include <stdbool.h>
#include <stddef.h>

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

#ifdef __cplusplus
}
#endif

#endif
