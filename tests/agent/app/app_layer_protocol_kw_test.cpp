// The app-layer-protocol rule keyword against the per-flow protocols the app
// layer records (app_proto, app_proto_ts, app_proto_tc): modes, lists,
// negation and the "unknown" state; ip.src in a transaction rule. Lives with
// the app-layer tests because it needs a real Flow.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "agent/flow/flow.h"
#include "rules/engine.h"
#include "rules/parser.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

struct Check {
  std::unique_ptr<Rule> rule;
  std::string err;
  explicit Check(const std::string& opt, const std::string& more = "") {
    ParseContext ctx;
    ctx.addr_vars = default_address_vars();
    ctx.port_vars = default_port_vars();
    ParseFailure f;
    rule = parse_rule("alert tcp any any -> any any (app-layer-protocol:" + opt + "; " + more + "sid:1;)",
                      Dialect::kSuricata, ctx, f);
    err = f.reason;
  }
  // On the packet that ended detection in its direction (pending = true),
  // or on a later one.
  bool on(Flow& f, bool to_server, bool pending = true) const {
    f.proto_done_pending[to_server ? 0 : 1] = pending;
    Packet p;
    PktCtx c{&p, &f, nullptr, to_server, false};
    for (auto& o : rule->pkt_opts)
      if (!o->match(c)) return false;
    return true;
  }
};

void set(Flow& f, AppProto all, AppProto ts, AppProto tc) {
  f.app_proto = all;
  f.app_proto_ts = ts;
  f.app_proto_tc = tc;
}

constexpr auto U = AppProto::kUnknown;
constexpr auto H = AppProto::kHttp;
constexpr auto T = AppProto::kTls;

}  // namespace

TEST_CASE("app-layer-protocol: direction (default), to_server, to_client, either, final", "[rules][app]") {
  Flow f;
  set(f, H, H, U);  // detected on the request, the response not seen yet
  CHECK(Check("http").on(f, true));
  CHECK(Check("http").on(f, false));  // direction undecided: the flow's protocol
  CHECK(Check("http,direction").on(f, true));
  CHECK(Check("http,to_server").on(f, false));
  CHECK_FALSE(Check("http,to_client").on(f, true));
  CHECK(Check("unknown,to_client").on(f, true));
  CHECK_FALSE(Check("!http,to_client").on(f, true));  // negation never matches unknown
  CHECK(Check("http,either").on(f, false));
  CHECK(Check("http,final").on(f, false));
  CHECK_FALSE(Check("!http,final").on(f, false));

  set(f, H, H, T);  // a client speaking HTTP to a TLS server
  CHECK(Check("tls").on(f, false));
  CHECK_FALSE(Check("tls").on(f, true));
  CHECK(Check("!http,to_client").on(f, true));
  CHECK(Check("tls,either").on(f, true));
  CHECK(Check("!tls,either").on(f, true));  // the request side is not TLS
  CHECK_FALSE(Check("!tls|http,either").on(f, true));
  CHECK(Check("http,final").on(f, false));
}

TEST_CASE("app-layer-protocol: lists, failed, unknown, original, exact", "[rules][app]") {
  Flow f;
  CHECK(Check("unknown").on(f, true));
  CHECK_FALSE(Check("http").on(f, true));
  CHECK_FALSE(Check("!http").on(f, true));  // not yet known: negation waits
  CHECK(Check("unknown|tls").on(f, true));
  set(f, T, T, T);
  CHECK(Check("unknown|tls").on(f, true));
  CHECK(Check("tls|http,either,exact").on(f, true));
  CHECK(Check("ssl,exact").on(f, true));
  CHECK_FALSE(Check("!tls|http").on(f, true));
  CHECK(Check("!dns|ssh").on(f, true));
  // No protocol change in Vigil: the original protocol stays unknown.
  CHECK_FALSE(Check("tls,original").on(f, true));
  CHECK(Check("unknown,original").on(f, true));
  CHECK_FALSE(Check("!tls,original").on(f, true));
  set(f, AppProto::kFailed, U, U);
  CHECK(Check("failed").on(f, true));
  CHECK(Check("failed,final").on(f, true));
  CHECK(Check("!http,final").on(f, true));
}

TEST_CASE("app-layer-protocol: a detection-only rule is checked on the packet that ends detection",
          "[rules][app]") {
  // Suricata's SIG_TYPE_PDONLY: "inspected once per direction when protocol
  // detection is done".
  Flow f;
  set(f, AppProto::kFailed, U, U);
  CHECK(Check("!dns").on(f, true));
  CHECK_FALSE(Check("!dns").on(f, true, false));  // every later packet: no
  CHECK_FALSE(Check("!dns", "flow:to_server; ").on(f, true, false));
  CHECK_FALSE(Check("!dns", "flowbits:set,x; ").on(f, true, false));
  // Anything else in the rule makes it a packet rule, checked on every packet.
  CHECK(Check("!dns", "flow:established; ").on(f, true, false));
  CHECK(Check("!dns", "flowbits:isset,x; ").on(f, true, false));
  CHECK(Check("!dns", "dsize:0; ").on(f, true, false));
  CHECK(Check("!dns", "content:\"x\"; ").on(f, true, false));
  set(f, H, H, U);
  CHECK(Check("http", "dsize:0; ").on(f, true, false));
  CHECK_FALSE(Check("http").on(f, true, false));
}

