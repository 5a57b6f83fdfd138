/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * turnpikectl's socket on the control loop (see admin.h): requests in, JSON (json-c) out.
 */
#include "admin.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <json-c/json.h>

#include "engine.h"
#include "list.h"
#include "log.h"
#include "metrics.h"

#define ADMIN_CLIENTS	  16
#define ADMIN_REQUEST_MAX 4096
#define ADMIN_TIMEOUT_MS  5000

#ifndef TP_VERSION
#define TP_VERSION "dev"
#endif

struct client {
	struct tp_admin *a;
	struct tp_loop_fd w;
	struct tp_list link;
	uint64_t since_ms;
	char in[ADMIN_REQUEST_MAX];
	size_t nin;
	char *out; /* the answer, once made */
	size_t nout, sent;
};

struct tp_admin {
	struct tp_loop *loop;
	struct tp_loop_fd w;
	int fd;	     /* the listening socket */
	bool paused; /* out of descriptors: not watched until the next tick */
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
	struct tp_list clients;
	unsigned nclients;
};

/* Answers ------------------------------------------------------------------------------------ */

static struct json_object *answer_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct json_object *
answer_error(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* Bytes of a request quoted back may be anything, and cut anywhere: ASCII alone goes
	 * out, so that the answer is valid JSON (UTF-8) whatever came in. */
	for (char *p = msg; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static struct json_object *
answer_ok(void)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	return o;
}

static void
add_u64(struct json_object *o, const char *key, uint64_t v)
{
	json_object_object_add(o, key, json_object_new_int64((int64_t)v));
}

static struct json_object *
addr_json(const struct tp_addr *a)
{
	char text[TP_ADDR_STRLEN];

	return json_object_new_string(tp_addr_str(a, text, sizeof(text)));
}

static struct json_object *
strings_json(const char *const *v, unsigned n)
{
	struct json_object *arr = json_object_new_array();

	for (unsigned i = 0; i < n; i++)
		json_object_array_add(arr, json_object_new_string(v[i]));
	return arr;
}

static struct json_object *
do_status(struct tp_admin *a)
{
	struct tp_metrics_snapshot *s = malloc(sizeof(*s));
	struct json_object *o, *conns, *verdicts, *relayed, *reloads;
	struct tp_loop_status st;

	if (!s)
		return answer_error("out of memory");
	tp_loop_status(a->loop, &st, s);
	o = answer_ok();
	json_object_object_add(o, "version", json_object_new_string(TP_VERSION));
	json_object_object_add(o, "mode", json_object_new_string(st.mode));
	json_object_object_add(o, "config",
			       st.config ? json_object_new_string(st.config)
					 : json_object_new_null());
	add_u64(o, "uptime_s", st.uptime_ms / 1000);
	json_object_object_add(o, "draining", json_object_new_boolean(st.draining));
	if (st.drain_deadline_ms)
		add_u64(o, "drain_deadline_s", (st.drain_deadline_ms + 999) / 1000);
	add_u64(o, "allocations", s->gauges.allocations);
	add_u64(o, "allocations_limit", s->allocations_limit);
	conns = json_object_new_object();
	for (int t = TP_TRANSPORT_TCP; t < TP_TRANSPORT_COUNT; t++) {
		uint64_t n = 0;

		for (int k = 0; k < TP_CONN_STATE_COUNT; k++)
			n += s->conns.open[t][k];
		add_u64(conns, tp_transport_name((uint8_t)t), n);
	}
	json_object_object_add(o, "connections", conns);
	add_u64(o, "workers", s->workers);
	relayed = json_object_new_object();
	add_u64(relayed, "engine_to_peer", s->eng.relayed_to_peer);
	add_u64(relayed, "engine_to_client", s->eng.relayed_to_client);
	json_object_object_add(o, "relayed", relayed);
	/* The fast path's verdicts, the ones that happened. */
	verdicts = json_object_new_object();
	for (int r = 0; s->fastpath && r < TP_R_COUNT; r++)
		if (s->reasons[r].packets)
			add_u64(verdicts, tp_reason_name((enum tp_reason)r), s->reasons[r].packets);
	json_object_object_add(o, "verdicts", verdicts);
	reloads = json_object_new_object();
	add_u64(reloads, "applied", s->reloads[0]);
	add_u64(reloads, "refused", s->reloads[1]);
	json_object_object_add(o, "reloads", reloads);
	free(s);
	return o;
}

static void
add_allocation(void *arg, const struct tp_alloc_view *v)
{
	struct json_object *list = arg, *o = json_object_new_object();
	struct json_object *relayed = json_object_new_array(), *peers = json_object_new_array();
	struct json_object *chans = json_object_new_array();
	char user[4 * TP_USERNAME_MAX + 1];

	/* A username is whatever bytes the client sent: escaped as the log has them. */
	json_object_object_add(o, "user",
			       json_object_new_string(tp_log_text(v->username, strlen(v->username),
								  user, sizeof(user))));
	json_object_object_add(o, "client", addr_json(&v->client));
	json_object_object_add(o, "transport",
			       json_object_new_string(tp_transport_name(v->client.transport)));
	for (int f = 0; f < TP_NFAM; f++)
		if (v->relayed[f].family)
			json_object_array_add(relayed, addr_json(&v->relayed[f]));
	json_object_object_add(o, "relayed", relayed);
	for (unsigned i = 0; i < v->npeers; i++)
		json_object_array_add(peers, addr_json(&v->peers[i]));
	json_object_object_add(o, "peers", peers);
	for (unsigned i = 0; i < v->nchannels; i++) {
		struct json_object *c = json_object_new_object();

		add_u64(c, "number", v->channel_numbers[i]);
		json_object_object_add(c, "peer", addr_json(&v->channels[i]));
		json_object_array_add(chans, c);
	}
	json_object_object_add(o, "channels", chans);
	add_u64(o, "packets_to_peer", v->packets[TP_DIR_TO_PEER]);
	add_u64(o, "bytes_to_peer", v->bytes[TP_DIR_TO_PEER]);
	add_u64(o, "packets_to_client", v->packets[TP_DIR_TO_CLIENT]);
	add_u64(o, "bytes_to_client", v->bytes[TP_DIR_TO_CLIENT]);
	add_u64(o, "age_s", v->age_ms / 1000);
	add_u64(o, "expires_in_s", (v->expires_ms + 999) / 1000);
	json_object_array_add(list, o);
}

static struct json_object *
do_allocations(struct tp_admin *a, const struct tp_admin_request *req)
{
	struct json_object *o, *list = json_object_new_array();
	int n = tp_engine_list_allocations(
		tp_loop_engine(a->loop), req->has_user ? req->user : NULL,
		req->has_client ? &req->client : NULL, req->limit, add_allocation, list);

	if (n < 0) {
		json_object_put(list);
		return answer_error("out of memory");
	}
	o = answer_ok();
	add_u64(o, "count", (uint64_t)n); /* matched; those listed: the first "limit" */
	add_u64(o, "limit", req->limit);
	json_object_object_add(o, "allocations", list);
	return o;
}

static struct json_object *
do_kick(struct tp_admin *a, const struct tp_admin_request *req)
{
	struct json_object *o;
	unsigned n = tp_engine_kick(tp_loop_engine(a->loop), req->has_user ? req->user : NULL,
				    req->has_client ? &req->client : NULL);

	if (!n)
		return answer_error("no allocation matches");
	TP_INFO("admin: kicked %u allocation(s)", n);
	o = answer_ok();
	add_u64(o, "kicked", n);
	return o;
}

static struct json_object *
do_reload(struct tp_admin *a)
{
	struct tp_reload_result *r = malloc(sizeof(*r));
	struct json_object *o;

	if (!r)
		return answer_error("out of memory");
	tp_loop_reload(a->loop, r);
	o = r->ok ? answer_ok() : answer_error("%s; the running configuration stays", r->error);
	if (r->ok) {
		json_object_object_add(o, "applied",
				       strings_json(r->changes.live, r->changes.nlive));
		json_object_object_add(o, "needs_restart",
				       strings_json(r->changes.restart, r->changes.nrestart));
		add_u64(o, "allocations_revoked", r->engine.allocations_revoked);
		add_u64(o, "permissions_denied", r->engine.permissions_denied);
	}
	free(r);
	return o;
}

static struct json_object *
do_drain(struct tp_admin *a)
{
	struct json_object *o;
	bool began = tp_loop_drain(a->loop);
	struct tp_engine_gauges g;

	tp_engine_gauges(tp_loop_engine(a->loop), &g);
	o = answer_ok();
	json_object_object_add(o, "already_draining", json_object_new_boolean(!began));
	add_u64(o, "allocations", g.allocations);
	return o;
}

/* Requests ------------------------------------------------------------------------------------ */

/* "address", "address:port", "[address]:port", or an IPv6 address alone, into a. */
static int
parse_client(const char *text, struct tp_addr *a)
{
	const char *port = NULL, *colon = strchr(text, ':');
	char ip[64];
	size_t n;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || (close[1] && close[1] != ':'))
			return -1;
		n = (size_t)(close - text - 1);
		text++;
		port = close[1] ? close + 2 : NULL;
	} else if (colon && colon == strrchr(text, ':')) {
		n = (size_t)(colon - text);
		port = colon + 1;
	} else {
		n = strlen(text);
	}
	if (n == 0 || n >= sizeof(ip))
		return -1;
	memcpy(ip, text, n);
	ip[n] = '\0';
	if (tp_addr_parse_ip(a, ip) < 0)
		return -1;
	if (port) {
		char *end;
		long p = strtol(port, &end, 10);

		if (!*port || *end || p < 1 || p > 65535)
			return -1;
		a->port = (uint16_t)p;
	}
	return 0;
}

