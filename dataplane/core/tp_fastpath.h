/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The fast path's decisions, as pure functions over a frame, the run-time configuration and
 * the two binding tables. The caller owns the frame and the tables, so the same code serves
 * a DPDK burst (which may batch its lookups), an XDP program (which has no function
 * pointers) and the unit tests:
 *
 *   step = tp_classify(&p, frame, end, cfg);      parse, and say which lookup comes next
 *   TP_STEP_LOOKUP_CHAN: step = tp_on_chan(&p, cfg, value of p.ckey or NULL);
 *   TP_STEP_LOOKUP_SEND: step = tp_on_send(&p, cfg, the send table's value of p.skey or
 *                        NULL); a dataplane without that table may stop here: p.reason is
 *                        already what a miss says (stun, for the engine);
 *   TP_STEP_CHECK_FINGERPRINT: a Send indication the send table holds a flow for carries a
 *                        FINGERPRINT: step = tp_on_fingerprint(&p, the CRC-32 of the p.fp_at
 *                        bytes at tp_stun_at(&p)) (tp_crc32() does it; after the lookup, so
 *                        that what has no flow costs no CRC);
 *   TP_STEP_LOOKUP_PEER: step = tp_on_peer(&p, cfg, value of p.pkey or NULL);
 *   TP_STEP_LOOKUP_PERM: step = tp_on_perm(&p, cfg, the permission table's value of p.pkey
 *                        or NULL); a dataplane without that table may stop here: p.reason
 *                        is already what a miss says;
 *   TP_STEP_REWRITE:     resolve the next hop for p.out_fam and p.out_dst (none yet: hand the
 *                        frame on untouched as no-next-hop); grow the front by
 *                        tp_head_delta(&p) bytes (negative: shrink; no room: untouched, as
 *                        no-headroom) and end the frame tp_out_len(&p) bytes after its new
 *                        start; for a Data indication (p.out_ind), set p.ind_seq (see
 *                        tp_emit_data_ind); then
 *                        p.reason = tp_rewrite(&p, new_frame, new_end, src_mac, dst_mac).
 *   TP_STEP_DONE:        p.reason says what to do; the frame is untouched.
 *
 * Classification (docs/ARCHITECTURE.md, "The fast path"): UDP to a bind address of the relay
 * and the listen port whose payload begins with the bits 01 is ChannelData, a Send indication
 * of the plain form the fast path takes (below) looks up the send table, anything else there
 * is the engine's; UDP to a port of
 * the allocation range is peer data, for the client as ChannelData where a channel is bound
 * (the peer table), else as a Data indication where the permission table holds the peer's
 * flow; everything else goes to the control thread or the kernel, as it came. Listen port, range
 * and addresses are run-time configuration, never constants.
 */
#ifndef TP_CORE_FASTPATH_H
#define TP_CORE_FASTPATH_H

#include "tp_binding.h"
#include "tp_crc.h"
#include "tp_csum.h"
#include "tp_types.h"
#include "tp_verdict.h"
#include "tp_wire.h"

/* Relayed addresses per family, at most (relay.ipv4.bind, relay.ipv6.bind): a power of two, so
 * that an index masked with it is one the BPF verifier sees in bounds. */
#define TP_RELAY_ADDRS_MAX 16

/*
 * What the relay is, set at run time (the XDP program gets it before load, in .rodata). Each
 * family has naddr relayed addresses, as bind (on the wire) and public (what clients see)
 * pairs; the first is also the one the relay listens on. A binding's relayed address is its
 * index there (relay_index in the tables' entries).
 */
struct tp_core_cfg {
	tp_be16 listen_port;
	tp_u16 port_min, port_max; /* allocation range, host order, inclusive */
	tp_u8 naddr4, naddr6;	   /* 0: the family is off */
	tp_u16 mtu; /* the egress interface's: the largest IP packet out (0: no limit) */
	tp_u8 reserved[2];
	tp_u8 bind4[TP_RELAY_ADDRS_MAX][4], public4[TP_RELAY_ADDRS_MAX][4];
	tp_u8 bind6[TP_RELAY_ADDRS_MAX][16], public6[TP_RELAY_ADDRS_MAX][16];
} TP_ALIGNED4;

enum tp_step {
	TP_STEP_DONE,
	TP_STEP_LOOKUP_CHAN,
	TP_STEP_LOOKUP_SEND,
	TP_STEP_CHECK_FINGERPRINT,
	TP_STEP_LOOKUP_PEER,
	TP_STEP_LOOKUP_PERM,
	TP_STEP_REWRITE,
};

/*
 * One frame on its way through: the input fields, copied out of the headers so a rewrite may
 * write over them, the lookup keys, and the output the decision chose.
 */
struct tp_pkt {
	/* Not zeroed: each is written whole before anything reads it. First, so that the BPF
	 * verifier, which cannot tie an address's length to its family, sees any 16-byte read
	 * at an IPv4 address's offset still inside the struct. */
	tp_u8 src[16], dst[16]; /* 16-byte forms: IPv4-mapped for IPv4 */
	union {			/* the client table's key: a frame looks up one of them at most */
		struct tp_chan_key ckey;
		struct tp_send_key skey;
	};
	tp_u8 out_src[16], out_dst[16];

	/* Zeroed by tp_classify: everything from here on. */
	enum tp_reason reason;
	tp_u16 l3;   /* offset of the IP header: Ethernet plus any 802.1Q tag */
	tp_u16 data; /* offset of the relayed bytes */
	tp_u16 data_len;
	tp_u8 vlan; /* an 802.1Q tag follows the MAC addresses */
	tp_be16 vlan_tci;

