/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the stream framer (turn/framer.h). The input's first byte seeds where the
 * rest is cut; fed in those pieces, the stream must give the same messages, in the same
 * order, and the same verdict (TURN or not) as fed whole. Every message is as long as its
 * header says, and nothing is kept once the stream ends on a message boundary.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "framer.h"
#include "fuzz.h"

struct seen {
	uint8_t *bytes; /* the messages, one after another */
	size_t len, count;
};

static void
collect(void *arg, const uint8_t *msg, size_t len)
{
	struct seen *s = arg;

	check(len > 0 && len <= TP_FRAME_MAX && tp_frame_len(msg, len) == (long)len);
	memcpy(s->bytes + s->len, msg, len);
	s->len += len;
	s->count++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tp_framer whole = { 0 }, cut = { 0 };
	struct seen a = { 0 }, b = { 0 };
	uint32_t rng;
	int ra, rb = 0;

	if (size < 1)
		return 0;
	rng = data[0] * 2654435761u + 1;
	data++, size--;
	a.bytes = malloc(size + 1);
	b.bytes = malloc(size + 1);
	check(a.bytes && b.bytes);

	ra = tp_framer_input(&whole, data, size, collect, &a);
	for (size_t off = 0; off < size && rb == 0;) {
		size_t n;

		rng = rng * 1103515245u + 12345u;
		n = 1 + (rng >> 16) % 97;
		if (n > size - off)
			n = size - off;
		rb = tp_framer_input(&cut, data + off, n, collect, &b);
		off += n;
	}
	check(ra == rb && (ra == 0 || ra == -1));
	check(a.count == b.count && a.len == b.len && memcmp(a.bytes, b.bytes, a.len) == 0);
	if (ra == 0) {
		check(a.len + whole.len == size && whole.len == cut.len);
		check(whole.len == 0 || memcmp(whole.buf, cut.buf, whole.len) == 0);
	}
	tp_framer_free(&whole);
	tp_framer_free(&cut);
	free(a.bytes);
	free(b.bytes);
	return 0;
}