TEST_CASE("app-layer-protocol: parse errors", "[rules][app]") {
  CHECK(Check("nope").err == "app-layer-protocol: unknown app-layer-protocol 'nope'");
  CHECK(Check("!unknown").err == "app-layer-protocol: app-layer-protocol 'unknown' cannot be negated");
  CHECK(Check("http,sideways").err == "app-layer-protocol: invalid app-layer-protocol mode 'sideways'");
  CHECK(Check("http,final,either").err == "app-layer-protocol: app-layer-protocol takes one mode");
  CHECK(Check("http,exact,final").err.empty());
  CHECK(Check("quic,exact").err == "app-layer-protocol: unknown app-layer-protocol 'quic'");
}

TEST_CASE("app-layer-protocol: Suricata's equivalences unless exact", "[rules][app]") {
  Flow f;
  set(f, AppProto::kHttp2, AppProto::kHttp2, AppProto::kHttp2);
  CHECK(Check("http").on(f, true));
  CHECK_FALSE(Check("http,exact").on(f, true));
  CHECK_FALSE(Check("http1").on(f, true));
  CHECK(Check("http2,exact").on(f, true));
  set(f, AppProto::kDoh2, AppProto::kDoh2, AppProto::kDoh2);
  CHECK(Check("dns").on(f, true));
  CHECK(Check("http2").on(f, true));
  CHECK_FALSE(Check("dns,exact").on(f, true));
  CHECK_FALSE(Check("!dns").on(f, true));
  CHECK(Check("doh2,exact").on(f, true));
  CHECK_FALSE(Check("tls").on(f, true));
  set(f, AppProto::kDns, AppProto::kDns, AppProto::kDns);
  CHECK(Check("doh2").on(f, true));
  CHECK_FALSE(Check("doh2,exact").on(f, true));
}

namespace {

// A transaction with one to_server buffer (tls.sni).
struct SniTx : Transaction {
  std::string sni = "evil.example";
  AppProto proto() const override { return AppProto::kTls; }
  uint64_t tx_id() const override { return 0; }
  TxProgress progress(Dir) const override { return TxProgress::kHeaders; }
  size_t buffer_count(BufferId id, Dir d) const override {
    return id == BufferId::kTlsSni && d == Dir::kToServer ? 1 : 0;
  }
  std::span<const uint8_t> buffer(BufferId, Dir, size_t) const override {
    return {reinterpret_cast<const uint8_t*>(sni.data()), sni.size()};
  }
  void to_eve(nlohmann::ordered_json&) const override {}
};

struct Sids : AlertSink {
  std::vector<uint32_t> sids;
  void alert(const AlertEvent& a) override { sids.push_back(a.sid); }
};

}  // namespace

TEST_CASE("ip.src/ip.dst in a transaction rule: the inspected direction's addresses", "[rules][app]") {
  auto dir = std::filesystem::temp_directory_path() / ("vigil-ipsrc-tx-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "clients.lst") << "10.0.0.5\n";
  std::ofstream(dir / "t.rules")
      << "alert tls any any -> any any (msg:\"client in set\"; tls.sni; content:\"evil\"; "
         "ip.src; dataset:isset,clients,type ipv4,load clients.lst; sid:1;)\n";
  LoadOptions o;
  o.files = {(dir / "t.rules").string()};
  LoadReport rep;
  auto e = build_engine(o, rep);
  REQUIRE(e);
  REQUIRE(rep.rules_failed == 0);
  Flow f;
  f.proto = 6;
  f.client = *IpAddr::parse("10.0.0.5");
  f.server = *IpAddr::parse("192.0.2.80");
  f.client_port = 40000;
  f.server_port = 443;
  f.app_proto = AppProto::kTls;
  // The update comes with a server-to-client packet (an ACK carrying the
  // response); the rule still sees the client as ip.src of its to_server buffer.
  Packet p;
  p.ip_version = 4;
  p.l4 = L4::kTcp;
  p.src = f.server;
  p.dst = f.client;
  p.sp = 443;
  p.dp = 40000;
  p.flow = &f;
  p.to_server = false;
  SniTx tx;
  auto w = e->new_worker();
  Sids out;
  e->inspect_tx(*w, p, f, Dir::kToClient, tx, out);
  CHECK(out.sids == std::vector<uint32_t>{1});
  Flow g;
  g.proto = 6;
  g.client = *IpAddr::parse("10.0.0.6");
  g.server = f.server;
  g.client_port = 40001;
  g.server_port = 443;
  g.app_proto = AppProto::kTls;
  p.flow = &g;
  p.dst = g.client;
  Sids none;
  e->inspect_tx(*w, p, g, Dir::kToClient, tx, none);
  CHECK(none.sids.empty());
}
