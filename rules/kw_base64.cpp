// base64_decode + base64_data: decode part of the current buffer (from an
// offset, absolute or after the previous match, up to N bytes) and inspect the
// decoded bytes with the contents that follow base64_data. As in Suricata the
// decode stops at the first byte that is not base64 (whitespace skipped).
#include "rules/keywords.h"
#include "rules/match_buffer.h"

namespace vigil::rules {

namespace {

int b64(uint8_t c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

void decode(const uint8_t* p, size_t n, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < n; ++i) {
    uint8_t ch = p[i];
    if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') continue;
    int v = b64(ch);
    if (v < 0) break;  // '=' padding or any other byte ends the data
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xff));
    }
  }
}

struct Base64DecodeOp : BufOp {
  Base64DecodeOp() : BufOp(OpKind::kBase64Decode) {}
  uint32_t bytes = 0;  // 0: to the end of the buffer
  uint32_t offset = 0;
  BufferList decoded;  // the base64_data ops
  bool apply(BufCtx& c, size_t& cursor) const override {
    size_t start = (relative ? cursor : 0) + offset;
    if (start >= c.len) return false;
    size_t n = c.len - start;
    if (bytes && bytes < n) n = bytes;
    // Per-thread storage, grown once: no allocation in the steady state.
    thread_local std::string out;
    decode(c.data + start, n, out);
    if (decoded.ops.empty()) return true;
    if (out.empty()) return false;
    BufCtx d;
    d.data = reinterpret_cast<const uint8_t*>(out.data());
    d.len = out.size();
    return match_list(decoded, d);
  }
};

// base64_decode[:bytes N][,offset M][,relative]
std::string kw_base64_decode(ParseState& st, std::string_view v) {
  if (st.cur_slot == kSlotBase64) return "base64_decode inside base64_data";
  auto op = std::make_unique<Base64DecodeOp>();
  for (auto p : split(v, ',')) {
    if (p.empty() && v.empty()) break;
    auto sp = p.find(' ');
    auto key = trim(p.substr(0, sp));
    auto val = sp == std::string_view::npos ? std::string_view{} : trim(p.substr(sp + 1));
    int64_t n = 0;
    if (key == "relative") {
      op->relative = true;
    } else if (key == "bytes" || key == "offset") {
      if (!parse_i64(val, n) || n < 0 || n > 0xffffff) return "invalid base64_decode " + std::string(key);
      (key == "bytes" ? op->bytes : op->offset) = uint32_t(n);
    } else {
      return "invalid base64_decode option '" + std::string(p) + "'";
    }
  }
  if (op->relative && !st.last_op) return "base64_decode relative without a preceding content";
  int slot = op->relative ? st.last_op_slot : st.cur_slot;
  BufferList* nested = &op->decoded;
  st.add_op(slot, std::move(op));
  st.base64_list = nested;
  return "";
}

std::string kw_base64_data(ParseState& st, std::string_view v) {
  if (!v.empty()) return "base64_data takes no value";
  if (!st.base64_list) return "base64_data without a preceding base64_decode";
  st.cur_slot = kSlotBase64;
  st.slot_explicit = true;
  st.last_op = nullptr;
  st.last_content_op = nullptr;
  return "";
}

}  // namespace

void add_base64_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"base64_decode", kw_base64_decode});
  t.push_back({"base64_data", kw_base64_data});
}

}  // namespace vigil::rules
