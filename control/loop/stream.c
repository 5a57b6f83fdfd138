/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * TURN over TCP and TLS on the control loop (see stream.h).
 */
#include "stream.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "engine.h"
#include "framer.h"
#include "htab.h"
#include "list.h"
#include "log.h"

#define TX_MAX		(256 * 1024) /* bytes waiting to leave one connection */
#define TX_KEEP		4096	     /* a send buffer this small is kept once empty */
#define DTLS_RECORD_MAX 16384	     /* the most one DTLS record carries (max_send_fragment) */
#define READ_CHUNK	16384
#define TCP_READS	16 /* per event: a busy connection lets others in (TLS: records read) */
#define ACCEPTS		64 /* per event on a listener */
#define LISTEN_BACKLOG	1024
#define MAX_LISTENERS	(3 * TP_NFAM)

struct listener {
	struct tp_loop_fd w;
	struct tp_streams *s;
	int fd;	     /* its socket (w.fd is -1 while it is not watched) */
	bool paused; /* out of descriptors: not watched until the next tick */
	uint8_t transport;
	struct tp_addr local; /* where it listens */
	SSL *dtls;	      /* DTLS: answers ClientHellos statelessly (DTLSv1_listen) */
};

/* The connections from one IP address (limits.max-connections-per-source). */
struct source {
	struct tp_hnode node;
	struct tp_addr ip; /* key: port and transport zero */
	unsigned count;
};

struct conn {
	struct tp_hnode node;
	struct tp_addr client; /* key: its address and transport */
	struct tp_list link;   /* s->conns_list */
	struct tp_list queued; /* s->queued while it has bytes to send; else empty */
	struct tp_loop_fd w;
	struct tp_streams *s;
	struct source *src;
	SSL *ssl; /* TLS; NULL on TCP */
	enum tp_conn_state state;
	bool out;	   /* EPOLLOUT watched: the kernel took less than we had */
	bool dead;	   /* a send failed for good: closed at the next tick or event */
	bool ssl_failed;   /* OpenSSL failed for good: no close_notify then */
	uint64_t since_ms; /* opened; then, the last tick it held an allocation */
	struct tp_framer rx;
	uint8_t *tx;
	size_t txlen, txcap;
};

struct tp_streams {
	const struct tp_config *cfg;
	struct tp_loop *loop;
	struct tp_engine *eng;
	SSL_CTX *tls, *dtls;
	SSL_CTX *next_tls, *next_dtls; /* a reload's, until it commits */
	uint8_t cookie_key[32];	       /* DTLS cookies: HMAC of the client's address under it */
	struct listener lst[MAX_LISTENERS];
	unsigned nlst;
	struct tp_htab conns, sources;
	struct tp_list conns_list, queued;
	unsigned nconns;
	struct tp_conn_stats stats;
	uint8_t buf[READ_CHUNK];
};

const char *
tp_conn_close_name(enum tp_conn_close c)
{
	static const char *const names[] = {
#define X(n, s) s,
		TP_CONN_CLOSES(X)
#undef X
	};

	return c < TP_CONN_CLOSE_COUNT ? names[c] : "unknown";
}

const char *
tp_conn_state_name(enum tp_conn_state st)
{
	return st == TP_CONN_HANDSHAKE ? "handshake" : "established";
}

/* OpenSSL's first queued reason, as text (its queue emptied). */
static const char *
tls_reason(char *buf, size_t len)
{
	unsigned long e = ERR_get_error();

	if (!e)
		return "no reason given";
	ERR_error_string_n(e, buf, len);
	ERR_clear_error();
	return buf;
}

static const char *
conn_str(const struct conn *c)
{
	static char buf[TP_ADDR_STRLEN];

	return tp_addr_str(&c->client, buf, sizeof(buf));
}

/* Sources ----------------------------------------------------------------------------------- */

/* The connections from client's IP address: found, or made (with none). */
static struct source *
source_get(struct tp_streams *s, const struct tp_addr *client)
{
	struct tp_addr ip = *client;
	struct tp_hnode *n;
	struct source *src;

	ip.port = 0;
	ip.transport = TP_TRANSPORT_UDP;
	if ((n = tp_htab_find(&s->sources, &ip)))
		return tp_container_of(n, struct source, node);
	if (!(src = calloc(1, sizeof(*src))))
		return NULL;
	src->ip = ip;
	tp_htab_insert(&s->sources, &src->node);
	return src;
}

