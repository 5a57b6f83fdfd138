/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The golden vectors as C data, for every runner: generated at build time from vectors.json
 * (see make_vectors.py) by vectors_to_c.py. Table entries use the dataplane's own key and
 * value structs, so a runner loads them into its tables as they are.
 */
#ifndef TP_VECTORS_H
#define TP_VECTORS_H

#include <stdint.h>
#include <string.h>

#include "tp_core.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tp_vec_chan {
	struct tp_chan_key key;
	struct tp_chan_val val;
};

struct tp_vec_peer {
	struct tp_peer_key key;
	struct tp_peer_val val;
};

struct tp_vec_send {
	struct tp_send_key key;
	struct tp_chan_val val;
};

struct tp_vector {
	const char *name;
	const char *ident; /* the name as an identifier (test names) */
	const char *description;
	struct tp_core_cfg cfg;
	const struct tp_vec_chan *chans;
	unsigned nchans;
	const struct tp_vec_peer *peers;
	unsigned npeers;
	const struct tp_vec_peer *perms; /* the permission table: peer entries with channel 0 */
	unsigned nperms;
	const struct tp_vec_send *sends; /* the send table */
	unsigned nsends;
	const uint8_t *in;
	unsigned in_len;
	const uint8_t *out; /* the expected frame; the input itself when not relayed */
	unsigned out_len;
	const char *action; /* "relayed", "hairpinned", "to-control", "to-kernel", "drop" */
	const char *reason; /* a name from TP_REASONS */
	uint8_t relay_mac[6], next_hop_mac[6];
	uint32_t slot, slot_in; /* binding slots the frame must count against (0: none) */
	int full_checksum;	/* the output needs the payload summed (IPv4 checksum 0 to IPv6) */

	/* What the dataplane around the core has or knows, for this vector. */
	int headroom;		 /* bytes in front of the frame; -1: as much as the dataplane has */
	int next_hop_unresolved; /* no MAC for the output's next hop */
	int cannot_sum_payload;	 /* the dataplane cannot sum a payload (TP_CORE_NO_PAYLOAD_SUM) */
	/* Why a dataplane cannot recreate those conditions (NULL: it can): its runner reports the
	 * vector as skipped with this text. */
	const char *not_dpdk, *not_xdp;
};

extern const struct tp_vector tp_vectors[];
extern const unsigned tp_nvectors;

/* The far end of channel value cv's hairpin in vector v: the value of v's peer entry under the
 * key tp_hairpin_key() makes (NULL: cv is no hairpin's, or v has no such entry). */
static inline const struct tp_peer_val *
tp_vector_far(const struct tp_vector *v, const struct tp_chan_val *cv)
{
	struct tp_peer_key k;

	if (!tp_hairpin_key(&k, &v->cfg, cv))
		return NULL;
	for (unsigned i = 0; i < v->npeers; i++)
		if (memcmp(&v->peers[i].key, &k, sizeof(k)) == 0)
			return &v->peers[i].val;
	return NULL;
}

#ifdef __cplusplus
}
#endif

#endif
