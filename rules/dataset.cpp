#include "rules/dataset.h"

#include <fstream>

namespace vigil::rules {

namespace {

int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool unhex(std::string_view s, std::string& out) {
  if (s.size() % 2) return false;
  out.clear();
  for (size_t i = 0; i < s.size(); i += 2) {
    int a = hexval(s[i]), b = hexval(s[i + 1]);
    if (a < 0 || b < 0) return false;
    out.push_back(char(a * 16 + b));
  }
  return true;
}

bool unbase64(std::string_view s, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char ch : s) {
    int v;
    if (ch >= 'A' && ch <= 'Z')
      v = ch - 'A';
    else if (ch >= 'a' && ch <= 'z')
      v = ch - 'a' + 26;
    else if (ch >= '0' && ch <= '9')
      v = ch - '0' + 52;
    else if (ch == '+')
      v = 62;
    else if (ch == '/')
      v = 63;
    else if (ch == '=')
      break;
    else
      return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xff));
    }
  }
  return true;
}

size_t digest_len(Dataset::Type t) {
  return t == Dataset::kMd5 ? 16 : t == Dataset::kSha256 ? 32 : 0;
}

}  // namespace

std::string Dataset::load(const std::string& path) {
  std::ifstream in(path);
  if (!in) return "cannot read dataset file " + path;
  std::string line, v;
  int n = 0;
  while (std::getline(in, line)) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    std::string_view s = line;
    auto comma = s.find(',');  // datarep-style "value,reputation": the value
    if (comma != std::string_view::npos) s = s.substr(0, comma);
    bool ok = type == kString ? unbase64(s, v) : (s.size() == 2 * digest_len(type) && unhex(s, v));
    if (!ok) return path + ":" + std::to_string(n) + ": invalid dataset value";
    if (values_.size() >= kMaxEntries) return path + ": more than " + std::to_string(kMaxEntries) + " values";
    values_.insert(v);
  }
  return "";
}

bool Dataset::key_of(std::string_view buf, std::string& key) const {
  size_t n = digest_len(type);
  if (n == 0 || buf.size() == n) {
    key.assign(buf);
    return true;
  }
  return buf.size() == 2 * n && unhex(buf, key);
}

bool Dataset::contains(std::string_view buf) const {
  thread_local std::string key;
  if (!key_of(buf, key)) return false;
  if (!mutable_) return values_.count(key) != 0;
  std::lock_guard<std::mutex> g(mu_);
  return values_.count(key) != 0;
}

bool Dataset::add(std::string_view buf) {
  thread_local std::string key;
  if (!key_of(buf, key)) return false;
  std::lock_guard<std::mutex> g(mu_);
  if (values_.size() >= kMaxEntries) return false;  // full: counted as not new
  return values_.insert(key).second;
}

}  // namespace vigil::rules
