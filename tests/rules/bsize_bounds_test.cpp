// bsize conditions that can never hold are rejected at load (rules/kw_content.cpp
// check_bsize), as Suricata does; satisfiable combinations load and still match.
#include <catch2/catch.hpp>

#include "tests/rules/rule_test_util.h"

using namespace vigil::rules;

namespace {

std::string load_error(const std::string& opts) {
  std::string err;
  auto r = test::parse("alert dns any any -> any any (dns.query; " + opts + " sid:1;)", &err);
  return r ? std::string() : err;
}

}  // namespace

TEST_CASE("bsize: bounds that exclude each other, or the only content, fail the rule", "[bsize]") {
  CHECK(load_error("content:\"abc\"; bsize:15; bsize:27;").find("allow no buffer length") !=
        std::string::npos);
  CHECK(load_error("content:\"abc\"; bsize:>20; bsize:<10;") != "");
  CHECK(load_error("content:\"abc\"; bsize:<10; bsize:>20;") != "");
  CHECK(load_error("content:\"abcdefghij\"; bsize:<8; bsize:<20;").find("longer than bsize") !=
        std::string::npos);
  CHECK(load_error("content:\"abcdefghij\"; bsize:<20; bsize:<8;") != "");
  // Satisfiable: one length left, exact inside a range, two upper bounds.
  CHECK(load_error("content:\"abc\"; bsize:>9; bsize:<11;") == "");
  CHECK(load_error("content:\"abc\"; bsize:>=10; bsize:<=10;") == "");
  CHECK(load_error("content:\"abc\"; bsize:5<>20; bsize:10;") == "");
  CHECK(load_error("content:\"ab\"; bsize:<8; bsize:<20;") == "");
  // Two contents: the bound is not checked against their lengths.
  CHECK(load_error("content:\"a\"; content:\"bbbbbbbbbb\"; bsize:5;") == "");
  // A negated content never needs room.
  CHECK(load_error("content:!\"abcdefghij\"; bsize:3;") == "");
}

TEST_CASE("bsize: a satisfiable pair still checks the length", "[bsize]") {
  auto r = test::parse("alert tcp any any -> any any (pkt_data; content:\"ab\"; bsize:>2; bsize:<6; sid:1;)");
  REQUIRE(r);
  const BufferList* l = r->list_for(kSlotPayload);
  REQUIRE(l);
  auto run = [&](const std::string& d) {
    BufCtx c;
    c.data = reinterpret_cast<const uint8_t*>(d.data());
    c.len = d.size();
    return match_list(*l, c);
  };
  CHECK(run("abcd"));
  CHECK_FALSE(run("ab"));
  CHECK_FALSE(run("abcdef"));
}