/* src, when no connection from it is left, forgotten. */
static void
source_release(struct tp_streams *s, struct source *src)
{
	if (src->count == 0) {
		tp_htab_remove(&s->sources, &src->node);
		free(src);
	}
}

/* Closing ------------------------------------------------------------------------------------ */

static void
set_state(struct conn *c, enum tp_conn_state st)
{
	c->s->stats.open[c->client.transport][c->state]--;
	c->state = st;
	c->s->stats.open[c->client.transport][c->state]++;
}

static void
conn_close(struct conn *c, enum tp_conn_close why)
{
	struct tp_streams *s = c->s;
	int fd = c->w.fd;

	TP_DEBUG("%s connection from %s closed: %s", tp_transport_name(c->client.transport),
		 conn_str(c), tp_conn_close_name(why));
	tp_loop_unwatch(s->loop, &c->w); /* (it forgets the fd) */
	/* Its allocation ends with it (RFC 8656 section 3.1: the 5-tuple is gone). */
	if (s->eng)
		tp_engine_connection_closed(s->eng, &c->client);
	if (c->ssl) {
		/* close_notify, once, without waiting for the reply; never after a fatal error. */
		if (c->state == TP_CONN_ESTABLISHED && !c->ssl_failed &&
		    why != TP_CONN_CLOSE_ERROR) {
			ERR_clear_error();
			SSL_shutdown(c->ssl);
		}
		SSL_free(c->ssl);
		ERR_clear_error();
	}
	close(fd);
	tp_framer_free(&c->rx);
	free(c->tx);
	c->src->count--;
	source_release(s, c->src);
	tp_htab_remove(&s->conns, &c->node);
	tp_list_del(&c->link);
	tp_list_del(&c->queued);
	s->stats.open[c->client.transport][c->state]--;
	s->stats.closed[why]++;
	s->nconns--;
	free(c);
}

/* Sending ------------------------------------------------------------------------------------ */

/* What the connection has queued, to the kernel (through TLS): 0, or -1 when the connection
 * failed. What the kernel does not take yet waits for EPOLLOUT. */
static int
conn_flush(struct conn *c)
{
	bool want_out = false;
	size_t off = 0;

	while (off < c->txlen) {
		const uint8_t *head = c->tx + off;
		size_t left = c->txlen - off;
		ssize_t n;

		if (c->ssl) {
			/* A record for each message: clients (coturn's among them) read a record
			 * as one message. Whole or not at all (no partial writes): the queue's head
			 * is always a message's first byte. */
			long msg = tp_frame_len(head, left);
			int len = msg > 0 && (size_t)msg <= left ? (int)msg : (int)left, r, e;

			ERR_clear_error();
			if ((r = SSL_write(c->ssl, head, len)) <= 0) {
				e = SSL_get_error(c->ssl, r);
				/* OpenSSL says which way it waits: for room (EPOLLOUT), or for the
				 * client's bytes (the next read event flushes again). */
				if (e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ) {
					want_out = e == SSL_ERROR_WANT_WRITE;
					break;
				}
				/* DTLS: an ICMP error for a datagram (anyone can forge one) is no
				 * reason to end the client's connection; the message is lost. */
				if (c->client.transport == TP_TRANSPORT_DTLS &&
				    e == SSL_ERROR_SYSCALL &&
				    (errno == ECONNREFUSED || errno == EHOSTUNREACH)) {
					ERR_clear_error();
					n = len;
				} else {
					c->ssl_failed = true;
					ERR_clear_error();
					return -1;
				}
			} else {
				n = r;
			}
		} else if ((n = send(c->w.fd, head, left, MSG_NOSIGNAL | MSG_DONTWAIT)) < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				return -1;
			want_out = true;
			break;
		}
		off += (size_t)n;
	}
	/* What went, taken off once: not message by message (a full queue of small messages
	 * would be moved once for each). */
	memmove(c->tx, c->tx + off, c->txlen - off);
	c->txlen -= off;
	if (want_out != c->out && tp_loop_want_output(c->s->loop, &c->w, want_out) == 0)
		c->out = want_out;
	if (!c->txlen && c->txcap > TX_KEEP) {
		free(c->tx);
		c->tx = NULL;
		c->txcap = 0;
	}
	return 0;
}

static struct conn *
conn_find(const struct tp_streams *s, const struct tp_addr *client)
{
	struct tp_hnode *n = tp_htab_find(&s->conns, client);

	return n ? tp_container_of(n, struct conn, node) : NULL;
}

