#include "common/config_schema.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace vigil::config {

namespace {

constexpr const char* kDefaultOrigin = "default";

std::string lower(std::string s) {
  for (auto& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string where_of(const std::string& name, const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.is_null() || m.line < 0) return name;
  return name + ":" + std::to_string(m.line + 1);
}

// The line of `n`, or of `fallback` (its key) when `n` has none (an empty value).
std::string where_of(const std::string& name, const YAML::Node& n, const YAML::Node& fallback) {
  const YAML::Mark m = n.Mark();
  return m.is_null() || m.line < 0 ? where_of(name, fallback) : where_of(name, n);
}

// "a list", "a map", "nothing", "'text'" (cut short).
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

size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string closest_of(const std::string& path, const std::vector<std::string>& candidates) {
  auto last = [](const std::string& p) {
    size_t d = p.rfind('.');
    return d == std::string::npos ? p : p.substr(d + 1);
  };
  // The same last name elsewhere (suricata.yaml's top-level classification-file
  // is our detect.classification-file), else the nearest spelling.
  std::string best;
  size_t best_d = SIZE_MAX;
  for (const auto& c : candidates) {
    if (c != path && last(c) == last(path)) {
      size_t d = edit_distance(path, c);
      if (d < best_d) best = c, best_d = d;
    }
  }
  if (!best.empty()) return best;
  size_t limit = std::max<size_t>(2, path.size() / 5);
  for (const auto& c : candidates) {
    size_t d = edit_distance(path, c);
    if (d < best_d) best = c, best_d = d;
  }
  return best_d <= limit ? best : "";
}

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

std::string out_of_range(const KeySpec& k, const std::string& got) {
  return "expected " + range_text(k) + ", got " + quote(got);
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

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  std::stringstream ss(text);
  while (std::getline(ss, cur, ',')) {
    cur = trim(cur);
    if (!cur.empty()) out.push_back(cur);
  }
  return out;
}

// Whether `k` as given by --set may be written as one scalar text.
bool settable(Kind k) {
  return k != Kind::kMap && k != Kind::kRecords;
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

std::string cell(std::string s) {
  std::string out;
  for (char c : s) {
    if (c == '|')
      out += "\\|";
    else if (c == '\n')
      out += ' ';
    else
      out += c;
  }
  return out;
}

// Wraps `text` as "# " comment lines at `indent`.
void comment(std::ostringstream& o, const std::string& indent, const std::string& text) {
  std::istringstream words(text);
  std::string w, line;
  while (words >> w) {
    if (!line.empty() && indent.size() + 2 + line.size() + 1 + w.size() > 100) {
      o << indent << "# " << line << "\n";
      line.clear();
    }
    line += (line.empty() ? "" : " ") + w;
  }
  if (!line.empty()) o << indent << "# " << line << "\n";
}

}  // namespace

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

// ---------------------------------------------------------------- values

const Value& ValueSet::at(const std::string& key) const {
  auto it = values_.find(key);
  if (it == values_.end()) {
    std::fprintf(stderr, "configuration table: no key '%s'\n", key.c_str());
    std::abort();
  }
  return it->second;
}

bool LoadResult::ok() const {
  return std::none_of(diagnostics.begin(), diagnostics.end(), [](const Diagnostic& d) { return d.error; });
}

std::string LoadResult::errors() const {
  std::string out;
  for (const auto& d : diagnostics) {
    if (d.error) out += (out.empty() ? "" : "\n") + d.text();
  }
  return out;
}

// ---------------------------------------------------------------- loading

struct Schema::State {
  LoadResult r;
  std::string file;                           // messages name it
  std::map<std::string, std::string> origin;  // key (map entries: key.NAME) -> where it was set
  void error(const std::string& where, const std::string& key, const std::string& reason) {
    r.diagnostics.push_back({true, where, key, reason});
  }
  void warn(const std::string& where, const std::string& key, const std::string& reason) {
    r.diagnostics.push_back({false, where, key, reason});
  }
};

namespace {

// Converts `n` for key `k` (any kind) into *out, which holds the current
// value (maps merge into it). Errors go to `err(key, reason, node)`.
template <class Err, class Warn>
void convert(const KeySpec& k, const std::string& key, const YAML::Node& n, Value* out, Err err, Warn warn,
             std::map<std::string, std::string>* origin, const std::string& file) {
  switch (k.kind) {
    case Kind::kList: {
      std::vector<std::string> items;
      if (n.IsNull()) {
      } else if (n.IsScalar()) {
        items = split_list(n.Scalar());
      } else if (n.IsSequence()) {
        for (const auto& e : n) {
          if (!e.IsScalar()) return err(key, "expected a list of strings, got " + describe(e) + " in it", e);
          items.push_back(e.Scalar());
        }
      } else {
        return err(key, "expected a list of strings, got " + describe(n), n);
      }
      out->list = items;
      return;
    }
    case Kind::kPorts: {
      if (n.IsScalar()) {
        out->s = trim(n.Scalar());
      } else if (n.IsSequence()) {
        std::vector<std::string> items;
        for (const auto& e : n) {
          if (!e.IsScalar())
            return err(key, "expected a port or a list of ports, got " + describe(e) + " in it", e);
          items.push_back(trim(e.Scalar()));
        }
        out->s = "[" + join(items, ",") + "]";
      } else {
        return err(key, "expected a port or a list of ports, got " + describe(n), n);
      }
      return;
    }
    case Kind::kMap: {
      if (n.IsNull()) return;
      if (!n.IsMap()) return err(key, "expected a map of NAME: value, got " + describe(n), n);
      for (auto it = n.begin(); it != n.end(); ++it) {
        if (!it->first.IsScalar())
          return err(key, "expected names as keys, got " + describe(it->first), it->first);
        std::string name = it->first.Scalar();
        if (!it->second.IsScalar()) {
          err(key + "." + name, "expected a string, got " + describe(it->second), it->second);
          continue;
        }
        out->map[name] = it->second.Scalar();
        if (origin) (*origin)[key + "." + name] = where_of(file, it->first);
      }
      return;
    }
    case Kind::kRecords: {
      if (n.IsNull()) {
        out->records.clear();
        return;
      }
      if (!n.IsSequence()) return err(key, "expected a list of entries, got " + describe(n), n);
      std::vector<std::map<std::string, std::string>> recs;
      size_t idx = 0;
      std::vector<std::string> field_names;
      for (const auto& f : k.fields) field_names.push_back(f.key);
      for (const auto& e : n) {
        std::string ekey = key + "[" + std::to_string(idx++) + "]";
        if (!e.IsMap()) {
          err(ekey, "expected an entry with keys " + join(field_names, ", ") + ", got " + describe(e), e);
          continue;
        }
        std::map<std::string, std::string> rec;
        std::set<std::string> given;
        for (auto it = e.begin(); it != e.end(); ++it) {
          if (!it->first.IsScalar()) {
            err(ekey, "expected names as keys, got " + describe(it->first), it->first);
            continue;
          }
          std::string fname = it->first.Scalar();
          auto f = std::find_if(k.fields.begin(), k.fields.end(),
                                [&](const KeySpec& s) { return s.key == fname; });
          if (f == k.fields.end()) {
            std::string near = closest_of(fname, field_names);
            warn(ekey + "." + fname,
                 near.empty() ? "unknown key, ignored" : "unknown key (did you mean " + near + "?)",
                 it->first);
            continue;
          }
          Value v;
          std::string reason = convert_scalar(*f, it->second, &v);
          if (!reason.empty()) {
            err(ekey + "." + fname, reason, it->second);
            continue;
          }
          rec[fname] = canonical(*f, v);
          given.insert(fname);
        }
        bool complete = true;
        for (const auto& f : k.fields) {
          if (given.count(f.key)) continue;
          if (f.required) {
            err(ekey + "." + f.key, "missing (every entry needs one)", e);
            complete = false;
            continue;
          }
          Value v;
          convert_scalar(f, YAML::Load(f.default_yaml.empty() ? "\"\"" : f.default_yaml), &v);
          rec[f.key] = canonical(f, v);
        }
        if (complete) recs.push_back(rec);
      }
      out->records = recs;
      return;
    }
    default: {
      std::string reason = convert_scalar(k, n, out);
      if (!reason.empty()) err(key, reason, n);
      return;
    }
  }
}

}  // namespace

Schema::Schema(std::string program, std::vector<KeySpec> keys,
               std::map<std::string, std::string> section_help, std::map<std::string, std::string> foreign)
    : program_(std::move(program)),
      keys_(std::move(keys)),
      section_help_(std::move(section_help)),
      foreign_(std::move(foreign)) {
  std::set<std::string> seen_sections;
  for (size_t i = 0; i < keys_.size(); ++i) {
    const auto& k = keys_[i];
    if (!index_.emplace(k.key, i).second) table_errors_.push_back(k.key + ": declared twice");
    auto parts = split_path(k.key);
    std::string p;
    for (size_t j = 0; j + 1 < parts.size(); ++j) {
      p += (j ? "." : "") + parts[j];
      if (seen_sections.insert(p).second) sections_.push_back(p);
    }
  }
  for (const auto& s : sections_) {
    if (index_.count(s)) table_errors_.push_back(s + ": both a key and a section");
  }
  for (const auto& k : keys_) {
    Value& v = defaults_.slot(k.key);
    try {
      YAML::Node n = YAML::Load(k.default_yaml.empty() ? "\"\"" : k.default_yaml);
      convert(
          k, k.key, n, &v,
          [&](const std::string& key, const std::string& reason, const YAML::Node&) {
            table_errors_.push_back(key + ": default: " + reason);
          },
          [&](const std::string& key, const std::string& reason, const YAML::Node&) {
            table_errors_.push_back(key + ": default: " + reason);
          },
          nullptr, "");
    } catch (const std::exception& e) {
      table_errors_.push_back(k.key + ": default: " + e.what());
    }
  }
  for (const auto& k : keys_) {
    for (const auto& f : k.fields) {
      Value fv;
      std::string reason =
          f.required ? ""
                     : convert_scalar(f, YAML::Load(f.default_yaml.empty() ? "\"\"" : f.default_yaml), &fv);
      if (!reason.empty()) table_errors_.push_back(k.key + "." + f.key + ": default: " + reason);
    }
  }
  State st;
  st.r.values = defaults_;
  validate(st);
  for (const auto& d : st.r.diagnostics) table_errors_.push_back(d.key + ": default: " + d.reason);
}

const KeySpec* Schema::find(const std::string& key) const {
  auto it = index_.find(key);
  return it == index_.end() ? nullptr : &keys_[it->second];
}

bool Schema::is_section(const std::string& path) const {
  return std::find(sections_.begin(), sections_.end(), path) != sections_.end();
}

std::string Schema::closest(const std::string& path) const {
  std::vector<std::string> all = sections_;
  for (const auto& k : keys_) all.push_back(k.key);
  return closest_of(path, all);
}

void Schema::load_map(const YAML::Node& node, const std::string& prefix, State& st) const {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node& kn = it->first;
    const YAML::Node& vn = it->second;
    if (!kn.IsScalar()) {
      st.error(where_of(st.file, kn), prefix.empty() ? "top level" : prefix,
               "expected a key name, got " + describe(kn));
      continue;
    }
    const std::string path = prefix.empty() ? kn.Scalar() : prefix + "." + kn.Scalar();
    if (const KeySpec* k = find(path)) {
      Value v = st.r.values.at(path);
      bool bad = false;
      convert(
          *k, path, vn, &v,
          [&](const std::string& key, const std::string& reason, const YAML::Node& at) {
            st.error(where_of(st.file, at, kn), key, reason);
            bad = true;
          },
          [&](const std::string& key, const std::string& reason, const YAML::Node& at) {
            st.warn(where_of(st.file, at, kn), key, reason);
          },
          &st.origin, st.file);
      if (!bad || k->kind == Kind::kMap) st.r.values.slot(path) = v;  // a map keeps its good entries
      st.origin[path] = where_of(st.file, kn);
    } else if (is_section(path)) {
      if (vn.IsMap()) {
        load_map(vn, path, st);
      } else if (!vn.IsNull()) {
        auto f = foreign_.find(path);
        if (f != foreign_.end()) {
          st.warn(where_of(st.file, kn), path, "ignored: " + f->second);
        } else {
          st.error(where_of(st.file, vn), path, "expected a section of keys, got " + describe(vn));
        }
      }
    } else {
      std::string near = closest(path);
      st.warn(where_of(st.file, kn), path,
              near.empty() ? "unknown key, ignored" : "unknown key (did you mean " + near + "?)");
    }
  }
}

void Schema::load_set(const std::string& assignment, State& st) const {
  const std::string where = "--set";
  size_t eq = assignment.find('=');
  if (eq == std::string::npos || eq == 0) {
    st.error(where, assignment, "expected KEY=VALUE");
    return;
  }
  const std::string path = trim(assignment.substr(0, eq)), text = assignment.substr(eq + 1);
  auto err = [&](const std::string& key, const std::string& reason, const YAML::Node&) {
    st.error(where, key, reason);
  };
  auto warn = [&](const std::string& key, const std::string& reason, const YAML::Node&) {
    st.warn(where, key, reason);
  };
  if (const KeySpec* k = find(path)) {
    if (!settable(k->kind)) {
      st.error(where, path,
               k->kind == Kind::kMap ? "is a map; set one entry: " + path + ".NAME=VALUE"
                                     : "is a list of entries; set it in the configuration file");
      return;
    }
    Value v = st.r.values.at(path);
    bool bad = false;
    convert(
        *k, path, YAML::Node(text), &v,
        [&](const std::string& key, const std::string& reason, const YAML::Node& n) {
          err(key, reason, n);
          bad = true;
        },
        warn, nullptr, where);
    if (!bad) st.r.values.slot(path) = v;
    st.origin[path] = where;
    return;
  }
  // A map entry (vars.address-groups.HOME_NET), or a path through a key that is not a section.
  auto parts = split_path(path);
  std::string p;
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    p += (i ? "." : "") + parts[i];
    const KeySpec* k = find(p);
    if (!k) continue;
    if (k->kind == Kind::kMap && i + 2 == parts.size() && !parts.back().empty()) {
      st.r.values.slot(p).map[parts.back()] = text;
      st.origin[path] = where;
      return;
    }
    st.error(where, path, p + " is a value, not a section");
    return;
  }
  if (is_section(path)) {
    st.error(where, path, "is a section; set one of its keys");
    return;
  }
  std::string near = closest(path);
  st.warn(where, path, near.empty() ? "unknown key, ignored" : "unknown key (did you mean " + near + "?)");
}

