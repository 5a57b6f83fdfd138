/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * libFuzzer target: the TURN engine's request handler and data paths, driven by a script of
 * operations decoded from the input. Requests from the script are signed with valid
 * long-term credentials and a nonce learnt from the engine's own 401, so the fuzzer reaches
 * allocations, permissions, channels, hairpin and expiry, not just the auth checks.
 *
 * Invariants: the engine never opens a relayed address twice nor closes one it did not open,
 * never adds a permission or channel twice nor removes an absent one, and when the engine is
 * destroyed every relayed address, permission and channel has been handed back.
 *
 * Script records: op (1 byte), length (1 byte), bytes.
 *   op % 5 == 0: a raw datagram from client op/5 % 4 to the listen port
 *   op % 5 == 1: a signed request; bytes = method (2), then attributes (type 2, len 1, value)
 *   op % 5 == 2: a datagram from a peer (address from the bytes) to a relayed port
 *   op % 5 == 3: time passes (bytes[0] seconds, up to 255 at once)
 *   op % 5 == 4: a Send indication or ChannelData built from the bytes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "config.h"
#include "engine.h"
#include "flowlog.h"
#include "fuzz.h"
#include "stun.h"

#define NCLIENTS 4

static struct tp_config cfg;
static int relays_open, chans_held;
static char nonces[NCLIENTS][TP_NONCE_MAX];
static const struct tp_addr *want_nonce_for;
static int want_nonce_idx;
static uint16_t last_port;

static bool
to_client(void *ctx, const struct tp_addr *client, const void *buf, size_t len)
{
	struct tp_stun_msg m;
	const struct tp_stun_attr *n;

	(void)ctx;
	if (!want_nonce_for || !tp_addr_eq(client, want_nonce_for))
		return true;
	if (tp_stun_parse(&m, buf, len) != TP_STUN_OK || !(n = tp_stun_find(&m, TP_ATTR_NONCE)))
		return true;
	check(n->len < TP_NONCE_MAX);
	memcpy(nonces[want_nonce_idx], tp_stun_value(&m, n), n->len);
	nonces[want_nonce_idx][n->len] = '\0';
	return true;
}

static bool
to_peer(void *ctx, const struct tp_addr *relay, const struct tp_addr *peer, const void *buf,
	size_t len, bool df)
{
	(void)ctx, (void)relay, (void)buf, (void)len, (void)df;
	check(peer->family == TP_FAM_V4 || peer->family == TP_FAM_V6);
	return true;
}

static int
relay_open(void *ctx, const struct tp_addr *relay)
{
	(void)ctx;
	check(relay->port >= cfg.port_min && relay->port <= cfg.port_max);
	relays_open++;
	last_port = relay->port;
	return 0;
}

static void
relay_close(void *ctx, const struct tp_addr *relay)
{
	(void)ctx, (void)relay;
	check(--relays_open >= 0);
}

static int
chan_add(void *ctx, const struct tp_binding *c)
{
	(void)ctx;
	check(c->channel >= 0x4000 && c->channel <= 0x7FFF);
	chans_held++;
	return 0;
}

static void
chan_del(void *ctx, const struct tp_binding *c)
{
	(void)ctx, (void)c;
	check(--chans_held >= 0);
}

/* The fast path "relayed" one datagram of the channel's number of bytes each time asked. */
static int
chan_counts(void *ctx, const struct tp_binding *c, struct tp_binding_stat *out)
{
	(void)ctx;
	check(chans_held > 0);
	out->packets[0] = out->packets[1] = 1;
	out->bytes[0] = out->bytes[1] = c->channel;
	return 0;
}

/* Every flow record the engine makes goes through the JSON writer, as in the relay. */
static void
flow_emit(void *ctx, const struct tp_flow_record *r)
{
	char *line = tp_flow_json(r, "fuzz");

	(void)ctx;
	check(line != NULL && line[0] == '{');
	check(r->username_len <= TP_USERNAME_MAX);
	free(line);
}

static const struct tp_dataplane fuzz_dataplane = {
	.name = "fuzz",
	.to_client = to_client,
	.to_peer = to_peer,
	.relay_open = relay_open,
	.relay_close = relay_close,
	.chan_add = chan_add,
	.chan_del = chan_del,
	.chan_counts = chan_counts,
};
static const struct tp_flow_sink sink = { flow_emit, NULL, 30 };

static struct tp_addr
client_addr(unsigned i)
{
	struct tp_addr a;

	tp_addr_parse_ip(&a, i % 2 ? "2001:db8:c::1" : "203.0.113.1");
	a.port = (uint16_t)(5000 + i);
	return a;
}

