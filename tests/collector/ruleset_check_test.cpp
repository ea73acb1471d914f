// Uploaded rule sets are validated with the files their rules name confined
// to DATA_DIR/rulefiles: a rule that names a file outside it is refused with
// its line, the upload gets 422, and nothing is read or written outside.
#include "collector/ruleset_check.h"

#include <filesystem>
#include <fstream>

#include "collector_fixture.h"

using namespace vigil::collector;
namespace fs = std::filesystem;

TEST_CASE("an upload naming a dataset file outside the rule-file directory is refused with its line") {
  char tmpl[] = "/tmp/vigil-rs-check-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string data_dir = tmpl;
  Fixture f("rscheck", ruleset_validator(data_dir));
  // A valid dataset file one level above rulefiles: loadable if '..' were allowed.
  std::ofstream(data_dir + "/secret.lst") << "c2VjcmV0\n";
  fs::path target = fs::path(data_dir) / "written-by-rule.lst";
  std::string text =
      "alert udp any any -> any any (msg:\"ok\"; content:\"x\"; sid:1;)\n"
      "alert udp any any -> any any (msg:\"w\"; dataset:set,w,type string,save " +
      target.string() +
      "; sid:2;)\n"
      "alert udp any any -> any any (msg:\"r\"; dataset:isset,r,type string,load ../secret.lst; sid:3;)\n"
      "alert udp any any -> any any (msg:\"z\"; dataset:isset,z,type string,load /dev/zero; sid:4;)\n";
  auto r = f.client(f.admin_key).Put("/api/v1/ruleset", text, "text/plain");
  REQUIRE(r);
  CHECK(r->status == 422);
  json j = json::parse(r->body);
  REQUIRE(j["errors"].size() == 3);
  CHECK(j["errors"][0].get<std::string>().rfind(
            "rules:2: sid 2: dataset: file '" + target.string() + "': absolute paths are refused", 0) == 0);
  CHECK(j["errors"][1].get<std::string>().rfind(
            "rules:3: sid 3: dataset: file '../secret.lst': '..' is refused", 0) == 0);
  CHECK(j["errors"][2].get<std::string>().rfind("rules:4: sid 4: dataset: file '/dev/zero': absolute", 0) ==
        0);
  CHECK_FALSE(f.store->current_ruleset());
  CHECK_FALSE(fs::exists(target));
  CHECK(fs::is_directory(data_dir + "/rulefiles"));

  // With allow_errors the good rule is published and the refused ones reported.
  auto allowed = f.client(f.admin_key).Put("/api/v1/ruleset?allow_errors=1", text, "text/plain");
  REQUIRE(allowed);
  CHECK(allowed->status == 200);
  CHECK(json::parse(allowed->body)["rules_loaded"] == 1);
  CHECK_FALSE(fs::exists(target));
  fs::remove_all(data_dir);
}

TEST_CASE("validation reads dataset files from the rule-file directory and hides where it lives") {
  char tmpl[] = "/tmp/vigil-rs-check-XXXXXX";
  REQUIRE(mkdtemp(tmpl));
  std::string dir = std::string(tmpl) + "/rulefiles";
  fs::create_directories(dir);
  std::ofstream(dir + "/good.lst") << "Z29vZA==\n";
  std::ofstream(dir + "/broken.lst") << "not base64 !\n";
  RulesetCheck c = check_ruleset(
      "alert udp any any -> any any (dataset:isset,g,type string,load good.lst; sid:1;)\n"
      "alert udp any any -> any any (dataset:isset,b,type string,load broken.lst; sid:2;)\n",
      dir);
  CHECK(c.usable);
  CHECK(c.rules_loaded == 1);
  REQUIRE(c.errors.size() == 1);
  CHECK(c.errors[0] == "rules:2: sid 2: dataset: rulefiles/broken.lst:1: invalid dataset value");
  fs::remove_all(tmpl);
}
