#include "rules/addr.h"

#include <algorithm>
#include <charconv>

namespace vigil::rules {

namespace {

constexpr U128 kMax128 = ~U128(0);
constexpr int kMaxDepth = 16;  // variable and bracket nesting

template <class T>
using Ranges = std::vector<std::pair<T, T>>;

template <class T>
void normalize(Ranges<T>& r) {
  std::sort(r.begin(), r.end());
  Ranges<T> out;
  for (auto& x : r) {
    if (!out.empty() && (out.back().second == T(~T(0)) || x.first <= out.back().second + 1)) {
      out.back().second = std::max(out.back().second, x.second);
    } else {
      out.push_back(x);
    }
  }
  r.swap(out);
}

template <class T>
Ranges<T> complement(const Ranges<T>& r, T maxv) {
  Ranges<T> out;
  T next = 0;
  bool done = false;
  for (auto& x : r) {
    if (x.first > next) out.push_back({next, x.first - 1});
    if (x.second == maxv) {
      done = true;
      break;
    }
    next = x.second + 1;
  }
  if (!done) out.push_back({next, maxv});
  return out;
}

template <class T>
Ranges<T> subtract(const Ranges<T>& a, const Ranges<T>& b, T maxv) {
  // a ∩ ¬b
  Ranges<T> nb = complement(b, maxv);
  Ranges<T> out;
  size_t i = 0, j = 0;
  while (i < a.size() && j < nb.size()) {
    T lo = std::max(a[i].first, nb[j].first), hi = std::min(a[i].second, nb[j].second);
    if (lo <= hi) out.push_back({lo, hi});
    if (a[i].second < nb[j].second) {
      ++i;
    } else {
      ++j;
    }
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits "a,[b,c],d" at depth-0 commas.
std::vector<std::string_view> split_list(std::string_view s) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '[') ++depth;
    if (s[i] == ']') --depth;
    if (s[i] == ',' && depth == 0) {
      out.push_back(trim(s.substr(start, i - start)));
      start = i + 1;
    }
  }
  out.push_back(trim(s.substr(start)));
  return out;
}

// Generic group parser: leaf(text, ranges&) parses one literal.
template <class T, class Leaf>
std::string parse_group(std::string_view s, const VarMap& vars, int depth, T maxv, Leaf&& leaf,
                        Ranges<T>& out) {
  s = trim(s);
  if (depth > kMaxDepth) return "address/port group nested too deeply";
  if (s.empty()) return "empty address/port group";
  if (s[0] == '!') {
    Ranges<T> inner;
    auto err = parse_group<T>(s.substr(1), vars, depth + 1, maxv, leaf, inner);
    if (!err.empty()) return err;
    out = complement(inner, maxv);
    return "";
  }
  if (s[0] == '[') {
    if (s.back() != ']') return "unbalanced brackets in '" + std::string(s) + "'";
    Ranges<T> pos, neg;
    bool have_pos = false;
    for (auto item : split_list(s.substr(1, s.size() - 2))) {
      if (item.empty()) return "empty element in group '" + std::string(s) + "'";
      bool negated = false;
      while (!item.empty() && item[0] == '!') {
        negated = !negated;
        item = trim(item.substr(1));
      }
      Ranges<T> r;
      auto err = parse_group<T>(item, vars, depth + 1, maxv, leaf, r);
      if (!err.empty()) return err;
      auto& dst = negated ? neg : pos;
      if (!negated) have_pos = true;
      dst.insert(dst.end(), r.begin(), r.end());
    }
    normalize(pos);
    normalize(neg);
    if (!have_pos) pos = {{T(0), maxv}};
    out = neg.empty() ? pos : subtract(pos, neg, maxv);
    return "";
  }
  if (s[0] == '$') {
    auto it = vars.find(s.substr(1));
    if (it == vars.end()) return "unknown variable " + std::string(s);
    return parse_group<T>(it->second, vars, depth + 1, maxv, leaf, out);
  }
  if (s == "any") {
    out = {{T(0), maxv}};
    return "";
  }
  return leaf(s, out);
}

bool parse_ip_leaf(std::string_view s, U128& lo, U128& hi) {
  auto slash = s.find('/');
  std::string_view ip = s.substr(0, slash);
  auto a = IpAddr::parse(ip);
  if (!a) return false;
  int bits = a->family == 4 ? 32 : 128;
  int prefix = bits;
  if (slash != std::string_view::npos) {
    auto ps = s.substr(slash + 1);
    if (ps.find('.') != std::string_view::npos) {
      // netmask form 255.255.0.0
      auto m = IpAddr::parse(ps);
      if (!m || m->family != 4) return false;
      uint32_t mv = m->v4_u32();
      prefix = 0;
      while (prefix < 32 && (mv & (0x80000000u >> prefix))) ++prefix;
    } else {
      auto r = std::from_chars(ps.data(), ps.data() + ps.size(), prefix);
      if (r.ec != std::errc() || r.ptr != ps.data() + ps.size() || prefix < 0 || prefix > bits) return false;
    }
  }
  U128 k = addr_key(*a);
  int host_bits = bits - prefix;
  U128 mask = host_bits >= 128 ? kMax128 : ((U128(1) << host_bits) - 1);
  lo = k & ~mask;
  hi = lo | mask;
  return true;
}

std::string ip_leaf(std::string_view s, Ranges<U128>& out) {
  auto dash = s.find('-');
  U128 lo, hi;
  if (dash != std::string_view::npos) {
    U128 l2, h2;
    if (!parse_ip_leaf(trim(s.substr(0, dash)), lo, h2) || !parse_ip_leaf(trim(s.substr(dash + 1)), l2, hi) ||
        lo > hi) {
      return "invalid address range '" + std::string(s) + "'";
    }
  } else if (!parse_ip_leaf(s, lo, hi)) {
    return "invalid address '" + std::string(s) + "'";
  }
  out = {{lo, hi}};
  return "";
}

bool parse_port_num(std::string_view s, uint32_t& v) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && v <= 65535;
}

