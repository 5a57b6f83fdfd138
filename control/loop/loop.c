/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control loop, for every dataplane (see loop.h).
 */
#include "loop.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "engine.h"
#include "log.h"
#include "notify.h"
#include "observe.h"
#include "stream.h"

#define TICK_MS	       250
#define MAX_EVENTS     64
#define PRIORITY_EVERY 8 /* other fds served between two turns of the priority ones */
#define MAX_PRIORITY   8
#define MAX_TURN_END   4

struct turn_end {
	void (*fn)(void *arg);
	void *arg;
};

struct tp_loop {
	struct tp_config *cfg; /* what the components read; a reload changes it in place */
	const char *path;      /* where it came from (NULL: the built-in one) */
	const struct tp_dataplane *dp;
	void *ctx; /* the dataplane's */
	struct tp_engine *eng;
	struct tp_streams *streams; /* TCP and TLS clients */
	struct tp_observe obs;
	struct tp_notify notify; /* systemd's */
	struct tp_admin *admin;	 /* turnpikectl's socket */
	uint64_t start_ms;
	int epfd;
	struct tp_loop_fd sig;
	struct tp_loop_fd *priority[MAX_PRIORITY];
	unsigned npriority;
	struct turn_end turn_end[MAX_TURN_END];
	unsigned nturn_end;
	/* This turn's events, and the next one to handle (tp_loop_unwatch drops the rest of a
	 * watch that goes). */
	struct epoll_event events[MAX_EVENTS];
	int nevents, next_event;
	uint64_t now_ms, next_tick_ms;
	uint64_t drain_deadline_ms; /* draining (SIGUSR2): when to stop anyway; 0 never */
	bool stop;
};

