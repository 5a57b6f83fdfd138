/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tp_pktgen: a DPDK traffic generator for the dpdk dataplane, per rewrite case, and the same
 * load for dpdk-testpmd's io-forward as the ceiling of the port (bench/dpdk-bench.sh runs
 * both and puts them side by side).
 *
 * It owns one port (a memif server in dpdk-bench.sh) and plays every client and every peer.
 * Against turnpike (--dut turnpike) it first sets up the bindings through the relay's real
 * control plane, over that port: an Allocate without credentials for the 401 and its nonce,
 * the authenticated Allocate (time-limited credentials from --secret), then a ChannelBind
 * per binding. Then, one rewrite case after the other, it sends the case's frames, cycling
 * over all of the case's bindings, flat out for --seconds, and counts what comes back:
 * frames of the shape the case must produce (UDP to the peer's family from a relayed port,
 * or ChannelData from the listen port to the client's family) that carry the case's cookie
 * (below; a late frame of an earlier case does not count), and for 1 in 64 of those, whether
 * their checksums hold.
 *
 * Against a mirror (--dut mirror: testpmd io-forward, which returns each frame untouched)
 * nothing is set up; the frames have the same sizes and layouts with made-up relayed ports,
 * and what comes back is checked the same way, against the shape of what was sent.
 *
 *   relay    --relay4 192.0.2.1, --relay6 2001:db8::1, listen port 3478
 *   clients  198.18.0.0/16 and 2001:db8:1::/64, one address per allocation, port 40000
 *   peers    198.19.0.0/16 and 2001:db8:2::/64, one address per binding (the relay's
 *            peers.allow must name them)
 *
 * Bindings: --bindings N are spread over the four relay groups (client family x relayed
 * family), --channels per allocation; each of the four hairpin cases adds --pairs pairs of
 * allocations bound to each other (two bindings a pair). Each case cycles over all the
 * bindings of its group, so lookups go all over the tables.
 *
 * Payloads: --size N (16..1400 bytes of application data, after the ChannelData header where
 * there is one), or --size imix: 7:4:1 of 64, 594 and 1400 bytes (the simple IMIX's ratio;
 * its 40/576/1500-byte IP packets would not fit a 1400-byte TURN payload), interleaved in a
 * pattern of 12 frames; a comma-separated list (--size 64,512,imix) runs each case at each
 * size in turn over the same bindings. Rate: flat out, or --rate PPS (paced by the TSC, per
 * burst). --queues N: N queue pairs on the port (turnpike with N workers has N), bursts
 * sent to each in turn, all of them polled.
 *
 * Latency: the first 12 bytes of every frame's application data are a TSC timestamp written
 * as the frame is sent, a 16-bit word that keeps the payload's ones-complement sum (so the
 * UDP checksum built once stays right), and a cookie naming the case. The relay never
 * touches the payload; the receiver reads the stamp back from each relayed frame. TX and RX
 * lcores read one machine's invariant TSC. Percentiles come from a log-linear histogram
 * (16 steps per power of two: within 6 %).
 *
 * Output, one line per case, words in pairs after the name (later fields only appended):
 *   case NAME bindings N tx PPS rx PPS relayed PPS checked N bad-checksums N
 *     tx-refused P% rx-empty-polls P% gbps G loss P% p50-us U p90-us U p99-us U
 *     p99.9-us U size S rate R
 * gbps: relayed Ethernet frames (no preamble, FCS or gap); loss: frames the port took that
 * did not come back relayed, over the whole case (warm-up and drain included); rate: 0 when
 * flat out. A progress line each second goes to stderr (overwritten on a terminal).
 *
 * Every loop is bounded: by count, by --seconds, or by the signalling's retry budget.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_ip.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_udp.h>

#include "addr.h"
#include "auth.h"
#include "stun.h"

#define BURST	    32
#define POOL_SIZE   8191
#define POOL_CACHE  256
#define LISTEN_PORT 3478
#define CLIENT_PORT 40000
#define PEER_PORT   9000
#define CHANNEL_MIN 0x4000
#define MAX_PAYLOAD 1400
#define FRAME_MAX   (RTE_ETHER_HDR_LEN + 40 + 8 + 4 + MAX_PAYLOAD)
#define WINDOW	    256 /* signalling transactions in flight */
#define RTO_MS	    300 /* before a request is sent again */
#define MAX_TRIES   8	/* sends of one request before the set-up gives up */
#define CHECK_EVERY 64	/* relayed frames per checksum check */
#define WARMUP_MS   300
#define MIN_PAYLOAD 16 /* the stamp: TSC, checksum word, cookie */
#define MAX_QUEUES  16
#define MAX_SIZES   16	 /* in one --size list */
#define NHIST	    1024 /* log-linear latency buckets over TSC cycles */

/* IMIX: 7 x 64, 4 x 594, 1 x 1400 bytes in every 12 frames, interleaved. */
static const uint16_t imix[12] = { 64, 594, 64, 64, 1400, 64, 594, 64, 64, 594, 64, 594 };

enum kind { TO_PEER, TO_CLIENT, HAIRPIN };

/* A rewrite case. For TO_PEER and TO_CLIENT: the client's and the relayed (peer's) family;
 * for HAIRPIN: the sending and the receiving client's families (relayed addresses IPv4). */
struct gcase {
	const char *name;
	enum kind kind;
	uint8_t fam_a, fam_b;
};

static const struct gcase cases[] = {
	{ "cd4-to-udp4", TO_PEER, TP_FAM_V4, TP_FAM_V4 },
	{ "cd4-to-udp6", TO_PEER, TP_FAM_V4, TP_FAM_V6 },
	{ "cd6-to-udp4", TO_PEER, TP_FAM_V6, TP_FAM_V4 },
	{ "cd6-to-udp6", TO_PEER, TP_FAM_V6, TP_FAM_V6 },
	{ "udp4-to-cd4", TO_CLIENT, TP_FAM_V4, TP_FAM_V4 },
	{ "udp4-to-cd6", TO_CLIENT, TP_FAM_V6, TP_FAM_V4 },
	{ "udp6-to-cd4", TO_CLIENT, TP_FAM_V4, TP_FAM_V6 },
	{ "udp6-to-cd6", TO_CLIENT, TP_FAM_V6, TP_FAM_V6 },
	{ "cd4-to-cd4", HAIRPIN, TP_FAM_V4, TP_FAM_V4 },
	{ "cd4-to-cd6", HAIRPIN, TP_FAM_V4, TP_FAM_V6 },
	{ "cd6-to-cd4", HAIRPIN, TP_FAM_V6, TP_FAM_V4 },
	{ "cd6-to-cd6", HAIRPIN, TP_FAM_V6, TP_FAM_V6 },
};
#define NCASES RTE_DIM(cases)

/* Allocations and bindings of one group: 4 relay groups (client x relayed family), then one
 * per hairpin case. */
#define NGROUPS 8

struct group {
	uint32_t alloc0, nallocs;
	uint32_t bind0, nbinds;
};

struct alloc {
	struct tp_addr client, relayed;
	uint8_t rfam;
	uint8_t key[16];
	char user[40];
	char nonce[96];
};

