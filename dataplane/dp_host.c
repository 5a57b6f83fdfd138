/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control thread's side of the wire in dpdk mode, where no kernel stack stands between
 * turnpike and the NIC: it answers ARP and IPv6 neighbour solicitations for the relay's bind
 * addresses and ICMP/ICMPv6 echo requests to them, hands UDP for the listen port and the
 * allocation range to the engine, and turns the engine's output (responses, Data
 * indications, relayed data the workers could not finish) into frames. Next hops are on-link
 * hosts or the gateway (dpdk.ipv4/ipv6), resolved by ARP and ND, or one static MAC; packets
 * wait in a small queue per next hop while it resolves. Everything it sends goes through the
 * first worker's TX queue, over a ring, so it never races the workers for a queue. What is
 * for the relay but not its to answer goes to the kernel through dpdk.kernel-interface
 * (dp_kernel.c), or is dropped and counted without one.
 *
 * Untagged frames only: what arrives here with an 802.1Q tag is counted as malformed.
 */
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_udp.h>

#include "dp.h"
#include "log.h"

#define ICMP6_ECHO_REQUEST 128
#define ICMP6_ECHO_REPLY   129
#define ND_SOLICIT	   135
#define ND_ADVERT	   136
#define ND_OPT_SRC_LL	   1
#define ND_OPT_TGT_LL	   2
#define RESOLVE_RETRY_MS   1000
#define RESOLVE_TRIES	   3

/* Frames out ------------------------------------------------------------------------------- */

/* A frame to worker 0's TX queue: false when the ring is full (counted, freed). */
bool
dp_host_send(struct dp *dp, struct rte_mbuf *m)
{
	if (rte_ring_enqueue(dp->ctl_tx, m) != 0) {
		dp->host.tx_ring_full++;
		rte_pktmbuf_free(m);
		return false;
	}
	return true;
}

static struct rte_mbuf *
new_frame(struct dp *dp, uint16_t len)
{
	/* No pool while the port restarts (dp_port.c): nothing leaves then. */
	struct rte_mbuf *m = dp->pool ? rte_pktmbuf_alloc(dp->pool) : NULL;

	if (!m) {
		dp->host.tx_no_mbuf++;
		return NULL;
	}
	if (!rte_pktmbuf_append(m, len)) {
		dp->host.tx_no_mbuf++;
		rte_pktmbuf_free(m);
		return NULL;
	}
	return m;
}

static void
fill_eth(struct dp *dp, struct rte_ether_hdr *eth, const struct rte_ether_addr *dst, uint16_t type)
{
	eth->dst_addr = *dst;
	eth->src_addr = dp->mac;
	eth->ether_type = rte_cpu_to_be_16(type);
}