	tp_u8 in_fam, in_cd; /* family; ChannelData (1) or peer UDP (0) */
	tp_u8 relay_index;   /* which of the relay's bind addresses it came to */
	tp_u8 in_send;	     /* a Send indication (in_cd 0) */
	tp_u16 fp_at;  /* its FINGERPRINT's offset in the message (what the CRC covers); 0: none */
	tp_u8 fp_next; /* the step after the FINGERPRINT holds (enum tp_step) */
	tp_be32 fp;    /* and value */
	tp_u8 out_df;  /* IPv4 out: DF set (a Send indication's DONT-FRAGMENT) */
	tp_u8 ttl, tos;
	tp_be16 ip_frag; /* IPv4 flags as they came: DF, perhaps the reserved bit; offset 0 */
	tp_be16 ip_id, ip_check, ip_len, udp_check, udp_len;
	tp_be16 sport, dport, channel, cd_len;
	tp_u32 pad_fix; /* checksum words of what the UDP payload carries besides the data and
			 * the ChannelData header: its padding, or a Send indication's STUN bytes */

	struct tp_peer_key pkey; /* its reserved bytes must be zero */

	tp_u8 out_fam, out_cd, hairpin;
	tp_u8 out_ind;	   /* out to the client as a Data indication (out_cd is 0 then) */
	tp_u8 out_pad;	   /* zeros after the data: a Data indication's DATA padding */
	tp_u16 out_l7_len; /* bytes in front of the data in the UDP payload: 0, ChannelData's
			    * header, a Data indication's STUN bytes */
	tp_u32 ind_seq;	   /* Data indication: the dataplane's count, for its transaction ID */
	tp_be16 out_sport, out_dport, out_channel;
	tp_u32 slot;	   /* the binding (its slot) whose counters this frame adds to */
	tp_u32 slot_in;	   /* hairpin: the receiving binding as well */
	tp_u32 flow_label; /* IPv6 out: the label, where the dataplane keeps it; 0: computed */
};

TP_CORE_INLINE tp_u16
tp_core_iplen(tp_u8 fam)
{
	return fam == TP_FAM_V4 ? 4 : 16;
}

/* The 4 or 16 address bytes within a 16-byte form. */
TP_CORE_INLINE const tp_u8 *
tp_ip_bytes(const tp_u8 ip16[16], tp_u8 fam)
{
	return fam == TP_FAM_V4 ? ip16 + 12 : ip16;
}

TP_CORE_INLINE int
tp_bytes_eq(const tp_u8 *a, const tp_u8 *b, unsigned n)
{
	tp_u8 diff = 0;

	for (unsigned i = 0; i < n; i++)
		diff |= a[i] ^ b[i];
	return diff == 0;
}

/*
 * Two addresses' bytes (4 or 16) equal, compared 32 bits at a time; a and b 4-byte aligned.
 * The addresses the core reads this way (here, tp_csum_addr(), tp_flow_label()) are: struct
 * tp_pkt's and the tables' values by their 32-bit fields, the keys and struct tp_core_cfg by
 * TP_ALIGNED4 (the static asserts below and in tp_binding.h hold the offsets). Reading through
 * a 32-bit type says so, which the BPF backend needs: it reads memory of unknown alignment a
 * byte at a time, 32 loads for an IPv6 address where 8 do.
 */
TP_CORE_INLINE int
tp_ip_eq(const tp_u8 *a, const tp_u8 *b, unsigned len)
{
	const tp_u32_word *x = (const tp_u32_word *)(const void *)a;
	const tp_u32_word *y = (const tp_u32_word *)(const void *)b;
	tp_u32 diff = 0;

	for (unsigned i = 0; i < len / 4; i++)
		diff |= x[i] ^ y[i];
	return diff == 0;
}

/* The relay's relayed address index i of family fam, bind (public 0) or public (1): its bytes
 * (4 or 16). */
TP_CORE_INLINE const tp_u8 *
tp_relay_ip(const struct tp_core_cfg *cfg, tp_u8 fam, tp_u8 i, int public_)
{
	i &= TP_RELAY_ADDRS_MAX - 1;
	if (fam == TP_FAM_V4)
		return public_ ? cfg->public4[i] : cfg->bind4[i];
	return public_ ? cfg->public6[i] : cfg->bind6[i];
}

/* The same in 16-byte form. */
TP_CORE_INLINE void
tp_relay_ip16(tp_u8 out[16], const struct tp_core_cfg *cfg, tp_u8 fam, tp_u8 i, int public_)
{
	tp_ip_to16(out, tp_relay_ip(cfg, fam, i, public_), fam);
}

TP_STATIC_ASSERT(__alignof__(struct tp_pkt) >= 4 &&
			 __builtin_offsetof(struct tp_pkt, src) % 4 == 0 &&
			 __builtin_offsetof(struct tp_pkt, dst) % 4 == 0 &&
			 __builtin_offsetof(struct tp_pkt, out_src) % 4 == 0 &&
			 __builtin_offsetof(struct tp_pkt, out_dst) % 4 == 0 &&
			 __builtin_offsetof(struct tp_pkt, skey.peer_ip) % 4 == 0 &&
			 __builtin_offsetof(struct tp_pkt, pkey.peer_ip) % 4 == 0,
		 "the frame's addresses are read 32 bits at a time (tp_ip_eq())");
