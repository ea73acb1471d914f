// byte_test, byte_jump, byte_extract, byte_math: read an integer from the
// buffer (binary big/little endian or ASCII in a base), then compare, jump,
// store or compute.
#include <algorithm>
#include <cstring>

#include "common/encoding.h"
#include "rules/keywords.h"

namespace vigil::rules {

namespace {

struct Extract {
  int nbytes = 0;
  IntArg offset;
  bool relative = false;
  bool little = false;
  bool string = false;
  int base = 10;
  uint64_t bitmask = 0;

  // Reads the value at offset (+cursor when relative); sets pos to where the
  // bytes start and used to how many were consumed: nbytes for binary, the
  // digits for a string (Suricata converts with strtoull over nbytes bytes,
  // so "12;x" read as 4 bytes is 12 and the cursor moves 2). False when out
  // of bounds or not a number.
  bool read(const BufCtx& c, size_t cursor, uint64_t& val, int64_t& pos, int64_t& used) const {
    pos = (relative ? int64_t(cursor) : 0) + offset.get(c.vars);
    int nbytes = this->nbytes;
    used = nbytes;
    if (nbytes == 0 && !string) {
      val = 0;
      return pos >= 0 && pos <= int64_t(c.len);
    }
    if (nbytes == 0 && pos >= 0) nbytes = int(std::min<int64_t>(20, int64_t(c.len) - pos));
    if (pos < 0 || nbytes <= 0 || pos + nbytes > int64_t(c.len)) return false;
    const uint8_t* p = c.data + pos;
    val = 0;
    if (string) {
      int digits = 0;
      for (int i = 0; i < nbytes; ++i) {
        int d = hexval(char(p[i]));
        if (d < 0 || d >= base) break;
        val = val * base + d;
        ++digits;
      }
      if (digits == 0) return false;
      used = digits;
    } else if (little) {
      for (int i = nbytes - 1; i >= 0; --i) val = (val << 8) | p[i];
    } else {
      for (int i = 0; i < nbytes; ++i) val = (val << 8) | p[i];
    }
    if (bitmask) {
      val &= bitmask;
      uint64_t m = bitmask;
      while (m && !(m & 1)) {
        m >>= 1;
        val >>= 1;
      }
    }
    return true;
  }

  // Consumes one common option; returns false when `o` is not one.
  bool option(std::string_view o, std::string& err) {
    if (o == "relative") {
      relative = true;
    } else if (o == "big") {
      little = false;
    } else if (o == "little" || o == "dce") {
      little = true;
    } else if (o == "string") {
      string = true;
    } else if (o == "hex" || o == "dec" || o == "oct") {
      base = o == "hex" ? 16 : o == "dec" ? 10 : 8;
      string = true;
    } else if (o.starts_with("bitmask")) {
      int64_t m;
      if (!parse_i64(trim(o.substr(7)), m) || m <= 0) {
        err = "invalid bitmask";
        return true;
      }
      bitmask = uint64_t(m);
    } else if (o.starts_with("endian")) {
      auto e = trim(o.substr(6));
      if (e != "big" && e != "little") err = "invalid endian";
      little = e == "little";
    } else if (o.starts_with("string")) {
      auto b = trim(o.substr(6));
      string = true;
      if (b == "hex")
        base = 16;
      else if (b == "oct")
        base = 8;
      else if (b == "dec")
        base = 10;
      else
        err = "invalid string base";
    } else {
      return false;
    }
    return true;
  }