static int parse_fail(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
parse_fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* The request's fields, once it is known to be an object with a command. */
static int
parse_fields(struct json_object *o, struct tp_admin_request *req, char *err, size_t errlen)
{
	static const char *const names[] = {
#define X(n, s) s,
		TP_ADMIN_COMMANDS(X)
#undef X
	};
	struct json_object *cmd = NULL, *user = NULL, *client = NULL, *limit = NULL;
	const char *name;
	size_t i;

	if (!json_object_object_get_ex(o, "command", &cmd) ||
	    !json_object_is_type(cmd, json_type_string))
		return parse_fail(err, errlen,
				  "expected a JSON object with a \"command\" on one line: "
				  "{\"command\": \"status\"}");
	name = json_object_get_string(cmd);
	for (i = 0; i < sizeof(names) / sizeof(names[0]) && strcmp(name, names[i]); i++)
		;
	if (i == sizeof(names) / sizeof(names[0]))
		return parse_fail(err, errlen,
				  "unknown command \"%.64s\" (status, allocations, kick, reload, "
				  "drain)",
				  name);
	req->command = (enum tp_admin_command)i;
	if (json_object_object_get_ex(o, "user", &user)) {
		if (!json_object_is_type(user, json_type_string) ||
		    (size_t)json_object_get_string_len(user) > TP_USERNAME_MAX)
			return parse_fail(err, errlen,
					  "\"user\": expected a string of %d bytes "
					  "at most",
					  TP_USERNAME_MAX);
		memcpy(req->user, json_object_get_string(user),
		       (size_t)json_object_get_string_len(user) + 1);
		req->has_user = true;
	}
	if (json_object_object_get_ex(o, "client", &client)) {
		const char *text = json_object_is_type(client, json_type_string)
					   ? json_object_get_string(client)
					   : "";

		if (parse_client(text, &req->client) < 0)
			return parse_fail(err, errlen,
					  "\"client\": \"%.64s\" is not an address, address:port "
					  "or [address]:port",
					  text);
		req->has_client = true;
	}
	req->limit = TP_ADMIN_LIST_DEFAULT;
	if (json_object_object_get_ex(o, "limit", &limit)) {
		int64_t v = json_object_get_int64(limit);

		if (!json_object_is_type(limit, json_type_int) || v < 1 || v > TP_ADMIN_LIST_MAX)
			return parse_fail(err, errlen, "\"limit\": expected a number from 1 to %d",
					  TP_ADMIN_LIST_MAX);
		req->limit = (unsigned)v;
	}
	if (req->command == TP_ADMIN_KICK && !req->has_user && !req->has_client)
		return parse_fail(err, errlen,
				  "kick needs \"client\" (address or address:port) or \"user\"");
	return 0;
}

int
tp_admin_parse(const char *line, struct tp_admin_request *req, char *err, size_t errlen)
{
	struct json_object *o = json_tokener_parse(line);
	int ret;

	memset(req, 0, sizeof(*req));
	if (!o || !json_object_is_type(o, json_type_object))
		ret = parse_fail(err, errlen,
				 "expected a JSON object with a \"command\" on one line: "
				 "{\"command\": \"status\"}");
	else
		ret = parse_fields(o, req, err, errlen);
	json_object_put(o);
	return ret;
}

/* The answer to one request line. */
static struct json_object *
serve(struct tp_admin *a, const char *line)
{
	struct tp_admin_request req;
	char err[256];

	if (tp_admin_parse(line, &req, err, sizeof(err)) < 0)
		return answer_error("%s", err);
	switch (req.command) {
	case TP_ADMIN_STATUS:
		return do_status(a);
	case TP_ADMIN_ALLOCATIONS:
		return do_allocations(a, &req);
	case TP_ADMIN_KICK:
		return do_kick(a, &req);
	case TP_ADMIN_RELOAD:
		return do_reload(a);
	case TP_ADMIN_DRAIN:
		return do_drain(a);
	}
	return answer_error("unknown command");
}

/* Clients ------------------------------------------------------------------------------------ */

static void
client_close(struct client *c)
{
	int fd = c->w.fd;

	tp_loop_unwatch(c->a->loop, &c->w);
	close(fd);
	tp_list_del(&c->link);
	c->a->nclients--;
	free(c->out);
	free(c);
}

/* Send what the kernel takes of the answer; closed once it has all of it. */
static void
client_write(struct client *c)
{
	while (c->sent < c->nout) {
		ssize_t n = send(c->w.fd, c->out + c->sent, c->nout - c->sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			/* Output alone from now on: input (or its end) would wake the loop for
			 * nothing while the answer waits. */
			tp_loop_output_only(c->a->loop, &c->w);
			return;
		}
		if (n <= 0)
			break;
		c->sent += (size_t)n;
		/* The time limit counts from the last progress: a long answer to a client that
		 * reads it is not cut off. */
		c->since_ms = tp_loop_now_ms(c->a->loop);
	}
	client_close(c);
}

static void
client_answer(struct client *c, struct json_object *o)
{
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
	size_t n = strlen(text);

	if ((c->out = malloc(n + 1))) {
		memcpy(c->out, text, n);
		c->out[n] = '\n';
		c->nout = n + 1;
	}
	json_object_put(o);
	client_write(c);
}

static void
client_event(void *arg, uint32_t events)
{
	struct client *c = arg;
	char *nl;
	ssize_t n;

	(void)events;
	if (c->out) {
		client_write(c);
		return;
	}
	n = recv(c->w.fd, c->in + c->nin, sizeof(c->in) - 1 - c->nin, MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && c->nin == 0)) {
		client_close(c);
		return;
	}
	c->nin += (size_t)n;
	c->in[c->nin] = '\0';
	/* A request ends at its newline, or where the client stops writing. */
	if ((nl = memchr(c->in, '\n', c->nin)))
		*nl = '\0';
	else if (n > 0 && c->nin < sizeof(c->in) - 1)
		return;
	if (!nl && n > 0) {
		client_answer(c,
			      answer_error("request longer than %d bytes", ADMIN_REQUEST_MAX - 1));
		return;
	}
	client_answer(c, serve(c->a, c->in));
}

