#include "common/config_text.h"

#include <cctype>

namespace vigil::config {

namespace {

bool parse_uint_prefix(const std::string& s, size_t* used, uint64_t* out) {
  size_t i = 0;
  uint64_t v = 0;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    uint64_t d = uint64_t(s[i] - '0');
    if (v > (UINT64_MAX - d) / 10) return false;
    v = v * 10 + d;
    ++i;
  }
  if (i == 0) return false;
  *used = i;
  *out = v;
  return true;
}

std::string out_of_range(const KeySpec& k, const std::string& got) {
  return "expected " + range_text(k) + ", got " + quote(got);
}

}  // namespace

bool valid_utf8(const std::string& s) {
  size_t i = 0;
  while (i < s.size()) {
    const unsigned char c = static_cast<unsigned char>(s[i]);
    size_t n = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // the range of the second byte
    if (c < 0x80) {
      n = 0;
    } else if (c >= 0xc2 && c <= 0xdf) {
      n = 1;
    } else if (c >= 0xe0 && c <= 0xef) {
      n = 2;
      if (c == 0xe0) lo = 0xa0;  // overlong
      if (c == 0xed) hi = 0x9f;  // surrogates
    } else if (c >= 0xf0 && c <= 0xf4) {
      n = 3;
      if (c == 0xf0) lo = 0x90;  // overlong
      if (c == 0xf4) hi = 0x8f;  // beyond U+10FFFF
    } else {
      return false;
    }
    for (size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size()) return false;
      const unsigned char b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b >> 6) != 0x2) return false;
    }
    i += n + 1;
  }
  return true;
}

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string describe(const YAML::Node& n) {
  switch (n.Type()) {
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      return "nothing";
    case YAML::NodeType::Scalar: {
      std::string s = n.Scalar();
      if (s.size() > 60) s = s.substr(0, 57) + "...";
      return "'" + s + "'";
    }
  }
  return "?";
}

std::string quote(const std::string& s) {
  std::string t = s.size() > 60 ? s.substr(0, 57) + "..." : s;
  return "'" + t + "'";
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '.') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string range_text(const KeySpec& k) {
  auto fmt = [&](int64_t v) {
    if (k.kind == Kind::kSize) return format_size(v);
    if (k.kind == Kind::kDuration) return format_duration(v, k.unit);
    return std::to_string(v);
  };
  if (k.min == INT64_MIN && k.max == INT64_MAX) return "";
  if (k.max == INT64_MAX) return "at least " + fmt(k.min);
  if (k.min == INT64_MIN) return "at most " + fmt(k.max);
  return "from " + fmt(k.min) + " to " + fmt(k.max);
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (size_t i = 0; i < v.size(); ++i) out += (i ? sep : "") + v[i];
  return out;
}

