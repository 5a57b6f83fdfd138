/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * turnpikectl: a running turnpike's status, allocations, kick, reload and drain, over its
 * admin socket (loop/admin.h has the protocol). Human-readable by default; --json prints the
 * relay's answer as it came, for scripts. Exit status: 0 done, 1 the relay refused (its
 * reason on stderr), 2 a wrong command line, 3 no answer from the relay.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "config.h"

#define TIMEOUT_MS   30000 /* a reload reads TLS files; a listing of many allocations is long */
#define DEFAULT_PATH "/run/turnpike/admin.sock"

static void
usage(FILE *f)
{
	fprintf(f,
		"usage: turnpikectl [-s SOCKET | -c CONFIG] [--json] COMMAND\n"
		"commands:\n"
		"  status                                 mode, uptime, version, config file, "
		"allocations,\n"
		"                                         connections, workers, verdict counters\n"
		"  allocations [--user U] [--client ADDR] [--limit N]\n"
		"                                         the allocations (ADDR: ip, ip:port, "
		"[ip6]:port;\n"
		"                                         N: how many to list, 1000 by default)\n"
		"  kick (--client ADDR | --user U)        end one allocation, or every one of a "
		"user's\n"
		"  reload                                 read the configuration file again\n"
		"  drain                                  no new allocations; exit when the last "
		"ends\n"
		"The socket: -s, or CONFIG's admin.socket, or " DEFAULT_PATH ".\n");
}