std::string port_leaf(std::string_view s, Ranges<uint16_t>& out) {
  auto colon = s.find(':');
  uint32_t lo = 0, hi = 65535;
  if (colon == std::string_view::npos) {
    if (!parse_port_num(s, lo)) return "invalid port '" + std::string(s) + "'";
    hi = lo;
  } else {
    auto a = trim(s.substr(0, colon)), b = trim(s.substr(colon + 1));
    if ((!a.empty() && !parse_port_num(a, lo)) || (!b.empty() && !parse_port_num(b, hi)) || lo > hi) {
      return "invalid port range '" + std::string(s) + "'";
    }
  }
  out = {{uint16_t(lo), uint16_t(hi)}};
  return "";
}

}  // namespace

U128 addr_key(const IpAddr& a) {
  U128 k = 0;
  if (a.family == 4) {
    k = (U128(0xffff) << 32) | a.v4_u32();
  } else {
    for (int i = 0; i < 16; ++i) k = (k << 8) | a.b[i];
  }
  return k;
}

bool AddrSet::contains(const IpAddr& a) const {
  if (any) return true;
  U128 k = addr_key(a);
  auto it = std::upper_bound(ranges.begin(), ranges.end(), k,
                             [](U128 v, const std::pair<U128, U128>& r) { return v < r.first; });
  if (it == ranges.begin()) return false;
  --it;
  return k <= it->second;
}

U128 AddrSet::coverage() const {
  if (any) return kMax128;
  U128 n = 0;
  for (auto& r : ranges) {
    U128 w = r.second - r.first;
    if (w == kMax128 || n + w + 1 < n) return kMax128;
    n += w + 1;
  }
  return n;
}

bool PortSet::contains(uint16_t p) const {
  if (any) return true;
  auto it = std::upper_bound(ranges.begin(), ranges.end(), p,
                             [](uint16_t v, const std::pair<uint16_t, uint16_t>& r) { return v < r.first; });
  if (it == ranges.begin()) return false;
  --it;
  return p <= it->second;
}

std::string parse_addr_set(std::string_view text, const VarMap& vars, AddrSet& out) {
  Ranges<U128> r;
  auto err = parse_group<U128>(text, vars, 0, kMax128, ip_leaf, r);
  if (!err.empty()) return err;
  normalize(r);
  if (r.empty()) return "address group '" + std::string(text) + "' matches nothing";
  out.any = r.size() == 1 && r[0].first == 0 && r[0].second == kMax128;
  out.ranges = out.any ? Ranges<U128>{} : std::move(r);
  return "";
}

std::string parse_port_set(std::string_view text, const VarMap& vars, PortSet& out) {
  Ranges<uint16_t> r;
  auto err = parse_group<uint16_t>(text, vars, 0, uint16_t(65535), port_leaf, r);
  if (!err.empty()) return err;
  normalize(r);
  if (r.empty()) return "port group '" + std::string(text) + "' matches nothing";
  out.any = r.size() == 1 && r[0].first == 0 && r[0].second == 65535;
  out.ranges = out.any ? Ranges<uint16_t>{} : std::move(r);
  return "";
}

VarMap default_address_vars() {
  return {
      {"HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]"},
      {"EXTERNAL_NET", "!$HOME_NET"},
      {"HTTP_SERVERS", "$HOME_NET"},
      {"SMTP_SERVERS", "$HOME_NET"},
      {"SQL_SERVERS", "$HOME_NET"},
      {"DNS_SERVERS", "$HOME_NET"},
      {"TELNET_SERVERS", "$HOME_NET"},
      {"AIM_SERVERS", "$EXTERNAL_NET"},
      {"DC_SERVERS", "$HOME_NET"},
      {"DNP3_SERVER", "$HOME_NET"},
      {"DNP3_CLIENT", "$HOME_NET"},
      {"MODBUS_CLIENT", "$HOME_NET"},
      {"MODBUS_SERVER", "$HOME_NET"},
      {"ENIP_CLIENT", "$HOME_NET"},
      {"ENIP_SERVER", "$HOME_NET"},
      {"SIP_SERVERS", "$HOME_NET"},
  };
}

VarMap default_port_vars() {
  return {
      {"HTTP_PORTS", "80"},
      {"SHELLCODE_PORTS", "!80"},
      {"ORACLE_PORTS", "1521"},
      {"SSH_PORTS", "22"},
      {"DNP3_PORTS", "20000"},
      {"MODBUS_PORTS", "502"},
      {"FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]"},
      {"FTP_PORTS", "21"},
      {"GENEVE_PORTS", "6081"},
      {"VXLAN_PORTS", "4789"},
      {"TEREDO_PORTS", "3544"},
      {"SIP_PORTS", "[5060,5061]"},
  };
}

}  // namespace vigil::rules