/* ARP request, or a neighbour solicitation to the solicited-node group, for ip16. */
static void
solicit(struct dp *dp, uint8_t family, const uint8_t ip16[16])
{
	struct rte_mbuf *m;

	dp->host.resolutions_sent++;
	if (family == TP_FAM_V4) {
		const struct rte_ether_addr bcast = { { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff } };
		struct rte_arp_hdr *arp;

		if (!(m = new_frame(dp, sizeof(struct rte_ether_hdr) + sizeof(*arp))))
			return;
		fill_eth(dp, rte_pktmbuf_mtod(m, struct rte_ether_hdr *), &bcast,
			 RTE_ETHER_TYPE_ARP);
		arp = rte_pktmbuf_mtod_offset(m, struct rte_arp_hdr *,
					      sizeof(struct rte_ether_hdr));
		arp->arp_hardware = rte_cpu_to_be_16(RTE_ARP_HRD_ETHER);
		arp->arp_protocol = rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
		arp->arp_hlen = RTE_ETHER_ADDR_LEN;
		arp->arp_plen = 4;
		arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REQUEST);
		arp->arp_data.arp_sha = dp->mac;
		memcpy(&arp->arp_data.arp_sip, dp->core.bind4[0], 4);
		memset(&arp->arp_data.arp_tha, 0, sizeof(arp->arp_data.arp_tha));
		memcpy(&arp->arp_data.arp_tip, ip16 + 12, 4);
		dp_host_send(dp, m);
		return;
	}

	/* IPv6: to ff02::1:ffXX:XXXX, the target's solicited-node group (RFC 4861). */
	const uint16_t icmp_len = 8 + 16 + 8;
	struct rte_ipv6_hdr *ip;
	uint8_t *icmp;
	struct rte_ether_addr dst = { { 0x33, 0x33, 0xff, ip16[13], ip16[14], ip16[15] } };

	if (!(m = new_frame(dp, sizeof(struct rte_ether_hdr) + sizeof(*ip) + icmp_len)))
		return;
	fill_eth(dp, rte_pktmbuf_mtod(m, struct rte_ether_hdr *), &dst, RTE_ETHER_TYPE_IPV6);
	ip = rte_pktmbuf_mtod_offset(m, struct rte_ipv6_hdr *, sizeof(struct rte_ether_hdr));
	ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
	ip->payload_len = rte_cpu_to_be_16(icmp_len);
	ip->proto = IPPROTO_ICMPV6;
	ip->hop_limits = 255;
	memcpy(ip->src_addr, dp->core.bind6[0], 16);
	memcpy(ip->dst_addr, (const uint8_t[16]){ 0xff, 0x02, [11] = 1, [12] = 0xff }, 13);
	memcpy(ip->dst_addr + 13, ip16 + 13, 3);
	icmp = (uint8_t *)(ip + 1);
	memset(icmp, 0, icmp_len);
	icmp[0] = ND_SOLICIT;
	memcpy(icmp + 8, ip16, 16);
	icmp[24] = ND_OPT_SRC_LL;
	icmp[25] = 1;
	memcpy(icmp + 26, dp->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
	*(uint16_t *)(icmp + 2) = rte_ipv6_udptcp_cksum(ip, icmp);
	dp_host_send(dp, m);
}

static struct dp_pending *
pending_for(struct dp *dp, const uint8_t ip16[16], bool create, uint8_t family)
{
	struct dp_pending *free_slot = NULL;

	for (int i = 0; i < DP_PENDING_NH; i++) {
		struct dp_pending *q = &dp->pending[i];

		if (q->family && memcmp(q->ip, ip16, 16) == 0)
			return q;
		if (!q->family && !free_slot)
			free_slot = q;
	}
	if (!create || !free_slot)
		return NULL;
	memcpy(free_slot->ip, ip16, 16);
	free_slot->family = family;
	free_slot->tries = 0;
	free_slot->n = 0;
	free_slot->asked_ms = 0;
	return free_slot;
}

static void
pending_drop(struct dp *dp, struct dp_pending *q)
{
	rte_pktmbuf_free_bulk(q->m, q->n);
	dp->host.pending_dropped += q->n;
	dp->npending -= q->n;
	q->n = 0;
	q->family = 0;
}

/*
 * Send a built frame (its Ethernet destination still unset) toward dst16. Unresolved, it
 * waits for ARP/ND with the others for its next hop (DP_PENDING_PER_NH of them at most, and
 * DP_PENDING_MAX over all next hops), in order, and leaves when the answer comes. true when
 * it left or waits; false when it was dropped (counted, freed): the caller counts only what
 * goes.
 */
static bool
route_frame(struct dp *dp, struct rte_mbuf *m, uint8_t family, const uint8_t dst16[16])
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
	struct dp_pending *q;
	uint8_t nh[16];

	if (dp->cfg->dpdk.nexthop_mac.set) {
		memcpy(eth->dst_addr.addr_bytes, dp->cfg->dpdk.nexthop_mac.addr, 6);
		return dp_host_send(dp, m);
	}
	if (dp_next_hop_ip(dp, family, dst16, nh) < 0) {
		dp->host.no_route++;
		rte_pktmbuf_free(m);
		return false;
	}
	if (dp_neigh_get(dp, nh, &eth->dst_addr) == 0)
		return dp_host_send(dp, m);
	if (!(q = pending_for(dp, nh, true, family))) {
		dp->host.pending_dropped++; /* every next-hop queue is taken */
		rte_pktmbuf_free(m);
		return false;
	}
	if (q->n == DP_PENDING_PER_NH || dp->npending == DP_PENDING_MAX) {
		dp->host.pending_dropped++;
		rte_pktmbuf_free(m);
		return false;
	}
	q->m[q->n++] = m;
	dp->npending++;
	if (!q->asked_ms || dp->now_ms >= q->asked_ms + RESOLVE_RETRY_MS) {
		q->asked_ms = dp->now_ms;
		q->tries++;
		solicit(dp, family, nh);
	}
	return true;
}