static uint64_t
mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* The clocks for this turn, into the engine (which reads none itself). */
static void
update_clock(struct tp_loop *l)
{
	struct timespec wall;

	l->now_ms = mono_ns() / 1000000;
	clock_gettime(CLOCK_REALTIME, &wall);
	if (l->eng)
		tp_engine_set_clock(l->eng, l->now_ms,
				    (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000);
}

uint64_t
tp_loop_now_ms(const struct tp_loop *l)
{
	return l->now_ms;
}

/* Registrations ------------------------------------------------------------------------- */

int
tp_loop_watch(struct tp_loop *l, struct tp_loop_fd *w, int fd, tp_loop_fn fn, void *arg,
	      unsigned flags)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = w };

	*w = (struct tp_loop_fd){ fn, arg, fd, (flags & TP_LOOP_PRIORITY) != 0 };
	if (w->priority && l->npriority == MAX_PRIORITY)
		return -ENOSPC;
	if (epoll_ctl(l->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	if (w->priority)
		l->priority[l->npriority++] = w;
	return 0;
}

int
tp_loop_want_output(struct tp_loop *l, struct tp_loop_fd *w, bool on)
{
	struct epoll_event ev = { .events = EPOLLIN | (on ? EPOLLOUT : 0u), .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

int
tp_loop_output_only(struct tp_loop *l, struct tp_loop_fd *w)
{
	struct epoll_event ev = { .events = EPOLLOUT, .data.ptr = w };

	return epoll_ctl(l->epfd, EPOLL_CTL_MOD, w->fd, &ev) < 0 ? -errno : 0;
}

void
tp_loop_unwatch(struct tp_loop *l, struct tp_loop_fd *w)
{
	epoll_ctl(l->epfd, EPOLL_CTL_DEL, w->fd, NULL);
	for (unsigned i = 0; i < l->npriority; i++)
		if (l->priority[i] == w)
			l->priority[i] = l->priority[--l->npriority];
	/* Events of this turn not yet handled: the watch may be gone by then. */
	for (int i = l->next_event; i < l->nevents; i++)
		if (l->events[i].data.ptr == w)
			l->events[i].data.ptr = NULL;
	w->fd = -1;
}

int
tp_loop_on_turn_end(struct tp_loop *l, void (*fn)(void *arg), void *arg)
{
	if (l->nturn_end == MAX_TURN_END)
		return -ENOSPC;
	l->turn_end[l->nturn_end++] = (struct turn_end){ fn, arg };
	return 0;
}

/* What transports call -------------------------------------------------------------------- */

void
tp_loop_before_send(struct tp_loop *l)
{
	if (l->dp->flush)
		l->dp->flush(l->ctx);
}

void
tp_loop_client_input(struct tp_loop *l, const struct tp_addr *client, const uint8_t *buf,
		     size_t len)
{
	uint64_t t0 = mono_ns();

	if (tp_engine_client_input(l->eng, client, buf, len))
		tp_engine_note_latency(l->eng, mono_ns() - t0);
}

void
tp_loop_peer_input(struct tp_loop *l, const struct tp_addr *relay, const struct tp_addr *peer,
		   const uint8_t *buf, size_t len)
{
	tp_engine_peer_input(l->eng, relay, peer, buf, len);
}

/* Signals ----------------------------------------------------------------------------------- */

static void
log_stats(struct tp_loop *l)
{
	tp_engine_log_stats(l->eng);
	if (l->dp->log_stats)
		l->dp->log_stats(l->ctx);
}

/* The loop ends after this turn; systemd hears it first. */
static void
stop(struct tp_loop *l)
{
	tp_notify_stopping();
	l->stop = true;
}

bool
tp_loop_drain(struct tp_loop *l)
{
	const struct tp_config *cfg = l->cfg;
	struct tp_engine_gauges g;

	if (tp_engine_draining(l->eng))
		return false;
	tp_engine_drain(l->eng);
	tp_engine_gauges(l->eng, &g);
	if (cfg->drain.deadline)
		l->drain_deadline_ms = l->now_ms + cfg->drain.deadline * 1000ull;
	TP_INFO("draining: new allocations go to %u alternate server(s)%s; %llu allocation(s) "
		"held, until they end%s",
		cfg->drain.nalternates, cfg->drain.nalternates ? "" : " (508 without one)",
		(unsigned long long)g.allocations, cfg->drain.deadline ? " or drain.deadline" : "");
	return true;
}

/* Draining and done: the last allocation ended, or the deadline came (those left end with
 * the engine, their flows as at any shutdown). */
static bool
drained(struct tp_loop *l)
{
	struct tp_engine_gauges g;

	if (!tp_engine_draining(l->eng))
		return false;
	tp_engine_gauges(l->eng, &g);
	if (g.allocations == 0) {
		TP_INFO("drained: the last allocation has ended; exiting");
		return true;
	}
	if (l->drain_deadline_ms && l->now_ms >= l->drain_deadline_ms) {
		TP_INFO("drained: drain.deadline reached with %llu allocation(s) left, ended now; "
			"exiting",
			(unsigned long long)g.allocations);
		return true;
	}
	return false;
}

static void
handle_signals(void *arg, uint32_t events)
{
	struct tp_loop *l = arg;
	struct signalfd_siginfo si;

	(void)events;
	while (read(l->sig.fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGUSR1:
			log_stats(l);
			break;
		case SIGHUP: {
			struct tp_reload_result *r = malloc(sizeof(*r));

			tp_observe_hup(&l->obs);
			if (r)
				tp_loop_reload(l, r);
			else
				TP_ERR("reload: out of memory");
			free(r);
			break;
		}
		case SIGUSR2:
			tp_loop_drain(l);
			break;
		default:
			TP_INFO("signal %s: shutting down", strsignal((int)si.ssi_signo));
			stop(l);
		}
	}
}

/*
 * SIGINT, SIGTERM, SIGUSR1 and SIGHUP come through a signalfd: blocked first, before the
 * dataplane starts threads of its own (DPDK's lcores), which inherit the mask and so never
 * take one.
 */
static int
open_signals(struct tp_loop *l)
{
	sigset_t mask;
	int fd, err;

	/* A client that closes its connection while the relay writes to it must not end the
	 * relay: OpenSSL writes with write(2), which raises SIGPIPE (EPIPE is handled). */
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGUSR1);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGUSR2);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	if ((fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC)) < 0) {
		TP_ERR("signalfd: %s", strerror(errno));
		return -1;
	}
	if ((err = tp_loop_watch(l, &l->sig, fd, handle_signals, l, 0)) < 0) {
		TP_ERR("epoll_ctl (signalfd): %s", strerror(-err));
		close(fd);
		l->sig.fd = -1;
		return -1;
	}
	return 0;
}

/* systemd's STATUS= line: the mode, and what the relay holds. */
static const char *
status_line(void *arg)
{
	static char line[160];
	struct tp_loop *l = arg;
	struct tp_engine_gauges g;

	tp_engine_gauges(l->eng, &g);
	snprintf(line, sizeof(line), "%s mode: %llu allocations, %u connections%s", l->dp->name,
		 (unsigned long long)g.allocations, tp_streams_count(l->streams),
		 tp_engine_draining(l->eng) ? " (draining)" : "");
	return line;
}

/* Reload ------------------------------------------------------------------------------------ */

/* "a, b, c" of n keys into out, for the log. */
static const char *
key_list(const char *const *keys, unsigned n, char *out, size_t cap)
{
	size_t o = 0;

	out[0] = '\0';
	for (unsigned i = 0; i < n && o < cap; i++)
		o += (size_t)snprintf(out + o, cap - o, "%s%s", i ? ", " : "", keys[i]);
	return out;
}

