/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Socket mode: UDP sockets, epoll and signalfd around the engine (see sock.h).
 */
#include "sock.h"

#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "engine.h"
#include "log.h"

#define BATCH	   16
#define RXBUF	   65536
#define TXBUF	   2048 /* a queued datagram's most; a longer one goes at once */
#define MAX_EVENTS 64
#define TICK_MS	   250
/* Batches read from one socket per wakeup, so that one busy socket cannot starve the rest. */
#define MAX_BATCHES 4
/* Relayed sockets' events handled between two looks at the listen sockets. */
#define LISTEN_EVERY 8

/*
 * What the engine sends while it handles a batch is queued and goes out with sendmmsg after
 * the batch, one call per run of datagrams from the same socket (the responses and relayed
 * ChannelData to clients all leave from a listen socket).
 */
struct tx_queue {
	unsigned n;
	int fd[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage to[BATCH];
	uint8_t buf[BATCH][TXBUF];
};

enum ev_kind {
	EV_LISTEN = 1,
	EV_RELAY,
	EV_SIGNAL,
};

struct tp_sock {
	const struct tp_config *cfg;
	struct tp_engine *eng;
	const struct tp_sock_dataplane *dp;
	struct tp_observe obs;
	int epfd, sigfd;
	int listen_fd[TP_NFAM];
	int *relay_fd[TP_NFAM]; /* by port - port_min; -1 when closed */
	uint64_t rx_truncated, tx_errors;
	bool stop;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	uint8_t (*bufs)[RXBUF];
	struct tx_queue tx;
};

static uint64_t
ev_key(enum ev_kind kind, uint8_t family, uint16_t port)
{
	return (uint64_t)kind << 32 | (uint64_t)family << 16 | port;
}

static int
udp_socket(const struct tp_config *cfg, const struct tp_addr *a)
{
	struct sockaddr_storage ss;
	socklen_t len = tp_addr_to_sockaddr(a, &ss);
	int one = 1, fd, err;

	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	else
		/* DF only where a Send indication asks for it (RFC 8656 section 14). */
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &(int){ IP_PMTUDISC_DONT },
			   sizeof(int));
	if (cfg->socket_rcvbuf)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &cfg->socket_rcvbuf, sizeof(int));
	if (cfg->socket_sndbuf)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &cfg->socket_sndbuf, sizeof(int));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static int
watch(struct tp_sock *s, int fd, uint64_t key)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = key };

	return epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

static void tx_flush(struct tp_sock *s);

/* Fast-path ops: socket mode keeps no tables, only one socket per relayed address. ------ */

static int *
relay_slot(struct tp_sock *s, const struct tp_addr *relay)
{
	return &s->relay_fd[TP_FAM_IDX(relay->family)][relay->port - s->cfg->port_min];
}

int
tp_sock_relay_open(struct tp_sock *s, const struct tp_addr *relay)
{
	int fd = udp_socket(s->cfg, relay), err;

	if (fd < 0)
		return fd;
	if ((err = watch(s, fd, ev_key(EV_RELAY, relay->family, relay->port))) < 0) {
		close(fd);
		return err;
	}
	*relay_slot(s, relay) = fd;
	return 0;
}

void
tp_sock_relay_close(struct tp_sock *s, const struct tp_addr *relay)
{
	int *fd = relay_slot(s, relay);

	/* What is queued from it leaves first; its number may come back with the next open. */
	tx_flush(s);
	if (*fd >= 0)
		close(*fd); /* leaves the epoll set with it */
	*fd = -1;
}

static int
sock_relay_open(void *ctx, const struct tp_addr *relay)
{
	return tp_sock_relay_open(ctx, relay);
}

static void
sock_relay_close(void *ctx, const struct tp_addr *relay)
{
	tp_sock_relay_close(ctx, relay);
}

/* Socket mode keeps no tables: one socket per relayed address is its whole dataplane. */
static const struct tp_fastpath_ops sock_ops = {
	.name = "socket",
	.relay_open = sock_relay_open,
	.relay_close = sock_relay_close,
};

/* Engine output ---------------------------------------------------------------------------- */

/* The dataplane's deferred table writes, before anything the engine said goes out. */
static void
before_send(struct tp_sock *s)
{
	if (s->dp && s->dp->before_send)
		s->dp->before_send(s->dp->ctx);
}

