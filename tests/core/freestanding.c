/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Build check: dataplane/core compiles with no C library at all (-ffreestanding -nostdinc),
 * through the whole calling sequence, as the XDP program will need it to.
 */
#include "tp_core.h"

int tp_core_freestanding_check(tp_u8 *frame, tp_u8 *end, const struct tp_core_cfg *cfg,
			       const struct tp_chan_val *cv, const struct tp_peer_val *pv);

int
tp_core_freestanding_check(tp_u8 *frame, tp_u8 *end, const struct tp_core_cfg *cfg,
			   const struct tp_chan_val *cv, const struct tp_peer_val *pv)
{
	static const tp_u8 mac[TP_ETH_ALEN] = { 2, 0, 0, 0, 0, 1 };
	struct tp_pkt p;
	enum tp_step step = tp_classify(&p, frame, end, cfg);

	if (step == TP_STEP_LOOKUP_CHAN)
		step = tp_on_chan(&p, cfg, cv);
	if (step == TP_STEP_LOOKUP_PEER)
		step = tp_on_peer(&p, cfg, pv);
	if (step == TP_STEP_REWRITE)
		p.reason = tp_rewrite(&p, frame - tp_head_delta(&p), end, mac, mac);
	return (int)tp_reason_action(p.reason);
}
