/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Configuration tests: the built-in defaults are conf/turnpike.conf and hold the values it
 * documents; a site file overrides only what it names; and every kind of mistake is refused
 * with one message of the form "file:line: key.path: problem", shown here as a table of
 * {what is wrong, the text, the exact message}. Every .conf shipped under conf/ must load.
 */
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>
#include <unistd.h>

#include "addr.h"
#include "config.h"

namespace
{

namespace fs = std::filesystem;

std::string
addr_text(const tp_addr &a)
{
	char buf[TP_ADDR_STRLEN];

	return tp_addr_str(&a, buf, sizeof(buf));
}

/*
 * The source tree, for conf/: MESON_SOURCE_ROOT when the environment has it, else the "source"
 * directory recorded in meson-info/meson-info.json of the build tree this test was built in
 * (found by walking up from the executable), else ../.. from the executable.
 */
fs::path
source_root()
{
	const char *env = getenv("MESON_SOURCE_ROOT");

	if (env && *env)
		return env;

	fs::path exe = fs::read_symlink("/proc/self/exe");

	for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path();
	     dir = dir.parent_path()) {
		std::ifstream info(dir / "meson-info" / "meson-info.json");
		std::stringstream text;
		const std::string key = "\"source\": \"";

		if (!info)
			continue;
		text << info.rdbuf();
		std::string s = text.str();
		size_t at = s.find(key);
		if (at == std::string::npos)
			break;
		at += key.size();
		return s.substr(at, s.find('"', at) - at);
	}
	return exe.parent_path() / ".." / "..";
}

std::string
read_file(const fs::path &p)
{
	std::ifstream in(p, std::ios::binary);
	std::stringstream s;

	s << in.rdbuf();
	return s.str();
}

struct Config : ::testing::Test {
	void SetUp() override
	{
		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
	}

	void TearDown() override
	{
		tp_config_free(&cfg);
	}

	int load(const char *text)
	{
		err[0] = '\0';
		return tp_config_load_string(&cfg, text, "test.conf", err, sizeof(err));
	}

	tp_config cfg;
	char err[512];
};

/* Defaults ------------------------------------------------------------------------------------- */

TEST_F(Config, DefaultsAreTheDocumentedValues)
{
	EXPECT_EQ(cfg.mode, TP_MODE_SOCKET);
	EXPECT_EQ(cfg.log_level, TP_LOG_INFO);
	EXPECT_STREQ(cfg.software, "turnpike");
	EXPECT_FALSE(cfg.software_unauthenticated);

	EXPECT_EQ(cfg.listen_port, 3478);
	EXPECT_EQ(cfg.port_min, 49152);
	EXPECT_EQ(cfg.port_max, 65535);
	EXPECT_TRUE(cfg.fam[0].enabled);
	EXPECT_EQ(cfg.fam[0].naddrs, 1u);
	EXPECT_EQ(addr_text(cfg.fam[0].bind[0]), "127.0.0.1");
	EXPECT_EQ(cfg.fam[0].npublic, 0u);
	EXPECT_TRUE(cfg.fam[1].enabled);
	EXPECT_EQ(cfg.fam[1].naddrs, 1u);
	EXPECT_EQ(addr_text(cfg.fam[1].bind[0]), "::1");
	EXPECT_EQ(cfg.fam[1].npublic, 0u);
	EXPECT_EQ(addr_text(*tp_cfg_public(&cfg, 0, 0)), "127.0.0.1"); /* public defaults to bind */

	EXPECT_STREQ(cfg.realm, "turnpike");
	EXPECT_EQ(cfg.nonce_lifetime, 600u);
	EXPECT_EQ(cfg.nsecrets, 0u);
	EXPECT_EQ(cfg.nusers, 0u);

	/* RFC 8656: allocation 600 s by default, at most 3600; permission 300; channel 600. */
	EXPECT_EQ(cfg.alloc_lifetime_default, 600u);
	EXPECT_EQ(cfg.alloc_lifetime_max, 3600u);
	EXPECT_EQ(cfg.perm_lifetime, 300u);
	EXPECT_EQ(cfg.chan_lifetime, 600u);

	EXPECT_EQ(cfg.max_allocations, 100000u);
	EXPECT_EQ(cfg.max_allocations_per_user, 100u);
	EXPECT_EQ(cfg.max_permissions, 256u);
	EXPECT_EQ(cfg.max_channels, 256u);
	EXPECT_EQ(cfg.unauth_burst, 4096u);
	EXPECT_EQ(cfg.unauth_rate, 1024u);
	EXPECT_EQ(cfg.unauth_sources, 65536u);

	EXPECT_TRUE(cfg.deny_private);
	EXPECT_EQ(cfg.ndeny, 0u);
	EXPECT_EQ(cfg.nallow, 0u);

	EXPECT_EQ(cfg.socket_rcvbuf, 4194304);
	EXPECT_EQ(cfg.socket_sndbuf, 4194304);
}

TEST_F(Config, BuiltInDefaultsAreConfTurnpikeConf)
{
	fs::path conf = source_root() / "conf" / "turnpike.conf";

	ASSERT_TRUE(fs::exists(conf)) << conf;
	EXPECT_EQ(std::string(tp_default_config), read_file(conf));
}

/* Overrides ------------------------------------------------------------------------------------ */