/* Send what is queued. A full socket buffer drops, as a full NIC queue would: never block
 * the control thread. */
static void
tx_flush(struct tp_sock *s)
{
	struct tx_queue *q = &s->tx;

	if (q->n)
		before_send(s);
	for (unsigned i = 0, end; i < q->n; i = end) {
		for (end = i + 1; end < q->n && q->fd[end] == q->fd[i]; end++)
			;
		while (i < end) {
			int sent = sendmmsg(q->fd[i], &q->msgs[i], end - i, MSG_DONTWAIT);

			if (sent < 0) {
				s->tx_errors++; /* this one is lost; the rest are tried */
				sent = 1;
			}
			i += (unsigned)sent;
		}
	}
	q->n = 0;
}

/* Send at once, after what is queued (in order). */
static void
send_now(struct tp_sock *s, int fd, const struct tp_addr *to, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = tp_addr_to_sockaddr(to, &ss);

	tx_flush(s);
	before_send(s);
	if (sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0)
		s->tx_errors++;
}

static void
send_from(struct tp_sock *s, int fd, const struct tp_addr *to, const void *buf, size_t len)
{
	struct tx_queue *q = &s->tx;
	unsigned i;

	if (len > TXBUF) {
		send_now(s, fd, to, buf, len);
		return;
	}
	if (q->n == BATCH)
		tx_flush(s);
	i = q->n++;
	q->fd[i] = fd;
	memcpy(q->buf[i], buf, len);
	q->iov[i] = (struct iovec){ q->buf[i], len };
	q->msgs[i].msg_hdr = (struct msghdr){
		.msg_name = &q->to[i],
		.msg_namelen = tp_addr_to_sockaddr(to, &q->to[i]),
		.msg_iov = &q->iov[i],
		.msg_iovlen = 1,
	};
}

static void
sock_to_client(void *ctx, const struct tp_addr *client, const void *buf, size_t len)
{
	struct tp_sock *s = ctx;

	send_from(s, s->listen_fd[TP_FAM_IDX(client->family)], client, buf, len);
}

static void
set_df(int fd, uint8_t family, bool on)
{
	if (family == TP_FAM_V4)
		setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER,
			   &(int){ on ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT }, sizeof(int));
	else
		setsockopt(fd, IPPROTO_IPV6, IPV6_DONTFRAG, &(int){ on }, sizeof(int));
}

static void
sock_to_peer(void *ctx, const struct tp_addr *relay, const struct tp_addr *peer, const void *buf,
	     size_t len, bool df)
{
	struct tp_sock *s = ctx;
	int fd = *relay_slot(s, relay);

	if (fd < 0) {
		s->tx_errors++;
		return;
	}
	if (df) {
		/* The socket's DF setting is for this datagram alone: it goes now. */
		tx_flush(s);
		set_df(fd, relay->family, true);
		send_now(s, fd, peer, buf, len);
		set_df(fd, relay->family, false);
		return;
	}
	send_from(s, fd, peer, buf, len);
}

/* Event loop ------------------------------------------------------------------------------- */

