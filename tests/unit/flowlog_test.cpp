/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The flow log and the metrics text: records as JSON that a strict parser (json-c's, with
 * UTF-8 validation) reads back field for field, whatever bytes the username holds; the writer
 * thread with its bounded queue, skipping and reporting when the output stalls, reopening on
 * SIGHUP; and the Prometheus exposition text, checked line by line against its grammar.
 */
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <json-c/json.h>

#include "config.h"
#include "flowlog.h"
#include "metrics.h"
#include "test_util.h"

namespace
{

tp_flow_record
record(const std::string &username)
{
	tp_flow_record r{};

	r.id = 42;
	r.event = TP_FLOW_EVENT_END;
	r.end = TP_FLOW_END_REFRESHED;
	r.channel = 0x4001;
	r.client = addr("192.0.2.10", 40000);
	r.relay = addr("2001:db8::1", 50001);
	r.peer = addr("2001:db8::20", 3480);
	r.start_ms = 1800000000123;
	r.time_ms = 1800000002623;
	r.packets[TP_DIR_TO_PEER] = 7;
	r.bytes[TP_DIR_TO_PEER] = 700;
	r.packets[TP_DIR_TO_CLIENT] = 5;
	r.bytes[TP_DIR_TO_CLIENT] = 555;
	r.username_len = (uint16_t)username.size();
	memcpy(r.username, username.data(), username.size());
	return r;
}

/* Parsed strictly: one object, valid UTF-8, nothing after it. */
json_object *
parse(const std::string &line)
{
	json_tokener *tok = json_tokener_new();

	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	json_object *o = json_tokener_parse_ex(tok, line.c_str(), (int)line.size() + 1);
	EXPECT_EQ(json_tokener_get_error(tok), json_tokener_success) << line;
	json_tokener_free(tok);
	EXPECT_TRUE(o && json_object_is_type(o, json_type_object)) << line;
	return o;
}

std::string
get_str(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return "<absent>";
	return std::string(json_object_get_string(v), (size_t)json_object_get_string_len(v));
}

int64_t
get_int(json_object *o, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return -1;
	return json_object_get_int64(v);
}

std::string
json(const tp_flow_record &r)
{
	char *line = tp_flow_json(&r, "dpdk");
	std::string s = line ? line : "";

	free(line);
	return s;
}

TEST(FlowJson, EveryFieldReadsBack)
{
	std::string line = json(record("1800000000:alice"));
	json_object *o = parse(line);

	EXPECT_EQ(line.find('\n'), std::string::npos);
	EXPECT_EQ(get_str(o, "event"), "flow-end");
	EXPECT_EQ(get_int(o, "flow_id"), 42);
	EXPECT_EQ(get_str(o, "dataplane"), "dpdk");
	EXPECT_EQ(get_str(o, "start"), "2027-01-15T08:00:00.123Z");
	EXPECT_EQ(get_str(o, "end"), "2027-01-15T08:00:02.623Z");
	EXPECT_EQ(get_int(o, "duration_ms"), 2500);
	EXPECT_EQ(get_str(o, "client_ip"), "192.0.2.10");
	EXPECT_EQ(get_int(o, "client_port"), 40000);
	EXPECT_EQ(get_str(o, "transport"), "udp");
	EXPECT_EQ(get_str(o, "username"), "1800000000:alice");
	EXPECT_EQ(get_str(o, "username_hex"), "<absent>");
	EXPECT_EQ(get_str(o, "relayed_ip"), "2001:db8::1");
	EXPECT_EQ(get_int(o, "relayed_port"), 50001);
	EXPECT_EQ(get_str(o, "peer_ip"), "2001:db8::20");
	EXPECT_EQ(get_int(o, "peer_port"), 3480);
	EXPECT_EQ(get_int(o, "channel"), 0x4001);
	EXPECT_EQ(get_int(o, "to_peer_packets"), 7);
	EXPECT_EQ(get_int(o, "to_peer_bytes"), 700);
	EXPECT_EQ(get_int(o, "to_client_packets"), 5);
	EXPECT_EQ(get_int(o, "to_client_bytes"), 555);
	EXPECT_EQ(get_str(o, "end_reason"), "refreshed-to-zero");
	json_object_put(o);
}

TEST(FlowJson, PermissionOnlyFlowHasNullChannelAndUpdatesNoReason)
{
	tp_flow_record r = record("bob");
	json_object *o, *v;

	r.channel = 0;
	r.event = TP_FLOW_EVENT_INTERIM;
	o = parse(json(r));
	ASSERT_TRUE(json_object_object_get_ex(o, "channel", &v));
	EXPECT_EQ(v, nullptr) << "channel is JSON null";
	EXPECT_EQ(get_str(o, "event"), "flow-update");
	EXPECT_EQ(get_str(o, "time"), "2027-01-15T08:00:02.623Z");
	EXPECT_EQ(get_str(o, "end"), "<absent>");
	EXPECT_EQ(get_str(o, "end_reason"), "<absent>");
	json_object_put(o);
}

TEST(FlowJson, TheClientsTransport)
{
	tp_flow_record r = record("x");

	r.client.transport = TP_TRANSPORT_TLS;
	json_object *o = parse(json(r));
	EXPECT_EQ(get_str(o, "transport"), "tls");
	json_object_put(o);
}

TEST(FlowJson, EveryEndReasonHasItsName)
{
	const char *names[] = { "expired",
				"refreshed-to-zero",
				"deleted-with-allocation",
				"connection-closed",
				"kicked",
				"user-revoked",
				"peer-denied",
				"shutdown" };

	ASSERT_EQ(sizeof(names) / sizeof(names[0]), (size_t)TP_FLOW_END_COUNT);
	for (int e = 0; e < TP_FLOW_END_COUNT; e++) {
		tp_flow_record r = record("x");

		r.end = (uint8_t)e;
		json_object *o = parse(json(r));
		EXPECT_EQ(get_str(o, "end_reason"), names[e]);
		json_object_put(o);
	}
}

/* Usernames are whatever the client sent: the JSON must stay valid and lose nothing. */
TEST(FlowJson, AwkwardUsernamesStayValidJson)
{
	const std::string utf8 = "1800000000:j\xc3\xa9r\xc3\xb4me \xe2\x82\xac \xf0\x9f\x98\x80";
	const std::string quoted = "a\"b\\c/d\te\nf\x01g";
	const std::string bytes = std::string("x\xff\xfe", 3) + "\"\\" + std::string("\xc3", 1);

	json_object *o = parse(json(record(utf8)));
	EXPECT_EQ(get_str(o, "username"), utf8);
	EXPECT_EQ(get_str(o, "username_hex"), "<absent>");
	json_object_put(o);

	o = parse(json(record(quoted)));
	EXPECT_EQ(get_str(o, "username"), quoted);
	json_object_put(o);

	/* Not UTF-8: U+FFFD where a byte is not, and every byte in hex. */
	o = parse(json(record(bytes)));
	EXPECT_EQ(get_str(o, "username"), "x\xef\xbf\xbd\xef\xbf\xbd\"\\\xef\xbf\xbd");
	EXPECT_EQ(get_str(o, "username_hex"), "78fffe225cc3");
	json_object_put(o);

	/* Overlong forms and surrogates are not UTF-8 either. */
	o = parse(json(record(std::string("\xc0\xaf\xed\xa0\x80", 5))));
	EXPECT_NE(get_str(o, "username_hex"), "<absent>");
	json_object_put(o);

	/* The longest username the engine accepts. */
	o = parse(json(record(std::string(TP_USERNAME_MAX, '\xff'))));
	EXPECT_EQ(get_str(o, "username_hex").size(), 2u * TP_USERNAME_MAX);
	json_object_put(o);
}

/* The writer ---------------------------------------------------------------------------------- */

void
emit(const tp_flow_sink &sink, const std::string &username)
{
	tp_flow_record r = record(username);

	sink.emit(sink.ctx, &r);
}

struct FlowLogFile : public ::testing::Test {
	tp_config cfg{};
	std::string dir;

