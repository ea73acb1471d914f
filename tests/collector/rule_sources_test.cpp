#include "collector/sources/rule_sources.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <cstring>

using namespace vigil::collector;

namespace {

// A minimal ustar archive: one header + padded data per file, two zero blocks.
std::string tar_of(const std::vector<RuleFile>& files) {
  std::string t;
  for (const auto& f : files) {
    char h[512] = {0};
    std::strncpy(h, f.name.c_str(), 99);
    std::snprintf(h + 124, 12, "%011o", static_cast<unsigned>(f.text.size()));
    h[156] = '0';
    std::memcpy(h + 257, "ustar", 5);
    t.append(h, 512);
    t += f.text;
    t.append((512 - f.text.size() % 512) % 512, '\0');
  }
  t.append(1024, '\0');
  return t;
}

std::string gzip(const std::string& s) {
  z_stream z{};
  deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY);
  std::string out(compressBound(s.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

}  // namespace

TEST_CASE("tar.gz archives are unpacked; corrupt ones are refused") {
  std::vector<RuleFile> in = {{"rules/emerging-scan.rules", "alert ip any any -> any any (sid:1;)\n"},
                              {"rules/big.rules", std::string(1500, 'x')}};
  std::vector<RuleFile> out;
  std::string err;
  REQUIRE(untar_gz(gzip(tar_of(in)), &out, &err));
  REQUIRE(out.size() == 2);
  CHECK(out[0].name == "rules/emerging-scan.rules");
  CHECK(out[0].text == in[0].text);
  CHECK(out[1].text == in[1].text);
  out.clear();
  CHECK_FALSE(untar_gz("not gzip at all", &out, &err));
  std::string truncated = tar_of(in).substr(0, 700);
  CHECK_FALSE(untar_gz(gzip(truncated), &out, &err));
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
