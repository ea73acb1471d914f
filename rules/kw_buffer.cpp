// Buffer selection: sticky buffers (http.uri; dns.query; file.data; ...), the
// legacy content modifiers (content:"x"; http_uri;), Snort 3's sticky forms
// (http_uri; content:"x"; and http_header:field user-agent), pkt_data /
// raw_data, Snort 3's service:, and transforms.
#include <cctype>

#include "rules/keywords.h"

namespace vigil::rules {

namespace {

void select(ParseState& st, int slot) {
  st.cur_slot = slot;
  st.slot_explicit = true;
  st.last_op = nullptr;  // relative keywords do not reach across buffers
  st.last_content_op = nullptr;
}

std::string buffer_keyword(ParseState& st, std::string_view name, std::string_view value) {
  int slot = buffer_slot(name);
  if (slot < -1) return "unknown buffer " + std::string(name);
  if (st.dialect == Dialect::kSuricata && is_content_modifier(name)) return st.move_last_content(slot);
  if (st.dialect == Dialect::kSnort3 && name == "http_header" && !value.empty()) {
    // http_header:field NAME selects one header: map the ones we have buffers for.
    auto v = trim(value);
    if (!v.starts_with("field")) return "invalid http_header option '" + std::string(v) + "'";
    auto field = trim(v.substr(5));
    std::string f(field);
    for (auto& ch : f) ch = char(std::tolower(uint8_t(ch)));
    if (f == "user-agent")
      slot = int(BufferId::kHttpUserAgent);
    else if (f == "host")
      slot = int(BufferId::kHttpHost);
    else if (f == "cookie")
      slot = int(BufferId::kHttpCookie);
    else if (f == "referer")
      slot = int(BufferId::kHttpReferer);
    else if (f == "content-type")
      slot = int(BufferId::kHttpContentType);
    else if (f == "content-length")
      slot = int(BufferId::kHttpContentLen);
    else if (f == "location")
      slot = int(BufferId::kHttpLocation);
    else if (f == "server")
      slot = int(BufferId::kHttpServer);
    else
      slot = int(BufferId::kHttpHeader);
  } else if (!value.empty() && (name == "ssh.protoversion" || name == "ssh.softwareversion")) {
    return ssh_value_keyword(st, slot, value);  // the legacy value forms (kw_ssh.cpp)
  } else if (!value.empty()) {
    return std::string(name) + " takes no value";
  }
  select(st, slot);
  return "";
}

std::string kw_buffer(ParseState& st, std::string_view value) {
  return buffer_keyword(st, st.keyword, value);
}

std::string kw_service(ParseState& st, std::string_view v) {
  uint32_t mask = 0;
  bool unknown = false;
  for (auto s : split(v, ',')) {
    uint32_t m = app_proto_match_mask(s);
    if (m == 0) {
      unknown = true;
    } else {
      mask |= m;
    }
  }
  // A service we do not detect cannot be required; the header ports still apply.
  if (!unknown && mask) st.rule.app_mask |= mask;
  return "";
}

template <TransformKind K>
std::string kw_transform(ParseState& st, std::string_view v) {
  if (!trim(v).empty()) return "transform takes no value";
  if (!st.slot_explicit) return "transform needs a sticky buffer before it";
  if (st.cur_slot == kSlotBase64) return "transform on base64_data is not supported";
  auto& l = st.list(st.cur_slot);
  if (!l.ops.empty()) return "transform after content on the same buffer";
  l.transforms.push_back(K);
  return "";
}

}  // namespace

std::string add_value_content(ParseState& st, std::string_view v, BufferId slot, const ValueContent& how) {
  v = trim(v);
  bool negated = false;
  if (!v.empty() && v[0] == '!') {
    negated = true;
    v = trim(v.substr(1));
  }
  v = unquote(v);
  auto op = std::make_unique<ContentOp>();
  op->pattern = how.prefix;
  for (size_t i = 0; i < v.size(); ++i) {
    char ch = v[i];
    if (ch == '\\' && i + 1 < v.size()) ch = v[++i];
    op->pattern.push_back(how.lowercase ? char(std::tolower(uint8_t(ch))) : ch);
  }
  if (op->pattern.size() == how.prefix.size()) return "empty value";
  op->nocase = how.nocase;
  op->negated = negated;
  op->endswith = how.endswith;
  st.add_op(int(slot), std::move(op));
  return "";
}

void add_buffer_keywords(std::vector<KeywordDef>& t) {
  for (size_t i = 0; i < kBufferCount; ++i) t.push_back({buffer_name(BufferId(i)), kw_buffer});
  for (auto& a : buffer_aliases()) t.push_back({a.name, kw_buffer});
  t.push_back({"service", kw_service});
  t.push_back({"to_lowercase", kw_transform<TransformKind::kToLowercase>});
  t.push_back({"to_uppercase", kw_transform<TransformKind::kToUppercase>});
  t.push_back({"strip_whitespace", kw_transform<TransformKind::kStripWhitespace>});
  t.push_back({"compress_whitespace", kw_transform<TransformKind::kCompressWhitespace>});
  t.push_back({"dotprefix", kw_transform<TransformKind::kDotprefix>});
  t.push_back({"url_decode", kw_transform<TransformKind::kUrlDecode>});
  t.push_back({"to_md5", kw_transform<TransformKind::kToMd5>});
  t.push_back({"to_sha1", kw_transform<TransformKind::kToSha1>});
  t.push_back({"to_sha256", kw_transform<TransformKind::kToSha256>});
  t.push_back({"strip_pseudo_headers", kw_transform<TransformKind::kStripPseudoHeaders>});
  t.push_back({"header_lowercase", kw_transform<TransformKind::kHeaderLowercase>});
}

}  // namespace vigil::rules
