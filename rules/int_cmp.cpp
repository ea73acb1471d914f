#include "rules/int_cmp.h"

#include "rules/keywords.h"

namespace vigil::rules {

namespace {

struct Spelling {
  std::string_view text;
  IntCmp::Op op;
  uint16_t bit;
};

constexpr Spelling kSpellings[] = {
    {"<", IntCmp::kLt, kCmpLt},   {">", IntCmp::kGt, kCmpGt},  {"<=", IntCmp::kLe, kCmpLe},
    {">=", IntCmp::kGe, kCmpGe},  {"=", IntCmp::kEq, kCmpEq},  {"==", IntCmp::kEq, kCmpEqEq},
    {"!=", IntCmp::kNe, kCmpNe},  {"!", IntCmp::kNe, kCmpNot}, {"&", IntCmp::kAnd, kCmpAnd},
    {"^", IntCmp::kXor, kCmpXor},
};

}  // namespace

bool parse_cmp_op(std::string_view text, uint16_t allowed, IntCmp::Op& op) {
  for (auto& s : kSpellings) {
    if ((allowed & s.bit) && s.text == text) {
      op = s.op;
      return true;
    }
  }
  return false;
}

size_t cmp_op_prefix(std::string_view s, uint16_t allowed, IntCmp::Op& op) {
  const Spelling* best = nullptr;
  for (auto& sp : kSpellings) {
    if ((allowed & sp.bit) && s.starts_with(sp.text) && (!best || sp.text.size() > best->text.size()))
      best = &sp;
  }
  if (!best) return 0;
  op = best->op;
  return best->text.size();
}

bool parse_cmp(std::string_view s, IntCmp& out) {
  s = trim(s);
  if (s.empty()) return false;
  // A range, negated by a leading '!' (not "!=").
  std::string_view r = s;
  bool negated = r.size() > 1 && r[0] == '!' && r[1] != '=';
  if (negated) r = trim(r.substr(1));
  auto range = r.find("<>");
  size_t sep = 2;
  if (range == std::string_view::npos && !r.empty() && r[0] != '<' && r[0] != '>' && r[0] != '=') {
    range = r.find('-', 1);
    sep = 1;
  }
  if (range != std::string_view::npos) {
    out.op = negated ? IntCmp::kNotRange : IntCmp::kRange;
    return parse_i64(r.substr(0, range), out.a) && parse_i64(r.substr(range + sep), out.b) && out.a < out.b;
  }
  out.op = IntCmp::kEq;
  s.remove_prefix(cmp_op_prefix(s, kCmpOrder | kCmpEq | kCmpEqEq | kCmpNe | kCmpNot, out.op));
  return parse_i64(s, out.a);
}

}  // namespace vigil::rules
