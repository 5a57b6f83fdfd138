/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The TURN engine against RFC 8656, with a fake clock, a fake network and a fake dataplane.
 * Each test plays clients that speak real STUN (built with the codec, signed with long-term
 * keys) and reads what the engine sends back and which table changes it makes, in order.
 */
#include <gtest/gtest.h>

#include <cstring>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "auth.h"
#include "config.h"
#include "engine.h"
#include "stun.h"
#include "test_util.h"

namespace
{

const char *const kConfig = R"(
relay: {
	port-min = 50000;
	port-max = 50999;
	ipv4: { bind = "192.0.2.1"; };
	ipv6: { bind = "2001:db8::1"; };
	software = "";
};
auth: {
	realm = "test.realm";
	secrets = [ "rest-secret" ];
	users = (
		{ name = "alice"; password = "alice-pw"; },
		{ name = "bob"; password = "bob-pw"; }
	);
};
limits: {
	max-allocations = 50;
	max-allocations-per-user = 5;
	max-permissions-per-allocation = 4;
	max-channels-per-allocation = 3;
};
)";

std::string
str(const tp_addr &a)
{
	char buf[TP_ADDR_STRLEN];

	return tp_addr_str(&a, buf, sizeof(buf));
}

/* A datagram the engine sent. */
struct Sent {
	bool to_peer;
	tp_addr relay; /* to_peer only */
	tp_addr dst;
	std::vector<uint8_t> data;
	bool df;
};

/* A parsed copy of a message the engine sent to a client. */
struct Msg {
	std::vector<uint8_t> buf;
	tp_stun_msg m{};
	bool ok = false;

	explicit Msg(std::vector<uint8_t> b) : buf(std::move(b))
	{
		ok = tp_stun_parse(&m, buf.data(), buf.size()) == TP_STUN_OK;
	}
	Msg(const Msg &) = delete;

	bool success() const
	{
		return ok && m.cls == TP_STUN_SUCCESS;
	}
	int error() const
	{
		const tp_stun_attr *a = ok ? tp_stun_find(&m, TP_ATTR_ERROR_CODE) : nullptr;

		if (!a || a->len < 4)
			return 0;
		const uint8_t *v = tp_stun_value(&m, a);
		return v[2] * 100 + v[3];
	}
	const tp_stun_attr *find(uint16_t type) const
	{
		return tp_stun_find(&m, type);
	}
	std::vector<tp_addr> addrs(uint16_t type) const
	{
		std::vector<tp_addr> out;

		for (const tp_stun_attr *a = tp_stun_find(&m, type); a;
		     a = tp_stun_find_next(&m, a, type)) {
			tp_addr x;
			EXPECT_EQ(tp_stun_get_addr(&m, a, true, &x), 0);
			out.push_back(x);
		}
		return out;
	}
	uint32_t u32(uint16_t type) const
	{
		uint32_t v = 0;
		const tp_stun_attr *a = find(type);

		EXPECT_NE(a, nullptr) << tp_stun_attr_name(type);
		if (a) {
			EXPECT_EQ(tp_stun_get_u32(&m, a, &v), 0);
		}
		return v;
	}
	std::string text(uint16_t type) const
	{
		const tp_stun_attr *a = find(type);

		return a ? std::string((const char *)tp_stun_value(&m, a), a->len) : std::string();
	}
};

class Engine : public ::testing::Test
{
      public:
	tp_config cfg{};
	tp_engine *eng = nullptr;
	uint64_t now_ms = 5000000;
	int64_t unix_s = 1800000000;
	std::vector<Sent> sent;
	std::vector<std::string> events;     /* dataplane calls and responses, in order */
	std::set<std::string> relays, chans; /* what the fake dataplane holds */
	bool drop_tx = false;		     /* the fake dataplane drops what it is to send */
	int refuse_ports = 0;		     /* relay_open answers -EADDRINUSE this many times */

	void SetUp() override
	{
		Start("");
	}
	void TearDown() override
	{
		Stop();
		tp_config_free(&cfg);
	}

	void Start(const std::string &extra)
	{
		char err[512];

		Stop();
		tp_config_free(&cfg);
		ASSERT_EQ(tp_config_defaults(&cfg, err, sizeof(err)), 0) << err;
		ASSERT_EQ(tp_config_load_string(&cfg, kConfig, "test", err, sizeof(err)), 0) << err;
		if (!extra.empty()) {
			ASSERT_EQ(tp_config_load_string(&cfg, extra.c_str(), "extra", err,
							sizeof(err)),
				  0)
				<< err;
		}
		eng = tp_engine_create(&cfg, &ops, this);
		ASSERT_NE(eng, nullptr);
		tp_engine_set_time(eng, now_ms, unix_s);
	}
	void Stop()
	{
		if (eng)
			tp_engine_destroy(eng);
		eng = nullptr;
	}

	void Advance(unsigned seconds)
	{
		/* Step in ticks, as the socket loop does, so timers see every slot. */
		for (unsigned i = 0; i < seconds * 4; i++) {
			now_ms += 250;
			if (i % 4 == 3)
				unix_s++;
			tp_engine_set_time(eng, now_ms, unix_s);
			tp_engine_tick(eng);
		}
	}

	/* Take what was sent to dst (a client or a peer), oldest first. */
	std::vector<Sent> Take(const tp_addr &dst)
	{
		std::vector<Sent> out, rest;

		for (auto &s : sent)
			(tp_addr_eq(&s.dst, &dst) ? out : rest).push_back(s);
		sent = rest;
		return out;
	}

	static std::string Relay(const tp_addr *relay)
	{
		return str(*relay);
	}
	static std::string Chan(const tp_binding *c)
	{
		return str(c->client) + "#" + std::to_string(c->channel) + "@" + str(c->relay) +
		       "->" + str(c->peer);
	}

	/* What the fake dataplane sends; with drop_tx set, it drops everything (returns false). */
	static bool ToClient(void *ctx, const tp_addr *client, const void *buf, size_t len)
	{
		auto *t = static_cast<Engine *>(ctx);
		auto *p = static_cast<const uint8_t *>(buf);

		if (t->drop_tx)
			return false;
		t->sent.push_back({ false, {}, *client, std::vector<uint8_t>(p, p + len), false });
		t->events.push_back("client " + str(*client));
		return true;
	}
	static bool ToPeer(void *ctx, const tp_addr *relay, const tp_addr *peer, const void *buf,
			   size_t len, bool df)
	{
		auto *t = static_cast<Engine *>(ctx);
		auto *p = static_cast<const uint8_t *>(buf);

		if (t->drop_tx)
			return false;
		t->sent.push_back({ true, *relay, *peer, std::vector<uint8_t>(p, p + len), df });
		return true;
	}
	static int Open(void *ctx, const tp_addr *relay)
	{
		auto *t = static_cast<Engine *>(ctx);

		if (t->refuse_ports > 0) {
			t->refuse_ports--;
			return -EADDRINUSE;
		}
		EXPECT_TRUE(t->relays.insert(Relay(relay)).second)
			<< "opened twice: " << Relay(relay);
		t->events.push_back("open " + Relay(relay));
		return 0;
	}
	static void Close(void *ctx, const tp_addr *relay)
	{
		auto *t = static_cast<Engine *>(ctx);

		EXPECT_EQ(t->relays.erase(Relay(relay)), 1u) << "closed unopened " << Relay(relay);
		t->events.push_back("close " + Relay(relay));
	}
	static int ChanAdd(void *ctx, const tp_binding *c)
	{
		auto *t = static_cast<Engine *>(ctx);

		EXPECT_TRUE(t->chans.insert(Chan(c)).second) << Chan(c);
		t->events.push_back("chan+ " + Chan(c));
		return 0;
	}
	static void ChanDel(void *ctx, const tp_binding *c)
	{
		auto *t = static_cast<Engine *>(ctx);

		EXPECT_EQ(t->chans.erase(Chan(c)), 1u) << Chan(c);
		t->events.push_back("chan- " + Chan(c));
	}

	/* By name, the rest zero: members the fake does not implement are the optional ones. */
	static tp_dataplane FakeDataplane()
	{
		tp_dataplane d{};

		d.name = "fake";
		d.to_client = ToClient;
		d.to_peer = ToPeer;
		d.relay_open = Open;
		d.relay_close = Close;
		d.chan_add = ChanAdd;
		d.chan_del = ChanDel;
		return d;
	}

	tp_dataplane ops = FakeDataplane(); /* a test may add the optional ops before Start() */

	struct tp_engine_gauges Gauges()
	{
		struct tp_engine_gauges g;

		tp_engine_gauges(eng, &g);
		return g;
	}
	const struct tp_engine_stats &Stats()
	{
		return *tp_engine_stats(eng);
	}
};

using Fill = std::function<void(tp_stun_builder *)>;

/* A TURN client with long-term credentials, as a real one behaves: it learns the nonce from
 * a 401 and retries, and refreshes it on 438. */
struct Client {
	Engine *t;
	tp_addr addr;
	std::string user, password, realm = "test.realm", nonce;
	bool sha256 = false; /* PASSWORD-ALGORITHM SHA-256 and MESSAGE-INTEGRITY-SHA256 */
	bool fingerprint = true;
	uint8_t tid[TP_STUN_TID_LEN] = {};
	uint32_t seq = 0;

	Client(Engine *e, const char *ip, uint16_t port, std::string u = "alice",
	       std::string p = "alice-pw")
	    : t(e), addr(::addr(ip, port)), user(std::move(u)), password(std::move(p))
	{
	}

	void NewTid()
	{
		seq++;
		memcpy(tid, &seq, sizeof(seq));
		tid[11] = (uint8_t)addr.port;
	}

	std::vector<uint8_t> Build(uint16_t method, uint8_t cls, const Fill &fill, bool auth)
	{
		static const uint8_t algs[] = { 0, 2, 0, 0, 0, 1, 0, 0 };
		static const uint8_t alg_sha256[] = { 0, 2, 0, 0 };
		std::vector<uint8_t> buf(2048);
		tp_stun_builder b;
		uint8_t key[32];

		tp_stun_build_init(&b, buf.data(), buf.size(), method, cls, tid);
		if (fill)
			fill(&b);
		if (auth) {
			tp_stun_add(&b, TP_ATTR_USERNAME, user.data(), user.size());
			tp_stun_add(&b, TP_ATTR_REALM, realm.data(), realm.size());
			tp_stun_add(&b, TP_ATTR_NONCE, nonce.data(), nonce.size());
			if (sha256) {
				tp_stun_add(&b, TP_ATTR_PASSWORD_ALGORITHMS, algs, sizeof(algs));
				tp_stun_add(&b, TP_ATTR_PASSWORD_ALGORITHM, alg_sha256, 4);
			}
			tp_auth_derive_key(sha256, user.data(), user.size(), realm.c_str(),
					   password.c_str(), key);
			tp_stun_add_integrity(&b, sha256, key, sha256 ? 32 : 16);
		}
		if (fingerprint)
			tp_stun_add_fingerprint(&b);
		int len = tp_stun_build_end(&b);
		EXPECT_GT(len, 0);
		buf.resize(len > 0 ? (size_t)len : 0);
		return buf;
	}

	void Send(const std::vector<uint8_t> &buf)
	{
		tp_engine_client_input(t->eng, &addr, buf.data(), buf.size());
	}

	/* The one response to the last request (and nothing else sent to this client). */
	std::unique_ptr<Msg> Response()
	{
		auto got = t->Take(addr);

		EXPECT_EQ(got.size(), 1u) << "responses to " << str(addr);
		if (got.size() != 1)
			return std::make_unique<Msg>(std::vector<uint8_t>());
		auto m = std::make_unique<Msg>(got[0].data);
		EXPECT_TRUE(m->ok);
		EXPECT_EQ(memcmp(m->m.tid, tid, TP_STUN_TID_LEN), 0);
		return m;
	}

	/* A request with credentials, learning the nonce first as a client does. */
	std::unique_ptr<Msg> Request(uint16_t method, const Fill &fill = nullptr)
	{
		for (int attempt = 0; attempt < 3; attempt++) {
			NewTid();
			Send(Build(method, TP_STUN_REQUEST, fill, !nonce.empty()));
			auto r = Response();
			if (r->error() == 401 && nonce.empty()) {
				nonce = r->text(TP_ATTR_NONCE);
				continue;
			}
			if (r->error() == 438) {
				nonce = r->text(TP_ATTR_NONCE);
				continue;
			}
			return r;
		}
		ADD_FAILURE() << "no answer past the challenges";
		return std::make_unique<Msg>(std::vector<uint8_t>());
	}

	/* Is a response signed with this client's key? */
	bool Signed(const Msg &r)
	{
		uint8_t key[32];

		tp_auth_derive_key(sha256, user.data(), user.size(), realm.c_str(),
				   password.c_str(), key);
		return tp_stun_check_integrity(&r.m, sha256, key, sha256 ? 32 : 16);
	}

