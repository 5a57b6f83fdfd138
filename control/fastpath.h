/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The "fast-path ops": how the control engine tells a dataplane about table changes. Each
 * dataplane implements them: socket mode opens and closes one UDP socket per relayed address
 * and relays in the control thread, so it needs no tables; the DPDK and XDP dataplanes write
 * their binding tables. The engine calls these before it sends the success response that
 * announces a binding, so the first relayed packet finds it.
 *
 * A channel is handed to the fast path only while its peer also holds a permission: the fast
 * path then needs no permission lookup of its own, and both directions stop together when the
 * permission lapses. The table entries themselves are dataplane/core's structs, declared once
 * (tp_binding.h) and filled by tp_fp_channel_entries().
 */
#ifndef TP_FASTPATH_H
#define TP_FASTPATH_H

#include <stdbool.h>
#include <stdint.h>

#include "addr.h"
#include "config.h"
#include "tp_binding.h"

struct tp_core_cfg;

#ifdef __cplusplus
extern "C" {
#endif

struct tp_fp_channel {
	struct tp_addr client; /* the client's transport address (5-tuple, server side implied) */
	struct tp_addr relay;  /* the allocation's relayed address: bind address and port */
	struct tp_addr peer;   /* the bound peer transport address */
	uint16_t channel;
	uint32_t id; /* unique per binding while it lives: names its counters */
};

/* A binding's relayed packets and payload bytes in the dataplane, by enum tp_dir. */
struct tp_fp_counts {
	uint64_t packets[2], bytes[2];
};

struct tp_fastpath_ops {
	const char *name;
	/* Claim a relayed address; -EADDRINUSE makes the engine try another port. */
	int (*relay_open)(void *ctx, const struct tp_addr *relay);
	void (*relay_close)(void *ctx, const struct tp_addr *relay);
	/* Optional (NULL when the dataplane keeps no tables): permissions by peer IP. */
	int (*perm_add)(void *ctx, const struct tp_addr *relay, const struct tp_addr *peer_ip);
	void (*perm_del)(void *ctx, const struct tp_addr *relay, const struct tp_addr *peer_ip);
	/* Optional: channel bindings, both directions. */
	int (*chan_add)(void *ctx, const struct tp_fp_channel *c);
	void (*chan_del)(void *ctx, const struct tp_fp_channel *c);
	/*
	 * Optional: what the dataplane relayed for channel c since chan_add, summed over its
	 * lcores or CPUs. The engine reads it just before chan_del (the flow's totals) and for
	 * interim flow records. Returns 0, or -errno (counts zeroed) when c is not held.
	 */
	int (*chan_counts)(void *ctx, const struct tp_fp_channel *c, struct tp_fp_counts *out);
};

/* The fast path's run-time configuration (dataplane/core) from turnpike's. */
void tp_fp_core_cfg(const struct tp_config *cfg, struct tp_core_cfg *core);

/*
 * The entries a table-keeping dataplane writes for channel c, in dataplane/core's declared
 * layout: the channel table (client side) and the peer table (peer side).
 */
void tp_fp_channel_entries(const struct tp_fp_channel *c, struct tp_chan_key *ck,
			   struct tp_chan_val *cv, struct tp_peer_key *pk, struct tp_peer_val *pv);

#ifdef __cplusplus
}
#endif

#endif