bool
tp_streams_send(void *ctx, const struct tp_addr *client, const void *buf, size_t len)
{
	struct tp_streams *s = ctx;
	struct conn *c = conn_find(s, client);

	if (!c || c->dead || c->state != TP_CONN_ESTABLISHED)
		return false;
	/* DTLS: a message a record, and no record over 16 KiB (a peer's 64 KiB datagram as a
	 * Data indication, say): dropped, as a datagram too big for the path would be. */
	if (c->txlen + len > TX_MAX ||
	    (c->client.transport == TP_TRANSPORT_DTLS && len > DTLS_RECORD_MAX)) {
		s->stats.tx_dropped++;
		return false;
	}
	if (c->txlen + len > c->txcap) {
		size_t cap = c->txcap ? c->txcap : 2048;
		uint8_t *tx;

		while (cap < c->txlen + len)
			cap *= 2;
		if (!(tx = realloc(c->tx, cap))) {
			s->stats.tx_dropped++;
			return false;
		}
		c->tx = tx;
		c->txcap = cap;
	}
	memcpy(c->tx + c->txlen, buf, len);
	c->txlen += len;
	/* Out at the end of the turn, with whatever else the turn adds. */
	if (tp_list_empty(&c->queued))
		tp_list_add_tail(&s->queued, &c->queued);
	return true;
}

/* The end of every turn: each connection's queue to the kernel. */
static void
flush_queued(void *arg)
{
	struct tp_streams *s = arg;
	struct tp_list *pos, *tmp;

	tp_list_for_each_safe(pos, tmp, &s->queued)
	{
		struct conn *c = tp_container_of(pos, struct conn, queued);

		tp_list_del(&c->queued);
		if (!c->out && conn_flush(c) < 0)
			c->dead = true;
	}
}

/* Receiving ---------------------------------------------------------------------------------- */

static void
deliver(void *arg, const uint8_t *msg, size_t len)
{
	struct conn *c = arg;

	if (c->s->eng)
		tp_loop_client_input(c->s->loop, &c->client, msg, len);
}

/* The TLS handshake, a step further: false when the connection was closed. */
static bool
handshake(struct conn *c)
{
	struct tp_streams *s = c->s;
	char why[256];
	int r, e;

	ERR_clear_error();
	r = SSL_accept(c->ssl);
	if (r == 1) {
		s->stats.tls_handshakes_ok++;
		set_state(c, TP_CONN_ESTABLISHED);
		TP_DEBUG("TLS from %s: %s, %s", conn_str(c), SSL_get_version(c->ssl),
			 SSL_get_cipher_name(c->ssl));
		return true;
	}
	e = SSL_get_error(c->ssl, r);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
		bool want_out = e == SSL_ERROR_WANT_WRITE;

		if (want_out != c->out && tp_loop_want_output(s->loop, &c->w, want_out) == 0)
			c->out = want_out;
		return true;
	}
	s->stats.tls_handshakes_failed++;
	c->ssl_failed = true;
	TP_DEBUG("TLS from %s: handshake failed: %s", conn_str(c), tls_reason(why, sizeof(why)));
	ERR_clear_error();
	conn_close(c, TP_CONN_CLOSE_HANDSHAKE_FAILED);
	return false;
}

/* One read: > 0 bytes into s->buf; 0 nothing more now; -1 the connection is to close (*why). */
static ssize_t
conn_read(struct conn *c, enum tp_conn_close *why)
{
	struct tp_streams *s = c->s;
	ssize_t n;

	if (c->ssl) {
		int r, e;

		ERR_clear_error();
		if ((r = SSL_read(c->ssl, s->buf, sizeof(s->buf))) > 0)
			return r;
		e = SSL_get_error(c->ssl, r);
		if (e == SSL_ERROR_WANT_READ)
			return 0;
		/* It must write first (a key update's answer, say): when the socket has room. */
		if (e == SSL_ERROR_WANT_WRITE) {
			if (!c->out && tp_loop_want_output(s->loop, &c->w, true) == 0)
				c->out = true;
			return 0;
		}
		/* DTLS: an ICMP error (forgeable) for an earlier datagram is not the client's
		 * goodbye. */
		if (c->client.transport == TP_TRANSPORT_DTLS && e == SSL_ERROR_SYSCALL &&
		    (errno == ECONNREFUSED || errno == EHOSTUNREACH)) {
			ERR_clear_error();
			return 0;
		}
		/* close_notify, or a client gone without one (the socket's end or reset): the
		 * client's doing; a protocol failure: an error. */
		*why = e == SSL_ERROR_ZERO_RETURN || e == SSL_ERROR_SYSCALL ? TP_CONN_CLOSE_CLIENT
									    : TP_CONN_CLOSE_ERROR;
		c->ssl_failed = e != SSL_ERROR_ZERO_RETURN;
		ERR_clear_error();
		return -1;
	}
	if ((n = recv(c->w.fd, s->buf, sizeof(s->buf), MSG_DONTWAIT)) > 0)
		return n;
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return 0;
	*why = n == 0 || errno == ECONNRESET ? TP_CONN_CLOSE_CLIENT : TP_CONN_CLOSE_ERROR;
	return -1;
}