void Schema::validate(State& st) const {
  // A default that fails only because of a value the user gave (AIM_SERVERS is
  // "$EXTERNAL_NET", built on a broken HOME_NET) is not reported: the user's
  // value is, at its own line. Defaults on their own are checked with the table.
  std::vector<std::pair<std::string, std::string>> at_defaults;
  bool user_errors = false;
  auto report = [&](const std::string& key, const std::string& reason) {
    auto it = st.origin.find(key);
    if (it != st.origin.end()) {
      st.error(it->second, key, reason);
      user_errors = true;
    } else {
      at_defaults.emplace_back(key, reason);
    }
  };
  for (const auto& k : keys_) {
    const Value& v = st.r.values.at(k.key);
    if (k.validate) {
      std::string reason = k.validate(v, st.r.values);
      if (!reason.empty()) report(k.key, reason);
    }
    if (k.validate_entry) {
      for (const auto& [name, text] : v.map) {
        std::string reason = k.validate_entry(name, text, st.r.values);
        if (!reason.empty()) report(k.key + "." + name, reason);
      }
    }
  }
  if (!user_errors && st.r.ok()) {
    for (const auto& [key, reason] : at_defaults) st.error(kDefaultOrigin, key, reason);
  }
}

LoadResult Schema::load_text(const std::string& name, const std::string& yaml,
                             const std::vector<std::string>& sets) const {
  State st;
  st.file = name;
  st.r.values = defaults_;
  bool unreadable = false;
  try {
    YAML::Node root = YAML::Load(yaml);
    if (root.IsMap()) {
      load_map(root, "", st);
    } else if (!root.IsNull()) {
      st.error(where_of(name, root), "top level", "expected a map of keys, got " + describe(root));
    }
  } catch (const YAML::Exception& e) {
    st.error(e.mark.is_null() ? name : name + ":" + std::to_string(e.mark.line + 1), "yaml", e.msg);
    unreadable = true;
  } catch (const std::exception& e) {
    st.error(name, "yaml", e.what());
    unreadable = true;
  }
  if (unreadable) return std::move(st.r);  // a file that does not parse: nothing of it is used
  for (const auto& s : sets) load_set(s, st);
  validate(st);
  return std::move(st.r);
}