	static void RequestUdp(tp_stun_builder *b)
	{
		tp_stun_add_u32(b, TP_ATTR_REQUESTED_TRANSPORT, 17u << 24);
	}
	/* A plain Allocate, signed or not, in the current transaction (for tests that send it
	 * by hand: no challenge handling). */
	std::vector<uint8_t> BuildAllocate(bool auth)
	{
		return Build(TP_STUN_ALLOCATE, TP_STUN_REQUEST, RequestUdp, auth);
	}
	std::unique_ptr<Msg> Allocate(const Fill &fill = nullptr)
	{
		return Request(TP_STUN_ALLOCATE, [&](tp_stun_builder *b) {
			RequestUdp(b);
			if (fill)
				fill(b);
		});
	}
	tp_addr AllocateOk(const Fill &fill = nullptr)
	{
		auto r = Allocate(fill);
		EXPECT_TRUE(r->success()) << "error " << r->error();
		auto relayed = r->addrs(TP_ATTR_XOR_RELAYED_ADDRESS);
		EXPECT_GE(relayed.size(), 1u);
		return relayed.empty() ? tp_addr{} : relayed[0];
	}
	std::unique_ptr<Msg> Permit(std::vector<tp_addr> peers)
	{
		return Request(TP_STUN_CREATE_PERMISSION, [&](tp_stun_builder *b) {
			for (auto &p : peers)
				tp_stun_add_addr(b, TP_ATTR_XOR_PEER_ADDRESS, &p, true);
		});
	}
	std::unique_ptr<Msg> Bind(uint16_t channel, tp_addr peer)
	{
		return Request(TP_STUN_CHANNEL_BIND, [&](tp_stun_builder *b) {
			tp_stun_add_u32(b, TP_ATTR_CHANNEL_NUMBER, (uint32_t)channel << 16);
			tp_stun_add_addr(b, TP_ATTR_XOR_PEER_ADDRESS, &peer, true);
		});
	}
	std::unique_ptr<Msg> Refresh(int lifetime, int family = 0)
	{
		return Request(TP_STUN_REFRESH, [&](tp_stun_builder *b) {
			if (lifetime >= 0)
				tp_stun_add_u32(b, TP_ATTR_LIFETIME, (uint32_t)lifetime);
			if (family)
				tp_stun_add_u32(b, TP_ATTR_REQUESTED_ADDRESS_FAMILY,
						(uint32_t)family << 24);
		});
	}
	void ChannelData(uint16_t channel, const std::string &payload, size_t pad = 0,
			 int claimed = -1)
	{
		std::vector<uint8_t> buf(4 + payload.size() + pad, 0xEE);
		size_t len = claimed >= 0 ? (size_t)claimed : payload.size();

		buf[0] = (uint8_t)(channel >> 8);
		buf[1] = (uint8_t)channel;
		buf[2] = (uint8_t)(len >> 8);
		buf[3] = (uint8_t)len;
		memcpy(buf.data() + 4, payload.data(), payload.size());
		Send(buf);
	}
	void SendIndication(tp_addr peer, const std::string &payload, bool df = false)
	{
		NewTid();
		Send(Build(
			TP_STUN_SEND, TP_STUN_INDICATION,
			[&](tp_stun_builder *b) {
				tp_stun_add_addr(b, TP_ATTR_XOR_PEER_ADDRESS, &peer, true);
				tp_stun_add(b, TP_ATTR_DATA, payload.data(), payload.size());
				if (df)
					tp_stun_add(b, TP_ATTR_DONT_FRAGMENT, nullptr, 0);
			},
			false));
	}
};

std::string
payload(const Sent &s)
{
	return std::string(s.data.begin(), s.data.end());
}

/* What a client received as relayed data: the channel (0 for a Data indication), the peer
 * (for a Data indication) and the payload. */
struct Relayed {
	uint16_t channel = 0;
	tp_addr peer{};
	std::string data;
};

Relayed
decode(const Sent &s)
{
	Relayed r;

	if (s.data.size() >= 4 && (s.data[0] & 0xc0) == 0x40) {
		r.channel = (uint16_t)(s.data[0] << 8 | s.data[1]);
		size_t len = (size_t)(s.data[2] << 8 | s.data[3]);
		EXPECT_EQ(len + 4, s.data.size());
		r.data.assign(s.data.begin() + 4, s.data.end());
		return r;
	}
	Msg m(s.data);
	EXPECT_TRUE(m.ok);
	EXPECT_EQ(m.m.method, TP_STUN_DATA);
	EXPECT_EQ(m.m.cls, TP_STUN_INDICATION);
	auto peers = m.addrs(TP_ATTR_XOR_PEER_ADDRESS);
	EXPECT_EQ(peers.size(), 1u);
	if (!peers.empty())
		r.peer = peers[0];
	r.data = m.text(TP_ATTR_DATA);
	return r;
}

const tp_addr kPeer = addr("198.51.100.7", 40000);
const tp_addr kPeer6 = addr("2001:db8:ffff::7", 40000);

/* Binding ---------------------------------------------------------------------------------- */

TEST_F(Engine, BindingAnswersWithTheClientsMappedAddressAndNoState)
{
	Client c(this, "203.0.113.10", 5000);

	c.NewTid();
	c.Send(c.Build(TP_STUN_BINDING, TP_STUN_REQUEST, nullptr, false));
	auto r = c.Response();
	ASSERT_TRUE(r->success());
	auto mapped = r->addrs(TP_ATTR_XOR_MAPPED_ADDRESS);
	ASSERT_EQ(mapped.size(), 1u);
	EXPECT_TRUE(tp_addr_eq(&mapped[0], &c.addr));
	EXPECT_NE(r->m.fp_off, 0u) << "FINGERPRINT mirrors the request's";
	EXPECT_EQ(Gauges().allocations, 0u);

	c.fingerprint = false;
	c.NewTid();
	c.Send(c.Build(TP_STUN_BINDING, TP_STUN_REQUEST, nullptr, false));
	EXPECT_EQ(c.Response()->m.fp_off, 0u);
}

TEST_F(Engine, BindingWithUnknownComprehensionRequiredAttributeGets420)
{
	Client c(this, "203.0.113.10", 5000);

	c.NewTid();
	c.Send(c.Build(
		TP_STUN_BINDING, TP_STUN_REQUEST,
		[](tp_stun_builder *b) { tp_stun_add_u32(b, 0x0003, 0); }, false));
	auto r = c.Response();
	EXPECT_EQ(r->error(), 420);
	const tp_stun_attr *u = r->find(TP_ATTR_UNKNOWN_ATTRIBUTES);
	ASSERT_NE(u, nullptr);
	ASSERT_EQ(u->len, 2);
	EXPECT_EQ(tp_stun_value(&r->m, u)[1], 0x03);
}

TEST_F(Engine, UnknownMethodsAndClassesAreDroppedSilently)
{
	Client c(this, "203.0.113.10", 5000);

	c.NewTid();
	c.Send(c.Build(0x00A, TP_STUN_REQUEST, nullptr, false));
	c.Send(c.Build(TP_STUN_ALLOCATE, TP_STUN_INDICATION, nullptr, false));
	c.Send(c.Build(TP_STUN_BINDING, TP_STUN_SUCCESS, nullptr, false));
	c.Send(c.Build(TP_STUN_BINDING, TP_STUN_INDICATION, nullptr, false)); /* keepalive */
	EXPECT_TRUE(Take(c.addr).empty());
	EXPECT_EQ(Stats().drop_unexpected, 3u);
}

TEST_F(Engine, MalformedStunAndNonTurnDatagramsAreCountedDrops)
{
	Client c(this, "203.0.113.10", 5000);

	c.NewTid();
	auto good = c.Build(TP_STUN_BINDING, TP_STUN_REQUEST, nullptr, true);
	auto bad = good;
	bad[bad.size() - 1] ^= 1; /* FINGERPRINT */
	c.Send(bad);
	c.Send(std::vector<uint8_t>{ 0x80, 0, 0, 0 }); /* RTP-ish */
	c.Send(std::vector<uint8_t>{});
	EXPECT_TRUE(Take(c.addr).empty());
	EXPECT_EQ(Stats().drop_malformed, 1u);
	EXPECT_EQ(Stats().drop_not_turn, 2u);
}

/* Authentication ----------------------------------------------------------------------------- */

TEST_F(Engine, AllocateWithoutCredentialsGets401WithChallengeAndCreatesNothing)
{
	Client c(this, "203.0.113.10", 5000);

	c.NewTid();
	c.Send(c.BuildAllocate(false));
	auto r = c.Response();
	EXPECT_EQ(r->error(), 401);
	EXPECT_EQ(r->text(TP_ATTR_REALM), "test.realm");
	EXPECT_EQ(r->text(TP_ATTR_NONCE).rfind("obMatJos2gAAA", 0), 0u);
	EXPECT_NE(r->find(TP_ATTR_PASSWORD_ALGORITHMS), nullptr);
	EXPECT_EQ(r->m.mi_off, 0u);
	EXPECT_EQ(Gauges().allocations, 0u);
	EXPECT_EQ(Gauges().users, 0u);
	EXPECT_TRUE(relays.empty());
}

TEST_F(Engine, WrongPasswordAndUnknownUserGet401)
{
	Client c(this, "203.0.113.10", 5000, "alice", "wrong");
	EXPECT_EQ(c.Allocate()->error(), 401);

	Client d(this, "203.0.113.10", 5001, "mallory", "x");
	EXPECT_EQ(d.Allocate()->error(), 401);
	EXPECT_EQ(Gauges().allocations, 0u);
}

TEST_F(Engine, NonceExpiresWith438AndAFreshNonceWorks)
{
	Client c(this, "203.0.113.10", 5000);
	c.AllocateOk([](tp_stun_builder *b) { tp_stun_add_u32(b, TP_ATTR_LIFETIME, 3600); });
	std::string first = c.nonce;

	Advance(cfg.nonce_lifetime + 1);
	/* The client's nonce is stale: Request() sees the 438, takes the new nonce, retries. */
	auto r = c.Refresh(600);
	EXPECT_TRUE(r->success());
	EXPECT_NE(c.nonce, first);
	EXPECT_GE(Stats().auth_challenges, 2u);
}

TEST_F(Engine, NonceIsBoundToTheClientsTransportAddress)
{
	Client a(this, "203.0.113.10", 5000);
	a.AllocateOk();

	Client b(this, "203.0.113.10", 5001);
	b.nonce = a.nonce; /* taken from another 5-tuple */
	b.NewTid();
	b.Send(b.BuildAllocate(true));
	EXPECT_EQ(b.Response()->error(), 438);
}

TEST_F(Engine, ResponsesAreSignedWithTheRequestsIntegrityKind)
{
	Client md5(this, "203.0.113.10", 5000);
	auto r = md5.Allocate();
	ASSERT_TRUE(r->success());
	EXPECT_NE(r->m.mi_off, 0u);
	EXPECT_EQ(r->m.mi256_off, 0u);
	EXPECT_TRUE(md5.Signed(*r));

	Client sha(this, "203.0.113.10", 5001, "bob", "bob-pw");
	sha.sha256 = true;
	r = sha.Allocate();
	ASSERT_TRUE(r->success()) << r->error();
	EXPECT_NE(r->m.mi256_off, 0u);
	EXPECT_TRUE(sha.Signed(*r));
}

TEST_F(Engine, SoftwareAndReasonPhrasesGoOnlyInSignedResponses)
{
	Start("relay: { software = \"turnpike-test 1.0\"; };");
	Client c(this, "203.0.113.10", 5000);

	/* Unsigned answers go to whatever address a request claims: nothing they can spare. */
	c.NewTid();
	c.Send(c.Build(TP_STUN_BINDING, TP_STUN_REQUEST, nullptr, false));
	auto r = c.Response();
	ASSERT_TRUE(r->success());
	EXPECT_EQ(r->find(TP_ATTR_SOFTWARE), nullptr) << "unsigned success";

	c.NewTid();
	c.Send(c.BuildAllocate(false));
	r = c.Response();
	EXPECT_EQ(r->error(), 401);
	EXPECT_EQ(r->find(TP_ATTR_SOFTWARE), nullptr) << "unsigned error";
	EXPECT_EQ(r->text(TP_ATTR_ERROR_CODE).size(), 4u) << "no reason phrase";

	r = c.Allocate();
	ASSERT_TRUE(r->success());
	EXPECT_EQ(r->text(TP_ATTR_SOFTWARE), "turnpike-test 1.0") << "signed success";
	EXPECT_TRUE(c.Signed(*r));
	ASSERT_NE(r->find(TP_ATTR_SOFTWARE), nullptr);
	EXPECT_LT(r->find(TP_ATTR_SOFTWARE)->off, r->m.mi_off) << "covered by the integrity";

	r = c.Allocate();
	EXPECT_EQ(r->error(), 437);
	EXPECT_EQ(r->text(TP_ATTR_SOFTWARE), "turnpike-test 1.0") << "signed error";
	EXPECT_EQ(r->text(TP_ATTR_ERROR_CODE).substr(4), "Allocation Mismatch");
	EXPECT_TRUE(c.Signed(*r));

	/* software-unauthenticated puts it back in the unsigned ones. */
	Start("relay: { software = \"turnpike-test 1.0\"; software-unauthenticated = true; };");
	Client e(this, "203.0.113.10", 5002);
	e.NewTid();
	e.Send(e.BuildAllocate(false));
	r = e.Response();
	EXPECT_EQ(r->error(), 401);
	EXPECT_EQ(r->text(TP_ATTR_SOFTWARE), "turnpike-test 1.0");

	/* software = "" (this suite's config) leaves the attribute out everywhere. */
	Start("");
	Client d(this, "203.0.113.10", 5001);
	r = d.Allocate();
	ASSERT_TRUE(r->success());
	EXPECT_EQ(r->find(TP_ATTR_SOFTWARE), nullptr);
	r = d.Allocate();
	EXPECT_EQ(r->error(), 437);
	EXPECT_EQ(r->find(TP_ATTR_SOFTWARE), nullptr);
}