	void SetUp() override
	{
		char err[512], tmpl[] = "/tmp/tp-flowlog-XXXXXX";

		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
		ASSERT_NE(mkdtemp(tmpl), nullptr);
		dir = tmpl;
	}
	void TearDown() override
	{
		std::string cmd = "rm -rf " + dir;

		EXPECT_EQ(system(cmd.c_str()), 0);
		tp_config_free(&cfg);
	}
	void Output(const std::string &path, unsigned queue)
	{
		snprintf(cfg.flows.output, sizeof(cfg.flows.output), "%s", path.c_str());
		cfg.flows.queue = queue;
	}

	static std::vector<std::string> Lines(const std::string &text)
	{
		std::vector<std::string> out;
		std::istringstream in(text);
		std::string line;

		while (std::getline(in, line))
			out.push_back(line);
		return out;
	}
	static std::string Read(const std::string &path)
	{
		std::ifstream f(path);
		std::stringstream s;

		s << f.rdbuf();
		return s.str();
	}
};

TEST_F(FlowLogFile, WritesEveryRecordAndReopensOnHup)
{
	std::string path = dir + "/flows.json";
	tp_flowlog *fl = nullptr;
	tp_flow_sink sink{};
	uint64_t written = 0, skipped = 0;

	Output(path, 64);
	ASSERT_EQ(tp_flowlog_open(&cfg, "socket", &fl), 0);
	ASSERT_NE(fl, nullptr);
	tp_flowlog_sink(fl, &sink);
	emit(sink, "first");
	for (int i = 0; i < 200 && written < 1; i++) {
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
		tp_flowlog_counts(fl, &written, &skipped);
	}
	ASSERT_EQ(written, 1u);
	/* logrotate: the file moves away, SIGHUP, and the next records start a new one. */
	ASSERT_EQ(rename(path.c_str(), (path + ".1").c_str()), 0);
	tp_flowlog_reopen(fl);
	for (int i = 0; i < 200 && access(path.c_str(), F_OK) != 0; i++)
		std::this_thread::sleep_for(std::chrono::milliseconds(10));
	emit(sink, "second");
	emit(sink, "third");
	tp_flowlog_close(fl);

	auto old_lines = Lines(Read(path + ".1")), new_lines = Lines(Read(path));
	ASSERT_EQ(old_lines.size(), 1u);
	ASSERT_EQ(new_lines.size(), 2u);
	json_object *o = parse(old_lines[0]);
	EXPECT_EQ(get_str(o, "username"), "first");
	json_object_put(o);
	o = parse(new_lines[1]);
	EXPECT_EQ(get_str(o, "username"), "third");
	json_object_put(o);
}

TEST_F(FlowLogFile, AStalledOutputSkipsAndCountsNeverBlocks)
{
	std::string fifo = dir + "/fifo";
	tp_flowlog *fl = nullptr;
	tp_flow_sink sink{};
	const unsigned n = 5000;
	uint64_t written, skipped;
	std::string text;

	/* A reader that reads nothing yet: the writer's output stalls once the pipe is full. */
	ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
	int rfd = open(fifo.c_str(), O_RDONLY | O_NONBLOCK);
	ASSERT_GE(rfd, 0);
	Output(fifo, 16);
	ASSERT_EQ(tp_flowlog_open(&cfg, "xdp", &fl), 0);
	tp_flowlog_sink(fl, &sink);

	/* No timing here: a control thread that blocked would never get past this loop. */
	for (unsigned i = 0; i < n; i++) {
		tp_flow_record r = record("flood");

		r.id = i + 1;
		sink.emit(sink.ctx, &r);
	}
	tp_flowlog_counts(fl, &written, &skipped);
	EXPECT_GT(skipped, 0u) << "a stalled writer left room for " << n << " records?";

	/* Now read, and let it finish. */
	fcntl(rfd, F_SETFL, 0);
	std::thread reader([&] {
		char buf[65536];
		ssize_t got;

		while ((got = read(rfd, buf, sizeof(buf))) > 0)
			text.append(buf, (size_t)got);
	});
	tp_flowlog_counts(fl, &written, &skipped);
	tp_flowlog_close(fl);
	reader.join();
	close(rfd);

	uint64_t flows = 0, reported = 0, last_total = 0;
	for (const auto &line : Lines(text)) {
		json_object *o = parse(line);

		if (get_str(o, "event") == "flows-skipped") {
			reported += (uint64_t)get_int(o, "count");
			last_total = (uint64_t)get_int(o, "total");
		} else {
			EXPECT_EQ(get_str(o, "event"), "flow-end");
			flows++;
		}
		json_object_put(o);
	}
	EXPECT_EQ(flows + reported, n) << "every record written or reported skipped";
	EXPECT_GT(reported, 0u);
	EXPECT_EQ(last_total, reported);
}

TEST_F(FlowLogFile, AnUnwritablePathIsRefusedAtStart)
{
	tp_flowlog *fl = nullptr;

	Output(dir + "/no/such/dir/flows.json", 64);
	EXPECT_EQ(tp_flowlog_open(&cfg, "socket", &fl), -1);
	EXPECT_EQ(fl, nullptr);
}

TEST_F(FlowLogFile, OffByDefault)
{
	tp_flowlog *fl = reinterpret_cast<tp_flowlog *>(1);

	EXPECT_STREQ(cfg.flows.output, "");
	EXPECT_EQ(tp_flowlog_open(&cfg, "socket", &fl), 0);
	EXPECT_EQ(fl, nullptr);
	EXPECT_EQ(cfg.metrics.listen.family, TP_FAM_NONE);
}

/* Metrics ---------------------------------------------------------------------------------- */

TEST(MetricsText, FollowsTheExpositionFormat)
{
	auto *s = new tp_metrics_snapshot{};

	s->gauges.allocations = 3;
	s->gauges.channels = 2;
	s->eng.relayed_to_peer = 11;
	s->eng.relayed_to_peer_bytes = 1100;
	s->eng.drop_no_permission = 4;
	s->requests.by[TP_REQ_allocate][TP_RES_SUCCESS] = 3;
	s->requests.by[TP_REQ_allocate][TP_RES_UNAUTHENTICATED] = 3;
	s->requests.latency[0] = 2;
	s->requests.latency[5] = 1;
	s->requests.latency[TP_LATENCY_BUCKETS - 1] = 1;
	s->requests.latency_count = 4;
	s->requests.latency_sum_ns = 150000000;
	s->fastpath = true;
	s->reasons[TP_R_TO_PEER].packets = 100;
	s->reasons[TP_R_HAIRPIN].packets = 10;
	s->reasons[TP_R_NO_CHANNEL].packets = 6;
	s->flows = true;
	s->flows_written = 9;
	s->flows_skipped = 1;

	char *text = tp_metrics_format(s, "dpdk");
	ASSERT_NE(text, nullptr);
	std::string t = text;
	free(text);
	delete s;

	const std::regex sample(
		R"(^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"\\]*",?)*\})? [0-9.e+-]+$)");
	const std::regex comment(R"(^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* .+$)");
	std::map<std::string, std::string> values;
	std::set<std::string> names;

