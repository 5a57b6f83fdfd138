/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Worker micro-bench: TSC cycles per frame that a DPDK worker spends on its bursts, with many
 * bindings in the real tables and the frames spread over all of them, measured on one thread
 * without a second process or a wire. The memif benches (dpdk-bench.sh, scaling.sh) measure
 * the same worker with a generator beside it, and on a small VM swing by 3x between runs;
 * this one gives the worker's own cost, repeatably, to compare versions and table sizes.
 *
 * The tables are turnpike's (dp_new, dp_table_put: rte_hash with lock-free reads, the values
 * in their slot arrays, the per-worker counters), loaded with BINDINGS bindings for each
 * chosen case of the golden vectors: the case's binding repeated with its ports and channel
 * made unique, and its reverse entry beside it, as the engine writes them. Each timed burst is
 * 32 frames, the case's golden input with the ports and channel of bindings taken in a
 * scattered order (a stride coprime to BINDINGS), refilled into the mbufs before the clock
 * starts, as a PMD's RX would leave them: in the cache. The clock covers dp_worker_burst()
 * (parse, the bulk lookups, rewrite, counters) and dp_worker_send() into a net_ring port; a
 * second loop times the send alone ("port"), and the difference is turnpike's own work.
 *
 * The permission flows' eight cases (peer data to Data indications, Send indications to UDP)
 * load the send and permission tables the same way, a flow per binding (channel 0), and vary
 * the client's port and the peer's port (in XOR-PEER-ADDRESS for a Send indication) and the
 * allocation's. Their peer ports lie above the twelve's, so that no permission key is also a
 * peer key.
 *
 * Every frame must come out relayed, under the case's reason; one in 16 is checked for the
 * binding's ports and channel (a Data indication: its XOR-PEER-ADDRESS port). Any other
 * outcome fails the run (exit 1).
 *
 * With more lcores, more workers at once (dp_new makes one per lcore after the main one):
 * worker 0 on this thread, the others on their lcores, each with its own TX queue, starting
 * at its own place in the bindings, all in step case by case; their cycles are averaged and
 * their frame rates summed. The tables are shared, as the workers of a relay share them.
 *
 * usage: worker_bench [EAL options] -- [--resolve] BINDINGS FRAMES [CASE,...]
 *        BINDINGS per case; FRAMES timed per case; CASE names (all twelve by default, "perm"
 *        the eight permission flows' cases, or any of the twenty by name);
 *        --resolve: every next hop a gateway in the neighbour table (as a relay without
 *        dpdk.nexthop-mac runs), instead of a static next-hop MAC.
 *        EAL: two lcores or more (-l 0,1: dp_new wants a worker; this thread plays the
 *        first, and the first worker lcore stays idle: --lcores 0@0,1@0,2@1 for two), and
 *        --no-shconf --no-telemetry (no shared files, no socket: the run directory is
 *        left empty, and removed at the end).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "dp.h"
#include "tp_csum.h"
#include "vector_runner.h"

#define BURST	 DP_BURST
#define BLOCK	 256 /* bursts per timed block; the median block is reported */
#define CHECK_EV 16  /* one frame in CHECK_EV is checked field by field */

/*
 * Binding i of case c, made unique across all cases: lo = i % 1024 picks the channel (and the
 * peer port, or B's allocation port in a hairpin), hi = i / 1024 the client port (in case c's
 * band of 4096; B's clients 2048 above A's) and the allocation port (in case c's band of 1280
 * from port-min; B's hairpin allocations above all twelve bands).
 */
#define LO_SPAN	     1024
#define CPORT_BAND   4096
#define APORT_BAND   1280
#define MAX_PER_CASE (APORT_BAND * LO_SPAN) /* hi stays inside both bands */
#define PERM_PPORT   8192		    /* the permission flows' peer ports from here */
#define NCASES	     (TP_VEC_NCASES + TP_VEC_NPERM_CASES)

struct fields {
	uint16_t cport_a, cport_b, chan, pport, aport_a, aport_b;
};

struct bcase {
	const char *name;
	const struct tp_vector *v;
	unsigned c; /* index in tp_vec_cases, or in tp_vec_perm_cases (perm) */
	int cd_in, hairpin;
	int perm, send_in;	      /* a permission flow's case; its input a Send indication */
	unsigned xpeer_in, xpeer_out; /* XOR-PEER-ADDRESS's port in the UDP datagram in, out */
	unsigned l4_in, l4_out;	      /* the UDP header's offset in the input and output frames */
	enum tp_reason reason;
};

/* One worker's run: its dp_worker, its TX queue's ring, and what it measured. */
struct wctx {
	struct dp_worker *w;
	struct rte_ring *tx;
	uint32_t start; /* the first binding it sends for: the workers start spread out */
	int status;
	double cycles[NCASES], port_cycles[NCASES];
};

static struct rte_mempool *pool;
static uint32_t nbind;
static uint64_t frames;
static struct bcase bcs[NCASES];
static unsigned ncases, nworkers;
static uint32_t arrived; /* the workers' barrier: each timed run starts together */

static void
fields_of(const struct bcase *bc, uint32_t i, struct fields *f)
{
	uint16_t lo = (uint16_t)(i % LO_SPAN), hi = (uint16_t)(i / LO_SPAN);
	uint16_t amin = bc->v->cfg.port_min;

	f->cport_a = (uint16_t)(1024 + bc->c * CPORT_BAND + hi);
	f->cport_b = (uint16_t)(f->cport_a + CPORT_BAND / 2);
	f->chan = (uint16_t)(0x4000 + lo);
	f->pport = (uint16_t)((bc->perm ? PERM_PPORT : 1024) + lo);
	f->aport_a = (uint16_t)(amin + bc->c * APORT_BAND + hi);
	f->aport_b = (uint16_t)(amin + TP_VEC_NCASES * APORT_BAND + lo);
}

/* The peer entry that answers a channel entry, and the reverse: one binding's pair. */
static void
peer_of(const struct tp_chan_key *ck, const struct tp_chan_val *cv, struct tp_peer_key *pk,
	struct tp_peer_val *pv)
{
	memset(pk, 0, sizeof(*pk));
	memcpy(pk->peer_ip, cv->peer_ip, 16);
	pk->peer_port = cv->peer_port;
	pk->alloc_port = cv->alloc_port;
	pk->family = cv->family;
	memcpy(pv->client_ip, ck->client_ip, 16);
	pv->client_port = ck->client_port;
	pv->channel = ck->channel;
	pv->slot = cv->slot;
}

/* A permission's flow, the same pair: its send entry and its permission entry. */
static void
perm_of(const struct tp_send_key *sk, const struct tp_chan_val *sv, struct tp_peer_key *pk,
	struct tp_peer_val *pv)
{
	struct tp_chan_key ck = { .client_port = sk->client_port };

	memcpy(ck.client_ip, sk->client_ip, 16);
	peer_of(&ck, sv, pk, pv);
}

static void
chan_of(const struct tp_peer_key *pk, const struct tp_peer_val *pv, struct tp_chan_key *ck,
	struct tp_chan_val *cv)
{
	memset(cv, 0, sizeof(*cv));
	memcpy(ck->client_ip, pv->client_ip, 16);
	ck->client_port = pv->client_port;
	ck->channel = pv->channel;
	memcpy(cv->peer_ip, pk->peer_ip, 16);
	cv->peer_port = pk->peer_port;
	cv->alloc_port = pk->alloc_port;
	cv->family = pk->family;
	cv->slot = pv->slot;
}

static void
send_of(const struct tp_peer_key *pk, const struct tp_peer_val *pv, struct tp_send_key *sk,
	struct tp_chan_val *sv)
{
	struct tp_chan_key ck;

	chan_of(pk, pv, &ck, sv);
	memset(sk, 0, sizeof(*sk));
	memcpy(sk->client_ip, ck.client_ip, 16);
	sk->client_port = ck.client_port;
	sk->peer_port = pk->peer_port;
	memcpy(sk->peer_ip, pk->peer_ip, 16);
}

/* Binding i of bc into the tables, at slots from *slot on. */
static int
load_binding(struct dp *dp, const struct bcase *bc, uint32_t i, uint32_t *slot)
{
	struct tp_chan_key ck;
	struct tp_chan_val cv;
	struct tp_peer_key pk;
	struct tp_peer_val pv;
	struct fields f;
	int ret;

	fields_of(bc, i, &f);
	if (bc->perm) {
		struct tp_send_key sk;

		if (bc->send_in) {
			sk = bc->v->sends[0].key;
			cv = bc->v->sends[0].val;
			sk.client_port = htons(f.cport_a);
			sk.peer_port = cv.peer_port = htons(f.pport);
			cv.alloc_port = htons(f.aport_a);
			cv.slot = ++*slot;
			perm_of(&sk, &cv, &pk, &pv);
		} else {
			pk = bc->v->perms[0].key;
			pv = bc->v->perms[0].val;
			pk.peer_port = htons(f.pport);
			pk.alloc_port = htons(f.aport_a);
			pv.client_port = htons(f.cport_a);
			pv.slot = ++*slot;
			send_of(&pk, &pv, &sk, &cv);
		}
		if ((ret = dp_table_put_send(dp, &sk, &cv)) < 0)
			return ret;
		return dp_table_put_perm(dp, &pk, &pv);
	}
	if (bc->cd_in) { /* the client's channel; in a hairpin, toward B's allocation */
		ck = bc->v->chans[0].key;
		cv = bc->v->chans[0].val;
		ck.client_port = htons(f.cport_a);
		ck.channel = htons(f.chan);
		cv.peer_port = htons(bc->hairpin ? f.aport_b : f.pport);
		cv.alloc_port = htons(f.aport_a);
		cv.slot = ++*slot;
		peer_of(&ck, &cv, &pk, &pv);
		if ((ret = dp_table_put(dp, &ck, &cv, &pk, &pv)) < 0 || !bc->hairpin)
			return ret;
	}
	/* The peer's side; in a hairpin, B's binding toward A's allocation. */
	pk = bc->v->peers[0].key;
	pv = bc->v->peers[0].val;
	pk.peer_port = htons(bc->hairpin ? f.aport_a : f.pport);
	pk.alloc_port = htons(bc->hairpin ? f.aport_b : f.aport_a);
	pv.client_port = htons(bc->hairpin ? f.cport_b : f.cport_a);
	pv.channel = htons(f.chan);
	pv.slot = ++*slot;
	chan_of(&pk, &pv, &ck, &cv);
	return dp_table_put(dp, &ck, &cv, &pk, &pv);
}

static unsigned
udp_offset(const uint8_t *frame)
{
	return frame[12] == 0x08 ? 14 + (unsigned)(frame[14] & 0xf) * 4 : 14 + 40;
}

static uint16_t
get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* A 16-bit field of the UDP datagram at udp, with its checksum kept right (RFC 1624). */
static void
set16(uint8_t *udp, unsigned off, uint16_t val)
{
	uint16_t old = get16(udp + off), sum = get16(udp + 6);

	udp[off] = (uint8_t)(val >> 8);
	udp[off + 1] = (uint8_t)val;
	if (!sum) /* IPv4 without a checksum */
		return;
	sum = tp_csum_replace16(sum, old, val);
	if (!sum) /* a sum of zero is sent as all ones */
		sum = 0xffff;
	udp[6] = (uint8_t)(sum >> 8);
	udp[7] = (uint8_t)sum;
}

/* The case's input for binding i, into m as RX would leave it. */
static void
fill(const struct bcase *bc, struct rte_mbuf *m, uint32_t i)
{
	const struct tp_vector *v = bc->v;
	struct fields f;
	uint8_t *udp;

	rte_pktmbuf_reset(m);
	udp = (uint8_t *)rte_pktmbuf_append(m, (uint16_t)v->in_len);
	memcpy(udp, v->in, v->in_len);
	udp += bc->l4_in;
	fields_of(bc, i, &f);
	if (bc->send_in) {
		set16(udp, 0, f.cport_a);
		set16(udp, bc->xpeer_in, f.pport ^ (TP_STUN_COOKIE >> 16));
	} else if (bc->cd_in) {
		set16(udp, 0, f.cport_a);
		set16(udp, 8, f.chan);
	} else {
		set16(udp, 0, f.pport);
		set16(udp, 2, f.aport_a);
	}
}

/* Does the frame out of binding i name the binding's far end? */
static int
check(const struct bcase *bc, const struct rte_mbuf *m, uint32_t i)
{
	const uint8_t *udp = rte_pktmbuf_mtod(m, const uint8_t *) + bc->l4_out;
	struct fields f;

	fields_of(bc, i, &f);
	if (rte_pktmbuf_data_len(m) != bc->v->out_len)
		return 0;
	switch (bc->reason) {
	case TP_R_TO_PEER:
	case TP_R_SEND_TO_PEER:
		return get16(udp) == f.aport_a && get16(udp + 2) == f.pport;
	case TP_R_DATA_INDICATION:
		return get16(udp + 2) == f.cport_a &&
		       get16(udp + bc->xpeer_out) == (f.pport ^ (TP_STUN_COOKIE >> 16));
	case TP_R_TO_CLIENT:
		return get16(udp + 2) == f.cport_a && get16(udp + 8) == f.chan;
	default: /* hairpin: from A's allocation's view, to B */
		return get16(udp + 2) == f.cport_b && get16(udp + 8) == f.chan;
	}
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static uint32_t
gcd(uint32_t a, uint32_t b)
{
	while (b) {
		uint32_t t = a % b;

		a = b;
		b = t;
	}
	return a;
}

/*
 * n frames of bc through the worker (port_only: straight to its TX), in bursts; the
 * median block's cycles per frame. Fails (-1) on any frame not relayed as it should be.
 */
static int
run(struct wctx *wc, const struct bcase *bc, uint64_t n, int port_only, double *out)
{
	struct dp_worker *w = wc->w;
	uint32_t stride = 2654435761u % nbind, at = wc->start;
	uint64_t nbursts = (n + BURST - 1) / BURST, nblocks = (nbursts + BLOCK - 1) / BLOCK;
	double *blocks = calloc(nblocks, sizeof(*blocks));
	struct rte_mbuf *ms[BURST], *outs[BURST];
	uint32_t idx[BURST];
	uint64_t cyc = 0, bad = 0;
	unsigned inblock = 0, nb = 0;

	if (!blocks)
		return -1;
	while (stride < 2 || gcd(stride, nbind) != 1)
		stride++;
	if (rte_pktmbuf_alloc_bulk(pool, ms, BURST) != 0) {
		free(blocks);
		return -1;
	}
	for (uint64_t b = 0; b < nbursts; b++) {
		for (unsigned k = 0; k < BURST; k++) {
			idx[k] = at;
			fill(bc, ms[k], at);
			at = (uint32_t)(((uint64_t)at + stride) % nbind);
		}
		uint64_t t0 = rte_rdtsc();

		if (port_only) {
			for (unsigned k = 0; k < BURST; k++)
				w->tx[w->ntx++] = ms[k];
		} else {
			dp_worker_burst(w, ms, BURST);
		}
		if (w->ntx)
			dp_worker_send(w);
		cyc += rte_rdtsc() - t0;

		unsigned got = rte_ring_dequeue_burst(wc->tx, (void **)outs, BURST, NULL);

		if (got != BURST)
			bad += BURST - got;
		for (unsigned k = 0; k < got; k++)
			if (!port_only && (idx[k] % CHECK_EV) == 0 && !check(bc, outs[k], idx[k]))
				bad++;
		/* What came out goes round again; anything lost is replaced. */
		memcpy(ms, outs, got * sizeof(*ms));
		if (got < BURST && rte_pktmbuf_alloc_bulk(pool, ms + got, BURST - got) != 0)
			break;
		if (++inblock == BLOCK || b + 1 == nbursts) {
			blocks[nb++] = (double)cyc / (inblock * BURST);
			cyc = 0;
			inblock = 0;
		}
	}
	rte_pktmbuf_free_bulk(ms, BURST);
	qsort(blocks, nb, sizeof(*blocks), cmp_double);
	*out = nb ? blocks[nb / 2] : 0;
	free(blocks);
	if (bad || nb < nblocks) {
		fprintf(stderr, "worker_bench: %s: %" PRIu64 " frames not relayed as bound\n",
			bc->name, bad);
		return -1;
	}
	return 0;
}

/* Case c's name: the twelve's, then the permission flows' eight. */
static const char *
case_name(unsigned c)
{
	return c < TP_VEC_NCASES ? tp_vec_cases[c] : tp_vec_perm_cases[c - TP_VEC_NCASES];
}

/* The offset of XOR-PEER-ADDRESS's port in the UDP datagram at udp (a STUN message after its
 * 8 bytes), or 0 where it has none, or has a FINGERPRINT (which a changed port would break). */
static unsigned
xpeer_port_at(const uint8_t *udp, unsigned udp_len)
{
	unsigned at = 0;

	for (unsigned off = 8 + 20; off + 4 <= udp_len;) {
		uint16_t type = get16(udp + off), len = get16(udp + off + 2);

		if (type == TP_STUN_ATTR_FINGERPRINT)
			return 0;
		if (type == TP_STUN_ATTR_XOR_PEER && len >= 8)
			at = off + 4 + 2;
		off += 4 + ((len + 3u) & ~3u);
	}
	return at;
}

/* The cases named in list into bcs[], ncases of them. */
static int
pick_cases(char *list)
{
	ncases = 0;
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		unsigned c = 0;

		while (c < NCASES && strcmp(tok, case_name(c)) != 0)
			c++;
		if (c == NCASES || ncases == NCASES) {
			fprintf(stderr, "worker_bench: no case \"%s\" (or twice); the cases are",
				tok);
			for (c = 0; c < NCASES; c++)
				fprintf(stderr, " %s", case_name(c));
			fprintf(stderr, "\n");
			return -1;
		}
		struct bcase *bc = &bcs[ncases++];

		bc->name = case_name(c);
		bc->v = tp_vec_by_name(bc->name);
		bc->perm = c >= TP_VEC_NCASES;
		bc->c = bc->perm ? c - TP_VEC_NCASES : c;
		bc->send_in = bc->name[0] == 's';
		bc->cd_in = bc->name[0] == 'c';
		bc->hairpin = !bc->perm && c >= 8;
		bc->reason = bc->perm	   ? bc->send_in ? TP_R_SEND_TO_PEER : TP_R_DATA_INDICATION
			     : bc->hairpin ? TP_R_HAIRPIN
			     : bc->cd_in   ? TP_R_TO_PEER
					   : TP_R_TO_CLIENT;
		if (!bc->v || memcmp(&bc->v->cfg, &tp_vectors[0].cfg, sizeof(bc->v->cfg)) != 0) {
			fprintf(stderr, "worker_bench: %s: no vector, or not the first's config\n",
				bc->name);
			return -1;
		}
		bc->l4_in = udp_offset(bc->v->in);
		bc->l4_out = udp_offset(bc->v->out);
		if (bc->send_in && !(bc->xpeer_in = xpeer_port_at(bc->v->in + bc->l4_in,
								  bc->v->in_len - bc->l4_in))) {
			fprintf(stderr, "worker_bench: %s: no XOR-PEER-ADDRESS, or a FINGERPRINT\n",
				bc->name);
			return -1;
		}
		if (bc->reason == TP_R_DATA_INDICATION &&
		    !(bc->xpeer_out = xpeer_port_at(bc->v->out + bc->l4_out,
						    bc->v->out_len - bc->l4_out))) {
			fprintf(stderr, "worker_bench: %s: no XOR-PEER-ADDRESS out\n", bc->name);
			return -1;
		}
	}
	return ncases ? 0 : -1;
}

/* All workers here before any goes on (a spinning barrier: the workers have their cores). */
static void
barrier(unsigned round)
{
	__atomic_add_fetch(&arrived, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&arrived, __ATOMIC_ACQUIRE) < round * nworkers)
		rte_pause();
}

