#include "collector/api/alert_filter.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstring>

#include "collector/store/alert_fts.h"
#include "common/time.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

constexpr size_t kMaxText = 1024;
constexpr size_t kMaxListItems = 100;

std::optional<int64_t> parse_uint(std::string_view v, size_t max_digits, int64_t max) {
  if (v.empty() || v.size() > max_digits || v.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  int64_t out = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || p != v.data() + v.size() || out > max) return std::nullopt;
  return out;
}

}  // namespace

std::optional<int64_t> parse_filter_time(std::string_view v) {
  if (!v.empty() && v.find_first_not_of("0123456789") == std::string_view::npos) {
    auto s = parse_uint(v, 12, INT64_MAX);
    if (!s) return std::nullopt;
    return *s * 1000000;
  }
  if (v.size() < 10 || v.size() > 40) return std::nullopt;
  std::string s(v);
  if (s.size() == 10) s += "T00:00:00";
  if (s.back() == 'Z') s.pop_back();
  return parse_eve_time_us(s);
}

namespace {

std::vector<std::string_view> split_list(std::string_view v) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start <= v.size()) {
    size_t c = v.find(',', start);
    if (c == std::string_view::npos) c = v.size();
    std::string_view item = v.substr(start, c - start);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    out.push_back(item);
    start = c + 1;
  }
  return out;
}

std::optional<IpNet> parse_net(std::string_view v) {
  size_t slash = v.find('/');
  std::string_view addr = v.substr(0, slash);
  auto a = ip16(addr);
  if (!a) return std::nullopt;
  bool v4 = addr.find(':') == std::string_view::npos;
  int bits = v4 ? 32 : 128;
  if (slash != std::string_view::npos) {
    auto b = parse_uint(v.substr(slash + 1), 3, bits);
    if (!b) return std::nullopt;
    bits = static_cast<int>(*b);
  }
  int prefix = v4 ? bits + 96 : bits;
  IpNet n;
  for (int i = 0; i < 16; ++i) {
    int keep = std::clamp(prefix - i * 8, 0, 8);
    uint8_t mask = keep == 0 ? 0 : static_cast<uint8_t>(0xff << (8 - keep));
    n.lo[i] = (*a)[i] & mask;
    n.hi[i] = (*a)[i] | static_cast<uint8_t>(~mask);
  }
  if (prefix == 128) {
    char buf[INET6_ADDRSTRLEN];
    if (v4)
      inet_ntop(AF_INET, a->data() + 12, buf, sizeof buf);
    else
      inet_ntop(AF_INET6, a->data(), buf, sizeof buf);
    n.exact = buf;
  }
  return n;
}

bool printable(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](unsigned char c) { return c >= 0x20 && c != 0x7f; });
}

