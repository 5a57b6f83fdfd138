/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The rewrites: client leg (ChannelData over IPv4 or IPv6) by peer leg (UDP over IPv4 or
 * IPv6), the hairpin from one client's ChannelData to another's, and peer data or a hairpin
 * to a client as a Data indication. Each writes fresh headers in front of the data, which
 * never moves; a cross-family rewrite writes 20 bytes more or less than it read, a Data
 * indication up to 3 zero bytes of padding behind it. Included by tp_fastpath.h; see there
 * for the calling sequence.
 *
 * IP header fields (RFC 8656 sections 13 and 14), the choices made here:
 *   TTL / hop limit  decremented by one, as a router would (section 13.2's preferred
 *                    behaviour, and section 21.1.7's loop mitigation); a frame that would
 *                    leave with 0 is dropped (ttl-expired) before any rewrite.
 *   DSCP and ECN     copied (the preferred behaviour): IPv4 TOS <-> IPv6 traffic class.
 *   IPv4 DF          IPv4 to IPv4: copied from the incoming packet (preferred), and set
 *                    for a Send indication with DONT-FRAGMENT. IPv6 to IPv4: set, with
 *                    Identification 0, an atomic datagram (RFC 6864).
 *   IPv4 reserved    the flag bit RFC 791 says must be zero: cleared, as the relay's own
 *   flag             sockets would send it, with the header checksum updated to match.
 *   IPv4 ID          IPv4 to IPv4: copied, like every field not named here; with the
 *                    header checksum updated incrementally (RFC 1624).
 *   Flow label       never copied (section 13.2): a hash of the outgoing addresses and ports
 *                    (RFC 6437 section 3), the same for every packet of a flow, never 0.
 *   Data indication  XOR-PEER-ADDRESS and DATA, no FINGERPRINT (as the engine's own); its
 *                    transaction ID is the binding's slot, the dataplane's count of the
 *                    binding's Data indications on this lcore or CPU (p->ind_seq), the
 *                    incoming IPv4 ID and header checksum (zeros from IPv6): unique per
 *                    binding in practice, and a function of the frame, the tables and that
 *                    count alone, so that every dataplane writes the same bytes.
 *   UDP checksum     updated incrementally without reading the payload; an IPv4 checksum of
 *                    0 stays 0 to IPv4, and is computed over the payload for IPv6, which
 *                    requires one. A build that defines TP_CORE_NO_PAYLOAD_SUM never
 *                    loops over the payload here: its caller sums it and hands the sum over
 *                    first (tp_set_payload_sum(), as the XDP program does), or tp_rewrite()
 *                    hands such frames to the engine (needs-full-checksum).
 * Options and extension headers never reach a rewrite: they are not fast-path traffic.
 */
#ifndef TP_CORE_REWRITE_H
#define TP_CORE_REWRITE_H

/* RFC 6437 section 3: a flow's label from its addresses and ports, stateless. The addresses
 * 4-byte aligned, read as words (see tp_ip_eq()). */
TP_CORE_INLINE tp_u32
tp_flow_label(const tp_u8 src[16], const tp_u8 dst[16], tp_be16 sport, tp_be16 dport)
{
	const tp_u32_word *s = (const tp_u32_word *)(const void *)src;
	const tp_u32_word *d = (const tp_u32_word *)(const void *)dst;
	tp_u32 h = 0x9E3779B9u;

	for (unsigned i = 0; i < 4; i++)
		h = (h ^ tp_ntohl(s[i])) * 0x85EBCA6Bu;
	for (unsigned i = 0; i < 4; i++)
		h = (h ^ tp_ntohl(d[i])) * 0x85EBCA6Bu;
	h = (h ^ ((tp_u32)tp_ntohs(sport) << 16 | tp_ntohs(dport))) * 0x85EBCA6Bu;
	h ^= h >> 16;
	h &= 0xFFFFF;
	return h ? h : 1;
}

/*
 * For the tables' writers, which keep a binding's labels beside its values (p->flow_label):
 * the label of what the fast path sends to the peer of channel value v (tp_to_peer(): from the
 * relayed bind address and the allocation's port), 0 where that is no IPv6 datagram to a peer
 * (IPv4, or a hairpin, whose output is the far end's) ...
 */
TP_CORE_INLINE tp_u32
tp_to_peer_label(const struct tp_core_cfg *cfg, const struct tp_chan_val *v)
{
	struct tp_peer_key hk;

	if (v->family != TP_FAM_V6 || tp_hairpin_key(&hk, cfg, v))
		return 0;
	return tp_flow_label(cfg->bind6[v->relay_index & (TP_RELAY_ADDRS_MAX - 1)], v->peer_ip,
			     v->alloc_port, v->peer_port);
}

/* ... and of what it sends to the client of peer value v (tp_to_client(): from the listen
 * address and port), 0 for an IPv4 client. */
TP_CORE_INLINE tp_u32
tp_to_client_label(const struct tp_core_cfg *cfg, const struct tp_peer_val *v)
{
	if (tp_ip16_family(v->client_ip) != TP_FAM_V6)
		return 0;
	return tp_flow_label(cfg->bind6[0], v->client_ip, cfg->listen_port, v->client_port);
}

TP_CORE_INLINE tp_u16
tp_out_udp_len(const struct tp_pkt *p)
{
	return (tp_u16)(TP_UDP_HLEN + tp_out_l7_hdr_len(p) + p->data_len + tp_out_pad(p));
}

/*
 * The UDP checksum of the output. Taken from the input's by removing what left (pseudo-
 * header, UDP header, ChannelData header, padding) and adding what came (RFC 1624), so the
 * payload is never read; a corrupt payload stays detectably corrupt. data points at the
 * payload, for the one case that has to sum it; l7sum is the sum of a Data indication's
 * header bytes (0 otherwise; its padding is zeros).
 */
TP_CORE_INLINE tp_be16
tp_udp_csum(const struct tp_pkt *p, const tp_u8 *data, tp_u32 l7sum)
{
	tp_u16 out_len = tp_out_udp_len(p);
	tp_u32 sum;

	if (p->in_fam == TP_FAM_V4 && p->udp_check == 0) {
		if (p->out_fam == TP_FAM_V4)
			return 0;
#ifdef TP_CORE_NO_PAYLOAD_SUM
		(void)data; /* tp_rewrite() handed the frame back before getting here */
		return 0;
#else
		sum = tp_csum_partial(0, data, p->data_len);
#endif
	} else {
		sum = tp_csum_in_headers((tp_u16)~p->udp_check, p, 1);
	}
	sum = tp_csum_pseudo(sum, tp_ip_bytes(p->out_src, p->out_fam),
			     tp_ip_bytes(p->out_dst, p->out_fam), tp_core_iplen(p->out_fam),
			     out_len, 0);
	sum = tp_csum_add16(sum, p->out_sport);
	sum = tp_csum_add16(sum, p->out_dport);
	sum = tp_csum_add16(sum, tp_htons(out_len));
	if (p->out_cd) {
		sum = tp_csum_add16(sum, p->out_channel);
		sum = tp_csum_add16(sum, tp_htons(p->data_len));
	}
	sum += l7sum;
	return tp_csum_udp_final(sum);
}

/* Header emitters ----------------------------------------------------------------------- */

/* Ethernet (and the 802.1Q tag the frame came with) for the next hop: the L3 start, or NULL
 * when the buffer is too short. Each bound is checked where it is used, as BPF requires. */
TP_CORE_INLINE tp_u8 *
tp_emit_l2(const struct tp_pkt *p, tp_u8 *f, const tp_u8 *end, const tp_u8 *src_mac,
	   const tp_u8 *dst_mac)
{
	struct tp_eth_hdr *eth = (struct tp_eth_hdr *)f;
	tp_be16 type = tp_htons(p->out_fam == TP_FAM_V4 ? TP_ETH_P_IPV4 : TP_ETH_P_IPV6);

	if (f + TP_ETH_HLEN > end)
		return 0;
	tp_memcpy(eth->dst, dst_mac, TP_ETH_ALEN);
	tp_memcpy(eth->src, src_mac, TP_ETH_ALEN);
	if (!p->vlan) {
		eth->type = type;
		return f + TP_ETH_HLEN;
	}

	struct tp_vlan_hdr *vlan = (struct tp_vlan_hdr *)(eth + 1);

	if (f + TP_ETH_HLEN + TP_VLAN_HLEN > end)
		return 0;
	eth->type = tp_htons(TP_ETH_P_8021Q);
	vlan->tci = p->vlan_tci;
	vlan->type = type;
	return f + TP_ETH_HLEN + TP_VLAN_HLEN;
}

/* IPv4 from IPv4: the incoming header with TTL, length, flags and addresses replaced (RFC
 * 1624, every changed word in one sum). Only DF of the flags stays: MF and the offset are 0
 * here, the reserved bit goes. */
TP_CORE_INLINE void
tp_emit_ipv4_relay(const struct tp_pkt *p, tp_u8 *l3)
{
	struct tp_ipv4_hdr *ip = (struct tp_ipv4_hdr *)l3;
	tp_u8 ttl_in[2] = { p->ttl, TP_IPPROTO_UDP },
	      ttl_out[2] = { (tp_u8)(p->ttl - 1), TP_IPPROTO_UDP };
	tp_u32 sum = (tp_u16)~p->ip_check;

	ip->ver_ihl = 0x45;
	ip->tos = p->tos;
	ip->tot_len = tp_htons(TP_IPV4_HLEN + tp_out_udp_len(p));
	ip->id = p->ip_id;
	ip->frag_off = (tp_be16)((p->ip_frag | (p->out_df ? tp_htons(TP_IPV4_DF) : 0)) &
				 tp_htons(TP_IPV4_DF));
	ip->ttl = ttl_out[0];
	ip->protocol = TP_IPPROTO_UDP;
	tp_memcpy(ip->saddr, p->out_src + 12, 4);
	tp_memcpy(ip->daddr, p->out_dst + 12, 4);
	sum = tp_csum_sub16(sum, p->ip_len);
	sum = tp_csum_sub16(sum, p->ip_frag);
	sum = tp_csum_words(sum, ttl_in, 2, 1);
	sum = tp_csum_addr(sum, p->src + 12, 4, 1);
	sum = tp_csum_addr(sum, p->dst + 12, 4, 1);
	sum = tp_csum_add16(sum, ip->tot_len);
	sum = tp_csum_add16(sum, ip->frag_off);
	sum = tp_csum_words(sum, ttl_out, 2, 0);
	sum = tp_csum_addr(sum, p->out_src + 12, 4, 0); /* what saddr and daddr now hold */
	sum = tp_csum_addr(sum, p->out_dst + 12, 4, 0);
	ip->check = (tp_be16)~tp_csum_fold(sum);
}

/* IPv4 from IPv6: a fresh header, DF set with ID 0 (RFC 6864), full header checksum. */
TP_CORE_INLINE void
tp_emit_ipv4_translated(const struct tp_pkt *p, tp_u8 *l3)
{
	struct tp_ipv4_hdr *ip = (struct tp_ipv4_hdr *)l3;

	ip->ver_ihl = 0x45;
	ip->tos = p->tos;
	ip->tot_len = tp_htons(TP_IPV4_HLEN + tp_out_udp_len(p));
	ip->id = 0;
	ip->frag_off = tp_htons(TP_IPV4_DF);
	ip->ttl = (tp_u8)(p->ttl - 1);
	ip->protocol = TP_IPPROTO_UDP;
	ip->check = 0;
	tp_memcpy(ip->saddr, p->out_src + 12, 4);
	tp_memcpy(ip->daddr, p->out_dst + 12, 4);
	ip->check = tp_csum_ipv4_hdr(ip);
}

/* IPv6 from either family: traffic class copied, our own flow label, hop limit - 1. */
TP_CORE_INLINE void
tp_emit_ipv6(const struct tp_pkt *p, tp_u8 *l3)
{
	struct tp_ipv6_hdr *ip = (struct tp_ipv6_hdr *)l3;
	tp_u32 flow = p->flow_label
			      ? p->flow_label
			      : tp_flow_label(p->out_src, p->out_dst, p->out_sport, p->out_dport);

	ip->vtc_flow[0] = (tp_u8)(0x60 | p->tos >> 4);
	ip->vtc_flow[1] = (tp_u8)(p->tos << 4 | flow >> 16);
	ip->vtc_flow[2] = (tp_u8)(flow >> 8);
	ip->vtc_flow[3] = (tp_u8)flow;
	ip->payload_len = tp_htons(tp_out_udp_len(p));
	ip->nexthdr = TP_IPPROTO_UDP;
	ip->hop_limit = (tp_u8)(p->ttl - 1);
	tp_memcpy(ip->saddr, p->out_src, 16);
	tp_memcpy(ip->daddr, p->out_dst, 16);
}

/* UDP to a peer: the data follows the UDP header. */
TP_CORE_INLINE void
tp_emit_udp(const struct tp_pkt *p, tp_u8 *l4)
{
	struct tp_udp_hdr *udp = (struct tp_udp_hdr *)l4;

	udp->source = p->out_sport;
	udp->dest = p->out_dport;
	udp->len = tp_htons(tp_out_udp_len(p));
	udp->check = tp_udp_csum(p, l4 + TP_UDP_HLEN, 0);
}

/* UDP with a ChannelData header, to a client. */
TP_CORE_INLINE void
tp_emit_cd(const struct tp_pkt *p, tp_u8 *l4)
{
	struct tp_udp_hdr *udp = (struct tp_udp_hdr *)l4;
	struct tp_cd_hdr *cd = (struct tp_cd_hdr *)(udp + 1);

	cd->channel = p->out_channel;
	cd->len = tp_htons(p->data_len);
	udp->source = p->out_sport;
	udp->dest = p->out_dport;
	udp->len = tp_htons(tp_out_udp_len(p));
	udp->check = tp_udp_csum(p, l4 + TP_UDP_HLEN + TP_CD_HLEN, 0);
}

/*
 * The STUN bytes in front of a Data indication's data, written at hdr (alen: the peer's
 * address length, a constant where it is called): the header with its transaction ID (see
 * the top of this file), XOR-PEER-ADDRESS for the peer as the receiving allocation sees it
 * (p->pkey: the peer's address, or this relay's public one for a hairpin), and DATA's
 * attribute header. Returns their sum, for the UDP checksum.
 */
TP_CORE_INLINE tp_u32
tp_write_ind_hdr(const struct tp_pkt *p, tp_u8 *hdr, tp_u8 alen)
{
	struct tp_stun_hdr *h = (struct tp_stun_hdr *)hdr;
	struct tp_stun_attr_hdr *a = (struct tp_stun_attr_hdr *)(h + 1);
	tp_u8 *v = (tp_u8 *)(a + 1);
	tp_u32 slot = tp_htonl(p->hairpin ? p->slot_in : p->slot), seq = tp_htonl(p->ind_seq);
	tp_be16 xport = (tp_be16)(p->pkey.peer_port ^ tp_htons(TP_STUN_COOKIE >> 16));
	const tp_u8 *ip = tp_ip_bytes(p->pkey.peer_ip, p->pkey.family);
	tp_be32 cookie = tp_htonl(TP_STUN_COOKIE);
	tp_u16 hlen = (tp_u16)(TP_STUN_HLEN + TP_STUN_ATTR_HLEN + 4 + alen + TP_STUN_ATTR_HLEN);

	h->type = tp_htons(TP_STUN_DATA_IND);
	h->len = tp_htons((tp_u16)(hlen - TP_STUN_HLEN + p->data_len + tp_out_pad(p)));
	tp_memcpy(h->cookie, &cookie, 4);
	tp_memcpy(h->tid, &slot, 4);
	tp_memcpy(h->tid + 4, &seq, 4);
	tp_memcpy(h->tid + 8, &p->ip_id, 2);
	tp_memcpy(h->tid + 10, &p->ip_check, 2);

	/* RFC 8489 section 14.2: the port XORed with the cookie's top half, the address with the
	 * cookie and, for IPv6, the transaction ID after it: the 16 bytes from hdr + 4. */
	a->type = tp_htons(TP_STUN_ATTR_XOR_PEER);
	a->len = tp_htons((tp_u16)(4 + alen));
	v[0] = 0;
	v[1] = p->pkey.family;
	tp_memcpy(v + 2, &xport, 2);
	for (tp_u8 i = 0; i < alen; i++)
		v[4 + i] = ip[i] ^ hdr[4 + i];

	a = (struct tp_stun_attr_hdr *)(v + 4 + alen);
	a->type = tp_htons(TP_STUN_ATTR_DATA);
	a->len = tp_htons(p->data_len);
	return tp_csum_words(0, hdr, hlen, 0);
}

/* UDP with a Data indication, to a client: STUN's bytes in front of the data
 * (tp_ind_hdr_len()), up to 3 zeros behind it (the frame already ends there: tp_out_len()). */
TP_CORE_INLINE enum tp_reason
tp_emit_data_ind(const struct tp_pkt *p, tp_u8 *l4, const tp_u8 *end, enum tp_reason reason)
{
	struct tp_udp_hdr *udp = (struct tp_udp_hdr *)l4;
	tp_u16 hlen = tp_ind_hdr_len(p), pad = tp_out_pad(p);
	tp_u32 sum;
	tp_u8 *tail;

	/* Each family's length a constant, for the bounds the BPF verifier checks. */
	if (p->pkey.family == TP_FAM_V4) {
		if (l4 + TP_UDP_HLEN + 36 > end)
			return TP_R_TRUNCATED;
		sum = tp_write_ind_hdr(p, l4 + TP_UDP_HLEN, 4);
	} else {
		if (l4 + TP_UDP_HLEN + 48 > end)
			return TP_R_TRUNCATED;
		sum = tp_write_ind_hdr(p, l4 + TP_UDP_HLEN, 16);
	}
	tail = l4 + TP_UDP_HLEN + hlen + (p->data_len & TP_MAX_FRAME);
	for (tp_u16 i = 0; i < 3; i++) {
		if (i >= pad)
			break;
		if (tail + i + 1 > end)
			return TP_R_TRUNCATED;
		tail[i] = 0;
	}
	udp->source = p->out_sport;
	udp->dest = p->out_dport;
	udp->len = tp_htons(tp_out_udp_len(p));
	udp->check = tp_udp_csum(p, l4 + TP_UDP_HLEN + hlen, sum);
	return reason;
}

/* The cases ------------------------------------------------------------------------------
 *
 * Each case is a named function (grep, ctags and a breakpoint find tp_cd4_to_udp6) that says
 * which IP header and which UDP header it writes; tp_write_headers() does the writing, after
 * checking they fit. The family of each leg picks the IP header: IPv4 from IPv4 keeps the
 * incoming header's fields (tp_emit_ipv4_relay), IPv4 from IPv6 is translated
 * (tp_emit_ipv4_translated), IPv6 is written whole (tp_emit_ipv6); the output leg is plain
 * UDP to a peer (tp_emit_udp), ChannelData to a client (tp_emit_cd) or a Data indication to
 * a client (tp_emit_data_ind). Every argument is a constant where a case calls it, so each
 * compiles to the straight-line code of its own.
 */
enum tp_ip_out {
	TP_IP_OUT_V4_RELAY,	 /* IPv4 from IPv4 */
	TP_IP_OUT_V4_TRANSLATED, /* IPv4 from IPv6 */
	TP_IP_OUT_V6,		 /* IPv6, from either */
};

enum tp_l7_out {
	TP_L7_OUT_UDP,	    /* the data alone, to a peer */
	TP_L7_OUT_CD,	    /* ChannelData, to a client */
	TP_L7_OUT_DATA_IND, /* a Data indication, to a client */
};

/* Headers at l3 ending exactly where the data starts: an IP header as ip says, then UDP and
 * what l7 says. reason when they fit. */
TP_CORE_INLINE enum tp_reason
tp_write_headers(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end, enum tp_ip_out ip,
		 enum tp_l7_out l7, enum tp_reason reason)
{
	tp_u32 ip_hlen = ip == TP_IP_OUT_V6 ? TP_IPV6_HLEN : TP_IPV4_HLEN;
	tp_u32 l4_hlen = TP_UDP_HLEN + (l7 == TP_L7_OUT_CD ? TP_CD_HLEN : 0);

	if (l3 + ip_hlen + l4_hlen > end)
		return TP_R_TRUNCATED;
	if (ip == TP_IP_OUT_V4_RELAY)
		tp_emit_ipv4_relay(p, l3);
	else if (ip == TP_IP_OUT_V4_TRANSLATED)
		tp_emit_ipv4_translated(p, l3);
	else
		tp_emit_ipv6(p, l3);
	if (l7 == TP_L7_OUT_DATA_IND)
		return tp_emit_data_ind(p, l3 + ip_hlen, end, reason);
	if (l7 == TP_L7_OUT_CD)
		tp_emit_cd(p, l3 + ip_hlen);
	else
		tp_emit_udp(p, l3 + ip_hlen);
	return reason;
}

/* ChannelData from a client to UDP to its peer. */
TP_CORE_INLINE enum tp_reason
tp_cd4_to_udp4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_RELAY, TP_L7_OUT_UDP, TP_R_TO_PEER);
}

