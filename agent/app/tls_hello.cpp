#include "agent/app/tls_hello.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace vigil::tls {
namespace {

// Bounds-checked big-endian reader over one message.
struct Reader {
  Bytes b;
  size_t o = 0;
  bool ok = true;
  bool has(size_t n) const { return ok && o + n <= b.size(); }
  uint32_t u(size_t n) {
    if (!has(n)) {
      ok = false;
      return 0;
    }
    uint32_t v = 0;
    for (size_t i = 0; i < n; ++i) v = (v << 8) | b[o + i];
    o += n;
    return v;
  }
  Bytes take(size_t n) {
    if (!has(n)) {
      ok = false;
      return {};
    }
    auto r = b.subspan(o, n);
    o += n;
    return r;
  }
};

void u16_list(Bytes b, std::vector<uint16_t>& out) {
  for (size_t i = 0; i + 1 < b.size(); i += 2) out.push_back(static_cast<uint16_t>((b[i] << 8) | b[i + 1]));
}

void extension(uint16_t type, Bytes data, Hello& h, bool client) {
  Reader r{data};
  switch (type) {
    case 0: {  // server_name
      if (!client) return;
      h.has_sni = true;
      Reader list{r.take(r.u(2))};
      while (list.has(3)) {
        uint32_t t = list.u(1);
        Bytes name = list.take(list.u(2));
        if (t == 0 && list.ok && h.sni.empty()) {
          h.sni.assign(reinterpret_cast<const char*>(name.data()), name.size());
        }
      }
      return;
    }
    case 16: {  // ALPN
      Reader list{r.take(r.u(2))};
      while (list.has(1)) {
        Bytes p = list.take(list.u(1));
        if (list.ok) h.alpn.emplace_back(reinterpret_cast<const char*>(p.data()), p.size());
      }
      return;
    }
    case 10:
      u16_list(r.take(r.u(2)), h.groups);
      return;
    case 11: {
      Bytes p = r.take(r.u(1));
      h.point_formats.assign(p.begin(), p.end());
      return;
    }
    case 13:
      u16_list(r.take(r.u(2)), h.sig_algs);
      return;
    case 43:
      if (client) {
        u16_list(r.take(r.u(1)), h.versions);
      } else if (r.has(2)) {
        h.versions.push_back(static_cast<uint16_t>(r.u(2)));
      }
      return;
    default:
      return;
  }
}

bool extensions(Reader& r, Hello& h, bool client) {
  if (r.o == r.b.size()) return true;  // no extensions at all (old clients)
  Reader ext{r.take(r.u(2))};
  if (!r.ok) return false;
  while (ext.has(4)) {
    auto type = static_cast<uint16_t>(ext.u(2));
    Bytes data = ext.take(ext.u(2));
    if (!ext.ok) return false;
    h.extensions.push_back(type);
    extension(type, data, h, client);
  }
  return ext.o == ext.b.size();
}

std::string hex(const unsigned char* p, size_t n) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string s;
  for (size_t i = 0; i < n; ++i) {
    s.push_back(kHex[p[i] >> 4]);
    s.push_back(kHex[p[i] & 15]);
  }
  return s;
}

template <class T>
void join_dec(std::string& s, const std::vector<T>& v, bool skip_grease) {
  bool first = true;
  for (T x : v) {
    if (skip_grease && is_grease(x)) continue;
    if (!first) s.push_back('-');
    first = false;
    s += std::to_string(x);
  }
}

std::string hex4_join(const std::vector<uint16_t>& v) {
  std::string s;
  char buf[8];
  for (size_t i = 0; i < v.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%s%04x", i ? "," : "", v[i]);
    s += buf;
  }
  return s;
}

}  // namespace