LoadResult Schema::load(const std::string& file, const std::vector<std::string>& sets) const {
  if (file.empty()) return load_text("", "", sets);
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    LoadResult r;
    r.values = defaults_;
    r.diagnostics.push_back({true, file, "file", "cannot be read"});
    return r;
  }
  std::stringstream ss;
  ss << in.rdbuf();
  return load_text(file, ss.str(), sets);
}

// ---------------------------------------------------------------- output

namespace {

// The sections and keys in first-use order, as a tree.
struct Tree {
  std::string name, path;
  const KeySpec* key = nullptr;
  std::vector<Tree> children;
  Tree& child(const std::string& n, const std::string& p) {
    for (auto& c : children) {
      if (c.name == n) return c;
    }
    children.push_back({n, p, nullptr, {}});
    return children.back();
  }
};

Tree build_tree(const std::vector<KeySpec>& keys) {
  Tree root;
  for (const auto& k : keys) {
    Tree* t = &root;
    std::string p;
    for (const auto& part : split_path(k.key)) {
      p += (p.empty() ? "" : ".") + part;
      t = &t->child(part, p);
    }
    t->key = &k;
  }
  return root;
}

std::string scalar_text(const KeySpec& k, const Value& v) {
  switch (k.kind) {
    case Kind::kBool:
      return v.b ? "true" : "false";
    case Kind::kInt:
      return std::to_string(v.i);
    case Kind::kSize:
      return format_size(v.i);
    case Kind::kDuration:
      return format_duration(v.i, k.unit);
    default:
      return yaml_scalar(v.s);
  }
}

std::string field_text(const KeySpec& f, const std::string& canon) {
  if (f.kind == Kind::kBool || f.kind == Kind::kInt) return canon;
  int64_t n = 0;
  if (f.kind == Kind::kSize && parse_int_text(canon, &n)) return format_size(n);
  if (f.kind == Kind::kDuration && parse_int_text(canon, &n)) return format_duration(n, f.unit);
  return yaml_scalar(canon);
}

// One line form, for the docs: `[a, b]`, `{A: x}`.
std::string inline_text(const KeySpec& k, const Value& v) {
  std::vector<std::string> items;
  switch (k.kind) {
    case Kind::kList:
      for (const auto& s : v.list) items.push_back(yaml_scalar(s));
      return "[" + join(items, ", ") + "]";
    case Kind::kMap:
      for (const auto& [n, s] : v.map) items.push_back(n + ": " + yaml_scalar(s));
      return "{" + join(items, ", ") + "}";
    case Kind::kRecords:
      return v.records.empty() ? "[]" : "(" + std::to_string(v.records.size()) + " entries)";
    default:
      return scalar_text(k, v);
  }
}

void dump_value(std::ostringstream& o, const std::string& ind, const KeySpec& k, const Value& v) {
  switch (k.kind) {
    case Kind::kList:
      if (v.list.empty()) {
        o << " []\n";
        return;
      }
      o << "\n";
      for (const auto& s : v.list) o << ind << "  - " << yaml_scalar(s) << "\n";
      return;
    case Kind::kMap:
      if (v.map.empty()) {
        o << " {}\n";
        return;
      }
      o << "\n";
      for (const auto& [n, s] : v.map) o << ind << "  " << yaml_scalar(n) << ": " << yaml_scalar(s) << "\n";
      return;
    case Kind::kRecords:
      if (v.records.empty()) {
        o << " []\n";
        return;
      }
      o << "\n";
      for (const auto& r : v.records) {
        bool first = true;
        for (const auto& f : k.fields) {
          auto it = r.find(f.key);
          if (it == r.end()) continue;
          o << ind << (first ? "  - " : "    ") << f.key << ": " << field_text(f, it->second) << "\n";
          first = false;
        }
      }
      return;
    default:
      o << " " << scalar_text(k, v) << "\n";
  }
}

void dump_tree(std::ostringstream& o, const Tree& t, const std::string& ind, const ValueSet& v,
               const std::map<std::string, std::string>& section_help) {
  for (const auto& c : t.children) {
    if (c.key) {
      comment(o, ind, c.key->help);
      o << ind << c.name << ":";
      dump_value(o, ind, *c.key, v.at(c.key->key));
    } else {
      if (auto it = section_help.find(c.path); it != section_help.end()) comment(o, ind, it->second);
      o << ind << c.name << ":\n";
      dump_tree(o, c, ind + "  ", v, section_help);
    }
  }
}

YAML::Node scalar_node(const KeySpec& k, const Value& v) {
  switch (k.kind) {
    case Kind::kBool:
      return YAML::Node(v.b);
    case Kind::kInt:
    case Kind::kSize:
    case Kind::kDuration:
      return YAML::Node(v.i);
    default:
      return YAML::Node(v.s);
  }
}

std::string type_text(const KeySpec& k) {
  if (!k.doc_type.empty()) return k.doc_type;
  std::string r = range_text(k);
  auto with_range = [&](std::string t) { return r.empty() ? t : t + ", " + r; };
  switch (k.kind) {
    case Kind::kBool:
      return "boolean";
    case Kind::kInt:
      return with_range("integer");
    case Kind::kSize:
      return with_range("size (bytes; or kb, mb, gb)");
    case Kind::kDuration:
      return with_range(k.unit == DurationUnit::kSeconds ? "duration (plain number: seconds)"
                                                         : "duration (plain number: milliseconds)");
    case Kind::kString:
      return "string";
    case Kind::kEnum: {
      std::vector<std::string> c;
      for (const auto& s : k.choices) c.push_back("`" + s + "`");
      return "one of " + join(c, ", ");
    }
    case Kind::kList:
      return "list of strings (or one comma-separated string)";
    case Kind::kPorts:
      return "port group (`4789`, `[4789, 8472]`, `$VXLAN_PORTS`)";
    case Kind::kMap:
      return "map of NAME: string";
    case Kind::kRecords:
      return "list of entries (fields below)";
  }
  return "";
}

}  // namespace

