// Inert rules: valid rules that need an application protocol no parser here
// feeds are reported with the reason and left out of loaded (rules/inert.h).
#include "rules/inert.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rules/engine.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

std::string write_inert_rules(const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("vigil-inert-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "inert.rules").string();
  std::ofstream(path) << text;
  return path;
}

constexpr uint32_t kHttpDnsSsh = app_bit(AppProto::kHttp) | app_bit(AppProto::kDns) | app_bit(AppProto::kSsh);

const char* kInertRules =
    "alert smb any any -> any any (msg:\"smb header\"; sid:1;)\n"
    "alert tcp any any -> any any (msg:\"alp ftp\"; app-layer-protocol:ftp; sid:2;)\n"
    "alert tcp any any -> any any (msg:\"not ftp\"; app-layer-protocol:!ftp; sid:3;)\n"
    "alert http any any -> any any (msg:\"uri\"; http.uri; content:\"/a\"; sid:4;)\n"
    "alert tcp any any -> any any (msg:\"tls sni\"; tls.sni; content:\"x.example\"; sid:5;)\n"
    "alert tcp any any -> any any (msg:\"file data\"; file.data; content:\"MZ\"; sid:6;)\n"
    "alert tcp any any -> any any (msg:\"ftp or http\"; app-layer-protocol:ftp|http; sid:7;)\n"
    "alert tcp any any -> any 445 (msg:\"service smb\"; content:\"|ff|SMB\"; service:smb; sid:8;)\n"
    "alert tcp any any -> any any (msg:\"plain\"; content:\"abc\"; sid:9;)\n";

}  // namespace

TEST_CASE("rules needing an unparsed protocol are inert, with the reason, not loaded", "[inert]") {
  LoadOptions o;
  o.files = {write_inert_rules(kInertRules)};
  o.parsed_app_protos = kHttpDnsSsh;
  LoadReport r;
  auto e = build_engine(o, r);
  REQUIRE(e);
  CHECK(r.rules_failed == 0);
  CHECK(r.rules_inert == 4);  // sids 1, 2, 5, 8
  CHECK(r.rules_loaded == 5);
  CHECK(e->rule_count() == 5);
  REQUIRE(r.files.size() == 1);
  CHECK(r.files[0].rules_inert == 4);
  CHECK(r.files[0].rules_loaded == 5);
  REQUIRE(r.inert.size() == 4);
  CHECK(r.inert[0] == o.files[0] + ":1: sid 1: no parser for smb (rule protocol)");
  CHECK(r.inert[1] == o.files[0] + ":2: sid 2: no parser for ftp (app-layer-protocol)");
  CHECK(r.inert[2] == o.files[0] + ":5: sid 5: no parser for tls (buffer tls.sni)");
  CHECK(r.inert[3] == o.files[0] + ":8: sid 8: no parser for smb (rule protocol)");
  CHECK(r.inert_by_reason["no parser for smb (rule protocol)"] == 2);
  auto j = report_stats_json(r);
  CHECK(j["engines"][0]["rules_inert"] == 4);
}

TEST_CASE("a caller that does not say what it parses gets no inert rules", "[inert]") {
  LoadOptions o;
  o.files = {write_inert_rules(kInertRules)};
  LoadReport r;
  auto e = build_engine(o, r);
  REQUIRE(e);
  CHECK(r.rules_inert == 0);
  CHECK(r.rules_loaded == 9);
}

TEST_CASE("buffer_app_protos names each buffer's protocol", "[inert]") {
  CHECK(buffer_app_protos(int(BufferId::kHttpUri)) == (app_bit(AppProto::kHttp) | app_bit(AppProto::kHttp2)));
  CHECK(buffer_app_protos(int(BufferId::kJa3Hash)) == app_bit(AppProto::kTls));
  CHECK(buffer_app_protos(int(BufferId::kDnsQuery)) == app_bit(AppProto::kDns));
  CHECK(buffer_app_protos(int(BufferId::kSshProto)) == app_bit(AppProto::kSsh));
  CHECK((buffer_app_protos(int(BufferId::kFileData)) & app_bit(AppProto::kHttp)) != 0);
  CHECK(buffer_app_protos(int(BufferId::kIpSrc)) == 0);
  CHECK(buffer_app_protos(-1) == 0);
}
