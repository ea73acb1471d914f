// IP reputation: file parsing with per-line errors, longest-prefix lookup
// over IPv4 and IPv6, the iprep keyword's parse errors and its match on
// packets through a built engine.
#include "rules/iprep.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rule_test_util.h"
#include "rules/engine.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

IpAddr ip(const char* s) {
  return *IpAddr::parse(s);
}

IpRep table(const std::string& reps, std::vector<std::string>* errs = nullptr) {
  IpRep r;
  std::vector<std::string> e;
  r.parse_categories("1,BadHosts,Known bad hosts\n2,Google,Known google host\n", "cats", e);
  r.parse_reputation(reps, "rep", e);
  r.finish();
  if (errs) *errs = e;
  return r;
}

std::string write(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("vigil-iprep-tests-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto p = dir / name;
  std::ofstream(p) << text;
  return p.string();
}

using Collect = test::CollectSids;

std::vector<uint32_t> run(const Engine& e, const char* src, const char* dst) {
  static const std::string payload = "x";
  Packet p;
  p.ip_version = std::string(src).find(':') == std::string::npos ? 4 : 6;
  p.src = ip(src);
  p.dst = ip(dst);
  p.ip_proto = 17;
  p.l4 = L4::kUdp;
  p.sp = 1000;
  p.dp = 2000;
  p.payload = Bytes(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  auto w = e.new_worker();
  Collect c;
  e.inspect_packet(*w, p, c);
  e.end_packet(*w);
  return c.sids;
}

}  // namespace

TEST_CASE("iprep files: bad lines are reported as FILE:LINE and skipped") {
  IpRep r;
  std::vector<std::string> e;
  r.parse_categories("# comment\n1,BadHosts,desc\nx,Bad,desc\n60,TooBig,desc\n2,,desc\n3,OnlyTwo\n",
                     "cats.txt", e);
  REQUIRE(e.size() == 4);
  CHECK(e[0] == "cats.txt:3: category id must be 1-59");
  CHECK(e[1] == "cats.txt:4: category id must be 1-59");
  CHECK(e[2] == "cats.txt:5: empty category name");
  CHECK(e[3] == "cats.txt:6: expected id,shortname,description");
  CHECK(r.categories() == 1);
  CHECK(r.category("BadHosts") == 1);
  CHECK(r.category("Nope") == -1);
  e.clear();
  r.parse_reputation(
      "1.2.3.4,1,101\n\n1.2.3.300,1,5\n1.2.3.5,7,5\n1.2.3.6,1,128\n10.0.0.0/33,1,5\n1.2.3.7,1\n"
      "2001:db8::1,1,9\r\n",
      "rep.list", e);
  REQUIRE(e.size() == 5);
  CHECK(e[0] == "rep.list:3: invalid address '1.2.3.300'");
  CHECK(e[1] == "rep.list:4: unknown category '7'");
  CHECK(e[2] == "rep.list:5: score must be 0-127");
  CHECK(e[3] == "rep.list:6: invalid prefix length");
  CHECK(e[4] == "rep.list:7: expected ip[/cidr],category,score");
  r.finish();
  CHECK(r.entries() == 2);
  CHECK(r.score(ip("1.2.3.4"), 1) == 101);
  CHECK(r.score(ip("2001:db8::1"), 1) == 9);
}

TEST_CASE("iprep lookup: most specific prefix wins, per category, IPv4 and IPv6 apart") {
  auto r = table(
      "10.0.0.0/8,1,10\n"
      "10.1.0.0/16,1,50\n"
      "10.1.2.3,2,7\n"
      "10.1.2.3,1,90\n"
      "10.1.2.3,1,95\n"  // a later line for the same host and category wins
      "192.168.1.0/24,2,3\n"
      "2001:db8::/32,1,40\n"
      "2001:db8::5,2,60\n"
      "0.0.0.0/0,2,1\n");
  CHECK(r.score(ip("10.9.9.9"), 1) == 10);
  CHECK(r.score(ip("10.1.9.9"), 1) == 50);
  CHECK(r.score(ip("10.1.2.3"), 1) == 95);
  CHECK(r.score(ip("10.1.2.3"), 2) == 7);
  CHECK(r.score(ip("10.1.2.4"), 1) == 50);
  CHECK(r.score(ip("10.1.255.255"), 1) == 50);
  CHECK(r.score(ip("10.2.0.0"), 1) == 10);
  CHECK(r.score(ip("10.1.0.0"), 2) == 0);  // covered, no score in this category
  CHECK(r.score(ip("11.0.0.0"), 2) == 1);  // only the /0
  CHECK(r.score(ip("11.0.0.0"), 1) == 0);
  CHECK(r.score(ip("192.168.1.77"), 2) == 3);
  CHECK(r.score(ip("2001:db8::9"), 1) == 40);
  CHECK(r.score(ip("2001:db8::5"), 2) == 60);
  CHECK(r.score(ip("2001:db8::5"), 1) == 0);   // the host entry hides the /32, as Suricata's host table does
  CHECK(r.score(ip("2001:db9::1"), 1) == -1);  // IPv4 0.0.0.0/0 does not cover IPv6
  CHECK(r.score(ip("::1"), 1) == -1);
}

TEST_CASE("iprep lookup: many entries stay a binary search and agree with a scan") {
  std::string text;
  for (int i = 0; i < 20000; ++i)
    text += "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24,1," +
            std::to_string(i % 128) + "\n";
  text += "10.5.5.5,1,127\n";
  auto r = table(text);
  CHECK(r.entries() == 20001);
  for (int i = 0; i < 20000; i += 97) {
    std::string a = "10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".200";
    CHECK(r.score(ip(a.c_str()), 1) == i % 128);
  }
  CHECK(r.score(ip("10.5.5.5"), 1) == 127);
  CHECK(r.score(ip("10.5.5.6"), 1) == (5 * 256 + 5) % 128);
  CHECK(r.score(ip("11.0.0.1"), 1) == -1);
}

TEST_CASE("iprep keyword: parse errors") {
  std::string err;
  CHECK_FALSE(
      vigil::rules::test::parse("alert ip any any -> any any (iprep:src,BadHosts,>,30; sid:1;)", &err));
  CHECK(err == "iprep: no reputation categories loaded (reputation-categories-file)");
  auto r = table("1.1.1.1,1,5\n");
  ParseContext ctx = vigil::rules::test::test_ctx();
  ctx.iprep = std::make_shared<IpRep>(std::move(r));
  auto parse = [&](const std::string& opt) {
    ParseFailure f;
    auto rule = parse_rule("alert ip any any -> any any (" + opt + " sid:1;)", Dialect::kSuricata, ctx, f);
    return rule ? std::string() : f.reason;
  };
  CHECK(parse("iprep:src,BadHosts,>,30;").empty());
  CHECK(parse("iprep: both , Google , <= , 0;").empty());
  CHECK(parse("iprep:src,BadHosts,>;") == "iprep: expected <any|src|dst|both>,<category>,<operator>,<score>");
  CHECK(parse("iprep:left,BadHosts,>,3;") == "iprep: invalid side 'left' (any, src, dst or both)");
  CHECK(parse("iprep:src,Evil,>,3;") == "iprep: unknown reputation category 'Evil'");
  CHECK(parse("iprep:src,BadHosts,!=,3;") == "iprep: invalid operator '!=' (<, <=, >, >= or =)");
  CHECK(parse("iprep:src,BadHosts,>,128;") == "iprep: score must be 0-127");
}

TEST_CASE("iprep keyword: src, dst, both, any on packets, files named by LoadOptions") {
  auto cats = write("categories.txt", "1,BadHosts,Known bad hosts\n2,Google,Known google host\n");
  write("a.list", "192.0.2.1,1,100\n192.0.2.2,1,20\n198.51.100.0/24,2,60\nbogus line\n");
  write("b.list", "2001:db8::66,1,120\n");
  auto rules = write("iprep.rules",
                     "alert ip any any -> any any (msg:\"src bad\"; iprep:src,BadHosts,>,50; sid:1;)\n"
                     "alert ip any any -> any any (msg:\"dst bad\"; iprep:dst,BadHosts,>=,20; sid:2;)\n"
                     "alert ip any any -> any any (msg:\"both\"; iprep:both,BadHosts,>,10; sid:3;)\n"
                     "alert ip any any -> any any (msg:\"any google\"; iprep:any,Google,=,60; sid:4;)\n"
                     "alert ip any any -> any any (msg:\"low\"; iprep:src,BadHosts,<,30; sid:5;)\n");
  LoadOptions o;
  o.files = {rules};
  o.reputation_categories_file = cats;
  o.default_reputation_path = std::filesystem::path(cats).parent_path().string();
  o.reputation_files = {"a.list", "b.list", "missing.list"};
  LoadReport rep;
  auto e = build_engine(o, rep);
  REQUIRE(e);
  CHECK(rep.rules_loaded == 5);
  CHECK(std::count_if(rep.errors.begin(), rep.errors.end(), [](const std::string& s) {
          return s.ends_with("a.list:4: expected ip[/cidr],category,score");
        }) == 1);
  CHECK(std::count_if(rep.errors.begin(), rep.errors.end(), [](const std::string& s) {
          return s.ends_with("missing.list: cannot read reputation file");
        }) == 1);
  using V = std::vector<uint32_t>;
  CHECK(run(*e, "192.0.2.1", "10.0.0.1") == V{1});
  CHECK(run(*e, "10.0.0.1", "192.0.2.2") == V{2});
  CHECK(run(*e, "192.0.2.1", "192.0.2.2") == V{1, 2, 3});
  CHECK(run(*e, "192.0.2.2", "198.51.100.9") == V{4, 5});
  CHECK(run(*e, "10.0.0.1", "10.0.0.2").empty());  // no entry: even "<" does not match
  CHECK(run(*e, "2001:db8::66", "2001:db8::1") == V{1});
}
