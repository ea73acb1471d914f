// TLS keywords that take a value instead of selecting a sticky buffer:
// the legacy tls.subject / tls.issuerdn (substring of the certificate's DN,
// "!" negates), tls.fingerprint (the SHA-1 fingerprint, compared lowercase),
// and the integer tls.cert_chain_len / tls.version; ssl_state and ssl_version
// (Suricata and Snort 3) as sets over the TLS transaction's TxInt values;
// tls_cert_notbefore / tls_cert_notafter (date comparisons), tls_cert_expired
// and tls_cert_valid on the leaf certificate.
#include <time.h>

#include <cctype>

#include "rules/keywords.h"

namespace vigil::rules {

namespace {

std::string kw_tls_subject(ParseState& st, std::string_view v) {
  return add_value_content(st, v, BufferId::kTlsCertSubject, {});
}
std::string kw_tls_issuerdn(ParseState& st, std::string_view v) {
  return add_value_content(st, v, BufferId::kTlsCertIssuer, {});
}
std::string kw_tls_fingerprint(ParseState& st, std::string_view v) {
  return add_value_content(st, v, BufferId::kTlsCertFingerprint, {.lowercase = true});
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

// Items "[!]name" separated by ',' (Snort 3) or '|' (Suricata) to the bits of
// the names given plain (pos) and negated (neg). "" or the error.
std::string parse_flag_list(std::string_view v, const std::pair<std::string_view, int>* names, size_t n,
                            const char* kw, uint64_t& pos, uint64_t& neg) {
  pos = neg = 0;
  std::string list(trim(v));
  for (auto& ch : list)
    if (ch == '|') ch = ',';
  for (auto item : split(list, ',')) {
    bool negated = !item.empty() && item[0] == '!';
    if (negated) item = trim(item.substr(1));
    const std::pair<std::string_view, int>* it = nullptr;
    for (size_t i = 0; i < n && !it; ++i)
      if (names[i].first == item) it = &names[i];
    if (!it) return std::string("invalid ") + kw + " value '" + std::string(item) + "'";
    (negated ? neg : pos) |= uint64_t(1) << it->second;
  }
  return "";
}

// ssl_state: the handshake message behind the update is one of the plain
// states, or is not one of the negated ones (Suricata's and Snort's rule).
std::string kw_ssl_state(ParseState& st, std::string_view v) {
  static const std::pair<std::string_view, int> kStates[] = {
      {"client_hello", 0}, {"server_hello", 1}, {"client_keyx", 2}, {"server_keyx", 3}, {"unknown", 4}};
  uint64_t pos, neg;
  auto err = parse_flag_list(v, kStates, std::size(kStates), "ssl_state", pos, neg);
  if (!err.empty()) return err;
  TxIntCond c;
  c.field = TxInt::kTlsState;
  c.cmp.op = IntCmp::kInSet;
  uint64_t set = 0;  // the kTlsState values (5 bits) that match
  for (uint64_t cur = 0; cur < 32; ++cur)
    if ((cur & pos) || (~cur & neg)) set |= uint64_t(1) << cur;
  c.cmp.a = int64_t(set);
  st.rule.tx_ints.push_back(c);
  return "";
}

// ssl_version: the direction's version is one of the plain ones, or (with
// negated ones) none of the negated ones.
std::string kw_ssl_version(ParseState& st, std::string_view v) {
  static const std::pair<std::string_view, int> kVersions[] = {{"sslv2", 0},  {"sslv3", 1},  {"tls1.0", 2},
                                                               {"tls1.1", 3}, {"tls1.2", 4}, {"tls1.3", 5}};
  uint64_t pos, neg;
  auto err = parse_flag_list(v, kVersions, std::size(kVersions), "ssl_version", pos, neg);
  if (!err.empty()) return err;
  TxIntCond c;
  c.field = TxInt::kTlsSslVersion;
  c.cmp.op = IntCmp::kInSet;
  c.cmp.a = int64_t(pos | (neg ? (~neg & 63) : 0));
  st.rule.tx_ints.push_back(c);
  return "";
}

// A date as Suricata's validity keywords take it: Unix seconds, or UTC
// "YYYY[-MM[-DD[THH[:MM[:SS]]]]]" (missing parts are the start of the period).
bool parse_date(std::string_view s, int64_t& out) {
  s = trim(s);
  if (s.size() > 4 && s.find_first_not_of("0123456789") == std::string_view::npos) return parse_i64(s, out);
  static const char* const kPatterns[] = {"%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M", "%Y-%m-%dT%H",
                                          "%Y-%m-%d",          "%Y-%m",          "%Y"};
  std::string text(s);
  for (const char* pat : kPatterns) {
    struct tm tm {};
    tm.tm_mday = 1;
    const char* end = strptime(text.c_str(), pat, &tm);
    if (end == nullptr || *end != '\0') continue;
    out = int64_t(timegm(&tm));
    return true;
  }
  return false;
}

// tls_cert_notbefore / tls_cert_notafter: "[<|>|=]DATE" or "DATE<>DATE".
std::string add_validity(ParseState& st, std::string_view v, TxInt field, const char* kw) {
  v = trim(v);
  TxIntCond c;
  c.field = field;
  c.dir = 1;
  auto range = v.find("<>");
  bool ok;
  if (range != std::string_view::npos) {
    c.cmp.op = IntCmp::kRange;
    ok = parse_date(v.substr(0, range), c.cmp.a) && parse_date(v.substr(range + 2), c.cmp.b) &&
         c.cmp.a < c.cmp.b;
  } else {
    c.cmp.op = IntCmp::kEq;
    v.remove_prefix(cmp_op_prefix(v, kCmpLt | kCmpGt | kCmpEq, c.cmp.op));
    ok = parse_date(v, c.cmp.a);
  }
  if (!ok) return std::string("invalid ") + kw + " date '" + std::string(v) + "'";
  st.rule.tx_ints.push_back(c);
  return "";
}

std::string kw_tls_cert_notbefore(ParseState& st, std::string_view v) {
  return add_validity(st, v, TxInt::kTlsCertNotBefore, "tls_cert_notbefore");
}
std::string kw_tls_cert_notafter(ParseState& st, std::string_view v) {
  return add_validity(st, v, TxInt::kTlsCertNotAfter, "tls_cert_notafter");
}

// tls_cert_expired / tls_cert_valid: notAfter before / not before the time of
// the packet that carried the certificate (as Suricata, notBefore is not
// consulted).
std::string add_expired(ParseState& st, std::string_view v, bool expired) {
  if (!trim(v).empty()) return "takes no value";
  TxIntCond c;
  c.field = TxInt::kTlsCertExpired;
  c.dir = 1;
  c.cmp.op = IntCmp::kEq;
  c.cmp.a = expired ? 1 : 0;
  st.rule.tx_ints.push_back(c);
  return "";
}
std::string kw_tls_cert_expired(ParseState& st, std::string_view v) {
  return add_expired(st, v, true);
}
std::string kw_tls_cert_valid(ParseState& st, std::string_view v) {
  return add_expired(st, v, false);
}

}  // namespace

void add_tls_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"tls.subject", kw_tls_subject});
  t.push_back({"tls.issuerdn", kw_tls_issuerdn});
  t.push_back({"tls.fingerprint", kw_tls_fingerprint});
  t.push_back({"tls.cert_chain_len", kw_tls_cert_chain_len});
  t.push_back({"tls.version", kw_tls_version});
  t.push_back({"ssl_state", kw_ssl_state});
  t.push_back({"ssl_version", kw_ssl_version});
  t.push_back({"tls_cert_notbefore", kw_tls_cert_notbefore});
  t.push_back({"tls_cert_notafter", kw_tls_cert_notafter});
  t.push_back({"tls_cert_expired", kw_tls_cert_expired});
  t.push_back({"tls_cert_valid", kw_tls_cert_valid});
}

}  // namespace vigil::rules
