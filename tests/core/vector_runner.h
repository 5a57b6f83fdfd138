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
	uint32_t counter, counter_in;
};

/* Run v as a dataplane with v's conditions would: its headroom, its next hop, its ability to
 * sum a payload (tp_vec_run_sum or tp_vec_run_nosum, as v->cannot_sum_payload says). */
void tp_vec_run(const struct tp_vector *v, struct tp_vec_result *r);
/* The value of v's binding with key k, or NULL: the tables' lookup, over v's bindings. */
const struct tp_chan_val *tp_vec_find_chan(const struct tp_vector *v, const struct tp_chan_key *k);
const struct tp_peer_val *tp_vec_find_peer(const struct tp_vector *v, const struct tp_peer_key *k);
/* The twelve relaying vectors (the cases of DESIGN.md), by name, in its order: for the benches. */
#define TP_VEC_NCASES 12
extern const char *const tp_vec_cases[TP_VEC_NCASES];
/* The vector named name, or NULL. */
const struct tp_vector *tp_vec_by_name(const char *name);

void tp_vec_run_sum(const struct tp_vector *v, struct tp_vec_result *r);
void tp_vec_run_nosum(const struct tp_vector *v, struct tp_vec_result *r);

#ifdef __cplusplus
}
#endif

#endif