static void
conn_event(void *arg, uint32_t events)
{
	struct conn *c = arg;
	enum tp_conn_close why = TP_CONN_CLOSE_ERROR;

	if (c->dead) {
		conn_close(c, TP_CONN_CLOSE_ERROR);
		return;
	}
	/* The client's first message may have come with its last handshake bytes: read on. */
	if (c->state == TP_CONN_HANDSHAKE && (!handshake(c) || c->state == TP_CONN_HANDSHAKE))
		return;
	if ((events & EPOLLOUT) && conn_flush(c) < 0) {
		conn_close(c, TP_CONN_CLOSE_ERROR);
		return;
	}
	for (unsigned i = 0; i < TCP_READS || (c->ssl && SSL_pending(c->ssl) > 0); i++) {
		ssize_t n = conn_read(c, &why);
		int err;

		if (n == 0)
			break;
		if (n < 0) {
			conn_close(c, why);
			return;
		}
		if (c->client.transport == TP_TRANSPORT_DTLS)
			deliver(c, c->s->buf, (size_t)n); /* a record is a datagram is a message */
		else if ((err = tp_framer_input(&c->rx, c->s->buf, (size_t)n, deliver, c)) < 0) {
			conn_close(c, err == -1 ? TP_CONN_CLOSE_NOT_TURN : TP_CONN_CLOSE_ERROR);
			return;
		}
		if (c->dead) {
			conn_close(c, TP_CONN_CLOSE_ERROR);
			return;
		}
	}
	/* A TLS write that waited for the client's bytes (SSL_ERROR_WANT_READ) goes on now. */
	if (c->ssl && c->txlen && !c->out && conn_flush(c) < 0)
		conn_close(c, TP_CONN_CLOSE_ERROR);
}

/* Accepting ---------------------------------------------------------------------------------- */

/*
 * A connection from client on fd (transport in client): set up, or closed at once (a limit,
 * counted). ssl: DTLS's, its handshake begun by the listener; TLS's is made here.
 */
static void
conn_open(struct tp_streams *s, int fd, const struct tp_addr *client, SSL *ssl)
{
	const struct tp_config *cfg = s->cfg;
	struct source *src;
	struct conn *c;
	int one = 1;

	if (s->nconns >= cfg->max_connections) {
		s->stats.limit_total++;
		goto refuse;
	}
	if (!(src = source_get(s, client)))
		goto refuse;
	if (src->count >= cfg->max_connections_per_source) {
		s->stats.limit_source++;
		goto refuse_src;
	}
	if (conn_find(s, client) || !(c = calloc(1, sizeof(*c))))
		goto refuse_src;
	c->client = *client;
	c->s = s;
	c->src = src;
	c->since_ms = tp_loop_now_ms(s->loop);
	c->state = client->transport == TP_TRANSPORT_TCP ? TP_CONN_ESTABLISHED : TP_CONN_HANDSHAKE;
	tp_list_init(&c->queued);
	if (client->transport == TP_TRANSPORT_TLS &&
	    (!(ssl = SSL_new(s->tls)) || SSL_set_fd(ssl, fd) != 1)) {
		free(c);
		goto refuse_src;
	}
	/* (DTLS's is mid-handshake already: setting its state again would start it over.) */
	if ((c->ssl = ssl) && client->transport == TP_TRANSPORT_TLS)
		SSL_set_accept_state(ssl);
	if (tp_loop_watch(s->loop, &c->w, fd, conn_event, c, 0) < 0) {
		free(c);
		goto refuse_src;
	}
	if (client->transport != TP_TRANSPORT_DTLS)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	src->count++;
	tp_htab_insert(&s->conns, &c->node);
	tp_list_add_tail(&s->conns_list, &c->link);
	s->nconns++;
	s->stats.accepted[client->transport]++;
	s->stats.open[client->transport][c->state]++;
	TP_DEBUG("%s connection from %s", tp_transport_name(client->transport), conn_str(c));
	/* DTLS: the ClientHello is in already, and the handshake goes on from it. */
	if (client->transport == TP_TRANSPORT_DTLS)
		handshake(c);
	return;
refuse_src:
	source_release(s, src);
refuse:
	SSL_free(ssl);
	ERR_clear_error();
	close(fd);
}

