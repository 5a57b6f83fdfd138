/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Internet checksum helpers. Sums run over 16-bit words exactly as they lie in memory (no
 * byte swapping): the one's complement sum is byte-order independent, so a result folded from
 * memory-order words is stored back as is. Constants added to a sum go through tp_htons().
 *
 * Rewrites never read the payload: they take the checksum as received, remove what they take
 * out of the packet (old pseudo-header, UDP and ChannelData headers, padding) and add what
 * they put in, which is RFC 1624's incremental update, HC' = ~(~HC + ~m + m'), word by word.
 * The one exception is an IPv4 UDP datagram sent without a checksum (0) that leaves as IPv6,
 * where a checksum is mandatory: tp_csum_partial() sums the payload for callers that can.
 *
 * Sums stay unfolded while words are added and removed, and are folded once, where a field is
 * written or checked: a 32-bit sum of 16-bit words cannot overflow below 65 537 words, and
 * the fold of a positive sum is the same 16-bit value however often it was folded on the way
 * (every fold keeps the sum's value modulo 0xFFFF, and none gives 0 from a positive sum).
 */
#ifndef TP_CORE_CSUM_H
#define TP_CORE_CSUM_H

#include "tp_types.h"

#define TP_CSUM_PROTO_UDP 17

TP_CORE_INLINE tp_u16
tp_csum_fold(tp_u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return (tp_u16)sum;
}

TP_CORE_INLINE tp_u32
tp_csum_add16(tp_u32 sum, tp_u16 word)
{
	return sum + word;
}

/* One's complement subtraction: adding the complement. */
TP_CORE_INLINE tp_u32
tp_csum_sub16(tp_u32 sum, tp_u16 word)
{
	return sum + (tp_u16)~word;
}

/* Add (or, with sub, remove) one word. */
TP_CORE_INLINE tp_u32
tp_csum_word(tp_u32 sum, tp_u16 word, int sub)
{
	return sub ? tp_csum_sub16(sum, word) : tp_csum_add16(sum, word);
}

/* Add (or, with sub, remove) n bytes at p; n even, p even-aligned within the sum. Unfolded. */
TP_CORE_INLINE tp_u32
tp_csum_words(tp_u32 sum, const void *p, unsigned n, int sub)
{
	const tp_u8 *b = (const tp_u8 *)p;

	for (unsigned i = 0; i + 1 < n; i += 2) {
		tp_u16 w;

		tp_memcpy(&w, b + i, 2);
		sum = tp_csum_word(sum, w, sub);
	}
	return sum;
}

/* A byte's memory-order word: in the first (odd 0) or second (odd 1) half, zero beside it. */
TP_CORE_INLINE tp_u16
tp_csum_byte(tp_u8 byte, int odd)
{
	return odd ? tp_htons(byte) : tp_htons((tp_u16)(byte << 8));
}

/* Sum of n bytes at p of any length, for the one case that must read the payload. */
TP_CORE_INLINE tp_u32
tp_csum_partial(tp_u32 sum, const tp_u8 *p, unsigned n)
{
	sum = tp_csum_words(sum, p, n & ~1u, 0);
	if (n & 1)
		sum = tp_csum_add16(sum, tp_csum_byte(p[n - 1], 0));
	return tp_csum_fold(sum);
}

/* RFC 1624: checksum check after the 16-bit word old became new. */
TP_CORE_INLINE tp_be16
tp_csum_replace16(tp_be16 check, tp_u16 old, tp_u16 new_)
{
	tp_u32 sum = (tp_u16)~check;

	sum = tp_csum_sub16(sum, old);
	sum = tp_csum_add16(sum, new_);
	return (tp_be16)~tp_csum_fold(sum);
}

/* RFC 1624 over n bytes (even) that changed from old to new. */
TP_CORE_INLINE tp_be16
tp_csum_replace(tp_be16 check, const void *old, const void *new_, unsigned n)
{
	tp_u32 sum = (tp_u16)~check;

	sum = tp_csum_words(sum, old, n, 1);
	sum = tp_csum_words(sum, new_, n, 0);
	return (tp_be16)~tp_csum_fold(sum);
}

/* Full IPv4 header checksum over 20 bytes whose check field is zero. */
TP_CORE_INLINE tp_be16
tp_csum_ipv4_hdr(const void *hdr)
{
	return (tp_be16)~tp_csum_fold(tp_csum_words(0, hdr, 20, 0));
}

/*
 * An address's bytes (alen: 4 or 16) into sum, 32 bits at a time, each word as its two 16-bit
 * halves; addr 4-byte aligned (see tp_ip_eq()). Read through a 32-bit type, the BPF backend
 * loads words, where it reads memory of unknown alignment a byte at a time.
 */
TP_CORE_INLINE tp_u32
tp_csum_addr(tp_u32 sum, const tp_u8 *addr, unsigned alen, int sub)
{
	const tp_u32_word *w = (const tp_u32_word *)(const void *)addr;

	for (unsigned i = 0; i < alen / 4; i++) {
		sum = tp_csum_word(sum, (tp_u16)w[i], sub);
		sum = tp_csum_word(sum, (tp_u16)(w[i] >> 16), sub);
	}
	return sum;
}

/* The UDP pseudo-header for addresses of alen bytes (4 or 16) and a UDP length. Unfolded. */
TP_CORE_INLINE tp_u32
tp_csum_pseudo(tp_u32 sum, const tp_u8 *src, const tp_u8 *dst, unsigned alen, tp_u16 udp_len,
	       int sub)
{
	sum = tp_csum_addr(sum, src, alen, sub);
	sum = tp_csum_addr(sum, dst, alen, sub);
	sum = tp_csum_word(sum, tp_htons(TP_CSUM_PROTO_UDP), sub);
	return tp_csum_word(sum, tp_htons(udp_len), sub);
}

/* A UDP checksum field from a finished sum: 0 means "none", so a true 0 is sent as 0xFFFF. */
TP_CORE_INLINE tp_be16
tp_csum_udp_final(tp_u32 sum)
{
	tp_u16 c = (tp_u16)~tp_csum_fold(sum);

	return c ? c : 0xffff;
}

#endif
