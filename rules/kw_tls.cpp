// TLS keywords that take a value instead of selecting a sticky buffer:
// the legacy tls.subject / tls.issuerdn (substring of the certificate's DN,
// "!" negates), tls.fingerprint (the SHA-1 fingerprint, compared lowercase),
// and the integer tls.cert_chain_len / tls.version.
#include <cctype>

#include "rules/keywords.h"

namespace vigil::rules {

namespace {

// Adds content "value" (optionally negated) on `slot`: the legacy keywords are
// equivalent to the sticky buffer with one content, as Suricata documents.
std::string add_value_content(ParseState& st, std::string_view v, BufferId slot, bool lowercase) {
  v = trim(v);
  bool negated = false;
  if (!v.empty() && v[0] == '!') {
    negated = true;
    v = trim(v.substr(1));
  }
  v = unquote(v);
  auto op = std::make_unique<ContentOp>();
  for (size_t i = 0; i < v.size(); ++i) {
    char ch = v[i];
    if (ch == '\\' && i + 1 < v.size()) ch = v[++i];
    op->pattern.push_back(lowercase ? char(std::tolower(uint8_t(ch))) : ch);
  }
  if (op->pattern.empty()) return "empty value";
  op->negated = negated;
  st.add_op(int(slot), std::move(op));
  return "";
}

std::string kw_tls_subject(ParseState& st, std::string_view v) {
  return add_value_content(st, v, BufferId::kTlsCertSubject, false);
}
std::string kw_tls_issuerdn(ParseState& st, std::string_view v) {
  return add_value_content(st, v, BufferId::kTlsCertIssuer, false);
}
std::string kw_tls_fingerprint(ParseState& st, std::string_view v) {
  return add_value_content(st, v, BufferId::kTlsCertFingerprint, true);
}

std::string kw_tls_cert_chain_len(ParseState& st, std::string_view v) {
  TxIntCond c;
  c.field = TxInt::kTlsCertChainLen;
  c.dir = 1;
  if (!parse_cmp(v, c.cmp)) return "invalid tls.cert_chain_len '" + std::string(v) + "'";
  st.rule.tx_ints.push_back(c);
  return "";
}

// tls.version:1.2 (or 1.0, 1.1, 1.3, ssl3/3.0, or a number such as 0x0303).
std::string kw_tls_version(ParseState& st, std::string_view v) {
  v = unquote(v);
  TxIntCond c;
  c.field = TxInt::kTlsVersion;
  c.cmp.op = IntCmp::kEq;
  if (v == "1.0")
    c.cmp.a = 0x0301;
  else if (v == "1.1")
    c.cmp.a = 0x0302;
  else if (v == "1.2")
    c.cmp.a = 0x0303;
  else if (v == "1.3")
    c.cmp.a = 0x0304;
  else if (v == "3.0" || v == "ssl3")
    c.cmp.a = 0x0300;
  else if (!parse_i64(v, c.cmp.a))
    return "invalid tls.version '" + std::string(v) + "'";
  st.rule.tx_ints.push_back(c);
  return "";
}

}  // namespace

void add_tls_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"tls.subject", kw_tls_subject});
  t.push_back({"tls.issuerdn", kw_tls_issuerdn});
  t.push_back({"tls.fingerprint", kw_tls_fingerprint});
  t.push_back({"tls.cert_chain_len", kw_tls_cert_chain_len});
  t.push_back({"tls.version", kw_tls_version});
}

}  // namespace vigil::rules