static void
log_reload(const struct tp_reload_result *r)
{
	const struct tp_config_changes *ch = &r->changes;
	char keys[2048];

	if (!r->ok) {
		TP_ERR("reload: %s; the running configuration stays", r->error);
		return;
	}
	TP_INFO("reload: %u key(s) changed%s%s; %u allocation(s) ended (user-revoked), %u "
		"permission(s) ended (peer-denied)",
		ch->nlive, ch->nlive ? ": " : "", key_list(ch->live, ch->nlive, keys, sizeof(keys)),
		r->engine.allocations_revoked, r->engine.permissions_denied);
	if (ch->nrestart)
		TP_WARN("reload: needs a restart, running values kept: %s",
			key_list(ch->restart, ch->nrestart, keys, sizeof(keys)));
}

/* The file read whole and checked, and what opens files or sockets made beside what runs;
 * then, with nothing left to fail, everything switched over in one turn of the loop. */
void
tp_loop_reload(struct tp_loop *l, struct tp_reload_result *r)
{
	struct tp_config next, old;

	memset(r, 0, sizeof(*r));
	tp_notify_reloading(&l->notify);
	tp_log_clear_error();
	if (tp_config_defaults(&next, r->error, sizeof(r->error)) < 0 ||
	    (l->path && tp_config_load(&next, l->path, r->error, sizeof(r->error)) < 0)) {
		tp_config_free(&next);
		goto failed;
	}
	tp_config_reconcile(l->cfg, &next, &r->changes);
	/* The file passed as written; with the running values of the keys that need a restart
	 * it must pass too (a file for another mode can hold what this one refuses). */
	if (tp_config_check(&next, l->path ? l->path : "(built-in)", r->error, sizeof(r->error)) <
	    0) {
		size_t n = strlen(r->error);

		snprintf(r->error + n, sizeof(r->error) - n,
			 " (with the running values of the keys that need a restart)");
		tp_config_free(&next);
		goto failed;
	}
	if (tp_streams_prepare(l->streams, &next) < 0 ||
	    tp_observe_prepare(&l->obs, &next, l->eng, l->streams) < 0) {
		snprintf(r->error, sizeof(r->error), "%s", tp_log_last_error());
		tp_streams_abort(l->streams);
		tp_observe_abort(&l->obs);
		tp_config_free(&next);
		goto failed;
	}
	old = *l->cfg;
	*l->cfg = next;
	/* Read by the flow log's and the metrics' threads too. */
	__atomic_store_n(&tp_log_level, l->cfg->log_level, __ATOMIC_RELAXED);
	tp_streams_commit(l->streams);
	tp_observe_commit(&l->obs, l->eng);
	tp_engine_reconfigured(l->eng, &old, &r->engine);
	tp_config_free(&old);
	r->ok = true;
	l->obs.reloads_ok++;
	log_reload(r);
	tp_notify_reloaded(&l->notify, status_line(l));
	return;
failed:
	l->obs.reloads_failed++;
	log_reload(r);
	tp_notify_reloaded(&l->notify, status_line(l));
}

/* What turnpikectl asks of the loop ------------------------------------------------------- */

struct tp_engine *
tp_loop_engine(struct tp_loop *l)
{
	return l->eng;
}

void
tp_loop_status(struct tp_loop *l, struct tp_loop_status *st, struct tp_metrics_snapshot *snap)
{
	memset(st, 0, sizeof(*st));
	st->mode = l->dp->name;
	st->config = l->path;
	st->uptime_ms = l->now_ms - l->start_ms;
	st->draining = tp_engine_draining(l->eng);
	if (st->draining && l->drain_deadline_ms > l->now_ms)
		st->drain_deadline_ms = l->drain_deadline_ms - l->now_ms;
	tp_observe_snapshot(&l->obs, l->eng, l->streams, snap);
}

/* The loop ---------------------------------------------------------------------------------- */

/* A socket per allocation (socket and xdp modes), one per connection (every mode): the soft
 * limit of 1024 would cap both early. Raised to the hard limit, for every mode. */
static void
raise_fd_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void
serve_priority(struct tp_loop *l)
{
	for (unsigned i = 0; i < l->npriority; i++)
		l->priority[i]->fn(l->priority[i]->arg, EPOLLIN);
}

/* How long this turn may sleep: not at all after work, never past the next tick. */
static int
turn_timeout(struct tp_loop *l, unsigned work, bool *slept)
{
	uint64_t now = mono_ns() / 1000000;

	*slept = false;
	if (work)
		return 0;
	if (l->dp->sleep) {
		*slept = true;
		if (!l->dp->sleep(l->ctx))
			return 0;
	}
	return now >= l->next_tick_ms ? 0 : (int)(l->next_tick_ms - now);
}

