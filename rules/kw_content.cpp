// content and its modifiers (nocase depth offset distance within startswith
// endswith fast_pattern rawbytes), the Snort 3 inline form
// (content:"x",depth 4,nocase), uricontent, isdataat, bsize/bufferlen, urilen.
#include <algorithm>
#include <cstdint>

#include "rules/keywords.h"

namespace vigil::rules {

namespace {

struct IsdataatOp : BufOp {
  IsdataatOp() : BufOp(OpKind::kIsdataat) {}
  IntArg n;
  bool negated = false;
  bool apply(BufCtx& c, size_t& cursor) const override {
    // Absolute: a byte exists at offset n. Relative: n more bytes follow the
    // cursor (Suricata: cursor + n <= length), so "isdataat:!1,relative" means
    // the previous match ends the buffer.
    int64_t n = this->n.get(c.vars);
    bool has = relative ? n >= 0 && int64_t(cursor) + n <= int64_t(c.len) : n >= 0 && n < int64_t(c.len);
    return has != negated;
  }
};

struct BsizeOp : BufOp {
  BsizeOp() : BufOp(OpKind::kBsize) {}
  IntCmp cmp;
  // Relative (Snort 3 "bufferlen:N,relative"): the bytes left after the cursor.
  bool apply(BufCtx& c, size_t& cursor) const override {
    return cmp.eval(int64_t(relative ? c.len - std::min(cursor, c.len) : c.len));
  }
};

// Splits 'content:"a,b",depth 4' into the quoted part and the inline modifiers.
bool split_quoted(std::string_view v, bool& negated, std::string_view& quoted, std::string_view& rest) {
  v = trim(v);
  negated = false;
  if (!v.empty() && v[0] == '!') {
    negated = true;
    v = trim(v.substr(1));
  }
  if (v.empty() || v[0] != '"') return false;
  for (size_t i = 1; i < v.size(); ++i) {
    if (v[i] == '\\') {
      ++i;
      continue;
    }
    if (v[i] == '"') {
      quoted = v.substr(1, i - 1);
      rest = trim(v.substr(i + 1));
      return true;
    }
  }
  return false;
}

ContentOp* need_content(ParseState& st, std::string& err, const char* kw) {
  auto* c = st.last_content();
  if (!c) err = std::string(kw) + " needs a preceding content";
  return c;
}

std::string set_pos(ParseState& st, ContentOp* c, std::string_view kw, std::string_view v) {
  IntArg a;
  if (!st.int_arg(v, a)) return "invalid " + std::string(kw) + " value '" + std::string(v) + "'";
  bool rel = kw == "distance" || kw == "within";
  if (rel && (c->has_offset || c->has_depth))
    return "can't mix " + std::string(kw) + " with offset/depth on one content";
  if (!rel && (c->has_distance || c->has_within))
    return "can't mix " + std::string(kw) + " with distance/within on one content";
  if (kw == "offset") {
    if (a.var < 0 && a.value < 0) return "negative offset";
    c->has_offset = true;
    c->offset = a;
  } else if (kw == "depth") {
    if (a.var < 0 && (a.value <= 0 || a.value < int64_t(c->pattern.size())))
      return "depth smaller than content length";
    c->has_depth = true;
    c->depth = a;
  } else if (kw == "distance") {
    c->has_distance = true;
    c->distance = a;
    c->relative = true;
  } else {
    if (a.var < 0 && a.value < int64_t(c->pattern.size())) return "within smaller than content length";
    c->has_within = true;
    c->within = a;
    c->relative = true;
  }
  return "";
}

std::string fast_pattern_value(ContentOp* c, std::string_view v) {
  c->fast_pattern = true;
  v = trim(v);
  if (v.empty()) return "";
  if (v == "only") {
    c->fast_pattern_only = true;
    return "";
  }
  auto parts = split(v, ',');
  int64_t o, l;
  if (parts.size() != 2 || !parse_i64(parts[0], o) || !parse_i64(parts[1], l) || o < 0 || l <= 0 ||
      o + l > int64_t(c->pattern.size())) {
    return "invalid fast_pattern chop '" + std::string(v) + "'";
  }
  c->fp_chop_offset = int(o);
  c->fp_chop_len = int(l);
  return "";
}

std::string add_content(ParseState& st, std::string_view v, int slot) {
  bool negated;
  std::string_view quoted, rest;
  if (!split_quoted(v, negated, quoted, rest)) return "content must be a quoted string";
  auto op = std::make_unique<ContentOp>();
  std::string err;
  if (!decode_content(quoted, op->pattern, err)) return err;
  op->negated = negated;
  auto* c = static_cast<ContentOp*>(st.add_op(slot, std::move(op)));
  if (rest.empty()) return "";
  if (rest[0] != ',') return "unexpected text after content string";
  // Snort 3 inline modifiers.
  for (auto m : split(rest.substr(1), ',')) {
    auto sp = m.find(' ');
    auto name = trim(m.substr(0, sp));
    auto arg = sp == std::string_view::npos ? std::string_view{} : trim(m.substr(sp + 1));
    std::string e;
    if (name == "nocase") {
      c->nocase = true;
    } else if (name == "fast_pattern") {
      c->fast_pattern = true;
    } else if (name == "offset" || name == "depth" || name == "distance" || name == "within") {
      e = set_pos(st, c, name, arg);
    } else {
      e = "unsupported content modifier '" + std::string(name) + "'";
    }
    if (!e.empty()) return e;
  }
  return "";
}

std::string kw_content(ParseState& st, std::string_view v) {
  return add_content(st, v, st.cur_slot);
}
std::string kw_uricontent(ParseState& st, std::string_view v) {
  return add_content(st, v, int(BufferId::kHttpUri));
}

std::string kw_nocase(ParseState& st, std::string_view) {
  std::string err;
  if (auto* c = need_content(st, err, "nocase")) c->nocase = true;
  return err;
}
std::string kw_rawbytes(ParseState& st, std::string_view) {
  std::string err;
  if (auto* c = need_content(st, err, "rawbytes")) c->rawbytes = true;
  return err;
}
std::string kw_startswith(ParseState& st, std::string_view) {
  std::string err;
  auto* c = need_content(st, err, "startswith");
  if (!c) return err;
  if (c->has_offset || c->has_depth || c->has_distance || c->has_within)
    return "startswith can't be mixed with offset/depth/distance/within";
  c->startswith = true;
  return "";
}
std::string kw_endswith(ParseState& st, std::string_view) {
  std::string err;
  if (auto* c = need_content(st, err, "endswith")) c->endswith = true;
  return err;
}
std::string kw_fast_pattern(ParseState& st, std::string_view v) {
  std::string err;
  auto* c = need_content(st, err, "fast_pattern");
  if (!c) return err;
  if (c->negated && v != "") return "fast_pattern options on a negated content";
  return fast_pattern_value(c, v);
}

template <int Which>
std::string kw_pos(ParseState& st, std::string_view v) {
  static constexpr std::string_view kNames[] = {"offset", "depth", "distance", "within"};
  std::string err;
  auto* c = need_content(st, err, kNames[Which].data());
  if (!c) return err;
  if (c->startswith) return std::string(kNames[Which]) + " can't be mixed with startswith";
  return set_pos(st, c, kNames[Which], v);
}

std::string kw_isdataat(ParseState& st, std::string_view v) {
  auto op = std::make_unique<IsdataatOp>();
  auto parts = split(v, ',');
  auto first = parts[0];
  if (!first.empty() && first[0] == '!') {
    op->negated = true;
    first = trim(first.substr(1));
  }
  if (!st.int_arg(first, op->n)) return "invalid isdataat value '" + std::string(v) + "'";
  for (size_t i = 1; i < parts.size(); ++i) {
    if (parts[i] == "relative") {
      op->relative = true;
    } else if (parts[i] != "rawbytes") {
      return "invalid isdataat option '" + std::string(parts[i]) + "'";
    }
  }
  int slot = op->relative && st.last_op ? st.last_op_slot : st.cur_slot;
  if (op->relative && !st.last_op) return "isdataat relative without a preceding content";
  st.add_op(slot, std::move(op));
  return "";
}

std::string add_bsize(ParseState& st, std::string_view v, int slot) {
  auto op = std::make_unique<BsizeOp>();
  if (!parse_cmp(v, op->cmp)) return "invalid buffer size '" + std::string(v) + "'";
  auto& l = st.list(slot);
  l.ops.push_back(std::move(op));
  return "";
}

}  // namespace

// A buffer's bsize conditions must leave some length, and a buffer whose
// only content is longer than every length they allow can never match:
// Suricata rejects both at load. "" or the reason.
std::string check_bsize(const Rule& r) {
  for (const auto& l : r.buffers) {
    int64_t lo = 0, hi = INT64_MAX;
    bool any = false;
    const ContentOp* only = nullptr;
    size_t contents = 0;
    for (const auto& op : l.ops) {
      if (op->kind == OpKind::kContent) {
        auto* c = static_cast<const ContentOp*>(op.get());
        if (!c->negated) {
          ++contents;
          only = c;
        }
        continue;
      }
      if (op->kind != OpKind::kBsize || op->relative) continue;
      const IntCmp& m = static_cast<const BsizeOp*>(op.get())->cmp;
      any = true;
      switch (m.op) {
        case IntCmp::kEq:
          lo = std::max(lo, m.a), hi = std::min(hi, m.a);
          break;
        case IntCmp::kLt:
          hi = std::min(hi, m.a - 1);
          break;
        case IntCmp::kLe:
          hi = std::min(hi, m.a);
          break;
        case IntCmp::kGt:
          lo = std::max(lo, m.a + 1);
          break;
        case IntCmp::kGe:
          lo = std::max(lo, m.a);
          break;
        case IntCmp::kRange:
          lo = std::max(lo, m.a + 1), hi = std::min(hi, m.b - 1);
          break;
        default:
          break;  // != and the negated range leave an interval's ends open
      }
    }
    if (!any) continue;
    if (lo > hi) return "bsize conditions allow no buffer length";
    if (contents == 1 && int64_t(only->pattern.size()) > hi)
      return "content is longer than bsize allows (" + std::to_string(hi) + ")";
  }
  return "";
}

namespace {

std::string kw_bsize(ParseState& st, std::string_view v) {
  if (st.cur_slot == kSlotPayload && !st.slot_explicit) return "bsize needs a sticky buffer";
  return add_bsize(st, v, st.cur_slot);
}

// Snort 3: bufferlen:[op]N[,relative] or min<=>max (inclusive) or min<>max
// (exclusive), on the current buffer (pkt_data by default).
std::string kw_bufferlen(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.empty() || parts.size() > 2) return "invalid bufferlen '" + std::string(v) + "'";
  bool relative = false;
  if (parts.size() == 2) {
    if (parts[1] != "relative") return "invalid bufferlen option '" + std::string(parts[1]) + "'";
    relative = true;
  }
  auto op = std::make_unique<BsizeOp>();
  auto incl = parts[0].find("<=>");
  if (incl != std::string_view::npos) {
    int64_t a, b;
    if (!parse_i64(parts[0].substr(0, incl), a) || !parse_i64(parts[0].substr(incl + 3), b) || a > b)
      return "invalid buffer size '" + std::string(parts[0]) + "'";
    op->cmp.op = IntCmp::kRange;
    op->cmp.a = a - 1;
    op->cmp.b = b + 1;
  } else if (!parse_cmp(parts[0], op->cmp)) {
    return "invalid buffer size '" + std::string(parts[0]) + "'";
  }
  if (relative && !st.last_op) return "bufferlen relative without a preceding content";
  op->relative = relative;
  st.list(st.cur_slot).ops.push_back(std::move(op));
  return "";
}

std::string kw_urilen(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  int slot = int(BufferId::kHttpUri);
  if (parts.size() > 1) {
    if (parts[1] == "raw") {
      slot = int(BufferId::kHttpUriRaw);
    } else if (parts[1] != "norm") {
      return "invalid urilen option '" + std::string(parts[1]) + "'";
    }
  }
  return add_bsize(st, parts[0], slot);
}

}  // namespace

void add_content_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"content", kw_content});
  t.push_back({"uricontent", kw_uricontent});
  t.push_back({"nocase", kw_nocase});
  t.push_back({"rawbytes", kw_rawbytes});
  t.push_back({"startswith", kw_startswith});
  t.push_back({"endswith", kw_endswith});
  t.push_back({"fast_pattern", kw_fast_pattern});
  t.push_back({"offset", kw_pos<0>});
  t.push_back({"depth", kw_pos<1>});
  t.push_back({"distance", kw_pos<2>});
  t.push_back({"within", kw_pos<3>});
  t.push_back({"isdataat", kw_isdataat});
  t.push_back({"bsize", kw_bsize});
  t.push_back({"bufferlen", kw_bufferlen});
  t.push_back({"urilen", kw_urilen});
}

}  // namespace vigil::rules