struct binding {
	uint32_t alloc;
	uint16_t channel;
	struct tp_addr peer;
};

/* Counters of one lcore, on a cache line of their own. */
struct counts {
	uint64_t tx, refused, rx, relayed, checked, bad_csum;
	uint64_t polls, empty_polls;
	uint64_t relayed_bytes, stamped;
} __rte_cache_aligned;

/*
 * What frames of the current case look like when they come back: from the relay, the case's
 * output; from a mirror, its input. The same checks either way, so that the generator does
 * the same work per frame against both.
 */
struct shape {
	uint8_t fam;   /* of the destination */
	bool listen;   /* the listen port is the source (output) or destination (input) */
	bool cd;       /* ChannelData */
	uint16_t plen; /* application data (a fixed size, or 0 for the IMIX's three) */
};

struct gen {
	/* options */
	bool mirror;
	const char *secret;
	uint32_t nbindings, channels, pairs;
	uint32_t sizes[MAX_SIZES], nsizes; /* 0: IMIX */
	uint32_t size;			   /* the one being sent */
	uint32_t nqueues;
	double seconds, rate; /* rate 0: flat out */
	bool progress, tty;
	unsigned linger;   /* seconds to keep the port after the last case */
	bool want[NCASES]; /* --case: the cases to run (all by default) */
	struct rte_ether_addr mac, dut_mac;
	struct tp_addr relay[TP_NFAM]; /* listen addresses, port 3478 */

	uint16_t port;
	struct rte_mempool *pool;
	unsigned tx_lcore; /* the main lcore when it is the only one */
	char realm[128];
	struct rte_mbuf *sig[BURST]; /* signalling frames waiting for a flush */
	uint16_t nsig;

	struct alloc *allocs;
	struct binding *binds;
	uint32_t nallocs, nbinds;
	struct group groups[NGROUPS];

	/* the case being sent */
	struct shape shape;
	struct rte_mempool *frame_pool;
	struct rte_mbuf **frames; /* sent by reference: the port copies them (memif does) */
	uint32_t nframes;
	uint32_t case_binds; /* the case's group */
	uint16_t stamp_off;  /* of the application data in the case's frames */
	uint16_t cookie;
	uint16_t rxq; /* the queue the next RX poll reads */
	volatile bool sending;
	struct counts txc, rxc;
	uint64_t hist[NHIST]; /* latency, RX lcore only */
};

static uint64_t
ms_now(void)
{
	return rte_get_tsc_cycles() * 1000 / rte_get_tsc_hz();
}

static void progress(const struct gen *g, const char *fmt, ...) __rte_format_printf(2, 3);

/* One progress line on stderr: overwritten in place on a terminal, a line each otherwise. */
static void
progress(const struct gen *g, const char *fmt, ...)
{
	va_list ap;

	if (!g->progress)
		return;
	fputs(g->tty ? "\r\033[K" : "", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs(g->tty ? "" : "\n", stderr);
	fflush(stderr);
}

static void
progress_done(const struct gen *g)
{
	if (g->progress && g->tty)
		fputs("\r\033[K", stderr);
}

/* The next burst from the port's queues in turn (turnpike answers from any of them). */
static uint16_t
rx_any(struct gen *g, struct rte_mbuf **ms)
{
	uint16_t q = g->rxq;

	g->rxq = (uint16_t)(q + 1u == g->nqueues ? 0 : q + 1);
	return rte_eth_rx_burst(g->port, q, ms, BURST);
}

/* Frames ---------------------------------------------------------------------------------- */

/* An Ethernet/IP/UDP frame from src to dst carrying payload, checksums filled in. */
static uint16_t
build_frame(uint8_t *f, const struct gen *g, const struct tp_addr *src, const struct tp_addr *dst,
	    const void *payload, uint16_t len)
{
	struct rte_ether_hdr *eth = (struct rte_ether_hdr *)f;
	struct rte_udp_hdr *udp;
	uint16_t l3len;

	eth->dst_addr = g->dut_mac;
	eth->src_addr = g->mac;
	if (src->family == TP_FAM_V4) {
		struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		l3len = sizeof(*ip);
		*ip = (struct rte_ipv4_hdr){
			.version_ihl = RTE_IPV4_VHL_DEF,
			.total_length = rte_cpu_to_be_16(l3len + sizeof(*udp) + len),
			.fragment_offset = rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG),
			.time_to_live = 64,
			.next_proto_id = IPPROTO_UDP,
		};
		memcpy(&ip->src_addr, src->ip, 4);
		memcpy(&ip->dst_addr, dst->ip, 4);
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp = (struct rte_udp_hdr *)(ip + 1);
	} else {
		struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);

		eth->ether_type = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6);
		l3len = sizeof(*ip);
		*ip = (struct rte_ipv6_hdr){
			.vtc_flow = rte_cpu_to_be_32(6u << 28),
			.payload_len = rte_cpu_to_be_16(sizeof(*udp) + len),
			.proto = IPPROTO_UDP,
			.hop_limits = 64,
		};
		memcpy(ip->src_addr, src->ip, 16);
		memcpy(ip->dst_addr, dst->ip, 16);
		udp = (struct rte_udp_hdr *)(ip + 1);
	}
	*udp = (struct rte_udp_hdr){
		.src_port = rte_cpu_to_be_16(src->port),
		.dst_port = rte_cpu_to_be_16(dst->port),
		.dgram_len = rte_cpu_to_be_16(sizeof(*udp) + len),
	};
	memcpy(udp + 1, payload, len);
	if (src->family == TP_FAM_V4)
		udp->dgram_cksum = rte_ipv4_udptcp_cksum((void *)(eth + 1), udp);
	else
		udp->dgram_cksum = rte_ipv6_udptcp_cksum((void *)(eth + 1), udp);
	return (uint16_t)(RTE_ETHER_HDR_LEN + l3len + sizeof(*udp) + len);
}

/* Send the queued signalling frames, waiting (bounded) while the port's ring is full. */
static int
flush_frames(struct gen *g)
{
	uint16_t sent = 0, n = g->nsig;

	g->nsig = 0;
	for (int i = 0; i < 1000 && sent < n; i++) {
		sent += rte_eth_tx_burst(g->port, 0, g->sig + sent, (uint16_t)(n - sent));
		if (sent < n)
			rte_delay_us_block(10);
	}
	if (sent == n)
		return 0;
	rte_pktmbuf_free_bulk(g->sig + sent, n - sent);
	return -EBUSY;
}

/* Queue one frame for the next flush (a burst's worth at most). */
static int
send_frame(struct gen *g, const uint8_t *f, uint16_t len)
{
	struct rte_mbuf *m;

	if (g->nsig == BURST && flush_frames(g) < 0)
		return -EBUSY;
	if (!(m = rte_pktmbuf_alloc(g->pool)))
		return -ENOMEM;
	memcpy(rte_pktmbuf_mtod(m, void *), f, len);
	m->data_len = m->pkt_len = len;
	g->sig[g->nsig++] = m;
	return 0;
}