static void
listener_event(void *arg, uint32_t events)
{
	struct tp_admin *a = arg;
	struct client *c;
	int fd, err;

	(void)events;
	while ((fd = accept4(a->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC)) >= 0) {
		/* Full: the oldest client goes, so that clients that say nothing cannot keep
		 * the next one out. */
		if (a->nclients >= ADMIN_CLIENTS) {
			TP_WARN("admin: %u clients at once: the oldest closed", ADMIN_CLIENTS);
			client_close(tp_container_of(a->clients.next, struct client, link));
		}
		if (!(c = calloc(1, sizeof(*c)))) {
			TP_WARN("admin: a client refused: out of memory");
			close(fd);
			continue;
		}
		c->a = a;
		if ((err = tp_loop_watch(a->loop, &c->w, fd, client_event, c, 0)) < 0) {
			TP_WARN("admin: %s", strerror(-err));
			close(fd);
			free(c);
			continue;
		}
		c->since_ms = tp_loop_now_ms(a->loop);
		tp_list_add_tail(&a->clients, &c->link);
		a->nclients++;
	}
	/* No descriptor for the connection waiting: it would wake the loop at once, every turn.
	 * The listener rests until the next tick instead. */
	if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
		TP_WARN("admin: cannot accept: %s; trying again in a moment", strerror(errno));
		tp_loop_unwatch(a->loop, &a->w);
		a->paused = true;
	}
}

