#include "agent/app/http_util.h"

#include <cctype>
#include <vector>

#include "common/encoding.h"

namespace vigil::http {
std::string_view trim(std::string_view s) {
  // Any control byte or space counts: servers and evasions put CR, FF, VT or
  // NUL around values, and the client they target ignores them.
  while (!s.empty() && static_cast<unsigned char>(s.front()) <= 0x20) s.remove_prefix(1);
  while (!s.empty() && static_cast<unsigned char>(s.back()) <= 0x20) s.remove_suffix(1);
  return s;
}

bool next_line(std::string_view buf, size_t pos, size_t* line_end, size_t* next) {
  size_t i = buf.find('\n', pos);
  if (i == std::string_view::npos) return false;
  *line_end = (i > pos && buf[i - 1] == '\r') ? i - 1 : i;
  size_t n = i + 1;
  // A bare LF followed by CR ("\n\r") is one line end (but "\n\r\n" is a line
  // end, then an empty line).
  bool bare_lf = *line_end == i;
  if (bare_lf && n < buf.size() && buf[n] == '\r' && (n + 1 >= buf.size() || buf[n + 1] != '\n')) {
    if (n + 1 >= buf.size()) return false;  // cannot tell yet
    ++n;
  }
  *next = n;
  return true;
}

std::string_view trim_sp(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

bool is_chunked(std::string_view te) {
  while (true) {
    size_t c = te.find(',');
    if (iequals(trim_sp(te.substr(0, c)), "chunked")) return true;
    if (c == std::string_view::npos) return false;
    te.remove_prefix(c + 1);
  }
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

bool has_token(std::string_view v, std::string_view token) {
  while (!v.empty()) {
    size_t c = v.find(',');
    auto item = trim(v.substr(0, c));
    size_t semi = item.find(';');
    if (iequals(trim(item.substr(0, semi)), token)) return true;
    if (c == std::string_view::npos) break;
    v.remove_prefix(c + 1);
  }
  return false;
}

std::optional<uint64_t> parse_content_length(std::string_view v) {
  v = trim(v);
  if (v.empty() || v.size() > 18) return std::nullopt;
  uint64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

std::optional<uint64_t> parse_content_length_list(std::string_view v, bool* conflict) {
  *conflict = false;
  std::optional<uint64_t> first;
  while (true) {
    size_t c = v.find(',');
    auto n = parse_content_length(v.substr(0, c));
    if (!n) return std::nullopt;
    if (!first) {
      first = n;
    } else if (*n != *first) {
      *conflict = true;
    }
    if (c == std::string_view::npos) return first;
    v.remove_prefix(c + 1);
  }
}

std::string_view uri_authority(std::string_view raw) {
  size_t p = raw.find("://");
  if (p == std::string_view::npos || p == 0 || raw.front() == '/') return {};
  for (size_t i = 0; i < p; ++i) {
    if (!std::isalpha(static_cast<unsigned char>(raw[i])) && raw[i] != '+' && raw[i] != '-' && raw[i] != '.')
      return {};
  }
  auto rest = raw.substr(p + 3);
  size_t end = rest.find_first_of("/?#");
  auto auth = rest.substr(0, end);
  size_t at = auth.rfind('@');
  if (at != std::string_view::npos) auth.remove_prefix(at + 1);
  return auth;
}

std::string normalize_uri(std::string_view raw) {
  std::string_view target = raw;
  if (!raw.empty() && raw.front() != '/') {
    size_t p = raw.find("://");
    if (p != std::string_view::npos) {
      auto rest = raw.substr(p + 3);
      size_t end = rest.find_first_of("/?#");
      target = end == std::string_view::npos ? std::string_view("/") : rest.substr(end);
    }
  }
  size_t q = target.find('?');
  auto path = target.substr(0, q);
  auto query = q == std::string_view::npos ? std::string_view() : target.substr(q);

  std::string dec;
  dec.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '%' && i + 2 < path.size()) {
      int h = hexval(path[i + 1]), l = hexval(path[i + 2]);
      if (h >= 0 && l >= 0) {
        dec.push_back(static_cast<char>(h * 16 + l));
        i += 2;
        continue;
      }
    }
    dec.push_back(path[i]);
  }
  // Remove dot segments and empty segments (RFC 3986 5.2.4, plus "//").
  bool absolute = !dec.empty() && dec.front() == '/';
  bool trailing = dec.size() > 1 && dec.back() == '/';
  std::vector<std::string_view> segs;
  std::string_view rest = dec;
  while (!rest.empty()) {
    size_t s = rest.find('/');
    auto seg = rest.substr(0, s);
    if (seg == "..") {
      if (!segs.empty()) segs.pop_back();
      trailing = true;
    } else if (seg == ".") {
      trailing = true;
    } else if (!seg.empty()) {
      segs.push_back(seg);
      trailing = false;
    }
    if (s == std::string_view::npos) break;
    rest.remove_prefix(s + 1);
    if (rest.empty()) trailing = true;
  }
  std::string out;
  out.reserve(dec.size() + query.size() + 1);
  if (absolute) out.push_back('/');
  for (size_t i = 0; i < segs.size(); ++i) {
    if (i) out.push_back('/');
    out.append(segs[i]);
  }
  if (trailing && !segs.empty()) out.push_back('/');
  out.append(query);
  return out;
}

std::string normalize_host(std::string_view raw, std::optional<uint16_t>* port) {
  auto h = trim(raw);
  std::string_view name = h;
  std::string_view p;
  if (!h.empty() && h.front() == '[') {
    size_t e = h.find(']');
    if (e != std::string_view::npos) {
      name = h.substr(0, e + 1);
      if (e + 1 < h.size() && h[e + 1] == ':') p = h.substr(e + 2);
    }
  } else {
    size_t c = h.rfind(':');
    if (c != std::string_view::npos && h.find(':') == c) {
      name = h.substr(0, c);
      p = h.substr(c + 1);
    }
  }
  if (port != nullptr) {
    port->reset();
    if (!p.empty() && p.size() <= 5) {
      uint32_t v = 0;
      bool ok = true;
      for (char c : p) {
        if (c < '0' || c > '9') ok = false;
        v = v * 10 + static_cast<uint32_t>(c - '0');
      }
      if (ok && v <= 65535) *port = static_cast<uint16_t>(v);
    }
  }
  while (!name.empty() && name.back() == '.') name.remove_suffix(1);
  std::string out(name);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace vigil::http
