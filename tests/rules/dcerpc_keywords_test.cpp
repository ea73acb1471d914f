// The DCERPC keywords (rules/kw_dcerpc.cpp): dcerpc.iface and dcerpc.opnum
// parse forms, errors with the rule's file and line, their matches on a
// transaction's interfaces and opnum, and dcerpc.stub_data as an smb buffer.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rule_test_util.h"
#include "rules/engine.h"
#include "rules/inert.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

// A transaction with one bound interface and, when opnum >= 0, a REQUEST.
class FakeDce : public Transaction {
 public:
  std::string uuid = "4b324fc8-1670-01d3-1278-5a47bf6ee188";
  uint16_t version = 3;
  int opnum = 15;
  AppProto proto() const override { return AppProto::kSmb; }
  uint64_t tx_id() const override { return 0; }
  TxProgress progress(Dir) const override { return TxProgress::kComplete; }
  size_t buffer_count(BufferId, Dir) const override { return 0; }
  std::span<const uint8_t> buffer(BufferId, Dir, size_t) const override { return {}; }
  void to_eve(nlohmann::ordered_json&) const override {}
  bool dcerpc_opnum(uint16_t* out) const override {
    if (opnum < 0) return false;
    *out = uint16_t(opnum);
    return true;
  }
  size_t dcerpc_iface_count() const override { return uuid.empty() ? 0 : 1; }
  bool dcerpc_iface(size_t i, std::string_view* u, uint16_t* v) const override {
    if (i != 0 || uuid.empty()) return false;
    *u = uuid;
    *v = version;
    return true;
  }
};

std::unique_ptr<Rule> smb_rule(const std::string& opts, std::string* err = nullptr) {
  return test::parse("alert smb any any -> any any (" + opts + " sid:1;)", err);
}

// Every dcerpc condition of the rule holds on tx.
bool matches(const std::string& opts, const Transaction& tx) {
  auto r = smb_rule(opts);
  REQUIRE(r);
  REQUIRE(!r->dcerpc.empty());
  for (auto& c : r->dcerpc)
    if (!dcerpc_match(c, tx)) return false;
  return true;
}

}  // namespace

TEST_CASE("dcerpc.iface: uuid in any case, version comparisons, any_frag", "[dcerpc]") {
  FakeDce tx;
  auto r = smb_rule("dcerpc.iface:4B324FC8-1670-01D3-1278-5A47BF6EE188;");
  REQUIRE(r);
  CHECK(r->tx_rule);
  CHECK(r->app_mask == app_bit(AppProto::kSmb));
  CHECK(matches("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188;", tx));
  CHECK(matches("dcerpc.iface:4B324FC8-1670-01D3-1278-5A47BF6EE188;", tx));
  CHECK(matches("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188,=3;", tx));
  CHECK(matches("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188, <4, any_frag;", tx));
  CHECK(matches("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188,any_frag;", tx));
  CHECK(matches("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188,!2;", tx));
  CHECK_FALSE(matches("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188,>3;", tx));
  CHECK_FALSE(matches("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188,!3;", tx));
  CHECK_FALSE(matches("dcerpc.iface:12345778-1234-abcd-ef00-0123456789ab;", tx));
  tx.uuid.clear();  // no accepted interface on the request's context
  CHECK_FALSE(matches("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188;", tx));
}

TEST_CASE("dcerpc.opnum: one value, ranges, lists - no REQUEST matches nothing", "[dcerpc]") {
  FakeDce tx;
  CHECK(matches("dcerpc.opnum:15;", tx));
  CHECK(matches("dcerpc.opnum:10-15;", tx));
  CHECK(matches("dcerpc.opnum:15-20;", tx));
  CHECK(matches("dcerpc.opnum:1,3, 12-16 ,40;", tx));
  CHECK_FALSE(matches("dcerpc.opnum:16;", tx));
  CHECK_FALSE(matches("dcerpc.opnum:1,3,16-40;", tx));
  CHECK(matches("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188; dcerpc.opnum:15;", tx));
  CHECK_FALSE(matches("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188; dcerpc.opnum:14;", tx));
  tx.opnum = -1;
  CHECK_FALSE(matches("dcerpc.opnum:0-65535;", tx));
}

TEST_CASE("dcerpc keywords: bad forms fail with the rule's file and line", "[dcerpc]") {
  auto dir = std::filesystem::temp_directory_path() / ("vigil-dcerpc-test-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "dce.rules").string();
  std::ofstream(path)
      << "alert smb any any -> any any (msg:\"ok\"; dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188; "
         "sid:1;)\n"
         "alert smb any any -> any any (msg:\"short uuid\"; dcerpc.iface:4b324fc8-1670-01d3-1278; sid:2;)\n"
         "alert smb any any -> any any (msg:\"no op\"; dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188,3; "
         "sid:3;)\n"
         "alert smb any any -> any any (msg:\"big\"; "
         "dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188,<70000; "
         "sid:4;)\n"
         "alert smb any any -> any any (msg:\"bad range\"; dcerpc.opnum:20-10; sid:5;)\n"
         "alert smb any any -> any any (msg:\"word\"; dcerpc.opnum:one; sid:6;)\n"
         "alert smb any any -> any any (msg:\"empty\"; dcerpc.opnum:; sid:7;)\n"
         "alert smb any any -> any any (msg:\"hex\"; dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee18g; "
         "sid:8;)\n"
         "alert smb any any -> any any (msg:\"stub\"; dcerpc.stub_data; content:\"|05 00|\"; sid:9;)\n";
  LoadOptions o;
  o.files = {path};
  LoadReport r;
  auto e = build_engine(o, r);
  REQUIRE(e);
  CHECK(r.rules_loaded == 2);
  CHECK(r.rules_failed == 7);
  REQUIRE(r.errors.size() == 7);
  const char* want[] = {"needs a uuid", "version needs <", "0..65535",    "n <= m",
                        "n <= m",       "n <= m",          "needs a uuid"};
  for (size_t i = 0; i < 7; ++i) {
    INFO(r.errors[i]);
    CHECK(r.errors[i].rfind(path + ":" + std::to_string(i + 2) + ": sid " + std::to_string(i + 2) + ": ",
                            0) == 0);
    CHECK(r.errors[i].find(want[i]) != std::string::npos);
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("dcerpc.stub_data is a buffer fed by the smb parser", "[dcerpc][inert]") {
  CHECK(buffer_app_protos(int(BufferId::kDcerpcStubData)) == app_bit(AppProto::kSmb));
  auto r = test::parse("alert tcp any any -> any any (dcerpc.stub_data; content:\"|05 00|\"; sid:1;)");
  REQUIRE(r);
  CHECK(r->tx_rule);
  CHECK(inert_reason(*r, app_bit(AppProto::kSmb)) == "");
  CHECK(inert_reason(*r, app_bit(AppProto::kHttp)) == "no parser for smb (buffer dcerpc.stub_data)");
  auto i = smb_rule("dcerpc.iface:4b324fc8-1670-01d3-1278-5a47bf6ee188;");
  REQUIRE(i);
  CHECK(inert_reason(*i, app_bit(AppProto::kSmb)) == "");
}
