#include "agent/output/dns_eve.h"

#include <catch2/catch.hpp>

#include "agent/config.h"

using namespace vigil;
using Json = nlohmann::ordered_json;

namespace {
Json query_event() {
  return Json::parse(R"({"version":2,"type":"query","id":1,"rrname":"a.example","rrtype":"A","tx_id":0})");
}
Json answer_event(const char* rrtype = "A") {
  Json j = Json::parse(R"({"version":2,"type":"answer","id":1,"rrname":"a.example","rcode":"NOERROR",
    "answers":[{"rrname":"a.example","rrtype":"A","ttl":1,"rdata":"192.0.2.1"}],
    "grouped":{"A":["192.0.2.1"]}})");
  j["rrtype"] = rrtype;
  return j;
}
}  // namespace

TEST_CASE("dns eve: requests and responses switch each kind off alone", "[output][dns]") {
  DnsEveOptions o;
  Json q = query_event(), a = answer_event();
  CHECK(dns_eve_keep(q, o));
  CHECK(dns_eve_keep(a, o));
  o.requests = false;
  CHECK_FALSE(dns_eve_keep(q, o));
  CHECK(dns_eve_keep(a, o));
  o.requests = true;
  o.responses = false;
  CHECK(dns_eve_keep(q, o));
  CHECK_FALSE(dns_eve_keep(a, o));
}

TEST_CASE("dns eve: formats remove answers or grouped", "[output][dns]") {
  DnsEveOptions o;
  o.detailed = false;
  Json a = answer_event();
  REQUIRE(dns_eve_keep(a, o));
  CHECK_FALSE(a.contains("answers"));
  CHECK(a.contains("grouped"));
  o.detailed = true;
  o.grouped = false;
  Json b = answer_event();
  REQUIRE(dns_eve_keep(b, o));
  CHECK(b.contains("answers"));
  CHECK_FALSE(b.contains("grouped"));
}

TEST_CASE("dns eve: types filter by the question's type", "[output][dns]") {
  DnsEveOptions o;
  o.types = {"AAAA", "MX"};
  Json q = query_event(), a = answer_event("A"), mx = answer_event("MX");
  CHECK_FALSE(dns_eve_keep(q, o));
  CHECK_FALSE(dns_eve_keep(a, o));
  CHECK(dns_eve_keep(mx, o));
  CHECK(dns_eve_type_name("aaaa") == "AAAA");
  CHECK(dns_eve_type_name("srv") == "SRV");
  CHECK(dns_eve_type_name("bogus").empty());
}

TEST_CASE("dns eve: the outputs.eve.dns keys set the options and refuse bad values",
          "[output][dns][config]") {
  auto r = load_config_text("t.yaml",
                            "outputs:\n  eve:\n    dns:\n      requests: false\n      formats: [grouped]\n"
                            "      types: [a, srv]\n",
                            {});
  REQUIRE(r.ok);
  CHECK_FALSE(r.cfg.eve_dns.requests);
  CHECK(r.cfg.eve_dns.responses);
  CHECK_FALSE(r.cfg.eve_dns.detailed);
  CHECK(r.cfg.eve_dns.grouped);
  CHECK(r.cfg.eve_dns.types == std::vector<std::string>{"A", "SRV"});
  auto d = load_config_text("t.yaml", "", {});
  REQUIRE(d.ok);
  CHECK(d.cfg.eve_dns.requests);
  CHECK(d.cfg.eve_dns.detailed);
  CHECK(d.cfg.eve_dns.grouped);
  CHECK(d.cfg.eve_dns.types.empty());
  auto bad = load_config_text("t.yaml", "outputs:\n  eve:\n    dns:\n      formats: [fancy]\n", {});
  CHECK_FALSE(bad.ok);
  CHECK(bad.error.find("outputs.eve.dns.formats") != std::string::npos);
  auto badt = load_config_text("t.yaml", "outputs:\n  eve:\n    dns:\n      types: [nope]\n", {});
  CHECK_FALSE(badt.ok);
}