TEST_F(Engine, UnauthenticatedAnswersAreAsSmallAsTheRfcsAllow)
{
	Start("relay: { software = \"turnpike\"; };");
	Client c(this, "198.51.100.20", 4000);
	c.fingerprint = false;

	/* The smallest Allocate (28 bytes): header, ERROR-CODE 401 without a phrase, REALM
	 * ("test.realm", padded to 12), NONCE (29 characters, padded to 32), and
	 * PASSWORD-ALGORITHMS (SHA-256, MD5). */
	c.NewTid();
	auto req = c.BuildAllocate(false);
	EXPECT_EQ(req.size(), 28u);
	c.Send(req);
	auto r = c.Response();
	EXPECT_EQ(r->error(), 401);
	EXPECT_EQ(r->buf.size(), 20u + 8u + (4u + 12u) + (4u + 32u) + (4u + 8u));

	/* Binding: header and XOR-MAPPED-ADDRESS. */
	c.NewTid();
	c.Send(c.Build(TP_STUN_BINDING, TP_STUN_REQUEST, nullptr, false));
	r = c.Response();
	EXPECT_TRUE(r->success());
	EXPECT_EQ(r->buf.size(), 20u + 12u);
}

/* Bytes in what the relay sent. */
static size_t
sent_bytes(const std::vector<Sent> &got)
{
	size_t n = 0;

	for (auto &s : got)
		n += s.data.size();
	return n;
}

TEST_F(Engine, UnauthenticatedAnswersStayWithinWhatTheSourceSent)
{
	Start("limits: { unauthenticated-burst = 2000; unauthenticated-rate = 100; };");
	Client spoofed(this, "198.51.100.7", 4000), other(this, "198.51.100.8", 4000);
	spoofed.fingerprint = false;

	/* The smallest Allocate there is (28 bytes), a thousand times: the 401 is bigger. */
	size_t in = 0;
	for (int i = 0; i < 1000; i++) {
		spoofed.NewTid();
		auto req = spoofed.BuildAllocate(false);
		in += req.size();
		spoofed.Send(req);
	}
	auto got = Take(spoofed.addr);
	size_t out = sent_bytes(got);
	EXPECT_EQ(in, 28000u);
	ASSERT_FALSE(got.empty());
	Msg first(got[0].data);
	EXPECT_EQ(first.error(), 401);
	EXPECT_LE(out, in + 2000) << "at most what it sent, beyond the burst";
	EXPECT_GE(out, in) << "and answered at its own byte rate, not shut out";
	EXPECT_EQ(Stats().drop_answer_budget, 1000u - got.size());
	EXPECT_EQ(Stats().auth_challenges, got.size()) << "only the 401s that went";
	EXPECT_EQ(tp_engine_requests(eng)->by[TP_REQ_allocate][TP_RES_UNAUTHENTICATED], 1000u);

	/* Other sources have budgets of their own, another port of the same address does not. */
	other.NewTid();
	other.Send(other.BuildAllocate(false));
	EXPECT_EQ(other.Response()->error(), 401);
	Client same_ip(this, "198.51.100.7", 4001);
	same_ip.fingerprint = false;
	for (int i = 0; i < 10; i++) {
		same_ip.NewTid();
		same_ip.Send(same_ip.BuildAllocate(false));
	}
	EXPECT_LE(Take(same_ip.addr).size(), 4u) << "the budget is per address, not per port";

	/* A quiet while refills it: 100 bytes a second, 2000 at most. */
	Advance(30);
	for (int i = 0; i < 10; i++) {
		same_ip.NewTid();
		same_ip.Send(same_ip.BuildAllocate(false));
	}
	EXPECT_EQ(Take(same_ip.addr).size(), 10u) << "refilled";
}

/* Where the dataplane can drop a source's requests ahead of the engine, a source past its
 * budget is muted there, for TP_ENGINE_MUTE_MS, and only then. */
static std::vector<std::pair<std::string, unsigned>> mutes;

TEST_F(Engine, ASourcePastItsBudgetIsMutedInTheDataplane)
{
	mutes.clear();
	ops.mute = [](void *, const tp_addr *source, unsigned ms) {
		char text[64];

		tp_addr_str(source, text, sizeof(text));
		mutes.emplace_back(text, ms);
	};
	Start("limits: { unauthenticated-burst = 1024; unauthenticated-rate = 0; };");
	Client flood(this, "198.51.100.7", 4000);
	flood.fingerprint = false;

	for (int i = 0; i < 10; i++) {
		flood.NewTid();
		flood.Send(flood.BuildAllocate(false));
	}
	EXPECT_TRUE(mutes.empty()) << "within the burst: answered, not muted";
	for (int i = 0; i < 100; i++) {
		flood.NewTid();
		flood.Send(flood.BuildAllocate(false));
	}
	ASSERT_FALSE(mutes.empty());
	EXPECT_EQ(mutes.size(), Stats().drop_answer_budget) << "once for each answer dropped";
	EXPECT_EQ(mutes[0].first.rfind("198.51.100.7", 0), 0u) << mutes[0].first;
	EXPECT_EQ(mutes[0].second, (unsigned)TP_ENGINE_MUTE_MS);
}

TEST_F(Engine, AnIpv6SiteSharesOneBudgetPerSlash64)
{
	Start("limits: { unauthenticated-burst = 1024; unauthenticated-rate = 0; };");
	size_t out_site = 0, in_site = 0;

	/* A flood from many addresses of one /64 is one source. */
	for (int i = 0; i < 200; i++) {
		std::string ip = "2001:db8:5:6::" + std::to_string(i + 1);
		Client c(this, ip.c_str(), 4000);
		c.NewTid();
		auto req = c.BuildAllocate(false);
		in_site += req.size();
		c.Send(req);
		out_site += sent_bytes(Take(c.addr));
	}
	EXPECT_LE(out_site, in_site + 1024);
	EXPECT_GT(Stats().drop_answer_budget, 0u);

	/* The next /64 is another. */
	Client next(this, "2001:db8:5:7::1", 4000);
	next.NewTid();
	next.Send(next.BuildAllocate(false));
	EXPECT_EQ(next.Response()->error(), 401);
}

TEST_F(Engine, ClientsThatAuthenticatePayForTheirChallenges)
{
	/* Many honest clients behind one NAT address, no refill: each one's 401 costs more than
	 * its first Allocate, and its signed requests pay that back. */
	Start("limits: { unauthenticated-burst = 1024; unauthenticated-rate = 0; "
	      "max-allocations = 1000; max-allocations-per-user = 0; };");
	for (int i = 0; i < 300; i++) {
		Client c(this, "203.0.113.50", (uint16_t)(10000 + i));
		auto r = c.Allocate();
		ASSERT_TRUE(r->success()) << "client " << i << ": " << r->error();
	}
	EXPECT_EQ(Stats().drop_answer_budget, 0u);
}

TEST_F(Engine, AnswerBudgetsTakeTheSameMemoryWhateverTheSources)
{
	Start("limits: { unauthenticated-sources = 64; };");
	/* Far more sources than the table holds: each is answered (a fresh source has its
	 * burst), the oldest are forgotten, and the count says so. */
	for (unsigned i = 0; i < 1000; i++) {
		std::string ip = "10.0." + std::to_string(i >> 8) + "." + std::to_string(i & 255);
		Client c(this, ip.c_str(), 4000);
		c.NewTid();
		c.Send(c.BuildAllocate(false));
		EXPECT_EQ(c.Response()->error(), 401);
	}
	EXPECT_GE(Stats().answer_budget_evictions, 1000u - 64u);
	EXPECT_EQ(Stats().drop_answer_budget, 0u);
}

/* coturn's use-auth-secret password, computed here with OpenSSL, not the code under test. */
std::string
rest_password(const std::string &secret, const std::string &user)
{
	unsigned char mac[EVP_MAX_MD_SIZE], b64[64];
	unsigned maclen = 0;

	HMAC(EVP_sha1(), secret.data(), (int)secret.size(), (const unsigned char *)user.data(),
	     user.size(), mac, &maclen);
	EVP_EncodeBlock(b64, mac, (int)maclen);
	return std::string((const char *)b64);
}

TEST_F(Engine, TimeLimitedCredentialsAsCoturnsUseAuthSecret)
{
	Client c(this, "203.0.113.10", 5000, "1800003600:carol", "");
	c.password = rest_password("rest-secret", c.user);
	EXPECT_TRUE(c.Allocate()->success());

	Client old(this, "203.0.113.10", 5001, "1799999999:carol", "");
	old.password = rest_password("rest-secret", old.user);
	EXPECT_EQ(old.Allocate()->error(), 401) << "expired credentials";

	Client forged(this, "203.0.113.10", 5002, "1800003600:carol", "");
	forged.password = rest_password("other-secret", forged.user);
	EXPECT_EQ(forged.Allocate()->error(), 401);
}

TEST_F(Engine, UnknownComprehensionRequiredAttributeAfterAuthGets420Signed)
{
	Client c(this, "203.0.113.10", 5000);
	auto r = c.Allocate([](tp_stun_builder *b) { tp_stun_add_u32(b, 0x7ABC, 1); });
	EXPECT_EQ(r->error(), 420);
	EXPECT_TRUE(c.Signed(*r));
	const tp_stun_attr *u = r->find(TP_ATTR_UNKNOWN_ATTRIBUTES);
	ASSERT_NE(u, nullptr);
	EXPECT_EQ(tp_stun_value(&r->m, u)[0], 0x7A);
	EXPECT_EQ(Gauges().allocations, 0u);
}

/* Allocate ------------------------------------------------------------------------------------- */

TEST_F(Engine, AllocateOpensTheRelayBeforeAnsweringAndReportsAddresses)
{
	Client c(this, "203.0.113.10", 5000);
	auto r = c.Allocate();
	ASSERT_TRUE(r->success());

	auto relayed = r->addrs(TP_ATTR_XOR_RELAYED_ADDRESS);
	ASSERT_EQ(relayed.size(), 1u);
	EXPECT_EQ(relayed[0].family, TP_FAM_V4);
	EXPECT_EQ(str(relayed[0]).rfind("192.0.2.1:", 0), 0u);
	EXPECT_GE(relayed[0].port, 50000);
	EXPECT_LE(relayed[0].port, 50999);
	EXPECT_EQ(r->u32(TP_ATTR_LIFETIME), 600u);
	auto mapped = r->addrs(TP_ATTR_XOR_MAPPED_ADDRESS);
	ASSERT_EQ(mapped.size(), 1u);
	EXPECT_TRUE(tp_addr_eq(&mapped[0], &c.addr));

	/* The relayed address is open in the dataplane before the response leaves. */
	ASSERT_GE(events.size(), 2u);
	EXPECT_EQ(events[events.size() - 2], "open " + str(relayed[0]));
	EXPECT_EQ(events.back(), "client " + str(c.addr));
	EXPECT_EQ(Gauges().allocations, 1u);
}

TEST_F(Engine, RelayedAddressIsThePublicOneBehindNat)
{
	Start("relay: { ipv4: { bind = \"10.0.0.5\"; public = \"203.0.113.200\"; }; };");
	Client c(this, "198.51.100.20", 5000);
	tp_addr relayed = c.AllocateOk();
	EXPECT_EQ(str(relayed).rfind("203.0.113.200:", 0), 0u);
	/* The dataplane opens the bind address. */
	EXPECT_EQ(relays.count("10.0.0.5:" + std::to_string(relayed.port)), 1u);
}

TEST_F(Engine, RelayedIpv6AddressIsThePublicOneBehindNat)
{
	Start("relay: { ipv6: { bind = \"fd00::5\"; public = \"2001:db8::200\"; }; };");
	Client c(this, "2001:db8:5::10", 5000);
	tp_addr relayed = c.AllocateOk([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_REQUESTED_ADDRESS_FAMILY, 0x02u << 24);
	});
	EXPECT_EQ(str(relayed).rfind("[2001:db8::200]:", 0), 0u);
	EXPECT_EQ(Stats().allocations_ipv4, 0u);
	EXPECT_EQ(Stats().allocations_ipv6, 1u);
	/* The dataplane opens the bind address, and data leaves from it. */
	std::string bound = str(addr("fd00::5", relayed.port));
	EXPECT_EQ(relays.count(bound), 1u);
	ASSERT_TRUE(c.Permit({ kPeer6 })->success());
	EXPECT_EQ(Gauges().permissions, 1u);
	c.SendIndication(kPeer6, "out");
	auto out = Take(kPeer6);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(str(out[0].relay), bound);
}