TP_CORE_INLINE enum tp_reason
tp_cd4_to_udp6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_UDP, TP_R_TO_PEER);
}

TP_CORE_INLINE enum tp_reason
tp_cd6_to_udp4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_TRANSLATED, TP_L7_OUT_UDP, TP_R_TO_PEER);
}

TP_CORE_INLINE enum tp_reason
tp_cd6_to_udp6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_UDP, TP_R_TO_PEER);
}

/* UDP from a peer to ChannelData to its client. */
TP_CORE_INLINE enum tp_reason
tp_udp4_to_cd4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_RELAY, TP_L7_OUT_CD, TP_R_TO_CLIENT);
}

TP_CORE_INLINE enum tp_reason
tp_udp4_to_cd6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_CD, TP_R_TO_CLIENT);
}

TP_CORE_INLINE enum tp_reason
tp_udp6_to_cd4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_TRANSLATED, TP_L7_OUT_CD, TP_R_TO_CLIENT);
}

TP_CORE_INLINE enum tp_reason
tp_udp6_to_cd6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_CD, TP_R_TO_CLIENT);
}

/* The hairpin: one client's ChannelData to another client of the relay, as ChannelData. */
TP_CORE_INLINE enum tp_reason
tp_cd4_to_cd4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_RELAY, TP_L7_OUT_CD, TP_R_HAIRPIN);
}