/* The UDP payload of a frame and its addresses, or NULL when it is not UDP over IP. */
static const uint8_t *
parse_frame(const uint8_t *f, uint32_t len, struct tp_addr *src, struct tp_addr *dst,
	    uint16_t *plen)
{
	const struct rte_ether_hdr *eth = (const void *)f;
	const struct rte_udp_hdr *udp;

	if (len < RTE_ETHER_HDR_LEN + sizeof(struct rte_ipv4_hdr) + sizeof(*udp))
		return NULL;
	memset(src, 0, sizeof(*src));
	memset(dst, 0, sizeof(*dst));
	if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4)) {
		const struct rte_ipv4_hdr *ip = (const void *)(eth + 1);

		if (ip->version_ihl != RTE_IPV4_VHL_DEF || ip->next_proto_id != IPPROTO_UDP)
			return NULL;
		src->family = dst->family = TP_FAM_V4;
		memcpy(src->ip, &ip->src_addr, 4);
		memcpy(dst->ip, &ip->dst_addr, 4);
		udp = (const void *)(ip + 1);
	} else if (eth->ether_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6)) {
		const struct rte_ipv6_hdr *ip = (const void *)(eth + 1);

		if (len < RTE_ETHER_HDR_LEN + sizeof(*ip) + sizeof(*udp) ||
		    ip->proto != IPPROTO_UDP)
			return NULL;
		src->family = dst->family = TP_FAM_V6;
		memcpy(src->ip, ip->src_addr, 16);
		memcpy(dst->ip, ip->dst_addr, 16);
		udp = (const void *)(ip + 1);
	} else {
		return NULL;
	}
	uint16_t ulen = rte_be_to_cpu_16(udp->dgram_len);

	if (ulen < sizeof(*udp) || (const uint8_t *)udp + ulen > f + len)
		return NULL;
	src->port = rte_be_to_cpu_16(udp->src_port);
	dst->port = rte_be_to_cpu_16(udp->dst_port);
	*plen = (uint16_t)(ulen - sizeof(*udp));
	return (const uint8_t *)(udp + 1);
}

/* Addresses ------------------------------------------------------------------------------- */

static struct tp_addr
client_addr(uint8_t fam, uint32_t a)
{
	struct tp_addr x = { .family = fam, .port = CLIENT_PORT };

	if (fam == TP_FAM_V4) {
		x.ip[0] = 198, x.ip[1] = 18, x.ip[2] = (uint8_t)(a >> 8), x.ip[3] = (uint8_t)a;
	} else {
		static const uint8_t pfx[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0 };

		memcpy(x.ip, pfx, 8);
		x.ip[12] = (uint8_t)(a >> 24), x.ip[13] = (uint8_t)(a >> 16);
		x.ip[14] = (uint8_t)(a >> 8), x.ip[15] = (uint8_t)a;
	}
	return x;
}

static struct tp_addr
peer_addr(uint8_t fam, uint32_t b)
{
	struct tp_addr x = { .family = fam, .port = PEER_PORT };

	if (fam == TP_FAM_V4) {
		/* 65536 addresses, then the next port */
		x.ip[0] = 198, x.ip[1] = 19, x.ip[2] = (uint8_t)(b >> 8), x.ip[3] = (uint8_t)b;
		x.port = (uint16_t)(PEER_PORT + (b >> 16));
	} else {
		static const uint8_t pfx[8] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0 };

		memcpy(x.ip, pfx, 8);
		x.ip[12] = (uint8_t)(b >> 24), x.ip[13] = (uint8_t)(b >> 16);
		x.ip[14] = (uint8_t)(b >> 8), x.ip[15] = (uint8_t)b;
	}
	return x;
}

/* Lay out the groups: allocations, their families and client addresses, the bindings, their
 * channels and peers (hairpin peers are relayed addresses, known once allocated). */
static int
plan(struct gen *g)
{
	uint32_t per_group = g->nbindings / 4, na = 0, nb = 0;

	if (per_group == 0 || g->channels == 0 || g->channels > 0x4000)
		return -EINVAL;
	for (int i = 0; i < 4; i++) {
		g->groups[i] = (struct group){ na, (per_group + g->channels - 1) / g->channels, nb,
					       per_group };
		na += g->groups[i].nallocs;
		nb += per_group;
	}
	for (int i = 4; i < NGROUPS; i++) {
		g->groups[i] = (struct group){ na, 2 * g->pairs, nb, 2 * g->pairs };
		na += 2 * g->pairs;
		nb += 2 * g->pairs;
	}
	if (na > 65536)
		return -E2BIG;
	g->nallocs = na;
	g->nbinds = nb;
	g->allocs = calloc(na, sizeof(*g->allocs));
	g->binds = calloc(nb, sizeof(*g->binds));
	if (!g->allocs || !g->binds)
		return -ENOMEM;

	for (int i = 0; i < NGROUPS; i++) {
		const struct group *gr = &g->groups[i];

		for (uint32_t k = 0; k < gr->nallocs; k++) {
			struct alloc *a = &g->allocs[gr->alloc0 + k];
			/* relay groups: client family i/2, relayed i%2; hairpin pairs: the
			 * case's two client families in turn, relayed IPv4 */
			uint8_t cfam =
				i < 4 ? (uint8_t)(1 + i / 2)
				      : (k & 1 ? cases[8 + i - 4].fam_b : cases[8 + i - 4].fam_a);

			a->client = client_addr(cfam, gr->alloc0 + k);
			a->rfam = i < 4 ? (uint8_t)(1 + i % 2) : TP_FAM_V4;
			/* what a mirror sends to; turnpike's answer replaces it */
			a->relayed = g->relay[TP_FAM_IDX(a->rfam)];
			a->relayed.port = (uint16_t)(49152 + (gr->alloc0 + k) % 16384);
		}
		for (uint32_t k = 0; k < gr->nbinds; k++) {
			struct binding *b = &g->binds[gr->bind0 + k];

			if (i < 4) {
				b->alloc = gr->alloc0 + k / g->channels;
				b->channel = (uint16_t)(CHANNEL_MIN + k % g->channels);
				b->peer = peer_addr(g->allocs[b->alloc].rfam, gr->bind0 + k);
			} else {
				b->alloc = gr->alloc0 + k; /* pair k/2: allocations k & ~1, k | 1 */
				b->channel = CHANNEL_MIN;
			}
		}
	}
	return 0;
}

static void
hairpin_peers(struct gen *g)
{
	for (int i = 4; i < NGROUPS; i++)
		for (uint32_t k = 0; k < g->groups[i].nbinds; k++) {
			struct binding *b = &g->binds[g->groups[i].bind0 + k];

			b->peer = g->allocs[b->alloc ^ 1].relayed;
		}
}

/* Signalling ------------------------------------------------------------------------------ */

enum phase { PROBE, ALLOCATE, CHANNEL_BIND };
static const char *const phase_names[] = { "Allocate (for the nonce)", "Allocate", "ChannelBind" };

struct slot {
	uint32_t item; /* UINT32_MAX: free */
	uint32_t tries;
	uint64_t sent_ms;
};

/* The transaction ID says phase, slot and item, so an answer finds its request. */
static void
make_tid(uint8_t tid[TP_STUN_TID_LEN], enum phase ph, uint32_t slot, uint32_t item)
{
	tid[0] = 't', tid[1] = 'p', tid[2] = 'g', tid[3] = (uint8_t)ph;
	tid[4] = (uint8_t)(slot >> 8), tid[5] = (uint8_t)slot;
	tid[6] = (uint8_t)(item >> 24), tid[7] = (uint8_t)(item >> 16);
	tid[8] = (uint8_t)(item >> 8), tid[9] = (uint8_t)item;
	tid[10] = tid[11] = 0;
}