static void
signed_request(struct tp_engine *eng, unsigned ci, const uint8_t *p, size_t n)
{
	static const char user[] = "alice", realm[] = "fuzz.realm", password[] = "alice-pw";
	static uint8_t buf[4096];
	struct tp_addr client = client_addr(ci);
	struct tp_stun_builder b;
	uint8_t tid[TP_STUN_TID_LEN] = { 1, 2, 3 }, key[16];
	int len;

	if (n < 2)
		return;
	tid[11] = p[0];
	if (!nonces[ci][0]) {
		/* Learn a nonce as a client does: from the 401 to an unsigned request. */
		tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_ALLOCATE, TP_STUN_REQUEST, tid);
		want_nonce_for = &client;
		want_nonce_idx = (int)ci;
		tp_engine_client_input(eng, &client, buf, (size_t)tp_stun_build_end(&b));
		want_nonce_for = NULL;
	}
	tp_stun_build_init(&b, buf, sizeof(buf), (uint16_t)((p[0] << 8 | p[1]) & 0x0fff),
			   TP_STUN_REQUEST, tid);
	for (size_t i = 2; i + 3 <= n;) {
		uint16_t type = (uint16_t)(p[i] << 8 | p[i + 1]);
		size_t alen = p[i + 2];

		i += 3;
		if (alen > n - i)
			alen = n - i;
		tp_stun_add(&b, type, p + i, alen);
		i += alen;
	}
	tp_stun_add_str(&b, TP_ATTR_USERNAME, user);
	tp_stun_add_str(&b, TP_ATTR_REALM, realm);
	tp_stun_add_str(&b, TP_ATTR_NONCE, nonces[ci]);
	tp_auth_derive_key(false, user, strlen(user), realm, password, key);
	tp_stun_add_integrity(&b, false, key, sizeof(key));
	if (p[1] & 0x80)
		tp_stun_add_fingerprint(&b);
	if ((len = tp_stun_build_end(&b)) > 0) {
		want_nonce_for = &client;
		want_nonce_idx = (int)ci;
		tp_engine_client_input(eng, &client, buf, (size_t)len);
		want_nonce_for = NULL;
	}
}

static void
peer_datagram(struct tp_engine *eng, const uint8_t *p, size_t n)
{
	struct tp_addr peer;

	if (n < 4)
		return;
	memset(&peer, 0, sizeof(peer));
	peer.family = p[0] & 1 ? TP_FAM_V6 : TP_FAM_V4;
	memcpy(peer.ip, p + 1, n - 1 < 3 ? n - 1 : 3);
	peer.ip[0] = 198;
	peer.port = 40000;
	/* Mostly the port the engine last opened, so the datagram finds an allocation. */
	struct tp_addr relay = cfg.fam[TP_FAM_IDX(peer.family)].bind[p[0] & 4 ? 1 : 0];

	relay.port = p[0] & 2 ? (uint16_t)(cfg.port_min + p[1]) : last_port;
	tp_engine_peer_input(eng, &relay, &peer, p + 4, n - 4);
}

static void
client_data(struct tp_engine *eng, unsigned ci, const uint8_t *p, size_t n)
{
	static uint8_t buf[512];
	struct tp_addr client = client_addr(ci);

	if (n < 3)
		return;
	if (p[0] & 1) {
		/* ChannelData: channel from the bytes, length maybe lying. */
		buf[0] = 0x40 | (p[1] & 0x3f);
		buf[1] = p[2];
		buf[2] = 0;
		buf[3] = (uint8_t)(p[0] & 2 ? n : n - 3);
		memcpy(buf + 4, p + 3, n - 3);
		tp_engine_client_input(eng, &client, buf, n + 1);
		return;
	}

	struct tp_stun_builder b;
	struct tp_addr peer;
	uint8_t tid[TP_STUN_TID_LEN] = { 9 };
	int len;

	tp_addr_parse_ip(&peer, p[1] & 1 ? "192.0.2.1" : "198.51.100.7");
	peer.port = (uint16_t)(cfg.port_min + p[2]);
	tp_stun_build_init(&b, buf, sizeof(buf), TP_STUN_SEND, TP_STUN_INDICATION, tid);
	tp_stun_add_addr(&b, TP_ATTR_XOR_PEER_ADDRESS, &peer, true);
	tp_stun_add(&b, TP_ATTR_DATA, p + 3, n - 3);
	if ((len = tp_stun_build_end(&b)) > 0)
		tp_engine_client_input(eng, &client, buf, (size_t)len);
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char conf[] =
		"relay: { port-min = 50000; port-max = 50063;"
		"  ipv4: { bind = [ \"192.0.2.1\", \"192.0.2.2\" ]; };"
		"  ipv6: { bind = [ \"2001:db8::1\", \"2001:db8::2\" ]; }; };"
		"auth: { realm = \"fuzz.realm\"; users = ( { name = \"alice\"; password = "
		"\"alice-pw\"; } ); };"
		"limits: { max-allocations = 16; max-permissions-per-allocation = 8;"
		"  max-channels-per-allocation = 8; };";
	char err[512];

	(void)argc, (void)argv;
	if (tp_config_defaults(&cfg, err, sizeof(err)) < 0 ||
	    tp_config_load_string(&cfg, conf, "fuzz", err, sizeof(err)) < 0) {
		fprintf(stderr, "fuzz_engine: %s\n", err);
		abort();
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint64_t now = 1000000;
	struct tp_engine *eng = tp_engine_create(&cfg, &fuzz_dataplane, NULL);

	check(eng != NULL);
	tp_engine_set_flow_sink(eng, &sink);
	memset(nonces, 0, sizeof(nonces));
	tp_engine_set_time(eng, now, 1800000000);
	for (size_t i = 0; i + 2 <= size;) {
		uint8_t op = data[i];
		size_t n = data[i + 1];
		const uint8_t *p = data + i + 2;

		if (n > size - i - 2)
			n = size - i - 2;
		i += 2 + n;
		switch (op % 5) {
		case 0: {
			struct tp_addr c = client_addr(op / 5 % NCLIENTS);

			tp_engine_client_input(eng, &c, p, n);
			break;
		}
		case 1:
			signed_request(eng, op / 5 % NCLIENTS, p, n);
			break;
		case 2:
			peer_datagram(eng, p, n);
			break;
		case 3:
			now += (n ? p[0] : 1) * 1000ull;
			tp_engine_set_time(eng, now, 1800000000 + (int64_t)(now / 1000));
			tp_engine_tick(eng);
			break;
		case 4:
			client_data(eng, op / 5 % NCLIENTS, p, n);
			break;
		}
	}
	tp_engine_destroy(eng);
	check(relays_open == 0 && chans_held == 0);
	return 0;
}
