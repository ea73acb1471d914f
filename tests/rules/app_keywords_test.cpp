// The DNS integer keywords (rules/kw_dns.cpp: dns.opcode, dns.rcode by
// number or name, dns.rrtype) and the Suricata 8 DNS section buffers
// (dns.query.name / dns.queries.rrname, dns.answers.rrname,
// dns.authorities.rrname), the tls.random buffers and the DCERPC PDU
// integers (dcerpc.ptype, dcerpc.flags) through a built engine on a fake
// transaction: what matches and what does not.
#include <unistd.h>

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <map>

#include "rules/engine.h"
#include "rules/inert.h"
#include "tests/rules/rule_test_util.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

using Collect = test::CollectSids;

// A DNS or TLS transaction: buffers and integers per direction.
class FakeTx : public Transaction {
 public:
  AppProto app = AppProto::kDns;
  std::map<std::pair<BufferId, Dir>, std::vector<std::string>> bufs;
  std::map<std::pair<TxInt, Dir>, int64_t> ints;
  AppProto proto() const override { return app; }
  uint64_t tx_id() const override { return 0; }
  TxProgress progress(Dir) const override { return TxProgress::kComplete; }
  size_t buffer_count(BufferId id, Dir d) const override {
    auto it = bufs.find({id, d});
    return it == bufs.end() ? 0 : it->second.size();
  }
  std::span<const uint8_t> buffer(BufferId id, Dir d, size_t i) const override {
    const auto& s = bufs.at({id, d}).at(i);
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
  void to_eve(nlohmann::ordered_json&) const override {}
  bool integer(TxInt f, Dir d, int64_t* out) const override {
    auto it = ints.find({f, d});
    if (it == ints.end()) return false;
    *out = it->second;
    return true;
  }
};

// The sids of `rules` that alert on tx inspected in direction d.
std::vector<uint32_t> run(const std::string& rules, const FakeTx& tx, Dir d) {
  auto e = test::load_all(rules);
  FlowView f;
  f.client = *IpAddr::parse("10.0.0.1");
  f.server = *IpAddr::parse("10.0.0.53");
  f.client_port = 50000;
  f.server_port = 53;
  f.proto = tx.app == AppProto::kDns ? 17 : 6;  // TLS and SMB over TCP
  f.app_proto = f.app_proto_ts = f.app_proto_tc = tx.app;
  Packet p;
  p.ip_version = 4;
  p.l4 = f.proto == 17 ? L4::kUdp : L4::kTcp;
  bool ts = d == Dir::kToServer;
  p.src = ts ? f.client : f.server;
  p.dst = ts ? f.server : f.client;
  p.sp = ts ? 50000 : 53;
  p.dp = ts ? 53 : 50000;
  p.to_server = ts;
  auto w = e->new_worker();
  Collect c;
  e->inspect_tx(*w, p, f, d, tx, c);
  std::sort(c.sids.begin(), c.sids.end());
  return c.sids;
}

// A query for www.example.com (type A) answered NXDOMAIN with an SOA in the
// authority section.
FakeTx nxdomain() {
  FakeTx tx;
  for (Dir d : {Dir::kToServer, Dir::kToClient}) tx.bufs[{BufferId::kDnsQueryName, d}] = {"www.example.com"};
  tx.bufs[{BufferId::kDnsQuery, Dir::kToServer}] = {"www.example.com"};
  tx.bufs[{BufferId::kDnsAuthoritiesRrname, Dir::kToClient}] = {"example.com"};
  tx.bufs[{BufferId::kDnsResponseRrname, Dir::kToClient}] = {"www.example.com", "example.com",
                                                             "ns.example.net"};
  tx.ints[{TxInt::kDnsOpcode, Dir::kToServer}] = 0;
  tx.ints[{TxInt::kDnsOpcode, Dir::kToClient}] = 0;
  tx.ints[{TxInt::kDnsRcode, Dir::kToServer}] = 0;
  tx.ints[{TxInt::kDnsRcode, Dir::kToClient}] = 3;
  tx.ints[{TxInt::kDnsRrtype, Dir::kToServer}] = 1;
  tx.ints[{TxInt::kDnsRrtype, Dir::kToClient}] = 1;
  return tx;
}

}  // namespace