static int
send_request(struct gen *g, enum phase ph, uint32_t slot, uint32_t item)
{
	uint8_t tid[TP_STUN_TID_LEN], msg[512], frame[FRAME_MAX];
	const struct binding *b = ph == CHANNEL_BIND ? &g->binds[item] : NULL;
	struct alloc *a = &g->allocs[b ? b->alloc : item];
	struct tp_stun_builder sb;
	int len;

	make_tid(tid, ph, slot, item);
	tp_stun_build_init(&sb, msg, sizeof(msg), b ? TP_STUN_CHANNEL_BIND : TP_STUN_ALLOCATE,
			   TP_STUN_REQUEST, tid);
	if (!b) {
		tp_stun_add_u32(&sb, TP_ATTR_REQUESTED_TRANSPORT, 17u << 24);
		if (a->rfam == TP_FAM_V6)
			tp_stun_add_u32(&sb, TP_ATTR_REQUESTED_ADDRESS_FAMILY, 2u << 24);
	} else {
		tp_stun_add_u32(&sb, TP_ATTR_CHANNEL_NUMBER, (uint32_t)b->channel << 16);
		tp_stun_add_addr(&sb, TP_ATTR_XOR_PEER_ADDRESS, &b->peer, true);
	}
	if (ph != PROBE) {
		tp_stun_add_str(&sb, TP_ATTR_USERNAME, a->user);
		tp_stun_add_str(&sb, TP_ATTR_REALM, g->realm);
		tp_stun_add_str(&sb, TP_ATTR_NONCE, a->nonce);
		tp_stun_add_integrity(&sb, false, a->key, sizeof(a->key));
	}
	tp_stun_add_fingerprint(&sb);
	if ((len = tp_stun_build_end(&sb)) < 0)
		return len;

	struct tp_addr server = g->relay[TP_FAM_IDX(a->client.family)];

	return send_frame(g, frame, build_frame(frame, g, &a->client, &server, msg, (uint16_t)len));
}

/* An answer to item's request: 1 when the item is done, 0 to send it again (a fresh nonce),
 * or -1 when the relay refused it. */
static int
on_answer(struct gen *g, enum phase ph, uint32_t item, const struct tp_stun_msg *m)
{
	struct alloc *a = &g->allocs[ph == CHANNEL_BIND ? g->binds[item].alloc : item];
	int code = m->cls == TP_STUN_SUCCESS ? 0 : tp_stun_error_code(m);

	if ((ph == PROBE && code == 401) || code == 438) {
		tp_stun_get_str(m, TP_ATTR_NONCE, a->nonce, sizeof(a->nonce));
		if (ph == PROBE) {
			tp_stun_get_str(m, TP_ATTR_REALM, g->realm, sizeof(g->realm));
			tp_auth_derive_timed_key(false, g->secret, a->user, strlen(a->user),
						 g->realm, a->key);
		}
		return ph == PROBE;
	}
	if (code != 0) {
		char who[TP_ADDR_STRLEN];

		fprintf(stderr, "tp_pktgen: %s from %s: error %d %s\n", phase_names[ph],
			tp_addr_str(&a->client, who, sizeof(who)), code,
			tp_stun_error_reason(code));
		return -1;
	}
	if (ph == ALLOCATE) {
		const struct tp_stun_attr *r = tp_stun_find(m, TP_ATTR_XOR_RELAYED_ADDRESS);

		if (!r || tp_stun_get_addr(m, r, true, &a->relayed) < 0) {
			fprintf(stderr, "tp_pktgen: Allocate answer without XOR-RELAYED-ADDRESS\n");
			return -1;
		}
	}
	return 1;
}

/* Run one phase over n items, WINDOW requests in flight, each sent again after RTO_MS. */
static int
run_phase(struct gen *g, enum phase ph, uint32_t n)
{
	struct slot slots[WINDOW];
	uint32_t next = 0, done = 0, inflight = 0;
	struct rte_mbuf *ms[BURST];
	uint64_t t0 = ms_now();

	uint64_t next_progress = t0 + 1000;

	for (int i = 0; i < WINDOW; i++)
		slots[i].item = UINT32_MAX;
	while (done < n) {
		uint64_t now = ms_now();

		if (now >= next_progress) {
			progress(g, "tp_pktgen: set-up, %s: %u of %u", phase_names[ph], done, n);
			next_progress = now + 1000;
		}

		for (uint32_t s = 0; s < WINDOW; s++) {
			struct slot *sl = &slots[s];

			if (sl->item == UINT32_MAX && next < n && inflight < WINDOW) {
				*sl = (struct slot){ next++, 0, 0 };
				inflight++;
			}
			if (sl->item == UINT32_MAX || (sl->tries && now - sl->sent_ms < RTO_MS))
				continue;
			if (sl->tries++ == MAX_TRIES) {
				fprintf(stderr,
					"tp_pktgen: %s: no answer to item %u after %d "
					"tries; is the relay up, its config the bench's?\n",
					phase_names[ph], sl->item, MAX_TRIES);
				return -1;
			}
			if (send_request(g, ph, s, sl->item) < 0) {
				fprintf(stderr, "tp_pktgen: cannot send (port full, no mbufs)\n");
				return -1;
			}
			sl->sent_ms = now;
		}
		if (g->nsig && flush_frames(g) < 0) {
			fprintf(stderr, "tp_pktgen: cannot send (port full)\n");
			return -1;
		}

		uint16_t nrx = rx_any(g, ms);

		for (uint16_t i = 0; i < nrx; i++) {
			struct tp_addr src, dst;
			struct tp_stun_msg m;
			uint16_t plen;
			const uint8_t *p = parse_frame(rte_pktmbuf_mtod(ms[i], uint8_t *),
						       ms[i]->data_len, &src, &dst, &plen);

			if (!p || src.port != LISTEN_PORT ||
			    tp_stun_parse(&m, p, plen) != TP_STUN_OK || m.tid[0] != 't' ||
			    m.tid[1] != 'p' || m.tid[2] != 'g' || m.tid[3] != ph)
				continue;

			uint32_t s = (uint32_t)m.tid[4] << 8 | m.tid[5];
			uint32_t item = (uint32_t)m.tid[6] << 24 | (uint32_t)m.tid[7] << 16 |
					(uint32_t)m.tid[8] << 8 | m.tid[9];

			if (s >= WINDOW || slots[s].item != item)
				continue; /* a duplicate of an answer already taken */

			int r = on_answer(g, ph, item, &m);

			if (r < 0) {
				rte_pktmbuf_free_bulk(ms, nrx);
				return -1;
			}
			if (r == 0) {
				slots[s].tries = 0; /* send again now, with the fresh nonce */
				continue;
			}
			slots[s].item = UINT32_MAX;
			inflight--;
			done++;
		}
		rte_pktmbuf_free_bulk(ms, nrx);
	}

	double secs = (double)(ms_now() - t0) / 1000;

	progress_done(g);
	printf("setup %s: %u in %.3f s, %.0f per second\n", phase_names[ph], n, secs,
	       secs > 0 ? n / secs : 0);
	fflush(stdout);
	return 0;
}