TEST_F(Config, FileOverridesOnlyTheKeysItNames)
{
	ASSERT_EQ(load(R"(
relay:
{
	listen-port = 3479;
	ipv4: { bind = "192.0.2.10"; public = "203.0.113.10"; };
	ipv6: { enabled = false; };
};
auth:
{
	realm = "example.org";
	secrets = [ "s1", "s2" ];
	users = ( { name = "alice"; password = "wonderland"; },
		  { name = "bob"; key = "0xEF57BC8D8C15DDBBE601EA638397EF72"; } );
};
lifetimes: { permission = 120; };
peers: { deny-private = false; deny = [ "198.51.100.0/24" ]; allow = [ "::1" ]; };
log: { level = "debug"; };
socket: { rcvbuf = 0; };
)"),
		  0)
		<< err;

	EXPECT_EQ(cfg.listen_port, 3479);
	EXPECT_EQ(addr_text(cfg.fam[0].bind[0]), "192.0.2.10");
	EXPECT_EQ(addr_text(*tp_cfg_public(&cfg, 0, 0)), "203.0.113.10");
	EXPECT_FALSE(cfg.fam[1].enabled);
	EXPECT_STREQ(cfg.realm, "example.org");
	ASSERT_EQ(cfg.nsecrets, 2u);
	EXPECT_STREQ(cfg.secrets[0], "s1");
	EXPECT_STREQ(cfg.secrets[1], "s2");
	ASSERT_EQ(cfg.nusers, 2u);
	EXPECT_STREQ(cfg.users[0].name, "alice");
	EXPECT_STREQ(cfg.users[0].password, "wonderland");
	EXPECT_FALSE(cfg.users[0].has_key);
	EXPECT_STREQ(cfg.users[1].name, "bob");
	EXPECT_TRUE(cfg.users[1].has_key);
	EXPECT_EQ(cfg.users[1].key[0], 0xef);
	EXPECT_EQ(cfg.users[1].key[15], 0x72);
	EXPECT_EQ(cfg.perm_lifetime, 120u);
	EXPECT_FALSE(cfg.deny_private);
	ASSERT_EQ(cfg.ndeny, 1u);
	EXPECT_EQ(addr_text(cfg.deny[0].addr), "198.51.100.0");
	EXPECT_EQ(cfg.deny[0].len, 24);
	ASSERT_EQ(cfg.nallow, 1u);
	EXPECT_EQ(cfg.allow[0].len, 128);
	EXPECT_EQ(cfg.log_level, TP_LOG_DEBUG);
	EXPECT_EQ(cfg.socket_rcvbuf, 0);

	/* Untouched keys keep their defaults. */
	EXPECT_EQ(cfg.port_min, 49152);
	EXPECT_EQ(cfg.chan_lifetime, 600u);
	EXPECT_EQ(cfg.socket_sndbuf, 4194304);
	EXPECT_STREQ(cfg.software, "turnpike");
}

TEST_F(Config, ListsAreReplacedNotAppended)
{
	ASSERT_EQ(load("auth: { secrets = [ \"a\", \"b\" ]; users = ( { name = \"x\"; password = "
		       "\"y\"; } ); };"),
		  0)
		<< err;
	ASSERT_EQ(load("auth: { secrets = [ \"c\" ]; users = ( ); };"), 0) << err;
	ASSERT_EQ(cfg.nsecrets, 1u);
	EXPECT_STREQ(cfg.secrets[0], "c");
	EXPECT_EQ(cfg.nusers, 0u);
}

TEST_F(Config, LimitsAcceptTheirBounds)
{
	EXPECT_EQ(load("relay: { listen-port = 1; port-min = 1024; port-max = 65535; };"), 0)
		<< err;
	EXPECT_EQ(load("auth: { nonce-lifetime = 86400; };"), 0) << err;
	EXPECT_EQ(load("limits: { max-allocations-per-user = 0; };"), 0) << err;
	EXPECT_EQ(load("auth: { secrets = [ \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\" "
		       "]; };"),
		  0)
		<< err;
	EXPECT_EQ(cfg.nsecrets, 8u);
}

TEST_F(Config, UnspecifiedBindNeedsPublicOnlyWhereTheFamilyIsEnabled)
{
	EXPECT_EQ(load("relay: { ipv4: { bind = \"0.0.0.0\"; public = \"203.0.113.10\"; }; };"), 0)
		<< err;
	EXPECT_EQ(load("relay: { ipv6: { enabled = false; bind = \"::\"; }; };"), 0) << err;
	EXPECT_TRUE(tp_addr_is_unspecified(&cfg.fam[1].bind[0]));
	EXPECT_EQ(cfg.fam[1].npublic, 0u);
}