static void
listener_event(void *arg, uint32_t events)
{
	struct listener *l = arg;

	(void)events;
	for (unsigned i = 0; i < ACCEPTS; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		int fd =
			accept4(l->w.fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0) {
			/* Out of descriptors: the waiting connection stays queued, and the
			 * listener, level-triggered, would fire at once again; it rests until
			 * the next tick instead, and says so once in a while. */
			if (errno == EMFILE || errno == ENFILE) {
				if (l->s->stats.accept_paused++ % 1000 == 0)
					TP_WARN("%s: cannot accept: %s (raise the file limit, or "
						"lower limits.max-connections)",
						tp_transport_name(l->transport), strerror(errno));
				tp_loop_unwatch(l->s->loop, &l->w);
				l->paused = true;
				return;
			}
			if (errno != EINTR && errno != ECONNABORTED)
				return;
			continue;
		}
		struct tp_addr client;

		if (tp_addr_from_sockaddr(&client, (const struct sockaddr *)&ss) < 0) {
			close(fd);
			continue;
		}
		client.transport = l->transport;
		conn_open(l->s, fd, &client, NULL);
	}
}

/* DTLS --------------------------------------------------------------------------------------- */

/*
 * A DTLS listener answers each ClientHello without keeping anything (DTLSv1_listen: a
 * HelloVerifyRequest with a cookie, RFC 6347 section 4.2.1); a ClientHello that returns the
 * cookie proves its source address, and only then does the client get a connection: a UDP
 * socket of its own, bound to the listener's address and connected to the client (the kernel
 * prefers it for the client's datagrams), which carries the rest of the handshake and every
 * record after it.
 */
static int
cookie_make(SSL *ssl, unsigned char *cookie, unsigned int *len)
{
	struct tp_streams *s = SSL_get_app_data(ssl);
	BIO_ADDR *peer = BIO_ADDR_new();
	unsigned char raw[16 + 2];
	size_t n = 0;
	int ok = 0;

	if (peer && BIO_dgram_get_peer(SSL_get_rbio(ssl), peer) > 0 &&
	    BIO_ADDR_rawaddress(peer, NULL, &n) && n <= 16 && BIO_ADDR_rawaddress(peer, raw, &n)) {
		unsigned short port = BIO_ADDR_rawport(peer);

		memcpy(raw + n, &port, 2);
		ok = HMAC(EVP_sha256(), s->cookie_key, sizeof(s->cookie_key), raw, n + 2, cookie,
			  len) != NULL;
	}
	BIO_ADDR_free(peer);
	return ok;
}

static int
cookie_check(SSL *ssl, const unsigned char *cookie, unsigned int len)
{
	unsigned char want[EVP_MAX_MD_SIZE];
	unsigned int n = 0;

	return cookie_make(ssl, want, &n) && n == len && CRYPTO_memcmp(want, cookie, n) == 0;
}

/* The listener's SSL for the next ClientHello: 0, or -1 (logged). */
static int
dtls_listener_ssl(struct listener *l)
{
	BIO *bio = NULL;

	if (!(l->dtls = SSL_new(l->s->dtls)) || !(bio = BIO_new_dgram(l->w.fd, BIO_NOCLOSE))) {
		SSL_free(l->dtls);
		l->dtls = NULL;
		TP_ERR("relay.dtls: out of memory");
		return -1;
	}
	SSL_set_bio(l->dtls, bio, bio);
	SSL_set_options(l->dtls, SSL_OP_COOKIE_EXCHANGE);
	SSL_set_app_data(l->dtls, l->s);
	return 0;
}