/* A neighbour learnt: remember it, and send what waited for it. */
static void
learn(struct dp *dp, uint8_t family, const uint8_t ip16[16], const struct rte_ether_addr *mac)
{
	struct dp_pending *q = pending_for(dp, ip16, false, family);

	dp->host.neigh_learnt++;
	dp_neigh_set(dp, ip16, mac);
	if (!q)
		return;
	for (uint16_t i = 0; i < q->n; i++) {
		rte_pktmbuf_mtod(q->m[i], struct rte_ether_hdr *)->dst_addr = *mac;
		dp_host_send(dp, q->m[i]);
	}
	dp->npending -= q->n;
	q->n = 0;
	q->family = 0;
}

void
dp_host_tick(struct dp *dp)
{
	for (int i = 0; i < DP_PENDING_NH; i++) {
		struct dp_pending *q = &dp->pending[i];

		if (!q->family || dp->now_ms < q->asked_ms + RESOLVE_RETRY_MS)
			continue;
		if (q->tries >= RESOLVE_TRIES) {
			dp->host.resolutions_failed++;
			pending_drop(dp, q);
			continue;
		}
		q->asked_ms = dp->now_ms;
		q->tries++;
		solicit(dp, q->family, q->ip);
	}
}

void
dp_host_flush(struct dp *dp)
{
	for (int i = 0; i < DP_PENDING_NH; i++)
		if (dp->pending[i].family)
			pending_drop(dp, &dp->pending[i]);
}

/* UDP from (src, sport) to (dst, dport) with payload, as the control thread originates it. */
static bool
send_udp(struct dp *dp, const struct tp_addr *src, const struct tp_addr *dst, const void *payload,
	 size_t len, bool df)
{
	bool v4 = dst->family == TP_FAM_V4;
	uint16_t l3len = v4 ? sizeof(struct rte_ipv4_hdr) : sizeof(struct rte_ipv6_hdr);
	size_t total = sizeof(struct rte_ether_hdr) + l3len + sizeof(struct rte_udp_hdr) + len;
	struct rte_udp_hdr *udp;
	struct rte_mbuf *m;
	uint8_t dst16[16];
	void *l3;

	if (total > UINT16_MAX || !(m = new_frame(dp, (uint16_t)total)))
		return false;
	fill_eth(dp, rte_pktmbuf_mtod(m, struct rte_ether_hdr *), &dp->mac,
		 v4 ? RTE_ETHER_TYPE_IPV4 : RTE_ETHER_TYPE_IPV6);
	l3 = rte_pktmbuf_mtod_offset(m, void *, sizeof(struct rte_ether_hdr));
	udp = (struct rte_udp_hdr *)((uint8_t *)l3 + l3len);
	udp->src_port = rte_cpu_to_be_16(src->port);
	udp->dst_port = rte_cpu_to_be_16(dst->port);
	udp->dgram_len = rte_cpu_to_be_16((uint16_t)(sizeof(*udp) + len));
	udp->dgram_cksum = 0;
	memcpy(udp + 1, payload, len);
	if (v4) {
		struct rte_ipv4_hdr *ip = l3;

		ip->version_ihl = RTE_IPV4_VHL_DEF;
		ip->type_of_service = 0;
		ip->total_length = rte_cpu_to_be_16((uint16_t)(l3len + sizeof(*udp) + len));
		ip->packet_id = rte_cpu_to_be_16(dp->ip_id++);
		ip->fragment_offset = df ? rte_cpu_to_be_16(RTE_IPV4_HDR_DF_FLAG) : 0;
		ip->time_to_live = 64;
		ip->next_proto_id = IPPROTO_UDP;
		memcpy(&ip->src_addr, src->ip, 4);
		memcpy(&ip->dst_addr, dst->ip, 4);
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		udp->dgram_cksum = rte_ipv4_udptcp_cksum(ip, udp);
	} else {
		struct rte_ipv6_hdr *ip = l3;

		ip->vtc_flow = rte_cpu_to_be_32(6u << 28);
		ip->payload_len = udp->dgram_len;
		ip->proto = IPPROTO_UDP;
		ip->hop_limits = 64;
		memcpy(ip->src_addr, src->ip, 16);
		memcpy(ip->dst_addr, dst->ip, 16);
		udp->dgram_cksum = rte_ipv6_udptcp_cksum(ip, udp);
	}
	tp_ip_to16(dst16, dst->ip, dst->family);
	return route_frame(dp, m, dst->family, dst16);
}