TEST_F(Config, SeveralRelayedAddressesPairUp)
{
	ASSERT_EQ(
		load("relay: { ipv4: { bind = [ \"192.0.2.10\", \"192.0.2.11\", \"192.0.2.12\" ];\n"
		     "public = [ \"203.0.113.10\", \"203.0.113.11\", \"203.0.113.12\" ]; };\n"
		     "ipv6: { bind = [ \"2001:db8::10\", \"2001:db8::11\" ]; }; };"),
		0)
		<< err;
	EXPECT_EQ(cfg.fam[0].naddrs, 3u);
	EXPECT_EQ(cfg.fam[0].npublic, 3u);
	EXPECT_EQ(addr_text(cfg.fam[0].bind[2]), "192.0.2.12");
	EXPECT_EQ(addr_text(*tp_cfg_public(&cfg, 0, 1)), "203.0.113.11");
	EXPECT_EQ(cfg.fam[1].naddrs, 2u);
	EXPECT_EQ(addr_text(*tp_cfg_public(&cfg, 1, 1)), "2001:db8::11"); /* bind, as no public */

	tp_addr a;
	ASSERT_EQ(tp_addr_parse_ip(&a, "203.0.113.12"), 0);
	EXPECT_EQ(tp_cfg_relay_index(&cfg, 0, &a), 2);
	ASSERT_EQ(tp_addr_parse_ip(&a, "192.0.2.11"), 0);
	EXPECT_EQ(tp_cfg_relay_index(&cfg, 0, &a), 1);
	ASSERT_EQ(tp_addr_parse_ip(&a, "192.0.2.13"), 0);
	EXPECT_EQ(tp_cfg_relay_index(&cfg, 0, &a), -1);
	ASSERT_EQ(tp_addr_parse_ip(&a, "2001:db8::11"), 0);
	EXPECT_EQ(tp_cfg_relay_index(&cfg, 1, &a), 1);
}

/* Errors: "file:line: key.path: problem" ------------------------------------------------------- */

struct error_case {
	const char *what;
	const char *text;
	const char *message;
};

