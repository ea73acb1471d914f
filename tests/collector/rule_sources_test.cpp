#include "collector/sources/rule_sources.h"

#include <catch2/catch.hpp>

#include "feed_archives.h"

using namespace vigil::collector;

using vigil::collector::test::gzip;

namespace {

std::string tar_of(const std::vector<RuleFile>& files) {
  std::vector<test::TarMember> m;
  for (const auto& f : files) m.push_back({f.name, f.text});
  return test::tar_of(m);
}

}  // namespace

TEST_CASE("tar.gz archives are unpacked - corrupt ones are refused") {
  std::vector<RuleFile> in = {{"rules/emerging-scan.rules", "alert ip any any -> any any (sid:1;)\n"},
                              {"rules/big.rules", std::string(1500, 'x')}};
  std::vector<RuleFile> out;
  std::string err;
  REQUIRE(read_rule_feed(gzip(tar_of(in)), "feed.tar.gz", &out, &err));
  REQUIRE(out.size() == 2);
  CHECK(out[0].name == "rules/emerging-scan.rules");
  CHECK(out[0].text == in[0].text);
  CHECK(out[1].text == in[1].text);
  out.clear();
  CHECK_FALSE(read_rule_feed("not gzip at all", "feed.tar.gz", &out, &err));
  std::string truncated = tar_of(in).substr(0, 700);
  CHECK_FALSE(read_rule_feed(gzip(truncated), "feed.tar.gz", &out, &err));
}

TEST_CASE("policy enables, disables and modifies rules by sid, regex and category") {
  RuleFile f{"emerging-web.rules",
             "# comment line\n"
             "alert tcp any any -> any 80 (msg:\"A\"; content:\"a\"; sid:1; rev:1;)\n"
             "# alert tcp any any -> any 80 (msg:\"B\"; content:\"b\"; sid:2; rev:1;)\n"
             "alert tcp any any -> any 80 (msg:\"C noisy\"; content:\"c\"; sid:3; rev:1;)\n"
             "alert tcp any any -> any 80 (msg:\"D\"; content:\"d\"; sid:4; rev:1;)\n"};
  RulePolicy p;
  p.enable_sids = {2};
  p.disable_regex = {"noisy"};
  p.modify = {{4, "content:\"d\"", "content:\"dd\""}};
  std::string out = apply_policy(p, f);
  CHECK(out.find("# comment line\n") != std::string::npos);
  CHECK(out.find("\nalert tcp any any -> any 80 (msg:\"A\"") != std::string::npos);
  CHECK(out.find("\nalert tcp any any -> any 80 (msg:\"B\"") != std::string::npos);        // enabled
  CHECK(out.find("# alert tcp any any -> any 80 (msg:\"C noisy\"") != std::string::npos);  // disabled
  CHECK(out.find("content:\"dd\"; sid:4") != std::string::npos);                           // modified

  RulePolicy cat;
  cat.disable_categories = {"emerging-web"};
  cat.enable_sids = {4};
  std::string off = apply_policy(cat, f);
  CHECK(off.find("# alert tcp any any -> any 80 (msg:\"A\"") != std::string::npos);
  CHECK(off.find("\nalert tcp any any -> any 80 (msg:\"D\"") != std::string::npos);
}
