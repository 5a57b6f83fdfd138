/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow log's queue, writer thread and JSON (see flowlog.h).
 *
 * The queue is a ring of records under one mutex: the control thread holds it only to copy a
 * record in, the writer only to copy one out; formatting and I/O happen outside it.
 */
#include "flowlog.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <json-c/json.h>

#include "log.h"

enum output {
	OUT_STDOUT,
	OUT_SYSLOG,
	OUT_FILE,
};

struct tp_flowlog {
	enum output kind;
	char path[sizeof(((struct tp_config *)0)->flows.output)];
	FILE *file;
	const char *dataplane;
	unsigned interval;

	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t work, room;
	struct tp_flow_record *q; /* ring of cap records */
	unsigned cap, head, n;
	bool stop, reopen, drain;
	uint64_t written, skipped, skipped_reported, write_errors;
};

/* JSON ------------------------------------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (up to n bytes), or 0 when it is not one. */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp, min;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0)
		len = 2, cp = s[0] & 0x1f, min = 0x80;
	else if ((s[0] & 0xf0) == 0xe0)
		len = 3, cp = s[0] & 0x0f, min = 0x800;
	else if ((s[0] & 0xf8) == 0xf0)
		len = 4, cp = s[0] & 0x07, min = 0x10000;
	else
		return 0;
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates and code points past Unicode are not UTF-8. */
	if (cp < min || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return 0;
	return len;
}

/*
 * The username as JSON text can carry it: valid UTF-8 as it is (json-c escapes quotes,
 * backslashes and control characters), any other byte as U+FFFD. Returns whether the bytes
 * were UTF-8 as they stood.
 */
static bool
utf8_clean(const char *s, size_t n, char *out, size_t *outlen)
{
	const unsigned char *u = (const unsigned char *)s;
	bool clean = true;
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		size_t len = utf8_seq(u + i, n - i);

		if (len) {
			memcpy(out + o, u + i, len);
			o += len;
			i += len;
			continue;
		}
		memcpy(out + o, "\xef\xbf\xbd", 3);
		o += 3;
		i++;
		clean = false;
	}
	*outlen = o;
	return clean;
}

static json_object *
ip_json(const struct tp_addr *a)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(a->family == TP_FAM_V4 ? AF_INET : AF_INET6, a->ip, text, sizeof(text));
	return json_object_new_string(text);
}

/* Unix milliseconds as RFC 3339 UTC: 2026-12-01T10:00:00.250Z. */
static json_object *
time_json(int64_t ms)
{
	time_t s = (time_t)(ms / 1000);
	char text[40], date[32];
	struct tm tm;

	gmtime_r(&s, &tm);
	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(text, sizeof(text), "%s.%03dZ", date, (int)(ms % 1000));
	return json_object_new_string(text);
}

static void
add(json_object *o, const char *key, json_object *v)
{
	json_object_object_add(o, key, v);
}

char *
tp_flow_json(const struct tp_flow_record *r, const char *dataplane)
{
	static const char *const dirs[2] = { "to_peer", "to_client" };
	json_object *o = json_object_new_object();
	char *name = malloc(r->username_len * 3u + 1), *line = NULL;
	size_t namelen;

	if (!o || !name)
		goto out;
	add(o, "event",
	    json_object_new_string(r->event == TP_FLOW_EVENT_END ? "flow-end" : "flow-update"));
	add(o, "flow_id", json_object_new_uint64(r->id));
	add(o, "dataplane", json_object_new_string(dataplane));
	add(o, "start", time_json(r->start_ms));
	add(o, r->event == TP_FLOW_EVENT_END ? "end" : "time", time_json(r->time_ms));
	add(o, "duration_ms", json_object_new_int64(r->time_ms - r->start_ms));
	add(o, "client_ip", ip_json(&r->client));
	add(o, "client_port", json_object_new_int(r->client.port));
	add(o, "transport", json_object_new_string(tp_transport_name(r->client.transport)));
	if (!utf8_clean(r->username, r->username_len, name, &namelen)) {
		/* Not UTF-8: readable with U+FFFD, and every byte as it came, in hex. */
		char *hex = malloc(r->username_len * 2u + 1);

		if (hex) {
			for (size_t i = 0; i < r->username_len; i++)
				sprintf(hex + 2 * i, "%02x", (unsigned char)r->username[i]);
			hex[r->username_len * 2u] = '\0';
			add(o, "username_hex", json_object_new_string(hex));
			free(hex);
		}
	}
	add(o, "username", json_object_new_string_len(name, (int)namelen));
	add(o, "relayed_ip", ip_json(&r->relay));
	add(o, "relayed_port", json_object_new_int(r->relay.port));
	add(o, "peer_ip", ip_json(&r->peer));
	add(o, "peer_port", json_object_new_int(r->peer.port));
	add(o, "channel", r->channel ? json_object_new_int(r->channel) : NULL);
	for (int d = 0; d < 2; d++) {
		char key[32];

		snprintf(key, sizeof(key), "%s_packets", dirs[d]);
		add(o, key, json_object_new_uint64(r->packets[d]));
		snprintf(key, sizeof(key), "%s_bytes", dirs[d]);
		add(o, key, json_object_new_uint64(r->bytes[d]));
	}
	if (r->event == TP_FLOW_EVENT_END)
		add(o, "end_reason",
		    json_object_new_string(tp_flow_end_name((enum tp_flow_end)r->end)));
	line = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE));