bool
dp_host_to_client(void *ctx, const struct tp_addr *client, const void *buf, size_t len)
{
	struct dp *dp = ctx;
	int f = TP_FAM_IDX(client->family);
	struct tp_addr src = dp->cfg->fam[f].bind[0];

	src.port = dp->cfg->listen_port;
	return send_udp(dp, &src, client, buf, len, false);
}

bool
dp_host_to_peer(void *ctx, const struct tp_addr *relay, const struct tp_addr *peer, const void *buf,
		size_t len, bool df)
{
	return send_udp(ctx, relay, peer, buf, len, df);
}

/* Frames in -------------------------------------------------------------------------------- */

/* Which of the relay's bind addresses of family fam is ip (4 or 16 bytes)? Its index, or -1. */
static int
own_index(const struct dp *dp, uint8_t fam, const void *ip)
{
	uint8_t ip16[16] TP_ALIGNED4;

	tp_ip_to16(ip16, ip, fam);
	return tp_relay_index(&dp->core, fam, ip16, TP_RELAY_BIND);
}

/* A frame nobody here takes: counted, freed. */
static void
drop_frame(struct dp *dp, struct rte_mbuf *m)
{
	dp->host.not_for_us++;
	rte_pktmbuf_free(m);
}

/* A frame for the relay that is not the control thread's to answer: the kernel's, through
 * dpdk.kernel-interface (dp_kernel.c), or nobody's without one. */
static void
to_kernel(struct dp *dp, struct rte_mbuf *m)
{
	if (!dp_kernel_input(dp, m))
		drop_frame(dp, m);
}

static void
arp_input(struct dp *dp, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	struct rte_arp_hdr *arp = (struct rte_arp_hdr *)(eth + 1);
	uint8_t spa16[16];
	int own;

	if (rte_pktmbuf_data_len(m) < sizeof(*eth) + sizeof(*arp) ||
	    arp->arp_hardware != rte_cpu_to_be_16(RTE_ARP_HRD_ETHER) ||
	    arp->arp_protocol != rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) ||
	    arp->arp_hlen != RTE_ETHER_ADDR_LEN || arp->arp_plen != 4) {
		dp->host.malformed++;
		rte_pktmbuf_free(m);
		return;
	}
	if ((own = own_index(dp, TP_FAM_V4, &arp->arp_data.arp_tip)) < 0) {
		drop_frame(dp, m);
		return;
	}
	/* Whoever asks for us, or answers us, is a neighbour we will talk to. */
	tp_ip_to16(spa16, (const uint8_t *)&arp->arp_data.arp_sip, TP_FAM_V4);
	learn(dp, TP_FAM_V4, spa16, &arp->arp_data.arp_sha);
	/* An answer: the kernel may have asked too. */
	if (arp->arp_opcode != rte_cpu_to_be_16(RTE_ARP_OP_REQUEST)) {
		to_kernel(dp, m);
		return;
	}
	/* The request becomes its own reply. */
	arp->arp_opcode = rte_cpu_to_be_16(RTE_ARP_OP_REPLY);
	arp->arp_data.arp_tha = arp->arp_data.arp_sha;
	arp->arp_data.arp_tip = arp->arp_data.arp_sip;
	arp->arp_data.arp_sha = dp->mac;
	memcpy(&arp->arp_data.arp_sip, dp->core.bind4[own], 4);
	eth->dst_addr = arp->arp_data.arp_tha;
	eth->src_addr = dp->mac;
	dp->host.arp_replies++;
	dp_host_send(dp, m);
}

