#include "common/config_schema.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "common/config_text.h"

namespace vigil::config {

namespace {

constexpr const char* kDefaultOrigin = "default";

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

std::string last_name(const std::string& p) {
  size_t d = p.rfind('.');
  return d == std::string::npos ? p : p.substr(d + 1);
}

// The candidate nearest to `path`: one with the same last name elsewhere
// (suricata.yaml's top-level classification-file is our
// detect.classification-file) when `anywhere`, else, within one section, one
// whose last name ends in the other's (trackers, max-trackers), else the nearest spelling
// within a few edits; "" when nothing is close.
std::string closest_of(const std::string& path, const std::vector<std::string>& candidates, bool anywhere) {
  const std::string name = last_name(path);
  std::string best;
  size_t best_d = SIZE_MAX;
  auto consider = [&](const std::string& c) {
    size_t d = edit_distance(path, c);
    if (d < best_d) best = c, best_d = d;
  };
  for (const auto& c : candidates) {
    if (anywhere && c != path && last_name(c) == name) consider(c);
  }
  if (!best.empty()) return best;
  auto part_of = [](const std::string& a, const std::string& b) {  // "trackers" in "max-trackers"
    return a.size() >= 4 && b.size() > a.size() &&
           (b.compare(b.size() - a.size(), a.size(), a) == 0 && b[b.size() - a.size() - 1] == '-');
  };
  for (const auto& c : candidates) {
    if (!anywhere && (part_of(name, last_name(c)) || part_of(last_name(c), name))) consider(c);
  }
  if (!best.empty()) return best;
  size_t limit = std::max<size_t>(2, path.size() / 5);
  for (const auto& c : candidates) consider(c);
  return best_d <= limit ? best : "";
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

}  // namespace

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
        if (!valid_utf8(n.Scalar())) return err(key, "expected UTF-8 text, got other bytes", n);
        items = split_list(n.Scalar());
      } else if (n.IsSequence()) {
        for (const auto& e : n) {
          if (!e.IsScalar()) return err(key, "expected a list of strings, got " + describe(e) + " in it", e);
          if (!valid_utf8(e.Scalar())) return err(key, "expected UTF-8 text, got other bytes", e);
          items.push_back(e.Scalar());
        }
      } else {
        return err(key, "expected a list of strings, got " + describe(n), n);
      }
      out->list = items;
      return;
    }
    case Kind::kPorts: {
      if (n.IsScalar() && !valid_utf8(n.Scalar())) return err(key, "expected UTF-8 text, got other bytes", n);
      if (n.IsScalar()) {
        out->s = trim(n.Scalar());
      } else if (n.IsSequence()) {
        std::vector<std::string> items;
        for (const auto& e : n) {
          if (!e.IsScalar())
            return err(key, "expected a port or a list of ports, got " + describe(e) + " in it", e);
          if (!valid_utf8(e.Scalar())) return err(key, "expected UTF-8 text, got other bytes", e);
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
        if (!valid_utf8(name) || !valid_utf8(it->second.Scalar())) {
          err(key, "expected UTF-8 text, got other bytes", it->first);
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
            std::string near = closest_of(fname, field_names, false);
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
  // Inside a known section, only its own keys are suggested (stats.enabled is
  // not decoder.vxlan.enabled); elsewhere anything.
  size_t dot = path.rfind('.');
  std::string parent = dot == std::string::npos ? "" : path.substr(0, dot);
  bool inside = !parent.empty() && is_section(parent);
  std::vector<std::string> all;
  for (const auto& s : sections_) all.push_back(s);
  for (const auto& k : keys_) all.push_back(k.key);
  if (inside) {
    std::erase_if(all, [&](const std::string& c) { return c.rfind(parent + ".", 0) != 0; });
  }
  return closest_of(path, all, !inside);
}

void Schema::load_map(const YAML::Node& node, const std::string& prefix, State& st) const {
  for (auto it = node.begin(); it != node.end(); ++it) {
    const YAML::Node kn = it->first;
    const YAML::Node vn = it->second;
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
      if (!valid_utf8(parts.back()) || !valid_utf8(text)) {
        st.error(where, p, "expected UTF-8 text, got other bytes");
        return;
      }
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

}  // namespace vigil::config
