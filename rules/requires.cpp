#include "rules/requires.h"

#include <cctype>
#include <vector>

namespace vigil::rules {

namespace {

std::string_view trim_ws(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

void skip_ws(std::string_view& s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
}

// "8", "8.0", "8.0.1" -> {8,0,0}, ... False when malformed.
bool parse_version(std::string_view& s, int out[3]) {
  out[0] = out[1] = out[2] = 0;
  for (int part = 0; part < 3; ++part) {
    if (s.empty() || !std::isdigit(static_cast<unsigned char>(s.front()))) return false;
    int v = 0;
    while (!s.empty() && std::isdigit(static_cast<unsigned char>(s.front()))) {
      v = v * 10 + (s.front() - '0');
      if (v > 1000000) return false;
      s.remove_prefix(1);
    }
    out[part] = v;
    if (s.empty() || s.front() != '.') return true;
    s.remove_prefix(1);
  }
  return !s.empty() && std::isdigit(static_cast<unsigned char>(s.front())) ? false : true;
}

int compare(const int a[3], const int b[3]) {
  for (int i = 0; i < 3; ++i)
    if (a[i] != b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

// One alternative: "OP VER [OP VER ...]". Sets *holds; false on syntax error.
bool eval_alternative(std::string_view s, bool* holds) {
  *holds = true;
  skip_ws(s);
  if (s.empty()) return false;
  while (!s.empty()) {
    std::string_view op;
    for (std::string_view cand : {"<=", ">=", "<", ">", "="}) {
      if (s.substr(0, cand.size()) == cand) {
        op = cand;
        break;
      }
    }
    if (op.empty()) return false;
    s.remove_prefix(op.size());
    skip_ws(s);
    int v[3];
    if (!parse_version(s, v)) return false;
    int c = compare(kRequiresVersion, v);
    bool ok = op == "<=" ? c <= 0 : op == ">=" ? c >= 0 : op == "<" ? c < 0 : op == ">" ? c > 0 : c == 0;
    if (!ok) *holds = false;
    skip_ws(s);
  }
  return true;
}

bool has_feature(std::string_view f) {
  return f == "ja3" || f == "ja4";
}

}  // namespace

RequiresCheck check_requires(std::string_view value) {
  RequiresCheck out;
  value = trim_ws(value);
  if (value.empty()) {
    out.invalid = true;
    out.why = "requires needs a value";
    return out;
  }
  size_t start = 0;
  while (start <= value.size()) {
    size_t comma = value.find(',', start);
    std::string_view item = trim_ws(
        value.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    start = comma == std::string_view::npos ? value.size() + 1 : comma + 1;
    size_t sp = item.find_first_of(" \t");
    std::string_view kind = item.substr(0, sp);
    std::string_view arg = sp == std::string_view::npos ? std::string_view{} : trim_ws(item.substr(sp));
    if (kind.empty() || arg.empty()) {
      out.invalid = true;
      out.why = "invalid requirement '" + std::string(item) + "'";
      return out;
    }
    bool holds = true;
    if (kind == "version") {
      bool any = false;
      size_t a = 0;
      while (a <= arg.size()) {
        size_t bar = arg.find('|', a);
        std::string_view alt =
            arg.substr(a, bar == std::string_view::npos ? std::string_view::npos : bar - a);
        a = bar == std::string_view::npos ? arg.size() + 1 : bar + 1;
        bool h = false;
        if (!eval_alternative(alt, &h)) {
          out.invalid = true;
          out.why = "invalid version requirement '" + std::string(arg) + "'";
          return out;
        }
        any = any || h;
      }
      holds = any;
    } else if (kind == "feature") {
      holds = has_feature(arg);
    } else {
      holds = false;  // a requirement this engine does not know
    }
    if (!holds && out.met) {
      out.met = false;
      out.why = std::string(kind) + " " + std::string(arg);
    }
  }
  return out;
}

}  // namespace vigil::rules
