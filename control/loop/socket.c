/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * socket mode (dataplane.mode = "socket"): the kernel owns the NIC and the control thread
 * relays, through one UDP socket per relayed address (udp.h). It keeps no tables: the engine
 * relays every datagram itself. The reference dataplane, and the one that builds anywhere.
 */
#include "dataplane.h"
#include "metrics.h"
#include "udp.h"

static void *
socket_open(const struct tp_config *cfg, struct tp_loop *loop)
{
	return tp_udp_open(cfg, loop);
}

static void
socket_close(void *ctx)
{
	tp_udp_close(ctx);
}

static bool
socket_to_client(void *ctx, const struct tp_addr *client, const void *buf, size_t len)
{
	return tp_udp_to_client(ctx, client, buf, len);
}

static bool
socket_to_peer(void *ctx, const struct tp_addr *relay, const struct tp_addr *peer, const void *buf,
	       size_t len, bool df)
{
	return tp_udp_to_peer(ctx, relay, peer, buf, len, df);
}

static int
socket_relay_open(void *ctx, const struct tp_addr *relay)
{
	return tp_udp_relay_open(ctx, relay);
}

static void
socket_relay_close(void *ctx, const struct tp_addr *relay)
{
	tp_udp_relay_close(ctx, relay);
}

/* Its listen sockets' filters drop the source's datagrams (udp.h). */
static void
socket_mute(void *ctx, const struct tp_addr *source, unsigned ms)
{
	tp_udp_mute(ctx, source, ms);
}

static void
socket_tick(void *ctx, uint64_t now_ms)
{
	tp_udp_tick(ctx, now_ms);
}

static void
socket_counters(void *ctx, struct tp_metrics_snapshot *s)
{
	uint64_t mutes, errors;

	tp_udp_mute_counts(ctx, &mutes, &errors);
	tp_metrics_add_counter(s, "mutes",
			       "Sources past their answer budget muted by the listen sockets' "
			       "filters (a mute renewed before it ended is not counted again).",
			       mutes);
	tp_metrics_add_counter(s, "filter_errors",
			       "Listen socket filters the kernel refused (the engine drops the "
			       "answers all the same).",
			       errors);
}

static void
socket_log_stats(void *ctx)
{
	tp_udp_log_stats(ctx);
}

const struct tp_dataplane tp_socket_dataplane = {
	.name = "socket",
	.open = socket_open,
	.close = socket_close,
	.to_client = socket_to_client,
	.to_peer = socket_to_peer,
	.relay_open = socket_relay_open,
	.relay_close = socket_relay_close,
	.mute = socket_mute,
	.tick = socket_tick,
	.counters = socket_counters,
	.log_stats = socket_log_stats,
};
