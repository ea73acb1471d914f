// Datasets of addresses (type ipv4 / ip) on the ip.src / ip.dst packet
// buffers, and the write-back of state/save files at engine teardown.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "rule_test_util.h"
#include "rules/engine.h"

using namespace vigil;
using namespace vigil::rules;
using vigil::rules::test::parse;

namespace {

const std::filesystem::path& dataset_dir() {
  static const auto d = [] {
    auto p = std::filesystem::temp_directory_path() / ("vigil-dataset-ip-tests-" + std::to_string(getpid()));
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p;
  }();
  return d;
}

std::shared_ptr<const Engine> engine_of(const std::string& name, const std::string& text,
                                        LoadReport* rep = nullptr) {
  auto path = (dataset_dir() / name).string();
  std::ofstream(path) << text;
  LoadOptions o;
  o.files = {path};
  LoadReport r;
  auto e = build_engine(o, r);
  if (rep) *rep = r;
  return e;
}

using Collect = test::CollectSids;

std::vector<uint32_t> run(const Engine& e, const char* src, const char* dst, const std::string& data = "x") {
  Packet p;
  p.src = *IpAddr::parse(src);
  p.dst = *IpAddr::parse(dst);
  p.ip_version = p.src.family;
  p.ip_proto = 17;
  p.l4 = L4::kUdp;
  p.sp = 1000;
  p.dp = 2000;
  p.payload = Bytes(reinterpret_cast<const uint8_t*>(data.data()), data.size());
  auto w = e.new_worker();
  Collect c;
  e.inspect_packet(*w, p, c);
  e.end_packet(*w);
  return c.sids;
}

std::set<std::string> lines_of(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::set<std::string> out;
  std::string l;
  while (std::getline(in, l)) out.insert(l);
  return out;
}

using V = std::vector<uint32_t>;

}  // namespace

TEST_CASE("dataset ip/ipv4: text addresses in the file, address bytes in ip.src/ip.dst") {
  std::ofstream(dataset_dir() / "bad.lst") << "192.0.2.1\n2001:db8::7\n::ffff:198.51.100.4\n";
  std::ofstream(dataset_dir() / "bad4.lst") << "# comment\n203.0.113.9\n";
  LoadReport rep;
  auto e =
      engine_of("ip.rules",
                "alert udp any any -> any any (msg:\"src\"; ip.src; dataset:isset,bad,type ip,load bad.lst; "
                "sid:1;)\n"
                "alert udp any any -> any any (msg:\"dst\"; ip.dst; dataset:isset,bad4,type ipv4,load "
                "bad4.lst; sid:2;)\n"
                "alert udp any any -> any any (msg:\"src+payload\"; content:\"GET\"; ip.src; "
                "dataset:isset,bad; sid:3;)\n"
                "alert udp any any -> any any (msg:\"dst not\"; ip.dst; dataset:isnotset,bad4; sid:4;)\n",
                &rep);
  REQUIRE(e);
  INFO((rep.errors.empty() ? std::string() : rep.errors[0]));
  REQUIRE(rep.rules_failed == 0);
  CHECK(run(*e, "192.0.2.1", "203.0.113.9") == V{1, 2});
  CHECK(run(*e, "192.0.2.2", "203.0.113.9") == V{2});
  CHECK(run(*e, "192.0.2.1", "10.0.0.1", "GET /") == V{1, 3, 4});
  CHECK(run(*e, "198.51.100.4", "10.0.0.1") == V{1, 4});  // mapped form in the file is IPv4
  CHECK(run(*e, "2001:db8::7", "2001:db8::8") == V{1, 4});
  CHECK(run(*e, "2001:db8::8", "2001:db8::7") == V{4});  // an ipv4 set never holds an IPv6 address
}

