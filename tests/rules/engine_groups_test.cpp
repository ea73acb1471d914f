// Port grouping in the compiled engine: a packet only meets the rules whose
// ports can apply, and the alerts are exactly those of a rule-by-rule check
// of the header (with and without the on-disk database cache).
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "rules/engine.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

struct CollectSet : AlertSink {
  std::set<uint32_t> sids;
  void alert(const AlertEvent& a) override { sids.insert(a.sid); }
};

std::string write_rules(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("vigil-rules-tests-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path) << text;
  return path;
}

struct PortRule {
  uint32_t sid;
  const char* header;  // after the action
  bool (*applies)(uint16_t sp, uint16_t dp);
};

const PortRule kRules[] = {
    {1, "tcp any any -> any 80", [](uint16_t, uint16_t dp) { return dp == 80; }},
    {2, "tcp any any -> any [80,8080]", [](uint16_t, uint16_t dp) { return dp == 80 || dp == 8080; }},
    {3, "tcp any 80 -> any any", [](uint16_t sp, uint16_t) { return sp == 80; }},
    {4, "tcp any any <> any 80", [](uint16_t sp, uint16_t dp) { return sp == 80 || dp == 80; }},
    {5, "tcp any any -> any 1024:", [](uint16_t, uint16_t dp) { return dp >= 1024; }},
    {6, "tcp any any -> any !80", [](uint16_t, uint16_t dp) { return dp != 80; }},
    {7, "tcp any any -> any any", [](uint16_t, uint16_t) { return true; }},
    {8, "tcp any [1000:1100] -> any 8000:8100",
     [](uint16_t sp, uint16_t dp) { return sp >= 1000 && sp <= 1100 && dp >= 8000 && dp <= 8100; }},
    {9, "udp any any -> any 53", [](uint16_t, uint16_t) { return false; }},  // never TCP
    {10, "ip any any -> any 80", [](uint16_t, uint16_t dp) { return dp == 80; }},
};

std::string rules_text() {
  std::string t;
  for (auto& r : kRules) {
    // Each rule twice: with a content (prefilter path) and header-only.
    t += "alert " + std::string(r.header) + " (msg:\"c\"; content:\"attack\"; sid:" + std::to_string(r.sid) +
         ";)\n";
    t += "alert " + std::string(r.header) + " (msg:\"h\"; dsize:>0; sid:" + std::to_string(r.sid + 100) +
         ";)\n";
  }
  return t;
}

Packet tcp_packet(uint16_t sp, uint16_t dp, const std::string& payload) {
  Packet p;
  p.ip_version = 4;
  p.src = *IpAddr::parse("10.0.0.1");
  p.dst = *IpAddr::parse("10.0.0.2");
  p.ip_proto = 6;
  p.l4 = L4::kTcp;
  p.sp = sp;
  p.dp = dp;
  p.payload = Bytes(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  return p;
}

void check_ports(const Engine& e) {
  auto w = e.new_worker();
  const uint16_t ports[] = {1,    53,   79,   80,   81,   1000, 1023, 1024,
                            1050, 1100, 1101, 8000, 8050, 8080, 8100, 65535};
  const std::string payload = "an attack here";
  for (uint16_t sp : ports) {
    for (uint16_t dp : ports) {
      Packet p = tcp_packet(sp, dp, payload);
      CollectSet c;
      e.inspect_packet(*w, p, c);
      e.end_packet(*w);
      std::set<uint32_t> want;
      for (auto& r : kRules) {
        if (r.applies(sp, dp)) {
          want.insert(r.sid);
          want.insert(r.sid + 100);
        }
      }
      INFO("sp " << sp << " dp " << dp);
      CHECK(c.sids == want);
    }
  }
}

}  // namespace

TEST_CASE("port groups: alerts equal a rule-by-rule header check, cached or not") {
  LoadOptions o;
  o.files = {write_rules("ports.rules", rules_text())};
  auto cache = std::filesystem::temp_directory_path() / ("vigil-rules-tests-" + std::to_string(getpid())) /
               "cache-ports";
  std::filesystem::remove_all(cache);
  o.cache_dir = cache.string();
  LoadReport r1;
  auto e1 = build_engine(o, r1);
  REQUIRE(e1);
  CHECK(r1.rules_failed == 0);
  CHECK_FALSE(r1.cache_hit);
  CHECK(r1.port_groups > 0);
  check_ports(*e1);

  LoadReport r2;
  auto e2 = build_engine(o, r2);
  REQUIRE(e2);
  CHECK(r2.cache_hit);
  CHECK(r2.port_groups == r1.port_groups);
  check_ports(*e2);
}

TEST_CASE("port groups: a port-80 packet does not meet rules keyed to other ports") {
  std::string t;
  for (int port = 1000; port < 1200; ++port)
    t += "alert tcp any any -> any " + std::to_string(port) + " (content:\"x\"; sid:" + std::to_string(port) +
         ";)\n";
  t += "alert tcp any any -> any 80 (content:\"x\"; sid:80;)\n";
  LoadOptions o;
  o.files = {write_rules("many-ports.rules", t)};
  LoadReport r;
  auto e = build_engine(o, r);
  REQUIRE(e);
  auto w = e->new_worker();
  const std::string payload = "xxx";  // outlives the packet's view of it
  Packet p = tcp_packet(40000, 80, payload);
  CollectSet c;
  e->inspect_packet(*w, p, c);
  CHECK(c.sids == std::set<uint32_t>{80});
  CHECK(e->counters(*w).prefilter_candidates == 1);
}
