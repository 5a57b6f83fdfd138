/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control loop (loop/loop.h) with a dataplane of the test's own: socket mode's UDP
 * transport on 127.0.0.1 underneath, and every hook recorded. The loop runs on a thread of
 * its own until the test sends that thread SIGTERM (the loop reads its signals from a
 * signalfd, so a signal sent to the thread reaches it there). What must hold:
 *   - the lifecycle in order (open, start, stop, close) and exit status 0 after SIGTERM;
 *   - the dataplane's flush runs before a datagram the engine queued leaves: when it runs,
 *     the response is not yet on the client's socket (a binding is in the tables before its
 *     answer is on the wire);
 *   - fds registered with a callback are served, and one unwatched during a turn gets no
 *     callback for an event of that same turn;
 *   - the loop sleeps only after a poll that found no work, and wakes after every sleep.
 */
#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "dataplane.h"
#include "loop.h"
#include "udp.h"

namespace
{

/* What the test's dataplane saw; written by the loop's thread, read after it has ended
 * (and `started` and `served` while it runs). */
struct Fake {
	tp_loop *loop = nullptr;
	tp_udp *udp = nullptr;
	std::vector<std::string> events;
	std::atomic<bool> started{ false };
	std::atomic<int> served{ 0 };
	std::atomic<int> slept{ 0 }; /* sleeps so far: the test stops the loop after one */
	int client_fd = -1;
	bool response_queued = false;
	int pending_at_flush = -1; /* bytes on the client's socket at the flush after a response */
	int work = 3;		   /* polls that find work before the idle ones */
	tp_loop_fd efd[2];
	int efd_fd[2] = { -1, -1 };
};

Fake *fake;

void
eventfd_ready(void *arg, uint32_t)
{
	int i = (int)(intptr_t)arg;
	eventfd_t v;

	eventfd_read(fake->efd_fd[i], &v);
	fake->events.push_back("fd" + std::to_string(i));
	/* The other one goes: an event of this turn still pending for it must not be served. */
	if (fake->efd[1 - i].fd >= 0)
		tp_loop_unwatch(fake->loop, &fake->efd[1 - i]);
	fake->served++;
}

void *
fake_open(const tp_config *cfg, tp_loop *loop)
{
	fake->loop = loop;
	fake->events.push_back("open");
	if (!(fake->udp = tp_udp_open(cfg, loop)))
		return nullptr;
	/* Both ready before the first turn: one epoll_wait returns both. */
	for (int i = 0; i < 2; i++) {
		fake->efd_fd[i] = eventfd(1, EFD_NONBLOCK | EFD_CLOEXEC);
		EXPECT_EQ(tp_loop_watch(loop, &fake->efd[i], fake->efd_fd[i], eventfd_ready,
					(void *)(intptr_t)i, 0),
			  0);
	}
	return fake;
}

int
fake_start(void *, tp_engine *eng)
{
	EXPECT_NE(eng, nullptr);
	fake->events.push_back("start");
	fake->started = true;
	return 0;
}

void
fake_stop(void *)
{
	fake->events.push_back("stop");
}

void
fake_close(void *)
{
	fake->events.push_back("close");
	for (int i = 0; i < 2; i++) {
		if (fake->efd[i].fd >= 0)
			tp_loop_unwatch(fake->loop, &fake->efd[i]);
		close(fake->efd_fd[i]);
	}
	tp_udp_close(fake->udp);
}

bool
fake_to_client(void *, const tp_addr *client, const void *buf, size_t len)
{
	fake->response_queued = true;
	return tp_udp_to_client(fake->udp, client, buf, len);
}

bool
fake_to_peer(void *, const tp_addr *relay, const tp_addr *peer, const void *buf, size_t len,
	     bool df)
{
	return tp_udp_to_peer(fake->udp, relay, peer, buf, len, df);
}

int
fake_relay_open(void *, const tp_addr *relay)
{
	return tp_udp_relay_open(fake->udp, relay);
}

void
fake_relay_close(void *, const tp_addr *relay)
{
	tp_udp_relay_close(fake->udp, relay);
}

/* The first flush after a response was queued: is the response on the wire yet? */
void
fake_flush(void *)
{
	int pending = 0;

	if (!fake->response_queued || fake->pending_at_flush >= 0)
		return;
	ioctl(fake->client_fd, FIONREAD, &pending);
	fake->pending_at_flush = pending;
}

unsigned
fake_poll(void *)
{
	bool busy = fake->work > 0 && fake->work--;

	fake->events.push_back(busy ? "poll:work" : "poll:idle");
	return busy ? 1 : 0;
}

bool
fake_sleep(void *)
{
	fake->events.push_back("sleep");
	fake->slept++;
	return true;
}

void
fake_wake(void *)
{
	fake->events.push_back("wake");
}

tp_dataplane
fake_dataplane()
{
	tp_dataplane d{};

	d.name = "fake";
	d.open = fake_open;
	d.start = fake_start;
	d.stop = fake_stop;
	d.close = fake_close;
	d.to_client = fake_to_client;
	d.to_peer = fake_to_peer;
	d.relay_open = fake_relay_open;
	d.relay_close = fake_relay_close;
	d.flush = fake_flush;
	d.poll = fake_poll;
	d.sleep = fake_sleep;
	d.wake = fake_wake;
	return d;
}

/* A client socket on 127.0.0.1 that gives up after two seconds. */
int
client_socket()
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	timeval tv = { 2, 0 };
	sockaddr_in a = {};

	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	EXPECT_EQ(bind(fd, (sockaddr *)&a, sizeof(a)), 0);
	return fd;
}

