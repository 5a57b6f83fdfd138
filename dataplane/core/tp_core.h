/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * dataplane/core: the fast path both dataplanes compile, header-only and freestanding (no
 * libc, no DPDK, no libbpf), so the DPDK lcores and the XDP program cannot disagree.
 *
 *   tp_types.h     fixed-width types, byte order, builtins
 *   tp_wire.h      Ethernet, 802.1Q, IPv4, IPv6, UDP, ChannelData headers
 *   tp_binding.h   the binding tables' keys and values
 *   tp_csum.h      RFC 1624 incremental checksum helpers
 *   tp_crc.h       CRC-32, for STUN's FINGERPRINT
 *   tp_verdict.h   actions and reasons (X-macro): counters and docs come from it
 *   tp_fastpath.h  classification and the decisions between lookups
 *   tp_rewrite.h   the rewrites and the IP header field choices
 */
#ifndef TP_CORE_H
#define TP_CORE_H

#include "tp_fastpath.h"

#endif
