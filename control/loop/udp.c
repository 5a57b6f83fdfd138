/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * UDP sockets on the control loop (see udp.h).
 */
#include "udp.h"

#include <assert.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane.h"
#include "log.h"

#define BATCH 16
#define RXBUF 65536
#define TXBUF 2048 /* a queued datagram's most; a longer one goes at once */
/* Batches read from one socket per wakeup, so that one busy socket cannot starve the rest. */
#define MAX_BATCHES 4

/* What the engine sends while a batch is handled is queued here. */
struct tx_queue {
	unsigned n;
	int fd[BATCH];
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage to[BATCH];
	uint8_t buf[BATCH][TXBUF];
};

/* A socket on the loop: a listen socket (relay false) or a relayed address's. */
struct udp_sock {
	struct tp_loop_fd w; /* w.fd: -1 when closed */
	struct tp_udp *u;
	struct tp_addr addr; /* what it is bound to */
	bool relay;
};

/* A source muted on a listen socket, until when (the loop's clock). */
struct muted_source {
	uint8_t prefix[8];
	uint64_t until_ms;
};

struct tp_udp {
	const struct tp_config *cfg;
	struct tp_loop *loop;
	struct udp_sock listen[TP_NFAM];
	struct udp_sock *relays[TP_NFAM]; /* by relayed address, then port - port_min */
	uint64_t rx_truncated, tx_errors;
	uint64_t fd_limit_hits; /* relayed addresses without a socket: the file limit */
	struct muted_source muted[TP_NFAM][TP_UDP_MUTED];
	unsigned nmuted[TP_NFAM];
	uint64_t mutes, filter_errors;
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_storage from[BATCH];
	uint8_t (*bufs)[RXBUF];
	struct tx_queue tx;
};

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

/* Sending ----------------------------------------------------------------------------------- */

/* Send what is queued. A full socket buffer drops, as a full NIC queue would: never block
 * the control thread. */
static void
tx_flush(struct tp_udp *u)
{
	struct tx_queue *q = &u->tx;

	if (q->n)
		tp_loop_before_send(u->loop);
	for (unsigned i = 0, end; i < q->n; i = end) {
		for (end = i + 1; end < q->n && q->fd[end] == q->fd[i]; end++)
			;
		while (i < end) {
			int sent = sendmmsg(q->fd[i], &q->msgs[i], end - i, MSG_DONTWAIT);

			if (sent < 0) {
				u->tx_errors++; /* this one is lost; the rest are tried */
				sent = 1;
			}
			i += (unsigned)sent;
		}
	}
	q->n = 0;
}

static void
tx_flush_at_turn_end(void *arg)
{
	tx_flush(arg);
}

/* Send at once, after what is queued (in order). false when the kernel refused it. */
static bool
send_now(struct tp_udp *u, int fd, const struct tp_addr *to, const void *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = tp_addr_to_sockaddr(to, &ss);

	tx_flush(u);
	tp_loop_before_send(u->loop);
	if (sendto(fd, buf, len, MSG_DONTWAIT, (struct sockaddr *)&ss, sl) < 0) {
		u->tx_errors++;
		return false;
	}
	return true;
}

/* Queue a datagram (true); a long one goes at once. */
static bool
send_from(struct tp_udp *u, int fd, const struct tp_addr *to, const void *buf, size_t len)
{
	struct tx_queue *q = &u->tx;
	unsigned i;

	if (len > TXBUF)
		return send_now(u, fd, to, buf, len);
	if (q->n == BATCH)
		tx_flush(u);
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
	return true;
}

/* The socket of relayed address relay (a bind address and port of the relay's, as the engine
 * opens them), open or not. */
static struct udp_sock *
relay_sock(struct tp_udp *u, const struct tp_addr *relay)
{
	int f = TP_FAM_IDX(relay->family), at = tp_cfg_relay_index(u->cfg, f, relay);
	size_t nports = (size_t)u->cfg->port_max - u->cfg->port_min + 1;

	assert(at >= 0);
	return &u->relays[f][(size_t)at * nports + relay->port - u->cfg->port_min];
}

