/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The admin socket's requests (loop/admin.h): what is accepted, and how each refusal reads.
 */
#include <gtest/gtest.h>

#include <string>

#include "admin.h"

namespace
{

struct Parsed {
	int ret;
	tp_admin_request req;
	std::string err;
};

Parsed
parse(const char *line)
{
	Parsed p;
	char err[256] = "";

	p.ret = tp_admin_parse(line, &p.req, err, sizeof(err));
	p.err = err;
	return p;
}

} // namespace

TEST(AdminRequest, EachCommand)
{
	const struct {
		const char *line;
		tp_admin_command command;
	} cases[] = {
		{ "{\"command\": \"status\"}", TP_ADMIN_STATUS },
		{ "{\"command\": \"allocations\"}", TP_ADMIN_ALLOCATIONS },
		{ "{\"command\": \"kick\", \"user\": \"bob\"}", TP_ADMIN_KICK },
		{ "{\"command\": \"reload\"}", TP_ADMIN_RELOAD },
		{ "{\"command\": \"drain\"}", TP_ADMIN_DRAIN },
	};

	for (const auto &c : cases) {
		Parsed p = parse(c.line);

		ASSERT_EQ(p.ret, 0) << c.line << ": " << p.err;
		EXPECT_EQ(p.req.command, c.command) << c.line;
	}
}

TEST(AdminRequest, Filters)
{
	Parsed p = parse(
		"{\"command\":\"allocations\",\"user\":\"alice\",\"client\":\"192.0.2.7:5000\"}");

	ASSERT_EQ(p.ret, 0) << p.err;
	EXPECT_TRUE(p.req.has_user);
	EXPECT_STREQ(p.req.user, "alice");
	ASSERT_TRUE(p.req.has_client);
	EXPECT_EQ(p.req.client.family, TP_FAM_V4);
	EXPECT_EQ(p.req.client.port, 5000);

	p = parse("{\"command\":\"kick\",\"client\":\"[2001:db8::1]:3478\"}");
	ASSERT_EQ(p.ret, 0) << p.err;
	EXPECT_EQ(p.req.client.family, TP_FAM_V6);
	EXPECT_EQ(p.req.client.port, 3478);

	EXPECT_EQ(p.req.limit, (unsigned)TP_ADMIN_LIST_DEFAULT);
	p = parse("{\"command\":\"allocations\",\"limit\":5}");
	ASSERT_EQ(p.ret, 0) << p.err;
	EXPECT_EQ(p.req.limit, 5u);

	p = parse("{\"command\":\"allocations\",\"client\":\"2001:db8::7\"}");
	ASSERT_EQ(p.ret, 0) << p.err;
	EXPECT_EQ(p.req.client.family, TP_FAM_V6);
	EXPECT_EQ(p.req.client.port, 0) << "an address alone: any port";
}

TEST(AdminRequest, RefusalsSayWhy)
{
	const struct {
		const char *line, *err;
	} cases[] = {
		{ "", "expected a JSON object with a \"command\" on one line: {\"command\": "
		      "\"status\"}" },
		{ "[1, 2]", "expected a JSON object with a \"command\" on one line: {\"command\": "
			    "\"status\"}" },
		{ "{\"command\": 7}", "expected a JSON object with a \"command\" on one line: "
				      "{\"command\": \"status\"}" },
		{ "{\"command\": \"fly\"}",
		  "unknown command \"fly\" (status, allocations, kick, reload, drain)" },
		{ "{\"command\": \"kick\"}",
		  "kick needs \"client\" (address or address:port) or \"user\"" },
		{ "{\"command\": \"kick\", \"client\": \"192.0.2.7:0\"}",
		  "\"client\": \"192.0.2.7:0\" is not an address, address:port or [address]:port" },
		{ "{\"command\": \"kick\", \"client\": \"[2001:db8::1]x\"}",
		  "\"client\": \"[2001:db8::1]x\" is not an address, address:port or "
		  "[address]:port" },
		{ "{\"command\": \"kick\", \"client\": 5}",
		  "\"client\": \"\" is not an address, address:port or [address]:port" },
		{ "{\"command\": \"kick\", \"user\": 5}",
		  "\"user\": expected a string of 512 bytes at most" },
		{ "{\"command\": \"allocations\", \"limit\": 0}",
		  "\"limit\": expected a number from 1 to 100000" },
		{ "{\"command\": \"allocations\", \"limit\": \"all\"}",
		  "\"limit\": expected a number from 1 to 100000" },
	};

	for (const auto &c : cases) {
		Parsed p = parse(c.line);

		EXPECT_EQ(p.ret, -1) << c.line;
		EXPECT_EQ(p.err, c.err) << c.line;
	}
	std::string longer = "{\"command\": \"kick\", \"user\": \"" + std::string(513, 'u') + "\"}";
	EXPECT_EQ(parse(longer.c_str()).ret, -1) << "a user longer than any USERNAME";
}