// Converts one scalar-kind value (not kList/kPorts/kMap/kRecords) into *out.
std::string convert_scalar(const KeySpec& k, const YAML::Node& n, Value* out) {
  if (k.kind == Kind::kString && (n.IsNull() || !n.IsDefined())) {
    out->s.clear();
    return "";
  }
  if (!n.IsScalar()) {
    static const char* const kWhat[] = {"true or false", "an integer",     "a size", "a duration",
                                        "a string",      "one of choices", "a list", "a port group",
                                        "a map",         "a list"};
    std::string what = kWhat[size_t(k.kind)];
    if (k.kind == Kind::kEnum) what = "one of " + join(k.choices, ", ");
    return "expected " + what + ", got " + describe(n);
  }
  const std::string text = trim(n.Scalar());
  switch (k.kind) {
    case Kind::kBool: {
      std::string t = lower(text);
      if (t == "true" || t == "yes" || t == "on") {
        out->b = true;
      } else if (t == "false" || t == "no" || t == "off") {
        out->b = false;
      } else {
        return "expected true or false, got " + quote(text);
      }
      return "";
    }
    case Kind::kInt: {
      int64_t v = 0;
      if (!parse_int_text(text, &v)) return "expected an integer, got " + quote(text);
      if (v < k.min || v > k.max) return out_of_range(k, text);
      out->i = v;
      return "";
    }
    case Kind::kSize: {
      size_t used = 0;
      uint64_t v = 0;
      const std::string bad = "expected a size (bytes, or a number with kb, mb or gb), got " + quote(text);
      if (!parse_uint_prefix(text, &used, &v)) return bad;
      std::string unit = lower(trim(text.substr(used)));
      uint64_t mul = 1;
      if (unit.empty() || unit == "b") {
        mul = 1;
      } else if (unit == "k" || unit == "kb" || unit == "kib") {
        mul = 1024;
      } else if (unit == "m" || unit == "mb" || unit == "mib") {
        mul = 1024 * 1024;
      } else if (unit == "g" || unit == "gb" || unit == "gib") {
        mul = 1024ull * 1024 * 1024;
      } else {
        return bad;
      }
      if (v > uint64_t(INT64_MAX) / mul) return out_of_range(k, text);
      int64_t bytes = int64_t(v * mul);
      if (bytes < k.min || bytes > k.max) return out_of_range(k, text);
      out->i = bytes;
      return "";
    }
    case Kind::kDuration: {
      size_t used = 0;
      uint64_t v = 0;
      const std::string bad = "expected a duration like 30s, 5m or 500ms, got " + quote(text);
      if (!parse_uint_prefix(text, &used, &v)) return bad;
      std::string unit = lower(trim(text.substr(used)));
      uint64_t ms_per = 0;  // of the given unit
      if (unit.empty()) {
        ms_per = k.unit == DurationUnit::kSeconds ? 1000 : 1;
      } else if (unit == "ms") {
        ms_per = 1;
      } else if (unit == "s") {
        ms_per = 1000;
      } else if (unit == "m" || unit == "min") {
        ms_per = 60000;
      } else if (unit == "h") {
        ms_per = 3600000;
      } else if (unit == "d") {
        ms_per = 86400000;
      } else {
        return bad;
      }
      if (v > uint64_t(INT64_MAX) / ms_per) return out_of_range(k, text);
      uint64_t ms = v * ms_per;
      int64_t val = int64_t(ms);
      if (k.unit == DurationUnit::kSeconds) {
        if (ms % 1000 != 0) return "expected a whole number of seconds, got " + quote(text);
        val = int64_t(ms / 1000);
      }
      if (val < k.min || val > k.max) return out_of_range(k, text);
      out->i = val;
      return "";
    }
    case Kind::kString:
      if (!valid_utf8(n.Scalar())) return "expected UTF-8 text, got other bytes";
      out->s = n.Scalar();
      return "";
    case Kind::kEnum: {
      std::string t = lower(text);
      for (const auto& c : k.choices) {
        if (t == c) {
          out->s = c;
          return "";
        }
      }
      if (auto it = k.aliases.find(t); it != k.aliases.end()) {
        out->s = it->second;
        return "";
      }
      return "expected one of " + join(k.choices, ", ") + ", got " + quote(text);
    }
    default:
      return "not a scalar kind";
  }
}

// The canonical text of a scalar-kind value (what a record field holds).
std::string canonical(const KeySpec& k, const Value& v) {
  switch (k.kind) {
    case Kind::kBool:
      return v.b ? "true" : "false";
    case Kind::kInt:
    case Kind::kSize:
    case Kind::kDuration:
      return std::to_string(v.i);
    default:
      return v.s;
  }
}

std::string yaml_scalar(const std::string& s) {
  YAML::Emitter e;
  e << YAML::DoubleQuoted << s;
  // Plain when it reads back as the same string and does not look like something else.
  bool plain = !s.empty();
  for (char c : s) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) {
      plain = false;
    }
  }
  return plain ? s : std::string(e.c_str());
}

// ---------------------------------------------------------------- conversions

bool parse_int_text(const std::string& text, int64_t* out) {
  std::string t = trim(text);
  if (t.empty()) return false;
  bool neg = t[0] == '-';
  if (t[0] == '-' || t[0] == '+') t = t.substr(1);
  size_t used = 0;
  uint64_t v = 0;
  if (!parse_uint_prefix(t, &used, &v) || used != t.size()) return false;
  if (v > uint64_t(INT64_MAX)) return false;
  *out = neg ? -int64_t(v) : int64_t(v);
  return true;
}

std::string format_size(int64_t bytes) {
  struct U {
    int64_t mul;
    const char* name;
  };
  for (U u : {U{1024ll * 1024 * 1024, "gb"}, U{1024 * 1024, "mb"}, U{1024, "kb"}}) {
    if (bytes != 0 && bytes % u.mul == 0) return std::to_string(bytes / u.mul) + u.name;
  }
  return std::to_string(bytes);
}

std::string format_duration(int64_t v, DurationUnit unit) {
  int64_t ms = unit == DurationUnit::kSeconds ? v * 1000 : v;
  struct U {
    int64_t ms;
    const char* name;
  };
  for (U u : {U{86400000, "d"}, U{3600000, "h"}, U{60000, "m"}, U{1000, "s"}}) {
    if (ms != 0 && ms % u.ms == 0) return std::to_string(ms / u.ms) + u.name;
  }
  return unit == DurationUnit::kSeconds ? std::to_string(v) + "s" : std::to_string(ms) + "ms";
}

}  // namespace vigil::config