bool
tp_udp_to_client(struct tp_udp *u, const struct tp_addr *client, const void *buf, size_t len)
{
	return send_from(u, u->listen[TP_FAM_IDX(client->family)].w.fd, client, buf, len);
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

bool
tp_udp_to_peer(struct tp_udp *u, const struct tp_addr *relay, const struct tp_addr *peer,
	       const void *buf, size_t len, bool df)
{
	int fd = relay_sock(u, relay)->w.fd;
	bool sent;

	if (fd < 0) {
		u->tx_errors++;
		return false;
	}
	if (!df)
		return send_from(u, fd, peer, buf, len);
	/* The socket's DF setting is for this datagram alone: it goes now. */
	tx_flush(u);
	set_df(fd, relay->family, true);
	sent = send_now(u, fd, peer, buf, len);
	set_df(fd, relay->family, false);
	return sent;
}

/* Receiving --------------------------------------------------------------------------------- */

/* Batches from socket s into the engine, then what they made leaves. */
static void
drain(void *arg, uint32_t events)
{
	struct udp_sock *s = arg;
	struct tp_udp *u = s->u;
	int fd = s->w.fd;

	(void)events;
	for (int batch = 0; batch < MAX_BATCHES && fd >= 0; batch++) {
		for (int i = 0; i < BATCH; i++) {
			u->msgs[i].msg_hdr.msg_name = &u->from[i];
			u->msgs[i].msg_hdr.msg_namelen = sizeof(u->from[i]);
			u->msgs[i].msg_hdr.msg_flags = 0;
		}

		int n = recvmmsg(fd, u->msgs, BATCH, MSG_DONTWAIT, NULL);

		for (int i = 0; i < n; i++) {
			struct tp_addr from;

			if (u->msgs[i].msg_hdr.msg_flags & MSG_TRUNC) {
				u->rx_truncated++;
				continue;
			}
			if (tp_addr_from_sockaddr(&from, (struct sockaddr *)&u->from[i]) < 0)
				continue;
			if (!s->relay)
				tp_loop_client_input(u->loop, &from, u->bufs[i],
						     u->msgs[i].msg_len);
			else
				tp_loop_peer_input(u->loop, &s->addr, &from, u->bufs[i],
						   u->msgs[i].msg_len);
		}
		tx_flush(u);
		if (n < BATCH)
			return;
		/* The engine may have closed this relay while handling the batch. */
		if (s->w.fd != fd)
			return;
	}
}

/* Relayed addresses ------------------------------------------------------------------------- */

int
tp_udp_relay_open(struct tp_udp *u, const struct tp_addr *relay)
{
	struct udp_sock *s = relay_sock(u, relay);
	int fd = udp_socket(u->cfg, relay), err;
	struct rlimit rl;

	if (fd == -EMFILE || fd == -ENFILE)
		u->fd_limit_hits++;
	/* Logged the 1st, 2nd, 4th, 8th... time: the engine answers 508 meanwhile. */
	if ((fd == -EMFILE || fd == -ENFILE) && !(u->fd_limit_hits & (u->fd_limit_hits - 1)) &&
	    getrlimit(RLIMIT_NOFILE, &rl) == 0)
		TP_ERR("relayed addresses: no socket for another (%s; the file limit is %llu): "
		       "a socket holds each relayed address in socket and xdp mode, raise "
		       "LimitNOFILE (%llu times so far)",
		       strerror(-fd), (unsigned long long)rl.rlim_cur,
		       (unsigned long long)u->fd_limit_hits);
	if (fd < 0)
		return fd;
	s->u = u;
	s->addr = *relay;
	s->relay = true;
	if ((err = tp_loop_watch(u->loop, &s->w, fd, drain, s, 0)) < 0) {
		close(fd);
		s->w.fd = -1;
		return err;
	}
	return 0;
}

void
tp_udp_relay_close(struct tp_udp *u, const struct tp_addr *relay)
{
	struct udp_sock *s = relay_sock(u, relay);
	int fd = s->w.fd;

	/* What is queued from it leaves first; its number may come back with the next open. */
	tx_flush(u);
	if (fd < 0)
		return;
	tp_loop_unwatch(u->loop, &s->w);
	close(fd);
}

/* Set-up ----------------------------------------------------------------------------------- */

static int
listen_on(struct tp_udp *u, int f)
{
	const struct tp_config *cfg = u->cfg;
	struct udp_sock *s = &u->listen[f];
	struct tp_addr a = cfg->fam[f].bind[0];
	char text[TP_ADDR_STRLEN], pub[TP_ADDR_STRLEN];
	int fd, err;

	a.port = cfg->listen_port;
	if ((fd = udp_socket(cfg, &a)) < 0) {
		TP_ERR("relay.%s.bind: cannot listen on %s: %s", f ? "ipv6" : "ipv4",
		       tp_addr_str(&a, text, sizeof(text)), strerror(-fd));
		return -1;
	}
	*s = (struct udp_sock){ .u = u, .addr = a };
	if ((err = tp_loop_watch(u->loop, &s->w, fd, drain, s, TP_LOOP_PRIORITY)) < 0) {
		TP_ERR("epoll_ctl (listen socket): %s", strerror(-err));
		close(fd);
		s->w.fd = -1;
		return -1;
	}
	tp_addr_str(&a, text, sizeof(text));
	for (unsigned i = 0; i < cfg->fam[f].naddrs; i++)
		TP_INFO("listening on %s, relaying from %s ports %u-%u", text,
			tp_addr_str(tp_cfg_public(cfg, f, i), pub, sizeof(pub)), cfg->port_min,
			cfg->port_max);
	return 0;
}

struct tp_udp *
tp_udp_open(const struct tp_config *cfg, struct tp_loop *loop)
{
	size_t nports = (size_t)cfg->port_max - cfg->port_min + 1, n;
	struct tp_udp *u = calloc(1, sizeof(*u));

	if (!u) {
		TP_ERR("out of memory");
		return NULL;
	}
	u->cfg = cfg;
	u->loop = loop;
	for (int f = 0; f < TP_NFAM; f++)
		u->listen[f].w.fd = -1;
	u->bufs = malloc(sizeof(*u->bufs) * BATCH);
	for (int f = 0; f < TP_NFAM; f++) {
		n = nports * (cfg->fam[f].naddrs ? cfg->fam[f].naddrs : 1);
		if (!(u->relays[f] = calloc(n, sizeof(*u->relays[f]))))
			break;
		for (size_t i = 0; i < n; i++)
			u->relays[f][i].w.fd = -1;
	}
	if (!u->bufs || !u->relays[0] || !u->relays[1]) {
		TP_ERR("out of memory for the sockets of %zu relayed ports", nports);
		goto fail;
	}
	for (int i = 0; i < BATCH; i++) {
		u->iov[i] = (struct iovec){ u->bufs[i], RXBUF };
		u->msgs[i].msg_hdr = (struct msghdr){ .msg_iov = &u->iov[i], .msg_iovlen = 1 };
	}
	if (tp_loop_on_turn_end(loop, tx_flush_at_turn_end, u) < 0) {
		TP_ERR("the control loop takes no more transports");
		goto fail;
	}
	for (int f = 0; f < TP_NFAM; f++)
		if (cfg->fam[f].enabled && listen_on(u, f) < 0)
			goto fail;
	return u;
fail:
	tp_udp_close(u);
	return NULL;
}

void
tp_udp_close(struct tp_udp *u)
{
	if (!u)
		return;
	for (int f = 0; f < TP_NFAM; f++) {
		if (u->listen[f].w.fd >= 0) {
			int fd = u->listen[f].w.fd;

			tp_loop_unwatch(u->loop, &u->listen[f].w);
			close(fd);
		}
		free(u->relays[f]);
	}
	free(u->bufs);
	free(u);
}

/* Muted sources ----------------------------------------------------------------------------- */

unsigned
tp_udp_mute_filter(uint8_t family, const uint8_t (*prefix)[8], unsigned n, struct sock_filter *out)
{
	unsigned k = 0, drop;

	if (n > TP_UDP_MUTED)
		n = TP_UDP_MUTED;
	/* IPv4: the load, a compare a source, the accept; IPv6: four a source, the accept. */
	drop = family == TP_FAM_V4 ? n + 2 : 4 * n + 1;
	for (unsigned i = 0; i < n; i++) {
		const uint8_t *p = prefix[i];
		uint32_t w0 =
			(uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
		uint32_t w1 =
			(uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];

		if (family == TP_FAM_V4) {
			/* The source address, once, then one compare a source. */
			if (i == 0)
				out[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
									(uint32_t)SKF_NET_OFF + 12);
			out[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, w0,
							      (uint8_t)(drop - k - 1), 0);
			k++;
			continue;
		}
		/* IPv6: the source's first two words against the /64. */
		out[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							(uint32_t)SKF_NET_OFF + 8);
		out[k++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, w0, 0, 2);
		out[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							(uint32_t)SKF_NET_OFF + 12);
		out[k] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, w1,
						      (uint8_t)(drop - k - 1), 0);
		k++;
	}
	if (family == TP_FAM_V4 && n == 0)
		out[k++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
							(uint32_t)SKF_NET_OFF + 12);
	out[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffffu); /* accept */
	out[k++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);	       /* drop */
	return k;
}

/* family's listen socket filters its muted sources, or none. */
static void
refilter(struct tp_udp *u, int f)
{
	struct sock_filter code[TP_UDP_FILTER_MAX];
	uint8_t prefix[TP_UDP_MUTED][8];
	struct sock_fprog prog = { .filter = code };
	int fd = u->listen[f].w.fd;

	if (fd < 0)
		return;
	if (!u->nmuted[f]) {
		if (setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, NULL, 0) < 0 && errno != ENOENT)
			u->filter_errors++;
		return;
	}
	for (unsigned i = 0; i < u->nmuted[f]; i++)
		memcpy(prefix[i], u->muted[f][i].prefix, 8);
	prog.len = (unsigned short)tp_udp_mute_filter(
		f ? TP_FAM_V6 : TP_FAM_V4, (const uint8_t(*)[8])prefix, u->nmuted[f], code);
	if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0)
		u->filter_errors++;
}

