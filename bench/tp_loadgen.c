/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * A TURN load generator over UDP sockets, the same for every relay it is pointed at
 * (turnpike in any mode, coturn): it sets up allocations and channel bindings through the
 * relay's real control plane (401 challenge, Allocate, ChannelBind, with time-limited
 * credentials as coturn's use-auth-secret), then sends ChannelData toward a peer for a fixed
 * time, flat out or at a given rate. A sink counts what the peer receives.
 *
 *   tp_loadgen send SERVER SERVER_PORT PEER PEER_PORT SECRET CLIENTS SECONDS SIZE [PPS]
 *     prints: setup seconds, allocations per second, packets sent, send pps
 *   tp_loadgen sink ADDR PORT SECONDS
 *     prints: packets received, receive pps (over the time between first and last packet)
 *
 * Bounded in every loop: a count or a deadline, never both open.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "auth.h"
#include "crypto.h"
#include "stun.h"

#define BATCH	 32
#define CHANNEL	 0x4000
#define MAX_SIZE 1400

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int
udp_to(const struct tp_addr *server)
{
	struct sockaddr_storage ss;
	socklen_t len = tp_addr_to_sockaddr(server, &ss);
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	int buf = 4 << 20;

	if (fd < 0 || connect(fd, (struct sockaddr *)&ss, len) < 0) {
		perror("socket");
		exit(1);
	}
	setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	return fd;
}

struct client {
	int fd;
	char user[64], password[64], nonce[128], realm[128];
};

/* Send a request, wait (bounded) for the answer with the same transaction ID. */
static int
transact(struct client *c, uint8_t *req, size_t len, struct tp_stun_msg *m, uint8_t *buf,
	 size_t cap)
{
	for (int attempt = 0; attempt < 5; attempt++) {
		if (send(c->fd, req, len, 0) < 0)
			return -1;
		struct pollfd p = { c->fd, POLLIN, 0 };

		while (poll(&p, 1, 500) > 0) {
			ssize_t n = recv(c->fd, buf, cap, 0);

			if (n > 0 && tp_stun_parse(m, buf, (size_t)n) == TP_STUN_OK &&
			    memcmp(m->tid, req + 8, TP_STUN_TID_LEN) == 0)
				return 0;
		}
	}
	return -1;
}

/* One authenticated request (learning the nonce on the way). 0, or the error code. */
static int
request(struct client *c, uint16_t method, const struct tp_addr *peer)
{
	uint8_t req[512], buf[2048], tid[TP_STUN_TID_LEN], key[16];
	struct tp_stun_builder b;
	struct tp_stun_msg m;

	for (int round = 0; round < 3; round++) {
		tp_random(tid, sizeof(tid));
		tp_stun_build_init(&b, req, sizeof(req), method, TP_STUN_REQUEST, tid);
		if (method == TP_STUN_ALLOCATE)
			tp_stun_add_u32(&b, TP_ATTR_REQUESTED_TRANSPORT, 17u << 24);
		if (method == TP_STUN_CHANNEL_BIND) {
			tp_stun_add_u32(&b, TP_ATTR_CHANNEL_NUMBER, (uint32_t)CHANNEL << 16);
			tp_stun_add_addr(&b, TP_ATTR_XOR_PEER_ADDRESS, peer, true);
		}
		if (c->nonce[0]) {
			tp_stun_add_str(&b, TP_ATTR_USERNAME, c->user);
			tp_stun_add_str(&b, TP_ATTR_REALM, c->realm);
			tp_stun_add_str(&b, TP_ATTR_NONCE, c->nonce);
			tp_auth_derive_key(false, c->user, strlen(c->user), c->realm, c->password,
					   key);
			tp_stun_add_integrity(&b, false, key, sizeof(key));
		}
		tp_stun_add_fingerprint(&b);
		if (transact(c, req, (size_t)tp_stun_build_end(&b), &m, buf, sizeof(buf)) < 0)
			return -1;
		if (m.cls == TP_STUN_SUCCESS)
			return 0;
		int code = tp_stun_error_code(&m);

		if (code != 401 && code != 438)
			return code;
		tp_stun_get_str(&m, TP_ATTR_NONCE, c->nonce, sizeof(c->nonce));
		tp_stun_get_str(&m, TP_ATTR_REALM, c->realm, sizeof(c->realm));
	}
	return -1;
}

static int
parse_addr(struct tp_addr *a, const char *ip, const char *port)
{
	if (tp_addr_parse_ip(a, ip) < 0)
		return -1;
	a->port = (uint16_t)atoi(port);
	return 0;
}

