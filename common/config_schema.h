// Configuration as data: a table of keys (dotted path, type, default, range or
// choices, validator, help) from which one mechanism produces loading from
// YAML and from --set KEY=VALUE, the errors and warnings, `--dump-config` and
// the Markdown reference. Each program keeps its own table beside its config
// (agent/config_keys.cpp, collector/config_keys.cpp) and binds every key to a
// field of its config struct (TypedSchema below).
//
// What loading promises:
//  - A value of the wrong type or out of range is an error
//    "FILE:LINE: KEY: reason" ("--set: KEY: reason" for an override); every
//    error is listed, not only the first, and no value is silently replaced
//    by its default.
//  - A key not in the table is a warning with the closest known key
//    ("FILE:LINE: threading.workerz: unknown key (did you mean
//    threading.workers?)"), one warning per unknown subtree, and is ignored.
//  - Nothing in the file can make loading throw: yaml-cpp's exceptions are
//    caught and reported as errors.
// Called on the main thread at start-up (and by tests); a Schema is immutable
// after construction and may be shared.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

namespace vigil::config {

enum class Kind : uint8_t {
  kBool,      // true/false (also yes/no, on/off)
  kInt,       // decimal integer in [min, max]
  kSize,      // bytes, with an optional unit: 64kb, 32mb, 1gb (powers of 1024)
  kDuration,  // 500ms, 30s, 5m, 2h, 1d; a bare number is in the key's unit
  kString,    // any scalar
  kEnum,      // one of `choices` (or an alias of one)
  kList,      // YAML list of scalars, or one string of comma-separated items
  kPorts,     // port group: 80, "[80, 8080]", "$HTTP_PORTS" or a YAML list
  kMap,       // map of NAME -> scalar string (variables); entries merge over the default
  kRecords,   // YAML list of maps whose fields are `fields`
};

enum class DurationUnit : uint8_t { kSeconds, kMilliseconds };

// A converted value. Which member holds it depends on the key's Kind:
// b (bool), i (int, size in bytes, duration in the key's unit), s (string,
// enum: the canonical choice, ports: the group text), list, map, records
// (each field's canonical text, defaults filled in; numeric fields validated).
struct Value {
  bool b = false;
  int64_t i = 0;
  std::string s;
  std::vector<std::string> list;
  std::map<std::string, std::string> map;
  std::vector<std::map<std::string, std::string>> records;
  friend bool operator==(const Value&, const Value&) = default;
};

// All values of a loaded configuration, by dotted key.
class ValueSet {
 public:
  // REQUIRES: `key` is in the schema (a broken table aborts).
  const Value& at(const std::string& key) const;
  bool has(const std::string& key) const { return values_.count(key) != 0; }
  const std::map<std::string, Value>& all() const { return values_; }
  Value& slot(const std::string& key) { return values_[key]; }

 private:
  std::map<std::string, Value> values_;
};

// Checks a converted value (after every source is merged, so it may look at
// other keys). Returns "" or the reason.
using Validator = std::function<std::string(const Value& v, const ValueSet& all)>;
// Checks one entry of a map key (NAME, its value). Returns "" or the reason.
using EntryValidator =
    std::function<std::string(const std::string& name, const std::string& value, const ValueSet& all)>;

struct KeySpec {
  std::string key;  // "flow.max-flows"
  Kind kind = Kind::kString;
  std::string default_yaml;  // the default as YAML text: "200000", "[alert, flow]", "{}"
  std::string help;
  int64_t min = 0, max = INT64_MAX;            // kInt, kSize, kDuration
  DurationUnit unit = DurationUnit::kSeconds;  // kDuration
  std::vector<std::string> choices;            // kEnum, canonical spellings
  std::map<std::string, std::string> aliases;  // kEnum: other spelling -> choice
  std::vector<KeySpec> fields;                 // kRecords: the fields of one entry
  bool required = false;                       // a field of a record that must be given
  Validator validate;                          // optional
  EntryValidator validate_entry;               // optional, kMap
  std::string doc_type;                        // optional: overrides the type in the docs
};

struct Diagnostic {
  bool error = true;  // false: a warning, loading continues
  std::string where;  // "agent.yaml:12", "--set"
  std::string key;
  std::string reason;
  std::string text() const { return where + ": " + key + ": " + reason; }
};

struct LoadResult {
  ValueSet values;
  std::vector<Diagnostic> diagnostics;
  bool ok() const;
  // Every error, one per line ("" when there are none).
  std::string errors() const;
};

class Schema {
 public:
  // `program` names the program in the docs ("vigil-agent"). Section help is
  // printed above a section in the dump and the docs ("flow" -> "...").
  // `foreign` lists sections whose Suricata layout differs from ours (Suricata's
  // `outputs` is a list): a node of the wrong shape there is a warning with the
  // given note instead of an error.
  Schema(std::string program, std::vector<KeySpec> keys, std::map<std::string, std::string> section_help = {},
         std::map<std::string, std::string> foreign = {});

  // Problems in the table itself (defaults that do not convert or validate,
  // duplicate keys); empty for a sound table. Tested, so never seen by users.
  const std::vector<std::string>& table_errors() const { return table_errors_; }

  const std::vector<KeySpec>& keys() const { return keys_; }
  const KeySpec* find(const std::string& key) const;
  // The known key or section nearest to `path` (by last name, then edit
  // distance), or "" when nothing is close.
  std::string closest(const std::string& path) const;

  // Defaults, then `file` (may be empty), then each "KEY=VALUE" of `sets` in
  // order. Never throws.
  LoadResult load(const std::string& file, const std::vector<std::string>& sets) const;
  // The same over YAML text already in memory; `name` stands for the file in
  // messages (the fuzz target and tests use it).
  LoadResult load_text(const std::string& name, const std::string& yaml,
                       const std::vector<std::string>& sets) const;

