// FTP keywords that are no sticky buffer: ftpbounce (Suricata): the PORT or
// EPRT command names an address other than the client's. The app layer
// computes it per command (TxInt::kFtpBounce); the rule is an ftp rule.
#include "rules/keywords.h"

namespace vigil::rules {

namespace {

std::string kw_ftpbounce(ParseState& st, std::string_view v) {
  if (!trim(v).empty()) return "ftpbounce takes no value";
  TxIntCond c;
  c.field = TxInt::kFtpBounce;
  c.dir = 0;
  c.cmp.op = IntCmp::kEq;
  c.cmp.a = 1;
  st.rule.tx_ints.push_back(c);
  st.rule.app_mask |= 1u << unsigned(AppProto::kFtp);
  return "";
}

}  // namespace

void add_ftp_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"ftpbounce", kw_ftpbounce});
}

}  // namespace vigil::rules