/* A UDP socket of the client's own, from the listener's address, connected to client. */
static int
dtls_socket(const struct listener *l, const struct tp_addr *client)
{
	struct sockaddr_storage local, peer;
	socklen_t len = tp_addr_to_sockaddr(&l->local, &local);
	socklen_t peerlen = tp_addr_to_sockaddr(client, &peer);
	int fd = socket(local.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (local.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&local, len) < 0 ||
	    connect(fd, (struct sockaddr *)&peer, peerlen) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void
dtls_listener_event(void *arg, uint32_t events)
{
	struct listener *l = arg;
	BIO_ADDR *peer = BIO_ADDR_new();

	(void)events;
	/* No SSL to listen with (memory ran short): another try, and the datagrams waiting
	 * dropped meanwhile, rather than a readable socket nobody reads. */
	if (!l->dtls && dtls_listener_ssl(l) < 0) {
		while (recv(l->w.fd, l->s->buf, sizeof(l->s->buf), MSG_DONTWAIT) >= 0)
			;
		BIO_ADDR_free(peer);
		return;
	}
	for (unsigned i = 0; peer && i < ACCEPTS; i++) {
		struct tp_addr client = { 0 };
		size_t n = 0;
		BIO *bio;
		SSL *ssl;
		int fd;

		/* 1: a ClientHello with our cookie; 0: none until more datagrams come. */
		if (DTLSv1_listen(l->dtls, peer) <= 0) {
			ERR_clear_error();
			break;
		}
		ssl = l->dtls;
		if (dtls_listener_ssl(l) < 0) {
			SSL_free(ssl);
			break;
		}
		client.family = BIO_ADDR_family(peer) == AF_INET6 ? TP_FAM_V6 : TP_FAM_V4;
		client.port = ntohs(BIO_ADDR_rawport(peer));
		client.transport = TP_TRANSPORT_DTLS;
		if (!BIO_ADDR_rawaddress(peer, NULL, &n) || n > sizeof(client.ip) ||
		    !BIO_ADDR_rawaddress(peer, client.ip, &n) ||
		    (fd = dtls_socket(l, &client)) < 0) {
			SSL_free(ssl);
			continue;
		}
		if (!(bio = BIO_new_dgram(fd, BIO_NOCLOSE))) {
			close(fd);
			SSL_free(ssl);
			continue;
		}
		BIO_ctrl(bio, BIO_CTRL_DGRAM_SET_CONNECTED, 0, peer);
		SSL_set_bio(ssl, bio, bio);
		conn_open(l->s, fd, &client, ssl);
	}
	BIO_ADDR_free(peer);
}

/* Setting up --------------------------------------------------------------------------------- */

/* ALPN (RFC 7443): "stun.turn" when the client offers it; none chosen otherwise. */
static int
alpn_select(SSL *ssl, const unsigned char **out, unsigned char *outlen, const unsigned char *in,
	    unsigned int inlen, void *arg)
{
	static const unsigned char ours[] = "\x09stun.turn";

	(void)ssl;
	(void)arg;
	if (SSL_select_next_proto((unsigned char **)out, outlen, ours, sizeof(ours) - 1, in,
				  inlen) == OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_OK;
	return SSL_TLSEXT_ERR_NOACK;
}

/* The TLS context from relay.tls, or DTLS's (1.2, with TLS's certificate and ciphers): NULL,
 * logged with the key and OpenSSL's reason. */
static SSL_CTX *
tls_context(const struct tp_config *cfg, bool dtls)
{
	SSL_CTX *ctx = SSL_CTX_new(dtls ? DTLS_server_method() : TLS_server_method());
	const char *key = NULL, *file = NULL;
	int min = cfg->tls.min_13 ? TLS1_3_VERSION : TLS1_2_VERSION;
	char why[256];

	if (!ctx) {
		TP_ERR("relay.%s: cannot set up %s: %s", dtls ? "dtls" : "tls",
		       dtls ? "DTLS" : "TLS", tls_reason(why, sizeof(why)));
		return NULL;
	}
	if (dtls) {
		min = DTLS1_2_VERSION;
		SSL_CTX_set_cookie_generate_cb(ctx, cookie_make);
		SSL_CTX_set_cookie_verify_cb(ctx, cookie_check);
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
	/* A write refused for want of room is retried from wherever the queue is by then. */
	SSL_CTX_set_mode(ctx, SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
	SSL_CTX_set_session_id_context(ctx, (const unsigned char *)"turnpike", 8);
	SSL_CTX_set_alpn_select_cb(ctx, alpn_select, NULL);
	if (!SSL_CTX_set_min_proto_version(ctx, min))
		key = "relay.tls.min-version";
	else if (!SSL_CTX_set_cipher_list(ctx, cfg->tls.ciphers))
		key = "relay.tls.ciphers";
	else if (!dtls && !SSL_CTX_set_ciphersuites(ctx, cfg->tls.ciphersuites))
		key = "relay.tls.ciphersuites";
	else if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls.certificate) != 1)
		key = "relay.tls.certificate", file = cfg->tls.certificate;
	else if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls.private_key, SSL_FILETYPE_PEM) != 1 ||
		 SSL_CTX_check_private_key(ctx) != 1)
		key = "relay.tls.private-key", file = cfg->tls.private_key;
	if (key) {
		TP_ERR("%s: %s%s%s", key, file ? file : "", file ? ": " : "",
		       tls_reason(why, sizeof(why)));
		SSL_CTX_free(ctx);
		return NULL;
	}
	return ctx;
}

static int
listen_on(struct tp_streams *s, uint8_t transport, const struct tp_addr *addr, uint16_t port)
{
	static const char *const keys[] = { [TP_TRANSPORT_TCP] = "relay.tcp.port",
					    [TP_TRANSPORT_TLS] = "relay.tls.port",
					    [TP_TRANSPORT_DTLS] = "relay.dtls.port" };
	bool dtls = transport == TP_TRANSPORT_DTLS;
	struct listener *l = &s->lst[s->nlst];
	struct tp_addr a = *addr;
	struct sockaddr_storage ss;
	socklen_t sl;
	int fd, one = 1, err;

	a.port = port;
	sl = tp_addr_to_sockaddr(&a, &ss);
	if ((fd = socket(ss.ss_family,
			 (dtls ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail;
	/* DTLS: each client's own socket binds the same address (dtls_socket). */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || (!dtls && listen(fd, LISTEN_BACKLOG) < 0))
		goto fail;
	l->s = s;
	l->fd = fd;
	l->transport = transport;
	l->local = a;
	if ((err = tp_loop_watch(s->loop, &l->w, fd, dtls ? dtls_listener_event : listener_event, l,
				 TP_LOOP_PRIORITY)) < 0) {
		errno = -err;
		goto fail;
	}
	s->nlst++;
	if (dtls && dtls_listener_ssl(l) < 0)
		return -1;
	TP_INFO("%s: listening on %s", tp_transport_name(transport),
		tp_addr_str(&a, (char[TP_ADDR_STRLEN]){ 0 }, TP_ADDR_STRLEN));
	return 0;
fail:
	TP_ERR("%s: cannot listen on %s: %s", keys[transport],
	       tp_addr_str(&a, (char[TP_ADDR_STRLEN]){ 0 }, TP_ADDR_STRLEN), strerror(errno));
	if (fd >= 0)
		close(fd);
	return -1;
}

struct tp_streams *
tp_streams_open(const struct tp_config *cfg, struct tp_loop *loop)
{
	struct tp_streams *s = calloc(1, sizeof(*s));

	if (!s) {
		TP_ERR("out of memory");
		return NULL;
	}
	s->cfg = cfg;
	s->loop = loop;
	tp_list_init(&s->conns_list);
	tp_list_init(&s->queued);
	if (TP_HTAB_INIT(&s->conns, struct conn, node, client) < 0 ||
	    TP_HTAB_INIT(&s->sources, struct source, node, ip) < 0 ||
	    tp_loop_on_turn_end(loop, flush_queued, s) < 0) {
		TP_ERR("out of memory");
		goto fail;
	}
	if ((cfg->tls.enabled && !(s->tls = tls_context(cfg, false))) ||
	    (cfg->dtls.enabled && !(s->dtls = tls_context(cfg, true))))
		goto fail;
	if (cfg->dtls.enabled && RAND_bytes(s->cookie_key, sizeof(s->cookie_key)) != 1) {
		TP_ERR("relay.dtls: no random bytes for the cookie key");
		goto fail;
	}
	for (int f = 0; f < TP_NFAM; f++) {
		if (!cfg->fam[f].enabled)
			continue;
		if ((cfg->tcp.enabled &&
		     listen_on(s, TP_TRANSPORT_TCP, &cfg->fam[f].bind[0], cfg->tcp.port) < 0) ||
		    (cfg->tls.enabled &&
		     listen_on(s, TP_TRANSPORT_TLS, &cfg->fam[f].bind[0], cfg->tls.port) < 0) ||
		    (cfg->dtls.enabled &&
		     listen_on(s, TP_TRANSPORT_DTLS, &cfg->fam[f].bind[0], cfg->dtls.port) < 0))
			goto fail;
	}
	return s;
fail:
	tp_streams_close(s);
	return NULL;
}

void
tp_streams_attach(struct tp_streams *s, struct tp_engine *eng)
{
	s->eng = eng;
	if (eng)
		tp_engine_set_connections(eng, tp_streams_send, s);
}

void
tp_streams_tick(struct tp_streams *s, uint64_t now_ms)
{
	const struct tp_config *cfg = s->cfg;
	struct tp_list *pos, *tmp;

	for (unsigned i = 0; i < s->nlst; i++) {
		struct listener *l = &s->lst[i];

		if (l->paused &&
		    tp_loop_watch(s->loop, &l->w, l->fd, listener_event, l, TP_LOOP_PRIORITY) == 0)
			l->paused = false;
	}

	tp_list_for_each_safe(pos, tmp, &s->conns_list)
	{
		struct conn *c = tp_container_of(pos, struct conn, link);

		if (c->dead) {
			conn_close(c, TP_CONN_CLOSE_ERROR);
		} else if (c->state == TP_CONN_HANDSHAKE) {
			/* DTLS: handshake flights the client may not have had, sent again. */
			if (c->client.transport == TP_TRANSPORT_DTLS)
				DTLSv1_handle_timeout(c->ssl);
			if (now_ms - c->since_ms >= cfg->handshake_timeout * 1000ull) {
				s->stats.tls_handshakes_failed++;
				conn_close(c, TP_CONN_CLOSE_HANDSHAKE_TIMEOUT);
			}
		} else if (s->eng && tp_engine_has_allocation(s->eng, &c->client)) {
			c->since_ms = now_ms;
		} else if (now_ms - c->since_ms >= cfg->connection_idle * 1000ull) {
			conn_close(c, TP_CONN_CLOSE_IDLE);
		}
	}
}

unsigned
tp_streams_count(const struct tp_streams *s)
{
	return s->nconns;
}

void
tp_streams_stats(const struct tp_streams *s, struct tp_conn_stats *out)
{
	*out = s->stats;
}

void
tp_streams_close(struct tp_streams *s)
{
	struct tp_list *pos, *tmp;

	if (!s)
		return;
	tp_list_for_each_safe(pos, tmp, &s->conns_list)
		conn_close(tp_container_of(pos, struct conn, link), TP_CONN_CLOSE_SHUTDOWN);
	for (unsigned i = 0; i < s->nlst; i++) {
		if (!s->lst[i].paused)
			tp_loop_unwatch(s->loop, &s->lst[i].w);
		SSL_free(s->lst[i].dtls);
		close(s->lst[i].fd);
	}
	tp_htab_fini(&s->conns);
	tp_htab_fini(&s->sources);
	SSL_CTX_free(s->tls);
	SSL_CTX_free(s->dtls);
	tp_streams_abort(s);
	free(s);
}

/* Reload ----------------------------------------------------------------------------------- */

int
tp_streams_prepare(struct tp_streams *s, const struct tp_config *next)
{
	tp_streams_abort(s);
	if ((s->tls && !(s->next_tls = tls_context(next, false))) ||
	    (s->dtls && !(s->next_dtls = tls_context(next, true)))) {
		tp_streams_abort(s);
		return -1;
	}
	return 0;
}

void
tp_streams_commit(struct tp_streams *s)
{
	if (s->next_tls) {
		SSL_CTX_free(s->tls);
		s->tls = s->next_tls;
	}
	if (s->next_dtls) {
		SSL_CTX_free(s->dtls);
		s->dtls = s->next_dtls;
		/* Each listener's SSL for the next ClientHello is made again, from the new
		 * context, when its next datagram comes (dtls_listener_event). */
		for (unsigned i = 0; i < s->nlst; i++) {
			SSL_free(s->lst[i].dtls);
			s->lst[i].dtls = NULL;
		}
	}
	s->next_tls = s->next_dtls = NULL;
}

void
tp_streams_abort(struct tp_streams *s)
{
	SSL_CTX_free(s->next_tls);
	SSL_CTX_free(s->next_dtls);
	s->next_tls = s->next_dtls = NULL;
}
