// What the TLS transaction tells ssl_state / ssl_version rules: the handshake
// message behind each update (TxInt::kTlsState) and each direction's version
// index (TxInt::kTlsSslVersion), then the rule keywords' sets over them.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>
#include <map>

#include "agent/app/app_layer.h"
#include "rules/parser.h"
#include "tests/agent/app/app_test_util.h"
#include "tests/agent/app/tls_test_bytes.h"

using namespace vigil;
using vigil::test::B;
using namespace vigil::test;

namespace {

std::string client_hello(unsigned version) {
  return u16(version) + std::string(32, 'R') + u8(0) + u16(2) + u16(0x002f) + u8(1) + u8(0);
}
std::string server_hello(unsigned version) {
  return u16(version) + std::string(32, 'S') + u8(0) + u16(0x002f) + u8(0);
}

struct Update {
  Dir d;
  int64_t state = -1, version = -1;
};

struct Events : AppEvents {
  std::vector<Update> updates;
  void on_tx_update(const Packet&, Flow&, Dir d, const Transaction& tx) override {
    Update u{d};
    tx.integer(TxInt::kTlsState, d, &u.state);
    tx.integer(TxInt::kTlsSslVersion, d, &u.version);
    updates.push_back(u);
  }
  void on_tx_done(const Packet*, Flow&, const Transaction&) override {}
};

struct Tls {
  Events ev;
  AppLayer app{AppConfig{}, ev};
  Flow flow;
  Packet pkt;
  Tls() {
    flow.proto = 6;
    flow.client_port = 40000;
    flow.server_port = 443;
    pkt.flow = &flow;
  }
  void send(Dir d, const std::string& s) { app.on_stream_data(flow, d, B(s), pkt); }
};

rules::IntCmp cond(const std::string& opt) {
  rules::ParseContext ctx;
  ctx.addr_vars = rules::default_address_vars();
  ctx.port_vars = rules::default_port_vars();
  rules::ParseFailure f;
  auto r = rules::parse_rule("alert tcp any any -> any any (" + opt + " sid:1;)", rules::Dialect::kSuricata,
                             ctx, f);
  INFO(f.reason);
  REQUIRE(r);
  REQUIRE(r->tx_rule);
  REQUIRE(r->tx_ints.size() == 1);
  return r->tx_ints[0].cmp;
}

std::string parse_error(const std::string& opt) {
  rules::ParseContext ctx;
  rules::ParseFailure f;
  auto r = rules::parse_rule("alert tcp any any -> any any (" + opt + " sid:1;)", rules::Dialect::kSuricata,
                             ctx, f);
  return r ? std::string() : f.reason;
}

}  // namespace

TEST_CASE("tls: each handshake update says which message it carries and the direction's version",
          "[app][tls]") {
  Tls t;
  t.send(Dir::kToServer, record(22, handshake(1, client_hello(0x0301)), 0x0301));
  t.send(Dir::kToClient,
         record(22, handshake(2, server_hello(0x0303)) + handshake(12, "kx") + handshake(14, ""), 0x0303));
  t.send(Dir::kToServer, record(22, handshake(16, "ckx"), 0x0303));
  t.send(Dir::kToServer, record(22, handshake(99, "odd"), 0x0303));
  REQUIRE(t.ev.updates.size() == 5);
  CHECK(t.ev.updates[0].d == Dir::kToServer);
  CHECK(t.ev.updates[0].state == 1);    // client_hello
  CHECK(t.ev.updates[0].version == 2);  // tls1.0 offered by the client
  CHECK(t.ev.updates[1].d == Dir::kToClient);
  CHECK(t.ev.updates[1].state == 2);    // server_hello
  CHECK(t.ev.updates[1].version == 4);  // tls1.2 selected by the server
  CHECK(t.ev.updates[2].state == 8);    // server_keyx
  CHECK(t.ev.updates[3].state == 4);    // client_keyx
  CHECK(t.ev.updates[3].version == 2);
  CHECK(t.ev.updates[4].state == 16);  // unknown message type
}

TEST_CASE("ssl_state: plain states any-of, negated states none-of - | and , both separate", "[rules][tls]") {
  auto a = cond("ssl_state:client_hello;");
  CHECK(a.eval(1));
  CHECK_FALSE(a.eval(2));
  CHECK_FALSE(a.eval(0));
  auto b = cond("ssl_state:client_hello|server_keyx;");
  CHECK(b.eval(1));
  CHECK(b.eval(8));
  CHECK_FALSE(b.eval(4));
  auto c = cond("ssl_state:!server_hello;");
  CHECK(c.eval(1));
  CHECK(c.eval(0));
  CHECK_FALSE(c.eval(2));
  auto d = cond("ssl_state:client_keyx, !unknown;");  // Snort 3 spelling
  CHECK(d.eval(4));
  CHECK(d.eval(2));
  CHECK_FALSE(d.eval(16));
  CHECK(parse_error("ssl_state:hello;") == "ssl_state: invalid ssl_state value 'hello'");
}