static int
set_up(struct gen *g)
{
	long expiry = (long)time(NULL) + 86400;

	for (uint32_t i = 0; i < g->nallocs; i++)
		snprintf(g->allocs[i].user, sizeof(g->allocs[i].user), "%ld:bench%u", expiry, i);
	if (run_phase(g, PROBE, g->nallocs) < 0 || run_phase(g, ALLOCATE, g->nallocs) < 0)
		return -1;
	hairpin_peers(g);
	return run_phase(g, CHANNEL_BIND, g->nbinds);
}

/* Traffic --------------------------------------------------------------------------------- */

/* The application data bytes of frame k of a case. */
static uint16_t
frame_size(const struct gen *g, uint32_t k)
{
	return g->size ? (uint16_t)g->size : imix[k % RTE_DIM(imix)];
}

/* The ones-complement sum of the stamp's four TSC words, folded to 16 bits. */
static uint16_t
stamp_sum(uint64_t tsc)
{
	uint32_t s = (uint32_t)(tsc & 0xffff) + (uint32_t)(tsc >> 16 & 0xffff) +
		     (uint32_t)(tsc >> 32 & 0xffff) + (uint32_t)(tsc >> 48);

	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)s;
}

/*
 * The stamp: TSC, then the word that makes the five words sum to 0xffff whatever the TSC
 * (the sum the frame's checksum was computed with: a zero TSC and 0xffff), then the cookie.
 * Words in memory order on either side: the ones-complement sum does not care about order.
 */
static inline void
stamp(uint8_t *d, uint64_t tsc)
{
	uint16_t fix = (uint16_t)~stamp_sum(tsc);

	memcpy(d, &tsc, 8);
	memcpy(d + 8, &fix, 2);
}

/*
 * The case's frames, one per binding of its group (the sending side of each hairpin pair;
 * for the IMIX, rounded up to a whole number of its 12-frame patterns), each in an mbuf of its
 * own that TX sends by reference (a reference more per send), so that sending costs no copy
 * here: the port must copy what it sends, as memif and a NIC's DMA do, and never hand the mbuf
 * itself to the device under test (net_ring would).
 */
static int
build_case(struct gen *g, const struct gcase *c)
{
	const struct group *gr;
	uint8_t payload[4 + MAX_PAYLOAD];
	uint32_t step = 1, nb;
	char name[RTE_MEMPOOL_NAMESIZE];

	if (c->kind == HAIRPIN) {
		gr = &g->groups[4 + (c - &cases[8])];
		step = 2;
	} else {
		gr = &g->groups[(c->fam_a - 1) * 2 + c->fam_b - 1]; /* client x relayed family */
	}
	nb = gr->nbinds / step;
	if (nb == 0)
		return -ENOENT; /* a hairpin case with --pairs 0 */
	g->case_binds = gr->nbinds;
	g->nframes = g->size ? nb : (nb + RTE_DIM(imix) - 1) / RTE_DIM(imix) * RTE_DIM(imix);
	g->cookie = (uint16_t)(0x7400 | (c - cases));
	snprintf(name, sizeof(name), "frames_%s", c->name);
	g->frame_pool = rte_pktmbuf_pool_create(
		name, g->nframes, 0, 0, RTE_PKTMBUF_HEADROOM + FRAME_MAX, (int)rte_socket_id());
	g->frames = calloc(g->nframes, sizeof(*g->frames));
	if (!g->frame_pool || !g->frames ||
	    rte_pktmbuf_alloc_bulk(g->frame_pool, g->frames, g->nframes) != 0)
		return -ENOMEM;
	memset(payload + 4, 0x5a, MAX_PAYLOAD);
	memset(payload + 4, 0, 8);     /* a zero TSC ... */
	memset(payload + 12, 0xff, 2); /* ... and its checksum word */
	memcpy(payload + 14, &g->cookie, 2);
	for (uint32_t k = 0; k < g->nframes; k++) {
		const struct binding *b = &g->binds[gr->bind0 + (k % nb) * step];
		const struct alloc *a = &g->allocs[b->alloc];
		struct rte_mbuf *m = g->frames[k];
		uint8_t *f = rte_pktmbuf_mtod(m, uint8_t *);
		uint16_t size = frame_size(g, k);

		if (c->kind == TO_CLIENT) {
			m->data_len = build_frame(f, g, &b->peer, &a->relayed, payload + 4, size);
		} else {
			payload[0] = (uint8_t)(b->channel >> 8), payload[1] = (uint8_t)b->channel;
			payload[2] = (uint8_t)(size >> 8), payload[3] = (uint8_t)size;
			m->data_len = build_frame(f, g, &a->client,
						  &g->relay[TP_FAM_IDX(a->client.family)], payload,
						  (uint16_t)(4 + size));
		}
		m->pkt_len = m->data_len;
		g->stamp_off = (uint16_t)(m->data_len - size); /* the same for all: one family */
	}
	return 0;
}

/* After the drain: every reference TX took has been dropped by the port. */
static void
free_case(struct gen *g)
{
	if (g->frames)
		for (uint32_t k = 0; k < g->nframes; k++)
			rte_pktmbuf_free(g->frames[k]);
	free(g->frames);
	rte_mempool_free(g->frame_pool);
	g->frames = NULL;
	g->frame_pool = NULL;
}

static struct shape
expected(const struct gen *g, const struct gcase *c)
{
	bool in_cd = c->kind != TO_CLIENT, out_cd = c->kind != TO_PEER;

	if (g->mirror)
		return (struct shape){ c->kind == TO_CLIENT ? c->fam_b : c->fam_a, in_cd, in_cd,
				       (uint16_t)g->size };
	return (struct shape){ c->kind == TO_CLIENT ? c->fam_a : c->fam_b, out_cd, out_cd,
			       (uint16_t)g->size };
}

/* A latency in TSC cycles to its histogram bucket: exact below 16, then 16 per octave. */
static unsigned
hist_bucket(uint64_t v)
{
	unsigned e;

	if (v < 16)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v); /* 4..63 */
	return (e - 3) * 16 + (unsigned)(v >> (e - 4) & 15);
}

/* The middle of a bucket, in cycles. */
static double
hist_value(unsigned i)
{
	unsigned e = i / 16 + 3, sub = i % 16;

	if (i < 16)
		return i;
	return ((double)(16 + sub) + 0.5) * (double)(1ull << (e - 4));
}

/* The q-th quantile of the histogram, in µs (0 when empty). */
static double
hist_quantile(const struct gen *g, double q)
{
	uint64_t total = 0, acc = 0;

	for (unsigned i = 0; i < NHIST; i++)
		total += g->hist[i];
	if (!total)
		return 0;
	for (unsigned i = 0; i < NHIST; i++) {
		acc += g->hist[i];
		if ((double)acc >= q * (double)total)
			return hist_value(i) * 1e6 / (double)rte_get_tsc_hz();
	}
	return 0;
}