std::string Schema::dump(const ValueSet& v) const {
  std::ostringstream o;
  o << "# " << program_ << " configuration: every key with its help; `" << program_
    << " --config-docs` has the reference.\n";
  dump_tree(o, build_tree(keys_), "", v, section_help_);
  return o.str();
}

YAML::Node Schema::tree(const ValueSet& v) const {
  YAML::Node root(YAML::NodeType::Map);
  for (const auto& k : keys_) {
    const Value& val = v.at(k.key);
    YAML::Node n;
    switch (k.kind) {
      case Kind::kList:
        n = YAML::Node(YAML::NodeType::Sequence);
        for (const auto& s : val.list) n.push_back(s);
        break;
      case Kind::kMap:
        n = YAML::Node(YAML::NodeType::Map);
        for (const auto& [name, s] : val.map) n[name] = s;
        break;
      case Kind::kRecords:
        n = YAML::Node(YAML::NodeType::Sequence);
        for (const auto& r : val.records) {
          YAML::Node e(YAML::NodeType::Map);
          for (const auto& [f, s] : r) e[f] = s;
          n.push_back(e);
        }
        break;
      default:
        n = scalar_node(k, val);
    }
    // Walk/create the sections; YAML::Node's operator[] on a copy shares the tree.
    auto parts = split_path(k.key);
    std::vector<YAML::Node> chain{root};
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      YAML::Node next = chain.back()[parts[i]];
      if (!next.IsMap()) next = YAML::Node(YAML::NodeType::Map);
      chain.back()[parts[i]] = next;
      chain.push_back(chain.back()[parts[i]]);
    }
    chain.back()[parts.back()] = n;
  }
  return root;
}