const error_case error_cases[] = {
	/* Keys that do not exist. */
	{ "unknown key", "colour = \"blue\";", "test.conf:1: colour: unknown key" },
	{ "unknown group member", "relay:\n{\n\tlisten-prot = 3479;\n};",
	  "test.conf:3: relay.listen-prot: unknown key" },
	{ "unknown member of a nested group",
	  "relay:\n{\n\tipv4:\n\t{\n\t\tbind-address = \"192.0.2.1\";\n\t};\n};",
	  "test.conf:5: relay.ipv4.bind-address: unknown key" },
	{ "a group given a value", "relay = 3478;",
	  "test.conf:1: relay: expected a group: relay: { ... };" },
	{ "unknown user member",
	  "auth:\n{\n\tusers = (\n\t\t{ name = \"a\"; pass = \"x\"; }\n\t);\n};",
	  "test.conf:4: auth.users[0]: unknown key \"pass\" (name, password, key)" },

	/* Wrong types. */
	{ "string for an integer", "relay:\n{\n\tlisten-port = \"3478\";\n};",
	  "test.conf:3: relay.listen-port: expected an integer" },
	{ "float for an integer", "auth:\n{\n\tnonce-lifetime = 600.0;\n};",
	  "test.conf:3: auth.nonce-lifetime: expected an integer" },
	{ "integer for a boolean", "peers:\n{\n\tdeny-private = 1;\n};",
	  "test.conf:3: peers.deny-private: expected true or false" },
	{ "integer for a string", "auth:\n{\n\trealm = 5;\n};",
	  "test.conf:3: auth.realm: expected a string in double quotes" },
	{ "scalar for a list of secrets", "auth:\n{\n\tsecrets = \"s\";\n};",
	  "test.conf:3: auth.secrets: expected a list of strings: [ \"...\" ]" },
	{ "array for the list of users", "auth:\n{\n\tusers = [ ];\n};",
	  "test.conf:3: auth.users: expected a list of groups: ( { name = ...; }, ... )" },
	{ "integer in a prefix list", "peers:\n{\n\tdeny = [ 10 ];\n};",
	  "test.conf:3: peers.deny[0]: expected a string in double quotes" },

	/* Out of range. */
	{ "port below 1024", "relay:\n{\n\tport-min = 80;\n};",
	  "test.conf:3: relay.port-min: must be between 1024 and 65535 (got 80)" },
	{ "listen port 0", "relay:\n{\n\tlisten-port = 0;\n};",
	  "test.conf:3: relay.listen-port: must be between 1 and 65535 (got 0)" },
	{ "port above 65535", "relay:\n{\n\tport-max = 65536;\n};",
	  "test.conf:3: relay.port-max: must be between 1024 and 65535 (got 65536)" },
	{ "nonce lifetime too short", "auth:\n{\n\tnonce-lifetime = 5;\n};",
	  "test.conf:3: auth.nonce-lifetime: must be between 10 and 86400 (got 5)" },
	{ "a burst too small for a 401 with the longest realm",
	  "limits:\n{\n\tunauthenticated-burst = 512;\n};",
	  "test.conf:3: limits.unauthenticated-burst: must be between 1024 and 16777215 (got "
	  "512)" },
	{ "64-bit integer far out of range", "limits:\n{\n\tmax-allocations = 10000000000L;\n};",
	  "test.conf:3: limits.max-allocations: must be between 1 and 10000000 (got 10000000000)" },
	{ "negative buffer size", "socket:\n{\n\trcvbuf = -1;\n};",
	  "test.conf:3: socket.rcvbuf: must be between 0 and 1073741824 (got -1)" },

	/* Addresses and prefixes. */
	{ "bad address", "relay:\n{\n\tipv4:\n\t{\n\t\tbind = \"192.0.2.256\";\n\t};\n};",
	  "test.conf:5: relay.ipv4.bind: \"192.0.2.256\" is not a numeric IP address" },
	{ "host name for an address",
	  "relay:\n{\n\tipv4:\n\t{\n\t\tpublic = \"localhost\";\n\t};\n};",
	  "test.conf:5: relay.ipv4.public: \"localhost\" is not a numeric IP address" },
	{ "IPv6 address for ipv4.bind", "relay:\n{\n\tipv4:\n\t{\n\t\tbind = \"::1\";\n\t};\n};",
	  "test.conf:5: relay.ipv4.bind: \"::1\" is not an IPv4 address" },
	{ "IPv4 address for ipv6.public",
	  "relay:\n{\n\tipv6:\n\t{\n\t\tpublic = \"192.0.2.1\";\n\t};\n};",
	  "test.conf:5: relay.ipv6.public: \"192.0.2.1\" is not an IPv6 address" },
	{ "prefix with host bits set", "peers:\n{\n\tdeny = [ \"10.0.0.1/8\" ];\n};",
	  "test.conf:3: peers.deny[0]: \"10.0.0.1/8\" is not an address or prefix (a.b.c.d/n, "
	  "x::y/n; host bits must be zero)" },
	{ "IPv4 prefix longer than 32",
	  "peers:\n{\n\tallow = [ \"10.0.0.0/8\", \"10.0.0.0/33\" ];\n};",
	  "test.conf:3: peers.allow[1]: \"10.0.0.0/33\" is not an address or prefix (a.b.c.d/n, "
	  "x::y/n; host bits must be zero)" },
	{ "IPv6 prefix longer than 128", "peers:\n{\n\tdeny = [ \"fe80::/129\" ];\n};",
	  "test.conf:3: peers.deny[0]: \"fe80::/129\" is not an address or prefix (a.b.c.d/n, "
	  "x::y/n; host bits must be zero)" },

	/* Users and secrets. */
	{ "user without a name", "auth:\n{\n\tusers = (\n\t\t{ password = \"x\"; }\n\t);\n};",
	  "test.conf:4: auth.users[0]: missing \"name\"" },
	{ "user with an empty name",
	  "auth:\n{\n\tusers = (\n\t\t{ name = \"\"; password = \"x\"; }\n\t);\n};",
	  "test.conf:4: auth.users[0].name: must not be empty" },
	{ "user with both password and key",
	  "auth:\n{\n\tusers = (\n\t\t{ name = \"a\"; password = \"x\"; key = "
	  "\"ef57bc8d8c15ddbbe601ea638397ef72\"; }\n\t);\n};",
	  "test.conf:4: auth.users[0]: give exactly one of \"password\" and \"key\"" },
	{ "user with neither password nor key",
	  "auth:\n{\n\tusers = (\n\t\t{ name = \"a\"; }\n\t);\n};",
	  "test.conf:4: auth.users[0]: give exactly one of \"password\" and \"key\"" },
	{ "key with a non-hex digit",
	  "auth:\n{\n\tusers = (\n\t\t{ name = \"a\"; key = \"ef57bc8d8c15ddbbe601ea638397ef7g\"; "
	  "}\n\t);\n};",
	  "test.conf:4: auth.users[0].key: expected 32 hex digits (MD5 of name:realm:password)" },
	{ "key of 31 hex digits",
	  "auth:\n{\n\tusers = (\n\t\t{ name = \"a\"; key = \"0xef57bc8d8c15ddbbe601ea638397ef7\"; "
	  "}\n\t);\n};",
	  "test.conf:4: auth.users[0].key: expected 32 hex digits (MD5 of name:realm:password)" },
	{ "key with a sign",
	  "auth:\n{\n\tusers = (\n\t\t{ name = \"a\"; key = "
	  "\"+f57bc8d8c15ddbbe601ea638397ef72\"; }\n\t);\n};",
	  "test.conf:4: auth.users[0].key: expected 32 hex digits (MD5 of name:realm:password)" },
	{ "nine secrets",
	  "auth:\n{\n\tsecrets = [ \"1\", \"2\", \"3\", \"4\", \"5\", \"6\", \"7\", \"8\", \"9\" "
	  "];\n};",
	  "test.conf:3: auth.secrets: at most 8 secrets" },
	{ "empty secret", "auth:\n{\n\tsecrets = [ \"a\", \"\" ];\n};",
	  "test.conf:3: auth.secrets[1]: a secret must not be empty" },
	{ "empty realm", "auth:\n{\n\trealm = \"\";\n};",
	  "test.conf:3: auth.realm: must not be empty" },

	/* Rules across keys. */
	{ "port-min above port-max", "relay:\n{\n\tport-min = 60000;\n\tport-max = 50000;\n};",
	  "test.conf:3: relay.port-min: 60000 is above relay.port-max 50000" },
	{ "listen port inside the allocation range", "relay:\n{\n\tlisten-port = 50000;\n};",
	  "test.conf:3: relay.listen-port: 50000 lies in the allocation range 49152-65535" },
	{ "allocation-default above allocation-max",
	  "lifetimes:\n{\n\tallocation-default = 3600;\n\tallocation-max = 600;\n};",
	  "test.conf:3: lifetimes.allocation-default: 3600 is above lifetimes.allocation-max 600" },
	{ "both families disabled",
	  "relay:\n{\n\tipv4: { enabled = false; };\n\tipv6: { enabled = false; };\n};",
	  "test.conf:3: relay.ipv4.enabled: ipv4 and ipv6 cannot both be disabled" },
	{ "unspecified IPv4 bind without public",
	  "relay:\n{\n\tipv4:\n\t{\n\t\tbind = \"0.0.0.0\";\n\t};\n};",
	  "test.conf:5: relay.ipv4.bind: the unspecified address needs relay.ipv4.public, the "
	  "address clients reach" },
	{ "unspecified IPv6 bind without public",
	  "relay:\n{\n\tipv6:\n\t{\n\t\tbind = \"::\";\n\t};\n};",
	  "test.conf:5: relay.ipv6.bind: the unspecified address needs relay.ipv6.public, the "
	  "address clients reach" },
	{ "more public than bind addresses",
	  "relay:\n{\n\tipv4:\n\t{\n\t\tbind = \"192.0.2.1\";\n\t\tpublic = [ \"203.0.113.1\", "
	  "\"203.0.113.2\" ];\n\t};\n};",
	  "test.conf:6: relay.ipv4.public: has 2 addresses and relay.ipv4.bind 1: one public "
	  "address per bind address" },
	{ "a bind address twice",
	  "relay:\n{\n\tipv4:\n\t{\n\t\tbind = [ \"192.0.2.1\", \"192.0.2.2\", \"192.0.2.1\" "
	  "];\n\t};\n};",
	  "test.conf:5: relay.ipv4.bind: address 2 is there twice" },
	{ "a public address that is another pair's bind address",
	  "relay:\n{\n\tipv4:\n\t{\n\t\tbind = [ \"192.0.2.1\", \"192.0.2.2\" ];\n\t\tpublic = "
	  "[ \"192.0.2.2\", \"203.0.113.2\" ];\n\t};\n};",
	  "test.conf:6: relay.ipv4.public: address 0 is relay.ipv4.bind address 1: one address, "
	  "one pair" },
	{ "the unspecified address among several",
	  "relay:\n{\n\tipv6:\n\t{\n\t\tbind = [ \"2001:db8::1\", \"::\" ];\n\t};\n};",
	  "test.conf:5: relay.ipv6.bind: the unspecified address is no relayed address among "
	  "several" },
	{ "no bind address", "relay:\n{\n\tipv4:\n\t{\n\t\tbind = [ ];\n\t};\n};",
	  "test.conf:5: relay.ipv4.bind: needs an address" },
	{ "an IPv6 address in ipv4.bind's list",
	  "relay:\n{\n\tipv4:\n\t{\n\t\tbind = [ \"192.0.2.1\", \"::1\" ];\n\t};\n};",
	  "test.conf:5: relay.ipv4.bind[1]: \"::1\" is not an IPv4 address" },
	{ "seventeen bind addresses",
	  "relay:\n{\n\tipv4:\n\t{\n\t\tbind = [ \"10.0.0.1\", \"10.0.0.2\", \"10.0.0.3\", "
	  "\"10.0.0.4\", \"10.0.0.5\", \"10.0.0.6\", \"10.0.0.7\", \"10.0.0.8\", \"10.0.0.9\", "
	  "\"10.0.0.10\", \"10.0.0.11\", \"10.0.0.12\", \"10.0.0.13\", \"10.0.0.14\", "
	  "\"10.0.0.15\", \"10.0.0.16\", \"10.0.0.17\" ];\n\t};\n};",
	  "test.conf:5: relay.ipv4.bind: at most 16 addresses" },
	{ "unspecified public address",
	  "relay:\n{\n\tipv4:\n\t{\n\t\tbind = \"0.0.0.0\";\n\t\tpublic = \"0.0.0.0\";\n\t};\n};",
	  "test.conf:6: relay.ipv4.public: must be the address clients reach, not the unspecified "
	  "one" },

	/* Syntax, and values that name things. */
	{ "syntax error", "relay:\n{\n\tlisten-port = ;\n};", "test.conf:3: syntax error" },
	{ "unknown dataplane mode", "dataplane:\n{\n\tmode = \"turbo\";\n};",
	  "test.conf:3: dataplane.mode: unknown mode \"turbo\" (expected \"socket\", \"dpdk\" or "
	  "\"xdp\")" },
	{ "dpdk mode without a port", "dataplane:\n{\n\tmode = \"dpdk\";\n};",
	  "test.conf:3: dpdk.ports: dpdk mode needs at least one port" },
	{ "dpdk mode without cores",
	  "dataplane:\n{\n\tmode = \"dpdk\";\n};\ndpdk:\n{\n\tports = [ \"net_null0\" ];\n"
	  "\tlcores = \"\";\n};",
	  "test.conf:8: dpdk.lcores: dpdk mode needs its cores (\"0-1\": control, worker)" },
	{ "the relay's own ports as peers in dpdk mode",
	  "dataplane:\n{\n\tmode = \"dpdk\";\n};\ndpdk:\n{\n\tports = [ \"net_null0\" ];\n};\n"
	  "peers:\n{\n\tallow-relay-ports = true;\n};",
	  "test.conf:11: peers.allow-relay-ports: dpdk mode owns the port: the relay's address has "
	  "no "
	  "services of its own to reach" },
	{ "TLS without its certificate", "relay:\n{\n\ttls:\n\t{\n\t\tenabled = true;\n\t};\n};",
	  "test.conf:5: relay.tls.certificate: TLS and DTLS need the certificate chain and its "
	  "private key (PEM files)" },
	{ "TLS without its key",
	  "relay:\n{\n\ttls:\n\t{\n\t\tenabled = true;\n\t\tcertificate = \"/c.pem\";\n\t};\n};",
	  "test.conf:5: relay.tls.private-key: TLS and DTLS need the certificate chain and its "
	  "private key (PEM files)" },
	{ "TCP and TLS on one port",
	  "relay:\n{\n\ttcp:\n\t{\n\t\tenabled = true;\n\t};\n\ttls:\n\t{\n\t\tenabled = "
	  "true;\n\t\tport = 3478;\n\t\tcertificate = \"/c.pem\";\n\t\tprivate-key = "
	  "\"/k.pem\";\n\t};\n};",
	  "test.conf:10: relay.tls.port: TCP and TLS cannot share port 3478" },
	{ "TLS version unknown", "relay:\n{\n\ttls:\n\t{\n\t\tmin-version = \"1.1\";\n\t};\n};",
	  "test.conf:5: relay.tls.min-version: \"1.1\" is neither \"1.2\" nor \"1.3\"" },
	{ "TCP in dpdk mode without a kernel interface",
	  "dataplane:\n{\n\tmode = \"dpdk\";\n};\ndpdk:\n{\n\tports = [ \"net_null0\" ];\n};\n"
	  "relay:\n{\n\ttcp:\n\t{\n\t\tenabled = true;\n\t};\n};",
	  "test.conf:13: relay.tcp.enabled: in dpdk mode TCP, TLS and DTLS reach their kernel "
	  "listeners through dpdk.kernel-interface: name one (\"tp0\")" },
	{ "DTLS on the listen port",
	  "relay:\n{\n\tdtls:\n\t{\n\t\tenabled = true;\n\t\tport = 3478;\n\t};\n};",
	  "test.conf:6: relay.dtls.port: 3478 is a UDP port the relay uses already "
	  "(relay.listen-port, or the allocation range)" },
	{ "EAL argument list of a string", "dpdk:\n{\n\teal-args = \"--no-huge\";\n};",
	  "test.conf:3: dpdk.eal-args: expected a list of strings: [ \"...\" ]" },
	{ "gateway of the wrong family", "dpdk:\n{\n\tipv4:\n\t{\n\t\tgateway = \"::1\";\n\t};\n};",
	  "test.conf:5: dpdk.ipv4.gateway: \"::1\" is not an IPv4 address" },
	{ "prefix length beyond the family",
	  "dpdk:\n{\n\tipv4:\n\t{\n\t\tprefix-length = 33;\n\t};\n};",
	  "test.conf:5: dpdk.ipv4.prefix-length: must be between 0 and 32 (got 33)" },
	{ "a wildcard bind address in xdp mode",
	  "dataplane:\n{\n\tmode = \"xdp\";\n};\nxdp:\n{\n\tinterface = \"eth0\";\n};\n"
	  "relay:\n{\n\tipv4:\n\t{\n\t\tbind = \"0.0.0.0\";\n\t\tpublic = "
	  "\"203.0.113.1\";\n\t};\n};",
	  "test.conf:13: relay.ipv4.bind: xdp mode relays by destination address: name the "
	  "interface's address, not the unspecified one" },
	{ "a wildcard bind address in dpdk mode",
	  "dataplane:\n{\n\tmode = \"dpdk\";\n};\ndpdk:\n{\n\tports = [ \"net_null0\" ];\n};\n"
	  "relay:\n{\n\tipv6:\n\t{\n\t\tbind = \"::\";\n\t\tpublic = \"2001:db8::1\";\n\t};\n};",
	  "test.conf:13: relay.ipv6.bind: dpdk mode relays by destination address: name the "
	  "interface's address, not the unspecified one" },
	{ "xdp mode without an interface", "dataplane:\n{\n\tmode = \"xdp\";\n};",
	  "test.conf:3: xdp.interface: xdp mode needs the interface to attach to" },
	{ "static next hop without its MAC",
	  "dataplane:\n{\n\tmode = \"xdp\";\n};\nxdp:\n{\n\tinterface = \"eth0\";\n"
	  "\tnexthop = \"static\";\n};",
	  "test.conf:8: xdp.nexthop-mac: xdp.nexthop = \"static\" needs the router's MAC address" },
	{ "bad next-hop MAC", "xdp:\n{\n\tnexthop-mac = \"02:00:00:00:00\";\n};",
	  "test.conf:3: xdp.nexthop-mac: \"02:00:00:00:00\" is not a MAC address "
	  "(aa:bb:cc:dd:ee:ff)" },
	{ "unknown attach mode", "xdp:\n{\n\tattach = \"offload\";\n};",
	  "test.conf:3: xdp.attach: \"offload\" is neither \"native\" nor \"generic\"" },
	{ "interface name with a slash", "xdp:\n{\n\tinterface = \"eth/0\";\n};",
	  "test.conf:3: xdp.interface: \"eth/0\" is not an interface name" },
	{ "admin socket not absolute", "admin:\n{\n\tsocket = \"run/a.sock\";\n};",
	  "test.conf:3: admin.socket: \"run/a.sock\": expected an absolute path (or \"\": none)" },
	{ "admin mode not octal", "admin:\n{\n\tmode = \"0689\";\n};",
	  "test.conf:3: admin.mode: \"0689\": expected an octal file mode (\"0600\")" },
	{ "unknown log level", "log:\n{\n\tlevel = \"verbose\";\n};",
	  "test.conf:3: log.level: unknown level \"verbose\" (error, warning, info, debug)" },
	{ "SOFTWARE of 128 bytes, one more than its field holds",
	  "relay:\n{\n\tsoftware = "
	  "\"0123456789012345678901234567890123456789012345678901234567890123"
	  "4567890123456789012345678901234567890123456789012345678901234567\";\n};",
	  "test.conf:3: relay.software: longer than 127 bytes" },
};