  // YAML with each key's help as a comment; loading it gives the same values.
  std::string dump(const ValueSet& v) const;
  // The values as a YAML tree, numbers in the keys' own units (bytes, the
  // duration unit), for code that reads a subtree itself.
  YAML::Node tree(const ValueSet& v) const;
  // The reference: every key with its type, default and help, as Markdown.
  std::string markdown(const std::string& intro) const;

  const ValueSet& defaults() const { return defaults_; }

 private:
  struct State;  // a load in progress: the result and where each value came from
  void load_map(const YAML::Node& node, const std::string& prefix, State& st) const;
  void load_set(const std::string& assignment, State& st) const;
  void validate(State& st) const;
  bool is_section(const std::string& path) const;

  std::string program_;
  std::vector<KeySpec> keys_;
  std::map<std::string, size_t> index_;
  std::vector<std::string> sections_;  // every proper prefix of a key, in first-use order
  std::map<std::string, std::string> section_help_, foreign_;
  ValueSet defaults_;
  std::vector<std::string> table_errors_;
};

// Conversions, exposed for tests and for validators.
std::string format_size(int64_t bytes);                      // 33554432 -> "32mb"
std::string format_duration(int64_t v, DurationUnit unit);   // 600 s -> "10m"
bool parse_int_text(const std::string& text, int64_t* out);  // decimal, optional sign, nothing else

// Table builders, so that a table line reads as a sentence.
inline KeySpec boolean(std::string key, std::string def, std::string help) {
  KeySpec k;
  k.key = std::move(key), k.kind = Kind::kBool, k.default_yaml = std::move(def), k.help = std::move(help);
  return k;
}
inline KeySpec integer(std::string key, std::string def, int64_t min, int64_t max, std::string help) {
  KeySpec k = boolean(std::move(key), std::move(def), std::move(help));
  k.kind = Kind::kInt, k.min = min, k.max = max;
  return k;
}
inline KeySpec size(std::string key, std::string def, int64_t min, int64_t max, std::string help) {
  KeySpec k = integer(std::move(key), std::move(def), min, max, std::move(help));
  k.kind = Kind::kSize;
  return k;
}
inline KeySpec duration(std::string key, std::string def, int64_t min, int64_t max, std::string help,
                        DurationUnit unit = DurationUnit::kSeconds) {
  KeySpec k = integer(std::move(key), std::move(def), min, max, std::move(help));
  k.kind = Kind::kDuration, k.unit = unit;
  return k;
}
inline KeySpec string(std::string key, std::string def, std::string help, Validator v = {}) {
  KeySpec k = boolean(std::move(key), std::move(def), std::move(help));
  k.kind = Kind::kString, k.validate = std::move(v);
  return k;
}
inline KeySpec choice(std::string key, std::string def, std::vector<std::string> choices, std::string help,
                      std::map<std::string, std::string> aliases = {}) {
  KeySpec k = boolean(std::move(key), std::move(def), std::move(help));
  k.kind = Kind::kEnum, k.choices = std::move(choices), k.aliases = std::move(aliases);
  return k;
}
inline KeySpec list(std::string key, std::string def, std::string help, Validator v = {}) {
  KeySpec k = string(std::move(key), std::move(def), std::move(help), std::move(v));
  k.kind = Kind::kList;
  return k;
}
inline KeySpec ports(std::string key, std::string def, std::string help, Validator v = {}) {
  KeySpec k = string(std::move(key), std::move(def), std::move(help), std::move(v));
  k.kind = Kind::kPorts;
  return k;
}
inline KeySpec map(std::string key, std::string def, std::string help, EntryValidator v = {}) {
  KeySpec k = boolean(std::move(key), std::move(def), std::move(help));
  k.kind = Kind::kMap, k.validate_entry = std::move(v);
  return k;
}
inline KeySpec records(std::string key, std::vector<KeySpec> fields, std::string help, Validator v = {}) {
  KeySpec k = string(std::move(key), "[]", std::move(help), std::move(v));
  k.kind = Kind::kRecords, k.fields = std::move(fields);
  return k;
}
inline KeySpec required(KeySpec k) {
  k.required = true;
  return k;
}

// A table whose keys are each bound to a field of Cfg. The binding sits on
// the same line of the table as the key, so a key cannot be declared and
// forgotten. Bindings run in table order on a validated ValueSet, so they
// cannot fail; cross-key checks belong in validators.
template <class Cfg>
struct TypedKey {
  KeySpec spec;
  std::function<void(Cfg&, const Value&)> apply;
};

template <class Cfg>
class TypedSchema {
 public:
  TypedSchema(std::string program, std::vector<TypedKey<Cfg>> keys,
              std::map<std::string, std::string> section_help = {},
              std::map<std::string, std::string> foreign = {})
      : schema_(std::move(program), specs(keys), std::move(section_help), std::move(foreign)) {
    for (auto& k : keys) applies_.push_back(std::move(k.apply));
  }
  const Schema& schema() const { return schema_; }
  // Applies every key of `v` (a load that succeeded) to `cfg`.
  void apply(const ValueSet& v, Cfg& cfg) const {
    for (size_t i = 0; i < applies_.size(); ++i) {
      if (applies_[i]) applies_[i](cfg, v.at(schema_.keys()[i].key));
    }
  }

 private:
  static std::vector<KeySpec> specs(const std::vector<TypedKey<Cfg>>& keys) {
    std::vector<KeySpec> out;
    for (const auto& k : keys) out.push_back(k.spec);
    return out;
  }
  Schema schema_;
  std::vector<std::function<void(Cfg&, const Value&)>> applies_;
};

}  // namespace vigil::config