/* Whether a frame that came back has the case's shape and cookie; checksums of every
 * CHECK_EVERY-th; its latency from the stamp. */
static bool
relayed_ok(struct gen *g, const struct rte_mbuf *m, struct counts *c, uint64_t now)
{
	const struct shape *sh = &g->shape;
	const uint8_t *f = rte_pktmbuf_mtod(m, const uint8_t *);
	struct tp_addr src, dst;
	uint16_t plen, hdr = sh->cd ? 4 : 0, data;
	const uint8_t *p;

	if (!(p = parse_frame(f, m->data_len, &src, &dst, &plen)) || dst.family != sh->fam ||
	    ((g->mirror ? dst.port : src.port) == LISTEN_PORT) != sh->listen || plen < hdr ||
	    (sh->cd && (p[0] & 0xc0) != 0x40))
		return false;
	/* ChannelData's length field rules (up to 3 bytes of padding may follow) */
	data = sh->cd ? (uint16_t)(p[2] << 8 | p[3]) : (uint16_t)(plen - hdr);
	if (hdr + data > plen || plen - hdr - data > 3)
		return false;
	if (sh->plen ? data != sh->plen : data != 64 && data != 594 && data != 1400)
		return false;

	uint64_t sent;
	uint16_t cookie;

	/* A late frame of an earlier case (a relay with deep queues) is not this one's. */
	memcpy(&cookie, p + hdr + 10, 2);
	if (cookie != g->cookie)
		return false;
	if ((c->relayed + 1) % CHECK_EVERY == 0) {
		const void *l3 = f + RTE_ETHER_HDR_LEN;
		bool ok;

		if (dst.family == TP_FAM_V4)
			ok = rte_ipv4_cksum(l3) == 0 &&
			     rte_ipv4_udptcp_cksum_verify(l3, p - 8) == 0;
		else
			ok = rte_ipv6_udptcp_cksum_verify(l3, p - 8) == 0;
		c->checked++;
		c->bad_csum += !ok;
	}

	memcpy(&sent, p + hdr, 8);
	if (sent != 0) {
		g->hist[hist_bucket(now > sent ? now - sent : 0)]++;
		c->stamped++;
	}
	c->relayed_bytes += m->pkt_len;
	return true;
}

static void
rx_some(struct gen *g, struct counts *c)
{
	struct rte_mbuf *ms[BURST];
	uint16_t n = rx_any(g, ms);
	uint64_t now = n ? rte_rdtsc() : 0;

	for (uint16_t i = 0; i < n; i++)
		c->relayed += relayed_ok(g, ms[i], c, now);
	c->rx += n;
	c->polls++;
	c->empty_polls += !n;
	rte_pktmbuf_free_bulk(ms, n);
}

/* Send up to n frames (at most a burst) on queue q, stamped now. */
static void
tx_some(struct gen *g, struct counts *c, uint32_t *next, uint16_t n, uint16_t q)
{
	struct rte_mbuf *ms[BURST];
	uint64_t now = rte_rdtsc();
	uint16_t sent;

	for (uint16_t i = 0; i < n; i++) {
		uint32_t k = *next;
		struct rte_mbuf *m = g->frames[k];

		/* Only a frame no port still holds (memif copies it as it sends) */
		if (rte_mbuf_refcnt_read(m) == 1)
			stamp(rte_pktmbuf_mtod_offset(m, uint8_t *, g->stamp_off), now);
		rte_mbuf_refcnt_update(m, 1);
		ms[i] = m;
		*next = k + 1 == g->nframes ? 0 : k + 1;
	}
	sent = rte_eth_tx_burst(g->port, q, ms, n);
	c->tx += sent;
	c->refused += n - sent;
	if (sent < n)
		rte_pktmbuf_free_bulk(ms + sent, n - sent); /* the references back */
}

/*
 * One step of the sender: a burst flat out, or what the rate says is due since t0 (at most a
 * burst; a backlog the port refused is capped at a ring's worth, not sent as one flood).
 * Bursts go to the queues in turn.
 */
struct txstate {
	uint32_t next;
	uint16_t q;
	uint64_t t0, issued;
};

static void
tx_step(struct gen *g, struct txstate *ts)
{
	uint16_t n = BURST;

	if (g->rate > 0) {
		uint64_t due = (uint64_t)((double)(rte_rdtsc() - ts->t0) * g->rate /
					  (double)rte_get_tsc_hz());
		uint64_t before = g->txc.tx;

		if (due > ts->issued + 1024)
			ts->issued = due - 1024;
		if (due <= ts->issued)
			return;
		n = (uint16_t)RTE_MIN(due - ts->issued, (uint64_t)BURST);
		tx_some(g, &g->txc, &ts->next, n, ts->q);
		ts->issued += g->txc.tx - before;
	} else {
		tx_some(g, &g->txc, &ts->next, n, ts->q);
	}
	ts->q = (uint16_t)(ts->q + 1u == g->nqueues ? 0 : ts->q + 1);
}

static int
tx_lcore(void *arg)
{
	struct gen *g = arg;
	struct txstate ts = { .t0 = rte_rdtsc() };

	while (g->sending)
		tx_step(g, &ts);
	return 0;
}

/* Send the current case for WARMUP_MS plus --seconds; the rates are over the seconds. */
static void
run_case(struct gen *g, const struct gcase *gc)
{
	uint64_t t0, warm_end, end, hz = rte_get_tsc_hz(), next_progress;
	struct counts at_start = { 0 }, txs = { 0 }, last_tx = { 0 }, last_rx = { 0 };
	bool remote = g->tx_lcore != rte_get_main_lcore(), started = false;
	struct txstate ts;
	uint64_t t;

	g->shape = expected(g, gc);
	memset(&g->txc, 0, sizeof(g->txc));
	memset(&g->rxc, 0, sizeof(g->rxc));
	memset(g->hist, 0, sizeof(g->hist));
	g->sending = true;
	if (remote)
		rte_eal_remote_launch(tx_lcore, g, g->tx_lcore);
	t = t0 = rte_get_tsc_cycles();
	ts = (struct txstate){ .t0 = t };
	warm_end = t + hz * WARMUP_MS / 1000;
	end = warm_end + (uint64_t)(g->seconds * (double)hz);
	next_progress = t + hz;

	while ((t = rte_get_tsc_cycles()) < end) {
		if (!started && t >= warm_end) {
			at_start = g->rxc;
			txs.tx = g->txc.tx;
			memset(g->hist, 0, sizeof(g->hist));
			started = true;
		}
		if (t >= next_progress) {
			struct counts rx = g->rxc;
			uint64_t tx = g->txc.tx;

			progress(g,
				 "tp_pktgen: %s %.1f of %.1f s: tx %.2f Mpps, relayed %.2f Mpps "
				 "%.2f Gbps",
				 gc->name, (double)(t - t0) / (double)hz,
				 g->seconds + WARMUP_MS / 1000.0, (tx - last_tx.tx) / 1e6,
				 (rx.relayed - last_rx.relayed) / 1e6,
				 (rx.relayed_bytes - last_rx.relayed_bytes) * 8 / 1e9);
			last_tx.tx = tx;
			last_rx = rx;
			next_progress = t + hz;
		}
		if (!remote)
			tx_step(g, &ts);
		rx_some(g, &g->rxc);
	}
	g->sending = false;

	uint64_t tx = g->txc.tx - txs.tx; /* read before the TX lcore stops: a touch late */
	struct counts rx = g->rxc;

	if (remote)
		rte_eal_wait_lcore(g->tx_lcore);
	/* what is still in flight comes back before the next case: counted for the loss */
	for (uint64_t drain = rte_get_tsc_cycles() + hz / 10; rte_get_tsc_cycles() < drain;)
		rx_some(g, &g->rxc);
	progress_done(g);

	double loss = g->txc.tx ? 1.0 - (double)g->rxc.relayed / (double)g->txc.tx : 0;
	char size[16];

	if (g->size)
		snprintf(size, sizeof(size), "%u", g->size);
	else
		snprintf(size, sizeof(size), "imix");
	printf("case %s bindings %u tx %.0f rx %.0f relayed %.0f checked %" PRIu64
	       " bad-checksums %" PRIu64 " tx-refused %.0f%% rx-empty-polls %.0f%%"
	       " gbps %.3f loss %.2f%% p50-us %.1f p90-us %.1f p99-us %.1f p99.9-us %.1f"
	       " size %s rate %.0f\n",
	       gc->name, g->case_binds, tx / g->seconds, (rx.rx - at_start.rx) / g->seconds,
	       (rx.relayed - at_start.relayed) / g->seconds, g->rxc.checked, g->rxc.bad_csum,
	       100.0 * g->txc.refused / RTE_MAX(g->txc.tx + g->txc.refused, 1ull),
	       100.0 * g->rxc.empty_polls / RTE_MAX(g->rxc.polls, 1ull),
	       (rx.relayed_bytes - at_start.relayed_bytes) * 8 / g->seconds / 1e9,
	       100.0 * RTE_MAX(loss, 0.0), hist_quantile(g, 0.5), hist_quantile(g, 0.9),
	       hist_quantile(g, 0.99), hist_quantile(g, 0.999), size, g->rate);
	fflush(stdout);
}

