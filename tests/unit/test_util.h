/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Helpers the unit suites share: an address from its text, and bytes as hex.
 */
#ifndef TP_TEST_UTIL_H
#define TP_TEST_UTIL_H

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "addr.h"

/* The address ip (IPv4 or IPv6 text) with port; text that does not parse fails the test. */
inline tp_addr
addr(const char *ip, uint16_t port = 0)
{
	tp_addr a;

	EXPECT_EQ(tp_addr_parse_ip(&a, ip), 0) << ip;
	a.port = port;
	return a;
}

/* n bytes at p in lower-case hex; with group, a space between every group bytes. */
inline std::string
hexstr(const void *p, size_t n, size_t group = 0)
{
	static const char digits[] = "0123456789abcdef";
	const uint8_t *b = static_cast<const uint8_t *>(p);
	std::string s;

	for (size_t i = 0; i < n; i++) {
		if (group && i && i % group == 0)
			s += ' ';
		s += digits[b[i] >> 4];
		s += digits[b[i] & 15];
	}
	return s;
}

#endif
