#include "collector/forward/format.h"

#include <ctime>

#include "common/time.h"

namespace vigil::collector::forward {
namespace {

using nlohmann::json;

int severity_of(const json& a) {
  auto al = a.find("alert");
  if (al == a.end() || !al->is_object()) return 3;
  auto s = al->find("severity");
  return s != al->end() && s->is_number_integer() ? s->get<int>() : 3;
}

std::string str(const json& a, const char* k) {
  auto it = a.find(k);
  if (it == a.end()) return "";
  if (it->is_string()) return it->get<std::string>();
  if (it->is_number()) return it->dump();
  return "";
}

std::string alert_str(const json& a, const char* k) {
  auto al = a.find("alert");
  return al != a.end() && al->is_object() ? str(*al, k) : "";
}

std::optional<int64_t> time_us(const json& a) {
  std::string t = str(a, "timestamp");
  return t.empty() ? std::nullopt : parse_eve_time_us(t);
}

std::string rfc3339_utc(int64_t us) {
  time_t s = static_cast<time_t>(us / 1000000);
  int64_t frac = us % 1000000;
  if (frac < 0) frac += 1000000, --s;
  struct tm tm {};
  gmtime_r(&s, &tm);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(frac));
  return buf;
}

// RFC 5424 HOSTNAME: PRINTUSASCII (33..126), 1..255 characters, "-" when none.
std::string header_token(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) {
    if (out.size() == max) break;
    auto u = static_cast<unsigned char>(c);
    out += u >= 33 && u <= 126 ? c : '_';
  }
  return out.empty() ? "-" : out;
}

}  // namespace

int syslog_severity(int s) {
  switch (s) {
    case 1:
      return 2;
    case 2:
      return 3;
    case 3:
      return 4;
    default:
      return 5;
  }
}

int cef_severity(int s) {
  switch (s) {
    case 1:
      return 10;
    case 2:
      return 7;
    case 3:
      return 5;
    default:
      return 3;
  }
}

std::string rfc5424(const json& alert, int facility, std::string_view msg, int64_t now_us) {
  int pri = facility * 8 + syslog_severity(severity_of(alert));
  std::string out = "<" + std::to_string(pri) + ">1 ";
  out += rfc3339_utc(time_us(alert).value_or(now_us));
  out += ' ';
  out += header_token(str(alert, "agent_hostname"), 255);
  out += " vigil - alert - ";
  out += msg;
  return out;
}

std::string octet_counted(std::string_view msg) {
  std::string out = std::to_string(msg.size());
  out += ' ';
  out += msg;
  return out;
}

std::string cef_escape_header(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '|') out += '\\';
    out += c == '\n' || c == '\r' ? ' ' : c;
  }
  return out;
}

std::string cef_escape_extension(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '\\' || c == '=') {
      out += '\\';
      out += c;
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out += c;
    }
  }
  return out;
}

std::string cef(const json& a) {
  std::string out = "CEF:0|Vigil|vigil-collector|";
  out += cef_escape_header(kCollectorVersion);
  out += '|';
  out += cef_escape_header(alert_str(a, "signature_id"));
  out += '|';
  out += cef_escape_header(alert_str(a, "signature"));
  out += '|';
  out += std::to_string(cef_severity(severity_of(a)));
  out += '|';
  std::string ext;
  auto put = [&](const char* key, const std::string& v) {
    if (v.empty()) return;
    if (!ext.empty()) ext += ' ';
    ext += key;
    ext += '=';
    ext += cef_escape_extension(v);
  };
  put("src", str(a, "src_ip"));
  put("spt", str(a, "src_port"));
  put("dst", str(a, "dest_ip"));
  put("dpt", str(a, "dest_port"));
  put("proto", str(a, "proto"));
  if (auto t = time_us(a)) put("rt", std::to_string(*t / 1000));
  put("act", alert_str(a, "action"));
  std::string cat = alert_str(a, "category");
  if (!cat.empty()) {
    put("cs1Label", "category");
    put("cs1", cat);
  }
  put("cs2Label", "gid:sid:rev");
  put("cs2", alert_str(a, "gid") + ":" + alert_str(a, "signature_id") + ":" + alert_str(a, "rev"));
  put("app", str(a, "app_proto"));
  put("cs3Label", "agent");
  put("cs3", str(a, "agent_id"));
  put("dvchost", str(a, "agent_hostname"));
  put("externalId", str(a, "flow_id"));
  out += ext;
  return out;
}

}  // namespace vigil::collector::forward