/* The engine's input: the payload of a UDP datagram from src to the relay's bind address dst
 * (its own index of them). false when the port is neither the listen port (of the first
 * address) nor in the allocation range: the kernel's. */
static bool
udp_to_engine(struct dp *dp, const struct tp_addr *src, int own, const uint8_t *dst, uint16_t dport,
	      const uint8_t *payload, size_t len)
{
	struct tp_addr relay = { .family = src->family, .port = dport };

	memcpy(relay.ip, dst, src->family == TP_FAM_V4 ? 4 : 16);
	if (dport == dp->cfg->listen_port && own == 0)
		tp_loop_client_input(dp->loop, src, payload, len);
	else if (dport >= dp->cfg->port_min && dport <= dp->cfg->port_max)
		tp_loop_peer_input(dp->loop, &relay, src, payload, len);
	else
		return false;
	return true;
}

/* Reply to an echo request in place: swap the Ethernet and IP addresses. */
static void
swap_l2(struct dp *dp, struct rte_ether_hdr *eth)
{
	eth->dst_addr = eth->src_addr;
	eth->src_addr = dp->mac;
}

static void
ipv4_input(struct dp *dp, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	struct rte_ipv4_hdr *ip = (struct rte_ipv4_hdr *)(eth + 1);
	size_t avail = rte_pktmbuf_data_len(m) - sizeof(*eth), hl, tot;
	struct tp_addr src = { .family = TP_FAM_V4 };
	int own;

	if (avail < sizeof(*ip) || (ip->version_ihl >> 4) != 4 ||
	    (hl = (size_t)(ip->version_ihl & 0xf) * 4) < sizeof(*ip) ||
	    (tot = rte_be_to_cpu_16(ip->total_length)) < hl || tot > avail ||
	    rte_raw_cksum(ip, hl) != 0xffff) {
		dp->host.malformed++;
		goto out;
	}
	if ((own = own_index(dp, TP_FAM_V4, &ip->dst_addr)) < 0 ||
	    (rte_be_to_cpu_16(ip->fragment_offset) &
	     (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK))) {
		dp->host.not_for_us++;
		goto out;
	}
	memcpy(src.ip, &ip->src_addr, 4);
	if (ip->next_proto_id == IPPROTO_ICMP) {
		struct rte_icmp_hdr *icmp = (struct rte_icmp_hdr *)((uint8_t *)ip + hl);

		if (tot < hl + sizeof(*icmp) || icmp->icmp_type != RTE_IP_ICMP_ECHO_REQUEST) {
			to_kernel(dp, m);
			return;
		}
		icmp->icmp_type = RTE_IP_ICMP_ECHO_REPLY;
		icmp->icmp_cksum = 0;
		icmp->icmp_cksum = (uint16_t)~rte_raw_cksum(icmp, tot - hl);
		ip->dst_addr = ip->src_addr;
		memcpy(&ip->src_addr, dp->core.bind4[own], 4);
		ip->time_to_live = 64;
		ip->hdr_checksum = 0;
		ip->hdr_checksum = rte_ipv4_cksum(ip);
		rte_pktmbuf_trim(m, (uint16_t)(avail - tot));
		swap_l2(dp, eth);
		dp->host.echo_replies++;
		dp_host_send(dp, m);
		return;
	}
	if (ip->next_proto_id == IPPROTO_UDP) {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)((uint8_t *)ip + hl);
		uint16_t ulen;

		if (tot < hl + sizeof(*udp) || (ulen = rte_be_to_cpu_16(udp->dgram_len)) < 8 ||
		    ulen > tot - hl) {
			dp->host.malformed++;
			goto out;
		}
		src.port = rte_be_to_cpu_16(udp->src_port);
		if (!udp_to_engine(dp, &src, own, (const uint8_t *)&ip->dst_addr,
				   rte_be_to_cpu_16(udp->dst_port), (uint8_t *)(udp + 1),
				   ulen - sizeof(*udp))) {
			to_kernel(dp, m);
			return;
		}
		goto out;
	}
	to_kernel(dp, m); /* TCP, and any other protocol to the relay */
	return;