bool token_chars(std::string_view s) {
  return !s.empty() && s.size() <= 32 && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

// One name with all its values (repeated parameters or a JSON array).
std::optional<FilterError> apply(const std::string& name, const std::vector<std::string>& values,
                                 AlertListQuery* q) {
  auto err = [&](std::string detail) { return FilterError{name, std::move(detail)}; };
  AlertFilter& f = q->filter;
  // Single-valued names take exactly one value.
  auto one = [&]() -> std::optional<std::string_view> {
    if (values.size() != 1) return std::nullopt;
    return std::string_view(values[0]);
  };
  // List names: every comma-separated item of every value.
  std::vector<std::string_view> items;
  for (const auto& v : values)
    for (auto it : split_list(v)) items.push_back(it);
  if (items.size() > kMaxListItems) return err("at most 100 values");

  if (name == "from" || name == "to") {
    auto v = one();
    auto t = v ? parse_filter_time(*v) : std::nullopt;
    if (!t) return err("unix seconds or an ISO time like 2026-01-02T03:04:05Z");
    (name == "from" ? f.from_us : f.to_us) = t;
  } else if (name == "severity") {
    for (auto it : items) {
      auto s = parse_uint(it, 3, 255);
      if (!s || *s == 0) return err("a severity 1 (highest) to 255, or a comma list of them");
      f.severities.push_back(static_cast<int>(*s));
    }
  } else if (name == "sid") {
    for (auto it : items) {
      auto s = parse_uint(it, 10, UINT32_MAX);
      if (!s) return err("a signature id 0 to 4294967295, or a comma list of them");
      f.sids.push_back(*s);
    }
  } else if (name == "signature" || name == "category" || name == "q" || name == "assignee" ||
             name == "agent") {
    auto v = one();
    if (!v || v->empty() || v->size() > kMaxText || !printable(*v))
      return err("1 to 1024 printable characters");
    std::string s(*v);
    if (name == "signature") f.signature = s;
    if (name == "category") f.category = s;
    if (name == "q") {
      if (!fts_match_expression(s)) return err("words to search for: at least one letter or digit");
      f.q = s;
    }
    if (name == "assignee") f.assignee = s;
    if (name == "agent") {
      if (s.size() > 64) return err("an agent id (at most 64 characters)");
      f.agent_id = s;
    }
  } else if (name == "src_ip" || name == "dest_ip") {
    auto v = one();
    auto n = v ? parse_net(*v) : std::nullopt;
    if (!n) return err("an IPv4 or IPv6 address, or a CIDR block like 10.0.0.0/8 or 2001:db8::/32");
    (name == "src_ip" ? f.src_ip : f.dest_ip) = std::move(n);
  } else if (name == "port" || name == "src_port" || name == "dest_port") {
    auto v = one();
    auto p = v ? parse_uint(*v, 5, 65535) : std::nullopt;
    if (!p) return err("a port 0 to 65535");
    (name == "port" ? f.port : name == "src_port" ? f.src_port : f.dest_port) = static_cast<int>(*p);
  } else if (name == "proto" || name == "app_proto") {
    auto v = one();
    if (!v || !token_chars(*v)) return err("a protocol name like TCP, UDP, ICMP (proto) or http, dns, tls");
    std::string s(*v);
    for (auto& c : s)
      c = static_cast<char>(name == "proto" ? std::toupper(static_cast<unsigned char>(c))
                                            : std::tolower(static_cast<unsigned char>(c)));
    (name == "proto" ? f.proto : f.app_proto) = s;
  } else if (name == "status") {
    for (auto it : items) {
      if (std::find(std::begin(kTriageStatuses), std::end(kTriageStatuses), it) == std::end(kTriageStatuses))
        return err("new, acknowledged, escalated, false_positive or closed, or a comma list of them");
      f.statuses.emplace_back(it);
    }
  } else if (name == "limit") {
    auto v = one();
    auto l = v ? parse_uint(*v, 6, 999999) : std::nullopt;
    if (!l || *l == 0) return err("1 to 1000 (larger values are cut to 1000)");
    q->limit = static_cast<int>(std::min<int64_t>(*l, kMaxAlertLimit));
  } else if (name == "group") {
    auto v = one();
    if (!v || (*v != "0" && *v != "1" && *v != "true" && *v != "false")) return err("1 or 0");
    q->group = *v == "1" || *v == "true";
  } else if (name == "window") {
    auto v = one();
    auto w = v ? parse_uint(*v, 8, 30 * 86400) : std::nullopt;
    if (!w || *w < 60) return err("grouping window in seconds, 60 to 2592000");
    q->window_s = *w;
  } else if (name == "cursor") {
    // Decoded after all names are known (the group flag picks the kind).
    if (!one() || one()->empty()) return err("pass next_cursor from the previous page as it is");
  } else {
    return err("unknown filter parameter");
  }
  return std::nullopt;
}

// `cursor` empty: none given.
std::optional<FilterError> finish(const std::string& cursor, AlertListQuery* q) {
  if (!cursor.empty()) {
    constexpr const char* kDetail = "pass next_cursor from the previous page (of the same kind) as it is";
    if (q->group) {
      q->group_cursor = decode_group_cursor(cursor);
      if (!q->group_cursor) return FilterError{"cursor", kDetail};
    } else {
      auto c = decode_alert_cursor(cursor);
      if (!c) return FilterError{"cursor", kDetail};
      q->cursor = *c;
    }
  }
  const AlertFilter& f = q->filter;
  if (f.from_us && f.to_us && *f.from_us > *f.to_us) return FilterError{"from", "from must not be after to"};
  return std::nullopt;
}

}  // namespace

std::optional<FilterError> parse_alert_query(const std::vector<std::pair<std::string, std::string>>& params,
                                             AlertListQuery* out, const std::vector<std::string>& extra) {
  *out = {};
  // Names in first-seen order, with every value given for each.
  std::vector<std::pair<std::string, std::vector<std::string>>> by_name;
  std::string cursor;
  for (const auto& [k, v] : params) {
    if (std::find(extra.begin(), extra.end(), k) != extra.end()) continue;
    auto it =
        std::find_if(by_name.begin(), by_name.end(), [&name = k](const auto& p) { return p.first == name; });
    if (it == by_name.end()) {
      by_name.push_back({k, {v}});
    } else {
      it->second.push_back(v);
    }
    if (k == "cursor") cursor = v;
  }
  for (const auto& [k, vs] : by_name) {
    // An empty value is "no filter" (a form's blank field), except where it is the only value of a list.
    if (vs.size() == 1 && vs[0].empty()) continue;
    if (auto e = apply(k, vs, out)) return e;
  }
  return finish(cursor, out);
}

std::optional<FilterError> parse_alert_filter_json(const json& obj, AlertFilter* out) {
  *out = {};
  if (!obj.is_object()) return FilterError{"filter", "a JSON object of filter names"};
  AlertListQuery q;
  for (const auto& [k, v] : obj.items()) {
    if (k == "cursor" || k == "limit" || k == "group" || k == "window")
      return FilterError{k, "a filter selects alerts; paging and grouping do not apply here"};
    std::vector<std::string> values;
    auto add = [&](const json& x) -> bool {
      if (x.is_string()) {
        values.push_back(x.get<std::string>());
      } else if (x.is_number_integer()) {
        values.push_back(std::to_string(x.get<int64_t>()));
      } else {
        return false;
      }
      return true;
    };
    bool ok = true;
    if (v.is_array()) {
      for (const auto& x : v) ok = ok && add(x);
      if (v.empty()) ok = false;
    } else {
      ok = add(v);
    }
    if (!ok) return FilterError{k, "a string or number, or a non-empty array of them"};
    // An array is a list: join it so single-valued names still see one value.
    std::string joined;
    for (size_t i = 0; i < values.size(); ++i) joined += (i ? "," : "") + values[i];
    if (auto e = apply(k, {joined}, &q)) return e;
  }
  if (auto e = finish("", &q)) return e;
  *out = std::move(q.filter);
  return std::nullopt;
}

}  // namespace vigil::collector
