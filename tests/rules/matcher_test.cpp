#include <catch2/catch.hpp>

#include "rule_test_util.h"

using namespace vigil::rules;
using vigil::BufferId;
using namespace vigil::rules::test;

TEST_CASE("content: offset, depth, nocase, startswith, endswith") {
  CHECK(payload_matches("content:\"abc\";", "xxabcxx"));
  CHECK_FALSE(payload_matches("content:\"ABC\";", "xxabcxx"));
  CHECK(payload_matches("content:\"ABC\"; nocase;", "xxabcxx"));
  CHECK(payload_matches("content:\"abc\"; offset:2; depth:3;", "xxabcxx"));
  CHECK_FALSE(payload_matches("content:\"abc\"; offset:3;", "xxabcxx"));
  CHECK_FALSE(payload_matches("content:\"abc\"; depth:4;", "xxabcxx"));
  CHECK(payload_matches("content:\"xx\"; startswith;", "xxabc"));
  CHECK_FALSE(payload_matches("content:\"ab\"; startswith;", "xxabc"));
  CHECK(payload_matches("content:\"bc\"; endswith;", "xxabc"));
  CHECK_FALSE(payload_matches("content:\"ab\"; endswith;", "xxabc"));
}

TEST_CASE("relative matches backtrack over earlier occurrences") {
  // The first "A=" is followed by the wrong value; the second one works.
  CHECK(payload_matches("content:\"A=\"; content:\"42\"; distance:0; within:2;", "A=99 A=42"));
  CHECK_FALSE(payload_matches("content:\"A=\"; content:\"42\"; distance:0; within:2;", "A=99 A=43 42"));
  CHECK(payload_matches("content:\"a\"; content:\"b\"; distance:2; within:1;", "ab a..b"));
  CHECK_FALSE(payload_matches("content:\"a\"; content:\"b\"; distance:2; within:1;", "ab a.b"));
  // Negative distance looks back before the previous match.
  CHECK(payload_matches("content:\"cd\"; content:\"bc\"; distance:-3; within:2;", "abcd"));
}

TEST_CASE("negated content does not move the cursor") {
  CHECK(payload_matches("content:\"evil\"; content:!\"good\";", "evil things"));
  CHECK_FALSE(payload_matches("content:\"evil\"; content:!\"good\";", "evil good"));
  CHECK(payload_matches(
      "content:\"a\"; content:!\"x\"; distance:0; within:1; content:\"b\"; distance:0; within:1;", "ab"));
  CHECK_FALSE(payload_matches("content:\"a\"; content:!\"b\"; distance:0; within:1;", "ab"));
}

TEST_CASE("isdataat absolute, relative and negated") {
  CHECK(payload_matches("content:\"ab\"; isdataat:2,relative;", "abxyz"));
  // Relative: N more bytes after the cursor (cursor + N <= length), as Suricata.
  CHECK(payload_matches("content:\"ab\"; isdataat:3,relative;", "abxyz"));
  CHECK_FALSE(payload_matches("content:\"ab\"; isdataat:4,relative;", "abxyz"));
  CHECK(payload_matches("content:\"yz\"; isdataat:!1,relative;", "abxyz"));
  CHECK_FALSE(payload_matches("content:\"xy\"; isdataat:!1,relative;", "abxyz"));
  CHECK(payload_matches("content:\"xy\"; isdataat:1,relative;", "abxyz"));
  // Absolute: a byte at offset N.
  CHECK_FALSE(payload_matches("content:\"a\"; isdataat:5;", "abxyz"));
  CHECK(payload_matches("content:\"a\"; isdataat:!5;", "abxyz"));
  CHECK(payload_matches("content:\"a\"; isdataat:4;", "abxyz"));
}

TEST_CASE("pcre: flags and relative") {
  CHECK(payload_matches("pcre:\"/^GET \\/[a-z]+/\";", "GET /index"));
  CHECK(payload_matches("pcre:\"/get/i\";", "GET /"));
  CHECK_FALSE(payload_matches("pcre:\"/get/\";", "GET /"));
  CHECK(payload_matches("content:\"id=\"; pcre:\"/^\\d+/R\";", "x id=42"));
  CHECK_FALSE(payload_matches("content:\"id=\"; pcre:\"/^\\d+/R\";", "x id=ab 42"));
  CHECK(payload_matches("content:\"x\"; pcre:!\"/evil/\";", "x good"));
}

TEST_CASE("byte_test endianness, string bases, bitmask") {
  std::string be("\x01\x02", 2);
  CHECK(payload_matches("content:\"|01|\"; byte_test:2,=,258,0;", be));
  CHECK(payload_matches("content:\"|01|\"; byte_test:2,=,513,0,little;", be));
  CHECK(payload_matches("content:\"|01|\"; byte_test:2,>,257,0;", be));
  CHECK_FALSE(payload_matches("content:\"|01|\"; byte_test:2,!=,258,0;", be));
  CHECK(payload_matches("content:\"n=\"; byte_test:3,=,123,0,relative,string,dec;", "n=123"));
  CHECK(payload_matches("content:\"n=\"; byte_test:2,=,255,0,relative,string,hex;", "n=ff"));
  CHECK(payload_matches("content:\"n=\"; byte_test:2,=,8,0,relative,string,oct;", "n=10"));
  CHECK(payload_matches("content:\"|01|\"; byte_test:1,=,1,1,bitmask 0x06;", std::string("\x01\x02", 2)));
  CHECK(payload_matches("content:\"|01|\"; byte_test:1,&,2,1;", std::string("\x01\x02", 2)));
}

