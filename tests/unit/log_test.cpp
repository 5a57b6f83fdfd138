/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The logger's text for bytes a peer chose: nothing in them can end a log line, fake another,
 * or run past the buffer.
 */
#include <gtest/gtest.h>

#include <string>

#include "log.h"

namespace
{

std::string
text(const std::string &bytes, size_t cap)
{
	std::string out(cap, '#');

	tp_log_text(bytes.data(), bytes.size(), out.data(), cap);
	return out.c_str();
}

TEST(LogText, PrintableStaysOthersAreEscaped)
{
	EXPECT_EQ(text("1800000000:alice", 64), "1800000000:alice");
	EXPECT_EQ(text("a\"b\\c", 64), "a\\\"b\\\\c");
	EXPECT_EQ(text(std::string("x\ny\r\0z\x1b[31m\xff", 12), 64),
		  "x\\x0ay\\x0d\\x00z\\x1b[31m\\xff");
}

TEST(LogText, CutToFitWithAMark)
{
	EXPECT_EQ(text("abcdefghij", 11), "abcdefghij");
	EXPECT_EQ(text("abcdefghij", 10), "abcdef...");
	EXPECT_EQ(text("\n\n\n\n", 10), "\\x0a...");
	EXPECT_EQ(text("abc", 1), "");
	for (size_t cap = 1; cap < 40; cap++)
		EXPECT_LT(text(std::string(100, '\n'), cap).size(), cap);
}

} // namespace