TP_CORE_INLINE enum tp_reason
tp_cd4_to_cd6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_CD, TP_R_HAIRPIN);
}

TP_CORE_INLINE enum tp_reason
tp_cd6_to_cd4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_TRANSLATED, TP_L7_OUT_CD, TP_R_HAIRPIN);
}

TP_CORE_INLINE enum tp_reason
tp_cd6_to_cd6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_CD, TP_R_HAIRPIN);
}

/* A Send indication from a client, for a permission's flow, to its peer as UDP. */
TP_CORE_INLINE enum tp_reason
tp_send4_to_udp4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_RELAY, TP_L7_OUT_UDP, TP_R_SEND_TO_PEER);
}

TP_CORE_INLINE enum tp_reason
tp_send4_to_udp6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_UDP, TP_R_SEND_TO_PEER);
}

TP_CORE_INLINE enum tp_reason
tp_send6_to_udp4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_TRANSLATED, TP_L7_OUT_UDP,
				TP_R_SEND_TO_PEER);
}

TP_CORE_INLINE enum tp_reason
tp_send6_to_udp6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_UDP, TP_R_SEND_TO_PEER);
}

/* UDP from a peer with a permission and no channel, to its client as a Data indication. */
TP_CORE_INLINE enum tp_reason
tp_udp4_to_data4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_RELAY, TP_L7_OUT_DATA_IND,
				TP_R_DATA_INDICATION);
}

