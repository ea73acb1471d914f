#include "collector/http/message.h"

namespace vigil::collector {
namespace {

int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool decode(std::string_view in, bool plus_is_space, std::string* out) {
  out->clear();
  out->reserve(in.size());
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_val(in[i + 1]), lo = hex_val(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      out->push_back(static_cast<char>(hi * 16 + lo));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out->push_back(' ');
    } else {
      out->push_back(c);
    }
  }
  return true;
}

}  // namespace

const std::string* RequestHead::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return &v;
  return nullptr;
}

const std::string* RequestHead::param(std::string_view name) const {
  for (const auto& [k, v] : query)
    if (k == name) return &v;
  return nullptr;
}

Response Response::json(int status, const nlohmann::json& body) {
  Response r;
  r.status = status;
  // Replacement, not an exception, for invalid UTF-8 (stored EVE text is the agent's).
  r.body = body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return r;
}

Response Response::error(int status, std::string_view reason, std::string_view detail) {
  nlohmann::json j{{"error", reason}};
  if (!detail.empty()) j["detail"] = detail;
  return json(status, j);
}

bool parse_target(std::string_view target, std::string* path,
                  std::vector<std::pair<std::string, std::string>>* query) {
  query->clear();
  size_t q = target.find('?');
  std::string_view p = target.substr(0, q);
  if (p.empty() || p.front() != '/') return false;
  if (!decode(p, false, path)) return false;
  if (q == std::string_view::npos) return true;
  std::string_view rest = target.substr(q + 1);
  size_t frag = rest.find('#');
  if (frag != std::string_view::npos) rest = rest.substr(0, frag);
  while (!rest.empty()) {
    size_t amp = rest.find('&');
    std::string_view kv = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    std::string k, v;
    if (!decode(kv.substr(0, eq), true, &k)) return false;
    if (eq != std::string_view::npos && !decode(kv.substr(eq + 1), true, &v)) return false;
    query->emplace_back(std::move(k), std::move(v));
  }
  return true;
}

}  // namespace vigil::collector
