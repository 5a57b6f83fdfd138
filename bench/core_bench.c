/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Core micro-bench: nanoseconds per frame that dataplane/core takes on the CPU for each of the
 * twelve rewrites and the permission flows' eight (peer data to a Data indication, a Send
 * indication to UDP) (parse, the lookups' decisions, the rewrite), the part of a DPDK
 * worker's time that is turnpike's own beside the port and the hash tables. One thread, no
 * port: each iteration copies the case's golden input frame into place and runs it through
 * tp_classify, the tp_on_* of its lookups (the values found by a compare over the vector's one
 * to three bindings, as the table's key compare would) and tp_rewrite; a baseline loop does
 * only the copy. Both are timed by the TSC in batches; the medians of the batches are reported
 * and their difference, in ns and in TSC cycles. Every case's output is checked once against
 * the golden vector's expected frame first.
 *
 * usage: core_bench BATCHES     (1000 frames a batch)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <x86intrin.h>

#include "vector_runner.h"

#define PER_BATCH 1000
#define HEADROOM  64

static uint8_t buf[HEADROOM + 2048] __attribute__((aligned(64)));

/* One frame through the core; the output's start (NULL: not relayed) and length. */
static const uint8_t *
run_one(const struct tp_vector *v, unsigned *len)
{
	uint8_t *frame = buf + HEADROOM;
	struct tp_pkt p;
	enum tp_step step;

	memcpy(frame, v->in, v->in_len);
	step = tp_vec_decide(v, &p, frame, v->in_len);
	if (step != TP_STEP_REWRITE)
		return NULL;

	uint8_t *out = frame - tp_head_delta(&p);
	enum tp_action act;

	p.reason = tp_rewrite(&p, out, out + tp_out_len(&p), v->relay_mac, v->next_hop_mac);
	act = tp_reason_action(p.reason);
	*len = tp_out_len(&p);
	return act == TP_ACT_RELAYED || act == TP_ACT_HAIRPINNED ? out : NULL;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Median TSC cycles per frame over batches; copy_only: the baseline. */
static double
median_cycles(const struct tp_vector *v, unsigned batches, int copy_only)
{
	uint64_t *d = calloc(batches, sizeof(*d));
	unsigned len;
	double med;

	if (!d)
		exit(1);
	for (unsigned b = 0; b < batches; b++) {
		uint64_t t0 = __rdtsc();

		for (unsigned i = 0; i < PER_BATCH; i++) {
			if (copy_only)
				memcpy(buf + HEADROOM, v->in, v->in_len);
			else
				run_one(v, &len);
			/* Keep the compiler from dropping or merging iterations. */
			__asm__ volatile("" ::: "memory");
		}
		d[b] = __rdtsc() - t0;
	}
	qsort(d, batches, sizeof(*d), cmp_u64);
	med = (double)d[batches / 2] / PER_BATCH;
	free(d);
	return med;
}

/* TSC cycles per nanosecond, over 100 ms. */
static double
tsc_per_ns(void)
{
	struct timespec a, b, pause = { 0, 100000000 };
	uint64_t t0, t1;

	clock_gettime(CLOCK_MONOTONIC, &a);
	t0 = __rdtsc();
	nanosleep(&pause, NULL);
	clock_gettime(CLOCK_MONOTONIC, &b);
	t1 = __rdtsc();
	return (double)(t1 - t0) / ((b.tv_sec - a.tv_sec) * 1e9 + (b.tv_nsec - a.tv_nsec));
}

int
main(int argc, char **argv)
{
	unsigned batches = argc == 2 ? (unsigned)strtoul(argv[1], NULL, 10) : 0;
	double ghz = tsc_per_ns();
	int failed = 0;

	if (!batches) {
		fprintf(stderr, "usage: core_bench BATCHES\n");
		return 2;
	}
	printf("TSC %.2f GHz, %u batches of %u frames\n", ghz, batches, PER_BATCH);
	printf("%-13s %6s %10s %10s %12s %12s\n", "case", "bytes", "median ns", "copy ns",
	       "core ns", "core cycles");
	for (size_t i = 0; i < TP_VEC_NCASES + TP_VEC_NPERM_CASES; i++) {
		const char *name =
			i < TP_VEC_NCASES ? tp_vec_cases[i] : tp_vec_perm_cases[i - TP_VEC_NCASES];
		const struct tp_vector *v = tp_vec_by_name(name);
		const uint8_t *out;
		unsigned len = 0;

		if (!v || !(out = run_one(v, &len)) || len != v->out_len ||
		    memcmp(out, v->out, len) != 0) {
			fprintf(stderr, "%s: not relayed as the golden vector says\n", name);
			failed = 1;
			continue;
		}

		double all = median_cycles(v, batches, 0), copy = median_cycles(v, batches, 1);

		printf("%-13s %6u %10.1f %10.1f %12.1f %12.0f\n", name, v->in_len, all / ghz,
		       copy / ghz, (all - copy) / ghz, all - copy);
	}
	return failed;
}