static int
run_send(char **argv, int argc)
{
	struct tp_addr server, peer;
	const char *secret = argv[4];
	int nclients = atoi(argv[5]), size = atoi(argv[7]);
	double seconds = atof(argv[6]), pps = argc > 8 ? atof(argv[8]) : 0;
	struct client *cl = calloc((size_t)nclients, sizeof(*cl));
	static uint8_t frame[4 + MAX_SIZE];
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	unsigned long long sent = 0;

	if (parse_addr(&server, argv[0], argv[1]) < 0 || parse_addr(&peer, argv[2], argv[3]) < 0 ||
	    nclients < 1 || size < 1 || size > MAX_SIZE || seconds <= 0 || !cl) {
		fprintf(stderr, "tp_loadgen send: bad arguments\n");
		return 2;
	}

	double t0 = now();

	for (int i = 0; i < nclients; i++) {
		uint8_t mac[20];
		struct tp_iov part;
		int err;

		cl[i].fd = udp_to(&server);
		snprintf(cl[i].user, sizeof(cl[i].user), "%ld:loadgen%d", (long)time(NULL) + 3600,
			 i);
		part = (struct tp_iov){ cl[i].user, strlen(cl[i].user) };
		tp_hmac(TP_HASH_SHA1, secret, strlen(secret), &part, 1, mac, sizeof(mac));
		tp_base64(mac, sizeof(mac), cl[i].password, sizeof(cl[i].password));
		if ((err = request(&cl[i], TP_STUN_ALLOCATE, NULL)) != 0 ||
		    (err = request(&cl[i], TP_STUN_CHANNEL_BIND, &peer)) != 0) {
			fprintf(stderr, "tp_loadgen: client %d set-up failed (%d)\n", i, err);
			return 1;
		}
	}

	double setup = now() - t0;

	printf("setup %.3f s, %.0f allocations/s (401 + Allocate + ChannelBind each)\n", setup,
	       nclients / setup);

	/* ChannelData: channel, length, then a payload (unpadded over UDP). */
	frame[0] = CHANNEL >> 8;
	frame[1] = CHANNEL & 0xff;
	frame[2] = (uint8_t)(size >> 8);
	frame[3] = (uint8_t)size;
	memset(frame + 4, 0x5a, (size_t)size);
	iov = (struct iovec){ frame, (size_t)size + 4 };
	for (int i = 0; i < BATCH; i++)
		msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov, .msg_iovlen = 1 };

	double start = now(), end = start + seconds, t;

	for (int c = 0; (t = now()) < end; c = (c + 1) % nclients) {
		if (pps > 0 && sent >= (t - start) * pps) {
			struct timespec ts = { 0, 20000 };

			nanosleep(&ts, NULL);
			continue;
		}
		int n = sendmmsg(cl[c].fd, msgs, BATCH, MSG_DONTWAIT);

		if (n > 0)
			sent += (unsigned long long)n;
	}
	printf("sent %llu packets of %d bytes in %.2f s: %.0f pps\n", sent, size, seconds,
	       sent / seconds);
	for (int i = 0; i < nclients; i++)
		close(cl[i].fd);
	free(cl);
	return 0;
}

static int
run_sink(char **argv)
{
	struct tp_addr a;
	struct sockaddr_storage ss;
	static uint8_t bufs[BATCH][2048];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	unsigned long long got = 0;
	double seconds = atof(argv[2]), first = 0, last = 0;
	int fd, buf = 16 << 20;

	if (parse_addr(&a, argv[0], argv[1]) < 0 || seconds <= 0) {
		fprintf(stderr, "tp_loadgen sink: bad arguments\n");
		return 2;
	}
	fd = socket(a.family == TP_FAM_V4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, tp_addr_to_sockaddr(&a, &ss)) < 0) {
		perror("sink");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ bufs[i], sizeof(bufs[i]) };
		msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &iov[i], .msg_iovlen = 1 };
	}
	printf("sink ready\n");
	fflush(stdout);

	double end = now() + seconds;

	while (now() < end) {
		struct pollfd p = { fd, POLLIN, 0 };

		if (poll(&p, 1, 100) <= 0)
			continue;

		int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);

		if (n <= 0)
			continue;
		if (!got)
			first = now();
		got += (unsigned long long)n;
		last = now();
	}
	printf("received %llu packets: %.0f pps\n", got,
	       got > 1 && last > first ? got / (last - first) : 0.0);
	close(fd);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc >= 10 && strcmp(argv[1], "send") == 0)
		return run_send(argv + 2, argc - 2);
	if (argc == 5 && strcmp(argv[1], "sink") == 0)
		return run_sink(argv + 2);
	fprintf(stderr, "usage: tp_loadgen send SERVER PORT PEER PORT SECRET CLIENTS SECONDS SIZE "
			"[PPS]\n       tp_loadgen sink ADDR PORT SECONDS\n");
	return 2;
}