TEST_F(Engine, RetransmittedAllocateGetsTheSameAnswerAnotherGets437)
{
	Client c(this, "203.0.113.10", 5000);
	auto first = c.Allocate();
	ASSERT_TRUE(first->success());
	auto before = first->addrs(TP_ATTR_XOR_RELAYED_ADDRESS)[0];

	/* Same transaction ID: a retransmission. */
	c.Send(c.BuildAllocate(true));
	auto again = c.Response();
	ASSERT_TRUE(again->success());
	EXPECT_TRUE(tp_addr_eq(&again->addrs(TP_ATTR_XOR_RELAYED_ADDRESS)[0], &before));
	EXPECT_EQ(relays.size(), 1u);

	EXPECT_EQ(c.Allocate()->error(), 437);
}

TEST_F(Engine, AllocateTransportChecks)
{
	Client c(this, "203.0.113.10", 5000);

	auto r = c.Request(TP_STUN_ALLOCATE);
	EXPECT_EQ(r->error(), 400) << "REQUESTED-TRANSPORT missing";
	r = c.Request(TP_STUN_ALLOCATE, [](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_REQUESTED_TRANSPORT, 6u << 24);
	});
	EXPECT_EQ(r->error(), 442) << "TCP";
	r = c.Request(TP_STUN_ALLOCATE, [](tp_stun_builder *b) {
		tp_stun_add(b, TP_ATTR_REQUESTED_TRANSPORT, "\x11", 1);
	});
	EXPECT_EQ(r->error(), 400) << "malformed";
	EXPECT_TRUE(c.Signed(*r));
	r = c.Allocate(
		[](tp_stun_builder *b) { tp_stun_add(b, TP_ATTR_DONT_FRAGMENT, nullptr, 0); });
	EXPECT_TRUE(r->success()) << "DONT-FRAGMENT is accepted";
}

TEST_F(Engine, RequestedAddressFamily)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_REQUESTED_ADDRESS_FAMILY, 0x02u << 24);
	});
	EXPECT_EQ(relayed.family, TP_FAM_V6);
	EXPECT_EQ(str(relayed).rfind("[2001:db8::1]:", 0), 0u);

	Client d(this, "203.0.113.10", 5001);
	auto r = d.Allocate([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_REQUESTED_ADDRESS_FAMILY, 0x03u << 24);
	});
	EXPECT_EQ(r->error(), 440);

	Start("relay: { ipv6: { enabled = false; }; };");
	Client e(this, "203.0.113.10", 5002);
	r = e.Allocate([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_REQUESTED_ADDRESS_FAMILY, 0x02u << 24);
	});
	EXPECT_EQ(r->error(), 440);

	Start("relay: { ipv4: { enabled = false; }; };");
	Client f(this, "2001:db8:5::10", 5003);
	EXPECT_EQ(f.Allocate()->error(), 440) << "IPv4 is the default family";
}

TEST_F(Engine, DualAllocationGetsOneAddressPerFamily)
{
	Client c(this, "203.0.113.10", 5000);
	auto r = c.Allocate([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0x02u << 24);
	});
	ASSERT_TRUE(r->success());
	auto relayed = r->addrs(TP_ATTR_XOR_RELAYED_ADDRESS);
	ASSERT_EQ(relayed.size(), 2u);
	EXPECT_EQ(relayed[0].family, TP_FAM_V4);
	EXPECT_EQ(relayed[1].family, TP_FAM_V6);
	EXPECT_EQ(r->find(TP_ATTR_ADDRESS_ERROR_CODE), nullptr);
	EXPECT_EQ(relays.size(), 2u);

	/* coturn's client still uses the draft's code point. */
	Client d(this, "203.0.113.10", 5001);
	r = d.Allocate([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY_OLD, 0x02u << 24);
	});
	EXPECT_EQ(r->addrs(TP_ATTR_XOR_RELAYED_ADDRESS).size(), 2u);
}

TEST_F(Engine, DualAllocationChecks)
{
	Client c(this, "203.0.113.10", 5000);
	auto r = c.Allocate([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0x01u << 24);
	});
	EXPECT_EQ(r->error(), 400) << "the additional family must be IPv6";
	r = c.Allocate([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0x02u << 24);
		tp_stun_add_u32(b, TP_ATTR_REQUESTED_ADDRESS_FAMILY, 0x01u << 24);
	});
	EXPECT_EQ(r->error(), 400) << "with REQUESTED-ADDRESS-FAMILY";
	r = c.Allocate([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0x02u << 24);
		tp_stun_add(b, TP_ATTR_EVEN_PORT, "\x80", 1);
	});
	EXPECT_EQ(r->error(), 400) << "with EVEN-PORT R";

	Start("relay: { ipv6: { enabled = false; }; };");
	Client d(this, "203.0.113.10", 5001);
	r = d.Allocate([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0x02u << 24);
	});
	ASSERT_TRUE(r->success()) << "IPv4 alone, with the reason for IPv6";
	EXPECT_EQ(r->addrs(TP_ATTR_XOR_RELAYED_ADDRESS).size(), 1u);
	const tp_stun_attr *ae = r->find(TP_ATTR_ADDRESS_ERROR_CODE);
	ASSERT_NE(ae, nullptr);
	const uint8_t *v = tp_stun_value(&r->m, ae);
	EXPECT_EQ(v[0], TP_FAM_V6);
	EXPECT_EQ(v[2] * 100 + v[3], 440);
}

TEST_F(Engine, EvenPortAndReservations)
{
	Client c(this, "203.0.113.10", 5000);
	auto r = c.Allocate(
		[](tp_stun_builder *b) { tp_stun_add(b, TP_ATTR_EVEN_PORT, "\x80", 1); });
	ASSERT_TRUE(r->success());
	tp_addr first = r->addrs(TP_ATTR_XOR_RELAYED_ADDRESS)[0];
	EXPECT_EQ(first.port % 2, 0);
	const tp_stun_attr *tok = r->find(TP_ATTR_RESERVATION_TOKEN);
	ASSERT_NE(tok, nullptr);
	ASSERT_EQ(tok->len, 8);
	std::string token((const char *)tp_stun_value(&r->m, tok), 8);
	EXPECT_EQ(relays.size(), 2u) << "port+1 is held for the token";
	EXPECT_EQ(Gauges().reservations, 1u);

	Client d(this, "203.0.113.11", 6000);
	r = d.Allocate([&](tp_stun_builder *b) {
		tp_stun_add(b, TP_ATTR_RESERVATION_TOKEN, token.data(), 8);
	});
	ASSERT_TRUE(r->success());
	EXPECT_EQ(r->addrs(TP_ATTR_XOR_RELAYED_ADDRESS)[0].port, first.port + 1);
	EXPECT_EQ(Gauges().reservations, 0u);

	Client e(this, "203.0.113.12", 6000);
	r = e.Allocate([&](tp_stun_builder *b) {
		tp_stun_add(b, TP_ATTR_RESERVATION_TOKEN, token.data(), 8);
	});
	EXPECT_EQ(r->error(), 508) << "a token is good once";
	r = e.Allocate([&](tp_stun_builder *b) {
		tp_stun_add(b, TP_ATTR_RESERVATION_TOKEN, token.data(), 8);
		tp_stun_add(b, TP_ATTR_EVEN_PORT, "\x00", 1);
	});
	EXPECT_EQ(r->error(), 400) << "token with EVEN-PORT";
	r = e.Allocate([](tp_stun_builder *b) { tp_stun_add(b, TP_ATTR_EVEN_PORT, "\x00", 1); });
	ASSERT_TRUE(r->success());
	EXPECT_EQ(r->addrs(TP_ATTR_XOR_RELAYED_ADDRESS)[0].port % 2, 0);
	EXPECT_EQ(r->find(TP_ATTR_RESERVATION_TOKEN), nullptr);
}

TEST_F(Engine, UnusedReservationsExpireAfter30Seconds)
{
	Client c(this, "203.0.113.10", 5000);
	auto r = c.Allocate(
		[](tp_stun_builder *b) { tp_stun_add(b, TP_ATTR_EVEN_PORT, "\x80", 1); });
	ASSERT_TRUE(r->success());
	std::string token((const char *)tp_stun_value(&r->m, r->find(TP_ATTR_RESERVATION_TOKEN)),
			  8);

	Advance(31);
	EXPECT_EQ(relays.size(), 1u);
	Client d(this, "203.0.113.11", 6000);
	r = d.Allocate([&](tp_stun_builder *b) {
		tp_stun_add(b, TP_ATTR_RESERVATION_TOKEN, token.data(), 8);
	});
	EXPECT_EQ(r->error(), 508);
}

TEST_F(Engine, PortsTheDataplaneRefusesAreSkipped)
{
	refuse_ports = 5;
	Client c(this, "203.0.113.10", 5000);
	c.AllocateOk();
	EXPECT_EQ(relays.size(), 1u);

	/* A dataplane that refuses every port: 508, and nothing half-made. */
	refuse_ports = 1000000;
	Client d(this, "203.0.113.10", 5001);
	EXPECT_EQ(d.Allocate()->error(), 508);
	EXPECT_EQ(Gauges().allocations, 1u);
	EXPECT_EQ(Gauges().users, 1u);
}

TEST_F(Engine, LifetimeIsClampedBetweenDefaultAndMaximum)
{
	struct {
		int requested;
		uint32_t granted;
	} cases[] = { { -1, 600 }, { 0, 600 }, { 100, 600 }, { 1800, 1800 }, { 99999, 3600 } };
	uint16_t port = 5000;

	for (auto &k : cases) {
		Client c(this, "203.0.113.10", port++);
		auto r = c.Allocate([&](tp_stun_builder *b) {
			if (k.requested >= 0)
				tp_stun_add_u32(b, TP_ATTR_LIFETIME, (uint32_t)k.requested);
		});
		ASSERT_TRUE(r->success());
		EXPECT_EQ(r->u32(TP_ATTR_LIFETIME), k.granted) << "requested " << k.requested;
	}
}

TEST_F(Engine, AllocationExpiresOnItsTimerAndClosesTheRelay)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();
	c.Permit({ kPeer });
	c.Bind(0x4000, kPeer);

	Advance(599);
	EXPECT_EQ(Gauges().allocations, 1u);
	c.Refresh(600); /* permissions and channel lapse meanwhile; the allocation lives on */
	Advance(599);
	EXPECT_EQ(Gauges().allocations, 1u);
	EXPECT_EQ(Gauges().permissions, 0u);
	Advance(2);
	EXPECT_EQ(Gauges().allocations, 0u);
	EXPECT_EQ(Gauges().relays, 0u);
	EXPECT_TRUE(relays.empty());
	EXPECT_EQ(events.back(), "close " + str(addr("192.0.2.1", relayed.port)));
	EXPECT_EQ(Stats().allocations_expired, 1u);
	EXPECT_EQ(c.Refresh(600)->error(), 437);
}

/* Refresh ---------------------------------------------------------------------------------- */

TEST_F(Engine, RefreshWithLifetimeZeroDeletesAtOnce)
{
	Client c(this, "203.0.113.10", 5000);
	c.AllocateOk();
	c.Bind(0x4001, kPeer);
	ASSERT_EQ(chans.size(), 1u);

	auto r = c.Refresh(0);
	ASSERT_TRUE(r->success());
	EXPECT_EQ(r->u32(TP_ATTR_LIFETIME), 0u);
	EXPECT_TRUE(relays.empty());
	EXPECT_TRUE(chans.empty());
	EXPECT_EQ(Gauges().permissions, 0u);
	EXPECT_EQ(Gauges().allocations, 0u);
	EXPECT_EQ(Stats().allocations_deleted, 1u);
	EXPECT_EQ(c.Refresh(0)->error(), 437);
}

TEST_F(Engine, RefreshWithoutAllocationGets437)
{
	Client c(this, "203.0.113.10", 5000);
	EXPECT_EQ(c.Refresh(600)->error(), 437);
	EXPECT_EQ(c.Permit({ kPeer })->error(), 437);
	EXPECT_EQ(c.Bind(0x4000, kPeer)->error(), 437);
}

TEST_F(Engine, RequestsOnAnAllocationMustUseItsUsername)
{
	Client alice(this, "203.0.113.10", 5000);
	alice.AllocateOk();
	Client bob(this, "203.0.113.10", 5000, "bob", "bob-pw");
	EXPECT_EQ(bob.Refresh(600)->error(), 441);
	EXPECT_EQ(bob.Permit({ kPeer })->error(), 441);
	EXPECT_EQ(Gauges().permissions, 0u);
}

TEST_F(Engine, RefreshOfOneFamilyOfADualAllocation)
{
	Client c(this, "203.0.113.10", 5000);
	auto r = c.Allocate([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0x02u << 24);
	});
	ASSERT_TRUE(r->success());
	EXPECT_EQ(Stats().allocations_ipv4, 1u);
	EXPECT_EQ(Stats().allocations_ipv6, 1u) << "one allocation, both families counted";
	c.Permit({ kPeer, kPeer6 });
	EXPECT_EQ(Gauges().permissions, 2u);

	EXPECT_TRUE(c.Refresh(0, TP_FAM_V6)->success());
	EXPECT_EQ(relays.size(), 1u) << "only the IPv6 relay goes";
	EXPECT_EQ(Gauges().permissions, 1u) << "with its permissions only";
	EXPECT_EQ(c.Refresh(600, TP_FAM_V6)->error(), 443);
	EXPECT_EQ(c.Permit({ kPeer6 })->error(), 443);

	/* The IPv4 half still expires on its own clock. */
	Advance(601);
	EXPECT_EQ(Gauges().allocations, 0u);
}

