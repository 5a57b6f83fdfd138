/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * tp_flood: an unauthenticated STUN flood, as a hostile or broken client sends it, for the
 * tests and benches that check the relay survives one (tests/integration/flood.sh,
 * bench/flood-bench.sh). From SOCKETS UDP sockets bound to FROM, it sends the smallest
 * unauthenticated Allocate (28 bytes: a header and REQUESTED-TRANSPORT, a fresh transaction
 * ID each) to SERVER:PORT with sendmmsg, 64 at a time, as fast as the sockets take them or
 * at RATE a second, for SECONDS; whatever comes back is read and counted, never answered.
 * Bounded by SECONDS and by 2^32 datagrams, whichever comes first; it stops by itself.
 *
 * usage: tp_flood SERVER PORT FROM SECONDS [SOCKETS [RATE]]    (RATE 0: flat out)
 * Prints: flood sent N bytes B received N bytes B seconds S rate PPS
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH	    64
#define MAX_SOCKETS 256
#define REQ_LEN	    28

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int
parse_addr(const char *ip, unsigned port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, ip, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons((uint16_t)port);
		*len = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, ip, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* A minimal Allocate: the header, REQUESTED-TRANSPORT (UDP); the transaction ID from n. */
static void
build_allocate(uint8_t *b, uint64_t n)
{
	static const uint8_t head[] = { 0x00, 0x03, 0x00, 0x08, 0x21, 0x12, 0xa4, 0x42 };
	static const uint8_t rt[] = { 0x00, 0x19, 0x00, 0x04, 17, 0, 0, 0 };

	memcpy(b, head, sizeof(head));
	memcpy(b + 8, &n, sizeof(n));
	memset(b + 16, 0x5a, 4);
	memcpy(b + 20, rt, sizeof(rt));
}

int
main(int argc, char **argv)
{
	struct sockaddr_storage to, from;
	socklen_t to_len, from_len;
	unsigned nsock = 8;
	double seconds, rate = 0;
	int fds[MAX_SOCKETS];
	static uint8_t reqs[BATCH][REQ_LEN], rx[BATCH][2048];
	struct mmsghdr tx_msgs[BATCH], rx_msgs[BATCH];
	struct iovec tx_iov[BATCH], rx_iov[BATCH];
	uint64_t sent = 0, received = 0, rx_bytes = 0, n = 0;
	double start, end, t;

	if (argc < 5 || argc > 7) {
		fprintf(stderr, "usage: tp_flood SERVER PORT FROM SECONDS [SOCKETS [RATE]]\n");
		return 2;
	}
	seconds = strtod(argv[4], NULL);
	if (argc > 5)
		nsock = (unsigned)strtoul(argv[5], NULL, 10);
	if (argc > 6)
		rate = strtod(argv[6], NULL);
	if (parse_addr(argv[1], (unsigned)strtoul(argv[2], NULL, 10), &to, &to_len) < 0 ||
	    parse_addr(argv[3], 0, &from, &from_len) < 0 || to.ss_family != from.ss_family) {
		fprintf(stderr, "tp_flood: SERVER and FROM must be addresses of one family\n");
		return 2;
	}
	if (!(seconds > 0 && seconds <= 600) || nsock < 1 || nsock > MAX_SOCKETS || rate < 0) {
		fprintf(stderr, "tp_flood: SECONDS 0..600, SOCKETS 1..%d, RATE >= 0\n",
			MAX_SOCKETS);
		return 2;
	}
	for (unsigned i = 0; i < nsock; i++) {
		fds[i] = socket(to.ss_family, SOCK_DGRAM | SOCK_NONBLOCK, 0);
		if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&from, from_len) < 0 ||
		    connect(fds[i], (struct sockaddr *)&to, to_len) < 0) {
			fprintf(stderr, "tp_flood: socket %u: %s\n", i, strerror(errno));
			return 1;
		}
	}
	memset(tx_msgs, 0, sizeof(tx_msgs));
	memset(rx_msgs, 0, sizeof(rx_msgs));
	for (unsigned i = 0; i < BATCH; i++) {
		tx_iov[i] = (struct iovec){ reqs[i], REQ_LEN };
		tx_msgs[i].msg_hdr.msg_iov = &tx_iov[i];
		tx_msgs[i].msg_hdr.msg_iovlen = 1;
		rx_iov[i] = (struct iovec){ rx[i], sizeof(rx[i]) };
		rx_msgs[i].msg_hdr.msg_iov = &rx_iov[i];
		rx_msgs[i].msg_hdr.msg_iovlen = 1;
	}

	start = now_s();
	end = start + seconds;
	for (unsigned s = 0; (t = now_s()) < end && sent < UINT32_MAX; s = (s + 1) % nsock) {
		int k, r;

		/* Paced: no more than rate * elapsed so far. */
		if (rate > 0 && (double)sent >= rate * (t - start)) {
			struct timespec pause = { 0, 50000 };

			nanosleep(&pause, NULL);
			continue;
		}
		for (k = 0; k < BATCH; k++)
			build_allocate(reqs[k], n++);
		r = sendmmsg(fds[s], tx_msgs, BATCH, 0);
		if (r > 0)
			sent += (uint64_t)r;
		while ((r = recvmmsg(fds[s], rx_msgs, BATCH, MSG_DONTWAIT, NULL)) > 0) {
			received += (uint64_t)r;
			for (k = 0; k < r; k++)
				rx_bytes += rx_msgs[k].msg_len;
		}
	}
	t = now_s() - start;
	printf("flood sent %" PRIu64 " bytes %" PRIu64 " received %" PRIu64 " bytes %" PRIu64
	       " seconds %.1f rate %.0f\n",
	       sent, sent * REQ_LEN, received, rx_bytes, t, (double)sent / t);
	for (unsigned i = 0; i < nsock; i++)
		close(fds[i]);
	return 0;
}
