// FTP keywords that are no sticky buffer: ftpbounce (Suricata): the PORT or
// EPRT command names an address other than the client's. The app layer
// computes it per command (TxInt::kFtpBounce); the rule is an ftp rule.
// ftpdata_command:retr|stor: the ftp-data flow's transfer command
// (TxInt::kFtpDataCommand); the rule is an ftp-data rule.
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

// ftpdata_command:retr|stor: the ftp-data flow carries that transfer.
std::string kw_ftpdata_command(ParseState& st, std::string_view v) {
  v = trim(v);
  TxIntCond c;
  c.field = TxInt::kFtpDataCommand;
  c.cmp.op = IntCmp::kEq;
  if (v == "retr") {
    c.cmp.a = 1;
  } else if (v == "stor") {
    c.cmp.a = 2;
  } else {
    return "ftpdata_command takes retr or stor, not '" + std::string(v) + "'";
  }
  st.rule.tx_ints.push_back(c);
  st.rule.app_mask |= 1u << unsigned(AppProto::kFtpData);
  return "";
}

}  // namespace

void add_ftp_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"ftpbounce", kw_ftpbounce});
  t.push_back({"ftpdata_command", kw_ftpdata_command});
}

}  // namespace vigil::rules