static void
update_clock(struct tp_sock *s)
{
	struct timespec mono, wall;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	clock_gettime(CLOCK_REALTIME, &wall);
	tp_engine_set_clock(s->eng, (uint64_t)mono.tv_sec * 1000 + (uint64_t)mono.tv_nsec / 1000000,
			    (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000);
}

static void
drain(struct tp_sock *s, int fd, enum ev_kind kind, uint8_t family, uint16_t port)
{
	for (int batch = 0; batch < MAX_BATCHES; batch++) {
		for (int i = 0; i < BATCH; i++) {
			s->msgs[i].msg_hdr.msg_name = &s->from[i];
			s->msgs[i].msg_hdr.msg_namelen = sizeof(s->from[i]);
			s->msgs[i].msg_hdr.msg_flags = 0;
		}

		int n = recvmmsg(fd, s->msgs, BATCH, MSG_DONTWAIT, NULL);

		for (int i = 0; i < n; i++) {
			struct tp_addr from;

			if (s->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				s->rx_truncated++;
				continue;
			}
			if (tp_addr_from_sockaddr(&from, (struct sockaddr *)&s->from[i]) < 0)
				continue;
			if (kind == EV_LISTEN)
				tp_engine_client_input_timed(s->eng, &from, s->bufs[i],
							     s->msgs[i].msg_len);
			else
				tp_engine_peer_input(s->eng, family, port, &from, s->bufs[i],
						     s->msgs[i].msg_len);
		}
		tx_flush(s);
		if (n < BATCH)
			return;
		/* The engine may have closed this relay while handling the batch. */
		if (kind == EV_RELAY &&
		    s->relay_fd[TP_FAM_IDX(family)][port - s->cfg->port_min] != fd)
			return;
	}
}

static void
drain_listen(struct tp_sock *s)
{
	for (int f = 0; f < TP_NFAM; f++)
		if (s->listen_fd[f] >= 0)
			drain(s, s->listen_fd[f], EV_LISTEN, s->cfg->fam[f].bind.family,
			      s->cfg->listen_port);
}

static void
handle_signal(struct tp_sock *s)
{
	struct signalfd_siginfo si;

	while (read(s->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGUSR1) {
			tp_engine_log_stats(s->eng);
			if (s->dp->log_stats)
				s->dp->log_stats(s->dp->ctx);
			continue;
		}
		if (si.ssi_signo == SIGHUP) {
			tp_observe_hup(&s->obs);
			continue;
		}
		TP_INFO("signal %s: shutting down", strsignal((int)si.ssi_signo));
		s->stop = true;
	}
}

static void
dispatch(struct tp_sock *s, uint64_t key)
{
	enum ev_kind kind = (enum ev_kind)(key >> 32);
	uint8_t family = (uint8_t)(key >> 16);
	uint16_t port = (uint16_t)key;
	int fd;

	switch (kind) {
	case EV_SIGNAL:
		handle_signal(s);
		return;
	case EV_LISTEN:
		drain(s, s->listen_fd[TP_FAM_IDX(family)], kind, family, port);
		return;
	case EV_RELAY:
		/* Closed by an earlier event of this same wakeup: nothing to read. */
		if ((fd = s->relay_fd[TP_FAM_IDX(family)][port - s->cfg->port_min]) >= 0)
			drain(s, fd, kind, family, port);
		return;
	}
}

/* Set-up ----------------------------------------------------------------------------------- */

static void
raise_fd_limit(void)
{
	struct rlimit rl;

	/* One socket per allocation: the soft limit of 1024 would cap allocations early. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static int
setup(struct tp_sock *s, const struct tp_config *cfg)
{
	size_t nports = (size_t)cfg->port_max - cfg->port_min + 1;
	sigset_t mask;

	s->cfg = cfg;
	s->epfd = s->sigfd = -1;
	s->listen_fd[0] = s->listen_fd[1] = -1;
	s->bufs = malloc(sizeof(*s->bufs) * BATCH);
	for (int f = 0; f < TP_NFAM; f++) {
		s->relay_fd[f] = malloc(nports * sizeof(int));
		if (!s->relay_fd[f])
			return -ENOMEM;
		for (size_t i = 0; i < nports; i++)
			s->relay_fd[f][i] = -1;
	}
	if (!s->bufs)
		return -ENOMEM;
	for (int i = 0; i < BATCH; i++) {
		s->iov[i] = (struct iovec){ s->bufs[i], RXBUF };
		s->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &s->iov[i], .msg_iovlen = 1 };
	}
	if ((s->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		TP_ERR("epoll_create1: %s", strerror(errno));
		return -1;
	}

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((s->sigfd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0 ||
	    watch(s, s->sigfd, ev_key(EV_SIGNAL, 0, 0)) < 0) {
		TP_ERR("signalfd: %s", strerror(errno));
		return -1;
	}

	for (int f = 0; f < TP_NFAM; f++) {
		struct tp_addr a = cfg->fam[f].bind;
		char text[TP_ADDR_STRLEN];

		if (!cfg->fam[f].enabled)
			continue;
		a.port = cfg->listen_port;
		s->listen_fd[f] = udp_socket(cfg, &a);
		if (s->listen_fd[f] < 0) {
			TP_ERR("relay.%s.bind: cannot listen on %s: %s", f ? "ipv6" : "ipv4",
			       tp_addr_str(&a, text, sizeof(text)), strerror(-s->listen_fd[f]));
			return -1;
		}
		watch(s, s->listen_fd[f], ev_key(EV_LISTEN, a.family, a.port));
		TP_INFO("listening on %s, relaying from %s ports %u-%u",
			tp_addr_str(&a, text, sizeof(text)),
			tp_addr_str(tp_cfg_public(cfg, f), (char[TP_ADDR_STRLEN]){ 0 },
				    TP_ADDR_STRLEN),
			cfg->port_min, cfg->port_max);
	}
	return 0;
}

static void
teardown(struct tp_sock *s)
{
	for (int f = 0; f < TP_NFAM; f++) {
		if (s->listen_fd[f] >= 0)
			close(s->listen_fd[f]);
		free(s->relay_fd[f]);
	}
	if (s->sigfd >= 0)
		close(s->sigfd);
	if (s->epfd >= 0)
		close(s->epfd);
	free(s->bufs);
}

struct tp_sock *
tp_sock_open(const struct tp_config *cfg)
{
	struct tp_sock *s = calloc(1, sizeof(*s));

	if (!s) {
		TP_ERR("out of memory");
		return NULL;
	}
	raise_fd_limit();
	if (setup(s, cfg) < 0) {
		tp_sock_close(s);
		return NULL;
	}
	return s;
}

void
tp_sock_close(struct tp_sock *s)
{
	if (!s)
		return;
	teardown(s);
	free(s);
}

int
tp_sock_loop(struct tp_sock *s, const struct tp_sock_dataplane *dp)
{
	const struct tp_config *cfg = s->cfg;
	struct tp_engine_io io = { s, sock_to_client, sock_to_peer };
	struct epoll_event events[MAX_EVENTS];
	int status;

	s->dp = dp;
	if (tp_observe_open(&s->obs, cfg, dp->name, dp->reasons, dp->ctx) < 0)
		return EXIT_FAILURE;
	if (!(s->eng = tp_engine_create(cfg, &io, dp->ops, dp->ctx))) {
		TP_ERR("cannot create the TURN engine: out of memory");
		tp_observe_close(&s->obs);
		return EXIT_FAILURE;
	}
	tp_observe_attach(&s->obs, s->eng);
	update_clock(s);
	TP_INFO("%s mode ready (realm \"%s\", %u secret(s), %u user(s))", dp->name, cfg->realm,
		cfg->nsecrets, cfg->nusers);
	if (!cfg->nsecrets && !cfg->nusers)
		TP_WARN("auth: no credentials (auth.secrets, auth.users): every allocation will be "
			"refused with 401");

	while (!s->stop) {
		int n = epoll_wait(s->epfd, events, MAX_EVENTS, TICK_MS);

		if (n < 0 && errno != EINTR) {
			TP_ERR("epoll_wait: %s", strerror(errno));
			break;
		}
		update_clock(s);
		for (int i = 0; i < n; i++) {
			dispatch(s, events[i].data.u64);
			/* Clients before peers: with thousands of relayed sockets ready (a flood
			 * from peers), the listen sockets would otherwise get one turn in every
			 * few thousand, and signalling would wait behind the flood. */
			if (i % LISTEN_EVERY == LISTEN_EVERY - 1)
				drain_listen(s);
		}
		tp_engine_tick(s->eng);
		tx_flush(s);
		tp_observe_tick(&s->obs, s->eng, tp_engine_now_ms(s->eng));
	}
	status = s->stop ? EXIT_SUCCESS : EXIT_FAILURE;
	tp_engine_log_stats(s->eng);
	if (dp->log_stats)
		dp->log_stats(dp->ctx);
	if (s->rx_truncated || s->tx_errors)
		TP_INFO("stats: rx_truncated %llu tx_errors %llu",
			(unsigned long long)s->rx_truncated, (unsigned long long)s->tx_errors);
	/* Every allocation goes, through the dataplane's ops, before the dataplane does; its
	 * flows' last records before the flow log closes. */
	update_clock(s);
	tp_observe_drain(&s->obs);
	tp_engine_destroy(s->eng);
	s->eng = NULL;
	tp_observe_close(&s->obs);
	return status;
}

int
tp_sock_run(const struct tp_config *cfg)
{
	struct tp_sock *s = tp_sock_open(cfg);
	struct tp_sock_dataplane dp = { "socket", &sock_ops, s, NULL, NULL, NULL };
	int status;

	if (!s)
		return EXIT_FAILURE;
	status = tp_sock_loop(s, &dp);
	tp_sock_close(s);
	return status;
}