out:
	rte_pktmbuf_free(m);
}

/* Is dst the solicited-node group of one of the relay's IPv6 bind addresses? */
static bool
is_solicited_node_of_own(const struct dp *dp, const uint8_t dst[16])
{
	static const uint8_t prefix[13] = { 0xff, 0x02, [11] = 1, [12] = 0xff };

	for (unsigned i = 0; i < dp->core.naddr6 && memcmp(dst, prefix, 13) == 0; i++)
		if (memcmp(dst + 13, dp->core.bind6[i] + 13, 3) == 0)
			return true;
	return false;
}

static void
icmp6_input(struct dp *dp, struct rte_mbuf *m, struct rte_ether_hdr *eth, struct rte_ipv6_hdr *ip,
	    uint8_t *icmp, size_t len)
{
	uint8_t target[16];
	int own;

	if (len < 8)
		goto drop;
	switch (icmp[0]) {
	case ICMP6_ECHO_REQUEST:
		if (own_index(dp, TP_FAM_V6, ip->dst_addr) < 0)
			goto drop;
		icmp[0] = ICMP6_ECHO_REPLY;
		memcpy(target, ip->dst_addr, 16);
		memcpy(ip->dst_addr, ip->src_addr, 16);
		memcpy(ip->src_addr, target, 16);
		ip->hop_limits = 64;
		*(uint16_t *)(icmp + 2) = 0;
		*(uint16_t *)(icmp + 2) = rte_ipv6_udptcp_cksum(ip, icmp);
		swap_l2(dp, eth);
		dp->host.echo_replies++;
		dp_host_send(dp, m);
		return;
	case ND_SOLICIT: {
		static const uint8_t unspecified[16], all_nodes[16] = { 0xff, 0x02, [15] = 1 };
		bool dad = memcmp(ip->src_addr, unspecified, 16) == 0;

		if (len < 24 || ip->hop_limits != 255)
			goto drop;
		/* For another of the interface's addresses (the kernel's link-local one). */
		if ((own = own_index(dp, TP_FAM_V6, icmp + 8)) < 0) {
			to_kernel(dp, m);
			return;
		}
		/* Learn the asker from its source link-layer option, when it has one. */
		if (!dad && len >= 32 && icmp[24] == ND_OPT_SRC_LL && icmp[25] == 1)
			learn(dp, TP_FAM_V6, ip->src_addr,
			      (const struct rte_ether_addr *)(icmp + 26));
		/* Advertise, with our link-layer address: solicited (S) and override (O), or
		 * to all nodes, unsolicited, for a duplicate address check (RFC 4861 7.2.4). */
		memcpy(ip->dst_addr, dad ? all_nodes : ip->src_addr, 16);
		memcpy(ip->src_addr, dp->core.bind6[own], 16);
		ip->payload_len = rte_cpu_to_be_16(32);
		icmp[0] = ND_ADVERT;
		icmp[1] = 0;
		memset(icmp + 4, 0, 4);
		icmp[4] = dad ? 0x20 : 0x60;
		memcpy(icmp + 8, dp->core.bind6[own], 16);
		icmp[24] = ND_OPT_TGT_LL;
		icmp[25] = 1;
		memcpy(icmp + 26, dp->mac.addr_bytes, RTE_ETHER_ADDR_LEN);
		*(uint16_t *)(icmp + 2) = 0;
		*(uint16_t *)(icmp + 2) = rte_ipv6_udptcp_cksum(ip, icmp);
		rte_pktmbuf_trim(
			m, (uint16_t)(rte_pktmbuf_data_len(m) - sizeof(*eth) - sizeof(*ip) - 32));
		swap_l2(dp, eth);
		if (dad)
			eth->dst_addr = (struct rte_ether_addr){ { 0x33, 0x33, 0, 0, 0, 1 } };
		dp->host.nd_adverts++;
		dp_host_send(dp, m);
		return;
	}
	case ND_ADVERT:
		if (len < 24 || ip->hop_limits != 255)
			goto drop;
		/* Learnt from when it names its link-layer address (an answer to a unicast
		 * probe, the kernel's among them, may leave it out). */
		if (len >= 32 && icmp[24] == ND_OPT_TGT_LL && icmp[25] == 1) {
			memcpy(target, icmp + 8, 16);
			learn(dp, TP_FAM_V6, target, (const struct rte_ether_addr *)(icmp + 26));
		}
		/* An answer: the kernel may have asked too. */
		to_kernel(dp, m);
		return;
	default:
		/* Anything else for the relay itself (echo replies, errors): the kernel's. */
		if (own_index(dp, TP_FAM_V6, ip->dst_addr) >= 0) {
			to_kernel(dp, m);
			return;
		}
	}
drop:
	drop_frame(dp, m);
}