std::string Schema::markdown(const std::string& intro) const {
  std::ostringstream o;
  o << "# " << program_ << " configuration reference\n\n" << intro << "\n";
  // Group keys by their first name, in first-use order; top-level keys together.
  std::vector<std::string> groups;
  std::map<std::string, std::vector<const KeySpec*>> by_group;
  for (const auto& k : keys_) {
    auto parts = split_path(k.key);
    std::string g = parts.size() > 1 ? parts[0] : "";
    if (!by_group.count(g)) groups.push_back(g);
    by_group[g].push_back(&k);
  }
  for (const auto& g : groups) {
    o << "\n## " << (g.empty() ? "Top level" : "`" + g + "`") << "\n\n";
    if (auto it = section_help_.find(g); !g.empty() && it != section_help_.end()) o << it->second << "\n\n";
    o << "| key | type | default | meaning |\n| --- | --- | --- | --- |\n";
    std::vector<const KeySpec*> details;
    for (const KeySpec* k : by_group[g]) {
      const Value& d = defaults_.at(k->key);
      std::string def = inline_text(*k, d);
      if ((k->kind == Kind::kMap && d.map.size() > 3) || (k->kind == Kind::kRecords)) {
        details.push_back(k);
        if (k->kind == Kind::kMap) def = "see below";
      }
      std::string def_cell = def == "see below" ? def : "`" + cell(def) + "`";
      o << "| `" << k->key << "` | " << cell(type_text(*k)) << " | " << def_cell << " | " << cell(k->help)
        << " |\n";
    }
    for (const KeySpec* k : details) {
      if (k->kind == Kind::kMap) {
        o << "\nDefault `" << k->key << "`:\n\n```yaml\n";
        for (const auto& [n, s] : defaults_.at(k->key).map) o << n << ": " << yaml_scalar(s) << "\n";
        o << "```\n";
      } else {
        o << "\nEach entry of `" << k->key
          << "`:\n\n| field | type | default | meaning |\n| --- | --- | --- | --- |\n";
        for (const auto& f : k->fields) {
          Value fv;
          std::string def = "(required)";
          if (!f.required) {
            convert_scalar(f, YAML::Load(f.default_yaml.empty() ? "\"\"" : f.default_yaml), &fv);
            def = "`" + cell(scalar_text(f, fv)) + "`";
          }
          o << "| `" << f.key << "` | " << cell(type_text(f)) << " | " << def << " | " << cell(f.help)
            << " |\n";
        }
      }
    }
  }
  return o.str();
}

}  // namespace vigil::config