TEST_CASE("dns.rcode / dns.opcode / dns.rrtype compare the direction's message", "[dns]") {
  auto tx = nxdomain();
  const std::string rules =
      "alert dns any any -> any any (dns.rcode:3; sid:1;)\n"
      "alert dns any any -> any any (dns.rcode:!3; sid:2;)\n"
      "alert dns any any -> any any (dns.rcode:nxdomain; sid:3;)\n"
      "alert dns any any -> any any (dns.rcode:NoError; sid:4;)\n"
      "alert dns any any -> any any (dns.opcode:0; sid:5;)\n"
      "alert dns any any -> any any (dns.opcode:!0; sid:6;)\n"
      "alert dns any any -> any any (dns.rrtype:1; sid:7;)\n"
      "alert dns any any -> any any (dns.rrtype:28; sid:8;)\n"
      "alert dns any any -> any any (dns.rrtype:!2; sid:9;)\n"
      "alert udp any any -> any any (dns.rcode:1-4; sid:10;)\n";
  CHECK(run(rules, tx, Dir::kToClient) == std::vector<uint32_t>{1, 3, 5, 7, 9, 10});
  CHECK(run(rules, tx, Dir::kToServer) == std::vector<uint32_t>{2, 4, 5, 7, 9});
}

TEST_CASE("dns keyword values are checked and make the rule a dns rule", "[dns]") {
  std::string err;
  auto r = test::parse("alert udp any any -> any any (dns.rcode:3; sid:1;)", &err);
  REQUIRE(r);
  CHECK(r->tx_rule);
  CHECK(r->app_mask == app_bit(AppProto::kDns));
  CHECK_FALSE(test::parse("alert dns any any -> any any (dns.rcode:16; sid:1;)", &err));
  CHECK(err.find("out of range") != std::string::npos);
  CHECK_FALSE(test::parse("alert dns any any -> any any (dns.rcode:nosuchcode; sid:1;)", &err));
  CHECK_FALSE(test::parse("alert dns any any -> any any (dns.opcode:x; sid:1;)", &err));
  CHECK_FALSE(test::parse("alert dns any any -> any any (dns.rrtype:1,all; sid:1;)", &err));
  CHECK(err == "dns.rrtype: the index form is not supported");
}

TEST_CASE("dns section buffers: query names in both directions, authorities in the response", "[dns]") {
  auto tx = nxdomain();
  const std::string rules =
      "alert dns any any -> any any (dns.queries.rrname; content:\"example\"; sid:1;)\n"
      "alert dns any any -> any any (dns.query.name; content:\"www.\"; startswith; sid:2;)\n"
      "alert dns any any -> any any (dns.query.name; content:\"other\"; sid:3;)\n"
      "alert dns any any -> any any (dns.authorities.rrname; content:\"example.com\"; bsize:11; sid:4;)\n"
      "alert dns any any -> any any (dns.answers.rrname; content:\"example\"; sid:5;)\n"
      "alert dns any any -> any any (dns.query; content:\"example\"; sid:6;)\n"
      "alert dns any any -> any any (dns.response.rrname; content:\"ns.example.net\"; sid:7;)\n"
      "alert dns any any -> any any (dns.additionals.rrname; content:\"example\"; sid:8;)\n";
  // The response has no answers: sid 5 stays quiet; dns.query is the
  // request's question, seen from either direction.
  CHECK(run(rules, tx, Dir::kToClient) == std::vector<uint32_t>{1, 2, 4, 6, 7});
  CHECK(run(rules, tx, Dir::kToServer) == std::vector<uint32_t>{1, 2, 6});
}

TEST_CASE("tls.random, tls.random_time, tls.random_bytes: the hello's random in its direction", "[tls]") {
  FakeTx tx;
  tx.app = AppProto::kTls;
  std::string client(32, '\0'), server(32, '\0');
  for (int i = 0; i < 32; ++i) {
    client[size_t(i)] = char(i);
    server[size_t(i)] = char(0x80 + i);
  }
  tx.bufs[{BufferId::kTlsRandom, Dir::kToServer}] = {client};
  tx.bufs[{BufferId::kTlsRandomTime, Dir::kToServer}] = {client.substr(0, 4)};
  tx.bufs[{BufferId::kTlsRandomBytes, Dir::kToServer}] = {client.substr(4)};
  tx.bufs[{BufferId::kTlsRandom, Dir::kToClient}] = {server};
  tx.bufs[{BufferId::kTlsRandomTime, Dir::kToClient}] = {server.substr(0, 4)};
  tx.bufs[{BufferId::kTlsRandomBytes, Dir::kToClient}] = {server.substr(4)};
  const std::string rules =
      "alert tls any any -> any any (tls.random; content:\"|00 01 02 03 04|\"; startswith; bsize:32; "
      "sid:1;)\n"
      "alert tls any any -> any any (tls.random_time; content:\"|00 01 02 03|\"; bsize:4; sid:2;)\n"
      "alert tls any any -> any any (tls.random_bytes; content:\"|04 05|\"; startswith; bsize:28; sid:3;)\n"
      "alert tls any any -> any any (tls.random_time; content:\"|80 81 82 83|\"; sid:4;)\n"
      "alert tls any any -> any any (tls.random_bytes; content:\"|00 01 02 03|\"; sid:5;)\n";
  CHECK(run(rules, tx, Dir::kToServer) == std::vector<uint32_t>{1, 2, 3});
  CHECK(run(rules, tx, Dir::kToClient) == std::vector<uint32_t>{4});
}