static void
ipv6_input(struct dp *dp, struct rte_mbuf *m, struct rte_ether_hdr *eth)
{
	struct rte_ipv6_hdr *ip = (struct rte_ipv6_hdr *)(eth + 1);
	size_t avail = rte_pktmbuf_data_len(m) - sizeof(*eth), plen;
	struct tp_addr src = { .family = TP_FAM_V6 };
	uint8_t *l4 = (uint8_t *)(ip + 1);
	int own;

	if (avail < sizeof(*ip) || (rte_be_to_cpu_32(ip->vtc_flow) >> 28) != 6 ||
	    (plen = rte_be_to_cpu_16(ip->payload_len)) > avail - sizeof(*ip)) {
		dp->host.malformed++;
		rte_pktmbuf_free(m);
		return;
	}
	if ((own = own_index(dp, TP_FAM_V6, ip->dst_addr)) < 0 &&
	    !is_solicited_node_of_own(dp, ip->dst_addr)) {
		/* Link-local and multicast: the kernel interface's own (its neighbour discovery
		 * answered to its link-local address, say). */
		if (ip->dst_addr[0] == 0xff ||
		    (ip->dst_addr[0] == 0xfe && (ip->dst_addr[1] & 0xc0) == 0x80))
			to_kernel(dp, m);
		else
			drop_frame(dp, m);
		return;
	}
	if (ip->proto == IPPROTO_ICMPV6) {
		icmp6_input(dp, m, eth, ip, l4, plen);
		return;
	}
	if (ip->proto == IPPROTO_UDP && plen >= sizeof(struct rte_udp_hdr)) {
		struct rte_udp_hdr *udp = (struct rte_udp_hdr *)l4;
		uint16_t ulen = rte_be_to_cpu_16(udp->dgram_len);

		if (ulen >= 8 && ulen <= plen) {
			memcpy(src.ip, ip->src_addr, 16);
			src.port = rte_be_to_cpu_16(udp->src_port);
			if (own < 0 || !udp_to_engine(dp, &src, own, ip->dst_addr,
						      rte_be_to_cpu_16(udp->dst_port),
						      l4 + sizeof(*udp), ulen - sizeof(*udp))) {
				to_kernel(dp, m);
				return;
			}
		} else {
			dp->host.malformed++;
		}
	} else if (own >= 0) {
		to_kernel(dp, m); /* TCP, and any other protocol to the relay */
		return;
	} else {
		dp->host.not_for_us++;
	}
	rte_pktmbuf_free(m);
}

void
dp_host_input(struct dp *dp, struct rte_mbuf *m)
{
	struct rte_ether_hdr *eth = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);

	if (rte_pktmbuf_data_len(m) < sizeof(*eth)) {
		dp->host.malformed++;
		rte_pktmbuf_free(m);
		return;
	}
	switch (rte_be_to_cpu_16(eth->ether_type)) {
	case RTE_ETHER_TYPE_ARP:
		arp_input(dp, m, eth);
		return;
	case RTE_ETHER_TYPE_IPV4:
		ipv4_input(dp, m, eth);
		return;
	case RTE_ETHER_TYPE_IPV6:
		ipv6_input(dp, m, eth);
		return;
	}
	drop_frame(dp, m);
}