TP_CORE_INLINE enum tp_reason
tp_udp4_to_data6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_DATA_IND, TP_R_DATA_INDICATION);
}

TP_CORE_INLINE enum tp_reason
tp_udp6_to_data4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_TRANSLATED, TP_L7_OUT_DATA_IND,
				TP_R_DATA_INDICATION);
}

TP_CORE_INLINE enum tp_reason
tp_udp6_to_data6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_DATA_IND, TP_R_DATA_INDICATION);
}

/* The hairpin toward an allocation with a permission and no channel back: a Data indication. */
TP_CORE_INLINE enum tp_reason
tp_cd4_to_data4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_RELAY, TP_L7_OUT_DATA_IND,
				TP_R_HAIRPIN_DATA);
}

TP_CORE_INLINE enum tp_reason
tp_cd4_to_data6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_DATA_IND, TP_R_HAIRPIN_DATA);
}

TP_CORE_INLINE enum tp_reason
tp_cd6_to_data4(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V4_TRANSLATED, TP_L7_OUT_DATA_IND,
				TP_R_HAIRPIN_DATA);
}

TP_CORE_INLINE enum tp_reason
tp_cd6_to_data6(const struct tp_pkt *p, tp_u8 *l3, const tp_u8 *end)
{
	return tp_write_headers(p, l3, end, TP_IP_OUT_V6, TP_L7_OUT_DATA_IND, TP_R_HAIRPIN_DATA);
}