  std::string validate() const {
    int maxn = string ? 20 : 8;
    // 0 with string: the number is the rest of the buffer (ET uses it on http.content_len).
    if (nbytes == 0 && string) return "";
    if (nbytes < 1 || nbytes > maxn) return "number of bytes must be 1.." + std::to_string(maxn);
    return "";
  }
};

std::string parse_nbytes(ParseState& st, std::string_view s, Extract& e) {
  int64_t n;
  (void)st;
  if (!parse_i64(s, n)) return "invalid number of bytes '" + std::string(s) + "'";
  e.nbytes = int(n);
  return "";
}

void place(ParseState& st, std::unique_ptr<BufOp> op) {
  int slot = op->relative && st.last_op ? st.last_op_slot : st.cur_slot;
  st.add_op(slot, std::move(op));
}

// ---- byte_test ----
struct ByteTestOp : BufOp {
  ByteTestOp() : BufOp(OpKind::kByteTest) {}
  Extract ex;
  IntCmp::Op op = IntCmp::kEq;  // < > = <= >= & ^
  bool negated = false;
  IntArg value;
  bool apply(BufCtx& c, size_t& cursor) const override {
    uint64_t v;
    int64_t pos, used;
    if (!ex.read(c, cursor, v, pos, used)) return false;
    uint64_t x = uint64_t(value.get(c.vars));
    return cmp_apply<uint64_t>(op, v, x) != negated;
  }
};

std::string kw_byte_test(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.size() < 4) return "byte_test needs bytes, operator, value, offset";
  auto op = std::make_unique<ByteTestOp>();
  auto e = parse_nbytes(st, parts[0], op->ex);
  if (!e.empty()) return e;
  auto o = parts[1];
  if (!o.empty() && o[0] == '!') {
    op->negated = true;
    o = trim(o.substr(1));
  }
  if (o.empty() && op->negated)
    op->op = IntCmp::kEq;
  else if (!parse_cmp_op(o, kCmpOrder | kCmpEq | kCmpAnd | kCmpXor, op->op))
    return "invalid byte_test operator '" + std::string(parts[1]) + "'";
  if (!st.int_arg(parts[2], op->value)) return "invalid byte_test value '" + std::string(parts[2]) + "'";
  if (!st.int_arg(parts[3], op->ex.offset)) return "invalid byte_test offset '" + std::string(parts[3]) + "'";
  for (size_t i = 4; i < parts.size(); ++i) {
    std::string err;
    if (!op->ex.option(parts[i], err)) return "invalid byte_test option '" + std::string(parts[i]) + "'";
    if (!err.empty()) return err;
  }
  if (auto err = op->ex.validate(); !err.empty()) return "byte_test: " + err;
  op->relative = op->ex.relative;
  place(st, std::move(op));
  return "";
}

// ---- byte_jump ----
struct ByteJumpOp : BufOp {
  ByteJumpOp() : BufOp(OpKind::kByteJump) {}
  Extract ex;
  int64_t multiplier = 1;
  bool align = false, from_beginning = false, from_end = false;
  IntArg post_offset;
  bool apply(BufCtx& c, size_t& cursor) const override {
    uint64_t v;
    int64_t pos, used;
    if (!ex.read(c, cursor, v, pos, used)) return false;
    int64_t val = int64_t(v) * multiplier;
    if (align && (val % 4)) val += 4 - (val % 4);
    int64_t base = from_beginning ? 0 : from_end ? int64_t(c.len) : pos + used;
    int64_t jump = base + val + post_offset.get(c.vars);
    // Suricata 7/8: before the start clamps to the start; exactly the end is
    // a valid landing (e.g. for a following "isdataat:!1,relative").
    if (jump < 0) jump = 0;
    if (jump > int64_t(c.len)) return false;
    cursor = size_t(jump);
    return true;
  }
};

std::string kw_byte_jump(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.size() < 2) return "byte_jump needs bytes and offset";
  auto op = std::make_unique<ByteJumpOp>();
  auto e = parse_nbytes(st, parts[0], op->ex);
  if (!e.empty()) return e;
  if (!st.int_arg(parts[1], op->ex.offset)) return "invalid byte_jump offset '" + std::string(parts[1]) + "'";
  for (size_t i = 2; i < parts.size(); ++i) {
    auto p = parts[i];
    std::string err;
    if (op->ex.option(p, err)) {
      if (!err.empty()) return err;
    } else if (p == "align") {
      op->align = true;
    } else if (p == "from_beginning") {
      op->from_beginning = true;
    } else if (p == "from_end") {
      op->from_end = true;
    } else if (p.starts_with("multiplier")) {
      if (!parse_i64(trim(p.substr(10)), op->multiplier) || op->multiplier < 1)
        return "invalid byte_jump multiplier";
    } else if (p.starts_with("post_offset")) {
      if (!st.int_arg(trim(p.substr(11)), op->post_offset)) return "invalid byte_jump post_offset";
    } else {
      return "invalid byte_jump option '" + std::string(p) + "'";
    }
  }
  // 0 bytes: a pure jump by post_offset (Suricata accepts it).
  if (op->ex.nbytes != 0)
    if (auto err = op->ex.validate(); !err.empty()) return "byte_jump: " + err;
  if (op->from_beginning && op->from_end) return "byte_jump: from_beginning and from_end together";
  op->relative = op->ex.relative;
  place(st, std::move(op));
  return "";
}

// ---- byte_extract ----
struct ByteExtractOp : BufOp {
  ByteExtractOp() : BufOp(OpKind::kByteExtract) {}
  Extract ex;
  int64_t multiplier = 1;
  int align = 0;
  int var = 0;
  bool apply(BufCtx& c, size_t& cursor) const override {
    uint64_t v;
    int64_t pos, used;
    if (!ex.read(c, cursor, v, pos, used)) return false;
    int64_t val = int64_t(v) * multiplier;
    if (align && (val % align)) val += align - (val % align);
    c.vars.v[var] = val;
    cursor = size_t(pos + used);
    return true;
  }
};

std::string new_var(ParseState& st, std::string_view name, int& idx) {
  if (name.empty()) return "missing variable name";
  if (st.var_index(name) >= 0) {
    idx = st.var_index(name);
    return "";
  }
  if (st.var_names.size() >= size_t(kMaxVars)) return "too many byte_extract/byte_math variables";
  st.var_names.emplace_back(name);
  idx = int(st.var_names.size() - 1);
  return "";
}