TP_STATIC_ASSERT(__alignof__(struct tp_core_cfg) >= 4 &&
			 __builtin_offsetof(struct tp_core_cfg, bind4) % 4 == 0 &&
			 __builtin_offsetof(struct tp_core_cfg, public4) % 4 == 0 &&
			 __builtin_offsetof(struct tp_core_cfg, bind6) % 4 == 0 &&
			 __builtin_offsetof(struct tp_core_cfg, public6) % 4 == 0,
		 "the relay's addresses are read 32 bits at a time (tp_ip_eq())");

/* Which of the relay's addresses tp_relay_index() compares with: its bind addresses, its
 * public ones, or both (the relay's own). */
enum tp_relay_side { TP_RELAY_BIND = 1, TP_RELAY_PUBLIC = 2, TP_RELAY_OWN = 3 };

/* Which of the relay's addresses of family fam, on side, is ip (16-byte form, 4-byte aligned:
 * tp_ip_eq())? Its index, or -1. Both sides in one pass: no address is one pair's public and
 * another's bind (the configuration refuses it). */
TP_CORE_INLINE int
tp_relay_index(const struct tp_core_cfg *cfg, tp_u8 fam, const tp_u8 ip[16],
	       enum tp_relay_side side)
{
	tp_u8 n = fam == TP_FAM_V4 ? cfg->naddr4 : cfg->naddr6;
	const tp_u8 *b = tp_ip_bytes(ip, fam);
	unsigned len = tp_core_iplen(fam);

	for (int i = 0; i < TP_RELAY_ADDRS_MAX; i++) {
		if (i >= n)
			break;
		if (((side & TP_RELAY_BIND) &&
		     tp_ip_eq(b, tp_relay_ip(cfg, fam, (tp_u8)i, 0), len)) ||
		    ((side & TP_RELAY_PUBLIC) &&
		     tp_ip_eq(b, tp_relay_ip(cfg, fam, (tp_u8)i, 1), len)))
			return i;
	}
	return -1;
}

TP_CORE_INLINE int
tp_in_range(const struct tp_core_cfg *cfg, tp_be16 port)
{
	tp_u16 h = tp_ntohs(port);

	return h >= cfg->port_min && h <= cfg->port_max;
}

/* Record the final reason; 1 tells a parse step to stop. */
TP_CORE_INLINE int
tp_stop(struct tp_pkt *p, enum tp_reason r)
{
	p->reason = r;
	return 1;
}

/* IPv4 at p->l3: fills the IP fields, *len = the IP payload length. */
TP_CORE_INLINE int
tp_parse_ipv4(struct tp_pkt *p, const struct tp_core_cfg *cfg, const tp_u8 *frame, const tp_u8 *end,
	      tp_u16 *len)
{
	const struct tp_ipv4_hdr *ip = (const struct tp_ipv4_hdr *)(frame + p->l3);
	tp_u16 tot, frag;
	int at;

	if ((const tp_u8 *)(ip + 1) > end)
		return tp_stop(p, TP_R_TRUNCATED);
	if (ip->ver_ihl >> 4 != 4 || (ip->ver_ihl & 0xf) < 5)
		return tp_stop(p, TP_R_BAD_IP_HEADER);
	p->in_fam = TP_FAM_V4;
	tp_ip_to16(p->src, ip->saddr, TP_FAM_V4);
	tp_ip_to16(p->dst, ip->daddr, TP_FAM_V4);
	if ((at = tp_relay_index(cfg, TP_FAM_V4, p->dst, TP_RELAY_BIND)) < 0)
		return tp_stop(p, TP_R_NOT_FOR_RELAY);
	p->relay_index = (tp_u8)at;
	if ((ip->ver_ihl & 0xf) != 5)
		return tp_stop(p, TP_R_IPV4_OPTIONS);
	frag = tp_ntohs(ip->frag_off);
	if (frag & (TP_IPV4_MF | TP_IPV4_OFFMASK))
		return tp_stop(p, TP_R_IPV4_FRAGMENT);
	if (ip->protocol != TP_IPPROTO_UDP)
		return tp_stop(p, TP_R_NOT_UDP);
	tot = tp_ntohs(ip->tot_len);
	if (tot < TP_IPV4_HLEN)
		return tp_stop(p, TP_R_BAD_IP_HEADER);
	if (frame + p->l3 + tot > end)
		return tp_stop(p, TP_R_TRUNCATED);
	if (tp_csum_fold(tp_csum_words(0, ip, TP_IPV4_HLEN, 0)) != 0xffff)
		return tp_stop(p, TP_R_BAD_IP_CHECKSUM);
	p->ttl = ip->ttl;
	p->tos = ip->tos;
	p->ip_frag = ip->frag_off;
	p->ip_id = ip->id;
	p->ip_check = ip->check;
	p->ip_len = ip->tot_len;
	*len = (tp_u16)(tot - TP_IPV4_HLEN);
	return 0;
}