/* Set-up ---------------------------------------------------------------------------------- */

static int
port_init(struct gen *g)
{
	struct rte_eth_conf conf = { 0 };
	uint16_t nrxd = 1024, ntxd = 1024;
	int ret;

	if (rte_eth_dev_count_avail() < 1) {
		fprintf(stderr, "tp_pktgen: no port (give one with --vdev or -a)\n");
		return -1;
	}
	g->port = 0;
	unsigned pool_size = POOL_SIZE; /* more for more queues' RX rings: 2^n - 1 */

	while (pool_size < g->nqueues * 2048 + 4096)
		pool_size = pool_size * 2 + 1;
	g->pool = rte_pktmbuf_pool_create("pktgen", pool_size, POOL_CACHE, 0,
					  RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
	if (!g->pool) {
		fprintf(stderr, "tp_pktgen: mbuf pool: %s\n", rte_strerror(rte_errno));
		return -1;
	}
	if ((ret = rte_eth_dev_configure(g->port, (uint16_t)g->nqueues, (uint16_t)g->nqueues,
					 &conf)) != 0 ||
	    (ret = rte_eth_dev_adjust_nb_rx_tx_desc(g->port, &nrxd, &ntxd)) != 0)
		goto fail;
	for (uint16_t q = 0; q < g->nqueues; q++)
		if ((ret = rte_eth_rx_queue_setup(g->port, q, nrxd, (unsigned)rte_socket_id(), NULL,
						  g->pool)) != 0 ||
		    (ret = rte_eth_tx_queue_setup(g->port, q, ntxd, (unsigned)rte_socket_id(),
						  NULL)) != 0)
			goto fail;
	if ((ret = rte_eth_dev_start(g->port)) != 0)
		goto fail;
	rte_eth_macaddr_get(g->port, &g->mac);
	return 0;
fail:
	fprintf(stderr, "tp_pktgen: port (%u queues): %s\n", g->nqueues, rte_strerror(-ret));
	return -1;
}

static int
wait_link(struct gen *g, unsigned seconds)
{
	for (unsigned i = 0; i < seconds * 10; i++) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(g->port, &link) == 0 && link.link_status)
			return 0;
		rte_delay_us_sleep(100000);
	}
	fprintf(stderr,
		"tp_pktgen: the port's link did not come up in %u s (is the relay, or "
		"testpmd, running?)\n",
		seconds);
	return -1;
}

/*
 * After the last case: "done" on stdout, then keep the port until the device under test has
 * gone (link down) or for seconds at most. A memif client whose server closes first can fault
 * in its RX path (turnpike's worker did, in librte_net_memif), and so can a server polling RX
 * while its client leaves: the harness stops the device under test when it reads "done", and
 * this side, no longer polling, closes last.
 */
static void
linger(struct gen *g, unsigned seconds)
{
	uint64_t end = ms_now() + seconds * 1000ull;

	printf("done\n");
	fflush(stdout);
	while (ms_now() < end) {
		struct rte_eth_link link;

		if (rte_eth_link_get_nowait(g->port, &link) == 0 && !link.link_status)
			return;
		rte_delay_us_sleep(20000);
	}
}

static void
usage(void)
{
	fprintf(stderr,
		"usage: tp_pktgen EAL-ARGS -- --dut turnpike|mirror --dut-mac MAC [--secret S]\n"
		"         [--bindings N] [--channels N] [--pairs N] [--size BYTES|imix,...]\n"
		"         [--rate PPS] [--seconds S] [--queues N] [--relay4 IP] [--relay6 IP]\n"
		"         [--case NAME,...] [--link-wait S] [--linger S] [--no-progress]\n");
}

/* --case: a comma-separated list of case names. */
static int
parse_cases(struct gen *g, const char *arg)
{
	char copy[256], *save = NULL, *tok;
	size_t i;

	memset(g->want, 0, sizeof(g->want));
	if (strlen(arg) >= sizeof(copy))
		goto bad;
	strcpy(copy, arg);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < NCASES && strcmp(tok, cases[i].name) != 0; i++)
			;
		if (i == NCASES) {
			fprintf(stderr, "tp_pktgen: --case: no case named \"%s\";", tok);
			goto bad;
		}
		g->want[i] = true;
	}
	for (i = 0; i < NCASES; i++)
		if (g->want[i])
			return 0;
bad:
	fprintf(stderr, "tp_pktgen: --case: case names, commas between; the cases are");
	for (i = 0; i < NCASES; i++)
		fprintf(stderr, " %s", cases[i].name);
	fprintf(stderr, "\n");
	return -1;
}

/* --size: a comma-separated list of payload sizes, each bytes or "imix" (0). */
static int
parse_sizes(struct gen *g, const char *arg)
{
	char copy[256], *save = NULL, *tok;

	g->nsizes = 0;
	if (strlen(arg) >= sizeof(copy) || arg[0] == ',' || arg[strlen(arg) - 1] == ',')
		goto bad;
	strcpy(copy, arg);
	for (tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *end;
		unsigned long v = strtoul(tok, &end, 10);

		if (strcmp(tok, "imix") == 0)
			v = 0;
		else if (*end || v < MIN_PAYLOAD || v > MAX_PAYLOAD)
			goto bad;
		if (g->nsizes == MAX_SIZES)
			goto bad;
		g->sizes[g->nsizes++] = (uint32_t)v;
	}
	if (g->nsizes)
		return 0;
bad:
	fprintf(stderr,
		"tp_pktgen: --size: up to %d payload sizes, commas between, each %d..%d bytes "
		"or imix\n",
		MAX_SIZES, MIN_PAYLOAD, MAX_PAYLOAD);
	return -1;
}

