// Files named by rules under a confinement directory (rules/rule_files.h): a
// rule set from the collector may name only regular files under confine_dir;
// each refusal is a bad rule reported with its line, the rest loads. Without
// confinement, Suricata's behaviour (absolute paths, the rule file's dir).
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rule_test_util.h"
#include "rules/engine.h"

using namespace vigil;
using namespace vigil::rules;
namespace fs = std::filesystem;

namespace {

// DIR/rules.rules (the rule file), DIR/confine (the confinement), DIR/outside.
struct Dirs {
  fs::path root, confine, outside;
  Dirs() {
    root = fs::temp_directory_path() / ("vigil-rule-files-tests-" + std::to_string(getpid()));
    fs::remove_all(root);
    confine = root / "confine";
    outside = root / "outside";
    fs::create_directories(confine);
    fs::create_directories(outside);
  }
  ~Dirs() { fs::remove_all(root); }
};

std::shared_ptr<const Engine> build(const Dirs& d, const std::string& text, const std::string& confine,
                                    LoadReport& rep) {
  auto path = (d.root / "rules.rules").string();
  std::ofstream(path) << text;
  LoadOptions o;
  o.files = {path};
  o.rule_file_scope.confine_dir = confine;
  return build_engine(o, rep);
}

std::string rule(int sid, const std::string& dataset) {
  return "alert udp any any -> any any (msg:\"m\"; dataset:" + dataset + "; sid:" + std::to_string(sid) +
         ";)\n";
}

using Collect = test::CollectSids;

std::vector<uint32_t> run(const Engine& e, const std::string& data) {
  Packet p;
  p.src = *IpAddr::parse("10.0.0.1");
  p.dst = *IpAddr::parse("10.0.0.2");
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

}  // namespace

TEST_CASE("confined rule files: absolute, '..', symlinks out, devices, FIFOs and directories are refused") {
  Dirs d;
  std::ofstream(d.outside / "secret.lst") << "c2VjcmV0\n";  // a valid string dataset ("secret")
  fs::create_symlink(d.outside / "secret.lst", d.confine / "link.lst");
  fs::create_directory_symlink(d.outside, d.confine / "linkdir");
  fs::create_symlink("/dev/zero", d.confine / "zero.lst");
  REQUIRE(mkfifo((d.confine / "fifo.lst").c_str(), 0600) == 0);
  fs::create_directories(d.confine / "adir");
  std::string text = rule(1, "isset,a,type string,save /etc/vigil-x") +                            // line 1
                     rule(2, "isset,b,type string,load /dev/zero") +                               // line 2
                     rule(3, "isset,c,type string,load ../outside/secret.lst") +                   // line 3
                     rule(4, "isset,e,type string,state sub/../../outside/x.lst") +                // line 4
                     rule(5, "isset,f,type string,load link.lst") +                                // line 5
                     rule(6, "set,g,type string,save linkdir/new.lst") +                           // line 6
                     rule(7, "isset,h,type string,load zero.lst") +                                // line 7
                     rule(8, "isset,i,type string,load fifo.lst") +                                // line 8
                     rule(9, "isset,j,type string,load adir") +                                    // line 9
                     rule(10, "isset,k,type string,load " + (d.outside / "secret.lst").string());  // line 10
  LoadReport rep;
  auto e = build(d, text, d.confine.string(), rep);
  REQUIRE(e);
  CHECK(rep.rules_loaded == 0);
  CHECK(rep.rules_failed == 10);
  REQUIRE(rep.errors.size() == 10);
  std::string file = (d.root / "rules.rules").string();
  auto err_at = [&](int line, const std::string& reason) {
    std::string want =
        file + ":" + std::to_string(line) + ": sid " + std::to_string(line) + ": dataset: file ";
    INFO(rep.errors[line - 1]);
    CHECK(rep.errors[line - 1].rfind(want, 0) == 0);
    CHECK(rep.errors[line - 1].find(reason) != std::string::npos);
  };
  err_at(1, "'/etc/vigil-x': absolute paths are refused");
  err_at(2, "'/dev/zero': absolute paths are refused");
  err_at(3, "'..' is refused");
  err_at(4, "'..' is refused");
  err_at(5, "'link.lst': resolves outside the rule-file directory");
  err_at(6, "'linkdir/new.lst': resolves outside the rule-file directory");
  err_at(7, "'zero.lst': resolves outside the rule-file directory");
  err_at(8, "'fifo.lst': not a regular file");
  err_at(9, "'adir': not a regular file");
  err_at(10, "absolute paths are refused");
  // The messages never name the confinement directory (they reach API clients).
  for (const auto& m : rep.errors) CHECK(m.find(d.confine.string()) == std::string::npos);
  e.reset();
  CHECK_FALSE(fs::exists(d.outside / "new.lst"));
  CHECK_FALSE(fs::exists(d.outside / "x.lst"));
}

TEST_CASE("confined rule files: plain relative names load, and state is written back under the directory") {
  Dirs d;
  std::ofstream(d.confine / "good.lst") << "Z29vZA==\n";  // "good"
  fs::create_directories(d.confine / "sub");
  fs::create_symlink("good.lst", d.confine / "alias.lst");  // a symlink that stays inside is fine
  std::string text = rule(1, "isset,good,type string,load good.lst") +
                     rule(2, "set,seen,type string,state sub/seen.lst") +
                     rule(3, "isset,alias,type string,load alias.lst");
  LoadReport rep;
  auto e = build(d, text, d.confine.string(), rep);
  REQUIRE(e);
  INFO((rep.errors.empty() ? "" : rep.errors[0]));
  CHECK(rep.rules_loaded == 3);
  CHECK(rep.errors.empty());
  CHECK(run(*e, "good") == std::vector<uint32_t>{1, 2, 3});
  e.reset();  // teardown writes the set some rule added to
  std::ifstream in(d.confine / "sub" / "seen.lst");
  std::string line;
  REQUIRE(std::getline(in, line));
  CHECK(line == "Z29vZA==");
}

TEST_CASE("unconfined (local -S files): Suricata's behaviour, absolute and rule-relative names work") {
  Dirs d;
  std::ofstream(d.outside / "abs.lst") << "Z29vZA==\n";
  std::ofstream(d.root / "rel.lst") << "Z29vZA==\n";
  std::string text = rule(1, "isset,a,type string,load " + (d.outside / "abs.lst").string()) +
                     rule(2, "isset,b,type string,load rel.lst");
  LoadReport rep;
  auto e = build(d, text, "", rep);
  REQUIRE(e);
  CHECK(rep.rules_loaded == 2);
  CHECK(rep.errors.empty());
  CHECK(run(*e, "good") == std::vector<uint32_t>{1, 2});
}

TEST_CASE("resolve_rule_file: the confined form of a name") {
  Dirs d;
  RuleFileScope s{d.confine.string()};
  std::string p;
  CHECK(resolve_rule_file("a/b.lst", "/ignored", s, false, &p) == "");
  CHECK(p == (fs::canonical(d.confine) / "a" / "b.lst").string());
  CHECK(resolve_rule_file("missing.lst", "", s, true, &p).find("no such file") != std::string::npos);
  CHECK(resolve_rule_file("", "", s, false, &p) == "file name is empty");
  CHECK(resolve_rule_file("./x/./y", "", s, false, &p) == "");
  CHECK(resolve_rule_file("x/..", "", s, false, &p).find("'..' is refused") != std::string::npos);
  RuleFileScope local;
  CHECK(resolve_rule_file("/etc/passwd", "/r", local, false, &p) == "");
  CHECK(p == "/etc/passwd");
  CHECK(resolve_rule_file("x.lst", "/r", local, false, &p) == "");
  CHECK(p == "/r/x.lst");
}