/* Quotas ------------------------------------------------------------------------------------- */

TEST_F(Engine, PerUserQuotaGives486AndTotalGives508)
{
	uint16_t port = 5000;
	for (int i = 0; i < 5; i++) {
		Client c(this, "203.0.113.10", port++);
		c.AllocateOk();
	}
	Client sixth(this, "203.0.113.10", port++);
	EXPECT_EQ(sixth.Allocate()->error(), 486);

	/* Deleting one frees a place. */
	Client first(this, "203.0.113.10", 5000);
	EXPECT_TRUE(first.Refresh(0)->success());
	EXPECT_TRUE(sixth.Allocate()->success());

	Start("limits: { max-allocations = 2; };");
	Client a(this, "203.0.113.20", 1), b(this, "203.0.113.21", 1, "bob", "bob-pw");
	Client c(this, "203.0.113.22", 1, "bob", "bob-pw");
	a.AllocateOk();
	b.AllocateOk();
	EXPECT_EQ(c.Allocate()->error(), 508);
}

/* Permissions -------------------------------------------------------------------------------- */

TEST_F(Engine, CreatePermissionInstallsByIpOnly)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();
	ASSERT_TRUE(c.Permit({ kPeer })->success());
	EXPECT_EQ(Gauges().permissions, 1u);

	/* Any port of the permitted IP may send. */
	tp_addr other_port = addr("198.51.100.7", 1234);
	tp_engine_peer_input(eng, &relayed, &other_port, (const uint8_t *)"hi", 2);
	auto got = Take(c.addr);
	ASSERT_EQ(got.size(), 1u);
	Relayed d = decode(got[0]);
	EXPECT_EQ(d.channel, 0);
	EXPECT_TRUE(tp_addr_eq(&d.peer, &other_port));
	EXPECT_EQ(d.data, "hi");

	tp_addr stranger = addr("198.51.100.8", 40000);
	tp_engine_peer_input(eng, &relayed, &stranger, (const uint8_t *)"x", 1);
	EXPECT_TRUE(Take(c.addr).empty());
	EXPECT_EQ(Stats().drop_no_permission, 1u);
}

TEST_F(Engine, CreatePermissionChecks)
{
	Client c(this, "203.0.113.10", 5000);
	c.AllocateOk();
	EXPECT_EQ(c.Request(TP_STUN_CREATE_PERMISSION)->error(), 400) << "no XOR-PEER-ADDRESS";
	auto r = c.Request(TP_STUN_CREATE_PERMISSION, [](tp_stun_builder *b) {
		tp_stun_add(b, TP_ATTR_XOR_PEER_ADDRESS, "\x00\x01\x00", 3);
	});
	EXPECT_EQ(r->error(), 400) << "malformed address";
	EXPECT_EQ(c.Permit({ kPeer6 })->error(), 443) << "IPv6 peer on an IPv4 allocation";

	/* All or nothing: a denied address fails the request and installs none. */
	EXPECT_EQ(c.Permit({ kPeer, addr("10.1.2.3", 1) })->error(), 403);
	EXPECT_EQ(Gauges().permissions, 0u);

	/* Capacity: 4 per allocation in this config. */
	EXPECT_TRUE(c.Permit({ addr("198.51.100.1", 1), addr("198.51.100.2", 1),
			       addr("198.51.100.3", 1) })
			    ->success());
	EXPECT_EQ(c.Permit({ addr("198.51.100.4", 1), addr("198.51.100.5", 1) })->error(), 508);
	EXPECT_TRUE(c.Permit({ addr("198.51.100.1", 9), addr("198.51.100.4", 1) })->success())
		<< "refreshing an existing one takes no new place";
	EXPECT_EQ(Gauges().permissions, 4u);
}

TEST_F(Engine, PermissionExpiresAfter300SecondsUnlessRefreshed)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();
	c.Permit({ kPeer });
	Advance(200);
	c.Permit({ kPeer });
	Advance(200);
	EXPECT_EQ(Gauges().permissions, 1u) << "refreshed at 200 s";
	Advance(101);
	EXPECT_EQ(Gauges().permissions, 0u);
	tp_engine_peer_input(eng, &relayed, &kPeer, (const uint8_t *)"x", 1);
	EXPECT_TRUE(Take(c.addr).empty());
}

TEST_F(Engine, EveryDeniedPeerFormGets403)
{
	const char *denied[] = {
		"127.0.0.1",
		"0.0.0.0",
		"169.254.10.1",
		"224.0.0.251",
		"255.255.255.255",
		"10.0.0.1",
		"192.168.1.1",
		"::1",
		"::",
		"fe80::1",
		"ff02::1",
		"fd00::1",
		"::ffff:127.0.0.1",
		"::ffff:0.0.0.0",
		"::ffff:169.254.1.1",
		"::ffff:224.0.0.1",
		"::ffff:255.255.255.255",
		"64:ff9b::7f00:1",
		"64:ff9b::",
		"64:ff9b::a9fe:101",
		"64:ff9b::e000:1",
		"64:ff9b::ffff:ffff",
	};
	Client c(this, "203.0.113.10", 5000);
	ASSERT_TRUE(c.Allocate([](tp_stun_builder *b) {
			     tp_stun_add_u32(b, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0x02u << 24);
		     })->success());
	for (const char *ip : denied) {
		EXPECT_EQ(c.Permit({ addr(ip, 1) })->error(), 403) << ip;
		EXPECT_EQ(c.Bind(0x4000, addr(ip, 1))->error(), 403) << ip;
	}
	EXPECT_EQ(Gauges().permissions, 0u);
	EXPECT_TRUE(chans.empty());

	/* The allow list reopens what it names, in every spelling. */
	Start("peers: { allow = [ \"127.0.0.0/8\" ]; };");
	Client d(this, "203.0.113.10", 5000);
	ASSERT_TRUE(d.Allocate([](tp_stun_builder *b) {
			     tp_stun_add_u32(b, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0x02u << 24);
		     })->success());
	EXPECT_TRUE(d.Permit({ addr("127.0.0.1", 1) })->success());
	EXPECT_TRUE(d.Permit({ addr("::ffff:127.0.0.1", 1) })->success());
	EXPECT_EQ(d.Permit({ addr("10.0.0.1", 1) })->error(), 403);
}

/* Channels ------------------------------------------------------------------------------------ */

TEST_F(Engine, ChannelBindPutsBothDirectionsInTheDataplaneBeforeAnswering)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();
	auto r = c.Bind(0x4000, kPeer);
	ASSERT_TRUE(r->success());
	EXPECT_TRUE(c.Signed(*r));

	std::string chan =
		str(c.addr) + "#16384@" + str(addr("192.0.2.1", relayed.port)) + "->" + str(kPeer);
	EXPECT_EQ(chans.count(chan), 1u);
	ASSERT_GE(events.size(), 2u);
	EXPECT_EQ(events[events.size() - 2], "chan+ " + chan);
	EXPECT_EQ(events.back(), "client " + str(c.addr));

	c.ChannelData(0x4000, "to peer");
	auto out = Take(kPeer);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_TRUE(out[0].to_peer);
	EXPECT_EQ(str(out[0].relay), str(addr("192.0.2.1", relayed.port)));
	EXPECT_EQ(payload(out[0]), "to peer");

	tp_engine_peer_input(eng, &relayed, &kPeer, (const uint8_t *)"back", 4);
	auto got = Take(c.addr);
	ASSERT_EQ(got.size(), 1u);
	Relayed d = decode(got[0]);
	EXPECT_EQ(d.channel, 0x4000);
	EXPECT_EQ(d.data, "back");

	/* Another port of the same peer IP has no channel: Data indication. */
	tp_addr other = addr("198.51.100.7", 40001);
	tp_engine_peer_input(eng, &relayed, &other, (const uint8_t *)"di", 2);
	got = Take(c.addr);
	ASSERT_EQ(got.size(), 1u);
	EXPECT_EQ(decode(got[0]).channel, 0);
}

TEST_F(Engine, ChannelNumbersAndConflicts)
{
	Client c(this, "203.0.113.10", 5000);
	c.AllocateOk();
	EXPECT_EQ(c.Bind(0x3FFF, kPeer)->error(), 400);
	EXPECT_EQ(c.Bind(0x8000, kPeer)->error(), 400);
	EXPECT_TRUE(c.Bind(0x4000, kPeer)->success());
	EXPECT_TRUE(c.Bind(0x7FFF, addr("198.51.100.9", 1))->success());
	EXPECT_TRUE(c.Bind(0x4000, kPeer)->success()) << "rebinding the same pair refreshes";
	EXPECT_EQ(c.Bind(0x4000, addr("198.51.100.8", 1))->error(), 400) << "number taken";
	EXPECT_EQ(c.Bind(0x4001, kPeer)->error(), 400) << "peer taken";
	EXPECT_EQ(c.Bind(0x4002, kPeer6)->error(), 443);
	EXPECT_EQ(c.Request(TP_STUN_CHANNEL_BIND,
			    [](tp_stun_builder *b) {
				    tp_stun_add_u32(b, TP_ATTR_CHANNEL_NUMBER, 0x4003u << 16);
			    })
			  ->error(),
		  400)
		<< "no peer";
	EXPECT_TRUE(c.Bind(0x4003, addr("198.51.100.10", 1))->success());
	EXPECT_EQ(c.Bind(0x4004, addr("198.51.100.11", 1))->error(), 508) << "3 channels at most";
	EXPECT_EQ(chans.size(), 3u);
}

TEST_F(Engine, ChannelExpiresAfter600SecondsUnlessRebound)
{
	Client c(this, "203.0.113.10", 5000);
	c.AllocateOk([](tp_stun_builder *b) { tp_stun_add_u32(b, TP_ATTR_LIFETIME, 3600); });
	c.Bind(0x4000, kPeer);
	Advance(290);
	c.Bind(0x4000, kPeer);
	Advance(290);
	c.Bind(0x4000, kPeer); /* at 580 s: the channel now ends at 1180 s */
	Advance(250);
	c.Permit({ kPeer }); /* so the permission is not what ends it */
	Advance(250);
	c.Permit({ kPeer });
	Advance(90);
	EXPECT_EQ(chans.size(), 1u) << "rebound at 580 s";
	Advance(20);
	EXPECT_TRUE(chans.empty());
	EXPECT_EQ(Gauges().channels, 0u);
	c.ChannelData(0x4000, "x");
	EXPECT_TRUE(Take(kPeer).empty());
	EXPECT_EQ(Stats().drop_no_channel, 1u);
	EXPECT_TRUE(c.Bind(0x4001, kPeer)->success()) << "the peer may take a new number";
}

TEST_F(Engine, ChannelLeavesTheDataplaneWithItsPermissionAndComesBack)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();
	c.Bind(0x4000, kPeer);
	Advance(301); /* the permission lapses, the channel is still bound */
	EXPECT_TRUE(chans.empty());
	EXPECT_EQ(Gauges().permissions, 0u);
	EXPECT_EQ(Gauges().channels, 1u);
	c.ChannelData(0x4000, "x");
	tp_engine_peer_input(eng, &relayed, &kPeer, (const uint8_t *)"y", 1);
	EXPECT_TRUE(Take(kPeer).empty());
	EXPECT_TRUE(Take(c.addr).empty());

	c.Permit({ kPeer });
	EXPECT_EQ(chans.size(), 1u);
	c.ChannelData(0x4000, "x");
	EXPECT_EQ(Take(kPeer).size(), 1u);
}

TEST_F(Engine, ChannelDataLengthRules)
{
	Client c(this, "203.0.113.10", 5000);
	c.AllocateOk();
	c.Bind(0x4000, kPeer);

	c.ChannelData(0x4000, "abcde", 3); /* padded to 4: the pad is not relayed */
	auto out = Take(kPeer);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_EQ(payload(out[0]), "abcde");

	c.ChannelData(0x4000, "", 0); /* empty is valid */
	out = Take(kPeer);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_TRUE(out[0].data.empty());

	c.ChannelData(0x4000, "abc", 0, 4); /* claims more than it carries */
	c.ChannelData(0x4000, "abc", 4);    /* more than padding behind */
	c.ChannelData(0x4001, "abc");	    /* unbound */
	std::vector<uint8_t> shortmsg = { 0x40, 0x00, 0x00 };
	c.Send(shortmsg);
	EXPECT_TRUE(Take(kPeer).empty());
	EXPECT_EQ(Stats().drop_bad_channel_data, 3u);
	EXPECT_EQ(Stats().drop_no_channel, 1u);

	Client stranger(this, "203.0.113.99", 5000);
	stranger.ChannelData(0x4000, "abc");
	EXPECT_EQ(Stats().drop_no_allocation, 1u);
}

/* Indications -------------------------------------------------------------------------------- */