TEST_CASE("byte_jump and byte_extract move the cursor - variables feed distance") {
  // length 3 then skip 3 bytes, then "OK".
  CHECK(payload_matches("content:\"L\"; byte_jump:1,0,relative; content:\"OK\"; within:2;",
                        std::string("L\x03xyzOK", 7)));
  CHECK_FALSE(payload_matches("content:\"L\"; byte_jump:1,0,relative; content:\"OK\"; within:2;",
                              std::string("L\x02xyzOK", 7)));
  CHECK(payload_matches("content:\"L\"; byte_jump:2,0,relative,little; content:\"Z\"; within:1;",
                        std::string("L\x01\x00QZ", 5)));
  CHECK(payload_matches("byte_jump:0,0,from_end,post_offset -2; content:\"OK\"; within:2;", "xxOK"));
  // Landing exactly at the end is valid (Suricata 7/8); one past is not; before the start clamps to 0.
  CHECK(payload_matches("content:\"L\"; byte_jump:1,0,relative; isdataat:!1,relative;",
                        std::string("L\x03xyz", 5)));
  CHECK_FALSE(payload_matches("content:\"L\"; byte_jump:1,0,relative;", std::string("L\x04xyz", 5)));
  CHECK(payload_matches("byte_jump:1,0,post_offset -10; content:\"Q\"; within:2;", std::string("\0Q", 2)));
  CHECK(payload_matches(
      "content:\"L\"; byte_extract:1,0,len,relative; content:\"END\"; distance:len; within:3;",
      std::string("L\x02..END", 7)));
  CHECK_FALSE(payload_matches(
      "content:\"L\"; byte_extract:1,0,len,relative; content:\"END\"; distance:len; within:3;",
      std::string("L\x01..END", 7)));
  CHECK(
      payload_matches("content:\"L\"; byte_math:bytes 1, offset 0, oper +, rvalue 2, result v, relative; "
                      "content:\"E\"; distance:v; within:1;",
                      std::string("L\x01..E", 5)));
}

// The list below matches "a...ab" only at the last "a": each earlier "a" is
// one backtracking step. Within the budget it matches; past it, the budget
// must stop the search (and say so), although a match exists.
TEST_CASE("backtracking stays within its budget on hostile input") {
  auto r = parse("alert tcp any any -> any any (content:\"a\"; content:\"b\"; distance:0; within:1; sid:1;)");
  REQUIRE(r);
  const BufferList* l = r->list_for(kSlotPayload);
  REQUIRE(l);
  auto run = [&](size_t as, bool& exhausted) {
    std::string data = std::string(as, 'a') + "b";
    BufCtx c;
    c.data = reinterpret_cast<const uint8_t*>(data.data());
    c.len = data.size();
    bool m = match_list(*l, c);
    exhausted = c.budget_exhausted;
    return m;
  };
  bool exhausted = true;
  CHECK(run(kBacktrackBudget / 4, exhausted));
  CHECK_FALSE(exhausted);
  CHECK_FALSE(run(kBacktrackBudget * 4, exhausted));
  CHECK(exhausted);
  // The same hostile shape through the whole parser path.
  std::string data(20000, 'a');
  CHECK_FALSE(payload_matches("content:\"a\"; content:\"a\"; distance:0; content:\"b\"; distance:0;", data));
}

TEST_CASE("ssh.protoversion / ssh.softwareversion value forms (Suricata 7's deprecated keywords)") {
  auto on = [](const std::string& opt, BufferId id, const std::string& data) {
    auto r = parse("alert ssh any any -> any any (" + opt + " sid:1;)");
    REQUIRE(r);
    CHECK(r->tx_rule);
    const BufferList* l = r->list_for(int(id));
    REQUIRE(l);
    BufCtx c;
    c.data = reinterpret_cast<const uint8_t*>(data.data());
    c.len = data.size();
    return match_list(*l, c, nullptr);
  };
  CHECK(on("ssh.protoversion:2.0;", BufferId::kSshProto, "2.0"));
  CHECK_FALSE(on("ssh.protoversion:2.0;", BufferId::kSshProto, "1.99"));
  CHECK_FALSE(on("ssh.protoversion:2;", BufferId::kSshProto, "2.0"));
  CHECK(on("ssh.protoversion:2_compat;", BufferId::kSshProto, "2.0"));
  CHECK(on("ssh.protoversion:2_compat;", BufferId::kSshProto, "1.99"));
  CHECK_FALSE(on("ssh.protoversion:2_compat;", BufferId::kSshProto, "1.5"));
  CHECK(on("ssh.softwareversion:OpenSSH;", BufferId::kSshSoftware, "OpenSSH_8.9p1"));
  CHECK_FALSE(on("ssh.softwareversion:OpenSSH;", BufferId::kSshSoftware, "libssh_OpenSSH"));
  // Without a value they stay sticky buffers.
  CHECK(on("ssh.softwareversion; content:\"SSH_8\";", BufferId::kSshSoftware, "OpenSSH_8.9p1"));
}