/* IPv6 at p->l3, no extension headers on the fast path. */
TP_CORE_INLINE int
tp_parse_ipv6(struct tp_pkt *p, const struct tp_core_cfg *cfg, const tp_u8 *frame, const tp_u8 *end,
	      tp_u16 *len)
{
	const struct tp_ipv6_hdr *ip = (const struct tp_ipv6_hdr *)(frame + p->l3);
	tp_u16 plen;
	int at;

	if ((const tp_u8 *)(ip + 1) > end)
		return tp_stop(p, TP_R_TRUNCATED);
	if (ip->vtc_flow[0] >> 4 != 6)
		return tp_stop(p, TP_R_BAD_IP_HEADER);
	p->in_fam = TP_FAM_V6;
	tp_memcpy(p->src, ip->saddr, 16);
	tp_memcpy(p->dst, ip->daddr, 16);
	if ((at = tp_relay_index(cfg, TP_FAM_V6, p->dst, TP_RELAY_BIND)) < 0)
		return tp_stop(p, TP_R_NOT_FOR_RELAY);
	p->relay_index = (tp_u8)at;
	switch (ip->nexthdr) {
	case TP_IPPROTO_UDP:
		break;
	case 0:	  /* hop-by-hop */
	case 43:  /* routing */
	case 44:  /* fragment */
	case 50:  /* ESP */
	case 51:  /* AH */
	case 60:  /* destination options */
	case 135: /* mobility */
	case 139: /* HIP */
	case 140: /* shim6 */
		return tp_stop(p, TP_R_IPV6_EXTENSION);
	default:
		return tp_stop(p, TP_R_NOT_UDP);
	}
	plen = tp_ntohs(ip->payload_len);
	if (frame + p->l3 + TP_IPV6_HLEN + plen > end)
		return tp_stop(p, TP_R_TRUNCATED);
	p->ttl = ip->hop_limit;
	p->tos = (tp_u8)(ip->vtc_flow[0] << 4 | ip->vtc_flow[1] >> 4);
	p->ip_len = ip->payload_len;
	*len = plen;
	return 0;
}

/*
 * ChannelData on the listen port: the length field rules (RFC 8656 section 12.5) and up to
 * three bytes of padding may follow. What the padding adds to the UDP checksum is kept, so
 * the rewrite strips it without reading the frame again.
 */
TP_CORE_INLINE enum tp_step
tp_classify_cd(struct tp_pkt *p, const tp_u8 *frame, const tp_u8 *end, tp_u16 udp_payload)
{
	const struct tp_cd_hdr *cd = (const struct tp_cd_hdr *)(frame + p->data);
	tp_u16 dlen, pad, at;
	tp_u32 fix = 0;

	if ((const tp_u8 *)(cd + 1) > end) {
		p->reason = TP_R_TRUNCATED;
		return TP_STEP_DONE;
	}
	dlen = tp_ntohs(cd->len);
	if ((tp_u32)dlen + TP_CD_HLEN > udp_payload || udp_payload - TP_CD_HLEN - dlen > 3) {
		p->reason = TP_R_BAD_CHANNEL_LENGTH;
		return TP_STEP_DONE;
	}
	pad = (tp_u16)(udp_payload - TP_CD_HLEN - dlen);
	p->in_cd = 1;
	p->channel = cd->channel;
	p->cd_len = cd->len;
	p->data += TP_CD_HLEN;
	p->data_len = dlen;
	at = (tp_u16)(p->data + dlen);
	for (tp_u16 i = 0; i < 3; i++) {
		tp_u16 off = (tp_u16)(at + i);
		const tp_u8 *b = frame + (off & TP_MAX_FRAME);

		if (i >= pad || off > TP_MAX_FRAME || b + 1 > end)
			break;
		/* The data starts at UDP offset 12, so UDP offset parity is dlen + i's. */
		fix += tp_csum_byte(*b, (dlen + i) & 1);
	}
	p->pad_fix = tp_csum_fold(fix);

	tp_memcpy(p->ckey.client_ip, p->src, 16);
	p->ckey.client_port = p->sport;
	p->ckey.channel = p->channel;
	return TP_STEP_LOOKUP_CHAN;
}

/* Attributes a Send indication the fast path takes may carry: XOR-PEER-ADDRESS, DATA and
 * DONT-FRAGMENT, each once, and FINGERPRINT last. */
#define TP_SEND_MAX_ATTRS 4

/* Where a STUN message on the listen port starts: the UDP payload. */
TP_CORE_INLINE tp_u16
tp_stun_at(const struct tp_pkt *p)
{
	return (tp_u16)(p->l3 + (p->in_fam == TP_FAM_V4 ? TP_IPV4_HLEN : TP_IPV6_HLEN) +
			TP_UDP_HLEN);
}

/* Does a Send indication's FINGERPRINT hold, crc being the CRC-32 of the message's first
 * p->fp_at bytes? (RFC 8489 section 14.7.) */
TP_CORE_INLINE int
tp_fingerprint_ok(const struct tp_pkt *p, tp_u32 crc)
{
	return (crc ^ TP_STUN_FINGERPRINT_XOR) == tp_ntohl(p->fp);
}

/*
 * STUN on the listen port (p->reason stun): a Send indication (RFC 8656 section 11.2) of the
 * plain form the fast path takes, exactly as the engine would: the whole datagram one
 * message, XOR-PEER-ADDRESS (this relay's own address only in the allocation range: a
 * hairpin), DATA, perhaps DONT-FRAGMENT,
 * perhaps a FINGERPRINT (last, and verified, as the engine verifies it), nothing else (no
 * MESSAGE-INTEGRITY, nothing unknown, not even comprehension-optional). Its key for the send
 * table; anything else stays the engine's. What the datagram
 * carries besides the data (the STUN bytes, DATA's padding) is summed for the checksum, as
 * ChannelData's padding is.
 */
