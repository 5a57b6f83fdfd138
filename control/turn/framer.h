/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TURN over a stream (TCP, TLS; RFC 8656 section 12.5). Messages follow one another with no
 * boundary of their own, so each one's length comes from its header: a STUN message is 20
 * bytes and the header's length; ChannelData is 4 bytes and its length, padded to a multiple
 * of four (the padding is in the stream, and in the message handed on: the engine accepts up
 * to 3 bytes of it). A stream that is neither cannot be resynchronised: it is not TURN.
 *
 * A framer keeps what has arrived of a message not yet whole, TP_FRAME_MAX bytes at most, and
 * nothing once it has handed on every message it had.
 */
#ifndef TP_FRAMER_H
#define TP_FRAMER_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The longest message: a STUN message of the largest length a header can carry (65532, a
 * multiple of four). ChannelData's longest, 4 + 65535 + 1, is shorter. */
#define TP_FRAME_MAX (20 + 65532)

/* The length of the message that starts at p, of which n bytes are here: > 0, the message's
 * length; 0, more bytes are needed to tell; -1, these bytes are not TURN. */
long tp_frame_len(const uint8_t *p, size_t n);

struct tp_framer {
	uint8_t *buf; /* what has arrived of the next message (malloc'd; NULL when empty) */
	size_t len, cap;
};

typedef void (*tp_frame_fn)(void *arg, const uint8_t *msg, size_t len);

/* n more bytes of the stream: each message they complete goes to fn(arg, msg, len), in order
 * (fn must not free the framer). Returns 0; -1 when the stream is not TURN; -ENOMEM. */
int tp_framer_input(struct tp_framer *f, const uint8_t *p, size_t n, tp_frame_fn fn, void *arg);
void tp_framer_free(struct tp_framer *f);

#ifdef __cplusplus
}
#endif

#endif