	for (const auto &line : FlowLogFile::Lines(t)) {
		if (line[0] == '#') {
			EXPECT_TRUE(std::regex_match(line, comment)) << line;
			continue;
		}
		EXPECT_TRUE(std::regex_match(line, sample)) << line;
		auto sp = line.rfind(' ');
		EXPECT_TRUE(names.insert(line.substr(0, sp)).second) << "twice: " << line;
		values[line.substr(0, sp)] = line.substr(sp + 1);
	}
	EXPECT_EQ(values["turnpike_allocations"], "3");
	EXPECT_EQ(values["turnpike_channels"], "2");
	EXPECT_EQ(values["turnpike_requests_total{method=\"allocate\",result=\"success\"}"], "3");
	EXPECT_EQ(values["turnpike_requests_total{method=\"allocate\",result=\"401\"}"], "3");
	EXPECT_EQ(values["turnpike_relayed_packets_total{path=\"control\",direction=\"to_peer\"}"],
		  "11");
	EXPECT_EQ(values["turnpike_relayed_bytes_total{path=\"control\",direction=\"to_peer\"}"],
		  "1100");
	/* A hairpin counts toward the peer and toward the client. */
	EXPECT_EQ(values["turnpike_relayed_packets_total{path=\"dpdk\",direction=\"to_peer\"}"],
		  "110");
	EXPECT_EQ(values["turnpike_relayed_packets_total{path=\"dpdk\",direction=\"to_client\"}"],
		  "10");
	EXPECT_EQ(values["turnpike_dataplane_frames_total{action=\"drop\",reason=\"no-channel\"}"],
		  "6");
	EXPECT_EQ(values["turnpike_engine_drop_no_permission_total"], "4");
	EXPECT_EQ(values["turnpike_flow_records_total{result=\"skipped\"}"], "1");
	/* The histogram: cumulative buckets, +Inf equal to the count. */
	EXPECT_EQ(values["turnpike_request_duration_seconds_bucket{le=\"1e-05\"}"], "2");
	EXPECT_EQ(values["turnpike_request_duration_seconds_bucket{le=\"0.0005\"}"], "3");
	EXPECT_EQ(values["turnpike_request_duration_seconds_bucket{le=\"0.1\"}"], "3");
	EXPECT_EQ(values["turnpike_request_duration_seconds_bucket{le=\"+Inf\"}"], "4");
	EXPECT_EQ(values["turnpike_request_duration_seconds_count"], "4");
	EXPECT_EQ(values["turnpike_request_duration_seconds_sum"], "0.150000000");
}

