// The requires option (rules/requires.h): version and feature requirements
// against the rule language Vigil implements (Suricata 9.0.0); rules whose
// requirements are not met are skipped, not failed, even when the rest of
// the rule would not parse here.
#include "rules/requires.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rules/engine.h"
#include "tests/rules/rule_test_util.h"

using namespace vigil::rules;

TEST_CASE("requires: version alternatives, features, syntax errors", "[requires]") {
  CHECK(check_requires("version >= 8.0.0").met);
  CHECK(check_requires("version >= 9").met);
  CHECK(check_requires("version >= 7 < 10").met);
  CHECK_FALSE(check_requires("version >= 7 < 8").met);
  CHECK_FALSE(check_requires("version >= 10").met);
  CHECK(check_requires("version >= 7.0.3 < 8 | >= 8.0.1").met);
  CHECK_FALSE(check_requires("version >= 7.0.3 < 8 | >= 9.0.1").met);
  CHECK(check_requires("version = 9.0").met);
  CHECK(check_requires("feature ja3, version >= 8").met);
  auto f = check_requires("feature geoip, version >= 8");
  CHECK_FALSE(f.met);
  CHECK(f.why == "feature geoip");
  CHECK_FALSE(check_requires("keyword nosuch").met);  // unknown requirement kind
  CHECK(check_requires("version 9").invalid);
  CHECK(check_requires("version >= x").invalid);
  CHECK(check_requires("").invalid);
  CHECK(check_requires("version").invalid);
}

TEST_CASE("requires: an unmet rule is skipped before its header and keywords are read", "[requires]") {
  LoadReport r;
  auto e = test::load_text(
      "alert tcp any any -> any any (content:\"a\"; requires: version >= 8; sid:1;)\n"
      "alert tcp any any -> any any (content:\"a\"; requires: version >= 7 < 8; sid:2;)\n"
      "alert vxlan any any -> any any (requires: version >= 10; sid:3;)\n"
      "alert http any any => any any (requires: version >= 10; sid:4;)\n"
      "alert tcp any any -> any any (nosuchkeyword; requires: feature nosuch; sid:5;)\n"
      "alert tcp any any -> any any (content:\"a\"; requires: version 9; sid:6;)\n",
      r);
  REQUIRE(e);
  CHECK(r.rules_loaded == 1);
  CHECK(r.rules_unmet == 4);
  CHECK(r.rules_failed == 1);  // sid 6: a requires that does not parse is an error
  REQUIRE(r.unmet.size() == 4);
  CHECK(r.unmet[0].find(":2: sid 2: requires version >= 7 < 8: not met") != std::string::npos);
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0].find("sid 6: requires: invalid version requirement") != std::string::npos);
}
