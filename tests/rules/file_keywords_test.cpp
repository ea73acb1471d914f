// The file keywords (rules/kw_file.cpp): parse forms and errors, and their
// matches on the file buffers (file.name, file.magic, the hash buffers) and
// filesize.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rule_test_util.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

const std::filesystem::path& kw_dir() {
  static const auto d = [] {
    auto p = std::filesystem::temp_directory_path() / ("vigil-file-kw-tests-" + std::to_string(getpid()));
    std::filesystem::remove_all(p);
    std::filesystem::create_directories(p);
    return p;
  }();
  return d;
}

std::unique_ptr<Rule> parse_in_dir(const std::string& opts, std::string* err = nullptr) {
  ParseContext c = test::test_ctx();
  c.rule_dir = kw_dir().string();
  ParseFailure f;
  auto r = parse_rule("alert http any any -> any any (" + opts + " sid:1;)", Dialect::kSuricata, c, f);
  if (err) *err = f.reason;
  return r;
}

bool list_matches(const Rule& r, BufferId slot, const std::string& data) {
  const BufferList* l = r.list_for(int(slot));
  if (!l) return false;
  BufCtx c;
  c.data = reinterpret_cast<const uint8_t*>(data.data());
  c.len = data.size();
  return match_list(*l, c);
}

}  // namespace

TEST_CASE("filename, fileext, filemagic: legacy values, sticky forms, negation") {
  auto r = parse_in_dir("filename:\"setup\"; fileext:\"exe\";");
  REQUIRE(r);
  CHECK(r->tx_rule);
  CHECK(list_matches(*r, BufferId::kFileName, "/dl/SETUP.EXE"));
  CHECK_FALSE(list_matches(*r, BufferId::kFileName, "/dl/setup.exe.txt"));
  CHECK_FALSE(list_matches(*r, BufferId::kFileName, "/dl/install.exe"));

  auto n = parse_in_dir("filename:!\"evil\";");
  REQUIRE(n);
  CHECK(list_matches(*n, BufferId::kFileName, "/good.bin"));
  CHECK_FALSE(list_matches(*n, BufferId::kFileName, "/evil.bin"));

  auto s = parse_in_dir("file.name; content:\"report\"; endswith; filemagic:\"pdf document\";");
  REQUIRE(s);
  CHECK(list_matches(*s, BufferId::kFileName, "/q3-report"));
  CHECK(list_matches(*s, BufferId::kFileMagic, "PDF document, version 1.4"));
  auto m = parse_in_dir("file.magic; content:\"ELF\";");
  REQUIRE(m);
  CHECK(list_matches(*m, BufferId::kFileMagic, "ELF 64-bit LSB executable"));

  std::string err;
  CHECK_FALSE(parse_in_dir("fileext:\".exe\";", &err));
  CHECK(err.find("without its dot") != std::string::npos);
  CHECK_FALSE(parse_in_dir("fileext:\"\";", &err));
}

TEST_CASE("filesize: equal, less, greater, range, units") {
  auto eval = [](const std::string& v, int64_t size) {
    auto r = parse_in_dir("filesize:" + v + ";");
    REQUIRE(r);
    REQUIRE(r->tx_ints.size() == 1);
    CHECK(r->tx_ints[0].field == TxInt::kFileSize);
    return r->tx_ints[0].cmp.eval(size);
  };
  CHECK(eval("100", 100));
  CHECK_FALSE(eval("100", 101));
  CHECK(eval("<100", 99));
  CHECK_FALSE(eval("<100", 100));
  CHECK(eval(">1kb", 1025));
  CHECK_FALSE(eval(">1KB", 1024));
  CHECK(eval("10<>20", 15));
  CHECK_FALSE(eval("10<>20", 20));
  CHECK(eval("2MB", 2 * 1024 * 1024));
  std::string err;
  CHECK_FALSE(parse_in_dir("filesize:big;", &err));
  CHECK(err.find("invalid filesize") != std::string::npos);
  CHECK_FALSE(parse_in_dir("filesize:20<>10;", &err));
}

TEST_CASE("filemd5 / filesha1 / filesha256: hash lists next to the rule file, ! negates") {
  std::ofstream(kw_dir() / "md5.lst") << "# bad files\n"
                                      << "900150983CD24FB0D6963F7D28E17F72  abc\n"
                                      << "\n"
                                      << "d41d8cd98f00b204e9800998ecf8427e\n";
  std::ofstream(kw_dir() / "sha1.lst") << "a9993e364706816aba3e25717850c26c9cd0d89d\n";
  std::ofstream(kw_dir() / "sha256.lst")
      << "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad\n";
  std::ofstream(kw_dir() / "short.lst") << "900150983cd24fb0\n";
  std::ofstream(kw_dir() / "empty.lst") << "# nothing\n";

  auto r = parse_in_dir("filemd5:md5.lst;");
  REQUIRE(r);
  CHECK(r->tx_rule);
  CHECK(list_matches(*r, BufferId::kFileMd5, "900150983cd24fb0d6963f7d28e17f72"));
  CHECK(list_matches(*r, BufferId::kFileMd5, "d41d8cd98f00b204e9800998ecf8427e"));
  CHECK_FALSE(list_matches(*r, BufferId::kFileMd5, "00000000000000000000000000000000"));
  auto n = parse_in_dir("filemd5:!md5.lst;");
  REQUIRE(n);
  CHECK_FALSE(list_matches(*n, BufferId::kFileMd5, "900150983cd24fb0d6963f7d28e17f72"));
  CHECK(list_matches(*n, BufferId::kFileMd5, "00000000000000000000000000000000"));
  auto s1 = parse_in_dir("filesha1:sha1.lst;");
  REQUIRE(s1);
  CHECK(list_matches(*s1, BufferId::kFileSha1, "a9993e364706816aba3e25717850c26c9cd0d89d"));
  auto s256 = parse_in_dir("filesha256:\"sha256.lst\";");
  REQUIRE(s256);
  CHECK(list_matches(*s256, BufferId::kFileSha256,
                     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));

  std::string err;
  CHECK_FALSE(parse_in_dir("filemd5:missing.lst;", &err));
  CHECK_FALSE(err.empty());
  CHECK_FALSE(parse_in_dir("filemd5:short.lst;", &err));
  CHECK(err.find("short.lst:1: not a 32-digit hex hash") != std::string::npos);
  CHECK_FALSE(parse_in_dir("filesha256:md5.lst;", &err));  // md5s are no sha256s
  CHECK_FALSE(parse_in_dir("filemd5:empty.lst;", &err));
  CHECK(err.find("holds no hash") != std::string::npos);
}

TEST_CASE("filestore marks the rule - its options are checked") {
  auto r = parse_in_dir("filename:\"a\"; filestore;");
  REQUIRE(r);
  CHECK(r->filestore);
  CHECK(parse_in_dir("filename:\"a\"; filestore:to_client,file;"));
  std::string err;
  CHECK_FALSE(parse_in_dir("filename:\"a\"; filestore:sideways;", &err));
  CHECK(err.find("invalid filestore option") != std::string::npos);
  auto plain = parse_in_dir("filename:\"a\";");
  REQUIRE(plain);
  CHECK_FALSE(plain->filestore);
}