/* Ended mutes leave family's set: whether any did. */
static bool
expire(struct tp_udp *u, int f, uint64_t now_ms)
{
	unsigned kept = 0, n = u->nmuted[f];

	for (unsigned i = 0; i < n; i++)
		if (u->muted[f][i].until_ms > now_ms)
			u->muted[f][kept++] = u->muted[f][i];
	u->nmuted[f] = kept;
	return kept != n;
}

void
tp_udp_mute(struct tp_udp *u, const struct tp_addr *source, unsigned ms)
{
	int f = TP_FAM_IDX(source->family);
	uint64_t now = tp_loop_now_ms(u->loop);
	struct muted_source m = { .until_ms = now + ms };
	struct tp_muted_key k;
	unsigned i, soonest = 0;

	tp_dataplane_muted_key(source, &k);
	memcpy(m.prefix, k.prefix, sizeof(m.prefix));
	for (i = 0; i < u->nmuted[f]; i++)
		if (memcmp(u->muted[f][i].prefix, m.prefix, 8) == 0) {
			u->muted[f][i].until_ms = m.until_ms; /* the filter holds it already */
			return;
		}
	expire(u, f, now);
	if (u->nmuted[f] < TP_UDP_MUTED) {
		u->muted[f][u->nmuted[f]++] = m;
	} else {
		for (i = 1; i < TP_UDP_MUTED; i++)
			if (u->muted[f][i].until_ms < u->muted[f][soonest].until_ms)
				soonest = i;
		u->muted[f][soonest] = m;
	}
	u->mutes++;
	refilter(u, f);
}

void
tp_udp_tick(struct tp_udp *u, uint64_t now_ms)
{
	for (int f = 0; f < TP_NFAM; f++)
		if (u->nmuted[f] && expire(u, f, now_ms))
			refilter(u, f);
}

void
tp_udp_mute_counts(const struct tp_udp *u, uint64_t *mutes, uint64_t *filter_errors)
{
	*mutes = u->mutes;
	*filter_errors = u->filter_errors;
}

void
tp_udp_log_stats(const struct tp_udp *u)
{
	if (u->rx_truncated || u->tx_errors)
		TP_INFO("stats: rx_truncated %llu tx_errors %llu",
			(unsigned long long)u->rx_truncated, (unsigned long long)u->tx_errors);
}