TEST_F(Engine, SendIndicationRelaysWithPermissionOnly)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();
	c.SendIndication(kPeer, "early");
	EXPECT_TRUE(Take(kPeer).empty());
	EXPECT_EQ(Stats().drop_no_permission, 1u);

	c.Permit({ kPeer });
	c.SendIndication(kPeer, "hello");
	c.SendIndication(kPeer, "df", true);
	auto out = Take(kPeer);
	ASSERT_EQ(out.size(), 2u);
	EXPECT_EQ(payload(out[0]), "hello");
	EXPECT_FALSE(out[0].df);
	EXPECT_EQ(str(out[0].relay), str(addr("192.0.2.1", relayed.port)));
	EXPECT_TRUE(out[1].df) << "DONT-FRAGMENT asks for DF";
	EXPECT_TRUE(Take(c.addr).empty()) << "indications get no answer";

	Client stranger(this, "203.0.113.99", 5000);
	stranger.SendIndication(kPeer, "x");
	EXPECT_EQ(Stats().drop_no_allocation, 1u);
	c.NewTid();
	c.Send(c.Build(
		TP_STUN_SEND, TP_STUN_INDICATION,
		[](tp_stun_builder *b) { tp_stun_add(b, TP_ATTR_DATA, "x", 1); }, false));
	EXPECT_EQ(Stats().drop_bad_send, 1u);
}

/* Hairpin ------------------------------------------------------------------------------------ */

TEST_F(Engine, HairpinBetweenTwoAllocationsOfThisRelayNeverLeavesIt)
{
	Start("relay: { ipv4: { bind = \"10.0.0.5\"; public = \"203.0.113.200\"; }; };");
	Client a(this, "198.51.100.20", 5000), b(this, "198.51.100.21", 5000, "bob", "bob-pw");
	tp_addr ra = a.AllocateOk(), rb = b.AllocateOk();

	/* ICE pairs two relay candidates: each permits the other's relayed (public) address. */
	ASSERT_TRUE(a.Bind(0x4000, rb)->success());
	ASSERT_TRUE(b.Permit({ ra })->success());
	sent.clear();

	a.ChannelData(0x4000, "a to b");
	auto got = Take(b.addr);
	ASSERT_EQ(got.size(), 1u);
	Relayed d = decode(got[0]);
	EXPECT_EQ(d.channel, 0) << "b has no channel: Data indication";
	EXPECT_TRUE(tp_addr_eq(&d.peer, &ra)) << "from a's public relayed address";
	EXPECT_EQ(d.data, "a to b");

	ASSERT_TRUE(b.Bind(0x4444, ra)->success());
	sent.clear();
	b.ChannelData(0x4444, "b to a");
	got = Take(a.addr);
	ASSERT_EQ(got.size(), 1u);
	d = decode(got[0]);
	EXPECT_EQ(d.channel, 0x4000);
	EXPECT_EQ(d.data, "b to a");

	for (auto &s : sent)
		EXPECT_FALSE(s.to_peer) << "nothing went out to the network";
	EXPECT_EQ(Stats().hairpinned, 2u);
}

/*
 * Several relayed addresses per family: allocations spread evenly over them, each address has
 * the whole port range (the same port at two addresses is two allocations), 508 only once
 * every address is full, and data reaches the allocation at the address it came to; a
 * hairpin between two addresses stays inside, seen as from the sender's public address.
 */
TEST_F(Engine, AllocationsSpreadOverEveryRelayedAddress)
{
	Start("relay: { port-min = 50000; port-max = 50003; ipv4: { bind = [ \"10.0.0.5\", "
	      "\"10.0.0.6\" ]; public = [ \"203.0.113.5\", \"203.0.113.6\" ]; }; };"
	      "limits: { max-allocations-per-user = 0; };");
	std::vector<std::unique_ptr<Client>> clients;
	std::map<std::string, unsigned> per_address;
	std::set<std::string> seen;

	for (uint16_t i = 0; i < 8; i++) {
		clients.push_back(std::make_unique<Client>(this, "198.51.100.20", 5000 + i));
		tp_addr r = clients.back()->AllocateOk();
		std::string text = str(r);

		EXPECT_TRUE(seen.insert(text).second) << text << " twice";
		per_address[text.substr(0, text.find(':'))]++;
		/* At every moment the addresses hold as many as each other, give or take one. */
		unsigned a = per_address["203.0.113.5"], b = per_address["203.0.113.6"];
		EXPECT_LE(a > b ? a - b : b - a, 1u) << "after " << i + 1;
	}
	EXPECT_EQ(per_address["203.0.113.5"], 4u);
	EXPECT_EQ(per_address["203.0.113.6"], 4u);
	EXPECT_EQ(relays.count("10.0.0.6:50000"), 1u) << "the dataplane opens the bind address";
	Client full(this, "198.51.100.20", 6000);
	EXPECT_EQ(full.Allocate()->error(), 508);

	/* One port per address: two allocations on the same port, one at each address. */
	Start("relay: { port-min = 50000; port-max = 50000; ipv4: { bind = [ \"10.0.0.5\", "
	      "\"10.0.0.6\" ]; public = [ \"203.0.113.5\", \"203.0.113.6\" ]; }; };");
	Client x(this, "198.51.100.30", 5000), y(this, "198.51.100.31", 5000, "bob", "bob-pw");
	tp_addr ra = x.AllocateOk(), rb = y.AllocateOk();
	Client *a = &x, *b = &y;
	EXPECT_EQ(str(ra), "203.0.113.5:50000");
	EXPECT_EQ(str(rb), "203.0.113.6:50000");

	/* Peer data to b's relayed address (its bind address, as the dataplane gives it). */
	ASSERT_TRUE(b->Permit({ kPeer })->success());
	tp_addr bound = addr("10.0.0.6", 50000);
	sent.clear();
	tp_engine_peer_input(eng, &bound, &kPeer, (const uint8_t *)"to b", 4);
	ASSERT_EQ(Take(b->addr).size(), 1u);
	EXPECT_TRUE(Take(a->addr).empty());

	/* A hairpin from a's address to b's. */
	ASSERT_TRUE(a->Bind(0x4000, rb)->success());
	ASSERT_TRUE(b->Permit({ ra })->success());
	sent.clear();
	a->ChannelData(0x4000, "a to b");
	auto got = Take(b->addr);
	ASSERT_EQ(got.size(), 1u);
	Relayed d = decode(got[0]);
	EXPECT_TRUE(tp_addr_eq(&d.peer, &ra)) << "from a's public relayed address";
	EXPECT_EQ(d.data, "a to b");
	for (auto &s : sent)
		EXPECT_FALSE(s.to_peer) << "nothing went out to the network";
}

/*
 * The same port at two relayed addresses is two allocations, and so are their permissions and
 * channels: one's permission admits nothing to the other, and both may bind a channel to the
 * same peer, each with its own number.
 */
TEST_F(Engine, PermissionsAndChannelsBelongToTheirRelayedAddress)
{
	Start("relay: { port-min = 50000; port-max = 50000; ipv4: { bind = [ \"10.0.0.5\", "
	      "\"10.0.0.6\" ]; public = [ \"203.0.113.5\", \"203.0.113.6\" ]; }; };");
	Client a(this, "198.51.100.30", 5000), b(this, "198.51.100.31", 5000, "bob", "bob-pw");
	ASSERT_EQ(str(a.AllocateOk()), "203.0.113.5:50000");
	ASSERT_EQ(str(b.AllocateOk()), "203.0.113.6:50000");
	tp_addr at_a = addr("10.0.0.5", 50000), at_b = addr("10.0.0.6", 50000);

	/* b's permission for the peer: the peer reaches b, not a. */
	ASSERT_TRUE(b.Permit({ kPeer })->success());
	sent.clear();
	tp_engine_peer_input(eng, &at_a, &kPeer, (const uint8_t *)"to a", 4);
	EXPECT_TRUE(Take(a.addr).empty()) << "a has no permission for the peer";
	EXPECT_EQ(Stats().drop_no_permission, 1u);
	tp_engine_peer_input(eng, &at_b, &kPeer, (const uint8_t *)"to b", 4);
	EXPECT_EQ(Take(b.addr).size(), 1u);

	/* Both bind a channel to the same peer; each hears the peer on its own channel. */
	ASSERT_TRUE(a.Bind(0x4001, kPeer)->success());
	ASSERT_TRUE(b.Bind(0x4002, kPeer)->success());
	sent.clear();
	tp_engine_peer_input(eng, &at_a, &kPeer, (const uint8_t *)"to a", 4);
	tp_engine_peer_input(eng, &at_b, &kPeer, (const uint8_t *)"to b", 4);
	auto got_a = Take(a.addr), got_b = Take(b.addr);
	ASSERT_EQ(got_a.size(), 1u);
	ASSERT_EQ(got_b.size(), 1u);
	EXPECT_EQ(decode(got_a[0]).channel, 0x4001);
	EXPECT_EQ(decode(got_a[0]).data, "to a");
	EXPECT_EQ(decode(got_b[0]).channel, 0x4002);
	EXPECT_EQ(decode(got_b[0]).data, "to b");
}

/*
 * A wildcard bind (0.0.0.0 behind a public address): peer data arrives on the sockets bound
 * to it, and the dataplane hands it over as to 0.0.0.0:port, the address the engine opened.
 */
TEST_F(Engine, AWildcardBindRelaysPeerData)
{
	Start("relay: { ipv4: { bind = \"0.0.0.0\"; public = \"203.0.113.5\"; }; };");
	Client a(this, "198.51.100.30", 5000);
	tp_addr ra = a.AllocateOk();
	ASSERT_EQ(str(ra).rfind("203.0.113.5:", 0), 0u);
	tp_addr bound = addr("0.0.0.0", ra.port);
	EXPECT_EQ(relays.count(str(bound)), 1u) << "the dataplane opens the wildcard address";

	ASSERT_TRUE(a.Permit({ kPeer })->success());
	sent.clear();
	tp_engine_peer_input(eng, &bound, &kPeer, (const uint8_t *)"hello", 5);
	auto got = Take(a.addr);
	ASSERT_EQ(got.size(), 1u);
	EXPECT_EQ(decode(got[0]).data, "hello");
	EXPECT_EQ(Stats().drop_no_allocation, 0u);
}

/*
 * The relay's own address may lie in a range denied to peers (a private bind address with
 * deny-private, or loopback with the default denies and no allow list): its allocations
 * still reach each other, while the rest of that address and of its range stay shut.
 */
TEST_F(Engine, HairpinWorksWhenTheRelaysOwnAddressIsInADeniedRange)
{
	const struct {
		const char *conf, *own, *neighbour;
	} cases[] = {
		{ "relay: { ipv4: { bind = \"10.0.0.1\"; }; };", "10.0.0.1", "10.0.0.2" },
		{ "relay: { ipv4: { bind = \"127.0.0.1\"; }; };", "127.0.0.1", "127.0.0.2" },
	};

	for (const auto &k : cases) {
		SCOPED_TRACE(k.own);
		Start(k.conf);
		ASSERT_TRUE(cfg.deny_private);
		ASSERT_EQ(cfg.nallow, 0u);
		Client a(this, "198.51.100.20", 5000);
		Client b(this, "198.51.100.21", 5000, "bob", "bob-pw");
		tp_addr ra = a.AllocateOk(), rb = b.AllocateOk();
		ASSERT_EQ(str(ra).rfind(std::string(k.own) + ":", 0), 0u);
		ASSERT_EQ(str(rb).rfind(std::string(k.own) + ":", 0), 0u);

		/* The range stays denied around the relay's own address. */
		EXPECT_EQ(a.Permit({ addr(k.neighbour, rb.port) })->error(), 403);
		EXPECT_EQ(a.Bind(0x4001, addr(k.neighbour, rb.port))->error(), 403);

		/* a reaches b through a channel, b answers through a permission alone. */
		ASSERT_TRUE(a.Bind(0x4000, rb)->success());
		ASSERT_TRUE(b.Permit({ ra })->success());
		sent.clear();
		a.ChannelData(0x4000, "a to b");
		auto got = Take(b.addr);
		ASSERT_EQ(got.size(), 1u);
		Relayed d = decode(got[0]);
		EXPECT_EQ(d.channel, 0);
		EXPECT_TRUE(tp_addr_eq(&d.peer, &ra));
		EXPECT_EQ(d.data, "a to b");

		b.SendIndication(ra, "b to a");
		got = Take(a.addr);
		ASSERT_EQ(got.size(), 1u);
		d = decode(got[0]);
		EXPECT_EQ(d.channel, 0x4000);
		EXPECT_EQ(d.data, "b to a");
		EXPECT_EQ(Stats().hairpinned, 2u);

		/* Other ports of that address, outside the allocation range (the listen port
		 * among them), are refused: nothing is delivered, nothing goes out. */
		tp_addr ssh = addr(k.own, 22), listen = addr(k.own, cfg.listen_port),
			above = addr(k.own, 51000);
		a.SendIndication(ssh, "ssh");
		a.SendIndication(listen, "loop?");
		b.SendIndication(above, "above");
		EXPECT_TRUE(sent.empty());
		EXPECT_EQ(Stats().drop_relay_port, 3u);
		EXPECT_EQ(Stats().hairpinned, 2u);
	}
}

TEST_F(Engine, HairpinNeedsTheReceiversPermission)
{
	Client a(this, "198.51.100.20", 5000), b(this, "198.51.100.21", 5000, "bob", "bob-pw");
	tp_addr rb = b.AllocateOk();
	a.AllocateOk();
	a.Bind(0x4000, rb);
	sent.clear();
	a.ChannelData(0x4000, "x");
	EXPECT_TRUE(sent.empty());
	EXPECT_EQ(Stats().drop_no_permission, 1u);
}