std::string kw_byte_extract(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.size() < 3) return "byte_extract needs bytes, offset, name";
  auto op = std::make_unique<ByteExtractOp>();
  auto e = parse_nbytes(st, parts[0], op->ex);
  if (!e.empty()) return e;
  if (!st.int_arg(parts[1], op->ex.offset))
    return "invalid byte_extract offset '" + std::string(parts[1]) + "'";
  for (size_t i = 3; i < parts.size(); ++i) {
    auto p = parts[i];
    std::string err;
    if (op->ex.option(p, err)) {
      if (!err.empty()) return err;
    } else if (p.starts_with("multiplier")) {
      if (!parse_i64(trim(p.substr(10)), op->multiplier) || op->multiplier < 1)
        return "invalid byte_extract multiplier";
    } else if (p.starts_with("align")) {
      int64_t a;
      if (!parse_i64(trim(p.substr(5)), a) || (a != 2 && a != 4)) return "byte_extract align must be 2 or 4";
      op->align = int(a);
    } else {
      return "invalid byte_extract option '" + std::string(p) + "'";
    }
  }
  if (op->ex.nbytes == 0) return "byte_extract: number of bytes must be at least 1";
  if (auto err = op->ex.validate(); !err.empty()) return "byte_extract: " + err;
  if (auto err = new_var(st, parts[2], op->var); !err.empty()) return err;
  op->relative = op->ex.relative;
  place(st, std::move(op));
  return "";
}

// ---- byte_math ----
struct ByteMathOp : BufOp {
  ByteMathOp() : BufOp(OpKind::kByteMath) {}
  Extract ex;
  char oper = '+';  // + - * / < (<<) > (>>)
  IntArg rvalue;
  int var = 0;
  bool apply(BufCtx& c, size_t& cursor) const override {
    uint64_t v;
    int64_t pos, used;
    if (!ex.read(c, cursor, v, pos, used)) return false;
    int64_t r = rvalue.get(c.vars), val = int64_t(v);
    switch (oper) {
      case '+':
        val += r;
        break;
      case '-':
        val -= r;
        break;
      case '*':
        val *= r;
        break;
      case '/':
        if (r == 0) return false;
        val /= r;
        break;
      case '<':
        val = r >= 64 ? 0 : int64_t(uint64_t(val) << r);
        break;
      case '>':
        val = r >= 64 ? 0 : int64_t(uint64_t(val) >> r);
        break;
    }
    c.vars.v[var] = val;
    return true;
  }
};

std::string kw_byte_math(ParseState& st, std::string_view v) {
  auto op = std::make_unique<ByteMathOp>();
  std::string_view result;
  bool have_bytes = false, have_offset = false, have_oper = false, have_rvalue = false;
  for (auto p : split(v, ',')) {
    auto sp = p.find(' ');
    auto key = trim(p.substr(0, sp));
    auto val = sp == std::string_view::npos ? std::string_view{} : trim(p.substr(sp + 1));
    std::string err;
    if (key == "bytes") {
      have_bytes = true;
      if (auto e = parse_nbytes(st, val, op->ex); !e.empty()) return e;
    } else if (key == "offset") {
      have_offset = st.int_arg(val, op->ex.offset);
      if (!have_offset) return "invalid byte_math offset";
    } else if (key == "oper") {
      have_oper = true;
      if (val == "+" || val == "-" || val == "*" || val == "/")
        op->oper = val[0];
      else if (val == "<<")
        op->oper = '<';
      else if (val == ">>")
        op->oper = '>';
      else
        return "invalid byte_math operator '" + std::string(val) + "'";
    } else if (key == "rvalue") {
      have_rvalue = st.int_arg(val, op->rvalue);
      if (!have_rvalue) return "invalid byte_math rvalue";
    } else if (key == "result") {
      result = val;
    } else if (!op->ex.option(p, err)) {
      return "invalid byte_math option '" + std::string(p) + "'";
    }
    if (!err.empty()) return err;
  }
  if (!have_bytes || !have_offset || !have_oper || !have_rvalue || result.empty())
    return "byte_math needs bytes, offset, oper, rvalue and result";
  if (op->ex.nbytes == 0) return "byte_math: number of bytes must be at least 1";
  if (auto err = op->ex.validate(); !err.empty()) return "byte_math: " + err;
  if (auto err = new_var(st, result, op->var); !err.empty()) return err;
  op->relative = op->ex.relative;
  place(st, std::move(op));
  return "";
}

}  // namespace

void add_byte_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"byte_test", kw_byte_test});
  t.push_back({"byte_jump", kw_byte_jump});
  t.push_back({"byte_extract", kw_byte_extract});
  t.push_back({"byte_math", kw_byte_math});
}

}  // namespace vigil::rules