TEST(MetricsText, SocketModeHasNoFastPathSeries)
{
	tp_metrics_snapshot *s = new tp_metrics_snapshot{};
	char *text = tp_metrics_format(s, "socket");

	ASSERT_NE(text, nullptr);
	EXPECT_EQ(std::string(text).find("turnpike_dataplane_frames_total"), std::string::npos);
	EXPECT_EQ(std::string(text).find("path=\"socket\""), std::string::npos);
	EXPECT_EQ(std::string(text).find("turnpike_flow_records_total"), std::string::npos);
	free(text);
	delete s;
}

TEST(MetricsConfig, ListenTakesAddressAndPort)
{
	struct Case {
		const char *text;
		bool ok;
		const char *addr;
	} cases[] = {
		{ "127.0.0.1:9641", true, "127.0.0.1:9641" },
		{ "[::1]:9641", true, "[::1]:9641" },
		{ "", true, nullptr },
		{ "127.0.0.1", false, nullptr },
		{ "::1:9641", false, nullptr },
		{ "[::1]9641", false, nullptr },
		{ "127.0.0.1:0", false, nullptr },
		{ "127.0.0.1:65536", false, nullptr },
		{ "localhost:9641", false, nullptr },
	};

	for (const auto &c : cases) {
		tp_config cfg{};
		char err[512], text[128], buf[TP_ADDR_STRLEN];

		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
		snprintf(text, sizeof(text), "metrics: { listen = \"%s\"; };", c.text);
		int ret = tp_config_load_string(&cfg, text, "site.conf", err, sizeof(err));
		EXPECT_EQ(ret == 0, c.ok) << c.text << ": " << err;
		if (!c.ok) {
			EXPECT_NE(strstr(err, "site.conf:1: metrics.listen: "), nullptr) << err;
		} else if (c.addr) {
			EXPECT_STREQ(tp_addr_str(&cfg.metrics.listen, buf, sizeof(buf)), c.addr);
		}
		tp_config_free(&cfg);
	}
}

TEST(FlowConfig, OutputIsOffAStreamOrAnAbsolutePath)
{
	const char *good[] = { "", "stdout", "syslog", "/var/log/turnpike/flows.json" };
	const char *bad[] = { "flows.json", "stderr", "file:/x" };

	for (const char *v : good) {
		tp_config cfg{};
		char err[512], text[128];

		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
		snprintf(text, sizeof(text), "flows: { output = \"%s\"; interval = 60; };", v);
		EXPECT_EQ(tp_config_load_string(&cfg, text, "site.conf", err, sizeof(err)), 0)
			<< err;
		EXPECT_STREQ(cfg.flows.output, v);
		tp_config_free(&cfg);
	}
	for (const char *v : bad) {
		tp_config cfg{};
		char err[512], text[128];

		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
		snprintf(text, sizeof(text), "flows: { output = \"%s\"; };", v);
		EXPECT_EQ(tp_config_load_string(&cfg, text, "site.conf", err, sizeof(err)), -1)
			<< v;
		EXPECT_NE(strstr(err, "site.conf:1: flows.output: "), nullptr) << err;
		tp_config_free(&cfg);
	}
}

} // namespace
