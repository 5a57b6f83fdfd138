/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: dataplane/core on any frame, as the DPDK worker runs it (payloads summed
 * where an output needs it). The first input byte picks a golden vector, whose configuration
 * and bindings the frame meets; the second, the headroom in front of the frame (even, up to
 * 64 bytes); the rest is the frame, in a heap block that ends where it does, so that any
 * read past its end is AddressSanitizer's to report. Whatever the frame, the core must give a
 * reason from its list; a frame it rewrites must fit in what was there plus the headroom (and a
 * Data indication's padding, which a dataplane adds behind the frame), and an
 * IPv4 header it writes must carry a valid checksum (its input's was verified).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "vector_runner.h"

#define MAX_HEADROOM 64

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 || size > 2 + 2048 || !tp_nvectors)
		return 0;

	const struct tp_vector *v = &tp_vectors[data[0] % tp_nvectors];
	/* Even: every dataplane starts a frame 2-byte aligned (mbuf data, XDP data), and the
	 * core reads its headers as such. */
	unsigned headroom = data[1] % (MAX_HEADROOM / 2 + 1) * 2, len = (unsigned)size - 2;
	uint8_t *buf = malloc(headroom + len + 3); /* a frame may be empty; padding may follow */
	uint8_t *frame = buf + headroom;
	struct tp_pkt p;
	enum tp_step step;

	check(buf != NULL);
	memcpy(frame, data + 2, len);
	step = tp_vec_decide(v, &p, frame, len);
	if (step == TP_STEP_REWRITE) {
		int32_t delta = tp_head_delta(&p);
		unsigned out_len = tp_out_len(&p);

		/* What the worker checks before it rewrites: room in front, and the output
		 * within what came plus that room and the padding it grows. */
		if (delta <= (int32_t)headroom) {
			uint8_t *out = frame - delta;

			check(out >= buf && out + out_len <= frame + len + tp_out_pad(&p));
			p.reason =
				tp_rewrite(&p, out, out + out_len, v->relay_mac, v->next_hop_mac);
			if (tp_reason_action(p.reason) == TP_ACT_RELAYED ||
			    tp_reason_action(p.reason) == TP_ACT_HAIRPINNED) {
				unsigned l3 = out[12] == 0x81 && out[13] == 0x00 ? 18 : 14;

				check(out_len >= l3 + 20);
				if (p.out_fam == TP_FAM_V4)
					check(tp_vec_ones_sum(out + l3, 20, 0) == 0xffff);
			}
		}
	}
	check((unsigned)p.reason < TP_R_COUNT);
	free(buf);
	return 0;
}
