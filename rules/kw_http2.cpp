// HTTP/2 per-stream integer keywords (Suricata's http2.frametype,
// http2.errorcode, http2.priority, http2.window): comparisons of the
// transaction's TxInt::kHttp2* fields, filled by agent/app/http2_parser.cpp
// per stream and direction; the rule is an http2 rule (http2 and doh2 flows).
// Frame types and error codes are given by RFC 9113 name or number. The
// sticky buffers http2.header_name and http2.header come from the buffer table.
#include <algorithm>
#include <cctype>
#include <span>

#include "common/http2_names.h"
#include "rules/keywords.h"

namespace vigil::rules {

namespace {

bool name_or_number(std::string_view v, std::span<const std::string_view> names, int64_t max, int64_t& out) {
  for (size_t i = 0; i < names.size(); ++i) {
    if (v.size() == names[i].size() && std::equal(v.begin(), v.end(), names[i].begin(), [](char a, char b) {
          return std::toupper(static_cast<unsigned char>(a)) == b;
        })) {
      out = int64_t(i);
      return true;
    }
  }
  if (v.empty() || v.size() > 10 || v.find_first_not_of("0123456789") != std::string_view::npos) return false;
  out = std::stoll(std::string(v));
  return out <= max;
}

void http2_rule(ParseState& st, const TxIntCond& c) {
  st.rule.tx_ints.push_back(c);
  st.rule.app_mask |= (1u << unsigned(AppProto::kHttp2)) | (1u << unsigned(AppProto::kDoh2));
}

std::string kw_frametype(ParseState& st, std::string_view v) {
  v = trim(v);
  int64_t t = 0;
  if (!name_or_number(v, kHttp2FrameNames, 255, t))
    return "http2.frametype: unknown frame type '" + std::string(v) + "'";
  if (t > 62) return "http2.frametype: frame type " + std::to_string(t) + " is not tracked (0-62)";
  TxIntCond c;
  c.field = TxInt::kHttp2FrameTypes;
  c.cmp.op = IntCmp::kAnd;
  c.cmp.a = int64_t{1} << t;
  http2_rule(st, c);
  return "";
}

std::string kw_errorcode(ParseState& st, std::string_view v) {
  v = trim(v);
  int64_t e = 0;
  if (!name_or_number(v, kHttp2ErrorNames, UINT32_MAX, e))
    return "http2.errorcode: unknown error code '" + std::string(v) + "'";
  TxIntCond c;
  c.field = TxInt::kHttp2ErrorCode;
  c.cmp.op = IntCmp::kEq;
  c.cmp.a = e;
  http2_rule(st, c);
  return "";
}

template <TxInt F>
std::string kw_int(ParseState& st, std::string_view v) {
  TxIntCond c;
  c.field = F;
  if (!parse_cmp(v, c.cmp)) return "invalid value '" + std::string(v) + "'";
  http2_rule(st, c);
  return "";
}

}  // namespace

void add_http2_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"http2.frametype", kw_frametype});
  t.push_back({"http2.errorcode", kw_errorcode});
  t.push_back({"http2.priority", kw_int<TxInt::kHttp2Priority>});
  t.push_back({"http2.window", kw_int<TxInt::kHttp2Window>});
}

}  // namespace vigil::rules