TEST_F(Engine, OwnAddressOutsideAllocationsIsNotReachable)
{
	Client a(this, "198.51.100.20", 5000);
	tp_addr ra = a.AllocateOk();
	tp_addr listen = addr("192.0.2.1", 3478), unused = addr("192.0.2.1", 50998),
		ssh = addr("192.0.2.1", 22);
	if (ra.port == 50998)
		unused.port = 50997;
	/* The permission is by IP: one made for a port in the range admits any port. */
	ASSERT_TRUE(a.Permit({ unused })->success());
	a.SendIndication(listen, "loop?");
	a.SendIndication(unused, "nobody");
	a.SendIndication(ssh, "ssh");
	EXPECT_TRUE(sent.empty());
	EXPECT_EQ(Stats().drop_hairpin, 1u) << "the allocation port nobody holds";
	EXPECT_EQ(Stats().drop_relay_port, 2u) << "the listen port and another service's";
}

/* 403 for a request toward the relay's own addresses outside the allocation range, in every
 * spelling and whatever peers.allow says. */
TEST_F(Engine, RelayIsNeverItsOwnPeer)
{
	Start("peers: { allow = [ \"192.0.2.0/24\", \"2001:db8::/64\", \"::ffff:0:0/96\" ]; };");
	Client a(this, "198.51.100.20", 5000);
	a.AllocateOk([](tp_stun_builder *b) {
		tp_stun_add_u32(b, TP_ATTR_ADDITIONAL_ADDRESS_FAMILY, 0x02u << 24);
	});
	const tp_addr own[] = {
		addr("192.0.2.1", 3478),	 addr("192.0.2.1", 22),
		addr("192.0.2.1", 49999),	 addr("2001:db8::1", 3478),
		addr("2001:db8::1", 51000),	 addr("::ffff:192.0.2.1", 3478),
		addr("::ffff:192.0.2.1", 50001), addr("64:ff9b::192.0.2.1", 3478),
	};
	uint16_t channel = 0x4000;
	for (const tp_addr &peer : own) {
		EXPECT_EQ(a.Permit({ peer })->error(), 403) << str(peer);
		EXPECT_EQ(a.Bind(channel++, peer)->error(), 403) << str(peer);
	}
	EXPECT_EQ(Gauges().permissions, 0u);
	EXPECT_EQ(Gauges().channels, 0u);
	/* A port in the range is the hairpin, and stays allowed. */
	EXPECT_TRUE(a.Permit({ addr("192.0.2.1", 50001) })->success());
	EXPECT_TRUE(a.Permit({ addr("2001:db8::1", 50001) })->success());
}

/* peers.allow-relay-ports opens the relay's other ports, never its listen port; the control
 * thread relays to them (the fast path keeps no entry that would send to itself). */
TEST_F(Engine, AllowRelayPortsOptsInOtherServicesOnly)
{
	Start("peers: { allow-relay-ports = true; };");
	Client a(this, "198.51.100.20", 5000);
	a.AllocateOk();
	tp_addr media = addr("192.0.2.1", 5004), listen = addr("192.0.2.1", 3478);

	EXPECT_EQ(a.Bind(0x4000, listen)->error(), 403);
	ASSERT_TRUE(a.Bind(0x4001, media)->success());
	EXPECT_TRUE(chans.empty()) << "no fast-path entry toward the relay itself";
	a.ChannelData(0x4001, "rtp");
	auto out = Take(media);
	ASSERT_EQ(out.size(), 1u);
	EXPECT_TRUE(out[0].to_peer);
	EXPECT_EQ(std::string(out[0].data.begin(), out[0].data.end()), "rtp");
	a.SendIndication(listen, "loop?");
	EXPECT_TRUE(Take(listen).empty());
	EXPECT_EQ(Stats().drop_relay_port, 1u);
}

/* Scale and shutdown ------------------------------------------------------------------------ */

TEST_F(Engine, ManyAllocationsExpireOnTimeAndShutdownClosesEverything)
{
	Start("limits: { max-allocations = 2000; max-allocations-per-user = 0; };");
	for (int i = 0; i < 900; i++) {
		Client c(this, "203.0.113.10", (uint16_t)(1000 + i));
		c.AllocateOk([&](tp_stun_builder *b) {
			tp_stun_add_u32(b, TP_ATTR_LIFETIME, i % 2 ? 600 : 1200);
		});
		if (i % 3 == 0)
			c.Bind(0x4000, kPeer);
	}
	EXPECT_EQ(relays.size(), 900u);
	Advance(601);
	EXPECT_EQ(Gauges().allocations, 450u);
	EXPECT_EQ(relays.size(), 450u);
	Stop();
	EXPECT_TRUE(relays.empty());
	EXPECT_TRUE(chans.empty());
}

/* Flow records ------------------------------------------------------------------------------ */

/* The engine with a flow sink, and a fake fast path that reports counts for its bindings. */
class Flows : public Engine
{
      public:
	std::vector<tp_flow_record> records;
	std::map<std::string, tp_binding_stat> fast; /* by binding: what the "fast path" relayed */

	void SetUp() override
	{
		ops.chan_counts = Counts;
		Engine::SetUp();
		Sink(0);
	}
	void Sink(unsigned interval)
	{
		tp_flow_sink sink = { Emit, this, interval };

		tp_engine_set_flow_sink(eng, &sink);
	}
	static void Emit(void *ctx, const tp_flow_record *r)
	{
		static_cast<Flows *>(ctx)->records.push_back(*r);
	}
	static int Counts(void *ctx, const tp_binding *c, tp_binding_stat *out)
	{
		auto *t = static_cast<Flows *>(ctx);
		auto it = t->fast.find(Chan(c));

		EXPECT_TRUE(t->chans.count(Chan(c))) << "counts asked for a binding not held";
		*out = it == t->fast.end() ? tp_binding_stat{} : it->second;
		return 0;
	}
	/* The fast path relayed packets (of bytes each, both ways) for the one binding held. */
	void FastRelayed(uint64_t to_peer, uint64_t to_client, uint64_t bytes)
	{
		ASSERT_EQ(chans.size(), 1u);
		fast[*chans.begin()] = { { to_peer, to_client },
					 { to_peer * bytes, to_client * bytes } };
	}
	std::vector<tp_flow_record> Ends()
	{
		std::vector<tp_flow_record> out;

		for (auto &r : records)
			if (r.event == TP_FLOW_EVENT_END)
				out.push_back(r);
		return out;
	}
};

TEST_F(Flows, AChannelFlowCountsBothPathsAndEndsOnceOnRefreshToZero)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();
	int64_t bound_at = unix_s * 1000;

	ASSERT_TRUE(c.Bind(0x4001, kPeer)->success());
	for (int i = 0; i < 3; i++)
		c.ChannelData(0x4001, "0123456789"); /* through the engine: 10 bytes each */
	tp_engine_peer_input(eng, &relayed, &kPeer, (const uint8_t *)"abcde", 5);
	ASSERT_EQ(Take(c.addr).size(), 1u);
	FastRelayed(100, 40, 200); /* and what the dataplane relayed meanwhile */
	Advance(5);
	EXPECT_TRUE(records.empty()) << "no record while the flow lives";
	ASSERT_TRUE(c.Refresh(0)->success());

	auto ends = Ends();
	ASSERT_EQ(ends.size(), 1u);
	const tp_flow_record &r = ends[0];
	EXPECT_EQ(r.end, TP_FLOW_END_REFRESHED);
	EXPECT_EQ(r.channel, 0x4001);
	EXPECT_TRUE(tp_addr_eq(&r.client, &c.addr));
	EXPECT_TRUE(tp_addr_eq(&r.relay, &relayed)) << str(r.relay);
	EXPECT_TRUE(tp_addr_eq(&r.peer, &kPeer));
	EXPECT_EQ(std::string(r.username, r.username_len), "alice");
	EXPECT_EQ(r.packets[TP_DIR_TO_PEER], 103u);
	EXPECT_EQ(r.bytes[TP_DIR_TO_PEER], 100u * 200 + 30);
	EXPECT_EQ(r.packets[TP_DIR_TO_CLIENT], 41u);
	EXPECT_EQ(r.bytes[TP_DIR_TO_CLIENT], 40u * 200 + 5);
	EXPECT_EQ(r.start_ms, bound_at);
	EXPECT_EQ(r.time_ms, unix_s * 1000);
}

/* What the dataplane could not send (no buffer, its next hop's queue full) is counted as
 * dropped, never in the flow nor as relayed: a flow record counts only what left. */
TEST_F(Flows, DatagramsTheDataplaneDropsAreNotCounted)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();

	ASSERT_TRUE(c.Bind(0x4001, kPeer)->success());
	c.ChannelData(0x4001, "0123456789");
	drop_tx = true;
	c.ChannelData(0x4001, "lost");
	c.ChannelData(0x4001, "lost");
	tp_engine_peer_input(eng, &relayed, &kPeer, (const uint8_t *)"lost", 4);
	drop_tx = false;
	tp_engine_peer_input(eng, &relayed, &kPeer, (const uint8_t *)"abcde", 5);
	EXPECT_EQ(Take(c.addr).size(), 1u);
	EXPECT_EQ(Take(kPeer).size(), 1u);
	EXPECT_EQ(Stats().drop_tx, 3u);
	EXPECT_EQ(Stats().relayed_to_peer, 1u);
	EXPECT_EQ(Stats().relayed_to_client, 1u);
	ASSERT_TRUE(c.Refresh(0)->success());

	auto ends = Ends();
	ASSERT_EQ(ends.size(), 1u);
	EXPECT_EQ(ends[0].packets[TP_DIR_TO_PEER], 1u);
	EXPECT_EQ(ends[0].bytes[TP_DIR_TO_PEER], 10u);
	EXPECT_EQ(ends[0].packets[TP_DIR_TO_CLIENT], 1u);
	EXPECT_EQ(ends[0].bytes[TP_DIR_TO_CLIENT], 5u);
}

TEST_F(Flows, CountsSurviveThePermissionLapsingAndTheChannelExpires)
{
	Client c(this, "203.0.113.10", 5000);

	c.AllocateOk();
	ASSERT_TRUE(c.Refresh(3600)->success());
	ASSERT_TRUE(c.Bind(0x4001, kPeer)->success());
	FastRelayed(7, 3, 100);
	Advance(301); /* the permission lapses: the binding leaves the dataplane, counts kept */
	EXPECT_TRUE(chans.empty());
	EXPECT_TRUE(Ends().empty()) << "the channel is still bound";
	ASSERT_TRUE(c.Permit({ kPeer })->success()); /* back in, counting from zero */
	FastRelayed(2, 1, 100);
	Advance(300);

	auto ends = Ends();
	ASSERT_EQ(ends.size(), 1u);
	EXPECT_EQ(ends[0].end, TP_FLOW_END_EXPIRED);
	EXPECT_EQ(ends[0].packets[TP_DIR_TO_PEER], 9u);
	EXPECT_EQ(ends[0].packets[TP_DIR_TO_CLIENT], 4u);
	EXPECT_EQ(ends[0].bytes[TP_DIR_TO_PEER], 900u);
}

TEST_F(Flows, FlowsGoWithTheirAllocationAndAtShutdown)
{
	Client a(this, "203.0.113.10", 5000), b(this, "203.0.113.11", 5000);

	a.AllocateOk();
	ASSERT_TRUE(a.Bind(0x4001, kPeer)->success());
	Advance(299);
	ASSERT_TRUE(a.Bind(0x4001, kPeer)->success()); /* channel and permission refreshed */
	Advance(302);				       /* the allocation's 600 s are up */
	auto ends = Ends();
	ASSERT_EQ(ends.size(), 1u);
	EXPECT_EQ(ends[0].end, TP_FLOW_END_ALLOCATION);

	b.AllocateOk();
	ASSERT_TRUE(b.Bind(0x4002, kPeer)->success());
	Stop();
	ends = Ends();
	ASSERT_EQ(ends.size(), 2u);
	EXPECT_EQ(ends[1].end, TP_FLOW_END_SHUTDOWN);
	EXPECT_EQ(ends[1].channel, 0x4002);
}

TEST_F(Flows, APermissionOnlyConversationIsAFlowPerPeerPort)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();
	tp_addr other = kPeer;

	other.port = 40001;
	ASSERT_TRUE(c.Permit({ kPeer })->success());
	c.SendIndication(kPeer, "hello");
	c.SendIndication(kPeer, "again!");
	c.SendIndication(other, "x");
	tp_engine_peer_input(eng, &relayed, &kPeer, (const uint8_t *)"abc", 3);
	Advance(301); /* the permission lapses: both conversations end with it */

	auto ends = Ends();
	ASSERT_EQ(ends.size(), 2u);
	for (auto &r : ends) {
		EXPECT_EQ(r.channel, 0);
		EXPECT_EQ(r.end, TP_FLOW_END_EXPIRED);
	}
	const tp_flow_record &r = tp_addr_eq(&ends[0].peer, &kPeer) ? ends[0] : ends[1];
	EXPECT_TRUE(tp_addr_eq(&r.peer, &kPeer));
	EXPECT_EQ(r.packets[TP_DIR_TO_PEER], 2u);
	EXPECT_EQ(r.bytes[TP_DIR_TO_PEER], 11u);
	EXPECT_EQ(r.packets[TP_DIR_TO_CLIENT], 1u);
	EXPECT_EQ(r.bytes[TP_DIR_TO_CLIENT], 3u);
	EXPECT_NE(ends[0].id, ends[1].id);
}

