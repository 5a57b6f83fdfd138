/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Basic types for the fast-path core, with nothing from libc: fixed-width integers from the
 * compiler's own macros, byte order made visible in the type names (tp_be16, tp_be32), and
 * the few builtins the core needs. The same header compiles under gcc and clang for user
 * space, under clang -target bpf for the XDP program, and as C++ for the unit tests.
 */
#ifndef TP_CORE_TYPES_H
#define TP_CORE_TYPES_H

typedef __UINT8_TYPE__ tp_u8;
typedef __UINT16_TYPE__ tp_u16;
typedef __UINT32_TYPE__ tp_u32;
typedef __UINT64_TYPE__ tp_u64;
typedef __INT32_TYPE__ tp_s32;

/* Network byte order, as on the wire: convert with tp_ntohs() and friends before arithmetic. */
typedef tp_u16 tp_be16;
typedef tp_u32 tp_be32;

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define tp_htons(x) ((tp_be16)__builtin_bswap16((tp_u16)(x)))
#define tp_htonl(x) ((tp_be32)__builtin_bswap32((tp_u32)(x)))
#else
#define tp_htons(x) ((tp_be16)(x))
#define tp_htonl(x) ((tp_be32)(x))
#endif
#define tp_ntohs(x) tp_htons(x)
#define tp_ntohl(x) tp_htonl(x)

/* Everything in the core is inlined: BPF has no calls through pointers, and the DPDK burst
 * loop wants the whole path in one place. */
#define TP_CORE_INLINE static inline __attribute__((always_inline))

#define tp_memcpy(d, s, n) __builtin_memcpy((d), (s), (n))
#define tp_memset(d, c, n) __builtin_memset((d), (c), (n))

/* Structs that hold addresses the core reads a 32-bit word at a time (tp_ip_eq()), and the
 * word it reads them as: it may alias the bytes, as char does. */
#define TP_ALIGNED4 __attribute__((aligned(4)))
typedef tp_u32 __attribute__((may_alias)) tp_u32_word;

#ifdef __cplusplus
#define TP_STATIC_ASSERT(cond, msg) static_assert(cond, msg)
#else
#define TP_STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
#endif

/* Address families, as STUN codes them (REQUESTED-ADDRESS-FAMILY, XOR-*-ADDRESS): one set for
 * the fast paths and the control plane. */
enum tp_family {
	TP_FAM_NONE = 0,
	TP_FAM_V4 = 1,
	TP_FAM_V6 = 2,
};

#endif
