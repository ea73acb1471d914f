// The app-layer-protocol rule keyword against the per-flow protocols the app
// layer records (app_proto, app_proto_ts, app_proto_tc): modes, lists,
// negation and the "unknown" state. Lives with the app-layer tests because it
// needs a real Flow.
#include <catch2/catch.hpp>

#include "agent/flow/flow.h"
#include "rules/parser.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

struct Check {
  std::unique_ptr<Rule> rule;
  std::string err;
  explicit Check(const std::string& opt) {
    ParseContext ctx;
    ctx.addr_vars = default_address_vars();
    ctx.port_vars = default_port_vars();
    ParseFailure f;
    rule = parse_rule("alert tcp any any -> any any (app-layer-protocol:" + opt + "; sid:1;)",
                      Dialect::kSuricata, ctx, f);
    err = f.reason;
  }
  bool on(const Flow& f, bool to_server) const {
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

TEST_CASE("app-layer-protocol: parse errors", "[rules][app]") {
  CHECK(Check("nope").err == "app-layer-protocol: unknown app-layer-protocol 'nope'");
  CHECK(Check("!unknown").err == "app-layer-protocol: app-layer-protocol 'unknown' cannot be negated");
  CHECK(Check("http,sideways").err == "app-layer-protocol: invalid app-layer-protocol mode 'sideways'");
  CHECK(Check("http,final,either").err == "app-layer-protocol: app-layer-protocol takes one mode");
  CHECK(Check("http,exact,final").err.empty());
  CHECK(Check("doh2,exact").err == "app-layer-protocol: unknown app-layer-protocol 'doh2'");
}