TEST(ConfigErrors, EveryMistakeIsReportedWithFileLineAndKey)
{
	for (const error_case &c : error_cases) {
		SCOPED_TRACE(c.what);
		tp_config cfg;
		char err[512] = "";

		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
		EXPECT_EQ(tp_config_load_string(&cfg, c.text, "test.conf", err, sizeof(err)), -1);
		EXPECT_STREQ(err, c.message);
		tp_config_free(&cfg);
	}
}

TEST(ConfigErrors, DuplicateUserNamesTheLineOfTheDuplicate)
{
	tp_config cfg;
	char err[512] = "";

	ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
	EXPECT_EQ(tp_config_load_string(&cfg,
					"auth:\n"
					"{\n"
					"\tusers = (\n"
					"\t\t{ name = \"alice\"; password = \"x\"; },\n"
					"\t\t{ name = \"alice\"; password = \"y\"; }\n"
					"\t);\n"
					"};\n",
					"test.conf", err, sizeof(err)),
		  -1);
	EXPECT_STREQ(err, "test.conf:5: auth.users[1]: user \"alice\" listed twice");
	tp_config_free(&cfg);
}

/*
 * A rule across keys broken by the one key a site file sets: the message must still carry a
 * line, and name a key that is in the file (the other one comes from the defaults).
 */
