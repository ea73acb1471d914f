#include "rules/int_cmp.h"

#include <catch2/catch.hpp>
#include <cstdint>

using namespace vigil::rules;

TEST_CASE("comparison spellings come from one table, each keyword naming its own") {
  IntCmp::Op op = IntCmp::kNe;
  // stream_size: = and ==
  CHECK(parse_cmp_op("==", kCmpOrder | kCmpEq | kCmpEqEq | kCmpNe, op));
  CHECK(op == IntCmp::kEq);
  // iprep: = only
  CHECK_FALSE(parse_cmp_op("==", kCmpOrder | kCmpEq, op));
  CHECK(parse_cmp_op(">=", kCmpOrder | kCmpEq, op));
  CHECK(op == IntCmp::kGe);
  // flowint: == but not = (that is the assignment)
  CHECK_FALSE(parse_cmp_op("=", kCmpOrder | kCmpEqEq | kCmpNe, op));
  // byte_test: bit tests
  CHECK(parse_cmp_op("&", kCmpOrder | kCmpEq | kCmpAnd | kCmpXor, op));
  CHECK(op == IntCmp::kAnd);
  CHECK_FALSE(parse_cmp_op("&", kCmpOrder, op));
  CHECK_FALSE(parse_cmp_op("<<", kCmpOrder, op));
  CHECK_FALSE(parse_cmp_op("", kCmpOrder | kCmpEq, op));
}

TEST_CASE("a leading operator is the longest allowed spelling") {
  IntCmp::Op op = IntCmp::kEq;
  CHECK(cmp_op_prefix("<=5", kCmpOrder, op) == 2);
  CHECK(op == IntCmp::kLe);
  CHECK(cmp_op_prefix("<=5", kCmpLt | kCmpGt | kCmpEq, op) == 1);
  CHECK(op == IntCmp::kLt);
  CHECK(cmp_op_prefix("==5", kCmpEq | kCmpEqEq, op) == 2);
  op = IntCmp::kGt;
  CHECK(cmp_op_prefix("5", kCmpOrder | kCmpEq, op) == 0);
  CHECK(op == IntCmp::kGt);  // untouched
}

TEST_CASE("parse_cmp: plain, prefixed and range forms") {
  IntCmp c;
  REQUIRE(parse_cmp("5", c));
  CHECK((c.op == IntCmp::kEq && c.a == 5));
  REQUIRE(parse_cmp("<5", c));
  CHECK((c.op == IntCmp::kLt && c.a == 5));
  REQUIRE(parse_cmp(">=7", c));
  CHECK((c.op == IntCmp::kGe && c.a == 7));
  REQUIRE(parse_cmp("!5", c));
  CHECK((c.op == IntCmp::kNe && c.a == 5));
  REQUIRE(parse_cmp("!=5", c));
  CHECK((c.op == IntCmp::kNe && c.a == 5));
  REQUIRE(parse_cmp("==5", c));
  CHECK((c.op == IntCmp::kEq && c.a == 5));
  REQUIRE(parse_cmp("1<>5", c));
  CHECK((c.op == IntCmp::kRange && c.a == 1 && c.b == 5));
  REQUIRE(parse_cmp("2-9", c));
  CHECK((c.op == IntCmp::kRange && c.a == 2 && c.b == 9));
  CHECK_FALSE(parse_cmp("5<>1", c));
  // Negated ranges (Suricata's integer keywords): "!1-4" matches <= 1 and >= 4.
  REQUIRE(parse_cmp("!1-4", c));
  CHECK((c.op == IntCmp::kNotRange && c.a == 1 && c.b == 4));
  CHECK((c.eval(1) && !c.eval(2) && !c.eval(3) && c.eval(4) && c.eval(0)));
  REQUIRE(parse_cmp("!1<>4", c));
  CHECK(c.op == IntCmp::kNotRange);
  REQUIRE(parse_cmp("0x10-0x20", c));
  CHECK((c.op == IntCmp::kRange && c.a == 16 && c.b == 32));
  CHECK_FALSE(parse_cmp("!4-1", c));
  CHECK_FALSE(parse_cmp("<", c));
  CHECK_FALSE(parse_cmp("", c));
}

TEST_CASE("one evaluator for signed and unsigned values") {
  IntCmp r{IntCmp::kRange, 1, 5};
  CHECK_FALSE(r.eval(1));
  CHECK(r.eval(2));
  CHECK_FALSE(r.eval(5));
  IntCmp set{IntCmp::kInSet, (1 << 3) | (1 << 5), 0};
  CHECK(set.eval(3));
  CHECK_FALSE(set.eval(4));
  CHECK_FALSE(set.eval(-1));
  CHECK_FALSE(set.eval(64));
  // byte_test reads up to 8 bytes: values past INT64_MAX compare as unsigned.
  CHECK(cmp_apply<uint64_t>(IntCmp::kGt, UINT64_MAX, 1));
  CHECK(cmp_apply<uint64_t>(IntCmp::kAnd, 0x8000000000000000ull, 0x8000000000000000ull));
  CHECK_FALSE(cmp_apply<uint64_t>(IntCmp::kXor, 7, 7));
  CHECK(cmp_apply<uint64_t>(IntCmp::kLe, 7, 7));
}
