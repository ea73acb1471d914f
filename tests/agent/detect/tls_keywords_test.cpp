// Legacy TLS value keywords (tls.subject, tls.issuerdn, tls.fingerprint) and
// the integer ones (tls.cert_chain_len, tls.version) on a fake transaction.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "agent/flow/flow.h"
#include "rules/engine.h"
#include "tests/rules/rule_test_util.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

struct Collect : AlertSink {
  std::vector<uint32_t> sids;
  void alert(const AlertEvent& a) override { sids.push_back(a.sid); }
};

class FakeTlsTx : public Transaction {
 public:
  std::string subject = "C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS";
  std::string issuer = "C=FR, O=Some CA";
  std::string fingerprint = "90:86:a4:3b:f5:cf";
  std::string client_subject;  // mutual TLS: the client's leaf (to_server)
  int64_t chain = 3, version = 0x0303;
  AppProto proto() const override { return AppProto::kTls; }
  uint64_t tx_id() const override { return 0; }
  TxProgress progress(Dir) const override { return TxProgress::kComplete; }
  const std::string* buf(BufferId id) const {
    if (id == BufferId::kTlsCertSubject) return &subject;
    if (id == BufferId::kTlsCertIssuer) return &issuer;
    if (id == BufferId::kTlsCertFingerprint) return &fingerprint;
    return nullptr;
  }
  size_t buffer_count(BufferId id, Dir d) const override {
    if (d == Dir::kToServer) return id == BufferId::kTlsCertSubject && !client_subject.empty() ? 1 : 0;
    return buf(id) ? 1 : 0;
  }
  std::span<const uint8_t> buffer(BufferId id, Dir d, size_t) const override {
    auto* s = d == Dir::kToServer ? &client_subject : buf(id);
    return {reinterpret_cast<const uint8_t*>(s->data()), s->size()};
  }
  void to_eve(nlohmann::ordered_json&) const override {}
  bool integer(TxInt f, Dir, int64_t* out) const override {
    if (f == TxInt::kTlsCertChainLen)
      *out = chain;
    else if (f == TxInt::kTlsVersion)
      *out = version;
    else
      return false;
    return true;
  }
};

std::vector<uint32_t> run(const std::string& rules, const FakeTlsTx& tx, Dir d = Dir::kToClient) {
  auto path =
      (std::filesystem::temp_directory_path() / ("vigil-tls-kw-" + std::to_string(getpid()) + ".rules"))
          .string();
  std::ofstream(path) << rules;
  LoadOptions o;
  o.files = {path};
  LoadReport r;
  auto e = build_engine(o, r);
  REQUIRE(e);
  REQUIRE(r.rules_failed == 0);
  Flow f;
  f.client = *IpAddr::parse("10.0.0.1");
  f.server = *IpAddr::parse("10.0.0.2");
  f.client_port = 50000;
  f.server_port = 443;
  f.proto = 6;
  f.app_proto = AppProto::kTls;
  Packet p;
  p.ip_version = 4;
  p.l4 = L4::kTcp;
  bool ts = d == Dir::kToServer;
  p.src = ts ? f.client : f.server;
  p.dst = ts ? f.server : f.client;
  p.sp = ts ? 50000 : 443;
  p.dp = ts ? 443 : 50000;
  p.flow = &f;
  p.to_server = ts;
  auto w = e->new_worker();
  Collect c;
  e->inspect_tx(*w, p, f, d, tx, c);
  return c.sids;
}

}  // namespace

TEST_CASE("tls legacy value keywords and integer keywords") {
  FakeTlsTx tx;
  CHECK(run("alert tls any any -> any any (tls.subject:\"O=Stamus, CN=SELKS\"; sid:1;)\n"
            "alert tls any any -> any any (tls.subject:\"CN=other\"; sid:2;)\n"
            "alert tls any any -> any any (tls.subject:!\"CN=other\"; sid:3;)\n"
            "alert tls any any -> any any (tls.issuerdn:\"O=Some CA\"; sid:4;)\n"
            "alert tls any any -> any any (tls.fingerprint:\"90:86:A4:3B:F5:CF\"; sid:5;)\n"
            "alert tls any any -> any any (tls.fingerprint:\"90:86:A4:3B:F5:CE\"; sid:6;)\n",
            tx) == std::vector<uint32_t>{1, 3, 4, 5});
  CHECK(run("alert tls any any -> any any (tls.cert_chain_len:3; sid:1;)\n"
            "alert tls any any -> any any (tls.cert_chain_len:<3; sid:2;)\n"
            "alert tls any any -> any any (tls.cert_chain_len:0<>4; sid:3;)\n"
            "alert tls any any -> any any (tls.cert_chain_len:!2; sid:4;)\n"
            "alert tls any any -> any any (tls.version:1.2; sid:5;)\n"
            "alert tls any any -> any any (tls.version:1.3; sid:6;)\n",
            tx) == std::vector<uint32_t>{1, 3, 4, 5});
  std::string err;
  CHECK_FALSE(test::parse("alert tls any any -> any any (tls.version:2.5; sid:1;)", &err));
  CHECK(err == "tls.version: invalid tls.version '2.5'");
  CHECK_FALSE(test::parse("alert tls any any -> any any (tls.cert_chain_len:x; sid:1;)", &err));
  CHECK(err == "tls.cert_chain_len: invalid tls.cert_chain_len 'x'");
}

TEST_CASE("tls.cert_* in the client's direction (mutual TLS), as Suricata 7/8") {
  FakeTlsTx tx;
  tx.client_subject = "O=Vigil Client, CN=client.example";
  const std::string rules =
      "alert tls any any -> any any (flow:to_server; tls.cert_subject; content:\"CN=client\"; sid:1;)\n"
      "alert tls any any -> any any (tls.cert_subject; content:\"CN=client\"; sid:2;)\n"
      "alert tls any any -> any any (tls.cert_subject; content:\"CN=SELKS\"; sid:3;)\n"
      "alert tls any any -> any any (flow:to_client; tls.cert_subject; content:\"CN=client\"; sid:4;)\n";
  CHECK(run(rules, tx, Dir::kToServer) == std::vector<uint32_t>{1, 2});
  CHECK(run(rules, tx, Dir::kToClient) == std::vector<uint32_t>{3});
}
