/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C shim behind the core's vector tests (see vector_runner.h). Built twice: as a dataplane
 * that sums payloads (the DPDK lcores), and, through vector_runner_nosum.c, as one that cannot
 * (TP_CORE_NO_PAYLOAD_SUM, as the XDP program); a vector's cannot_sum_payload picks the second.
 */
#include "vector_runner.h"

#include <string.h>

#ifndef TP_VEC_RUN_ONE
#define TP_VEC_RUN_ONE tp_vec_run_sum
#endif

#ifndef TP_CORE_NO_PAYLOAD_SUM /* once, in the build that sums */
const struct tp_chan_val *
tp_vec_find_chan(const struct tp_vector *v, const struct tp_chan_key *k)
{
	for (unsigned i = 0; i < v->nchans; i++)
		if (memcmp(&v->chans[i].key, k, sizeof(*k)) == 0)
			return &v->chans[i].val;
	return NULL;
}

const struct tp_peer_val *
tp_vec_find_peer(const struct tp_vector *v, const struct tp_peer_key *k)
{
	for (unsigned i = 0; i < v->npeers; i++)
		if (memcmp(&v->peers[i].key, k, sizeof(*k)) == 0)
			return &v->peers[i].val;
	return NULL;
}

const struct tp_peer_val *
tp_vec_find_perm(const struct tp_vector *v, const struct tp_peer_key *k)
{
	for (unsigned i = 0; i < v->nperms; i++)
		if (memcmp(&v->perms[i].key, k, sizeof(*k)) == 0)
			return &v->perms[i].val;
	return NULL;
}

const struct tp_chan_val *
tp_vec_find_send(const struct tp_vector *v, const struct tp_send_key *k)
{
	for (unsigned i = 0; i < v->nsends; i++)
		if (memcmp(&v->sends[i].key, k, sizeof(*k)) == 0)
			return &v->sends[i].val;
	return NULL;
}

const char *const tp_vec_cases[TP_VEC_NCASES] = {
	"cd4-to-udp4", "cd4-to-udp6", "cd6-to-udp4", "cd6-to-udp6", "udp4-to-cd4", "udp4-to-cd6",
	"udp6-to-cd4", "udp6-to-cd6", "cd4-to-cd4",  "cd4-to-cd6",  "cd6-to-cd4",  "cd6-to-cd6",
};

const char *const tp_vec_perm_cases[TP_VEC_NPERM_CASES] = {
	"udp4-to-data4", "udp4-to-data6", "udp6-to-data4", "udp6-to-data6",
	"send4-to-udp4", "send4-to-udp6", "send6-to-udp4", "send6-to-udp6",
};

const struct tp_vector *
tp_vec_by_name(const char *name)
{
	for (unsigned i = 0; i < tp_nvectors; i++)
		if (strcmp(tp_vectors[i].name, name) == 0)
			return &tp_vectors[i];
	return NULL;
}
#endif

void
TP_VEC_RUN_ONE(const struct tp_vector *v, struct tp_vec_result *r)
{
	uint8_t *frame = r->frame + (v->headroom < 0 ? TP_VEC_HEADROOM : v->headroom);
	struct tp_pkt p;
	enum tp_step step;
	enum tp_action act;

	memset(r, 0, sizeof(*r));
	memcpy(frame, v->in, v->in_len);
	r->len = v->in_len;
	step = tp_vec_decide(v, &p, frame, v->in_len);
	if (step == TP_STEP_REWRITE) {
		int32_t delta = tp_head_delta(&p);

		/* What a dataplane settles before the frame changes, in the order both do it: the
		 * next hop, then room in front (rte_pktmbuf_prepend, bpf_xdp_adjust_head). */
		if (v->next_hop_unresolved) {
			p.reason = TP_R_NO_NEXT_HOP;
		} else if (delta > frame - r->frame) {
			p.reason = TP_R_NO_HEADROOM;
		} else {
			uint8_t *out = frame - delta;

			p.ind_seq = 0; /* the binding's first Data indication: its slot is fresh */
			p.reason = tp_rewrite(&p, out, out + tp_out_len(&p), v->relay_mac,
					      v->next_hop_mac);
			act = tp_reason_action(p.reason);
			if (act == TP_ACT_RELAYED || act == TP_ACT_HAIRPINNED) {
				frame = out;
				r->len = tp_out_len(&p);
				r->slot = p.slot;
				r->slot_in = p.slot_in;
			}
		}
	}
	memmove(r->frame, frame, r->len);
	r->action = tp_action_name(tp_reason_action(p.reason));
	r->reason = tp_reason_name(p.reason);
}

#ifndef TP_CORE_NO_PAYLOAD_SUM
void
tp_vec_run(const struct tp_vector *v, struct tp_vec_result *r)
{
	if (v->cannot_sum_payload)
		tp_vec_run_nosum(v, r);
	else
		tp_vec_run_sum(v, r);
}
#endif
