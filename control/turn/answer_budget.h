/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * What the relay may send to a source it has not authenticated. A 401 is bigger than the
 * Allocate that asks for it, and the Allocate's source address can be forged, so without a
 * limit the relay is a reflector: whoever owns the forged address gets the answers. Each
 * source (an IPv4 address, an IPv6 /64) has a byte budget: answers spend it, the requests they
 * answer pay it back byte for byte (and so do its authenticated requests), and it refills slowly
 * up to a burst. So what a source gets
 * back is at most what it sent, plus the burst, plus the refill over time.
 *
 * The budgets live in a fixed table (set-associative, keyed hash with a random seed, least
 * recently used evicted), so memory is the same whatever the number of sources. An evicted
 * source starts again with a full burst, which is what an idle one would have had anyway.
 */
#ifndef TP_ANSWER_BUDGET_H
#define TP_ANSWER_BUDGET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "addr.h"

#ifdef __cplusplus
extern "C" {
#endif

struct tp_answer_budget;

#define TP_ANSWER_BURST_MAX 0xffffff /* bytes */

/* sources: table entries (rounded up to a power of two, at least one set); burst: bytes a
 * source starts with and refills to; rate: bytes a second it refills by. NULL without memory. */
struct tp_answer_budget *tp_answer_budget_create(unsigned sources, unsigned burst, unsigned rate);
void tp_answer_budget_destroy(struct tp_answer_budget *b);
/* New burst and rate (a reload): sources keep what they hold, up to the new burst. */
void tp_answer_budget_set_rate(struct tp_answer_budget *b, unsigned burst, unsigned rate);

/* An answer of out_len bytes to a request of in_len bytes from src, at now_ms: true when it may
 * go (the budget is charged), false when it must be dropped (the request's bytes are still
 * credited, so a source that keeps asking gets answers at its own byte rate). */
bool tp_answer_budget_spend(struct tp_answer_budget *b, const struct tp_addr *src, size_t in_len,
			    size_t out_len, uint64_t now_ms);

/* A request from src that authenticated: its bytes count as received too (a client that got
 * its 401 and came back pays for the next). Sources without a budget get none made. */
void tp_answer_budget_credit(struct tp_answer_budget *b, const struct tp_addr *src, size_t in_len);

/* Table entries, and sources evicted to make room for another since creation. */
size_t tp_answer_budget_size(const struct tp_answer_budget *b);
uint64_t tp_answer_budget_evictions(const struct tp_answer_budget *b);

#ifdef __cplusplus
}
#endif

#endif