out:
	json_object_put(o);
	free(name);
	return line;
}

/* A line about the log itself: records it could not keep. */
static char *
skipped_json(uint64_t count, uint64_t total)
{
	struct timespec now;
	json_object *o = json_object_new_object();
	char *line = NULL;

	clock_gettime(CLOCK_REALTIME, &now);
	if (o) {
		add(o, "event", json_object_new_string("flows-skipped"));
		add(o, "time", time_json((int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000));
		add(o, "count", json_object_new_uint64(count));
		add(o, "total", json_object_new_uint64(total));
		line = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
		json_object_put(o);
	}
	return line;
}

/* The writer ------------------------------------------------------------------------------- */

static int
open_file(struct tp_flowlog *fl)
{
	FILE *f = fopen(fl->path, "ae");

	if (!f)
		return -errno;
	if (fl->file)
		fclose(fl->file);
	fl->file = f;
	return 0;
}

static void
write_line(struct tp_flowlog *fl, const char *line)
{
	FILE *f = fl->kind == OUT_STDOUT ? stdout : fl->file;

	if (!line) {
		fl->write_errors++;
		return;
	}
	if (fl->kind == OUT_SYSLOG) {
		syslog(LOG_INFO, "%s", line);
		return;
	}
	if (!f || fputs(line, f) == EOF || fputc('\n', f) == EOF)
		fl->write_errors++;
}

static void *
writer(void *arg)
{
	struct tp_flowlog *fl = arg;
	struct tp_flow_record r;

	pthread_mutex_lock(&fl->lock);
	for (;;) {
		while (!fl->n && !fl->stop && !fl->reopen && fl->skipped == fl->skipped_reported)
			pthread_cond_wait(&fl->work, &fl->lock);
		if (fl->reopen) {
			fl->reopen = false;
			pthread_mutex_unlock(&fl->lock);
			int err = fl->kind == OUT_FILE ? open_file(fl) : 0;

			if (err < 0)
				TP_ERR("flows.output: cannot reopen %s: %s (still writing to the "
				       "old file)",
				       fl->path, strerror(-err));
			else if (fl->kind == OUT_FILE)
				TP_INFO("flow log %s reopened", fl->path);
			pthread_mutex_lock(&fl->lock);
			continue;
		}
		if (fl->skipped != fl->skipped_reported) {
			uint64_t total = fl->skipped, count = total - fl->skipped_reported;

			fl->skipped_reported = total;
			pthread_mutex_unlock(&fl->lock);
			char *line = skipped_json(count, total);

			TP_WARN("flow log: %llu records skipped, the queue was full (flows.queue)",
				(unsigned long long)count);
			write_line(fl, line);
			free(line);
			pthread_mutex_lock(&fl->lock);
			continue;
		}
		if (!fl->n) {
			if (fl->stop)
				break;
			continue;
		}
		r = fl->q[fl->head];
		fl->head = (fl->head + 1) % fl->cap;
		fl->n--;
		pthread_cond_signal(&fl->room);
		pthread_mutex_unlock(&fl->lock);

		char *line = tp_flow_json(&r, fl->dataplane);

		write_line(fl, line);
		free(line);
		pthread_mutex_lock(&fl->lock);
		fl->written++;
		/* Out to the file when the queue runs dry, not a line at a time. */
		if (!fl->n && fl->kind != OUT_SYSLOG) {
			pthread_mutex_unlock(&fl->lock);
			fflush(fl->kind == OUT_STDOUT ? stdout : fl->file);
			pthread_mutex_lock(&fl->lock);
		}
	}
	pthread_mutex_unlock(&fl->lock);
	return NULL;
}

/* The control thread's side ---------------------------------------------------------------- */

static void
emit(void *ctx, const struct tp_flow_record *r)
{
	struct tp_flowlog *fl = ctx;

	pthread_mutex_lock(&fl->lock);
	while (fl->drain && fl->n == fl->cap)
		pthread_cond_wait(&fl->room, &fl->lock);
	if (fl->n == fl->cap) {
		fl->skipped++;
	} else {
		fl->q[(fl->head + fl->n) % fl->cap] = *r;
		fl->n++;
	}
	pthread_cond_signal(&fl->work);
	pthread_mutex_unlock(&fl->lock);
}

int
tp_flowlog_open(const struct tp_config *cfg, const char *dataplane, struct tp_flowlog **out)
{
	struct tp_flowlog *fl;
	int err;

	*out = NULL;
	if (!cfg->flows.output[0])
		return 0;
	if (!(fl = calloc(1, sizeof(*fl))) || !(fl->q = calloc(cfg->flows.queue, sizeof(*fl->q)))) {
		TP_ERR("flows.queue: no memory for %u records", cfg->flows.queue);
		free(fl);
		return -1;
	}
	fl->cap = cfg->flows.queue;
	fl->dataplane = dataplane;
	fl->interval = cfg->flows.interval;
	snprintf(fl->path, sizeof(fl->path), "%s", cfg->flows.output);
	if (strcmp(fl->path, "stdout") == 0) {
		fl->kind = OUT_STDOUT;
	} else if (strcmp(fl->path, "syslog") == 0) {
		fl->kind = OUT_SYSLOG;
		openlog("turnpike", LOG_PID, LOG_DAEMON);
	} else {
		fl->kind = OUT_FILE;
		if ((err = open_file(fl)) < 0) {
			TP_ERR("flows.output: cannot open %s: %s", fl->path, strerror(-err));
			free(fl->q);
			free(fl);
			return -1;
		}
	}
	pthread_mutex_init(&fl->lock, NULL);
	pthread_cond_init(&fl->work, NULL);
	pthread_cond_init(&fl->room, NULL);
	if ((err = pthread_create(&fl->thread, NULL, writer, fl)) != 0) {
		TP_ERR("flows.output: cannot start the flow log's writer: %s", strerror(err));
		if (fl->file)
			fclose(fl->file);
		free(fl->q);
		free(fl);
		return -1;
	}
	TP_INFO("flow log: %s (interim records %s%u s, queue %u)", fl->path,
		fl->interval ? "every " : "off, ", fl->interval, fl->cap);
	*out = fl;
	return 0;
}

void
tp_flowlog_sink(struct tp_flowlog *fl, struct tp_flow_sink *sink)
{
	sink->emit = emit;
	sink->ctx = fl;
	sink->interval = fl->interval;
}

void
tp_flowlog_reopen(struct tp_flowlog *fl)
{
	pthread_mutex_lock(&fl->lock);
	fl->reopen = true;
	pthread_cond_signal(&fl->work);
	pthread_mutex_unlock(&fl->lock);
}

void
tp_flowlog_drain_mode(struct tp_flowlog *fl)
{
	pthread_mutex_lock(&fl->lock);
	fl->drain = true;
	pthread_mutex_unlock(&fl->lock);
}

void
tp_flowlog_counts(struct tp_flowlog *fl, uint64_t *written, uint64_t *skipped)
{
	pthread_mutex_lock(&fl->lock);
	*written = fl->written;
	*skipped = fl->skipped;
	pthread_mutex_unlock(&fl->lock);
}

void
tp_flowlog_close(struct tp_flowlog *fl)
{
	if (!fl)
		return;
	pthread_mutex_lock(&fl->lock);
	fl->stop = true;
	pthread_cond_signal(&fl->work);
	pthread_mutex_unlock(&fl->lock);
	pthread_join(fl->thread, NULL);
	TP_INFO("flow log: %llu records written, %llu skipped, %llu write errors",
		(unsigned long long)fl->written, (unsigned long long)fl->skipped,
		(unsigned long long)fl->write_errors);
	if (fl->file)
		fclose(fl->file);
	if (fl->kind == OUT_SYSLOG)
		closelog();
	pthread_mutex_destroy(&fl->lock);
	pthread_cond_destroy(&fl->work);
	pthread_cond_destroy(&fl->room);
	free(fl->q);
	free(fl);
}
