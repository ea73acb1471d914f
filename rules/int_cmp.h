// IntCmp: the one comparison type of every numeric rule keyword (dsize, ttl,
// bsize, urilen, stream_size, flowint, iprep, byte_test, tls.cert_chain_len,
// the certificate dates, ...). Operator spellings are read from one table
// (each keyword names the spellings it accepts) and evaluated by one
// function, cmp_apply, for signed and unsigned values alike.
//
// Parsing is load-time only; eval and cmp_apply run on workers (pure).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

namespace vigil::rules {

struct IntCmp {
  enum Op : uint8_t { kEq, kNe, kLt, kGt, kLe, kGe, kRange, kNotRange, kInSet, kAnd, kXor };
  Op op = kEq;
  // kRange: a < v < b (exclusive, as Suricata's "a<>b" and "a-b"); kNotRange
  // ("!a-b"): v <= a or v >= b; kInSet: bit v of a;
  // kAnd / kXor (byte_test's & and ^): v & a, v ^ a non-zero.
  int64_t a = 0, b = 0;
  bool eval(int64_t v) const;
};

// v OP a (b: the upper bound of kRange).
template <class T>
constexpr bool cmp_apply(IntCmp::Op op, T v, T a, T b = T{}) {
  switch (op) {
    case IntCmp::kEq:
      return v == a;
    case IntCmp::kNe:
      return v != a;
    case IntCmp::kLt:
      return v < a;
    case IntCmp::kGt:
      return v > a;
    case IntCmp::kLe:
      return v <= a;
    case IntCmp::kGe:
      return v >= a;
    case IntCmp::kRange:
      return v > a && v < b;
    case IntCmp::kNotRange:
      return v <= a || v >= b;
    case IntCmp::kInSet:
      if constexpr (std::is_signed_v<T>) {
        if (v < 0) return false;
      }
      return v < 64 && ((uint64_t(a) >> v) & 1u);
    case IntCmp::kAnd:
      return (v & a) != 0;
    case IntCmp::kXor:
      return (v ^ a) != 0;
  }
  return false;
}

inline bool IntCmp::eval(int64_t v) const {
  return cmp_apply<int64_t>(op, v, a, b);
}

// Operator spellings, as bits: the set a keyword accepts.
enum CmpSpelling : uint16_t {
  kCmpLt = 1 << 0,    // <
  kCmpGt = 1 << 1,    // >
  kCmpLe = 1 << 2,    // <=
  kCmpGe = 1 << 3,    // >=
  kCmpEq = 1 << 4,    // =
  kCmpEqEq = 1 << 5,  // ==
  kCmpNe = 1 << 6,    // !=
  kCmpNot = 1 << 7,   // ! (not equal)
  kCmpAnd = 1 << 8,   // &
  kCmpXor = 1 << 9,   // ^
  kCmpOrder = kCmpLt | kCmpGt | kCmpLe | kCmpGe,
};

// text is exactly one of the allowed spellings: sets op.
bool parse_cmp_op(std::string_view text, uint16_t allowed, IntCmp::Op& op);

// The longest allowed spelling at the start of s: sets op and returns its
// length; 0 (op untouched) when s starts with none.
size_t cmp_op_prefix(std::string_view s, uint16_t allowed, IntCmp::Op& op);

// "5", "<5", ">=5", "!5", "!=5", "==5", "1<>5" (exclusive), "1-5" (exclusive),
// "!1-5" / "!1<>5" (the negated range: <= 1 or >= 5), as Suricata's integer
// keywords document them.
bool parse_cmp(std::string_view s, IntCmp& out);

}  // namespace vigil::rules
