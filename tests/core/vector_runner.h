/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Runs one golden vector through dataplane/core the way a dataplane does: tables loaded with
 * the vector's bindings, classify, look up, decide, make room, rewrite with the next hop the
 * vector names. A C shim, so the core is exercised as C; the gtest suite calls it.
 */
#ifndef TP_VECTOR_RUNNER_H
#define TP_VECTOR_RUNNER_H

#include <stddef.h>
#include <stdint.h>

#include "tp_vectors.h"

#ifdef __cplusplus
extern "C" {
#endif

#define TP_VEC_HEADROOM 64 /* when the vector does not say: room for any rewrite */
#define TP_VEC_BUF	(TP_VEC_HEADROOM + 2048)

struct tp_vec_result {
	const char *action, *reason;
	uint8_t frame[TP_VEC_BUF]; /* the frame as it leaves (or stays) */
	unsigned len;
	uint32_t slot, slot_in;
};

/* Run v as a dataplane with v's conditions would: its headroom, its next hop, its ability to
 * sum a payload (tp_vec_run_sum or tp_vec_run_nosum, as v->cannot_sum_payload says). */
void tp_vec_run(const struct tp_vector *v, struct tp_vec_result *r);
/* The value of v's binding with key k, or NULL: the tables' lookup, over v's bindings. */
const struct tp_chan_val *tp_vec_find_chan(const struct tp_vector *v, const struct tp_chan_key *k);
const struct tp_peer_val *tp_vec_find_peer(const struct tp_vector *v, const struct tp_peer_key *k);
const struct tp_peer_val *tp_vec_find_perm(const struct tp_vector *v, const struct tp_peer_key *k);
const struct tp_chan_val *tp_vec_find_send(const struct tp_vector *v, const struct tp_send_key *k);
/* Frame [frame, frame + len) classified with v's configuration and its lookups answered from
 * v's bindings, as a dataplane's tables would: the step it ends at (TP_STEP_REWRITE: ready to
 * be rewritten). Inline: each includer gets the core as it compiles it. */
static inline enum tp_step
tp_vec_decide(const struct tp_vector *v, struct tp_pkt *p, const uint8_t *frame, unsigned len)
{
	enum tp_step step = tp_classify(p, frame, frame + len, &v->cfg);

	if (step == TP_STEP_LOOKUP_CHAN)
		step = tp_on_chan(p, &v->cfg, tp_vec_find_chan(v, &p->ckey));
	if (step == TP_STEP_LOOKUP_SEND)
		step = tp_on_send(p, &v->cfg, tp_vec_find_send(v, &p->skey));
	if (step == TP_STEP_CHECK_FINGERPRINT)
		step = tp_on_fingerprint(p, tp_crc32(frame + tp_stun_at(p), p->fp_at));
	if (step == TP_STEP_LOOKUP_PEER)
		step = tp_on_peer(p, &v->cfg, tp_vec_find_peer(v, &p->pkey));
	if (step == TP_STEP_LOOKUP_PERM)
		step = tp_on_perm(p, &v->cfg, tp_vec_find_perm(v, &p->pkey));
	return step;
}

/* The ones' complement sum of n bytes at p (a last odd byte as the high half), folded, added
 * to sum: the checks' own arithmetic, none of the core's. */
static inline uint32_t
tp_vec_ones_sum(const uint8_t *p, unsigned n, uint32_t sum)
{
	for (unsigned i = 0; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		sum += (uint32_t)p[n - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return sum;
}

/* The twelve relaying vectors (the cases of docs/ARCHITECTURE.md), by name, in its order: for
 * the benches. */
#define TP_VEC_NCASES 12
extern const char *const tp_vec_cases[TP_VEC_NCASES];
/* And the permission flows' cases: peer data to Data indications, Send indications to UDP. */
#define TP_VEC_NPERM_CASES 8
extern const char *const tp_vec_perm_cases[TP_VEC_NPERM_CASES];
/* The vector named name, or NULL. */
const struct tp_vector *tp_vec_by_name(const char *name);

void tp_vec_run_sum(const struct tp_vector *v, struct tp_vec_result *r);
void tp_vec_run_nosum(const struct tp_vector *v, struct tp_vec_result *r);

#ifdef __cplusplus
}
#endif

#endif