TEST_CASE("tls.subjectaltname: each dNSName of the certificate is one buffer", "[tls]") {
  FakeTx tx;
  tx.app = AppProto::kTls;
  tx.bufs[{BufferId::kTlsSubjectAltName, Dir::kToClient}] = {"example.com", "server15.xn--j1ahhq.xn--p1ai"};
  const std::string rules =
      "alert tls any any -> any any (tls.subjectaltname; content:\"xn--p1ai\"; endswith; sid:1;)\n"
      "alert tls any any -> any any (tls.subjectaltname; content:\"example.com\"; bsize:11; sid:2;)\n"
      "alert tls any any -> any any (tls.subjectaltname; content:\"example.org\"; sid:3;)\n"
      // Both contents in one name: no single buffer holds them.
      "alert tls any any -> any any (tls.subjectaltname; content:\"example\"; content:\"xn--\"; sid:4;)\n";
  CHECK(run(rules, tx, Dir::kToClient) == std::vector<uint32_t>{1, 2});
  CHECK(run(rules, tx, Dir::kToServer).empty());
}

TEST_CASE("dcerpc.ptype / dcerpc.flags: the PDU of the direction inspected, flags by bitmask", "[dcerpc]") {
  FakeTx tx;
  tx.app = AppProto::kSmb;
  tx.ints[{TxInt::kDcerpcPtype, Dir::kToServer}] = 0;     // REQUEST
  tx.ints[{TxInt::kDcerpcFlags, Dir::kToServer}] = 0x83;  // first + last frag, object uuid
  tx.ints[{TxInt::kDcerpcPtype, Dir::kToClient}] = 2;     // RESPONSE
  tx.ints[{TxInt::kDcerpcFlags, Dir::kToClient}] = 0x03;
  const std::string rules =
      "alert smb any any -> any any (dcerpc.ptype:0; sid:1;)\n"
      "alert smb any any -> any any (dcerpc.ptype:2; sid:2;)\n"
      "alert smb any any -> any any (dcerpc.ptype:!0; sid:3;)\n"
      "alert smb any any -> any any (dcerpc.flags:0x83; sid:4;)\n"
      "alert smb any any -> any any (dcerpc.flags:3; sid:5;)\n"
      "alert smb any any -> any any (dcerpc.flags:&0x03=0x03; sid:6;)\n"
      "alert smb any any -> any any (dcerpc.flags:&0x80=0x80; sid:7;)\n"
      "alert smb any any -> any any (dcerpc.flags:&0x80!=0x80; sid:8;)\n"
      "alert tcp any any -> any any (dcerpc.ptype:>10; sid:9;)\n"
      // Suricata's dcerpc signature protocol covers SMB flows.
      "alert dcerpc any any -> any any (dcerpc.ptype:0; sid:10;)\n";
  CHECK(run(rules, tx, Dir::kToServer) == std::vector<uint32_t>{1, 4, 6, 7, 10});
  CHECK(run(rules, tx, Dir::kToClient) == std::vector<uint32_t>{2, 3, 5, 6, 8});
  std::string err;
  CHECK_FALSE(test::parse("alert smb any any -> any any (dcerpc.flags:&0x03; sid:1;)", &err));
  CHECK_FALSE(test::parse("alert smb any any -> any any (dcerpc.ptype:256; sid:1;)", &err));
  auto r = test::parse("alert tcp any any -> any any (dcerpc.ptype:11; sid:1;)", &err);
  REQUIRE(r);
  CHECK(r->app_mask == app_bit(AppProto::kSmb));
}
