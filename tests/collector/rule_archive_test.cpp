// Rule feeds read through libarchive: the formats a feed comes in, the corner
// cases (long names, links) and the limits that refuse an archive bomb.
#include "collector/sources/rule_archive.h"

#include <catch2/catch.hpp>

#include "feed_archives.h"

using namespace vigil::collector;
using namespace vigil::collector::test;

namespace {

const std::string kRule = "alert ip any any -> any any (msg:\"x\"; sid:1;)\n";

std::vector<RuleFile> read_ok(const std::string& data, const std::string& name) {
  std::vector<RuleFile> out;
  std::string err;
  INFO(name);
  bool ok = read_rule_feed(data, name, &out, &err);
  INFO(err);
  REQUIRE(ok);
  return out;
}

std::string read_error(const std::string& data, const std::string& name, const ArchiveLimits& lim = {}) {
  std::vector<RuleFile> out;
  std::string err;
  CHECK_FALSE(read_rule_feed(data, name, &out, &err, lim));
  CHECK(out.empty());
  return err;
}

}  // namespace

TEST_CASE("rule feeds: zip, pax tar, tar.gz and bare .rules / .rules.gz") {
  std::vector<TarMember> files = {{"rules/a.rules", kRule}, {"rules/b.rules", kRule + kRule}};
  for (int fmt : {ARCHIVE_FORMAT_ZIP, ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, ARCHIVE_FORMAT_TAR_GNUTAR}) {
    auto out = read_ok(libarchive_of(fmt, files), "feed");
    REQUIRE(out.size() == 2);
    CHECK(out[0].name == "rules/a.rules");
    CHECK(out[1].text == kRule + kRule);
  }
  CHECK(read_ok(gzip(tar_of(files)), "emerging.rules.tar.gz").size() == 2);

  auto bare = read_ok(kRule, "extra.rules");
  REQUIRE(bare.size() == 1);
  CHECK(bare[0].name == "extra.rules");
  CHECK(bare[0].text == kRule);
  auto bare_gz = read_ok(gzip(kRule), "extra.rules.gz");
  REQUIRE(bare_gz.size() == 1);
  CHECK(bare_gz[0].name == "extra.rules");
  CHECK(bare_gz[0].text == kRule);

  // Neither an archive nor named as rules.
  CHECK(read_error("alert ip any any -> any any (sid:1;)\n", "feed.bin").find("not a tar or zip archive") !=
        std::string::npos);
}

TEST_CASE(
    "rule feeds: long names (GNU and pax) are whole - symlinks, hard links and other files are skipped") {
  std::string longname = "rules/" + std::string(150, 'd') + "/emerging-long.rules";
  std::string pax_name = "rules/" + std::string(200, 'p') + "/emerging-pax.rules";
  auto gnu = read_ok(gzip(tar_of({{longname, kRule}})), "feed.tar.gz");
  REQUIRE(gnu.size() == 1);
  CHECK(gnu[0].name == longname);
  CHECK(gnu[0].text == kRule);
  auto pax = read_ok(libarchive_of(ARCHIVE_FORMAT_TAR_PAX_RESTRICTED, {{pax_name, kRule}}), "feed.tar");
  REQUIRE(pax.size() == 1);
  CHECK(pax[0].name == pax_name);

  std::vector<TarMember> tricky = {
      {"rules/real.rules", kRule},
      {"rules/evil.rules", "", '2', "/etc/shadow"},       // symlink
      {"rules/hard.rules", "", '1', "rules/real.rules"},  // hard link
      {"rules/", "", '5'},                                // directory
      {"rules/classification.config", "config text"},     // not a rules file
  };
  auto out = read_ok(gzip(tar_of(tricky)), "feed.tar.gz");
  REQUIRE(out.size() == 1);
  CHECK(out[0].name == "rules/real.rules");
  auto zip = read_ok(
      libarchive_of(ARCHIVE_FORMAT_ZIP, {{"a.rules", kRule}, {"l.rules", "", 0, "/etc/shadow"}}), "feed.zip");
  REQUIRE(zip.size() == 1);
  CHECK(zip[0].name == "a.rules");
}

TEST_CASE("rule feeds: archive bombs are refused by inflated size and member count") {
  ArchiveLimits small;
  small.max_member_bytes = 1 << 20;
  small.max_total_bytes = 4 << 20;
  small.max_members = 50;
  std::string zeros(8 << 20, '\0');
  // One rules member inflating past its cap.
  std::string err = read_error(gzip(tar_of({{"rules/bomb.rules", zeros}})), "feed.tar.gz", small);
  CHECK(err.find("rules/bomb.rules inflates to more than 1 MiB") != std::string::npos);
  // A skipped member still counts towards the total.
  err = read_error(gzip(tar_of({{"rules/bomb.bin", zeros}})), "feed.tar.gz", small);
  CHECK(err.find("inflates to more than 4 MiB") != std::string::npos);
  // A bare .rules.gz the same (text, not zeros: zero blocks read as an empty tar).
  err = read_error(gzip(std::string(8 << 20, 'a')), "x.rules.gz", small);
  CHECK(err.find("inflates to more than 1 MiB") != std::string::npos);
  // A zip member.
  err = read_error(libarchive_of(ARCHIVE_FORMAT_ZIP, {{"z.rules", zeros}}), "feed.zip", small);
  CHECK(err.find("inflates to more than 1 MiB") != std::string::npos);
  // Too many members.
  std::vector<TarMember> many;
  for (int i = 0; i < 60; ++i) many.push_back({"r" + std::to_string(i) + ".rules", kRule});
  err = read_error(gzip(tar_of(many)), "feed.tar.gz", small);
  CHECK(err.find("more than 50 members") != std::string::npos);
  // Under the limits the same shapes load.
  CHECK(read_ok(gzip(tar_of({{"rules/ok.rules", std::string(1000, 'a')}})), "feed.tar.gz").size() == 1);
}

TEST_CASE("rule feeds: a 1 MiB gzip that inflates to 1 GiB is refused with the default limits") {
  // Concatenated gzip members (valid gzip): a tar header claiming 1 GiB, then
  // 1 GiB of zeros in 64 MiB members compressed once and repeated.
  const uint64_t kGiB = 1ull << 30, kChunk = 64ull << 20;
  std::string first = gzip(tar_header("rules/bomb.rules", kGiB), 9);
  std::string chunk = gzip(std::string(kChunk, '\0'), 9);
  std::string data = first;
  for (uint64_t i = 0; i < kGiB / kChunk; ++i) data += chunk;
  CHECK(data.size() < (1u << 20));
  std::string err = read_error(data, "feed.tar.gz");
  CHECK(err.find("rules/bomb.rules inflates to more than 64 MiB") != std::string::npos);
  // The same as a skipped member: the total limit ends it.
  data = gzip(tar_header("rules/bomb.bin", kGiB), 9);
  for (uint64_t i = 0; i < kGiB / kChunk; ++i) data += chunk;
  err = read_error(data, "feed.tar.gz");
  CHECK(err.find("inflates to more than 256 MiB") != std::string::npos);
}