TEST(ConfigErrors, CrossKeyErrorPointsAtTheKeyInTheFile)
{
	const error_case cases[] = {
		{ "port-max below the default port-min", "relay:\n{\n\tport-max = 2000;\n};",
		  "test.conf:3: relay.port-max: " },
		{ "range moved over the default listen port",
		  "relay:\n{\n\tport-min = 3000;\n\tport-max = 4000;\n};",
		  "test.conf:3: relay.port-" },
		{ "allocation-max below the default allocation-default",
		  "lifetimes:\n{\n\tallocation-max = 300;\n};",
		  "test.conf:3: lifetimes.allocation-max: " },
	};

	for (const error_case &c : cases) {
		SCOPED_TRACE(c.what);
		tp_config cfg;
		char err[512] = "";

		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
		EXPECT_EQ(tp_config_load_string(&cfg, c.text, "test.conf", err, sizeof(err)), -1);
		EXPECT_EQ(std::string(err).substr(0, strlen(c.message)), c.message) << err;
		tp_config_free(&cfg);
	}
}

/* Files ---------------------------------------------------------------------------------------- */

TEST_F(Config, MissingFileIsNamed)
{
	const char *path = "/nonexistent/turnpike-test.conf";

	EXPECT_EQ(tp_config_load(&cfg, path, err, sizeof(err)), -1);
	EXPECT_EQ(std::string(err), std::string(path) + ": cannot read: No such file or directory");
}