/* Connect, send request, read the one-line answer. NULL (said on stderr) when none came. */
static char *
exchange(const char *path, const char *request)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	size_t len = 0, cap = 65536;
	char *buf = malloc(cap);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct timespec t0, t;

	if (!buf || fd < 0) {
		fprintf(stderr, "turnpikectl: %s\n", strerror(errno));
		goto fail;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		fprintf(stderr, "turnpikectl: %s: %s%s\n", path, strerror(errno),
			errno == EACCES ? " (admin.mode decides who may connect)"
			: errno == ENOENT || errno == ECONNREFUSED ? " (is turnpike running, with "
								     "admin.socket set?)"
								   : "");
		goto fail;
	}
	if (send(fd, request, strlen(request), MSG_NOSIGNAL) < 0) {
		fprintf(stderr, "turnpikectl: %s: %s\n", path, strerror(errno));
		goto fail;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		long waited;
		ssize_t n;

		clock_gettime(CLOCK_MONOTONIC, &t);
		waited = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (waited >= TIMEOUT_MS || poll(&p, 1, (int)(TIMEOUT_MS - waited)) == 0) {
			fprintf(stderr, "turnpikectl: %s: no answer in %d s\n", path,
				TIMEOUT_MS / 1000);
			goto fail;
		}
		if (len + 1 == cap) {
			char *more = realloc(buf, cap * 2);

			if (!more) {
				fprintf(stderr, "turnpikectl: out of memory\n");
				goto fail;
			}
			buf = more;
			cap *= 2;
		}
		n = recv(fd, buf + len, cap - 1 - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			fprintf(stderr, "turnpikectl: %s: %s\n", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	buf[len] = '\0';
	if (!len) {
		fprintf(stderr, "turnpikectl: %s: the relay closed without answering\n", path);
		free(buf);
		return NULL;
	}
	return buf;
fail:
	if (fd >= 0)
		close(fd);
	free(buf);
	return NULL;
}

static const char *
str(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) && !json_object_is_type(v, json_type_null)
		       ? json_object_get_string(v)
		       : NULL;
}

static long long
num(struct json_object *o, const char *key)
{
	struct json_object *v;

	return json_object_object_get_ex(o, key, &v) ? (long long)json_object_get_int64(v) : 0;
}

static struct json_object *
member(struct json_object *o, const char *key)
{
	struct json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* 3725 -> "1h02m05s" */
static const char *
duration(long long s, char *out, size_t cap)
{
	if (s >= 3600)
		snprintf(out, cap, "%lldh%02lldm%02llds", s / 3600, s / 60 % 60, s % 60);
	else if (s >= 60)
		snprintf(out, cap, "%lldm%02llds", s / 60, s % 60);
	else
		snprintf(out, cap, "%llds", s);
	return out;
}

/* "a, b, c" of a JSON array of strings, or none. */
static void
print_list(struct json_object *arr, const char *none)
{
	size_t n = arr ? json_object_array_length(arr) : 0;

	if (!n)
		fputs(none, stdout);
	for (size_t i = 0; i < n; i++)
		printf("%s%s", i ? ", " : "",
		       json_object_get_string(json_object_array_get_idx(arr, i)));
	putchar('\n');
}

static void
print_status(struct json_object *o)
{
	struct json_object *conns = member(o, "connections"), *verdicts = member(o, "verdicts");
	char up[32];

	printf("turnpike %s, %s mode, up %s\n", str(o, "version"), str(o, "mode"),
	       duration(num(o, "uptime_s"), up, sizeof(up)));
	printf("config        %s\n", str(o, "config") ? str(o, "config") : "(built-in)");
	printf("allocations   %lld of %lld\n", num(o, "allocations"), num(o, "allocations_limit"));
	printf("connections   tcp %lld, tls %lld, dtls %lld\n", num(conns, "tcp"),
	       num(conns, "tls"), num(conns, "dtls"));
	printf("workers       %lld\n", num(o, "workers"));
	if (json_object_get_boolean(member(o, "draining")))
		printf("draining      yes%s%s\n",
		       num(o, "drain_deadline_s") ? ", deadline in " : "",
		       num(o, "drain_deadline_s")
			       ? duration(num(o, "drain_deadline_s"), up, sizeof(up))
			       : "");
	else
		printf("draining      no\n");
	printf("reloads       %lld applied, %lld refused\n", num(member(o, "reloads"), "applied"),
	       num(member(o, "reloads"), "refused"));
	printf("relayed by the control thread: %lld to peers, %lld to clients\n",
	       num(member(o, "relayed"), "engine_to_peer"),
	       num(member(o, "relayed"), "engine_to_client"));
	if (verdicts && json_object_object_length(verdicts)) {
		printf("fast-path verdicts (packets):\n");
		json_object_object_foreach(verdicts, name, v)
			printf("  %-24s %lld\n", name, (long long)json_object_get_int64(v));
	}
}

static void
print_allocations(struct json_object *o)
{
	struct json_object *list = member(o, "allocations");
	size_t n = list ? json_object_array_length(list) : 0;
	char age[32], left[32];

	if ((long long)n < num(o, "count"))
		printf("%lld allocation(s), the first %zu listed (--limit)\n", num(o, "count"), n);
	else
		printf("%zu allocation(s)\n", n);
	for (size_t i = 0; i < n; i++) {
		struct json_object *a = json_object_array_get_idx(list, i);
		struct json_object *chans = member(a, "channels");

		printf("%s %s user \"%s\" age %s expires in %s\n", str(a, "client"),
		       str(a, "transport"), str(a, "user"),
		       duration(num(a, "age_s"), age, sizeof(age)),
		       duration(num(a, "expires_in_s"), left, sizeof(left)));
		printf("  relayed   ");
		print_list(member(a, "relayed"), "(none)");
		printf("  peers     ");
		print_list(member(a, "peers"), "(none)");
		printf("  channels  ");
		if (!chans || !json_object_array_length(chans))
			printf("(none)");
		for (size_t c = 0; chans && c < json_object_array_length(chans); c++) {
			struct json_object *ch = json_object_array_get_idx(chans, c);

			printf("%s0x%04llx %s", c ? ", " : "", num(ch, "number"), str(ch, "peer"));
		}
		printf("\n  relayed   to peers %lld packets, %lld bytes; to the client %lld "
		       "packets, %lld bytes\n",
		       num(a, "packets_to_peer"), num(a, "bytes_to_peer"),
		       num(a, "packets_to_client"), num(a, "bytes_to_client"));
	}
}

static void
print_reload(struct json_object *o)
{
	printf("reloaded; applied: ");
	print_list(member(o, "applied"), "(nothing changed)");
	if (json_object_array_length(member(o, "needs_restart"))) {
		printf("needs a restart (running values kept): ");
		print_list(member(o, "needs_restart"), "");
	}
	printf("allocations ended (user-revoked): %lld; permissions ended (peer-denied): %lld\n",
	       num(o, "allocations_revoked"), num(o, "permissions_denied"));
}

/* The socket named by -c CONFIG's admin.socket. */
static const char *
socket_of(const char *config, struct tp_config *cfg)
{
	char err[768];

	if (tp_config_defaults(cfg, err, sizeof(err)) < 0 ||
	    tp_config_load(cfg, config, err, sizeof(err)) < 0) {
		fprintf(stderr, "turnpikectl: %s\n", err);
		return NULL;
	}
	if (!cfg->admin.socket[0]) {
		fprintf(stderr, "turnpikectl: %s: admin.socket is \"\": this turnpike has none\n",
			config);
		return NULL;
	}
	return cfg->admin.socket;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "socket", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'c' },
		{ "json", no_argument, NULL, 'j' },
		{ "user", required_argument, NULL, 'u' },
		{ "client", required_argument, NULL, 'a' },
		{ "limit", required_argument, NULL, 'l' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *path = DEFAULT_PATH, *config = NULL, *cmd;
	struct json_object *req, *ans;
	bool json = false;
	struct tp_config cfg = { 0 };
	char *text;
	int c, status;

	req = json_object_new_object();
	while ((c = getopt_long(argc, argv, "s:c:jh", opts, NULL)) != -1) {
		switch (c) {
		case 's':
			path = optarg;
			break;
		case 'c':
			config = optarg;
			break;
		case 'j':
			json = true;
			break;
		case 'u':
			json_object_object_add(req, "user", json_object_new_string(optarg));
			break;
		case 'a':
			json_object_object_add(req, "client", json_object_new_string(optarg));
			break;
		case 'l':
			json_object_object_add(req, "limit", json_object_new_int64(atoll(optarg)));
			break;
		case 'h':
			usage(stdout);
			json_object_put(req);
			return 0;
		default:
			usage(stderr);
			json_object_put(req);
			return 2;
		}
	}
	cmd = optind + 1 == argc ? argv[optind] : "";
	if (strcmp(cmd, "status") && strcmp(cmd, "allocations") && strcmp(cmd, "kick") &&
	    strcmp(cmd, "reload") && strcmp(cmd, "drain")) {
		if (cmd[0])
			fprintf(stderr, "turnpikectl: unknown command \"%s\"\n", cmd);
		usage(stderr);
		json_object_put(req);
		return 2;
	}
	if (config && !(path = socket_of(config, &cfg))) {
		tp_config_free(&cfg);
		json_object_put(req);
		return 2;
	}
	json_object_object_add(req, "command", json_object_new_string(cmd));
	char line[8192];

	snprintf(line, sizeof(line), "%s\n",
		 json_object_to_json_string_ext(req, JSON_C_TO_STRING_PLAIN));
	json_object_put(req);
	text = exchange(path, line);
	tp_config_free(&cfg);
	if (!text)
		return 3;
	if (!(ans = json_tokener_parse(text))) {
		fprintf(stderr, "turnpikectl: the relay's answer is not JSON: %.200s\n", text);
		free(text);
		return 3;
	}
	status = json_object_get_boolean(member(ans, "ok")) ? 0 : 1;
	if (json)
		fputs(text, stdout);
	else if (status)
		fprintf(stderr, "turnpikectl: %s\n", str(ans, "error"));
	else if (!strcmp(cmd, "status"))
		print_status(ans);
	else if (!strcmp(cmd, "allocations"))
		print_allocations(ans);
	else if (!strcmp(cmd, "kick"))
		printf("kicked %lld allocation(s)\n", num(ans, "kicked"));
	else if (!strcmp(cmd, "reload"))
		print_reload(ans);
	else
		printf("draining%s; %lld allocation(s) held\n",
		       json_object_get_boolean(member(ans, "already_draining")) ? " (already)" : "",
		       num(ans, "allocations"));
	json_object_put(ans);
	free(text);
	return status;
}
