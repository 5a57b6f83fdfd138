/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dpdk mode's exception path to the kernel (dpdk.kernel-interface): DPDK owns the NIC, so the
 * kernel sees nothing of it unless handed it. A TAP interface (what DPDK's net_tap PMD
 * opens, here the control thread's own fd on its loop) carries the relay's addresses and the
 * port's MAC; what the control thread finds addressed to the relay and not its own to answer
 * (TCP, UDP outside the listen port and the allocation range, ICMP other than echo
 * requests, the neighbours' ARP and ND answers) it writes there, and each frame the kernel
 * sends there leaves by the port through worker 0's TX queue, as the control thread's own
 * frames do. So turnpike's TCP, TLS and DTLS listeners are kernel sockets on that interface,
 * and so is whatever else the operator runs on the relay's address (ssh). ARP requests, ND
 * solicitations and echo requests for the relay stay the control thread's to answer.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_mbuf.h>

#include "dp.h"
#include "log.h"

#define KERNEL_READS 64 /* frames read per wake-up: the loop's other fds get their turn */

/* The kernel's struct in6_ifreq (SIOCSIFADDR on an IPv6 socket): linux/ipv6.h, which declares
 * it, clashes with netinet/in.h. */
struct kernel_in6_ifreq {
	struct in6_addr ifr6_addr;
	uint32_t ifr6_prefixlen;
	int ifr6_ifindex;
};

/* The kernel's frame out by the port. */
static void
kernel_readable(void *arg, uint32_t events)
{
	struct dp *dp = arg;

	(void)events;
	for (unsigned i = 0; i < KERNEL_READS; i++) {
		uint8_t frame[RTE_ETHER_MAX_JUMBO_FRAME_LEN];
		ssize_t n = read(dp->kernel.fd, frame, sizeof(frame));
		struct rte_mbuf *m;

		if (n <= 0)
			return;
		/* No pool while the port restarts: nothing leaves then (counted). */
		if (n > RTE_MBUF_DEFAULT_DATAROOM || !dp->pool ||
		    !(m = rte_pktmbuf_alloc(dp->pool))) {
			dp->host.kernel_dropped++;
			continue;
		}
		memcpy(rte_pktmbuf_append(m, (uint16_t)n), frame, (size_t)n);
		dp->host.from_kernel++;
		dp_host_send(dp, m);
	}
}

bool
dp_kernel_input(struct dp *dp, struct rte_mbuf *m)
{
	if (dp->kernel.fd < 0)
		return false;
	/* One write a frame: a chained one (a scattered jumbo) is linearised or lost. */
	if ((m->nb_segs > 1 && rte_pktmbuf_linearize(m) < 0) ||
	    write(dp->kernel.fd, rte_pktmbuf_mtod(m, void *), rte_pktmbuf_data_len(m)) < 0)
		dp->host.kernel_dropped++;
	else
		dp->host.to_kernel++;
	rte_pktmbuf_free(m);
	return true;
}

/* ioctl on the interface through sock; -1, logged, when it fails. */
static int
if_ioctl(int sock, unsigned long req, void *arg, const char *what)
{
	if (ioctl(sock, req, arg) == 0)
		return 0;
	TP_ERR("dpdk.kernel-interface: cannot %s: %s", what, strerror(errno));
	return -1;
}

/* A default route through a gateway (SIOCADDRT with rt, a struct rtentry or in6_rtmsg); one
 * already there is fine. -1, logged, when it cannot be had. */
static int
add_route(int sock, void *rt, const char *what)
{
	if (ioctl(sock, SIOCADDRT, rt) == 0 || errno == EEXIST)
		return 0;
	TP_ERR("dpdk.kernel-interface: cannot %s: %s", what, strerror(errno));
	return -1;
}

/* The interface's IPv4 address and prefix (dpdk.ipv4). */
static int
ipv4_address(int sock, const char *name, const struct tp_config *cfg)
{
	uint8_t len = cfg->dpdk.prefix_len[0];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct ifreq ifr = { 0 };

	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	memcpy(&sin.sin_addr, cfg->fam[0].bind[0].ip, 4);
	memcpy(&ifr.ifr_addr, &sin, sizeof(sin));
	if (if_ioctl(sock, SIOCSIFADDR, &ifr, "set its IPv4 address") < 0)
		return -1;
	sin.sin_addr.s_addr = htonl(len ? ~0u << (32 - len) : 0);
	memcpy(&ifr.ifr_netmask, &sin, sizeof(sin));
	return if_ioctl(sock, SIOCSIFNETMASK, &ifr, "set its IPv4 prefix");
}

/* Its IPv4 default route, through dpdk.ipv4.gateway (once the interface is up). */
static int
ipv4_route(int sock, const char *name, const struct tp_config *cfg)
{
	struct sockaddr_in any = { .sin_family = AF_INET }, gw = any;
	char dev[IFNAMSIZ];
	struct rtentry rt = { .rt_flags = RTF_UP | RTF_GATEWAY, .rt_dev = dev };

	snprintf(dev, sizeof(dev), "%s", name);
	memcpy(&gw.sin_addr, cfg->dpdk.gateway[0].ip, 4);
	memcpy(&rt.rt_dst, &any, sizeof(any));
	memcpy(&rt.rt_genmask, &any, sizeof(any));
	memcpy(&rt.rt_gateway, &gw, sizeof(gw));
	return add_route(sock, &rt, "route IPv4 through dpdk.ipv4.gateway");
}

/* The interface's IPv6 address and prefix (dpdk.ipv6). No duplicate address detection (the
 * port holds the address already), router advertisements or autoconfiguration: it has the
 * addresses and routes the configuration gives it, and no other. */
static int
ipv6_address(int sock6, const char *name, int ifindex, const struct tp_config *cfg)
{
	static const char *const knobs[] = { "accept_dad", "accept_ra", "autoconf" };
	struct kernel_in6_ifreq ifr6 = { .ifr6_prefixlen = cfg->dpdk.prefix_len[1],
					 .ifr6_ifindex = ifindex };
	char path[128];
	int fd;

	for (unsigned i = 0; i < RTE_DIM(knobs); i++) {
		snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/%s", name, knobs[i]);
		if ((fd = open(path, O_WRONLY | O_CLOEXEC)) >= 0) {
			if (write(fd, "0", 1) != 1)
				TP_WARN("dpdk.kernel-interface: %s: %s", path, strerror(errno));
			close(fd);
		}
	}
	memcpy(&ifr6.ifr6_addr, cfg->fam[1].bind[0].ip, 16);
	return if_ioctl(sock6, SIOCSIFADDR, &ifr6, "set its IPv6 address");
}

/* Its IPv6 default route, through dpdk.ipv6.gateway (once the interface is up). */
static int
ipv6_route(int sock6, int ifindex, const struct tp_config *cfg)
{
	struct in6_rtmsg rt = { .rtmsg_flags = RTF_UP | RTF_GATEWAY,
				.rtmsg_metric = 1,
				.rtmsg_ifindex = ifindex };

	memcpy(&rt.rtmsg_gateway, cfg->dpdk.gateway[1].ip, 16);
	return add_route(sock6, &rt, "route IPv6 through dpdk.ipv6.gateway");
}

int
dp_kernel_open(struct dp *dp)
{
	const struct tp_config *cfg = dp->cfg;
	const char *name = cfg->dpdk.kernel_interface;
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI };
	int sock = -1, sock6 = -1, err;

	dp->kernel.fd = -1;
	if (!name[0])
		return 0;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	if ((dp->kernel.fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC)) < 0 ||
	    ioctl(dp->kernel.fd, TUNSETIFF, &ifr) < 0) {
		TP_ERR("dpdk.kernel-interface: cannot make TAP interface %s: %s", name,
		       strerror(errno));
		goto fail;
	}
	if ((sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
	    (cfg->fam[1].enabled && (sock6 = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0))
		goto fail;
	/* The port's MAC, so that what the kernel sends and what it is sent match the wire. */
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, dp->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	if (if_ioctl(sock, SIOCSIFHWADDR, &ifr, "set its MAC address") < 0)
		goto fail;
	/* No larger than one mbuf holds: what the kernel sends is copied into one. */
	ifr.ifr_mtu = (int)RTE_MIN(cfg->dpdk.mtu,
				   (unsigned)(RTE_MBUF_DEFAULT_DATAROOM - RTE_ETHER_HDR_LEN));
	if (if_ioctl(sock, SIOCSIFMTU, &ifr, "set its MTU") < 0 ||
	    if_ioctl(sock, SIOCGIFINDEX, &ifr, "find its index") < 0)
		goto fail;

	int ifindex = ifr.ifr_ifindex;

	if ((cfg->fam[1].enabled && ipv6_address(sock6, name, ifindex, cfg) < 0) ||
	    (cfg->fam[0].enabled && ipv4_address(sock, name, cfg) < 0))
		goto fail;
	if (if_ioctl(sock, SIOCGIFFLAGS, &ifr, "read its flags") < 0)
		goto fail;
	ifr.ifr_flags |= IFF_UP;
	if (if_ioctl(sock, SIOCSIFFLAGS, &ifr, "bring it up") < 0)
		goto fail;
	/* The default routes: a gateway is on-link once the interface is up. */
	if ((cfg->fam[0].enabled && cfg->dpdk.gateway[0].family &&
	     ipv4_route(sock, name, cfg) < 0) ||
	    (cfg->fam[1].enabled && cfg->dpdk.gateway[1].family &&
	     ipv6_route(sock6, ifindex, cfg) < 0))
		goto fail;
	if ((err = tp_loop_watch(dp->loop, &dp->kernel.w, dp->kernel.fd, kernel_readable, dp, 0)) <
	    0) {
		TP_ERR("dpdk.kernel-interface: epoll_ctl: %s", strerror(-err));
		goto fail;
	}
	close(sock);
	if (sock6 >= 0)
		close(sock6);
	TP_INFO("dpdk: kernel interface %s (TAP) carries what the relay does not answer itself",
		name);
	return 0;
fail:
	if (sock >= 0)
		close(sock);
	if (sock6 >= 0)
		close(sock6);
	if (dp->kernel.fd >= 0)
		close(dp->kernel.fd);
	dp->kernel.fd = -1;
	return -1;
}

void
dp_kernel_close(struct dp *dp)
{
	if (dp->kernel.fd < 0)
		return;
	tp_loop_unwatch(dp->loop, &dp->kernel.w);
	close(dp->kernel.fd);
	dp->kernel.fd = -1;
}