TEST_CASE("ssl_version: any of the listed versions, or none of the negated ones", "[rules][tls]") {
  auto a = cond("ssl_version:sslv3;");
  CHECK(a.eval(1));
  CHECK_FALSE(a.eval(4));
  auto b = cond("ssl_version:tls1.0,tls1.1;");
  CHECK(b.eval(2));
  CHECK(b.eval(3));
  CHECK_FALSE(b.eval(4));
  auto c = cond("ssl_version:!sslv2;");
  CHECK(c.eval(4));
  CHECK_FALSE(c.eval(0));
  auto d = cond("ssl_version:!sslv3,!tls1.0;");
  CHECK(d.eval(4));
  CHECK_FALSE(d.eval(1));
  CHECK_FALSE(d.eval(2));
  CHECK(parse_error("ssl_version:tls9;") == "ssl_version: invalid ssl_version value 'tls9'");
}

namespace {

std::string make_cert(const char* not_before, const char* not_after) {
  return test::self_signed_cert(7, not_before, not_after, {{"CN", "v.example"}});
}

struct CertEvents : AppEvents {
  std::map<TxInt, int64_t> last;
  void on_tx_update(const Packet&, Flow&, Dir, const Transaction& tx) override {
    for (auto f : {TxInt::kTlsCertNotBefore, TxInt::kTlsCertNotAfter, TxInt::kTlsCertExpired}) {
      int64_t v = 0;
      if (tx.integer(f, Dir::kToClient, &v)) last[f] = v;
    }
  }
  void on_tx_done(const Packet*, Flow&, const Transaction&) override {}
};

std::map<TxInt, int64_t> cert_ints(const std::string& cert, int64_t packet_time) {
  CertEvents ev;
  AppLayer app(AppConfig{}, ev);
  Flow flow;
  flow.proto = 6;
  flow.client_port = 40000;
  flow.server_port = 443;
  Packet pkt;
  pkt.flow = &flow;
  pkt.ts.sec = packet_time;
  auto send = [&](Dir d, const std::string& s) { app.on_stream_data(flow, d, B(s), pkt); };
  send(Dir::kToServer, record(22, handshake(1, client_hello(0x0303)), 0x0301));
  std::string certs = u24(cert.size()) + cert;
  send(Dir::kToClient,
       record(22, handshake(2, server_hello(0x0303)) + handshake(11, u24(certs.size()) + certs), 0x0303));
  return ev.last;
}

}  // namespace

TEST_CASE("tls: the leaf certificate's validity as Unix seconds, expired against the packet's time",
          "[app][tls]") {
  auto cert = make_cert("20240102030405Z", "20340102030405Z");
  auto a = cert_ints(cert, 1900000000);  // 2030
  CHECK(a[TxInt::kTlsCertNotBefore] == 1704164645);
  CHECK(a[TxInt::kTlsCertNotAfter] == 2019783845);
  CHECK(a[TxInt::kTlsCertExpired] == 0);
  auto b = cert_ints(cert, 2100000000);  // 2036
  CHECK(b[TxInt::kTlsCertExpired] == 1);
  // UTCTime (two-digit years) up to 2049, GeneralizedTime from 2050.
  auto c = cert_ints(make_cert("19991231235959Z", "20600101000000Z"), 1900000000);
  CHECK(c[TxInt::kTlsCertNotBefore] == 946684799);
  CHECK(c[TxInt::kTlsCertNotAfter] == 2840140800);
}

TEST_CASE("tls_cert_notbefore / notafter: dates, epochs, operators, ranges - expired and valid",
          "[rules][tls]") {
  auto a = cond("tls_cert_notafter:>2015;");
  CHECK(a.op == rules::IntCmp::kGt);
  CHECK(a.a == 1420070400);  // 2015-01-01T00:00:00Z
  CHECK(cond("tls_cert_notbefore:<2015-10-22T23:59:59;").a == 1445558399);
  CHECK(cond("tls_cert_notbefore:>2015-10-22;").a == 1445472000);
  CHECK(cond("tls_cert_notbefore:2015-10;").a == 1443657600);
  CHECK(cond("tls_cert_notbefore:2015-10-22T10:30;").a == 1445509800);
  auto e = cond("tls_cert_notafter:1445852105;");
  CHECK(e.op == rules::IntCmp::kEq);
  CHECK(e.a == 1445852105);
  auto r = cond("tls_cert_notafter:2000-10-22<>2020-05-15;");
  CHECK(r.op == rules::IntCmp::kRange);
  CHECK(r.eval(1445852105));
  CHECK_FALSE(r.eval(1600000000));
  CHECK(cond("tls_cert_expired;").eval(1));
  CHECK_FALSE(cond("tls_cert_expired;").eval(0));
  CHECK(cond("tls_cert_valid;").eval(0));
  CHECK(parse_error("tls_cert_notafter:>yesterday;") ==
        "tls_cert_notafter: invalid tls_cert_notafter date 'yesterday'");
  CHECK(parse_error("tls_cert_notafter:2020<>2010;") ==
        "tls_cert_notafter: invalid tls_cert_notafter date '2020<>2010'");
  CHECK(parse_error("tls_cert_expired:yes;") == "tls_cert_expired: takes no value");
}