/* A listen port and the 64 above it, all free on 127.0.0.1 now and below the ephemeral range,
 * so that suites run side by side (and their clients' ephemeral ports) do not meet. */
static unsigned
free_ports()
{
	for (unsigned t = 0; t < 100; t++) {
		unsigned base = 10000 + ((unsigned)getpid() * 7919u + t * 131u) % 20000;
		bool free = true;

		for (unsigned p = base; free && p <= base + 64; p++) {
			int fd = socket(AF_INET, SOCK_DGRAM, 0);
			sockaddr_in a = {};

			a.sin_family = AF_INET;
			a.sin_port = htons((uint16_t)p);
			a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			free = fd >= 0 && bind(fd, (sockaddr *)&a, sizeof(a)) == 0;
			if (fd >= 0)
				close(fd);
		}
		if (free)
			return base;
	}
	return 0;
}

TEST(Loop, RunsADataplaneInOrderAndFlushesBeforeSending)
{
	Fake f;
	tp_config cfg;
	char err[512];
	unsigned port = free_ports();
	std::string text = "relay: { listen-port = " + std::to_string(port) +
			   "; port-min = " + std::to_string(port + 1) +
			   "; port-max = " + std::to_string(port + 64) +
			   "; ipv4: { bind = \"127.0.0.1\"; }; ipv6: { enabled = false; }; };"
			   "admin: { socket = \"\"; };";

	ASSERT_NE(port, 0u) << "no 65 free ports on 127.0.0.1";
	fake = &f;
	f.client_fd = client_socket();
	ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
	ASSERT_EQ(tp_config_load_string(&cfg, text.c_str(), "test", err, sizeof(err)), 0) << err;
	const tp_dataplane dp = fake_dataplane();
	int status = -1;
	std::thread loop([&] { status = tp_loop_run(&cfg, NULL, &dp); });

	for (int i = 0; i < 400 && !f.started; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(5));
	ASSERT_TRUE(f.started) << "the loop did not start the dataplane";

	/* A STUN Binding request; its response comes from the listen port. */
	uint8_t req[20] = { 0x00, 0x01, 0x00, 0x00, 0x21, 0x12, 0xA4, 0x42 };
	uint8_t resp[512];
	sockaddr_in to = {};

	memcpy(req + 8, "loop-test-id", 12);
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ASSERT_EQ(sendto(f.client_fd, req, sizeof(req), 0, (sockaddr *)&to, sizeof(to)),
		  (ssize_t)sizeof(req));
	ssize_t n = recv(f.client_fd, resp, sizeof(resp), 0);
	ASSERT_GE(n, 20) << "no response";
	EXPECT_EQ(resp[0], 0x01);
	EXPECT_EQ(resp[1], 0x01) << "a Binding success response";
	EXPECT_EQ(memcmp(resp + 8, req + 8, 12), 0);
	/* Served, and idle once since: a slow machine may serve the request within the busy polls
	 * and take the signal before the first idle one. */
	for (int i = 0; i < 400 && (f.served < 1 || f.slept < 1); i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(5));

	pthread_kill(loop.native_handle(), SIGTERM);
	loop.join();
	close(f.client_fd);
	tp_config_free(&cfg);

	EXPECT_EQ(status, EXIT_SUCCESS);
	EXPECT_EQ(f.pending_at_flush, 0) << "the response left before the dataplane's flush";
	ASSERT_GE(f.events.size(), 4u);
	EXPECT_EQ(f.events[0], "open");
	EXPECT_EQ(f.events[1], "start");
	EXPECT_EQ(f.events[f.events.size() - 2], "stop");
	EXPECT_EQ(f.events.back(), "close");
	/* One of the two fds ready in the first turn was served; the other, unwatched by it,
	 * was not. */
	EXPECT_EQ(f.served, 1);
	int fds = 0;
	for (auto &e : f.events)
		fds += e.rfind("fd", 0) == 0;
	EXPECT_EQ(fds, 1);
	/* Busy polls never sleep; every sleep is followed by a wake. */
	for (size_t i = 0; i + 1 < f.events.size(); i++) {
		if (f.events[i] == "poll:work") {
			EXPECT_NE(f.events[i + 1], "sleep") << "slept after a busy poll at " << i;
		}
		if (f.events[i] == "sleep") {
			EXPECT_EQ(f.events[i + 1], "wake") << i;
		}
	}
	int busy = 0, sleeps = 0;
	for (auto &e : f.events) {
		busy += e == "poll:work";
		sleeps += e == "sleep";
	}
	EXPECT_EQ(busy, 3);
	EXPECT_GE(sleeps, 1);
}

} // namespace