/* The fake fast path also keeps permissions' flows (perm_add), and counts for them. */
class PermFlows : public Flows
{
      public:
	std::set<std::string> perms;

	void SetUp() override
	{
		ops.perm_add = PermAdd;
		ops.perm_del = PermDel;
		ops.perm_counts = PermCounts;
		Flows::SetUp();
	}
	static int PermAdd(void *ctx, const tp_binding *b)
	{
		auto *t = static_cast<PermFlows *>(ctx);

		EXPECT_EQ(b->channel, 0);
		EXPECT_TRUE(t->perms.insert(Chan(b)).second) << Chan(b);
		t->events.push_back("perm+ " + Chan(b));
		return 0;
	}
	static void PermDel(void *ctx, const tp_binding *b)
	{
		auto *t = static_cast<PermFlows *>(ctx);

		EXPECT_EQ(t->perms.erase(Chan(b)), 1u) << Chan(b);
		t->events.push_back("perm- " + Chan(b));
	}
	static int PermCounts(void *ctx, const tp_binding *b, tp_binding_stat *out)
	{
		auto *t = static_cast<PermFlows *>(ctx);
		auto it = t->fast.find(Chan(b));

		EXPECT_TRUE(t->perms.count(Chan(b))) << "counts asked for a flow not held";
		*out = it == t->fast.end() ? tp_binding_stat{} : it->second;
		return 0;
	}
};

TEST_F(PermFlows, APermissionsFlowEntersTheFastPathAfterItsFirstDatagram)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();

	ASSERT_TRUE(c.Permit({ kPeer })->success());
	EXPECT_TRUE(perms.empty()) << "no flow before a datagram went";
	tp_engine_peer_input(eng, &relayed, &kPeer, (const uint8_t *)"abc", 3);
	ASSERT_EQ(Take(c.addr).size(), 1u) << "the first one is the engine's Data indication";
	ASSERT_EQ(perms.size(), 1u);
	std::string held = *perms.begin();
	EXPECT_EQ(held,
		  str(c.addr) + "#0@" + str(addr("192.0.2.1", relayed.port)) + "->" + str(kPeer));
	c.SendIndication(kPeer, "hello");
	EXPECT_EQ(perms.size(), 1u) << "one flow, whichever way it began";

	/* The fast path relays the rest; the record adds both. */
	fast[held] = { { 7, 5 }, { 700, 500 } };
	Advance(301); /* the permission lapses: the flow leaves the fast path, then ends */
	EXPECT_TRUE(perms.empty());
	auto ends = Ends();
	ASSERT_EQ(ends.size(), 1u);
	EXPECT_EQ(ends[0].channel, 0);
	EXPECT_EQ(ends[0].packets[TP_DIR_TO_PEER], 8u);
	EXPECT_EQ(ends[0].bytes[TP_DIR_TO_PEER], 705u);
	EXPECT_EQ(ends[0].packets[TP_DIR_TO_CLIENT], 6u);
	EXPECT_EQ(ends[0].bytes[TP_DIR_TO_CLIENT], 503u);
}

TEST_F(PermFlows, APeerWithManyPortsTakesAtMostItsShareOfTheFastPath)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();

	ASSERT_TRUE(c.Permit({ kPeer })->success());
	for (int i = 0; i < 100; i++) {
		tp_addr from = kPeer;

		from.port = (uint16_t)(40000 + i);
		tp_engine_peer_input(eng, &relayed, &from, (const uint8_t *)"x", 1);
	}
	EXPECT_EQ(Take(c.addr).size(), 100u) << "the engine still relays the rest";
	EXPECT_EQ(perms.size(), (size_t)TP_PFLOWS_FAST_MAX);
	ASSERT_TRUE(c.Refresh(0)->success());
	EXPECT_TRUE(perms.empty()) << "every flow leaves with its allocation";
	EXPECT_EQ(Ends().size(), 100u);
}

TEST_F(PermFlows, AFlowTheRelayHadNoRoomForEntersOnceItHas)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();
	tp_addr other = addr("198.51.100.8", 40000);

	ASSERT_TRUE(c.Permit({ kPeer, other })->success());
	for (int i = 0; i < TP_PFLOWS_FAST_MAX; i++) {
		tp_addr from = kPeer;

		from.port = (uint16_t)(40000 + i);
		tp_engine_peer_input(eng, &relayed, &from, (const uint8_t *)"x", 1);
	}
	tp_engine_peer_input(eng, &relayed, &other, (const uint8_t *)"y", 1);
	EXPECT_EQ(perms.size(), (size_t)TP_PFLOWS_FAST_MAX) << "no room for the other peer";
	EXPECT_EQ(Take(c.addr).size(), TP_PFLOWS_FAST_MAX + 1u) << "all relayed by the engine";
	Advance(200);
	ASSERT_TRUE(c.Permit({ other })->success()); /* its permission lives on */
	Advance(150);				     /* kPeer's lapses: its 64 flows leave */
	EXPECT_TRUE(perms.empty());
	tp_engine_peer_input(eng, &relayed, &other, (const uint8_t *)"z", 1);
	EXPECT_EQ(perms.size(), 1u) << "the other peer's flow, with room now";
}

TEST_F(PermFlows, WithoutASinkOnlyFlowsInTheFastPathAreKept)
{
	tp_flow_sink none = {};

	tp_engine_set_flow_sink(eng, &none);
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();

	ASSERT_TRUE(c.Permit({ kPeer })->success());
	for (int i = 0; i < 3 * TP_PFLOWS_FAST_MAX; i++) {
		tp_addr from = kPeer;

		from.port = (uint16_t)(40000 + i);
		tp_engine_peer_input(eng, &relayed, &from, (const uint8_t *)"x", 1);
	}
	EXPECT_EQ(perms.size(), (size_t)TP_PFLOWS_FAST_MAX);
	EXPECT_EQ(Take(c.addr).size(), 3u * TP_PFLOWS_FAST_MAX) << "every datagram still relayed";
	EXPECT_EQ(Gauges().permission_flows, (uint64_t)TP_PFLOWS_FAST_MAX)
		<< "no flow kept for the ones the fast path cannot carry";
	EXPECT_EQ(Gauges().permission_flows_fast, (uint64_t)TP_PFLOWS_FAST_MAX);
}

TEST_F(PermFlows, FlowsAreKeptForTheFastPathWithoutASink)
{
	tp_flow_sink none = {};

	tp_engine_set_flow_sink(eng, &none);
	Client c(this, "203.0.113.10", 5000);
	tp_addr relayed = c.AllocateOk();

	ASSERT_TRUE(c.Permit({ kPeer })->success());
	tp_engine_peer_input(eng, &relayed, &kPeer, (const uint8_t *)"abc", 3);
	EXPECT_EQ(perms.size(), 1u);
	Stop();
	EXPECT_TRUE(perms.empty());
	EXPECT_TRUE(records.empty());
}

TEST_F(Flows, AHairpinCountsInBothAllocationsFlows)
{
	Client a(this, "203.0.113.10", 5000), b(this, "203.0.113.11", 5000);
	tp_addr ra = a.AllocateOk(), rb = b.AllocateOk();

	ASSERT_TRUE(a.Bind(0x4001, rb)->success());
	ASSERT_TRUE(b.Permit({ ra })->success());
	a.ChannelData(0x4001, "through");
	ASSERT_EQ(b.t->Take(b.addr).size(), 1u);
	ASSERT_TRUE(a.Refresh(0)->success());
	ASSERT_TRUE(b.Refresh(0)->success());

	auto ends = Ends();
	ASSERT_EQ(ends.size(), 2u);
	EXPECT_EQ(ends[0].channel, 0x4001);
	EXPECT_EQ(ends[0].packets[TP_DIR_TO_PEER], 1u);
	EXPECT_EQ(ends[0].packets[TP_DIR_TO_CLIENT], 0u);
	EXPECT_EQ(ends[1].channel, 0); /* B has no channel back: a Data indication */
	EXPECT_TRUE(tp_addr_eq(&ends[1].peer, &ra));
	EXPECT_EQ(ends[1].packets[TP_DIR_TO_CLIENT], 1u);
	EXPECT_EQ(ends[1].bytes[TP_DIR_TO_CLIENT], 7u);
}

TEST_F(Flows, ARefusedChannelBindMakesNoFlow)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr denied = addr("10.1.2.3", 4000);

	c.AllocateOk();
	EXPECT_EQ(c.Bind(0x4001, denied)->error(), 403);
	Start("limits: { max-permissions-per-allocation = 1; };");
	Sink(0);
	Client d(this, "203.0.113.10", 5001);
	d.AllocateOk();
	ASSERT_TRUE(d.Permit({ kPeer })->success());
	EXPECT_EQ(d.Bind(0x4001, addr("198.51.100.8", 1))->error(), 508);
	Stop();
	for (auto &r : records)
		EXPECT_EQ(r.channel, 0) << "a record for channel " << r.channel;
}

TEST_F(Flows, DataThatGoesNowhereMakesNoFlow)
{
	Client c(this, "203.0.113.10", 5000);
	tp_addr nobody = addr("192.0.2.1", 50500); /* the relay's own, no allocation there */

	c.AllocateOk();
	ASSERT_TRUE(c.Permit({ nobody })->success());
	c.SendIndication(nobody, "lost");
	EXPECT_EQ(Stats().drop_hairpin, 1u);
	ASSERT_TRUE(c.Refresh(0)->success());
	EXPECT_TRUE(records.empty());
}

TEST_F(Flows, LongFlowsGetInterimRecordsWithTheirTotalsSoFar)
{
	Client c(this, "203.0.113.10", 5000);

	Sink(60);
	c.AllocateOk();
	ASSERT_TRUE(c.Bind(0x4001, kPeer)->success());
	c.ChannelData(0x4001, "12345");
	FastRelayed(10, 0, 50);
	Advance(61);
	ASSERT_EQ(records.size(), 1u);
	EXPECT_EQ(records[0].event, TP_FLOW_EVENT_INTERIM);
	EXPECT_EQ(records[0].packets[TP_DIR_TO_PEER], 11u);
	EXPECT_EQ(records[0].bytes[TP_DIR_TO_PEER], 505u);
	Advance(60);
	ASSERT_EQ(records.size(), 2u);
	ASSERT_TRUE(c.Refresh(0)->success());
	ASSERT_EQ(records.size(), 3u);
	EXPECT_EQ(records[2].event, TP_FLOW_EVENT_END);
	EXPECT_EQ(records[2].id, records[0].id);
	EXPECT_EQ(records[2].packets[TP_DIR_TO_PEER], 11u) << "an update is a total, not a delta";
}

TEST_F(Engine, WithoutASinkFlowsCostNothingVisible)
{
	Client c(this, "203.0.113.10", 5000);

	c.AllocateOk();
	ASSERT_TRUE(c.Permit({ kPeer })->success());
	c.SendIndication(kPeer, "hello");
	ASSERT_TRUE(c.Bind(0x4001, kPeer)->success());
	ASSERT_TRUE(c.Refresh(0)->success());
	EXPECT_EQ(Stats().relayed_to_peer, 1u);
}

TEST_F(Engine, RequestsAreCountedByMethodAndResult)
{
	Client c(this, "203.0.113.10", 5000);

	c.AllocateOk();
	EXPECT_EQ(c.Bind(0x3000, kPeer)->error(), 400);
	const struct tp_engine_requests *q = tp_engine_requests(eng);
	EXPECT_EQ(q->by[TP_REQ_allocate][TP_RES_UNAUTHENTICATED], 1u);
	EXPECT_EQ(q->by[TP_REQ_allocate][TP_RES_SUCCESS], 1u);
	EXPECT_EQ(q->by[TP_REQ_channel_bind][TP_RES_BAD_REQUEST], 1u);
	EXPECT_STREQ(tp_request_result_name(TP_RES_BAD_REQUEST), "400");
	EXPECT_STREQ(tp_request_method_name(TP_REQ_channel_bind), "channel_bind");

	/* The input says which datagram was a request that got its response: the loop times
	 * those into the latency histogram, nothing else. */
	c.NewTid();
	auto req = c.Build(TP_STUN_BINDING, TP_STUN_REQUEST, nullptr, false);
	EXPECT_TRUE(tp_engine_client_input(eng, &c.addr, req.data(), req.size()));
	EXPECT_FALSE(tp_engine_client_input(eng, &c.addr, (const uint8_t *)"\x40\x01\x00\x00", 4));
	EXPECT_EQ(q->latency_count, 0u) << "the engine reads no clock";
	tp_engine_note_latency(eng, 30000);	/* 30 us: above the 25 us bound, within 50 */
	tp_engine_note_latency(eng, 200000000); /* 200 ms: past the last bound */
	EXPECT_EQ(q->latency_count, 2u);
	EXPECT_EQ(q->latency_sum_ns, 200030000u);
	EXPECT_EQ(q->latency[2], 1u);
	EXPECT_EQ(q->latency[TP_LATENCY_BUCKETS - 1], 1u);
	uint64_t in_buckets = 0;
	for (auto n : q->latency)
		in_buckets += n;
	EXPECT_EQ(in_buckets, 2u);
}

} // namespace