static int
run(struct tp_loop *l)
{
	const struct tp_dataplane *dp = l->dp;

	l->next_tick_ms = l->now_ms + TICK_MS;
	while (!l->stop) {
		unsigned work = dp->poll ? dp->poll(l->ctx) : 0;
		bool slept;
		int n = epoll_wait(l->epfd, l->events, MAX_EVENTS, turn_timeout(l, work, &slept));

		if (slept && dp->wake)
			dp->wake(l->ctx);
		if (n < 0 && errno != EINTR) {
			TP_ERR("epoll_wait: %s", strerror(errno));
			return EXIT_FAILURE;
		}
		update_clock(l);
		l->nevents = n > 0 ? n : 0;
		for (l->next_event = 0; l->next_event < l->nevents;) {
			int i = l->next_event++;
			struct tp_loop_fd *w = l->events[i].data.ptr;

			if (w)
				w->fn(w->arg, l->events[i].events);
			/* Clients before peers: with thousands of relayed sockets ready (a flood
			 * from peers), the listen sockets would otherwise get one turn in every
			 * few thousand, and signalling would wait behind the flood. */
			if (i % PRIORITY_EVERY == PRIORITY_EVERY - 1)
				serve_priority(l);
		}
		l->nevents = l->next_event = 0;
		tp_engine_tick(l->eng);
		if (l->now_ms >= l->next_tick_ms) {
			if (dp->tick)
				dp->tick(l->ctx, l->now_ms);
			tp_streams_tick(l->streams, l->now_ms);
			tp_admin_tick(l->admin, l->now_ms);
			if (drained(l))
				stop(l);
			l->next_tick_ms = l->now_ms + TICK_MS;
		}
		tp_loop_before_send(l);
		for (unsigned i = 0; i < l->nturn_end; i++)
			l->turn_end[i].fn(l->turn_end[i].arg);
		tp_observe_tick(&l->obs, l->eng, l->streams, l->now_ms);
		tp_notify_tick(&l->notify, l->now_ms, status_line, l);
	}
	return EXIT_SUCCESS;
}

static void
ready(const struct tp_loop *l)
{
	const struct tp_config *cfg = l->cfg;

	TP_INFO("%s mode ready (realm \"%s\", %u secret(s), %u user(s))", l->dp->name, cfg->realm,
		cfg->nsecrets, cfg->nusers);
	if (!cfg->nsecrets && !cfg->nusers)
		TP_WARN("auth: no credentials (auth.secrets, auth.users): every allocation will be "
			"refused with 401");
}

int
tp_loop_run(struct tp_config *cfg, const char *path, const struct tp_dataplane *dp)
{
	struct tp_loop *l = calloc(1, sizeof(*l));
	int status = EXIT_FAILURE;
	bool started = false;

	if (!l) {
		TP_ERR("out of memory");
		return EXIT_FAILURE;
	}
	l->cfg = cfg;
	l->path = path;
	l->dp = dp;
	l->sig.fd = -1;
	raise_fd_limit();
	update_clock(l);
	if ((l->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
		TP_ERR("epoll_create1: %s", strerror(errno));
		goto out;
	}
	if (open_signals(l) < 0 || !(l->ctx = dp->open(cfg, l)))
		goto out;
	if (!(l->streams = tp_streams_open(cfg, l)))
		goto out_dp;
	if (tp_observe_open(&l->obs, cfg, dp, l->ctx) < 0)
		goto out_dp;
	if (!(l->eng = tp_engine_create(cfg, dp, l->ctx))) {
		TP_ERR("cannot create the TURN engine: out of memory");
		goto out_observe;
	}
	tp_observe_attach(&l->obs, l->eng);
	tp_streams_attach(l->streams, l->eng);
	update_clock(l);
	if (dp->start && dp->start(l->ctx, l->eng) < 0)
		goto out_engine;
	started = true;
	l->start_ms = l->now_ms;
	if (cfg->admin.socket[0] && !(l->admin = tp_admin_open(cfg, l)))
		goto out_engine;
	ready(l);
	tp_notify_ready(&l->notify, status_line(l), l->now_ms);
	status = run(l);
	log_stats(l);
out_engine:
	tp_admin_close(l->admin);
	if (started && dp->stop)
		dp->stop(l->ctx);
	/* Every allocation goes, through the dataplane's ops, before the dataplane does; its
	 * flows' last records before the flow log closes. */
	update_clock(l);
	tp_observe_drain(&l->obs);
	/* Allocations end as the relay stops (shutdown), not as their connections close. */
	tp_streams_attach(l->streams, NULL);
	tp_engine_destroy(l->eng);
	l->eng = NULL;
out_observe:
	tp_observe_close(&l->obs);
out_dp:
	tp_streams_close(l->streams);
	dp->close(l->ctx);
out:
	if (l->sig.fd >= 0)
		close(l->sig.fd);
	if (l->epfd >= 0)
		close(l->epfd);
	free(l);
	return status;
}