/* A datagram from src (bound, ephemeral port) to dst through a socket filtered by
 * tp_udp_mute_filter(family, prefix, n): whether it arrives. */
static bool
arrives_through(int family, const char *src, const char *dst, const uint8_t (*prefix)[8],
		unsigned n)
{
	int af = family == TP_FAM_V4 ? AF_INET : AF_INET6;
	int rx = socket(af, SOCK_DGRAM, 0), tx = socket(af, SOCK_DGRAM, 0);
	sockaddr_storage a = {}, b = {};
	socklen_t len = af == AF_INET ? sizeof(sockaddr_in) : sizeof(sockaddr_in6);
	struct sock_filter code[TP_UDP_FILTER_MAX];
	struct sock_fprog prog = {};
	timeval tv = { 0, 200000 };
	char buf[16];

	a.ss_family = b.ss_family = (sa_family_t)af;
	if (af == AF_INET) {
		inet_pton(af, dst, &((sockaddr_in *)&a)->sin_addr);
		inet_pton(af, src, &((sockaddr_in *)&b)->sin_addr);
	} else {
		inet_pton(af, dst, &((sockaddr_in6 *)&a)->sin6_addr);
		inet_pton(af, src, &((sockaddr_in6 *)&b)->sin6_addr);
	}
	EXPECT_EQ(bind(rx, (sockaddr *)&a, len), 0);
	EXPECT_EQ(getsockname(rx, (sockaddr *)&a, &len), 0);
	EXPECT_EQ(bind(tx, (sockaddr *)&b, len), 0);
	prog.filter = code;
	prog.len = (unsigned short)tp_udp_mute_filter((uint8_t)family, prefix, n, code);
	EXPECT_EQ(setsockopt(rx, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)), 0);
	setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	EXPECT_EQ(sendto(tx, "x", 1, 0, (sockaddr *)&a, len), 1);
	bool got = recv(rx, buf, sizeof(buf), 0) == 1;
	close(rx);
	close(tx);
	return got;
}

/* socket mode's muted sources: the listen socket's filter drops exactly those, by IPv4
 * address and by IPv6 /64, wherever they stand in the set. */
TEST(Loop, MuteFilterDropsExactlyTheMutedSources)
{
	uint8_t v4[TP_UDP_MUTED][8] = {}, v6[TP_UDP_MUTED][8] = {};

	for (unsigned i = 0; i < TP_UDP_MUTED; i++) {
		uint8_t a[4] = { 127, 0, 1, (uint8_t)i };

		memcpy(v4[i], a, 4);
		v6[i][0] = 0x20, v6[i][1] = 0x01, v6[i][7] = (uint8_t)i; /* 2001:0:0:i::/64 */
	}
	EXPECT_TRUE(arrives_through(TP_FAM_V4, "127.0.0.2", "127.0.0.1", v4, TP_UDP_MUTED));
	memcpy(v4[TP_UDP_MUTED - 1], "\x7f\x00\x00\x02", 4); /* the last of a full set */
	EXPECT_FALSE(arrives_through(TP_FAM_V4, "127.0.0.2", "127.0.0.1", v4, TP_UDP_MUTED));
	EXPECT_TRUE(arrives_through(TP_FAM_V4, "127.0.0.3", "127.0.0.1", v4, TP_UDP_MUTED));
	memcpy(v4[0], "\x7f\x00\x00\x03", 4); /* the first */
	EXPECT_FALSE(arrives_through(TP_FAM_V4, "127.0.0.3", "127.0.0.1", v4, 1));

	/* ::1's /64 is all zeros: muted last of a full set, then not muted at all. */
	EXPECT_TRUE(arrives_through(TP_FAM_V6, "::1", "::1", v6, TP_UDP_MUTED));
	memset(v6[TP_UDP_MUTED - 1], 0, 8);
	EXPECT_FALSE(arrives_through(TP_FAM_V6, "::1", "::1", v6, TP_UDP_MUTED));
	v6[TP_UDP_MUTED - 1][4] = 1; /* ::1 shares the first word, not the second */
	EXPECT_TRUE(arrives_through(TP_FAM_V6, "::1", "::1", v6, TP_UDP_MUTED));
}
