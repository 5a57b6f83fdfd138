/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * XDP micro-bench: nanoseconds per packet for each rewrite, as the kernel times them in
 * BPF_PROG_TEST_RUN, two ways.
 *
 * One frame a run (the "median ns" columns). Each iteration must start from the original
 * frame: plain `repeat` would run the program again on the frame it has just rewritten.
 * Instead every iteration is its own run (repeat 1) on a fresh copy of the input, timed by
 * the kernel around the program alone; the median of many is reported, beside the same
 * figure for a program that only returns XDP_DROP on the same frame (the kernel's own per-run
 * cost: timer reads, context set-up), and their difference. Every run's output is checked to
 * be the relayed frame. Each run starts with what the system call left in the caches and the
 * TLB, so every table, counter and page the program touches is a miss (on a guest that
 * flushes its TLB at each system call, every one).
 *
 * Live frames (the "live ns" columns): BPF_F_TEST_XDP_LIVE_FRAMES runs a batch of
 * TP_BENCH_BATCH frames a run, each on a page of its own filled from the input, as a driver's
 * poll hands a batch to the program (one batch a run: the kernel refills a page only when it
 * first allocates it, so a second batch would see the bytes the first rewrote); the program's code
 * and tables stay warm from one frame to the next, as they do under load. The kernel acts on the
 * verdicts (XDP_TX: a transmit on the loopback device, which refuses it), so the baseline is a
 * program that only returns XDP_TX. The median over runs of the kernel's ns a frame, and the
 * difference. The output cannot be read back: the program's verdict counters must show every frame
 * under the case's reason instead.
 *
 * With XDP_BENCH_JIT=DIR set, each case's program is also written out as the JIT made it, one
 * file of x86 machine code per BPF function, DIR/CASE/NAME.bin with NAME as /proc/kallsyms
 * has it (bpf_prog_TAG_FUNCTION): bench/xdp-profile.sh disassembles them to put perf's samples
 * on instructions. Per case, because the verifier may prune what a case's .rodata rules out.
 *
 * XDP_BENCH_WAY=one or =live runs only that way (the other's columns read "-"): for
 * xdp-profile.sh.
 *
 * usage: xdp_bench BASELINE_OBJECT RUNS [CASE]      run as root
 * BASELINE_OBJECT holds xdp_drop and xdp_tx (xdp_drop.bpf.o); RUNS frames of each kind.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

/* Frames a live run hands the program, as many as a driver's poll (NAPI's budget). */
#define TP_BENCH_BATCH 64

/* Packets counted under each reason by the program's verdict counters, summed over CPUs. */
static int
reason_counts(int stats_fd, __u64 counts[TP_R_COUNT])
{
	int ncpus = libbpf_num_possible_cpus();
	struct tp_xdp_reason_stat *per_cpu;

	if (ncpus <= 0 || !(per_cpu = calloc((size_t)ncpus, sizeof(*per_cpu))))
		return -1;
	for (__u32 r = 0; r < TP_R_COUNT; r++) {
		counts[r] = 0;
		if (bpf_map_lookup_elem(stats_fd, &r, per_cpu) < 0) {
			free(per_cpu);
			return -1;
		}
		for (int cpu = 0; cpu < ncpus; cpu++)
			counts[r] += per_cpu[cpu].packets;
	}
	free(per_cpu);
	return 0;
}

/*
 * Median over rounds live runs of TP_BENCH_BATCH frames each of prog_fd on v's input: the
 * kernel's ns a frame. stats_fd (or -1): the program's verdict counters, which must count
 * every frame under v's reason and nothing else; -1 if they do not.
 */
static int
live_ns(int prog_fd, int stats_fd, const struct tp_vector *v, unsigned rounds, double *ns)
{
	__u64 before[TP_R_COUNT], after[TP_R_COUNT];
	__u32 *d = calloc(rounds, sizeof(*d));
	int rc = -1;

	if (!d || (stats_fd >= 0 && reason_counts(stats_fd, before) < 0)) {
		fprintf(stderr, "%s: live frames: no memory, or the verdict counters unread\n",
			v->name);
		goto out;
	}
	for (unsigned i = 0; i < rounds; i++) {
		LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = v->in, .data_size_in = v->in_len,
			    .repeat = TP_BENCH_BATCH, .batch_size = TP_BENCH_BATCH,
			    .flags = BPF_F_TEST_XDP_LIVE_FRAMES);

		if (bpf_prog_test_run_opts(prog_fd, &run) < 0) {
			fprintf(stderr, "%s: BPF_PROG_TEST_RUN, live frames: %s\n", v->name,
				strerror(errno));
			goto out;
		}
		d[i] = run.duration;
	}
	if (stats_fd >= 0) {
		if (reason_counts(stats_fd, after) < 0) {
			fprintf(stderr, "%s: live frames: the verdict counters unread\n", v->name);
			goto out;
		}
		for (__u32 r = 0; r < TP_R_COUNT; r++) {
			__u64 want = strcmp(tp_reason_name((enum tp_reason)r), v->reason) == 0
					     ? (__u64)rounds * TP_BENCH_BATCH
					     : 0;

			if (after[r] - before[r] != want) {
				fprintf(stderr, "%s: live frames: %llu counted as %s, not %llu\n",
					v->name, (unsigned long long)(after[r] - before[r]),
					tp_reason_name((enum tp_reason)r),
					(unsigned long long)want);
				goto out;
			}
		}
	}
	qsort(d, rounds, sizeof(*d), cmp_u32);
	*ns = d[rounds / 2];
	rc = 0;
out:
	free(d);
	return rc;
}

