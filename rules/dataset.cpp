#include "rules/dataset.h"

#include <spdlog/spdlog.h>

#include <cstdio>
#include <fstream>

#include "common/encoding.h"
#include "common/ip_addr.h"

namespace vigil::rules {

namespace {

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

size_t digest_len(Dataset::Type t) {
  return t == Dataset::kMd5 ? 16 : t == Dataset::kSha256 ? 32 : 0;
}

std::string base64(std::string_view s) {
  static const char kAlpha[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 3 <= s.size(); i += 3) {
    uint32_t v = (uint32_t(uint8_t(s[i])) << 16) | (uint32_t(uint8_t(s[i + 1])) << 8) | uint8_t(s[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kAlpha[(v >> k) & 63]);
  }
  if (size_t rest = s.size() - i) {
    uint32_t v = uint32_t(uint8_t(s[i])) << 16;
    if (rest == 2) v |= uint32_t(uint8_t(s[i + 1])) << 8;
    out.push_back(kAlpha[(v >> 18) & 63]);
    out.push_back(kAlpha[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kAlpha[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Address bytes as a key: IPv4 (and IPv4-mapped IPv6) as 4 bytes, IPv6 as 16.
bool addr_key_of(Dataset::Type t, const uint8_t* p, size_t n, std::string& key) {
  static const uint8_t kMapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
  if (n == 16 && std::equal(kMapped, kMapped + 12, p)) {
    p += 12;
    n = 4;
  }
  if (n != 4 && (n != 16 || t == Dataset::kIpv4)) return false;
  key.assign(reinterpret_cast<const char*>(p), n);
  return true;
}

bool parse_addr(Dataset::Type t, std::string_view s, std::string& key) {
  auto a = IpAddr::parse(s);
  return a && addr_key_of(t, a->b.data(), a->len(), key);
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
    bool ok = type == kString                ? base64_decode(s, v)
              : type == kIpv4 || type == kIp ? parse_addr(type, s, v)
                                             : (s.size() == 2 * digest_len(type) && unhex(s, v));
    if (!ok) return path + ":" + std::to_string(n) + ": invalid dataset value";
    if (values_.size() >= kMaxEntries) return path + ": more than " + std::to_string(kMaxEntries) + " values";
    values_.insert(v);
  }
  return "";
}

std::string Dataset::save(const std::string& path) const {
  std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return "cannot write dataset file " + tmp;
    static const char kHex[] = "0123456789abcdef";
    std::lock_guard<std::mutex> g(mu_);
    for (auto& v : values_) {
      if (type == kString) {
        out << base64(v);
      } else if (type == kIpv4 || type == kIp) {
        IpAddr a = v.size() == 4 ? IpAddr::v4(reinterpret_cast<const uint8_t*>(v.data()))
                                 : IpAddr::v6(reinterpret_cast<const uint8_t*>(v.data()));
        out << a.to_string();
      } else {
        for (unsigned char ch : v) out << kHex[ch >> 4] << kHex[ch & 15];
      }
      out << '\n';
    }
    out.flush();
    if (!out) return "cannot write dataset file " + tmp;
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return "cannot rename " + tmp + " to " + path;
  return "";
}

void Dataset::persist() {
  {
    std::lock_guard<std::mutex> g(mu_);
    if (save_path.empty() || !dirty_) return;
    dirty_ = false;
  }
  auto err = save(save_path);
  if (!err.empty()) spdlog::error("dataset: {}", err);
}

Dataset::~Dataset() {
  persist();
}

bool Dataset::key_of(std::string_view buf, std::string& key) const {
  if (type == kIpv4 || type == kIp)
    return addr_key_of(type, reinterpret_cast<const uint8_t*>(buf.data()), buf.size(), key);
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
  if (!values_.insert(key).second) return false;
  dirty_ = true;
  return true;
}

}  // namespace vigil::rules
