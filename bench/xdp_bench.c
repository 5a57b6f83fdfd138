/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * XDP micro-bench: nanoseconds per packet for each of the twelve rewrites, as the kernel times
 * them in BPF_PROG_TEST_RUN. Each iteration must start from the original frame: plain
 * `repeat` would run the program again on the frame it has just rewritten, and live frames
 * (BPF_F_TEST_XDP_LIVE_FRAMES) reset the frame's bounds but not its bytes, so both measure
 * something else after the first pass. Instead every iteration is its own run (repeat 1)
 * on a fresh copy of the input, timed by the kernel around the program alone; the median of
 * many is reported, beside the same figure for a program that only returns XDP_DROP on the
 * same frame (the kernel's own per-run cost: timer reads, context set-up), and their
 * difference. Every run's output is checked to be the relayed frame.
 *
 * usage: xdp_bench BASELINE_OBJECT RUNS      run as root
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>

#include "tp_vectors.h"
#include "tp_xdp.h"
#include "turnpike.skel.h"

static const char *const cases[] = {
	"cd4-to-udp4",
	"cd4-to-udp6",
	"cd6-to-udp4",
	"cd6-to-udp6",
	"udp4-to-cd4",
	"udp4-to-cd6",
	"udp6-to-cd4",
	"udp6-to-cd6",
	"cd4-to-cd4",
	"cd4-to-cd6",
	"cd6-to-cd4",
	"cd6-to-cd6",
	/* the permission flows' */
	"udp4-to-data4",
	"udp4-to-data6",
	"udp6-to-data4",
	"udp6-to-data6",
	"send4-to-udp4",
	"send4-to-udp6",
	"send6-to-udp4",
	"send6-to-udp6",
};

static int
quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_WARN)
		vfprintf(stderr, fmt, ap);
	return 0;
}

static const struct tp_vector *
find_vector(const char *name)
{
	for (unsigned i = 0; i < tp_nvectors; i++)
		if (strcmp(tp_vectors[i].name, name) == 0)
			return &tp_vectors[i];
	return NULL;
}

static int
cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;

	return x < y ? -1 : x > y;
}

/*
 * Median of runs single runs of prog_fd on v's input; -1 if any run's output is not v's.
 * stats_fd (or -1): the program's binding counters, whose slots of v's permission flows are
 * zeroed before each run, outside its timing: a Data indication's transaction ID counts what
 * the binding sent before, and the golden output is its first.
 */
static int
median_ns(int prog_fd, int stats_fd, const struct tp_vector *v, unsigned runs, int check,
	  double *ns)
{
	int ncpus = libbpf_num_possible_cpus();
	struct tp_binding_stat *zero = calloc((size_t)(ncpus > 0 ? ncpus : 1), sizeof(*zero));
	__u32 *d = calloc(runs, sizeof(*d));
	unsigned char out[2048];

	if (!d || !zero) {
		free(d);
		free(zero);
		return -1;
	}
	for (unsigned i = 0; i < runs; i++) {
		for (unsigned j = 0; stats_fd >= 0 && j < v->nperms; j++)
			bpf_map_update_elem(stats_fd, &v->perms[j].val.slot, zero, BPF_ANY);
		LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = v->in, .data_size_in = v->in_len,
			    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

		if (bpf_prog_test_run_opts(prog_fd, &run) < 0) {
			fprintf(stderr, "%s: BPF_PROG_TEST_RUN: %s\n", v->name, strerror(errno));
			free(d);
			free(zero);
			return -1;
		}
		if (check && (run.retval != XDP_TX || run.data_size_out != v->out_len ||
			      memcmp(out, v->out, v->out_len) != 0)) {
			fprintf(stderr, "%s: run %u did not relay the frame\n", v->name, i);
			free(d);
			free(zero);
			return -1;
		}
		d[i] = run.duration;
	}
	qsort(d, runs, sizeof(*d), cmp_u32);
	*ns = d[runs / 2];
	free(d);
	free(zero);
	return 0;
}

static struct turnpike *
load_for(const struct tp_vector *v)
{
	struct turnpike *skel = turnpike__open();

	if (!skel)
		return NULL;
	memcpy(&skel->rodata->tp_cfg.core, &v->cfg, sizeof(v->cfg));
	skel->rodata->tp_cfg.nexthop = TP_XDP_NEXTHOP_STATIC;
	memcpy(skel->rodata->tp_cfg.src_mac, v->relay_mac, 6);
	memcpy(skel->rodata->tp_cfg.dst_mac, v->next_hop_mac, 6);
	if (turnpike__load(skel)) {
		turnpike__destroy(skel);
		return NULL;
	}
	for (unsigned i = 0; i < v->nchans; i++)
		bpf_map_update_elem(bpf_map__fd(skel->maps.tp_chans), &v->chans[i].key,
				    &v->chans[i].val, BPF_ANY);
	for (unsigned i = 0; i < v->npeers; i++)
		bpf_map_update_elem(bpf_map__fd(skel->maps.tp_peers), &v->peers[i].key,
				    &v->peers[i].val, BPF_ANY);
	for (unsigned i = 0; i < v->nperms; i++)
		bpf_map_update_elem(bpf_map__fd(skel->maps.tp_perms), &v->perms[i].key,
				    &v->perms[i].val, BPF_ANY);
	for (unsigned i = 0; i < v->nsends; i++)
		bpf_map_update_elem(bpf_map__fd(skel->maps.tp_sends), &v->sends[i].key,
				    &v->sends[i].val, BPF_ANY);
	return skel;
}

int
main(int argc, char **argv)
{
	struct bpf_object *base;
	struct bpf_program *base_prog;
	unsigned runs;
	int failed = 0;

	if (argc != 3 || !(runs = (unsigned)strtoul(argv[2], NULL, 10))) {
		fprintf(stderr, "usage: xdp_bench BASELINE_OBJECT RUNS\n");
		return 2;
	}
	libbpf_set_print(quiet);
	base = bpf_object__open_file(argv[1], NULL);
	if (!base || bpf_object__load(base) ||
	    !(base_prog = bpf_object__next_program(base, NULL))) {
		fprintf(stderr, "cannot load the baseline program %s\n", argv[1]);
		return 1;
	}
	printf("%-13s %8s %10s %10s\n", "case", "bytes", "median ns", "- baseline");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tp_vector *v = find_vector(cases[i]);
		struct turnpike *skel = v ? load_for(v) : NULL;
		double ns, base_ns;

		if (!skel ||
		    median_ns(bpf_program__fd(skel->progs.turnpike_xdp),
			      bpf_map__fd(skel->maps.tp_binding_stats), v, runs, 1, &ns) < 0 ||
		    median_ns(bpf_program__fd(base_prog), -1, v, runs, 0, &base_ns) < 0) {
			failed = 1;
			turnpike__destroy(skel);
			continue;
		}
		printf("%-13s %8u %10.0f %10.0f\n", cases[i], v->in_len, ns, ns - base_ns);
		turnpike__destroy(skel);
	}
	bpf_object__close(base);
	return failed;
}
