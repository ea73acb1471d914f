#include "rules/keywords.h"

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "common/encoding.h"

namespace vigil::rules {

namespace {

const std::vector<KeywordDef>& table() {
  static const std::vector<KeywordDef> t = [] {
    std::vector<KeywordDef> v;
    add_meta_keywords(v);
    add_content_keywords(v);
    add_pcre_keywords(v);
    add_byte_keywords(v);
    add_packet_keywords(v);
    add_flow_keywords(v);
    add_buffer_keywords(v);
    add_stream_keywords(v);
    add_tls_keywords(v);
    add_base64_keywords(v);
    add_dataset_keywords(v);
    add_iprep_keywords(v);
    add_file_keywords(v);
    add_ftp_keywords(v);
    add_http2_keywords(v);
    add_dcerpc_keywords(v);
    add_dns_keywords(v);
    return v;
  }();
  return t;
}

const std::unordered_map<std::string_view, const KeywordDef*>& index() {
  static const std::unordered_map<std::string_view, const KeywordDef*> m = [] {
    std::unordered_map<std::string_view, const KeywordDef*> r;
    for (auto& k : table()) r.emplace(k.name, &k);
    return r;
  }();
  return m;
}

}  // namespace

const KeywordDef* find_keyword(std::string_view name) {
  auto& m = index();
  auto it = m.find(name);
  return it == m.end() ? nullptr : it->second;
}

BufferList& ParseState::list(int slot) {
  if (slot == kSlotBase64 && base64_list) return *base64_list;
  for (auto& b : rule.buffers) {
    if (b.slot == slot) return b;
  }
  rule.buffers.push_back(BufferList{});
  rule.buffers.back().slot = slot;
  return rule.buffers.back();
}

BufOp* ParseState::add_op(int slot, std::unique_ptr<BufOp> op) {
  auto& l = list(slot);
  l.ops.push_back(std::move(op));
  last_op = l.ops.back().get();
  last_op_slot = slot;
  if (last_op->kind == OpKind::kContent) {
    last_content_op = static_cast<ContentOp*>(last_op);
    last_content_slot = slot;
  }
  return last_op;
}

std::string ParseState::move_last_content(int slot) {
  auto* c = last_content();
  if (!c) return "buffer modifier without a preceding content";
  if (last_content_slot == slot) return "";
  if (last_content_slot != kSlotPayload) return "content already has a buffer";
  auto& from = list(last_content_slot);
  auto it = std::find_if(from.ops.begin(), from.ops.end(), [&](auto& p) { return p.get() == c; });
  if (it == from.ops.end()) return "internal: content not found";
  auto op = std::move(*it);
  from.ops.erase(it);
  if (from.ops.empty() && from.transforms.empty()) {
    rule.buffers.erase(std::find_if(rule.buffers.begin(), rule.buffers.end(),
                                    [&](auto& b) { return b.slot == kSlotPayload; }));
  }
  add_op(slot, std::move(op));
  return "";
}

int ParseState::var_index(std::string_view name) const {
  for (size_t i = 0; i < var_names.size(); ++i) {
    if (var_names[i] == name) return int(i);
  }
  return -1;
}

bool ParseState::int_arg(std::string_view s, IntArg& out) const {
  s = trim(s);
  if (parse_i64(s, out.value)) return true;
  int v = var_index(s);
  if (v < 0) return false;
  out.var = v;
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  return out;
}

bool parse_i64(std::string_view s, int64_t& out) {
  s = trim(s);
  if (s.empty()) return false;
  int base = 10;
  bool neg = false;
  if (s[0] == '-') {
    neg = true;
    s.remove_prefix(1);
  } else if (s[0] == '+') {
    s.remove_prefix(1);
  }
  if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s.remove_prefix(2);
  }
  uint64_t v = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), v, base);
  if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return false;
  out = neg ? -int64_t(v) : int64_t(v);
  return true;
}

std::string_view unquote(std::string_view s) {
  s = trim(s);
  if (s.size() >= 2 && s.front() == '"' && s.back() == '"') return s.substr(1, s.size() - 2);
  return s;
}

bool decode_content(std::string_view s, std::string& out, std::string& err) {
  out.clear();
  bool hex = false;
  int nib = -1;
  for (size_t i = 0; i < s.size(); ++i) {
    char ch = s[i];
    if (hex) {
      if (ch == '|') {
        if (nib >= 0) {
          err = "odd number of hex digits in content";
          return false;
        }
        hex = false;
        continue;
      }
      if (ch == ' ' || ch == '\t') continue;
      int v = hexval(ch);
      if (v < 0) {
        err = std::string("invalid hex character '") + ch + "' in content";
        return false;
      }
      if (nib < 0) {
        nib = v;
      } else {
        out.push_back(char(nib * 16 + v));
        nib = -1;
      }
      continue;
    }
    if (ch == '|') {
      hex = true;
      continue;
    }
    if (ch == '\\') {
      if (i + 1 >= s.size()) {
        err = "content ends with a lone backslash";
        return false;
      }
      char n = s[i + 1];
      if (n == '"' || n == ';' || n == '\\' || n == ':' || n == '|') {
        out.push_back(n);
        ++i;
        continue;
      }
      err = std::string("invalid escape '\\") + n + "' in content";
      return false;
    }
    if (ch == '"') {
      err = "unescaped quote in content";
      return false;
    }
    out.push_back(ch);
  }
  if (hex) {
    err = "unterminated hex block in content";
    return false;
  }
  if (out.empty()) {
    err = "empty content";
    return false;
  }
  return true;
}

}  // namespace vigil::rules