TP_CORE_INLINE enum tp_step
tp_classify_send(struct tp_pkt *p, const struct tp_core_cfg *cfg, const tp_u8 *frame,
		 const tp_u8 *end)
{
	const tp_u8 *m = frame + (p->data & TP_MAX_FRAME);
	const struct tp_stun_hdr *h = (const struct tp_stun_hdr *)m;
	tp_be32 cookie = tp_htonl(TP_STUN_COOKIE);
	tp_u16 off = TP_STUN_HLEN, data_at = 0, dlen = 0, mlen;
	tp_u8 fam = 0, df = 0;
	tp_be16 xport = 0;
	tp_u8 key[16]; /* XOR-PEER-ADDRESS's: the cookie and transaction ID, bytes 4 to 19 */
	tp_u32 sum;

	if (m + TP_STUN_HLEN > end || p->data_len < TP_STUN_HLEN)
		return TP_STEP_DONE;
	tp_memcpy(key, m + 4, 16);
	mlen = tp_ntohs(h->len);
	if (h->type != tp_htons(TP_STUN_SEND_IND) ||
	    !tp_bytes_eq(h->cookie, (const tp_u8 *)&cookie, 4) || (mlen & 3) ||
	    mlen + TP_STUN_HLEN != p->data_len)
		return TP_STEP_DONE;
	sum = tp_csum_words(0, m, TP_STUN_HLEN, 0);
	for (int i = 0; i < TP_SEND_MAX_ATTRS; i++) {
		const tp_u8 *a = m + (off & TP_MAX_FRAME);
		tp_u16 type, alen, pad;

		if (off >= p->data_len)
			break;
		if (a + TP_STUN_ATTR_HLEN > end)
			return TP_STEP_DONE;
		type = (tp_u16)(a[0] << 8 | a[1]);
		alen = (tp_u16)(a[2] << 8 | a[3]);
		pad = (tp_u16)(-alen & 3);
		if ((tp_u32)off + TP_STUN_ATTR_HLEN + alen + pad > p->data_len)
			return TP_STEP_DONE;
		sum = tp_csum_words(sum, a, TP_STUN_ATTR_HLEN, 0);
		if (type == TP_STUN_ATTR_XOR_PEER && !fam) {
			/* RFC 8489 section 14.2: XORed with the cookie, for IPv6 and the
			 * transaction ID after it. */
			if (alen == 8 && a + 12 <= end && a[5] == TP_FAM_V4) {
				fam = TP_FAM_V4;
				sum = tp_csum_words(sum, a + 4, 8, 0);
				tp_memset(p->skey.peer_ip, 0, 10);
				p->skey.peer_ip[10] = p->skey.peer_ip[11] = 0xff;
				for (int k = 0; k < 4; k++)
					p->skey.peer_ip[12 + k] = a[8 + k] ^ key[k];
			} else if (alen == 20 && a + 24 <= end && a[5] == TP_FAM_V6) {
				fam = TP_FAM_V6;
				sum = tp_csum_words(sum, a + 4, 20, 0);
				for (int k = 0; k < 16; k++)
					p->skey.peer_ip[k] = a[8 + k] ^ key[k];
			} else {
				return TP_STEP_DONE;
			}
			tp_memcpy(&xport, a + 6, 2);
		} else if (type == TP_STUN_ATTR_DATA && !data_at) {
			data_at = (tp_u16)(off + TP_STUN_ATTR_HLEN);
			dlen = alen;
			for (tp_u16 j = 0; j < 3; j++) {
				const tp_u8 *b = a + TP_STUN_ATTR_HLEN + (alen & TP_MAX_FRAME) + j;

				if (j >= pad)
					break;
				if (b + 1 > end)
					return TP_STEP_DONE;
				/* DATA's value starts 4-byte aligned: parity is alen + j's. */
				sum += tp_csum_byte(*b, (alen + j) & 1);
			}
		} else if (type == TP_STUN_ATTR_DONT_FRAG && alen == 0 && !df) {
			df = 1;
		} else if (type == TP_STUN_ATTR_FINGERPRINT && alen == 4 &&
			   off + 8 == p->data_len && a + 8 <= end) {
			p->fp_at = off;
			tp_memcpy(&p->fp, a + 4, 4);
			sum = tp_csum_words(sum, a + 4, 4, 0);
		} else {
			return TP_STEP_DONE;
		}
		off = (tp_u16)(off + TP_STUN_ATTR_HLEN + alen + pad);
	}
	if (off != p->data_len || !fam || !data_at)
		return TP_STEP_DONE;
	/* An IPv4-mapped IPv6 XOR-PEER-ADDRESS would meet the IPv4 peer's key: the engine's (it
	 * holds IPv6 permissions apart, and refuses the relay's own addresses so spelt). */
	if (fam == TP_FAM_V6 && tp_ip16_family(p->skey.peer_ip) == TP_FAM_V4)
		return TP_STEP_DONE;
	p->skey.peer_port = (tp_be16)(xport ^ tp_htons(TP_STUN_COOKIE >> 16));
	/* This relay itself outside the allocation range: the engine's (peers.allow-relay-ports);
	 * in it, a hairpin like a channel's. */
	if (!tp_in_range(cfg, p->skey.peer_port) &&
	    tp_relay_index(cfg, fam, p->skey.peer_ip, TP_RELAY_OWN) >= 0)
		return TP_STEP_DONE;
	p->in_send = 1;
	p->out_df = df;
	p->pad_fix = tp_csum_fold(sum);
	p->data = (tp_u16)(p->data + data_at);
	p->data_len = dlen;
	tp_memcpy(p->skey.client_ip, p->src, 16);
	p->skey.client_port = p->sport;
	return TP_STEP_LOOKUP_SEND;
}

