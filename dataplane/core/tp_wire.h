/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Wire headers the fast path reads and writes: Ethernet with one optional 802.1Q tag, IPv4,
 * IPv6, UDP and the TURN ChannelData header. Fields are bytes and 16-bit big-endian words
 * only, so every header may sit at any even offset of a frame (IPv4 after a 14-byte Ethernet
 * header is 2-aligned, not 4); 32-bit quantities are copied out when needed.
 */
#ifndef TP_CORE_WIRE_H
#define TP_CORE_WIRE_H

#include "tp_types.h"

#define TP_ETH_ALEN	6
#define TP_ETH_HLEN	14
#define TP_VLAN_HLEN	4
#define TP_ETH_P_IPV4	0x0800
#define TP_ETH_P_IPV6	0x86DD
#define TP_ETH_P_8021Q	0x8100
#define TP_IPV4_HLEN	20
#define TP_IPV6_HLEN	40
#define TP_UDP_HLEN	8
#define TP_CD_HLEN	4
#define TP_IPPROTO_UDP	17
#define TP_IPV4_DF	0x4000
#define TP_IPV4_MF	0x2000
#define TP_IPV4_OFFMASK 0x1FFF
/* Longest frame the fast path handles (9000-byte jumbo frames fit); offsets are bounded by
 * it so the BPF verifier can follow every variable-offset packet access. */
#define TP_MAX_FRAME 0x3FFF
/* Largest headers a rewrite writes: Ethernet, 802.1Q, IPv6, UDP, ChannelData. */
#define TP_MAX_HDRS (TP_ETH_HLEN + TP_VLAN_HLEN + TP_IPV6_HLEN + TP_UDP_HLEN + TP_CD_HLEN)

struct tp_eth_hdr {
	tp_u8 dst[TP_ETH_ALEN];
	tp_u8 src[TP_ETH_ALEN];
	tp_be16 type;
};

struct tp_vlan_hdr {
	tp_be16 tci;
	tp_be16 type;
};

struct tp_ipv4_hdr {
	tp_u8 ver_ihl;
	tp_u8 tos;
	tp_be16 tot_len;
	tp_be16 id;
	tp_be16 frag_off;
	tp_u8 ttl;
	tp_u8 protocol;
	tp_be16 check;
	tp_u8 saddr[4];
	tp_u8 daddr[4];
};

struct tp_ipv6_hdr {
	tp_u8 vtc_flow[4]; /* version 4 bits, traffic class 8, flow label 20 */
	tp_be16 payload_len;
	tp_u8 nexthdr;
	tp_u8 hop_limit;
	tp_u8 saddr[16];
	tp_u8 daddr[16];
};

struct tp_udp_hdr {
	tp_be16 source;
	tp_be16 dest;
	tp_be16 len;
	tp_be16 check;
};

/* RFC 8656 section 12.4: channel number, then the length of the data that follows. */
struct tp_cd_hdr {
	tp_be16 channel;
	tp_be16 len;
};

/*
 * A STUN message's header (RFC 8489 section 5) and an attribute's (section 14), as Send and
 * Data indications (RFC 8656 sections 11.2 and 11.4) need them: XOR-PEER-ADDRESS, DATA and
 * DONT-FRAGMENT.
 */
#define TP_STUN_HLEN		 20
#define TP_STUN_ATTR_HLEN	 4
#define TP_STUN_COOKIE		 0x2112A442
#define TP_STUN_SEND_IND	 0x0016 /* Send, class indication */
#define TP_STUN_DATA_IND	 0x0017 /* Data, class indication */
#define TP_STUN_ATTR_DONT_FRAG	 0x001A
#define TP_STUN_ATTR_FINGERPRINT 0x8028
#define TP_STUN_ATTR_XOR_PEER	 0x0012
#define TP_STUN_ATTR_DATA	 0x0013

struct tp_stun_hdr {
	tp_be16 type;
	tp_be16 len;	 /* of the attributes that follow */
	tp_u8 cookie[4]; /* bytes: the header sits at offsets only 2-byte aligned */
	tp_u8 tid[12];
};

struct tp_stun_attr_hdr {
	tp_be16 type;
	tp_be16 len; /* of the value, without its padding to 4 bytes */
};

TP_STATIC_ASSERT(sizeof(struct tp_eth_hdr) == TP_ETH_HLEN, "Ethernet header");
TP_STATIC_ASSERT(sizeof(struct tp_vlan_hdr) == TP_VLAN_HLEN, "802.1Q tag");
TP_STATIC_ASSERT(sizeof(struct tp_ipv4_hdr) == TP_IPV4_HLEN, "IPv4 header");
TP_STATIC_ASSERT(sizeof(struct tp_ipv6_hdr) == TP_IPV6_HLEN, "IPv6 header");
TP_STATIC_ASSERT(sizeof(struct tp_udp_hdr) == TP_UDP_HLEN, "UDP header");
TP_STATIC_ASSERT(sizeof(struct tp_cd_hdr) == TP_CD_HLEN, "ChannelData header");
TP_STATIC_ASSERT(sizeof(struct tp_stun_hdr) == TP_STUN_HLEN, "STUN header");
TP_STATIC_ASSERT(sizeof(struct tp_stun_attr_hdr) == TP_STUN_ATTR_HLEN, "STUN attribute header");
TP_STATIC_ASSERT(__alignof__(struct tp_ipv4_hdr) <= 2 && __alignof__(struct tp_ipv6_hdr) <= 2 &&
			 __alignof__(struct tp_stun_hdr) <= 2,
		 "headers must fit at any even offset");

#endif
