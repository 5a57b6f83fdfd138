/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The port and its mbufs: the pool, the port's set-up, and the watch that keeps it receiving.
 * The control thread looks at the port's counters every tick; a port that has received nothing
 * for DP_STALL_MS while it reports frames missed is stalled (its workers poll, so a queue that
 * takes nothing while frames are dropped for want of room is wedged, not idle). It is counted
 * and restarted as a whole: the workers stop, the device goes and is probed again from its
 * configured string, a fresh pool replaces the old one (the PMD may hold mbufs that it never
 * gives back when closed: net_af_xdp's fill ring), and the workers start again. Tables,
 * neighbours and the engine's state live outside the port and are kept.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_dev.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_mbuf_pool_ops.h>

#include "dp.h"
#include "log.h"

/*
 * The mbuf pool. On hugepages, as rte_pktmbuf_pool_create makes it. Without them (--no-huge),
 * packed into one virtually contiguous block instead: DPDK would otherwise give each mbuf a
 * 4 kB page of its own (an mbuf may not cross a page when pages are not IOVA-contiguous), so
 * the pool spans 1.7 times the size of its mbufs, and net_af_xdp, which registers the pool as
 * its UMEM from the first mbuf on for the mbufs' size alone, leaves the last two fifths
 * outside it. The kernel drops each of those it finds on the fill ring as an invalid
 * descriptor and the PMD refills only what it receives, so the fill ring drains, and after
 * some 10 000 frames the port receives nothing ever again. Without hugepages turnpike runs on
 * vdevs (veth, memif, ring, pcap), for which IOVA contiguity buys nothing.
 */
struct rte_mempool *
dp_pool_create(const struct tp_config *cfg)
{
	unsigned n = cfg->dpdk.mempool_size;
	struct rte_pktmbuf_pool_private priv = {
		.mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE,
	};
	struct rte_mempool *mp = NULL;
	int ret = 0;

	if (rte_eal_has_hugepages()) {
		mp = rte_pktmbuf_pool_create("tp_mbufs", n, DP_MBUF_CACHE, 0,
					     RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
		ret = mp ? 0 : -rte_errno;
	} else {
		mp = rte_mempool_create_empty("tp_mbufs", n,
					      sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE,
					      DP_MBUF_CACHE, sizeof(priv), (int)rte_socket_id(),
					      RTE_MEMPOOL_F_NO_IOVA_CONTIG);
		if (!mp)
			ret = -rte_errno;
		else if ((ret = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(),
							   NULL)) == 0) {
			rte_pktmbuf_pool_init(mp, &priv);
			if ((ret = rte_mempool_populate_default(mp)) >= 0) {
				ret = 0;
				rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
			}
		}
		/* One block, or net_af_xdp's UMEM misses what lies past the first. */
		if (ret == 0 && mp->nb_mem_chunks != 1) {
			TP_ERR("dpdk.mempool-size: %u mbufs take %u blocks of memory, not one "
			       "(with --no-huge, raise -m in dpdk.eal-args)",
			       n, mp->nb_mem_chunks);
			rte_mempool_free(mp);
			return NULL;
		}
	}
	if (ret != 0) {
		TP_ERR("dpdk.mempool-size: cannot allocate %u mbufs: %s (with --no-huge, raise -m)",
		       n, rte_strerror(-ret));
		rte_mempool_free(mp);
		return NULL;
	}
	return mp;
}

bool
dp_port_is_pci(const char *spec)
{
	return strchr(spec, ':') && !strchr(spec, ',');
}

/* The device name a port string gives (a PCI address, or the vdev's name before its
 * arguments) into name; its arguments, "" for none. 0, or -ENAMETOOLONG. */
static int
port_name(const char *spec, char name[RTE_ETH_NAME_MAX_LEN], const char **args)
{
	size_t n = strcspn(spec, ",");

	if (n >= RTE_ETH_NAME_MAX_LEN)
		return -ENAMETOOLONG;
	memcpy(name, spec, n);
	name[n] = '\0';
	*args = spec[n] == ',' ? spec + n + 1 : "";
	return 0;
}

int
dp_find_port(const char *spec, uint16_t *port)
{
	char name[RTE_ETH_NAME_MAX_LEN];
	const char *args;
	int ret = port_name(spec, name, &args);

	return ret < 0 ? ret : rte_eth_dev_get_port_by_name(name, port);
}

int
dp_port_init(const struct tp_config *cfg, uint16_t port, unsigned nqueues, struct rte_mempool *pool)
{
	struct rte_eth_conf conf = { 0 };
	struct rte_eth_dev_info info;
	uint16_t nrxd = (uint16_t)cfg->dpdk.rx_desc, ntxd = (uint16_t)cfg->dpdk.tx_desc;
	char name[RTE_ETH_NAME_MAX_LEN] = "?";
	int ret;

	rte_eth_dev_get_name_by_port(port, name);
	if ((ret = rte_eth_dev_info_get(port, &info)) != 0)
		goto fail;
	if (nqueues > info.max_rx_queues || nqueues > info.max_tx_queues) {
		TP_ERR("dpdk.ports: %s has %u RX and %u TX queues, the %u workers need one each "
		       "(a vdev may take qpairs=N or queues=N)",
		       name, info.max_rx_queues, info.max_tx_queues, nqueues);
		return -1;
	}
	if (nqueues > 1 && cfg->dpdk.rss) {
		conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
		conf.rx_adv_conf.rss_conf.rss_hf =
			(RTE_ETH_RSS_IP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
	}
	if ((ret = rte_eth_dev_configure(port, (uint16_t)nqueues, (uint16_t)nqueues, &conf)) != 0 ||
	    (ret = rte_eth_dev_adjust_nb_rx_tx_desc(port, &nrxd, &ntxd)) != 0)
		goto fail;
	if ((ret = rte_eth_dev_set_mtu(port, (uint16_t)cfg->dpdk.mtu)) != 0 && ret != -ENOTSUP)
		TP_WARN("dpdk.mtu: %s refuses MTU %u: %s", name, cfg->dpdk.mtu, rte_strerror(-ret));
	for (unsigned q = 0; q < nqueues; q++) {
		if ((ret = rte_eth_rx_queue_setup(port, (uint16_t)q, nrxd,
						  (unsigned)rte_eth_dev_socket_id(port), NULL,
						  pool)) != 0 ||
		    (ret = rte_eth_tx_queue_setup(port, (uint16_t)q, ntxd,
						  (unsigned)rte_eth_dev_socket_id(port), NULL)) !=
			    0)
			goto fail;
	}
	if ((ret = rte_eth_dev_start(port)) != 0)
		goto fail;
	/* Neighbour solicitations come to multicast groups. */
	rte_eth_allmulticast_enable(port);
	return 0;
fail:
	TP_ERR("dpdk.ports: cannot start %s: %s", name, rte_strerror(-ret));
	return -1;
}

/*
 * One tick's look at the port (its RX packets and misses, now): true when it has received
 * nothing for DP_STALL_MS while missing frames all along. Any frame received, or none missed,
 * starts the watch over.
 */
bool
dp_port_stalled(struct dp_port_watch *w, uint64_t ipackets, uint64_t imissed, uint64_t now_ms)
{
	if (ipackets != w->ipackets || imissed == w->imissed || !w->since_ms) {
		w->ipackets = ipackets;
		w->imissed = imissed;
		w->since_ms = now_ms;
		return false;
	}
	w->imissed = imissed;
	return now_ms - w->since_ms >= DP_STALL_MS;
}

/*
 * DPDK 22.11's net_af_xdp never deletes a queue's UMEM when the port closes: eth_dev_close
 * tests `__atomic_sub_fetch(&umem->refcnt, 1) - 1 == 0`, false for the only reference. The
 * UMEM's socket, the one libxdp binds the queue's XDP socket through, stays open, and with it
 * the kernel's binding of the queue: the next probe's bind() is refused with EBUSY, and the
 * pages of the freed pool stay pinned. Once the port is closed, every AF_XDP socket this
 * process still holds is such a leak (dpdk mode drives one port, and nothing else in the
 * process opens one): closed here, before the pool is freed. How many, logged.
 */
static void
close_leaked_xsks(void)
{
	int fds[64], n = 0, domain;
	socklen_t len = sizeof(domain);
	struct dirent *e;
	DIR *dir;

	if (!(dir = opendir("/proc/self/fd")))
		return;
	while ((e = readdir(dir)) && n < (int)RTE_DIM(fds)) {
		int fd = atoi(e->d_name);

		len = sizeof(domain);
		if (e->d_name[0] != '.' && fd != dirfd(dir) &&
		    getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 && domain == AF_XDP)
			fds[n++] = fd;
	}
	closedir(dir);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	if (n)
		TP_INFO("dpdk: closed %d AF_XDP socket(s) that net_af_xdp left open", n);
}

void
dp_port_close(uint16_t port)
{
	rte_eth_dev_stop(port);
	rte_eth_dev_close(port);
	close_leaked_xsks();
}

/* The port's device, probed again from its configured string: 0 and *port, or -errno. */
static int
reprobe(const struct tp_config *cfg, uint16_t *port)
{
	const char *spec = cfg->dpdk.ports[0], *bus = dp_port_is_pci(spec) ? "pci" : "vdev", *args;
	char name[RTE_ETH_NAME_MAX_LEN];
	int ret;

	if ((ret = port_name(spec, name, &args)) < 0)
		return ret;
	/* Closed already, the device may be gone from its bus too (-ENOENT: nothing to do). */
	if ((ret = rte_eal_hotplug_remove(bus, name)) < 0 && ret != -ENOENT)
		return ret;
	if ((ret = rte_eal_hotplug_add(bus, name, args)) < 0)
		return ret;
	return dp_find_port(spec, port);
}

/* The workers stopped, every mbuf of the pool given back or dropped (and counted), the port
 * closed and the pool freed: the PMD may keep mbufs that it never returns. */
static void
port_down(struct dp *dp)
{
	struct rte_mbuf *m;

	dp_halt(dp);
	while (rte_ring_dequeue(dp->punt, (void **)&m) == 0 ||
	       rte_ring_dequeue(dp->ctl_tx, (void **)&m) == 0) {
		dp->host.restart_dropped++;
		rte_pktmbuf_free(m);
	}
	dp_host_flush(dp);
	dp_port_close(dp->port);
	rte_mempool_free(dp->pool);
	dp->pool = NULL;
}

/* The device probed again, a fresh pool, the port set up and the workers launched. */
static int
port_up(struct dp *dp)
{
	const struct tp_config *cfg = dp->cfg;
	uint16_t port;
	int ret;

	if ((ret = reprobe(cfg, &port)) < 0) {
		TP_ERR("dpdk.ports: cannot probe %s again: %s", cfg->dpdk.ports[0],
		       rte_strerror(-ret));
		return ret;
	}
	if (!(dp->pool = dp_pool_create(cfg)))
		return -ENOMEM;
	dp->port = port;
	if (dp_port_init(cfg, port, dp->nworkers, dp->pool) < 0 ||
	    rte_eth_macaddr_get(port, &dp->mac) != 0) {
		dp_port_close(port);
		rte_mempool_free(dp->pool);
		dp->pool = NULL;
		return -EIO;
	}
	return dp_launch(dp);
}

int
dp_port_restart(struct dp *dp)
{
	int ret;

	if (dp->pool)
		port_down(dp);
	if ((ret = port_up(dp)) < 0)
		return ret;
	memset(&dp->watch, 0, sizeof(dp->watch));
	dp->host.port_restarts++;
	TP_INFO("dpdk: port %s restarted", dp->cfg->dpdk.ports[0]);
	return 0;
}

/*
 * Every tick: a stalled port, or one telemetry asked for, is restarted (a stall counted); one
 * that did not come back is tried again every DP_STALL_MS (nothing is relayed meanwhile, and
 * the log says so).
 */
void
dp_port_watch(struct dp *dp, uint64_t now_ms)
{
	bool asked = __atomic_exchange_n(&dp->restart_asked, false, __ATOMIC_ACQ_REL);
	struct rte_eth_stats st;
	int ret;

	if (!dp->pool) {
		if (now_ms - dp->watch.since_ms < DP_STALL_MS)
			return;
	} else if (asked) {
		TP_INFO("dpdk: port %s: restart asked (telemetry)", dp->cfg->dpdk.ports[0]);
	} else if (rte_eth_stats_get(dp->port, &st) != 0 ||
		   !dp_port_stalled(&dp->watch, st.ipackets, st.imissed, now_ms)) {
		return;
	} else {
		dp->host.rx_stalls++;
		TP_WARN("dpdk: port %s received nothing for %u ms while it missed %llu frames: "
			"restarting it",
			dp->cfg->dpdk.ports[0], DP_STALL_MS, (unsigned long long)st.imissed);
	}
	if ((ret = dp_port_restart(dp)) < 0 && !dp->pool) {
		TP_ERR("dpdk: port %s did not come back (%s): no relaying until it does; trying "
		       "again in %u ms",
		       dp->cfg->dpdk.ports[0], rte_strerror(-ret), DP_STALL_MS);
		dp->watch.since_ms = now_ms;
	} else if (ret < 0) {
		memset(&dp->watch, 0, sizeof(dp->watch));
	}
}