/* Parse a frame and decide which table it needs, if any. */
TP_CORE_INLINE enum tp_step
tp_classify(struct tp_pkt *p, const tp_u8 *frame, const tp_u8 *end, const struct tp_core_cfg *cfg)
{
	const struct tp_eth_hdr *eth = (const struct tp_eth_hdr *)frame;
	const struct tp_udp_hdr *udp;
	tp_u16 type, ip_payload = 0, ulen;

	/* Only the part that needs it: zeroing all of it was a tenth of the work per frame. */
	tp_memset(&p->reason, 0, sizeof(*p) - __builtin_offsetof(struct tp_pkt, reason));
	if ((const tp_u8 *)(eth + 1) > end) {
		p->reason = TP_R_TRUNCATED;
		return TP_STEP_DONE;
	}
	p->l3 = TP_ETH_HLEN;
	type = tp_ntohs(eth->type);
	if (type == TP_ETH_P_8021Q) {
		const struct tp_vlan_hdr *vlan = (const struct tp_vlan_hdr *)(eth + 1);

		if ((const tp_u8 *)(vlan + 1) > end) {
			p->reason = TP_R_TRUNCATED;
			return TP_STEP_DONE;
		}
		p->vlan = 1;
		p->vlan_tci = vlan->tci;
		p->l3 += TP_VLAN_HLEN;
		type = tp_ntohs(vlan->type);
	}
	if (type == TP_ETH_P_IPV4) {
		if (tp_parse_ipv4(p, cfg, frame, end, &ip_payload))
			return TP_STEP_DONE;
	} else if (type == TP_ETH_P_IPV6) {
		if (tp_parse_ipv6(p, cfg, frame, end, &ip_payload))
			return TP_STEP_DONE;
	} else {
		p->reason = TP_R_NOT_IP;
		return TP_STEP_DONE;
	}

	p->data = (tp_u16)(p->l3 + (p->in_fam == TP_FAM_V4 ? TP_IPV4_HLEN : TP_IPV6_HLEN));
	udp = (const struct tp_udp_hdr *)(frame + p->data);
	if ((const tp_u8 *)(udp + 1) > end) {
		p->reason = TP_R_TRUNCATED;
		return TP_STEP_DONE;
	}
	ulen = tp_ntohs(udp->len);
	if (ulen < TP_UDP_HLEN || ulen != ip_payload) {
		p->reason = TP_R_BAD_UDP_LENGTH;
		return TP_STEP_DONE;
	}
	p->sport = udp->source;
	p->dport = udp->dest;
	p->udp_len = udp->len;
	p->udp_check = udp->check;
	p->data += TP_UDP_HLEN;
	p->data_len = (tp_u16)(ulen - TP_UDP_HLEN);

	if (p->in_fam == TP_FAM_V6 && p->udp_check == 0 &&
	    ((udp->dest == cfg->listen_port && !p->relay_index) || tp_in_range(cfg, udp->dest))) {
		p->reason = TP_R_UDP6_NO_CHECKSUM;
		return TP_STEP_DONE;
	}
	/* The relay listens on its first address alone; the others only relay. */
	if (udp->dest == cfg->listen_port && !p->relay_index) {
		const tp_u8 *first = frame + p->data;

		/* RFC 7983 demultiplexing: 0x40-0x7F is a channel number, the rest the engine's.
		 * (The bound is known from the lengths; the BPF verifier wants to see it.) */
		if (p->data_len < TP_CD_HLEN || first + 1 > end || (*first & 0xc0) != 0x40) {
			p->reason = TP_R_STUN;
			if (first + 1 <= end && (*first & 0xc0) == 0)
				return tp_classify_send(p, cfg, frame, end);
			return TP_STEP_DONE;
		}
		return tp_classify_cd(p, frame, end, p->data_len);
	}
	if (tp_in_range(cfg, udp->dest)) {
		tp_memcpy(p->pkey.peer_ip, p->src, 16);
		p->pkey.peer_port = p->sport;
		p->pkey.alloc_port = p->dport;
		p->pkey.family = p->in_fam;
		p->pkey.relay_index = p->relay_index;
		return TP_STEP_LOOKUP_PEER;
	}
	p->reason = TP_R_OTHER_PORT;
	return TP_STEP_DONE;
}

/* The hop this relay adds: a frame whose TTL would reach 0 goes no further. */
TP_CORE_INLINE int
tp_ttl_ok(struct tp_pkt *p)
{
	if (p->ttl > 1)
		return 1;
	p->reason = TP_R_TTL_EXPIRED;
	return 0;
}

/* Does the output fit the egress MTU (cfg->mtu)? TP_STEP_REWRITE, or the engine's (too-big):
 * its own sending fragments where IP lets it, the fast path never does. Defined below, with
 * the output's lengths. */
TP_CORE_INLINE enum tp_step tp_fits(struct tp_pkt *p, const struct tp_core_cfg *cfg);

/*
 * The key under which the receiving allocation of a hairpin (its relayed address at index far)
 * holds the far end of binding v: its peer table's, where the data is seen as coming from this
 * allocation's public relayed address.
 */
TP_CORE_INLINE void
tp_hairpin_key_at(struct tp_peer_key *k, const struct tp_core_cfg *cfg, const struct tp_chan_val *v,
		  int far)
{
	tp_relay_ip16(k->peer_ip, cfg, v->family, v->relay_index, 1);
	k->peer_port = v->alloc_port;
	k->alloc_port = v->peer_port;
	k->family = v->family;
	k->relay_index = (tp_u8)far;
	k->reserved[0] = k->reserved[1] = 0;
}

/*
 * For the tables' writers: is binding v (a channel's, or a send table's value) the sending side
 * of a hairpin? Then 1, and *k the key of its far end's peer entry, as tp_to_peer() makes it.
 */
TP_CORE_INLINE int
tp_hairpin_key(struct tp_peer_key *k, const struct tp_core_cfg *cfg, const struct tp_chan_val *v)
{
	int far = tp_relay_index(cfg, v->family, v->peer_ip, TP_RELAY_OWN);

	if (far < 0 || !tp_in_range(cfg, v->peer_port))
		return 0;
	tp_hairpin_key_at(k, cfg, v, far);
	return 1;
}

