// iprep:<any|src|dst|both>,<category>,<op>,<score>: the reputation score of
// the packet's source and/or destination address in a category (loaded from
// the files suricata.yaml-style config names, see rules/iprep.h), compared
// with < <= > >= =. An address without any reputation entry does not match,
// whatever the operator; an address with an entry but no score in this
// category counts as score 0 (both as Suricata).
#include "rules/iprep.h"
#include "rules/keywords.h"

namespace vigil::rules {

namespace {

struct IpRepOpt : PktOpt {
  enum Side : uint8_t { kAny, kSrc, kDst, kBoth } side = kAny;
  int cat = 0;
  IntCmp cmp;
  std::shared_ptr<const IpRep> rep;  // keeps the table alive as long as the rule

  bool side_ok(const IpAddr& a) const {
    int s = rep->score(a, cat);
    return s >= 0 && cmp.eval(s);
  }
  bool match(const PktCtx& c) const override {
    switch (side) {
      case kSrc:
        return side_ok(c.p->src);
      case kDst:
        return side_ok(c.p->dst);
      case kBoth:
        return side_ok(c.p->src) && side_ok(c.p->dst);
      case kAny:
        return side_ok(c.p->src) || side_ok(c.p->dst);
    }
    return false;
  }
};

std::string kw_iprep(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.size() != 4) return "expected <any|src|dst|both>,<category>,<operator>,<score>";
  auto o = std::make_unique<IpRepOpt>();
  if (parts[0] == "any")
    o->side = IpRepOpt::kAny;
  else if (parts[0] == "src")
    o->side = IpRepOpt::kSrc;
  else if (parts[0] == "dst")
    o->side = IpRepOpt::kDst;
  else if (parts[0] == "both")
    o->side = IpRepOpt::kBoth;
  else
    return "invalid side '" + std::string(parts[0]) + "' (any, src, dst or both)";
  if (!st.iprep) return "no reputation categories loaded (reputation-categories-file)";
  o->cat = st.iprep->category(parts[1]);
  if (o->cat < 0) return "unknown reputation category '" + std::string(parts[1]) + "'";
  auto op = parts[2];
  if (!parse_cmp_op(op, kCmpOrder | kCmpEq, o->cmp.op))
    return "invalid operator '" + std::string(op) + "' (<, <=, >, >= or =)";
  if (!parse_i64(parts[3], o->cmp.a) || o->cmp.a < 0 || o->cmp.a > IpRep::kMaxScore)
    return "score must be 0-" + std::to_string(IpRep::kMaxScore);
  o->rep = st.iprep;
  st.rule.pkt_opts.push_back(std::move(o));
  return "";
}

}  // namespace

void add_iprep_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"iprep", kw_iprep});
}

}  // namespace vigil::rules