TEST_F(Config, FileErrorsNameThePathRead)
{
	char path[] = "/tmp/turnpike-config-test-XXXXXX";
	int fd = mkstemp(path);
	ASSERT_GE(fd, 0);
	const char text[] = "# a site file\nrelay:\n{\n\tport-min = 80;\n};\n";
	ASSERT_EQ(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);

	EXPECT_EQ(tp_config_load(&cfg, path, err, sizeof(err)), -1);
	EXPECT_EQ(std::string(err),
		  std::string(path) +
			  ":4: relay.port-min: must be between 1024 and 65535 (got 80)");

	std::ofstream(path) << "relay:\n{\n\tlisten-port = ;\n};\n";
	EXPECT_EQ(tp_config_load(&cfg, path, err, sizeof(err)), -1);
	EXPECT_EQ(std::string(err), std::string(path) + ":3: syntax error");

	std::ofstream(path) << "relay:\n{\n\tlisten-port = 3479;\n};\n";
	EXPECT_EQ(tp_config_load(&cfg, path, err, sizeof(err)), 0) << err;
	EXPECT_EQ(cfg.listen_port, 3479);
	unlink(path);
}

TEST(ConfigFiles, EveryShippedConfLoads)
{
	fs::path dir = source_root() / "conf";
	int loaded = 0;

	ASSERT_TRUE(fs::is_directory(dir)) << dir;
	for (const auto &entry : fs::directory_iterator(dir)) {
		if (entry.path().extension() != ".conf")
			continue;
		SCOPED_TRACE(entry.path().string());
		tp_config cfg;
		char err[512] = "";

		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
		EXPECT_EQ(tp_config_load(&cfg, entry.path().c_str(), err, sizeof(err)), 0) << err;
		tp_config_free(&cfg);
		loaded++;
	}
	EXPECT_GE(loaded, 1);
}

} // namespace

