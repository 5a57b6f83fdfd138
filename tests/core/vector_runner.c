/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The C shim behind the core's vector tests (see vector_runner.h).
 */
#include "vector_runner.h"

#include <string.h>

static const struct tp_chan_val *
find_chan(const struct tp_vector *v, const struct tp_chan_key *k)
{
	for (unsigned i = 0; i < v->nchans; i++)
		if (memcmp(&v->chans[i].key, k, sizeof(*k)) == 0)
			return &v->chans[i].val;
	return NULL;
}

static const struct tp_peer_val *
find_peer(const struct tp_vector *v, const struct tp_peer_key *k)
{
	for (unsigned i = 0; i < v->npeers; i++)
		if (memcmp(&v->peers[i].key, k, sizeof(*k)) == 0)
			return &v->peers[i].val;
	return NULL;
}

void
tp_vec_run(const struct tp_vector *v, struct tp_vec_result *r)
{
	uint8_t *frame = r->frame + TP_VEC_HEADROOM;
	struct tp_pkt p;
	enum tp_step step;

	memset(r, 0, sizeof(*r));
	memcpy(frame, v->in, v->in_len);
	step = tp_classify(&p, frame, frame + v->in_len, &v->cfg);
	if (step == TP_STEP_LOOKUP_CHAN)
		step = tp_on_chan(&p, &v->cfg, find_chan(v, &p.ckey));
	if (step == TP_STEP_LOOKUP_PEER)
		step = tp_on_peer(&p, &v->cfg, find_peer(v, &p.pkey));
	if (step == TP_STEP_REWRITE) {
		int32_t delta = tp_head_delta(&p);

		/* What rte_pktmbuf_prepend/adj or bpf_xdp_adjust_head would do. */
		if (delta > TP_VEC_HEADROOM) {
			p.reason = TP_R_NO_HEADROOM;
		} else {
			frame -= delta;
			p.reason = tp_rewrite(&p, frame, frame + tp_out_len(&p), v->relay_mac,
					      v->next_hop_mac);
		}
		r->len = tp_out_len(&p);
		r->counter = p.counter;
		r->counter_in = p.counter_in;
	} else {
		r->len = v->in_len;
	}
	memmove(r->frame, frame, r->len);
	r->action = tp_action_name(tp_reason_action(p.reason));
	r->reason = tp_reason_name(p.reason);
}