/*
 * The other way, for the tables' writers: where peer entry k is a hairpin's far end (its peer a
 * public relayed address: 1, else 0), the key of the sending allocation's own peer entry for
 * the receiving one, as a peer would reach it at the receiving allocation's public (pub) or bind
 * address. The engine writes a binding's two entries together, so that entry's value names the
 * client and channel whose channel entry sends to k.
 */
TP_CORE_INLINE int
tp_hairpin_back(struct tp_peer_key *back, const struct tp_core_cfg *cfg,
		const struct tp_peer_key *k, int pub)
{
	int from = tp_relay_index(cfg, k->family, k->peer_ip, TP_RELAY_PUBLIC);

	if (from < 0)
		return 0;
	tp_relay_ip16(back->peer_ip, cfg, k->family, k->relay_index, pub);
	back->peer_port = k->alloc_port;
	back->alloc_port = k->peer_port;
	back->family = k->family;
	back->relay_index = (tp_u8)from;
	back->reserved[0] = back->reserved[1] = 0;
	return 1;
}

/*
 * Data from a client for the peer of binding v (the channel table's value, or the send
 * table's). The peer is a peer on the network, or one of this relay's own public addresses in
 * the allocation range: a hairpin, which one more lookup (the receiving allocation's peer
 * table, then its permission table) completes. Nothing is delivered twice: the far side of a
 * hairpin is a client, never another relay hop.
 */
TP_CORE_INLINE enum tp_step
tp_to_peer(struct tp_pkt *p, const struct tp_core_cfg *cfg, const struct tp_chan_val *v)
{
	int far;

	p->slot = v->slot;
	p->out_fam = v->family;
	p->out_dport = v->peer_port;
	tp_memcpy(p->out_dst, v->peer_ip, 16);
	p->out_sport = v->alloc_port;
	if ((far = tp_relay_index(cfg, v->family, v->peer_ip, TP_RELAY_OWN)) >= 0) {
		if (!tp_in_range(cfg, v->peer_port)) {
			p->reason = TP_R_PEER_IS_RELAY;
			return TP_STEP_DONE;
		}
		p->hairpin = 1;
		tp_hairpin_key_at(&p->pkey, cfg, v, far);
		return TP_STEP_LOOKUP_PEER;
	}
	if (!tp_ttl_ok(p))
		return TP_STEP_DONE;
	tp_relay_ip16(p->out_src, cfg, v->family, v->relay_index, 0);
	p->out_cd = 0;
	return tp_fits(p, cfg);
}

/* The channel table's answer for ChannelData. */
TP_CORE_INLINE enum tp_step
tp_on_chan(struct tp_pkt *p, const struct tp_core_cfg *cfg, const struct tp_chan_val *v)
{
	if (!v) {
		p->reason = TP_R_NO_CHANNEL;
		return TP_STEP_DONE;
	}
	return tp_to_peer(p, cfg, v);
}

/*
 * The send table's answer for a Send indication: the permission's flow of that client and
 * peer transport address, written by the engine once the flow's first datagram went through
 * it, to the peer as UDP from the relayed address (or, a hairpin, to another client of this
 * relay). Without one, the engine decides (stun).
 */
TP_CORE_INLINE enum tp_step
tp_on_send(struct tp_pkt *p, const struct tp_core_cfg *cfg, const struct tp_chan_val *v)
{
	enum tp_step next;

	if (!v)
		return TP_STEP_DONE;
	next = tp_to_peer(p, cfg, v);
	if (!p->fp_at || next == TP_STEP_DONE)
		return next;
	p->fp_next = (tp_u8)next;
	return TP_STEP_CHECK_FINGERPRINT;
}

/* The FINGERPRINT's verdict, crc being the CRC-32 of the message up to it: on as the send
 * table's answer said, or (wrong) the engine's, which drops it (stun). */
TP_CORE_INLINE enum tp_step
tp_on_fingerprint(struct tp_pkt *p, tp_u32 crc)
{
	if (tp_fingerprint_ok(p, crc))
		return (enum tp_step)p->fp_next;
	p->reason = TP_R_STUN;
	return TP_STEP_DONE;
}

/* A Data indication's bytes in front of the data: the STUN header, XOR-PEER-ADDRESS (the
 * peer's family: p->pkey's) and DATA's attribute header. */
TP_CORE_INLINE tp_u16
tp_ind_hdr_len(const struct tp_pkt *p)
{
	return (tp_u16)(TP_STUN_HLEN + TP_STUN_ATTR_HLEN + (p->pkey.family == TP_FAM_V4 ? 8 : 20) +
			TP_STUN_ATTR_HLEN);
}

/* Data for the client of binding v: ChannelData on its channel, or (ind) a Data indication. */
TP_CORE_INLINE enum tp_step
tp_to_client(struct tp_pkt *p, const struct tp_core_cfg *cfg, const struct tp_peer_val *v, int ind)
{
	if (!tp_ttl_ok(p))
		return TP_STEP_DONE;
	if (p->hairpin)
		p->slot_in = v->slot;
	else
		p->slot = v->slot;
	p->out_fam = tp_ip16_family(v->client_ip);
	tp_memcpy(p->out_dst, v->client_ip, 16);
	p->out_dport = v->client_port;
	tp_relay_ip16(p->out_src, cfg, p->out_fam, 0, 0); /* the listen address */
	p->out_sport = cfg->listen_port;
	p->out_cd = (tp_u8)!ind;
	p->out_ind = (tp_u8)ind;
	p->out_l7_len = ind ? tp_ind_hdr_len(p) : TP_CD_HLEN;
	p->out_pad = ind ? (tp_u8)(-p->data_len & 3) : 0;
	p->out_channel = v->channel;
	return tp_fits(p, cfg);
}

