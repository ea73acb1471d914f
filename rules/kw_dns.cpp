// DNS keywords that compare a header or question field instead of selecting
// a sticky buffer (Suricata 8): dns.opcode and dns.rcode (the header of the
// message of the direction inspected: requests and responses alike; the
// rcode also by name, "nxdomain"), and dns.rrtype (the type of the first
// question). The transaction supplies the values (TxInt); each keyword makes
// the rule a dns rule.
#include <array>
#include <cctype>

#include "rules/keywords.h"

namespace vigil::rules {

namespace {

// RFC 1035 / 2136 names of the 4-bit RCODE values, as Suricata accepts them.
constexpr std::array<std::string_view, 11> kRcodeNames = {"noerror", "formerr", "servfail", "nxdomain",
                                                          "notimp",  "refused", "yxdomain", "yxrrset",
                                                          "nxrrset", "notauth", "notzone"};

std::string add_dns_int(ParseState& st, std::string_view v, TxInt field, std::string_view kw, int64_t max) {
  v = trim(unquote(v));
  TxIntCond c;
  c.field = field;
  if (!parse_cmp(v, c.cmp)) {
    if (field != TxInt::kDnsRcode) return "invalid " + std::string(kw) + " '" + std::string(v) + "'";
    // By name, optionally negated: "nxdomain", "!noerror".
    bool neg = !v.empty() && v[0] == '!';
    std::string name(neg ? v.substr(1) : v);
    for (auto& ch : name) ch = char(std::tolower(static_cast<unsigned char>(ch)));
    size_t i = 0;
    while (i < kRcodeNames.size() && kRcodeNames[i] != name) ++i;
    if (i == kRcodeNames.size()) return "invalid dns.rcode '" + std::string(v) + "'";
    c.cmp.op = neg ? IntCmp::kNe : IntCmp::kEq;
    c.cmp.a = int64_t(i);
  }
  if (c.cmp.a < 0 || c.cmp.a > max || c.cmp.b < 0 || c.cmp.b > max)
    return std::string(kw) + " value out of range 0-" + std::to_string(max);
  st.rule.tx_ints.push_back(c);
  st.rule.app_mask |= 1u << unsigned(AppProto::kDns);
  return "";
}

std::string kw_dns_opcode(ParseState& st, std::string_view v) {
  return add_dns_int(st, v, TxInt::kDnsOpcode, "dns.opcode", 15);
}
std::string kw_dns_rcode(ParseState& st, std::string_view v) {
  return add_dns_int(st, v, TxInt::kDnsRcode, "dns.rcode", 15);
}
std::string kw_dns_rrtype(ParseState& st, std::string_view v) {
  // Suricata 8.1's index form ("1,all", "1,0") selects among several
  // questions; only the first question's type is known here.
  if (v.find(',') != std::string_view::npos) return "the index form is not supported";
  return add_dns_int(st, v, TxInt::kDnsRrtype, "dns.rrtype", 65535);
}

}  // namespace

void add_dns_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"dns.opcode", kw_dns_opcode});
  t.push_back({"dns.rcode", kw_dns_rcode});
  t.push_back({"dns.rrtype", kw_dns_rrtype});
}

}  // namespace vigil::rules