TEST_CASE("dataset ip: ip.src rules stay packet rules - file errors name the line") {
  auto r = parse("alert ip any any -> any any (ip.src; content:\"|c0 00 02 01|\"; sid:1;)");
  REQUIRE(r);
  CHECK_FALSE(r->tx_rule);
  CHECK_FALSE(r->has_payload);
  std::ofstream(dataset_dir() / "broken.lst") << "10.0.0.1\nnot-an-ip\n";
  std::ofstream(dataset_dir() / "v6.lst") << "2001:db8::1\n";  // not an IPv4 address
  LoadReport rep;
  auto e = engine_of("broken.rules",
                     "alert ip any any -> any any (ip.src; dataset:isset,b,type ip,load broken.lst; sid:1;)\n"
                     "alert ip any any -> any any (ip.src; dataset:isset,c,type ipv4,load v6.lst; sid:2;)\n",
                     &rep);
  REQUIRE(e);
  REQUIRE(rep.errors.size() == 2);
  CHECK(rep.errors[0].ends_with("sid 1: dataset: " + (dataset_dir() / "broken.lst").string() +
                                ":2: invalid dataset value"));
  CHECK(rep.errors[1].ends_with("sid 2: dataset: " + (dataset_dir() / "v6.lst").string() +
                                ":1: invalid dataset value"));
}

TEST_CASE("dataset state/save: values added at run time are written back and read on the next start") {
  std::filesystem::remove(dataset_dir() / "seen-ips.lst");
  std::filesystem::remove(dataset_dir() / "ua.lst");
  const std::string rules =
      "alert udp any any -> any any (msg:\"new src\"; ip.src; dataset:set,seen,type ip,state seen-ips.lst; "
      "sid:1;)\n"
      "alert udp any any -> any any (msg:\"new text\"; dataset:set,txt,type string,save ua.lst; sid:2;)\n"
      "alert udp any any -> any any (msg:\"untouched\"; ip.dst; dataset:set,never,type ipv4,state never.lst; "
      "dsize:>100; sid:3;)\n";
  {
    auto e = engine_of("state.rules", rules);
    REQUIRE(e);
    CHECK(run(*e, "10.0.0.1", "10.9.9.9", "hello") == V{1, 2});
    CHECK(run(*e, "10.0.0.1", "10.9.9.9", "hello").empty());
    CHECK(run(*e, "2001:db8::1", "2001:db8::2", "hi") == V{1, 2});
    CHECK(!std::filesystem::exists(dataset_dir() / "seen-ips.lst"));  // written at teardown, not before
  }
  CHECK(lines_of(dataset_dir() / "seen-ips.lst") == std::set<std::string>{"10.0.0.1", "2001:db8::1"});
  CHECK(lines_of(dataset_dir() / "ua.lst") == std::set<std::string>{"aGVsbG8=", "aGk="});
  CHECK(!std::filesystem::exists(dataset_dir() / "never.lst"));  // nothing added: not written
  CHECK(!std::filesystem::exists(dataset_dir() / "seen-ips.lst.tmp"));
  {
    auto e = engine_of("state.rules", rules);
    REQUIRE(e);
    // state is read back; save files are not (as in Suricata).
    CHECK(run(*e, "10.0.0.1", "10.9.9.9", "hello") == V{2});
    CHECK(run(*e, "10.0.0.2", "10.9.9.9", "hello") == V{1});
  }
  CHECK(lines_of(dataset_dir() / "seen-ips.lst") ==
        std::set<std::string>{"10.0.0.1", "10.0.0.2", "2001:db8::1"});
  CHECK(lines_of(dataset_dir() / "ua.lst") == std::set<std::string>{"aGVsbG8="});
}

TEST_CASE(
    "dataset state: Engine::save_state writes while the engine lives (the agent exits without freeing it)") {
  std::filesystem::remove(dataset_dir() / "exit-state.lst");
  auto e =
      engine_of("exit-state.rules",
                "alert udp any any -> any any (msg:\"new src\"; ip.src; dataset:set,exitseen,type ip,state "
                "exit-state.lst; sid:1;)\n");
  REQUIRE(e);
  CHECK(run(*e, "10.0.0.7", "10.9.9.9") == V{1});
  e->save_state();
  CHECK(lines_of(dataset_dir() / "exit-state.lst") == std::set<std::string>{"10.0.0.7"});
  std::filesystem::remove(dataset_dir() / "exit-state.lst");
  e->save_state();  // nothing added since: not written again
  CHECK(!std::filesystem::exists(dataset_dir() / "exit-state.lst"));
}