/*
 * The peer table's answer, for peer data or the second half of a hairpin: ChannelData to
 * the client, from the relay's listen address in the client's family. Without a channel, the
 * permission table is next (p.pkey again); its miss is this reason.
 */
TP_CORE_INLINE enum tp_step
tp_on_peer(struct tp_pkt *p, const struct tp_core_cfg *cfg, const struct tp_peer_val *v)
{
	if (!v) {
		p->reason = p->hairpin ? TP_R_HAIRPIN_NO_CHANNEL : TP_R_PEER_NO_CHANNEL;
		return TP_STEP_LOOKUP_PERM;
	}
	return tp_to_client(p, cfg, v, 0);
}

/*
 * The permission table's answer: the flow of a peer transport address that holds a
 * permission at this relayed address (its value's channel is 0), written by the engine once
 * the flow's first datagram went through it. Its data goes to the client as a Data
 * indication (RFC 8656 section 11.4); without one, the engine decides (p.reason as the peer
 * table's miss left it).
 */
TP_CORE_INLINE enum tp_step
tp_on_perm(struct tp_pkt *p, const struct tp_core_cfg *cfg, const struct tp_peer_val *v)
{
	if (!v)
		return TP_STEP_DONE;
	return tp_to_client(p, cfg, v, 1);
}

/* What the output's UDP payload carries in front of the data, and the zeros behind it (DATA
 * padded to 4 bytes). */
TP_CORE_INLINE tp_u16
tp_out_l7_hdr_len(const struct tp_pkt *p)
{
	return p->out_l7_len;
}

TP_CORE_INLINE tp_u16
tp_out_pad(const struct tp_pkt *p)
{
	return p->out_pad;
}

/* Header bytes in front of the data, before and after the rewrite. */
TP_CORE_INLINE tp_u16
tp_out_hdr_len(const struct tp_pkt *p)
{
	return (tp_u16)(p->l3 + (p->out_fam == TP_FAM_V4 ? TP_IPV4_HLEN : TP_IPV6_HLEN) +
			TP_UDP_HLEN + tp_out_l7_hdr_len(p));
}

/* Bytes to add in front of the frame (negative: to remove). The data never moves. */
TP_CORE_INLINE tp_s32
tp_head_delta(const struct tp_pkt *p)
{
	return (tp_s32)tp_out_hdr_len(p) - (tp_s32)p->data;
}

/* Length of the rewritten frame: headers, data and a Data indication's padding; what came
 * after the data (ChannelData padding, Ethernet trailers) is cut. */
TP_CORE_INLINE tp_u32
tp_out_len(const struct tp_pkt *p)
{
	return (tp_u32)tp_out_hdr_len(p) + p->data_len + tp_out_pad(p);
}

TP_CORE_INLINE enum tp_step
tp_fits(struct tp_pkt *p, const struct tp_core_cfg *cfg)
{
	if (cfg->mtu && tp_out_len(p) - p->l3 > cfg->mtu) {
		p->reason = TP_R_TOO_BIG;
		return TP_STEP_DONE;
	}
	return TP_STEP_REWRITE;
}

/* Must the payload be summed: IPv4 without UDP checksum leaving as IPv6 (RFC 8200 wants one). */
TP_CORE_INLINE int
tp_needs_full_csum(const struct tp_pkt *p)
{
	return p->in_fam == TP_FAM_V4 && p->udp_check == 0 && p->out_fam == TP_FAM_V6;
}

/*
 * Add (sub 0) or remove (sub 1) what the incoming datagram's UDP checksum covers besides the
 * data: the pseudo-header, the UDP header, and for ChannelData its header and padding.
 */
TP_CORE_INLINE tp_u32
tp_csum_in_headers(tp_u32 sum, const struct tp_pkt *p, int sub)
{
	sum = tp_csum_pseudo(sum, tp_ip_bytes(p->src, p->in_fam), tp_ip_bytes(p->dst, p->in_fam),
			     tp_core_iplen(p->in_fam), tp_ntohs(p->udp_len), sub);
	sum = tp_csum_word(sum, p->sport, sub);
	sum = tp_csum_word(sum, p->dport, sub);
	sum = tp_csum_word(sum, p->udp_len, sub);
	if (p->in_cd) {
		sum = tp_csum_word(sum, p->channel, sub);
		sum = tp_csum_word(sum, p->cd_len, sub);
	}
	if (p->in_cd || p->in_send)
		sum = tp_csum_word(sum, (tp_u16)p->pad_fix, sub);
	return sum;
}

/*
 * For a caller that sums the payload itself where tp_needs_full_csum() (the XDP program: the
 * core's own loop over the payload is not one the BPF verifier can bound). sum is the one's
 * complement sum of the p->data_len bytes at p->data, as tp_csum_partial() gives it. The
 * datagram then carries the checksum its sender could have sent (pseudo-header, UDP and
 * ChannelData headers, padding and data), which the rewrite updates like any other: the
 * output is exactly what a core that sums the payload writes.
 */
TP_CORE_INLINE void
tp_set_payload_sum(struct tp_pkt *p, tp_u32 sum)
{
	sum = tp_csum_in_headers(sum, p, 0);
	p->udp_check = tp_csum_udp_final(sum); /* never 0, so no longer a datagram without one */
}

#include "tp_rewrite.h"

#endif