/* The socket --------------------------------------------------------------------------------- */

/* Is some process listening on path? */
static bool
answered(const struct sockaddr_un *sun)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool yes = fd >= 0 && connect(fd, (const struct sockaddr *)sun, sizeof(*sun)) == 0;

	if (fd >= 0)
		close(fd);
	return yes;
}

/* path's directory, made (0755) when missing. */
static int
make_parent(const char *path)
{
	char dir[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return mkdir(dir, 0755) == 0 || errno == EEXIST ? 0 : -1;
}

struct tp_admin *
tp_admin_open(const struct tp_config *cfg, struct tp_loop *loop)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct tp_admin *a = calloc(1, sizeof(*a));
	const char *path = cfg->admin.socket;
	struct stat st;
	mode_t mask;
	int fd = -1, err;

	if (!a) {
		TP_ERR("admin.socket: out of memory");
		return NULL;
	}
	a->loop = loop;
	a->w.fd = a->fd = -1;
	tp_list_init(&a->clients);
	snprintf(a->path, sizeof(a->path), "%s", path);
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			TP_ERR("admin.socket: %s exists and is not a socket", path);
			goto fail;
		}
		if (answered(&sun)) {
			TP_ERR("admin.socket: %s: another turnpike answers there (give each its "
			       "own "
			       "admin.socket)",
			       path);
			goto fail;
		}
		unlink(path); /* left by a turnpike that is gone */
	}
	if (make_parent(path) < 0) {
		TP_ERR("admin.socket: cannot make the directory of %s: %s", path, strerror(errno));
		goto fail;
	}
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0)
		goto fail_errno;
	/* Made with admin.mode from the start: nobody else gets in before the chmod. */
	mask = umask((mode_t)(~cfg->admin.mode & 0777));
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(mask);
	if (err < 0 || chmod(path, (mode_t)cfg->admin.mode) < 0 || listen(fd, ADMIN_CLIENTS) < 0)
		goto fail_errno;
	a->fd = fd;
	if ((err = tp_loop_watch(loop, &a->w, fd, listener_event, a, 0)) < 0) {
		errno = -err;
		goto fail_errno;
	}
	TP_INFO("admin: turnpikectl on %s (mode %04o)", path, cfg->admin.mode);
	return a;