/* Reload ------------------------------------------------------------------------------------ */

/* running as the defaults plus base, next as the defaults plus changed: what a reload sees. */
struct Reload : ::testing::Test {
	void SetUp() override
	{
		ASSERT_EQ(tp_config_defaults(&running, err, sizeof(err)), 0) << err;
		ASSERT_EQ(tp_config_defaults(&next, err, sizeof(err)), 0) << err;
	}
	void TearDown() override
	{
		tp_config_free(&running);
		tp_config_free(&next);
	}
	void load(const char *base, const char *changed)
	{
		ASSERT_EQ(tp_config_load_string(&running, base, "a.conf", err, sizeof(err)), 0)
			<< err;
		ASSERT_EQ(tp_config_load_string(&next, changed, "b.conf", err, sizeof(err)), 0)
			<< err;
		tp_config_reconcile(&running, &next, &ch);
	}
	static std::vector<std::string> keys(const char *const *k, unsigned n)
	{
		return std::vector<std::string>(k, k + n);
	}
	tp_config running, next;
	tp_config_changes ch;
	char err[512];
};

TEST_F(Reload, TheSameFileChangesNothing)
{
	const char *text = "auth: { realm = \"r\"; secrets = [ \"s\" ]; users = ( { name = \"a\"; "
			   "password = \"p\"; } ); }; peers: { deny = [ \"10.0.0.0/8\" ]; };";

	load(text, text);
	EXPECT_EQ(ch.nlive, 0u);
	EXPECT_EQ(ch.nrestart, 0u);
}

TEST_F(Reload, LiveKeysApplyRestartKeysKeepTheirRunningValues)
{
	load("relay: { port-max = 60000; software = \"a\"; }; dpdk: { ports = [ \"x\", \"y\" ]; };",
	     "relay: { port-max = 50000; software = \"b\"; }; dpdk: { ports = [ \"x\" ]; }; "
	     "limits: { max-allocations = 7; }; log: { level = \"debug\"; };");
	EXPECT_EQ(keys(ch.live, ch.nlive), (std::vector<std::string>{ "log.level", "relay.software",
								      "limits.max-allocations" }));
	EXPECT_EQ(keys(ch.restart, ch.nrestart),
		  (std::vector<std::string>{ "relay.port-max", "dpdk.ports" }));
	EXPECT_EQ(next.port_max, 60000u) << "a restart key keeps its running value";
	EXPECT_EQ(next.dpdk.nports, 2u);
	EXPECT_STREQ(next.dpdk.ports[1], "y");
	EXPECT_STREQ(next.software, "b");
	EXPECT_EQ(next.max_allocations, 7u);
	EXPECT_EQ(next.log_level, TP_LOG_DEBUG);
}

TEST_F(Reload, AShorterStringOrListIsAChange)
{
	/* Leftovers of a longer value must not hide a change, or make a false one. */
	load("relay: { software = \"abcdef\"; }; peers: { deny = [ \"10.0.0.0/8\", "
	     "\"192.168.0.0/16\" ]; };",
	     "relay: { software = \"abc\"; }; peers: { deny = [ \"10.0.0.0/8\" ]; };");
	EXPECT_EQ(keys(ch.live, ch.nlive),
		  (std::vector<std::string>{ "relay.software", "peers.deny" }));
}

TEST_F(Reload, UsersAreComparedByContent)
{
	load("auth: { users = ( { name = \"a\"; password = \"p\"; } ); };",
	     "auth: { users = ( { name = \"a\"; password = \"q\"; } ); };");
	EXPECT_EQ(keys(ch.live, ch.nlive), (std::vector<std::string>{ "auth.users" }));
}

TEST_F(Reload, TheRunningRestartKeysAreCheckedWithTheFile)
{
	/* TLS off without a certificate passes alone; with TLS on kept, it cannot run. */
	load("relay: { tls: { enabled = true; certificate = \"/c.pem\"; private-key = \"/k.pem\"; "
	     "}; };",
	     "relay: { tls: { enabled = false; }; };");
	EXPECT_EQ(keys(ch.restart, ch.nrestart), (std::vector<std::string>{ "relay.tls.enabled" }));
	EXPECT_EQ(tp_config_check(&next, "b.conf", err, sizeof(err)), -1);
	EXPECT_STREQ(err,
		     "b.conf: relay.tls.certificate: TLS and DTLS need the certificate chain and "
		     "its private key (PEM files)");
	EXPECT_EQ(tp_config_check(&running, "a.conf", err, sizeof(err)), 0) << err;
}

TEST(ConfigKeys, WhatNeedsARestart)
{
	for (const char *k : { "dataplane.mode", "relay.listen-port", "relay.ipv4.bind",
			       "relay.tls.port", "auth.realm", "dpdk.lcores", "xdp.interface",
			       "admin.socket", "limits.unauthenticated-sources" })
		EXPECT_FALSE(tp_config_key_is_live(k)) << k;
	for (const char *k : { "auth.secrets", "auth.users", "peers.deny", "relay.tls.certificate",
			       "limits.max-allocations", "flows.output", "metrics.listen",
			       "log.level", "drain.alternate-servers" })
		EXPECT_TRUE(tp_config_key_is_live(k)) << k;
}