/* The kernel's name for the JIT code at addr ("bpf_prog_TAG_FUNCTION"), from /proc/kallsyms. */
static int
ksym_name(__u64 addr, char *name, size_t size)
{
	FILE *f;
	char line[512], sym[256];
	uint64_t a;
	int found = -1;

	if (!addr || !(f = fopen("/proc/kallsyms", "r")))
		return -1; /* 0: the kernel hides its addresses (kptr_restrict) */
	while (found < 0 && fgets(line, sizeof(line), f))
		if (sscanf(line, "%" SCNx64 " %*s %255s", &a, sym) == 2 && a == addr &&
		    (size_t)snprintf(name, size, "%s", sym) < size)
			found = 0;
	fclose(f);
	return found;
}

/* prog_fd's JIT code, one file per BPF function: dir/case_name/KSYM.bin. */
static int
dump_jit(int prog_fd, const char *dir, const char *case_name)
{
	struct bpf_prog_info info = { 0 };
	__u32 len = sizeof(info), nfuncs, size;
	unsigned char *code = NULL;
	__u32 *lens = NULL;
	__u64 *addrs = NULL;
	char path[1024], name[256];
	int rc = -1;

	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0 || !info.jited_prog_len)
		goto out;
	nfuncs = info.nr_jited_ksyms;
	size = info.jited_prog_len;
	if (nfuncs != info.nr_jited_func_lens || !(code = malloc(size)) ||
	    !(lens = calloc(nfuncs, sizeof(*lens))) || !(addrs = calloc(nfuncs, sizeof(*addrs))))
		goto out;
	memset(&info, 0, sizeof(info));
	info.jited_prog_len = size;
	info.jited_prog_insns = (__u64)(unsigned long)code;
	info.nr_jited_ksyms = nfuncs;
	info.jited_ksyms = (__u64)(unsigned long)addrs;
	info.nr_jited_func_lens = nfuncs;
	info.jited_func_lens = (__u64)(unsigned long)lens;
	len = sizeof(info);
	/* The kernel hides the code and the addresses from who may not see kernel pointers: it
	 * zeroes them and still succeeds. */
	if (bpf_obj_get_info_by_fd(prog_fd, &info, &len) < 0 || !info.jited_prog_insns ||
	    !info.jited_ksyms)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", dir, case_name);
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		goto out;
	if (mkdir(path, 0755) < 0 && errno != EEXIST)
		goto out;
	rc = 0;
	for (__u32 i = 0, at = 0; rc == 0 && i < nfuncs; at += lens[i++]) {
		FILE *f;

		if (at + lens[i] > size || ksym_name(addrs[i], name, sizeof(name)) < 0) {
			rc = -1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s/%s.bin", dir, case_name, name);
		if (!(f = fopen(path, "wb")) || fwrite(code + at, 1, lens[i], f) != lens[i])
			rc = -1;
		if (f && fclose(f) != 0)
			rc = -1;
	}
out:
	if (rc < 0)
		fprintf(stderr,
			"%s: cannot write the JIT code under %s (or the kernel hides it: "
			"kernel.kptr_restrict)\n",
			case_name, dir);
	free(code);
	free(lens);
	free(addrs);
	return rc;
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
	/* As xdp mode keeps them: a hairpin's far end and the outputs' labels beside the values. */
	for (unsigned i = 0; i < v->nchans; i++) {
		struct tp_xdp_chan_val cv;

		tp_xdp_chan_val_of(&cv, &v->cfg, &v->chans[i].val,
				   tp_vector_far(v, &v->chans[i].val));
		bpf_map_update_elem(bpf_map__fd(skel->maps.tp_chans), &v->chans[i].key, &cv,
				    BPF_ANY);
	}
	for (unsigned i = 0; i < v->npeers + v->nperms; i++) {
		const struct tp_vec_peer *e =
			i < v->npeers ? &v->peers[i] : &v->perms[i - v->npeers];
		struct tp_xdp_peer_val pv;

		tp_xdp_peer_val_of(&pv, &v->cfg, &e->val);
		bpf_map_update_elem(
			bpf_map__fd(i < v->npeers ? skel->maps.tp_peers : skel->maps.tp_perms),
			&e->key, &pv, BPF_ANY);
	}
	for (unsigned i = 0; i < v->nsends; i++) {
		struct tp_xdp_chan_val sv;

		tp_xdp_chan_val_of(&sv, &v->cfg, &v->sends[i].val, NULL);
		bpf_map_update_elem(bpf_map__fd(skel->maps.tp_sends), &v->sends[i].key, &sv,
				    BPF_ANY);
	}
	return skel;
}

