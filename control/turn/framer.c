/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * STUN and ChannelData framing on a stream (see framer.h).
 */
#include "framer.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "stun.h"

#define KEEP_MAX 2048 /* a buffer this small is kept for the next message; a larger one freed */

static inline size_t
rd16(const uint8_t *p)
{
	return (size_t)(p[0] << 8 | p[1]);
}

long
tp_frame_len(const uint8_t *p, size_t n)
{
	if (n < 4)
		return n && (p[0] & 0x80) ? -1 : 0;
	/* RFC 7983: 0-3 STUN, 64-127 ChannelData (RFC 5766's channel range included). */
	if ((p[0] & 0xc0) == 0x40)
		return (long)(4 + ((rd16(p + 2) + 3) & ~(size_t)3));
	if ((p[0] & 0xc0) != 0 || rd16(p + 2) % 4)
		return -1;
	if (n < 8)
		return 0;
	if (p[4] != 0x21 || p[5] != 0x12 || p[6] != 0xA4 || p[7] != 0x42) /* magic cookie */
		return -1;
	return (long)(TP_STUN_HDR_LEN + rd16(p + 2));
}

/* Room for need bytes in f: grown as bytes arrive, not to what a header claims. */
static int
reserve(struct tp_framer *f, size_t need)
{
	size_t cap = f->cap * 2 < TP_FRAME_MAX ? f->cap * 2 : TP_FRAME_MAX;
	uint8_t *b;

	if (need <= f->cap)
		return 0;
	if (cap < need)
		cap = need;
	if (!(b = realloc(f->buf, cap)))
		return -ENOMEM;
	f->buf = b;
	f->cap = cap;
	return 0;
}

/* The kept bytes handed on or dropped: the buffer stays when it is small. */
static void
empty(struct tp_framer *f)
{
	f->len = 0;
	if (f->cap > KEEP_MAX) {
		free(f->buf);
		f->buf = NULL;
		f->cap = 0;
	}
}

int
tp_framer_input(struct tp_framer *f, const uint8_t *p, size_t n, tp_frame_fn fn, void *arg)
{
	long want;

	/* A message begun earlier: completed from p first (its header, then its body). */
	while (f->len && n) {
		size_t take;

		if ((want = tp_frame_len(f->buf, f->len)) < 0)
			return -1;
		/* Unknown yet: the first 4 bytes tell ChannelData, 8 a STUN header's cookie. */
		take = want ? (size_t)want - f->len : (f->len < 4 ? 4 : 8) - f->len;
		if (take > n)
			take = n;
		if (reserve(f, f->len + take) < 0)
			return -ENOMEM;
		memcpy(f->buf + f->len, p, take);
		f->len += take;
		p += take;
		n -= take;
		if ((want = tp_frame_len(f->buf, f->len)) < 0)
			return -1;
		if (want && f->len == (size_t)want) {
			fn(arg, f->buf, f->len);
			empty(f);
		}
	}
	/* Whole messages straight from p; what remains of the last one kept. */
	while (n) {
		if ((want = tp_frame_len(p, n)) < 0)
			return -1;
		if (!want || (size_t)want > n)
			break;
		fn(arg, p, (size_t)want);
		p += want;
		n -= (size_t)want;
	}
	if (n) {
		if (reserve(f, n) < 0)
			return -ENOMEM;
		memcpy(f->buf, p, n);
		f->len = n;
	}
	return 0;
}

void
tp_framer_free(struct tp_framer *f)
{
	free(f->buf);
	*f = (struct tp_framer){ 0 };
}