bool is_grease(uint16_t v) {
  return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

namespace {
void read_random(Reader& r, Hello& h) {
  Bytes rnd = r.take(32);
  if (rnd.size() == 32) h.random.assign(reinterpret_cast<const char*>(rnd.data()), rnd.size());
}
}  // namespace

bool parse_client_hello(Bytes body, Hello& h) {
  Reader r{body};
  h.version = static_cast<uint16_t>(r.u(2));
  read_random(r, h);
  r.take(r.u(1));  // session id
  u16_list(r.take(r.u(2)), h.ciphers);
  r.take(r.u(1));  // compression methods
  if (!r.ok) return false;
  return extensions(r, h, true);
}

bool parse_server_hello(Bytes body, Hello& h) {
  Reader r{body};
  h.version = static_cast<uint16_t>(r.u(2));
  read_random(r, h);
  r.take(r.u(1));
  h.ciphers.push_back(static_cast<uint16_t>(r.u(2)));
  r.u(1);  // compression
  if (!r.ok) return false;
  return extensions(r, h, false);
}

uint16_t effective_version(const Hello& h) {
  uint16_t best = 0;
  for (auto v : h.versions) {
    if (!is_grease(v)) best = std::max(best, v);
  }
  return best != 0 ? best : h.version;
}

std::string ja3_string(const Hello& c) {
  std::string s = std::to_string(c.version) + ",";
  join_dec(s, c.ciphers, true);
  s += ",";
  join_dec(s, c.extensions, true);
  s += ",";
  join_dec(s, c.groups, true);
  s += ",";
  join_dec(s, c.point_formats, false);
  return s;
}

std::string ja3s_string(const Hello& sh) {
  std::string s = std::to_string(sh.version) + ",";
  join_dec(s, sh.ciphers, true);
  s += ",";
  join_dec(s, sh.extensions, true);
  return s;
}

std::string ja4(const Hello& c) {
  std::string out = "t";
  switch (effective_version(c)) {
    case 0x0304:
      out += "13";
      break;
    case 0x0303:
      out += "12";
      break;
    case 0x0302:
      out += "11";
      break;
    case 0x0301:
      out += "10";
      break;
    case 0x0300:
      out += "s3";
      break;
    case 0x0002:
    case 0x0200:
      out += "s2";
      break;
    default:
      out += "00";
      break;
  }
  out += c.has_sni ? 'd' : 'i';
  std::vector<uint16_t> ciphers, exts;
  for (auto v : c.ciphers) {
    if (!is_grease(v)) ciphers.push_back(v);
  }
  size_t ext_count = 0;
  for (auto v : c.extensions) {
    if (is_grease(v)) continue;
    ++ext_count;
    if (v != 0x0000 && v != 0x0010) exts.push_back(v);
  }
  char buf[8];
  std::snprintf(buf, sizeof buf, "%02zu%02zu", std::min<size_t>(ciphers.size(), 99),
                std::min<size_t>(ext_count, 99));
  out += buf;
  if (c.alpn.empty() || c.alpn[0].empty()) {
    out += "00";
  } else {
    const std::string& a = c.alpn[0];
    auto alnum = [](unsigned char ch) { return std::isalnum(ch) != 0 && ch < 0x80; };
    if (alnum(static_cast<unsigned char>(a.front())) && alnum(static_cast<unsigned char>(a.back()))) {
      out += a.front();
      out += a.back();
    } else {
      std::string h = hex(reinterpret_cast<const unsigned char*>(a.data()), a.size());
      out += h.front();
      out += h.back();
    }
  }
  std::sort(ciphers.begin(), ciphers.end());
  std::sort(exts.begin(), exts.end());
  out += '_';
  out += ciphers.empty() ? std::string(12, '0') : sha256_hex(hex4_join(ciphers)).substr(0, 12);
  out += '_';
  if (exts.empty()) {
    out += std::string(12, '0');
  } else {
    std::string e = hex4_join(exts);
    if (!c.sig_algs.empty()) e += "_" + hex4_join(c.sig_algs);
    out += sha256_hex(e).substr(0, 12);
  }
  return out;
}

std::string_view version_name(uint16_t v) {
  switch (v) {
    case 0x0200:
      return "SSLv2";
    case 0x0300:
      return "SSLv3";
    case 0x0301:
      return "TLSv1";
    case 0x0302:
      return "TLS 1.1";
    case 0x0303:
      return "TLS 1.2";
    case 0x0304:
      return "TLS 1.3";
    default:
      return "UNDETERMINED";
  }
}

}  // namespace vigil::tls
