/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdk mode (tp_dpdk_dataplane): EAL and the port from the configuration, one worker per
 * lcore after the main one, the tables, and on the main lcore the control loop's hooks: the
 * punt ring into the engine and ARP/ND/ping (dp_host.c), next-hop retries on the tick,
 * counters for telemetry, the metrics and the log. The workers only relay; the control loop
 * sleeps when idle, so it can share a core, and a worker that punts into the ring while it
 * sleeps wakes it through wake_fd, an fd on the loop. The loop stops everything in order:
 * workers (stop), engine, then tables, port and EAL (close).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_telemetry.h>

#include "dataplane.h"
#include "dp.h"
#include "log.h"
#include "metrics.h"

/* Telemetry callbacks run on DPDK's telemetry thread and find the dataplane here. */
static struct dp *telemetry_dp;

/* Counters ------------------------------------------------------------------------------- */

void
dp_sum_reasons(const struct dp *dp, struct dp_reason_stat out[TP_R_COUNT])
{
	memset(out, 0, sizeof(struct dp_reason_stat) * TP_R_COUNT);
	for (unsigned w = 0; w < dp->nworkers; w++) {
		for (int r = 0; r < TP_R_COUNT; r++) {
			out[r].packets += dp->workers[w]->reasons[r].packets;
			out[r].bytes += dp->workers[w]->reasons[r].bytes;
		}
	}
}