static int
parse_args(struct gen *g, int argc, char **argv, unsigned *link_wait)
{
	static const struct option opts[] = {
		{ "dut", 1, NULL, 'd' },
		{ "dut-mac", 1, NULL, 'm' },
		{ "secret", 1, NULL, 'k' },
		{ "bindings", 1, NULL, 'b' },
		{ "channels", 1, NULL, 'c' },
		{ "pairs", 1, NULL, 'p' },
		{ "size", 1, NULL, 's' },
		{ "seconds", 1, NULL, 't' },
		{ "relay4", 1, NULL, '4' },
		{ "relay6", 1, NULL, '6' },
		{ "case", 1, NULL, 'o' },
		{ "link-wait", 1, NULL, 'w' },
		{ "rate", 1, NULL, 'r' },
		{ "queues", 1, NULL, 'q' },
		{ "no-progress", 0, NULL, 'n' },
		{ "linger", 1, NULL, 'l' },
		{ NULL, 0, NULL, 0 },
	};
	const char *dut = NULL, *relay4 = "192.0.2.1", *relay6 = "2001:db8::1";
	bool have_mac = false;
	int o;

	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (o) {
		case 'd':
			dut = optarg;
			break;
		case 'm':
			have_mac = rte_ether_unformat_addr(optarg, &g->dut_mac) == 0;
			break;
		case 'k':
			g->secret = optarg;
			break;
		case 'b':
			g->nbindings = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'c':
			g->channels = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'p':
			g->pairs = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 's':
			if (parse_sizes(g, optarg) < 0)
				return -1;
			break;
		case 'r':
			g->rate = atof(optarg);
			break;
		case 'q':
			g->nqueues = (uint32_t)strtoul(optarg, NULL, 0);
			break;
		case 'n':
			g->progress = false;
			break;
		case 'l':
			g->linger = (unsigned)atoi(optarg);
			break;
		case 't':
			g->seconds = atof(optarg);
			break;
		case '4':
			relay4 = optarg;
			break;
		case '6':
			relay6 = optarg;
			break;
		case 'o':
			if (parse_cases(g, optarg) < 0)
				return -1;
			break;
		case 'w':
			*link_wait = (unsigned)atoi(optarg);
			break;
		default:
			return -1;
		}
	}
	if (!dut || (strcmp(dut, "turnpike") != 0 && strcmp(dut, "mirror") != 0)) {
		fprintf(stderr, "tp_pktgen: --dut: turnpike or mirror\n");
		return -1;
	}
	g->mirror = strcmp(dut, "mirror") == 0;
	if (!have_mac) {
		fprintf(stderr, "tp_pktgen: --dut-mac: the device under test's MAC address\n");
		return -1;
	}
	if (!g->mirror && !g->secret) {
		fprintf(stderr, "tp_pktgen: --secret: the relay's auth.secrets entry\n");
		return -1;
	}
	if (g->seconds <= 0 || g->seconds > 600 || g->rate < 0 || g->rate > 1e9 || g->nqueues < 1 ||
	    g->nqueues > MAX_QUEUES) {
		fprintf(stderr,
			"tp_pktgen: --seconds up to 600, --rate up to 1e9 (0: flat out), "
			"--queues 1..%d\n",
			MAX_QUEUES);
		return -1;
	}
	if (tp_addr_parse_ip(&g->relay[0], relay4) < 0 || g->relay[0].family != TP_FAM_V4 ||
	    tp_addr_parse_ip(&g->relay[1], relay6) < 0 || g->relay[1].family != TP_FAM_V6) {
		fprintf(stderr, "tp_pktgen: --relay4/--relay6: an IPv4 and an IPv6 address\n");
		return -1;
	}
	g->relay[0].port = g->relay[1].port = LISTEN_PORT;
	return 0;
}

int
main(int argc, char **argv)
{
	static struct gen gen = {
		.nbindings = 100000,
		.channels = 1000,
		.pairs = 1024,
		.sizes = { 64 },
		.nsizes = 1,
		.seconds = 3,
		.nqueues = 1,
		.progress = true,
	};
	struct gen *g = &gen;
	unsigned link_wait = 30;
	int ret = rte_eal_init(argc, argv), status = EXIT_FAILURE;

	if (ret < 0) {
		fprintf(stderr, "tp_pktgen: EAL: %s\n", rte_strerror(rte_errno));
		return EXIT_FAILURE;
	}
	for (size_t i = 0; i < NCASES; i++)
		g->want[i] = true;
	if (parse_args(g, argc - ret, argv + ret, &link_wait) < 0) {
		usage();
		goto out;
	}
	if ((ret = plan(g)) < 0) {
		fprintf(stderr,
			"tp_pktgen: --bindings/--channels/--pairs: %s (at most 65536 "
			"allocations, 1..16384 channels each)\n",
			strerror(-ret));
		goto out;
	}
	g->tty = isatty(STDERR_FILENO);
	g->tx_lcore = rte_get_next_lcore(-1, 1, 0);
	if (g->tx_lcore >= RTE_MAX_LCORE)
		g->tx_lcore = rte_get_main_lcore();
	if (port_init(g) < 0 || wait_link(g, link_wait) < 0)
		goto out;
	printf("%s: %u allocations, %u bindings, %u queue(s); TX on lcore %u, RX on lcore %u\n",
	       g->mirror ? "mirror" : "turnpike", g->nallocs, g->nbinds, g->nqueues, g->tx_lcore,
	       rte_get_main_lcore());
	if (!g->mirror && set_up(g) < 0)
		goto out;
	for (size_t i = 0; i < NCASES; i++) {
		if (!g->want[i])
			continue;
		for (uint32_t j = 0; j < g->nsizes; j++) {
			g->size = g->sizes[j];
			if ((ret = build_case(g, &cases[i])) == -ENOENT) {
				fprintf(stderr, "tp_pktgen: %s: no bindings (--pairs 0), skipped\n",
					cases[i].name);
				break;
			}
			if (ret < 0) {
				fprintf(stderr, "tp_pktgen: no memory for the frames (raise -m)\n");
				goto out;
			}
			run_case(g, &cases[i]);
			free_case(g);
		}
	}
	status = EXIT_SUCCESS;
	if (g->linger) {
		linger(g, g->linger);
		/*
		 * The memif server's teardown races its own control thread, which is still
		 * handling the client that has just gone (DPDK 22.11 faulted here in about one
		 * run in three). The results are out; the kernel reclaims the rest.
		 */
		fflush(stdout);
		_exit(status);
	}
out:
	free_case(g);
	free(g->allocs);
	free(g->binds);
	if (g->pool) {
		rte_eth_dev_stop(g->port);
		rte_eth_dev_close(g->port);
	}
	rte_eal_cleanup();
	return status;
}
