// Keywords that describe a rule rather than match traffic: msg, sid, rev, gid,
// classtype, priority, metadata, reference, target, noalert.
#include "rules/keywords.h"

namespace vigil::rules {

namespace {

std::string unescape(std::string_view s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 1 < s.size()) ++i;
    out.push_back(s[i]);
  }
  return out;
}

std::string kw_msg(ParseState& st, std::string_view v) {
  v = trim(v);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return "msg must be a quoted string";
  st.rule.msg = unescape(v.substr(1, v.size() - 2));
  return "";
}

std::string u32(std::string_view v, uint32_t& out, const char* what) {
  int64_t x;
  if (!parse_i64(unquote(v), x) || x < 0 || x > 0xffffffffll)
    return std::string("invalid ") + what + " '" + std::string(v) + "'";
  out = uint32_t(x);
  return "";
}

std::string kw_sid(ParseState& st, std::string_view v) {
  auto e = u32(v, st.rule.sid, "sid");
  if (e.empty() && st.rule.sid == 0) return "sid must be greater than 0";
  return e;
}
std::string kw_rev(ParseState& st, std::string_view v) {
  return u32(v, st.rule.rev, "rev");
}
std::string kw_gid(ParseState& st, std::string_view v) {
  return u32(v, st.rule.gid, "gid");
}

std::string kw_classtype(ParseState& st, std::string_view v) {
  v = trim(v);
  if (!st.classes) return "";
  auto it = st.classes->find(v);
  if (it == st.classes->end()) return "unknown classtype '" + std::string(v) + "'";
  st.rule.classtype = std::string(v);
  st.rule.category = it->second.description;
  if (!st.rule.priority_set) st.rule.priority = it->second.priority;
  return "";
}

std::string kw_priority(ParseState& st, std::string_view v) {
  int64_t x;
  if (!parse_i64(v, x) || x < 1 || x > 255) return "invalid priority '" + std::string(v) + "'";
  st.rule.priority = int(x);
  st.rule.priority_set = true;
  return "";
}

std::string kw_metadata(ParseState& st, std::string_view v) {
  for (auto item : split(v, ',')) {
    if (item.empty()) continue;
    auto sp = item.find(' ');
    st.rule.metadata.add(trim(item.substr(0, sp)),
                         sp == std::string_view::npos ? std::string_view() : trim(item.substr(sp + 1)));
  }
  return "";
}

std::string kw_reference(ParseState&, std::string_view v) {
  if (trim(v).empty()) return "empty reference";
  return "";
}

std::string kw_target(ParseState&, std::string_view v) {
  v = trim(v);
  if (v != "src_ip" && v != "dest_ip") return "target must be src_ip or dest_ip";
  return "";
}

std::string kw_noalert(ParseState& st, std::string_view) {
  st.rule.noalert = true;
  return "";
}

// requires (rules/requires.h): parse_rule checks it before the header and
// skips the rule when it is not met, so here it always holds.
std::string kw_requires(ParseState&, std::string_view) {
  return "";
}

}  // namespace

void add_meta_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"msg", kw_msg});
  t.push_back({"sid", kw_sid});
  t.push_back({"rev", kw_rev});
  t.push_back({"gid", kw_gid});
  t.push_back({"classtype", kw_classtype});
  t.push_back({"priority", kw_priority});
  t.push_back({"metadata", kw_metadata});
  t.push_back({"reference", kw_reference});
  t.push_back({"target", kw_target});
  t.push_back({"noalert", kw_noalert});
  t.push_back({"requires", kw_requires});
}

}  // namespace vigil::rules