int
main(int argc, char **argv)
{
	struct bpf_object *base;
	struct bpf_program *base_prog, *tx_prog;
	const char *jit_dir = getenv("XDP_BENCH_JIT"), *only = argc == 4 ? argv[3] : NULL;
	const char *way = getenv("XDP_BENCH_WAY");
	int one_way, live_way;
	unsigned runs, live_rounds;
	int failed = 0, only_found = 0;

	if (argc < 3 || argc > 4 || !(runs = (unsigned)strtoul(argv[2], NULL, 10))) {
		fprintf(stderr, "usage: xdp_bench BASELINE_OBJECT RUNS [CASE]\n");
		return 2;
	}
	for (size_t i = 0; only && i < sizeof(cases) / sizeof(cases[0]); i++)
		if (strcmp(only, cases[i]) == 0)
			only_found = 1;
	one_way = !way || strcmp(way, "live") != 0;
	live_way = !way || strcmp(way, "one") != 0;
	if (way && strcmp(way, "one") != 0 && strcmp(way, "live") != 0) {
		fprintf(stderr, "xdp_bench: XDP_BENCH_WAY is one or live, not %s\n", way);
		return 2;
	}
	if (only && !only_found) {
		fprintf(stderr, "xdp_bench: no case %s\n", only);
		return 2;
	}
	libbpf_set_print(quiet);
	base = bpf_object__open_file(argv[1], NULL);
	if (!base || bpf_object__load(base) ||
	    !(base_prog = bpf_object__find_program_by_name(base, "xdp_drop")) ||
	    !(tx_prog = bpf_object__find_program_by_name(base, "xdp_tx"))) {
		fprintf(stderr, "cannot load the baseline programs xdp_drop and xdp_tx from %s\n",
			argv[1]);
		return 1;
	}
	live_rounds = (runs + TP_BENCH_BATCH - 1) / TP_BENCH_BATCH;
	printf("%-13s %8s %10s %10s %10s %10s\n", "case", "bytes", "median ns", "- baseline",
	       "live ns", "- baseline");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct tp_vector *v = find_vector(cases[i]);
		struct turnpike *skel;
		double ns, base_ns, live, base_live;

		if (only && strcmp(only, cases[i]) != 0)
			continue;
		skel = v ? load_for(v) : NULL;
		if (!skel ||
		    (jit_dir &&
		     dump_jit(bpf_program__fd(skel->progs.turnpike_xdp), jit_dir, cases[i]) < 0) ||
		    (one_way &&
		     (median_ns(bpf_program__fd(skel->progs.turnpike_xdp),
				bpf_map__fd(skel->maps.tp_binding_stats), v, runs, 1, &ns) < 0 ||
		      median_ns(bpf_program__fd(base_prog), -1, v, runs, 0, &base_ns) < 0)) ||
		    (live_way &&
		     (live_ns(bpf_program__fd(skel->progs.turnpike_xdp),
			      bpf_map__fd(skel->maps.tp_reason_stats), v, live_rounds, &live) < 0 ||
		      live_ns(bpf_program__fd(tx_prog), -1, v, live_rounds, &base_live) < 0))) {
			failed = 1;
			turnpike__destroy(skel);
			continue;
		}
		printf("%-13s %8u", cases[i], v->in_len);
		if (one_way)
			printf(" %10.0f %10.0f", ns, ns - base_ns);
		else
			printf(" %10s %10s", "-", "-");
		if (live_way)
			printf(" %10.0f %10.0f\n", live, live - base_live);
		else
			printf(" %10s %10s\n", "-", "-");
		turnpike__destroy(skel);
	}
	bpf_object__close(base);
	return failed;
}
