#include <catch2/catch.hpp>

#include "agent/app/dns_message.h"
#include "tests/agent/app/app_test_util.h"

using namespace vigil;
using vigil::test::B;
using vigil::test::Harness;

namespace {

std::string name(std::string_view dotted) {
  std::string out;
  while (!dotted.empty()) {
    size_t dot = dotted.find('.');
    auto label = dotted.substr(0, dot);
    out.push_back(static_cast<char>(label.size()));
    out.append(label);
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  out.push_back('\0');
  return out;
}

std::string u16(uint16_t v) {
  return {static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
}
std::string u32(uint32_t v) {
  return u16(static_cast<uint16_t>(v >> 16)) + u16(static_cast<uint16_t>(v));
}

std::string query(uint16_t id, std::string_view qname, uint16_t type = 1) {
  return u16(id) + u16(0x0100) + u16(1) + u16(0) + u16(0) + u16(0) + name(qname) + u16(type) + u16(1);
}

// Response with answers: CNAME to a compressed name, then A and AAAA, MX, TXT.
std::string response(uint16_t id) {
  std::string m =
      u16(id) + u16(0x8180) + u16(1) + u16(5) + u16(0) + u16(0) + name("www.example.com") + u16(1) + u16(1);
  std::string ptr_q = "\xc0\x0c";
  // CNAME www.example.com -> cdn.example.com (compressed suffix at offset 16: "example.com")
  std::string cname = std::string(
                          "\x03"
                          "cdn",
                          4) +
                      "\xc0\x10";
  m += ptr_q + u16(5) + u16(1) + u32(300) + u16(static_cast<uint16_t>(cname.size())) + cname;
  m += ptr_q + u16(1) + u16(1) + u32(60) + u16(4) + std::string("\x5d\xb8\xd8\x22", 4);
  m += ptr_q + u16(28) + u16(1) + u32(60) + u16(16) +
       std::string("\x26\x06\x28\x00\x02\x20\x00\x01\x02\x48\x18\x93\x25\xc8\x19\x46", 16);
  std::string mx = u16(10) + "\xc0\x10";
  m += ptr_q + u16(15) + u16(1) + u32(60) + u16(static_cast<uint16_t>(mx.size())) + mx;
  std::string txt = "\x05hello\x05world";
  m += ptr_q + u16(16) + u16(1) + u32(60) + u16(static_cast<uint16_t>(txt.size())) + txt;
  return m;
}

}  // namespace

TEST_CASE("dns: query and response over UDP make one transaction", "[app][dns]") {
  Harness h(17, 5555, 53);
  h.datagram(Dir::kToServer, query(0x1234, "www.example.com"));
  CHECK(h.flow.app_proto == AppProto::kDns);
  CHECK(h.rec.done.empty());
  REQUIRE(h.rec.updates.size() == 1);
  h.datagram(Dir::kToClient, response(0x1234));
  REQUIRE(h.rec.done.size() == 1);
  const auto& t = h.rec.done[0];
  CHECK(t.buf(BufferId::kDnsQuery) == "www.example.com");
  CHECK(t.count(BufferId::kDnsAnswerName, Dir::kToClient) == 5);
  CHECK(t.integer(TxInt::kDnsRrtype, Dir::kToServer) == 1);
  CHECK(t.integer(TxInt::kDnsOpcode, Dir::kToServer) == 0);
  // dns.query.name: the question of both messages; dns.rcode: each message's own.
  CHECK(t.buf(BufferId::kDnsQueryName, Dir::kToServer) == "www.example.com");
  CHECK(t.buf(BufferId::kDnsQueryName, Dir::kToClient) == "www.example.com");
  CHECK(t.integer(TxInt::kDnsRcode, Dir::kToServer) == 0);
  CHECK(t.integer(TxInt::kDnsRcode, Dir::kToClient) == 0);
  // dns.response.rrname: the question, the 5 answer names and the names in
  // the CNAME and MX data (not the addresses or the TXT).
  CHECK(t.count(BufferId::kDnsResponseRrname, Dir::kToClient) == 8);
  CHECK(t.buf(BufferId::kDnsResponseRrname, Dir::kToClient, 2) == "cdn.example.com");
  CHECK(t.count(BufferId::kDnsAdditionalsRrname, Dir::kToClient) == 0);
  // Suricata 7: the query is logged when it is seen, the answer when it is.
  REQUIRE(h.rec.logs.size() == 2);
  CHECK(h.rec.logs[0].first == Dir::kToServer);
  const auto& q = h.rec.logs[0].second["dns"];
  CHECK(q["version"] == 2);
  CHECK(q["type"] == "query");
  CHECK(q["id"] == 0x1234);
  CHECK(q["rrname"] == "www.example.com");
  CHECK(q["rrtype"] == "A");
  CHECK(q["tx_id"] == 0);
  CHECK(h.rec.logs[1].first == Dir::kToClient);
  const auto& e = h.rec.logs[1].second["dns"];
  CHECK(e["version"] == 2);
  CHECK(e["type"] == "answer");
  CHECK(e["id"] == 0x1234);
  CHECK(e["flags"] == "8180");
  CHECK(e["rrname"] == "www.example.com");
  CHECK(e["rcode"] == "NOERROR");
  REQUIRE(e["answers"].size() == 5);
  CHECK(e["answers"][0]["rrtype"] == "CNAME");
  CHECK(e["answers"][0]["rdata"] == "cdn.example.com");
  CHECK(e["answers"][1]["rdata"] == "93.184.216.34");
  CHECK(e["answers"][2]["rdata"] == "2606:2800:0220:0001:0248:1893:25c8:1946");
  CHECK(e["answers"][3]["rdata"] == "example.com");
  CHECK(e["answers"][4]["rdata"] == "helloworld");
  CHECK(e["grouped"]["A"][0] == "93.184.216.34");
  CHECK(e["grouped"]["CNAME"][0] == "cdn.example.com");
  // In alerts: the questions under `query`, the header under `answer`, the
  // records beside them.
  const auto& a = t.eve["dns"];
  CHECK(a["version"] == 2);
  REQUIRE(a["query"].size() == 1);
  CHECK(a["query"][0]["type"] == "query");
  CHECK(a["query"][0]["rrname"] == "www.example.com");
  CHECK(a["answer"]["type"] == "answer");
  CHECK(a["answer"]["rcode"] == "NOERROR");
  CHECK_FALSE(a["answer"].contains("answers"));
  CHECK(a["answers"].size() == 5);
  CHECK(h.counter("app_layer.tx.dns") == 1);
  CHECK(h.counter("app_layer.flow.dns_udp") == 1);
}

TEST_CASE("dns: a lone query is logged when seen, and nothing more at flow end", "[app][dns]") {
  Harness h(17, 5555, 53);
  h.datagram(Dir::kToServer, query(7, "a.example", 28));
  REQUIRE(h.rec.logs.size() == 1);
  CHECK(h.rec.logs[0].second["dns"]["type"] == "query");
  CHECK(h.rec.logs[0].second["dns"]["rrtype"] == "AAAA");
  CHECK(h.rec.logs[0].second["dns"]["rrname"] == "a.example");
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.logs.size() == 1);
  CHECK(h.rec.done[0].eve["dns"]["query"][0]["rrname"] == "a.example");
  CHECK_FALSE(h.rec.done[0].eve["dns"].contains("answer"));
}

TEST_CASE("dns: an unsolicited response is one answer event", "[app][dns]") {
  Harness h(17, 5555, 53);
  h.datagram(Dir::kToClient, response(0x4321));
  REQUIRE(h.rec.logs.size() == 1);
  CHECK(h.rec.logs[0].first == Dir::kToClient);
  CHECK(h.rec.logs[0].second["dns"]["type"] == "answer");
  CHECK(h.rec.logs[0].second["dns"]["rrname"] == "www.example.com");
}

TEST_CASE("dns: SRV answers are objects, detailed and grouped", "[app][dns]") {
  std::string m = u16(5) + u16(0x8180) + u16(1) + u16(1) + u16(0) + u16(0) + name("_sip._tcp.example.com") +
                  u16(33) + u16(1);
  std::string srv = u16(10) + u16(60) + u16(5060) + name("sip.example.com");
  m += std::string("\xc0\x0c", 2) + u16(33) + u16(1) + u32(30) + u16(static_cast<uint16_t>(srv.size())) + srv;
  Harness h(17, 5555, 53);
  h.datagram(Dir::kToServer, query(5, "_sip._tcp.example.com", 33));
  h.datagram(Dir::kToClient, m);
  REQUIRE(h.rec.logs.size() == 2);
  const auto& e = h.rec.logs[1].second["dns"];
  REQUIRE(e["answers"].size() == 1);
  CHECK(e["answers"][0]["srv"]["priority"] == 10);
  CHECK(e["answers"][0]["srv"]["weight"] == 60);
  CHECK(e["answers"][0]["srv"]["port"] == 5060);
  CHECK(e["answers"][0]["srv"]["name"] == "sip.example.com");
  CHECK_FALSE(e["answers"][0].contains("rdata"));
  REQUIRE(e["grouped"]["SRV"].size() == 1);
  CHECK(e["grouped"]["SRV"][0]["port"] == 5060);
  CHECK(e["grouped"]["SRV"][0]["name"] == "sip.example.com");
}

TEST_CASE("dns: detected on any port by content, not otherwise", "[app][dns]") {
  Harness h(17, 5555, 5300);
  h.datagram(Dir::kToServer, query(1, "x.example"));
  CHECK(h.flow.app_proto == AppProto::kDns);
  Harness g(17, 5555, 5300);
  g.datagram(Dir::kToServer, "not dns at all, just text payload");
  g.datagram(Dir::kToClient, "and a reply that is not dns either");
  CHECK(g.flow.app_proto == AppProto::kFailed);
  CHECK(g.counter("app_layer.flow.failed") == 1);
}

TEST_CASE("dns: TCP messages split across segments and packed together", "[app][dns]") {
  std::string q = query(9, "tcp.example");
  std::string r = response(9);
  std::string q2 = query(10, "b.example");
  std::string stream = u16(static_cast<uint16_t>(q.size())) + q + u16(static_cast<uint16_t>(q2.size())) + q2;
  for (size_t cut = 0; cut <= stream.size(); ++cut) {
    Harness h(6, 5555, 53);
    h.send_split(Dir::kToServer, stream, cut);
    h.send_split(Dir::kToClient, u16(static_cast<uint16_t>(r.size())) + r, cut % (r.size() + 2));
    INFO("cut " << cut);
    CHECK(h.flow.app_proto == AppProto::kDns);
    REQUIRE(h.rec.done.size() == 1);
    CHECK(h.rec.done[0].buf(BufferId::kDnsQuery) == "tcp.example");
    h.end();
    REQUIRE(h.rec.done.size() == 2);
    CHECK(h.rec.done[1].buf(BufferId::kDnsQuery) == "b.example");
  }
}

TEST_CASE("dns: compression loops and pointers past the end are refused", "[app][dns]") {
  std::string hdr = u16(1) + u16(0x8180) + u16(1) + u16(1) + u16(0) + u16(0);
  std::string q = name("a.example") + u16(1) + u16(1);
  SECTION("pointer to itself") {
    std::string m = hdr + q + "\xc0\x1b" + u16(1) + u16(1) + u32(1) + u16(4) + "abcd";
    // answer name at offset 27 points to 27
    dns::Message msg;
    CHECK(dns::parse(B(m), msg) == dns::Error::kNameLoop);
  }
  SECTION("two pointers pointing at each other") {
    std::string m = u16(1) + u16(0) + u16(1) + u16(0) + u16(0) + u16(0) +
                    "\x01"
                    "a"
                    "\xc0\x0e"
                    "\xc0\x0c" +
                    u16(1) + u16(1);
    dns::Message msg;
    CHECK(dns::parse(B(m), msg) != dns::Error::kNone);
  }
  SECTION("pointer past the end") {
    std::string m = hdr + q + "\xc0\xff" + u16(1) + u16(1) + u32(1) + u16(4) + "abcd";
    dns::Message msg;
    CHECK(dns::parse(B(m), msg) == dns::Error::kNameLoop);
    std::string m2 = hdr +
                     "\x3f"
                     "abc";
    CHECK(dns::parse(B(m2), msg) == dns::Error::kTruncated);
  }
  SECTION("counted in the parser") {
    Harness h(17, 5555, 53);
    h.datagram(Dir::kToServer, query(1, "a.example"));
    h.datagram(Dir::kToClient, hdr + q + "\xc0\x1b" + u16(1) + u16(1) + u32(1) + u16(4) + "abcd");
    CHECK(h.counter("app_layer.anomaly.dns.name_loop") == 1);
    CHECK(h.counter("app_layer.error.dns.parser") == 1);
    REQUIRE(h.rec.done.size() == 1);  // the header and question still make a response
  }
  SECTION("name longer than 255") {
    std::string longname;
    for (int i = 0; i < 10; ++i) longname += std::string(30, 'a') + ".";
    longname += "x";
    dns::Message msg;
    CHECK(dns::parse(B(query(1, longname)), msg) == dns::Error::kNameTooLong);
  }
}

TEST_CASE("dns: truncated messages of every length", "[app][dns]") {
  std::string r = response(3);
  for (size_t n = 0; n < r.size(); ++n) {
    dns::Message msg;
    CHECK(dns::parse(B(r.substr(0, n)), msg) != dns::Error::kNone);
    Harness h(17, 5555, 53);
    h.datagram(Dir::kToClient, r.substr(0, n));
    h.end();
  }
  dns::Message ok;
  CHECK(dns::parse(B(r), ok) == dns::Error::kNone);
}

TEST_CASE("dns: TCP length below a header stops the direction", "[app][dns]") {
  Harness h(6, 5555, 53);
  std::string q = query(9, "tcp.example");
  h.send(Dir::kToServer, u16(static_cast<uint16_t>(q.size())) + q + u16(3) + "abc");
  CHECK(h.counter("app_layer.anomaly.dns.invalid_tcp_length") == 1);
}

TEST_CASE("dns: an SOA authority is logged as Suricata's soa object", "[app][dns]") {
  std::string soa = name("ns1.example.org") + name("hostmaster.example.org") + u32(2026120301) + u32(7200) +
                    u32(3600) + u32(1209600) + u32(300);
  std::string m = u16(8) + u16(0x8183) + u16(1) + u16(0) + u16(1) + u16(0) + name("missing.example.org") +
                  u16(1) + u16(1);
  m += name("example.org") + u16(6) + u16(1) + u32(60) + u16(static_cast<uint16_t>(soa.size())) + soa;
  Harness h(17, 5555, 53);
  h.datagram(Dir::kToServer, query(8, "missing.example.org"));
  h.datagram(Dir::kToClient, m);
  REQUIRE(h.rec.logs.size() == 2);
  const auto& e = h.rec.logs[1].second["dns"];
  CHECK(e["rcode"] == "NXDOMAIN");
  REQUIRE(e["authorities"].size() == 1);
  const auto& s = e["authorities"][0]["soa"];
  CHECK(s["mname"] == "ns1.example.org");
  CHECK(s["rname"] == "hostmaster.example.org");
  CHECK(s["serial"] == 2026120301u);
  CHECK(s["refresh"] == 7200);
  CHECK(s["retry"] == 3600);
  CHECK(s["expire"] == 1209600);
  CHECK(s["minimum"] == 300);
  CHECK_FALSE(e["authorities"][0].contains("rdata"));
  // Cut short after the mname: the mname stays as rdata, no soa object.
  std::string short_soa = name("ns1.example.org") + u32(1);
  std::string m2 = u16(9) + u16(0x8183) + u16(1) + u16(0) + u16(1) + u16(0) + name("missing.example.org") +
                   u16(1) + u16(1);
  m2 += name("example.org") + u16(6) + u16(1) + u32(60) + u16(static_cast<uint16_t>(short_soa.size())) +
        short_soa;
  h.datagram(Dir::kToClient, m2);
  REQUIRE(h.rec.logs.size() == 3);
  const auto& a2 = h.rec.logs[2].second["dns"]["authorities"][0];
  CHECK(a2["rdata"] == "ns1.example.org");
  CHECK_FALSE(a2.contains("soa"));
}

TEST_CASE("dns: authority and additional names for rules, a bad additional record fails nothing",
          "[app][dns]") {
  // NXDOMAIN-style referral: NS example.com -> ns1.example.com, glue A in the
  // additional section, then a record cut short.
  std::string m =
      u16(7) + u16(0x8183) + u16(1) + u16(0) + u16(1) + u16(2) + name("www.example.com") + u16(1) + u16(1);
  std::string ns = name("ns1.example.com");
  m += name("example.com") + u16(2) + u16(1) + u32(60) + u16(static_cast<uint16_t>(ns.size())) + ns;
  m += name("ns1.example.com") + u16(1) + u16(1) + u32(60) + u16(4) + std::string("\x0a\0\0\x01", 4);
  m += name("ns2.example.com") + u16(1) + u16(1);  // truncated
  Harness h(17, 5555, 53);
  h.datagram(Dir::kToServer, query(7, "www.example.com"));
  h.datagram(Dir::kToClient, m);
  REQUIRE(h.rec.done.size() == 1);
  const auto& t = h.rec.done[0];
  CHECK(t.integer(TxInt::kDnsRcode, Dir::kToClient) == 3);
  CHECK(t.buf(BufferId::kDnsAuthoritiesRrname, Dir::kToClient) == "example.com");
  CHECK(t.count(BufferId::kDnsAdditionalsRrname, Dir::kToClient) == 1);
  CHECK(t.buf(BufferId::kDnsAdditionalsRrname, Dir::kToClient) == "ns1.example.com");
  // question, authority name and its NS data, the glue's name
  CHECK(t.count(BufferId::kDnsResponseRrname, Dir::kToClient) == 4);
  CHECK(t.buf(BufferId::kDnsResponseRrname, Dir::kToClient, 2) == "ns1.example.com");
}