/* One worker through every case: a warm-up pass, then the timed runs, all in step. */
static int
worker_main(void *arg)
{
	struct wctx *wc = arg;
	struct dp_worker *w = wc->w;
	unsigned round = 0;

	for (unsigned k = 0; k < ncases; k++) {
		const struct bcase *bc = &bcs[k];
		uint64_t before = w->reasons[bc->reason].packets;
		uint64_t warm = RTE_MAX((uint64_t)nbind, (uint64_t)BURST);

		/* A pass over the bindings first, so that every case starts from the same cache. */
		if (run(wc, bc, warm, 0, &wc->cycles[k]) < 0)
			wc->status = 1;
		barrier(++round);
		if (run(wc, bc, frames, 0, &wc->cycles[k]) < 0)
			wc->status = 1;
		barrier(++round);
		if (run(wc, bc, frames, 1, &wc->port_cycles[k]) < 0)
			wc->status = 1;

		uint64_t n = w->reasons[bc->reason].packets - before;
		uint64_t want =
			(warm + BURST - 1) / BURST * BURST + (frames + BURST - 1) / BURST * BURST;

		if (n != want || w->tx_dropped) {
			fprintf(stderr,
				"worker_bench: %s: worker %u: %" PRIu64 " of %" PRIu64
				" counted as %s, %" PRIu64 " refused by TX\n",
				bc->name, w->index, n, want, tp_reason_name(bc->reason),
				w->tx_dropped);
			wc->status = 1;
		}
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static struct tp_config cfg;
	static struct wctx wcs[DP_MAX_WORKERS];
	static struct rte_ring *rx[DP_MAX_WORKERS], *tx[DP_MAX_WORKERS];
	char err[256], all[256], *list = all;
	int eal = rte_eal_init(argc, argv), status = 0;

	if (eal < 0) {
		fprintf(stderr, "worker_bench: EAL: %s\n", rte_strerror(rte_errno));
		return 2;
	}
	argc -= eal;
	argv += eal;
	/* --resolve: next hops from the neighbour table, as without dpdk.nexthop-mac. */
	bool resolve = argc > 1 && strcmp(argv[1], "--resolve") == 0;

	if (resolve) {
		argc--;
		argv++;
	}
	snprintf(all, sizeof(all), "%s", tp_vec_cases[0]);
	for (unsigned c = 1; c < TP_VEC_NCASES; c++)
		snprintf(all + strlen(all), sizeof(all) - strlen(all), ",%s", tp_vec_cases[c]);
	if (argc < 3 || argc > 4 || (nbind = (uint32_t)strtoul(argv[1], NULL, 10)) == 0 ||
	    nbind > MAX_PER_CASE || (frames = strtoull(argv[2], NULL, 10)) < BURST) {
		fprintf(stderr,
			"usage: worker_bench [EAL options] -- [--resolve] BINDINGS FRAMES "
			"[CASE,...]\n"
			"  BINDINGS per case (1 to %u), FRAMES timed per case (32 or more)\n",
			MAX_PER_CASE);
		return 2;
	}
	if (argc == 4 && strcmp(argv[3], "perm") == 0) {
		snprintf(all, sizeof(all), "%s", tp_vec_perm_cases[0]);
		for (unsigned c = 1; c < TP_VEC_NPERM_CASES; c++)
			snprintf(all + strlen(all), sizeof(all) - strlen(all), ",%s",
				 tp_vec_perm_cases[c]);
	} else if (argc == 4 && strcmp(argv[3], "all") != 0) {
		list = argv[3];
	}
	if (pick_cases(list) < 0)
		return 2;
	nworkers = rte_lcore_count() - 1;
	if (nworkers < 1 || nworkers > DP_MAX_WORKERS) {
		fprintf(stderr,
			"worker_bench: name 2 to %d lcores (-l 0,1): the main one and a "
			"worker for each one after it\n",
			DP_MAX_WORKERS + 1);
		return 2;
	}

	/* Slots: one per binding, two per hairpin binding (A's and B's). */
	uint32_t slots = 0;

	for (unsigned k = 0; k < ncases; k++)
		slots += nbind * (bcs[k].hairpin ? 2 : 1);
	if (tp_config_defaults(&cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "worker_bench: %s\n", err);
		return 2;
	}
	cfg.dpdk.max_bindings = slots;
	if (resolve) {
		/* Every peer and client of the vectors is off-link: behind a gateway. */
		cfg.dpdk.prefix_len[0] = 24;
		cfg.dpdk.prefix_len[1] = 64;
		if (tp_addr_parse_ip(&cfg.dpdk.gateway[0], "192.0.2.254") < 0 ||
		    tp_addr_parse_ip(&cfg.dpdk.gateway[1], "2001:db8::fe") < 0)
			return 2;
	} else {
		cfg.dpdk.nexthop_mac.set = true;
		memcpy(cfg.dpdk.nexthop_mac.addr, tp_vectors[0].next_hop_mac, 6);
	}

	pool = rte_pktmbuf_pool_create("wb_pool", 1024 * nworkers - 1, 64, 0,
				       RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	for (unsigned k = 0; k < nworkers; k++) {
		char name[RTE_RING_NAMESIZE];

		snprintf(name, sizeof(name), "wb_rx%u", k);
		rx[k] = rte_ring_create(name, 64, (int)rte_socket_id(),
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		snprintf(name, sizeof(name), "wb_tx%u", k);
		tx[k] = rte_ring_create(name, 64, (int)rte_socket_id(),
					RING_F_SP_ENQ | RING_F_SC_DEQ);
		if (!rx[k] || !tx[k])
			pool = NULL;
	}
	int p = pool ? rte_eth_from_rings("net_ring_wb", rx, nworkers, tx, nworkers,
					  (unsigned)rte_socket_id())
		     : -1;
	struct dp *dp = NULL;

	if (p < 0) {
		fprintf(stderr, "worker_bench: cannot make the ring port: %s\n",
			rte_strerror(rte_errno));
		return 1;
	}
	if (!(dp = dp_new(&cfg, (uint16_t)p, &tp_vectors[0].cfg)) ||
	    dp_port_init(&cfg, (uint16_t)p, nworkers, pool) < 0) {
		fprintf(stderr,
			"worker_bench: cannot set up the dataplane for %u bindings "
			"(with --no-huge, raise -m)\n",
			slots);
		return 1;
	}
	dp->pool = pool;
	memcpy(dp->mac.addr_bytes, tp_vectors[0].relay_mac, 6);
	for (int f = 0; resolve && f < 2; f++) {
		struct rte_ether_addr mac;
		uint8_t ip16[16];

		memcpy(mac.addr_bytes, tp_vectors[0].next_hop_mac, 6);
		tp_ip_to16(ip16, cfg.dpdk.gateway[f].ip, f ? TP_FAM_V6 : TP_FAM_V4);
		if (dp_neigh_set(dp, ip16, &mac) < 0)
			return 1;
	}

	uint64_t t0 = rte_get_timer_cycles();
	uint32_t slot = 0;

	for (unsigned k = 0; k < ncases; k++)
		for (uint32_t i = 0; i < nbind; i++) {
			int ret = load_binding(dp, &bcs[k], i, &slot);

			if (ret < 0) {
				fprintf(stderr, "worker_bench: %s: binding %u: %s\n", bcs[k].name,
					i, strerror(-ret));
				return 1;
			}
		}
	double secs = (double)(rte_get_timer_cycles() - t0) / rte_get_timer_hz();
	uint32_t nchans = (uint32_t)(rte_hash_count(dp->chans) + rte_hash_count(dp->sends));
	uint32_t npeers = (uint32_t)(rte_hash_count(dp->peers) + rte_hash_count(dp->perms));

	/* Every binding's entries distinct: a key made twice would have replaced one. */
	if (nchans != slots || npeers != slots) {
		fprintf(stderr,
			"worker_bench: %u channel and send, %u peer and permission entries for "
			"%u slots\n",
			nchans, npeers, slots);
		return 1;
	}
	printf("%u bindings per case, %u entries in each table, loaded in %.2f s; TSC %.2f GHz; "
	       "%" PRIu64 " frames per case and worker, the median of blocks of %u; %u worker%s\n",
	       nbind, slots, secs, rte_get_tsc_hz() / 1e9, frames, BLOCK * BURST, nworkers,
	       nworkers > 1 ? "s at once (cycles: their mean; Mpps: their sum)" : "");
	printf("%-12s %9s %12s %12s %10s %12s\n", "case", "bindings", "cycles", "port cycles",
	       "own", "Mpps");
	/* Worker 0 on this thread, the others on the lcores dp_new gave them. */
	for (unsigned k = 0; k < nworkers; k++) {
		wcs[k] = (struct wctx){ .w = dp->workers[k],
					.tx = tx[k],
					.start = (uint32_t)((uint64_t)nbind * k / nworkers) };
		if (k && rte_eal_remote_launch(worker_main, &wcs[k], dp->workers[k]->lcore_id)) {
			fprintf(stderr, "worker_bench: cannot start worker %u\n", k);
			return 1;
		}
	}
	worker_main(&wcs[0]);
	rte_eal_mp_wait_lcore();
	for (unsigned k = 0; k < nworkers; k++)
		status |= wcs[k].status;
	for (unsigned c = 0; c < ncases && !status; c++) {
		double cyc = 0, port = 0, mpps = 0;

		for (unsigned k = 0; k < nworkers; k++) {
			cyc += wcs[k].cycles[c] / nworkers;
			port += wcs[k].port_cycles[c] / nworkers;
			mpps += rte_get_tsc_hz() / wcs[k].cycles[c] / 1e6;
		}
		printf("%-12s %9u %12.1f %12.1f %10.1f %12.2f\n", bcs[c].name, nbind, cyc, port,
		       cyc - port, mpps);
	}
	dp_free(dp);
	rte_eth_dev_stop((uint16_t)p);
	rte_eth_dev_close((uint16_t)p);
	rte_mempool_free(pool);
	for (unsigned k = 0; k < nworkers; k++) {
		rte_ring_free(rx[k]);
		rte_ring_free(tx[k]);
	}
	/* Its run directory, empty with --no-shconf, which DPDK 22.11 leaves behind. */
	char run_dir[PATH_MAX];

	snprintf(run_dir, sizeof(run_dir), "%s", rte_eal_get_runtime_dir());
	rte_eal_cleanup();
	rmdir(run_dir);
	return status;
}
