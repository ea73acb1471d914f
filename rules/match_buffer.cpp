#include "rules/match_buffer.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cstring>

#include "common/encoding.h"

namespace vigil::rules {

namespace {

inline uint8_t lower(uint8_t c) {
  return (c >= 'A' && c <= 'Z') ? uint8_t(c + 32) : c;
}

bool run(const BufferList& list, size_t i, BufCtx& c, size_t cursor, size_t last_end, size_t* end);

bool run_content(const BufferList& list, size_t i, BufCtx& c, size_t cursor, size_t last_end, size_t* end) {
  const auto& op = static_cast<const ContentOp&>(*list.ops[i]);
  size_t lo = 0, limit = 0;
  bool have = op.window(c, cursor, lo, limit);
  if (op.negated) {
    bool found = have && op.find(c, lo, limit) != std::string::npos;
    if (found) return false;
    return run(list, i + 1, c, cursor, last_end, end);
  }
  if (!have) return false;
  bool next_relative = i + 1 < list.ops.size() && list.ops[i + 1]->relative;
  size_t pos = lo;
  while (true) {
    if (c.budget == 0) {
      c.budget_exhausted = true;
      return false;
    }
    --c.budget;
    size_t m = op.find(c, pos, limit);
    if (m == std::string::npos) return false;
    size_t mend = m + op.pattern.size();
    if (run(list, i + 1, c, mend, mend, end)) return true;
    if (!next_relative) return false;
    pos = m + 1;
  }
}

bool run(const BufferList& list, size_t i, BufCtx& c, size_t cursor, size_t last_end, size_t* end) {
  if (i == list.ops.size()) {
    if (end) *end = last_end;
    return true;
  }
  const BufOp& op = *list.ops[i];
  if (op.kind == OpKind::kContent) return run_content(list, i, c, cursor, last_end, end);
  size_t cur = cursor;
  if (!op.apply(c, cur)) return false;
  return run(list, i + 1, c, cur, op.kind == OpKind::kPcre ? cur : last_end, end);
}

bool is_space(uint8_t ch) {
  return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v' || ch == '\f';
}

void digest(const EVP_MD* md, std::string& s) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_Digest(s.data(), s.size(), out, &n, md, nullptr);
  s.assign(reinterpret_cast<const char*>(out), n);
}

}  // namespace

bool ContentOp::window(const BufCtx& c, size_t prev_end, size_t& lo, size_t& hi) const {
  int64_t len = int64_t(c.len);
  int64_t start = 0, stop = len;
  if (startswith) {
    stop = std::min<int64_t>(stop, int64_t(pattern.size()));
  }
  if (has_distance || has_within) {
    int64_t dist = has_distance ? distance.get(c.vars) : 0;
    start = int64_t(prev_end) + dist;
    if (start < 0) start = 0;
    if (has_within) stop = std::min<int64_t>(stop, int64_t(prev_end) + dist + within.get(c.vars));
  } else {
    if (has_offset) start = offset.get(c.vars);
    if (has_depth) stop = std::min<int64_t>(stop, start + depth.get(c.vars));
  }
  if (endswith) start = std::max<int64_t>(start, len - int64_t(pattern.size()));
  if (start < 0 || stop > len || start + int64_t(pattern.size()) > stop) return false;
  lo = size_t(start);
  hi = size_t(stop);
  return true;
}

size_t ContentOp::find(const BufCtx& c, size_t lo, size_t limit) const {
  size_t n = pattern.size();
  if (n == 0 || limit > c.len || lo + n > limit) return std::string::npos;
  const uint8_t* p = reinterpret_cast<const uint8_t*>(pattern.data());
  if (!nocase) {
    const void* r = memmem(c.data + lo, limit - lo, p, n);
    return r ? size_t(static_cast<const uint8_t*>(r) - c.data) : std::string::npos;
  }
  uint8_t f = lower(p[0]);
  for (size_t s = lo; s + n <= limit; ++s) {
    if (lower(c.data[s]) != f) continue;
    size_t k = 1;
    while (k < n && lower(c.data[s + k]) == lower(p[k])) ++k;
    if (k == n) return s;
  }
  return std::string::npos;
}

bool ContentOp::apply(BufCtx& c, size_t& cursor) const {
  size_t lo, hi;
  bool have = window(c, cursor, lo, hi);
  size_t m = have ? find(c, lo, hi) : std::string::npos;
  if (negated) return m == std::string::npos;
  if (m == std::string::npos) return false;
  cursor = m + pattern.size();
  return true;
}

bool match_list(const BufferList& list, BufCtx& c, size_t* end) {
  c.budget = kBacktrackBudget;
  c.budget_exhausted = false;
  return run(list, 0, c, 0, 0, end);
}

void apply_transforms(const BufferList& list, const uint8_t* data, size_t len, std::string& out) {
  out.assign(reinterpret_cast<const char*>(data), len);
  for (auto t : list.transforms) {
    switch (t) {
      case TransformKind::kToLowercase:
      case TransformKind::kHeaderLowercase:
        for (auto& ch : out) ch = char(lower(uint8_t(ch)));
        break;
      case TransformKind::kToUppercase:
        for (auto& ch : out)
          if (ch >= 'a' && ch <= 'z') ch = char(ch - 32);
        break;
      case TransformKind::kStripWhitespace:
        out.erase(std::remove_if(out.begin(), out.end(), [](char ch) { return is_space(uint8_t(ch)); }),
                  out.end());
        break;
      case TransformKind::kCompressWhitespace: {
        size_t w = 0;
        for (size_t r = 0; r < out.size(); ++r) {
          bool sp = is_space(uint8_t(out[r]));
          if (sp && w > 0 && is_space(uint8_t(out[w - 1]))) continue;
          out[w++] = out[r];
        }
        out.resize(w);
        break;
      }
      case TransformKind::kDotprefix:
        out.insert(out.begin(), '.');
        break;
      case TransformKind::kUrlDecode: {
        size_t w = 0;
        for (size_t r = 0; r < out.size(); ++r) {
          if (out[r] == '%' && r + 2 < out.size()) {
            int h = hexval(out[r + 1]), l = hexval(out[r + 2]);
            if (h >= 0 && l >= 0) {
              out[w++] = char(h * 16 + l);
              r += 2;
              continue;
            }
          }
          out[w++] = out[r] == '+' ? ' ' : out[r];
        }
        out.resize(w);
        break;
      }
      case TransformKind::kToMd5:
        digest(EVP_md5(), out);
        break;
      case TransformKind::kToSha1:
        digest(EVP_sha1(), out);
        break;
      case TransformKind::kToSha256:
        digest(EVP_sha256(), out);
        break;
      case TransformKind::kStripPseudoHeaders:
        break;  // HTTP/1 buffers carry no pseudo headers
    }
  }
}

uint64_t name_hash(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char ch : s) {
    h ^= ch;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace vigil::rules