fail_errno:
	TP_ERR("admin.socket: cannot listen on %s: %s", path, strerror(errno));
	if (fd >= 0) {
		close(fd);
		unlink(path);
	}
fail:
	free(a);
	return NULL;
}

void
tp_admin_tick(struct tp_admin *a, uint64_t now_ms)
{
	struct tp_list *pos, *tmp;

	if (!a)
		return;
	if (a->paused && tp_loop_watch(a->loop, &a->w, a->fd, listener_event, a, 0) == 0)
		a->paused = false;
	tp_list_for_each_safe(pos, tmp, &a->clients)
	{
		struct client *c = tp_container_of(pos, struct client, link);

		if (now_ms - c->since_ms >= ADMIN_TIMEOUT_MS) {
			TP_DEBUG("admin: a client closed after %d ms without a whole exchange",
				 ADMIN_TIMEOUT_MS);
			client_close(c);
		}
	}
}

void
tp_admin_close(struct tp_admin *a)
{
	struct tp_list *pos, *tmp;

	if (!a)
		return;
	int fd = a->fd;

	tp_list_for_each_safe(pos, tmp, &a->clients)
		client_close(tp_container_of(pos, struct client, link));
	if (!a->paused)
		tp_loop_unwatch(a->loop, &a->w);
	close(fd);
	unlink(a->path);
	free(a);
}
