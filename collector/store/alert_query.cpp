#include "collector/store/alert_query.h"

#include <arpa/inet.h>

#include <cstring>

namespace vigil::collector {

using nlohmann::json;

std::optional<Ip16> ip16(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buf[46];
  std::memcpy(buf, text.data(), text.size());
  buf[text.size()] = '\0';
  Ip16 out{};
  in_addr v4;
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    out[10] = out[11] = 0xff;
    std::memcpy(out.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6;
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(out.data(), &v6, 16);
    return out;
  }
  return std::nullopt;
}

bool AlertFilter::empty() const {
  return !from_us && !to_us && severities.empty() && sids.empty() && !signature && !category && !agent_id &&
         !src_ip && !dest_ip && !port && !src_port && !dest_port && !proto && !app_proto &&
         statuses.empty() && !assignee && !q;
}

namespace {

// Cursors are hex of a small JSON array: opaque to clients, easy to check.
std::string to_hex(const std::string& s) {
  static const char* d = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out.push_back(d[c >> 4]);
    out.push_back(d[c & 15]);
  }
  return out;
}

std::optional<json> from_hex(std::string_view h) {
  if (h.empty() || h.size() % 2 != 0 || h.size() > 1024) return std::nullopt;
  std::string s;
  for (size_t i = 0; i < h.size(); i += 2) {
    int v = 0;
    for (char c : h.substr(i, 2)) {
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else
        return std::nullopt;
    }
    s.push_back(static_cast<char>(v));
  }
  json j = json::parse(s, nullptr, false);
  if (j.is_discarded() || !j.is_array()) return std::nullopt;
  return j;
}

}  // namespace

std::string encode_cursor(const AlertCursor& c) {
  return to_hex(json::array({c.ts_us, c.id}).dump());
}

std::optional<AlertCursor> decode_alert_cursor(std::string_view s) {
  auto j = from_hex(s);
  if (!j || j->size() != 2 || !(*j)[0].is_number_integer() || !(*j)[1].is_number_integer())
    return std::nullopt;
  return AlertCursor{(*j)[0].get<int64_t>(), (*j)[1].get<int64_t>()};
}

std::string encode_cursor(const GroupCursor& c) {
  return to_hex(json::array({"g", c.bucket, c.sid, c.src, c.dest}).dump());
}

std::optional<GroupCursor> decode_group_cursor(std::string_view s) {
  auto j = from_hex(s);
  if (!j || j->size() != 5 || (*j)[0] != "g" || !(*j)[1].is_number_integer() ||
      !(*j)[2].is_number_integer() || !(*j)[3].is_string() || !(*j)[4].is_string())
    return std::nullopt;
  return GroupCursor{(*j)[1].get<int64_t>(), (*j)[2].get<int64_t>(), (*j)[3].get<std::string>(),
                     (*j)[4].get<std::string>()};
}

}  // namespace vigil::collector