/*
 * Write the output in front of the data. frame is the new start (tp_head_delta() bytes before
 * the old one), end the end of the buffer; the next hop's MAC comes from the caller.
 */
TP_CORE_INLINE enum tp_reason
tp_rewrite(const struct tp_pkt *p, tp_u8 *frame, const tp_u8 *end, const tp_u8 *src_mac,
	   const tp_u8 *dst_mac)
{
	int in6 = p->in_fam == TP_FAM_V6, out6 = p->out_fam == TP_FAM_V6;
	tp_u8 *l3;

#ifdef TP_CORE_NO_PAYLOAD_SUM
	if (tp_needs_full_csum(p))
		return TP_R_NEEDS_FULL_CSUM;
#endif
	if (frame + tp_out_len(p) > end || !(l3 = tp_emit_l2(p, frame, end, src_mac, dst_mac)))
		return TP_R_TRUNCATED;
	if (!p->in_cd && !p->in_send)
		return p->out_ind ? (in6 ? (out6 ? tp_udp6_to_data6(p, l3, end)
						 : tp_udp6_to_data4(p, l3, end))
					 : (out6 ? tp_udp4_to_data6(p, l3, end)
						 : tp_udp4_to_data4(p, l3, end)))
				  : (in6 ? (out6 ? tp_udp6_to_cd6(p, l3, end)
						 : tp_udp6_to_cd4(p, l3, end))
					 : (out6 ? tp_udp4_to_cd6(p, l3, end)
						 : tp_udp4_to_cd4(p, l3, end)));
	if (!p->hairpin && p->in_send)
		return in6 ? (out6 ? tp_send6_to_udp6(p, l3, end) : tp_send6_to_udp4(p, l3, end))
			   : (out6 ? tp_send4_to_udp6(p, l3, end) : tp_send4_to_udp4(p, l3, end));
	if (!p->hairpin)
		return in6 ? (out6 ? tp_cd6_to_udp6(p, l3, end) : tp_cd6_to_udp4(p, l3, end))
			   : (out6 ? tp_cd4_to_udp6(p, l3, end) : tp_cd4_to_udp4(p, l3, end));
	/* A hairpin: from a client's ChannelData or Send indication alike (tp_csum_in_headers()
	 * takes out what came with the data), to another client. */
	if (p->out_ind)
		return in6 ? (out6 ? tp_cd6_to_data6(p, l3, end) : tp_cd6_to_data4(p, l3, end))
			   : (out6 ? tp_cd4_to_data6(p, l3, end) : tp_cd4_to_data4(p, l3, end));
	return in6 ? (out6 ? tp_cd6_to_cd6(p, l3, end) : tp_cd6_to_cd4(p, l3, end))
		   : (out6 ? tp_cd4_to_cd6(p, l3, end) : tp_cd4_to_cd4(p, l3, end));
}

#endif