/* The verdicts; the port's counters as the PMD keeps them, the workers' summed, the host's. */
static void
dpdk_counters(void *ctx, struct tp_metrics_snapshot *s)
{
	const struct dp *dp = ctx;
	struct dp_reason_stat sum[TP_R_COUNT];
	struct rte_eth_stats st;

	dp_sum_reasons(dp, sum);
	s->fastpath = true;
	s->workers = dp->nworkers;
	for (int r = 0; r < TP_R_COUNT; r++) {
		s->reasons[r].packets = sum[r].packets;
		s->reasons[r].bytes = sum[r].bytes;
	}
	/* While the port restarts (no pool), its counters start over with it. */
	if (!dp->pool || rte_eth_stats_get(dp->port, &st) != 0)
		memset(&st, 0, sizeof(st));
	tp_metrics_add_counter(s, "port_rx_packets", "Frames the port received (its PMD's count).",
			       st.ipackets);
	tp_metrics_add_counter(s, "port_rx_missed",
			       "Frames the port dropped for want of room (imissed).", st.imissed);
	tp_metrics_add_counter(s, "port_rx_errors", "Erroneous frames the port received.",
			       st.ierrors);
	tp_metrics_add_counter(s, "port_rx_nombuf", "Frames the port dropped for want of an mbuf.",
			       st.rx_nombuf);
	tp_metrics_add_counter(s, "port_tx_packets", "Frames the port sent.", st.opackets);
	tp_metrics_add_counter(s, "port_tx_errors", "Frames the port failed to send.", st.oerrors);
#define X(n, h)                                                            \
	{                                                                  \
		uint64_t v = 0;                                            \
		for (unsigned w = 0; w < dp->nworkers; w++)                \
			v += dp->workers[w]->n;                            \
		tp_metrics_add_counter(s, "worker_" #n, "Workers: " h, v); \
	}
	DP_WORKER_COUNTERS(X)
#undef X
#define X(n, h) tp_metrics_add_counter(s, #n, "Control thread: " h, dp->host.n);
	DP_HOST_COUNTERS(X)
#undef X
}

static void
dpdk_log_stats(void *ctx)
{
	const struct dp *dp = ctx;
	struct dp_reason_stat sum[TP_R_COUNT];

	dp_sum_reasons(dp, sum);
	for (int r = 0; r < TP_R_COUNT; r++)
		if (sum[r].packets)
			TP_INFO("stats: dpdk %s:%s %llu packets %llu bytes",
				tp_action_name(tp_reason_action((enum tp_reason)r)),
				tp_reason_name((enum tp_reason)r),
				(unsigned long long)sum[r].packets,
				(unsigned long long)sum[r].bytes);
	for (unsigned w = 0; w < dp->nworkers; w++) {
#define X(n, h)                                                 \
	if (dp->workers[w]->n)                                  \
		TP_INFO("stats: dpdk worker %u " #n " %llu", w, \
			(unsigned long long)dp->workers[w]->n);
		DP_WORKER_COUNTERS(X)
#undef X
	}
#define X(n, h)         \
	if (dp->host.n) \
		TP_INFO("stats: dpdk host " #n " %llu", (unsigned long long)dp->host.n);
	DP_HOST_COUNTERS(X)
#undef X
}

static int
tel_verdicts(const char *cmd, const char *params, struct rte_tel_data *d)
{
	struct dp_reason_stat sum[TP_R_COUNT];
	char name[64];

	(void)cmd, (void)params;
	if (!telemetry_dp)
		return -ENODEV;
	dp_sum_reasons(telemetry_dp, sum);
	rte_tel_data_start_dict(d);
	for (int r = 0; r < TP_R_COUNT; r++) {
		/* Telemetry names allow letters, digits, '_' and '/' only: "drop/no_channel". */
		snprintf(name, sizeof(name), "%s/%s",
			 tp_action_name(tp_reason_action((enum tp_reason)r)),
			 tp_reason_name((enum tp_reason)r));
		for (char *c = name; *c; c++)
			if (*c == '-')
				*c = '_';
		rte_tel_data_add_dict_u64(d, name, sum[r].packets);
	}
	return 0;
}

static int
tel_engine(const char *cmd, const char *params, struct rte_tel_data *d)
{
	const struct tp_engine_stats *s;
	struct tp_engine_gauges g;

	(void)cmd, (void)params;
	if (!telemetry_dp || !telemetry_dp->eng)
		return -ENODEV;
	s = tp_engine_stats(telemetry_dp->eng);
	tp_engine_gauges(telemetry_dp->eng, &g);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_u64(d, "allocations", g.allocations);
	rte_tel_data_add_dict_u64(d, "permissions", g.permissions);
	rte_tel_data_add_dict_u64(d, "channels", g.channels);
#define X(n, h) rte_tel_data_add_dict_u64(d, #n, s->n);
	TP_ENGINE_COUNTERS(X)
#undef X
	return 0;
}

static int
tel_host(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	if (!telemetry_dp)
		return -ENODEV;
	rte_tel_data_start_dict(d);
#define X(n, h) rte_tel_data_add_dict_u64(d, #n, telemetry_dp->host.n);
	DP_HOST_COUNTERS(X)
#undef X
	for (unsigned w = 0; w < telemetry_dp->nworkers; w++) {
		char name[64];

#define X(n, h)                                          \
	snprintf(name, sizeof(name), "worker%u_" #n, w); \
	rte_tel_data_add_dict_u64(d, name, telemetry_dp->workers[w]->n);
		DP_WORKER_COUNTERS(X)
#undef X
	}
	return 0;
}

static int
tel_tables(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	if (!telemetry_dp)
		return -ENODEV;
	rte_tel_data_start_dict(d);
	/* Bindings as the control thread holds them; the keys as the tables count them, which
	 * includes those deleted within the workers' last grace period (reclaimed by the next
	 * deletion). Read from the telemetry thread: a moment's view. */
	rte_tel_data_add_dict_u64(d, "bindings", telemetry_dp->slots.held);
	rte_tel_data_add_dict_u64(d, "channels", (uint64_t)rte_hash_count(telemetry_dp->chans));
	rte_tel_data_add_dict_u64(d, "peers", (uint64_t)rte_hash_count(telemetry_dp->peers));
	rte_tel_data_add_dict_u64(d, "sends", (uint64_t)rte_hash_count(telemetry_dp->sends));
	rte_tel_data_add_dict_u64(d, "permissions", (uint64_t)rte_hash_count(telemetry_dp->perms));
	rte_tel_data_add_dict_u64(d, "neighbours", (uint64_t)rte_hash_count(telemetry_dp->neigh));
	return 0;
}

/* An operator's word: close the port and set it up again, as a stall would (dp_port.c), from
 * the control thread's next tick. */
static int
tel_restart_port(const char *cmd, const char *params, struct rte_tel_data *d)
{
	(void)cmd, (void)params;
	if (!telemetry_dp)
		return -ENODEV;
	__atomic_store_n(&telemetry_dp->restart_asked, true, __ATOMIC_RELEASE);
	rte_tel_data_start_dict(d);
	rte_tel_data_add_dict_string(d, "restart", "asked");
	return 0;
}

/* Set-up ------------------------------------------------------------------------------------ */

struct dp *
dp_new(const struct tp_config *cfg, uint16_t port, const struct tp_core_cfg *core)
{
	struct dp *dp = calloc(1, sizeof(*dp));
	char name[RTE_RING_NAMESIZE];
	unsigned lcore;

	if (!dp)
		return NULL;
	dp->cfg = cfg;
	dp->port = port;
	dp->core = *core;
	if ((dp->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		TP_ERR("dpdk: eventfd for the control thread's wake-ups: %s", strerror(errno));
		free(dp);
		return NULL;
	}
	dp->max_bindings = cfg->dpdk.max_bindings;
	RTE_LCORE_FOREACH_WORKER(lcore)
	{
		struct dp_worker *w;

		if (dp->nworkers == DP_MAX_WORKERS)
			break;
		w = rte_zmalloc_socket("tp_worker", sizeof(*w), RTE_CACHE_LINE_SIZE,
				       (int)rte_lcore_to_socket_id(lcore));
		if (!w)
			goto fail;
		w->dp = dp;
		w->lcore_id = lcore;
		w->index = dp->nworkers;
		w->bindings = rte_zmalloc_socket(
			"tp_binding_stats", sizeof(*w->bindings) * (dp->max_bindings + 1),
			RTE_CACHE_LINE_SIZE, (int)rte_lcore_to_socket_id(lcore));
		dp->workers[dp->nworkers++] = w;
		if (!w->bindings) {
			TP_ERR("dpdk: no memory for %u binding counters per worker "
			       "(dpdk.max-bindings; with --no-huge, raise -m)",
			       dp->max_bindings);
			goto fail;
		}
	}
	if (!dp->nworkers) {
		TP_ERR("dpdk.lcores: \"%s\" leaves no worker: name at least two cores",
		       cfg->dpdk.lcores);
		goto fail;
	}
	snprintf(name, sizeof(name), "tp_punt_%p", (void *)dp);
	dp->punt = rte_ring_create(name, DP_RING_SIZE, (int)rte_socket_id(), RING_F_SC_DEQ);
	snprintf(name, sizeof(name), "tp_ctltx_%p", (void *)dp);
	dp->ctl_tx = rte_ring_create(name, DP_RING_SIZE, (int)rte_socket_id(),
				     RING_F_SP_ENQ | RING_F_SC_DEQ);
	if (!dp->punt || !dp->ctl_tx || dp_tables_create(dp) < 0) {
		TP_ERR("dpdk: cannot create the rings and tables: %s", rte_strerror(rte_errno));
		goto fail;
	}
	if (rte_eth_macaddr_get(port, &dp->mac) != 0)
		goto fail;
	return dp;
fail:
	dp_free(dp);
	return NULL;
}

void
dp_free(struct dp *dp)
{
	struct rte_mbuf *m;

	if (!dp)
		return;
	while (dp->punt && rte_ring_dequeue(dp->punt, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	while (dp->ctl_tx && rte_ring_dequeue(dp->ctl_tx, (void **)&m) == 0)
		rte_pktmbuf_free(m);
	dp_host_flush(dp);
	dp_tables_destroy(dp);
	rte_ring_free(dp->punt);
	rte_ring_free(dp->ctl_tx);
	close(dp->wake_fd);
	for (unsigned w = 0; w < dp->nworkers; w++) {
		rte_free(dp->workers[w]->bindings);
		rte_free(dp->workers[w]);
	}
	free(dp);
}

int
dp_launch(struct dp *dp)
{
	dp->quit = false;
	for (unsigned i = 0; i < dp->nworkers; i++) {
		int ret = rte_eal_remote_launch(dp_worker_main, dp->workers[i],
						dp->workers[i]->lcore_id);

		if (ret != 0) {
			TP_ERR("dpdk: cannot launch the worker on lcore %u: %s",
			       dp->workers[i]->lcore_id, rte_strerror(-ret));
			dp_halt(dp);
			return -1;
		}
	}
	return 0;
}

void
dp_halt(struct dp *dp)
{
	dp->quit = true;
	rte_eal_mp_wait_lcore();
}

/* Hugepages, or --no-huge: say how to get one or the other before EAL fails obscurely. */
static int
check_hugepages(const struct tp_config *cfg)
{
	char line[128];
	long free_pages = -1;
	FILE *f;

	for (unsigned i = 0; i < cfg->dpdk.neal_args; i++)
		if (strcmp(cfg->dpdk.eal_args[i], "--no-huge") == 0)
			return 0;
	if ((f = fopen("/proc/meminfo", "r"))) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "HugePages_Free: %ld", &free_pages) == 1)
				break;
		fclose(f);
	}
	if (free_pages == 0) {
		TP_ERR("dpdk: no free hugepages. Reserve some (dpdk-hugepages.py -p 2M --setup 1G, "
		       "or sysctl -w vm.nr_hugepages=512), or run without them: dpdk.eal-args = "
		       "[ \"--no-huge\", \"-m\", \"1024\" ]");
		return -1;
	}
	return 0;
}

static int
eal_init(const struct tp_config *cfg, const char *argv0)
{
	char *argv[8 + 2 * TP_CFG_MAX_PORTS + TP_CFG_MAX_EAL_ARGS];
	char prefix[96], main_lcore[16];
	int argc = 0, pci = 0;

	if (check_hugepages(cfg) < 0)
		return -1;
	snprintf(prefix, sizeof(prefix), "--file-prefix=%s", cfg->dpdk.file_prefix);
	/* The first lcore named is the control thread's. A list with "@" maps lcores to CPUs
	 * (EAL's --lcores: "(0-2)@(0-1)", three lcores on two CPUs); otherwise lcores are CPUs
	 * (-l). */
	snprintf(main_lcore, sizeof(main_lcore), "%u",
		 (unsigned)atoi(cfg->dpdk.lcores + strspn(cfg->dpdk.lcores, "(")));
	argv[argc++] = (char *)argv0;
	argv[argc++] = strchr(cfg->dpdk.lcores, '@') ? "--lcores" : "-l";
	argv[argc++] = (char *)cfg->dpdk.lcores;
	argv[argc++] = "--main-lcore";
	argv[argc++] = main_lcore;
	argv[argc++] = prefix;
	argv[argc++] =
		tp_log_level >= TP_LOG_DEBUG ? "--log-level=*:notice" : "--log-level=*:warning";
	for (unsigned i = 0; i < cfg->dpdk.nports; i++) {
		/* PCI addresses are allowed with -a, anything else is a virtual device. */
		bool is_pci = dp_port_is_pci(cfg->dpdk.ports[i]);

		argv[argc++] = is_pci ? "-a" : "--vdev";
		argv[argc++] = (char *)cfg->dpdk.ports[i];
		pci |= is_pci;
	}
	if (!pci)
		argv[argc++] = "--no-pci";
	for (unsigned i = 0; i < cfg->dpdk.neal_args; i++)
		argv[argc++] = (char *)cfg->dpdk.eal_args[i];
	if (rte_eal_init(argc, argv) < 0) {
		TP_ERR("dpdk: EAL initialisation failed: %s (check dpdk.lcores, dpdk.eal-args, "
		       "dpdk.ports)",
		       rte_strerror(rte_errno));
		return -1;
	}
	return 0;
}

/* The control loop's hooks ------------------------------------------------------------------ */

/* A burst of what the workers punted, into the host side and the engine. */
static unsigned
dpdk_poll(void *ctx)
{
	struct dp *dp = ctx;
	struct rte_mbuf *ms[DP_BURST];
	unsigned n;

	dp->now_ms = tp_loop_now_ms(dp->loop);
	n = rte_ring_dequeue_burst(dp->punt, (void **)ms, DP_BURST, NULL);
	for (unsigned i = 0; i < n; i++)
		dp_host_input(dp, ms[i]);
	return n;
}

/*
 * Idle, the loop sleeps until a worker punts something (it writes wake_fd) or the tick.
 * ctl_asleep is set before the last look at the ring, and a worker looks at it after its
 * enqueue: a punt is either found by that look or wakes the loop.
 */
static bool
dpdk_sleep(void *ctx)
{
	struct dp *dp = ctx;

	__atomic_store_n(&dp->ctl_asleep, 1, __ATOMIC_SEQ_CST);
	return rte_ring_count(dp->punt) == 0;
}

static void
dpdk_wake(void *ctx)
{
	struct dp *dp = ctx;

	__atomic_store_n(&dp->ctl_asleep, 0, __ATOMIC_RELAXED);
}

/* wake_fd on the loop: a worker's punt woke the sleeping control thread. */
static void
woken(void *arg, uint32_t events)
{
	struct dp *dp = arg;
	eventfd_t v;

	(void)events;
	if (eventfd_read(dp->wake_fd, &v) == 0)
		dp->host.wakeups++;
}

static void
dpdk_tick(void *ctx, uint64_t now_ms)
{
	struct dp *dp = ctx;

	dp->now_ms = now_ms;
	dp_port_watch(dp, now_ms);
	dp_host_tick(dp);
	if (dp->cfg->dpdk.stats_interval && now_ms >= dp->next_stats_ms) {
		if (dp->next_stats_ms)
			dpdk_log_stats(dp);
		dp->next_stats_ms = now_ms + dp->cfg->dpdk.stats_interval * 1000ull;
	}
}

/* The engine's output and the tables ------------------------------------------------------ */

/* DPDK owns the port: relayed addresses need nothing but the engine's word. */
static int
dpdk_relay_open(void *ctx, const struct tp_addr *relay)
{
	(void)ctx, (void)relay;
	return 0;
}

static void
dpdk_relay_close(void *ctx, const struct tp_addr *relay)
{
	(void)ctx, (void)relay;
}

static int
dpdk_chan_add(void *ctx, const struct tp_binding *c)
{
	return dp_chan_add(ctx, c);
}

static void
dpdk_chan_del(void *ctx, const struct tp_binding *c)
{
	dp_chan_del(ctx, c);
}

/* The workers drop the source's STUN for ms (dp_worker.c, muted). */
static void
dpdk_mute(void *ctx, const struct tp_addr *source, unsigned ms)
{
	struct tp_muted_key k;

	tp_dataplane_muted_key(source, &k);
	dp_mute(ctx, &k, rte_get_tsc_cycles() + rte_get_tsc_hz() / 1000 * ms);
}

static int
dpdk_chan_counts(void *ctx, const struct tp_binding *c, struct tp_binding_stat *out)
{
	return dp_chan_counts(ctx, c, out);
}

static int
dpdk_perm_add(void *ctx, const struct tp_binding *b)
{
	return dp_perm_add(ctx, b);
}

static void
dpdk_perm_del(void *ctx, const struct tp_binding *b)
{
	dp_perm_del(ctx, b);
}

static int
dpdk_perm_counts(void *ctx, const struct tp_binding *b, struct tp_binding_stat *out)
{
	return dp_perm_counts(ctx, b, out);
}

/* Lifecycle --------------------------------------------------------------------------------- */

static void dpdk_close(void *ctx);

/* EAL, the port, the tables and the rings; wake_fd on the loop; telemetry's commands. */
static void *
dpdk_open(const struct tp_config *cfg, struct tp_loop *loop)
{
	struct tp_core_cfg core;
	struct rte_mempool *pool;
	struct dp *dp;
	uint16_t port;
	int err;

	if (cfg->dpdk.nports != 1) {
		TP_ERR("dpdk.ports: one port (a one-armed relay) is what this version drives");
		return NULL;
	}
	if (eal_init(cfg, "turnpike") < 0)
		return NULL;
	if (dp_find_port(cfg->dpdk.ports[0], &port) != 0) {
		TP_ERR("dpdk.ports: \"%s\" gave no port (is the driver available? the vdev's "
		       "arguments right?)",
		       cfg->dpdk.ports[0]);
		rte_eal_cleanup();
		return NULL;
	}
	if (!(pool = dp_pool_create(cfg))) {
		rte_eal_cleanup();
		return NULL;
	}
	/* No MTU check (core.mtu 0): the control thread's path in this mode fragments nothing
	 * either, so a frame handed to it for its size would leave as large, at a cost. */
	tp_dataplane_core_cfg(cfg, &core);
	if (!(dp = dp_new(cfg, port, &core))) {
		rte_mempool_free(pool);
		rte_eal_cleanup();
		return NULL;
	}
	dp->pool = pool;
	dp->loop = loop;
	dp->wake.fd = -1;
	dp->kernel.fd = -1;
	if (dp_port_init(cfg, port, dp->nworkers, pool) < 0) {
		dpdk_close(dp);
		return NULL;
	}
	if ((err = tp_loop_watch(loop, &dp->wake, dp->wake_fd, woken, dp, 0)) < 0) {
		TP_ERR("epoll_ctl (the workers' wake-ups): %s", strerror(-err));
		dpdk_close(dp);
		return NULL;
	}
	/* Before the loop opens its TCP, TLS and DTLS listeners: they bind the TAP's addresses. */
	if (dp_kernel_open(dp) < 0) {
		dpdk_close(dp);
		return NULL;
	}
	telemetry_dp = dp;
	rte_telemetry_register_cmd("/turnpike/verdicts", tel_verdicts,
				   "Frames by verdict (action:reason), summed over workers");
	rte_telemetry_register_cmd("/turnpike/engine", tel_engine,
				   "TURN engine: allocations, permissions, channels, counters");
	rte_telemetry_register_cmd("/turnpike/host", tel_host,
				   "Control thread's ARP, ND, echo and transmit counters");
	rte_telemetry_register_cmd(
		"/turnpike/tables", tel_tables,
		"Bindings, and the keys in the workers' tables (channels, peers, permissions, "
		"neighbours)");
	rte_telemetry_register_cmd("/turnpike/restart_port", tel_restart_port,
				   "Close the port and set it up again (as after a stall)");
	return dp;
}

/* The engine is there: the workers start relaying. */
static int
dpdk_start(void *ctx, struct tp_engine *eng)
{
	struct dp *dp = ctx;
	const struct tp_config *cfg = dp->cfg;

	dp->eng = eng;
	if (dp_launch(dp) < 0)
		return -1;
	TP_INFO("dpdk: port %s, MAC " RTE_ETHER_ADDR_PRT_FMT ", %u worker(s), next hops: %s",
		cfg->dpdk.ports[0], RTE_ETHER_ADDR_BYTES(&dp->mac), dp->nworkers,
		cfg->dpdk.nexthop_mac.set ? "static MAC (dpdk.nexthop-mac)" : "ARP and ND");
	return 0;
}

/* The workers stop first: their counts are final when the engine reads them on its way out. */
static void
dpdk_stop(void *ctx)
{
	struct dp *dp = ctx;

	dp_halt(dp);
	dp->eng = NULL;
}

static void
dpdk_close(void *ctx)
{
	struct dp *dp = ctx;
	struct rte_mempool *pool = dp->pool;
	uint16_t port = dp->port;

	telemetry_dp = NULL;
	dp_kernel_close(dp);
	if (dp->wake.fd >= 0)
		tp_loop_unwatch(dp->loop, &dp->wake);
	dp_port_close(port);
	dp_free(dp);
	rte_mempool_free(pool);
	rte_eal_cleanup();
}

const struct tp_dataplane tp_dpdk_dataplane = {
	.name = "dpdk",
	.open = dpdk_open,
	.start = dpdk_start,
	.stop = dpdk_stop,
	.close = dpdk_close,
	.to_client = dp_host_to_client,
	.to_peer = dp_host_to_peer,
	.relay_open = dpdk_relay_open,
	.relay_close = dpdk_relay_close,
	.chan_add = dpdk_chan_add,
	.chan_del = dpdk_chan_del,
	.chan_counts = dpdk_chan_counts,
	.perm_add = dpdk_perm_add,
	.perm_del = dpdk_perm_del,
	.perm_counts = dpdk_perm_counts,
	.mute = dpdk_mute,
	.poll = dpdk_poll,
	.sleep = dpdk_sleep,
	.wake = dpdk_wake,
	.tick = dpdk_tick,
	.counters = dpdk_counters,
	.log_stats = dpdk_log_stats,
};
