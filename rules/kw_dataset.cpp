// dataset:<isset|isnotset|set>,NAME[,type string|md5|sha256|ipv4|ip]
// [,load FILE][,state FILE][,save FILE][,memcap N][,hashsize N]: the whole
// current buffer tested against (or added to) a named set. As in Suricata:
// `load` is read at start, `save` written at exit, `state` both (a missing
// state file is an empty set). ipv4/ip sets are meant for the ip.src/ip.dst
// buffers (address bytes); their files hold text addresses. Relative files
// are under the rule file's directory; a confined rule set (from the
// collector) names only files under its directory (rules/rule_file_scope.h).
// memcap/hashsize are accepted and
// ignored (the set's cap is Dataset::kMaxEntries).
#include <filesystem>

#include "rules/keywords.h"

namespace vigil::rules {

namespace {

struct DatasetOp : BufOp {
  enum Cmd : uint8_t { kIsset, kIsnotset, kSet } cmd = kIsset;
  std::shared_ptr<Dataset> set;
  DatasetOp() : BufOp(OpKind::kDataset) {}
  bool apply(BufCtx& c, size_t&) const override {
    std::string_view buf(reinterpret_cast<const char*>(c.data), c.len);
    switch (cmd) {
      case kIsset:
        return set->contains(buf);
      case kIsnotset:
        return !set->contains(buf);
      case kSet:
        return set->add(buf);  // as Suricata: a match when the value is new
    }
    return false;
  }
};

std::string kw_dataset(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.size() < 2 || parts[1].empty()) return "dataset needs a command and a name";
  auto op = std::make_unique<DatasetOp>();
  if (parts[0] == "isset")
    op->cmd = DatasetOp::kIsset;
  else if (parts[0] == "isnotset")
    op->cmd = DatasetOp::kIsnotset;
  else if (parts[0] == "set")
    op->cmd = DatasetOp::kSet;
  else
    return "invalid dataset command '" + std::string(parts[0]) + "'";
  std::string name(parts[1]);
  std::string type, file, save;
  bool load_required = true;
  for (size_t i = 2; i < parts.size(); ++i) {
    auto sp = parts[i].find(' ');
    auto key = trim(parts[i].substr(0, sp));
    auto val = sp == std::string_view::npos ? std::string_view{} : unquote(trim(parts[i].substr(sp + 1)));
    if (key == "type") {
      type = std::string(val);
    } else if (key == "load") {
      file = std::string(val);
    } else if (key == "state") {
      file = save = std::string(val);
      load_required = false;
    } else if (key == "save") {
      save = std::string(val);
    } else if (key != "memcap" && key != "hashsize") {
      return "invalid dataset option '" + std::string(parts[i]) + "'";
    }
  }
  Dataset::Type t = Dataset::kString;
  if (type == "ipv4")
    t = Dataset::kIpv4;
  else if (type == "ip")
    t = Dataset::kIp;
  else if (type == "md5")
    t = Dataset::kMd5;
  else if (type == "sha256")
    t = Dataset::kSha256;
  else if (!type.empty() && type != "string")
    return "invalid dataset type '" + type + "'";
  if (!st.datasets) return "datasets are not available here";
  // Every file a rule names is checked, even when an earlier rule already
  // defined the set: a confined rule set (from the collector) may name only
  // files under its directory, and a refused name refuses the rule.
  static const RuleFileScope kLocal;
  const RuleFileScope& scope = st.file_scope ? *st.file_scope : kLocal;
  std::string save_path, load_path;
  if (!save.empty()) {
    if (auto err = resolve_rule_file(save, st.rule_dir, scope, false, &save_path); !err.empty()) return err;
  }
  if (!file.empty()) {
    if (auto err = resolve_rule_file(file, st.rule_dir, scope, false, &load_path); !err.empty()) return err;
  }
  // find, not operator[]: a refused rule must leave no empty slot behind
  // (Engine::save_state walks every set).
  auto it = st.datasets->find(name);
  std::shared_ptr<Dataset> slot = it == st.datasets->end() ? nullptr : it->second;
  if (!slot) {
    if (type.empty()) return "dataset '" + name + "' used before a type was given";
    auto fresh = std::make_shared<Dataset>();
    fresh->type = t;
    fresh->save_path = save_path;
    if (!load_path.empty()) {
      std::error_code ec;
      if (std::filesystem::exists(load_path, ec) || (load_required && op->cmd != DatasetOp::kSet)) {
        auto err = fresh->load(load_path);
        if (!err.empty()) return err;
      }
    }
    slot = (*st.datasets)[name] = std::move(fresh);
  } else if (!type.empty() && slot->type != t) {
    return "dataset '" + name + "' redefined with another type";
  }
  if (op->cmd == DatasetOp::kSet) slot->mutable_ = true;
  op->set = slot;
  st.add_op(st.cur_slot, std::move(op));
  return "";
}

}  // namespace

void add_dataset_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"dataset", kw_dataset});
}

}  // namespace vigil::rules
