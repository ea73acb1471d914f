// Schema's outputs: the commented YAML dump, the value tree, the Markdown reference.
#include <sstream>

#include "common/config_schema.h"
#include "common/config_text.h"

namespace vigil::config {

namespace {

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
