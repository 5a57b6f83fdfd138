/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control plane's own ceiling: how many allocations a second the TURN engine completes
 * (401 challenge, Allocate, ChannelBind, as tp_pktgen and side-by-side.sh count them) with
 * no network, no dataplane and no other process beside it. The requests are the generator's:
 * time-limited credentials (coturn's use-auth-secret), MESSAGE-INTEGRITY and FINGERPRINT,
 * one client address per allocation. Every request of a phase is built (and signed) before
 * the phase is timed; the engine's answers are copied out while timed and checked after.
 *
 * usage: engine_bench [ALLOCATIONS] [ROUNDS]
 *   ALLOCATIONS (12000, at most 16000: the default port range, one family) per round; each
 *   round a fresh engine; per phase ns per request and the allocations a second, each the
 *   median of the rounds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth.h"
#include "config.h"
#include "engine.h"
#include "stun.h"

#define SECRET	"bench-secret"
#define REALM	"bench"
#define MSG_MAX 256

enum phase { PROBE, ALLOCATE, CHANNEL_BIND, NPHASES };
static const char *const phase_names[] = { "401", "Allocate", "ChannelBind" };

struct client {
	struct tp_addr addr;
	char user[32];
	uint8_t key[16];
	char nonce[TP_NONCE_MAX];
};

/* The engine's answer to the request in flight, kept for the check after the phase. */
struct answer {
	uint16_t len;
	uint8_t buf[MSG_MAX];
};

static struct answer *answers;
static uint32_t current;
static uint32_t relays_open;

static bool
to_client(void *ctx, const struct tp_addr *client, const void *buf, size_t len)
{
	(void)ctx, (void)client;
	if (len <= MSG_MAX) {
		answers[current].len = (uint16_t)len;
		memcpy(answers[current].buf, buf, len);
	}
	return true;
}

static bool
to_peer(void *ctx, const struct tp_addr *relay, const struct tp_addr *peer, const void *buf,
	size_t len, bool df)
{
	(void)ctx, (void)relay, (void)peer, (void)buf, (void)len, (void)df;
	return true;
}

static int
relay_open(void *ctx, const struct tp_addr *relay)
{
	(void)ctx, (void)relay;
	relays_open++;
	return 0;
}

static void
relay_close(void *ctx, const struct tp_addr *relay)
{
	(void)ctx, (void)relay;
	relays_open--;
}

/* A dataplane with no tables: the engine's work alone. */
static const struct tp_dataplane none = {
	.name = "none",
	.to_client = to_client,
	.to_peer = to_peer,
	.relay_open = relay_open,
	.relay_close = relay_close,
};

static uint64_t
ns_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
build(uint8_t *out, enum phase ph, uint32_t i, const struct client *c)
{
	struct tp_stun_builder b;
	uint8_t tid[TP_STUN_TID_LEN] = { 'e', 'b', (uint8_t)ph };

	memcpy(&tid[4], &i, sizeof(i));
	tp_stun_build_init(&b, out, MSG_MAX,
			   ph == CHANNEL_BIND ? TP_STUN_CHANNEL_BIND : TP_STUN_ALLOCATE,
			   TP_STUN_REQUEST, tid);
	if (ph == CHANNEL_BIND) {
		struct tp_addr peer = { 0 };

		tp_addr_parse_ip(&peer, "198.19.0.1");
		peer.port = (uint16_t)(1024 + i % 60000);
		tp_stun_add_u32(&b, TP_ATTR_CHANNEL_NUMBER, 0x4000u << 16);
		tp_stun_add_addr(&b, TP_ATTR_XOR_PEER_ADDRESS, &peer, true);
	} else {
		tp_stun_add_u32(&b, TP_ATTR_REQUESTED_TRANSPORT, 17u << 24);
	}
	if (ph != PROBE) {
		tp_stun_add_str(&b, TP_ATTR_USERNAME, c->user);
		tp_stun_add_str(&b, TP_ATTR_REALM, REALM);
		tp_stun_add_str(&b, TP_ATTR_NONCE, c->nonce);
		tp_stun_add_integrity(&b, false, c->key, sizeof(c->key));
	}
	tp_stun_add_fingerprint(&b);
	return tp_stun_build_end(&b);
}

/* What the client learns from the answer; 0, or -1 when it is not the one expected. */
static int
check(enum phase ph, uint32_t i, struct client *c)
{
	struct tp_stun_msg m;
	int code;

	if (!answers[i].len || tp_stun_parse(&m, answers[i].buf, answers[i].len) != TP_STUN_OK) {
		fprintf(stderr, "engine_bench: %s %u: no answer, or one that does not parse\n",
			phase_names[ph], i);
		return -1;
	}
	code = m.cls == TP_STUN_SUCCESS ? 0 : tp_stun_error_code(&m);
	if (code != (ph == PROBE ? 401 : 0)) {
		fprintf(stderr, "engine_bench: %s %u: answered %d %s\n", phase_names[ph], i, code,
			code ? tp_stun_error_reason(code) : "success");
		return -1;
	}
	if (ph == PROBE)
		tp_stun_get_str(&m, TP_ATTR_NONCE, c->nonce, sizeof(c->nonce));
	return 0;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t
median(uint64_t *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_u64);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One round: a fresh engine, n allocations; ns[ph] the phase's time. */
static int
round_once(const struct tp_config *cfg, struct client *cl, uint8_t (*msgs)[MSG_MAX], uint16_t *lens,
	   uint32_t n, uint64_t ns[NPHASES])
{
	struct tp_engine *eng = tp_engine_create(cfg, &none, NULL);
	struct timespec wall;
	int rc = 0;

	if (!eng) {
		fprintf(stderr, "engine_bench: the engine could not be created\n");
		return -1;
	}
	clock_gettime(CLOCK_REALTIME, &wall);
	tp_engine_set_time(eng, 1000, wall.tv_sec);
	for (unsigned ph = PROBE; ph < NPHASES && rc == 0; ph++) {
		for (uint32_t i = 0; i < n; i++) {
			int len = build(msgs[i], ph, i, &cl[i]);

			if (len < 0) {
				fprintf(stderr, "engine_bench: request %u does not fit\n", i);
				rc = -1;
				break;
			}
			lens[i] = (uint16_t)len;
			answers[i].len = 0;
		}
		uint64_t t0 = ns_now();

		for (current = 0; current < n && rc == 0; current++)
			tp_engine_client_input(eng, &cl[current].addr, msgs[current],
					       lens[current]);
		ns[ph] = ns_now() - t0;
		for (uint32_t i = 0; i < n && rc == 0; i++)
			rc = check(ph, i, &cl[i]);
	}
	if (rc == 0 && relays_open != n) {
		fprintf(stderr, "engine_bench: %u relayed addresses open, not %u\n", relays_open,
			n);
		rc = -1;
	}
	tp_engine_destroy(eng);
	return rc;
}

int
main(int argc, char **argv)
{
	uint32_t n = argc > 1 ? (uint32_t)strtoul(argv[1], NULL, 10) : 12000;
	unsigned rounds = argc > 2 ? (unsigned)strtoul(argv[2], NULL, 10) : 5;
	char err[256];
	struct tp_config cfg;
	struct timespec wall;

	if (argc > 3 || n == 0 || n > 16000 || rounds == 0 || rounds > 1000) {
		fprintf(stderr, "usage: engine_bench [ALLOCATIONS (1-16000)] [ROUNDS (1-1000)]\n");
		return 2;
	}
	if (tp_config_defaults(&cfg, err, sizeof(err)) < 0 ||
	    tp_config_load_string(&cfg,
				  "relay: { ipv4: { bind = \"192.0.2.1\"; }; };\n"
				  "auth: { realm = \"" REALM "\"; secrets = [ \"" SECRET
				  "\" ]; };\n"
				  "limits: { max-allocations-per-user = 0; };\n"
				  "peers: { allow = [ \"198.19.0.0/16\" ]; };\n",
				  "engine_bench", err, sizeof(err)) < 0) {
		fprintf(stderr, "engine_bench: %s\n", err);
		return 2;
	}

	struct client *cl = calloc(n, sizeof(*cl));
	uint8_t(*msgs)[MSG_MAX] = calloc(n, MSG_MAX);
	uint16_t *lens = calloc(n, sizeof(*lens));
	uint64_t *t = calloc((size_t)rounds * (NPHASES + 1), sizeof(*t));

	answers = calloc(n, sizeof(*answers));
	if (!cl || !msgs || !lens || !t || !answers) {
		fprintf(stderr, "engine_bench: out of memory\n");
		return 1;
	}
	/* Time-limited credentials, as the generator makes them: the client's work, untimed. */
	clock_gettime(CLOCK_REALTIME, &wall);
	for (uint32_t i = 0; i < n; i++) {
		struct client *c = &cl[i];

		tp_addr_parse_ip(&c->addr, "198.18.0.0");
		c->addr.ip[2] = (uint8_t)(i >> 8), c->addr.ip[3] = (uint8_t)i;
		c->addr.port = (uint16_t)(10000 + i % 50000);
		snprintf(c->user, sizeof(c->user), "%lld:bench%u", (long long)wall.tv_sec + 3600,
			 i);
		tp_auth_derive_timed_key(false, SECRET, c->user, strlen(c->user), REALM, c->key);
	}

	for (unsigned r = 0; r < rounds; r++) {
		uint64_t ns[NPHASES];

		if (round_once(&cfg, cl, msgs, lens, n, ns) < 0)
			return 1;
		for (unsigned ph = 0; ph < NPHASES; ph++) {
			t[ph * rounds + r] = ns[ph];
			t[NPHASES * rounds + r] += ns[ph];
		}
	}
	printf("engine_bench: %u allocations a round, %u round(s), medians\n", n, rounds);
	for (unsigned ph = 0; ph < NPHASES; ph++)
		printf("phase %s: %.0f ns per request\n", phase_names[ph],
		       (double)median(&t[ph * rounds], rounds) / n);

	uint64_t total = median(&t[NPHASES * rounds], rounds);

	printf("allocations: %.0f per second (401, Allocate, ChannelBind: %.0f ns)\n",
	       n * 1e9 / (double)total, (double)total / n);
	free(answers), free(t), free(lens), free(msgs), free(cl);
	tp_config_free(&cfg);
	return 0;
}
