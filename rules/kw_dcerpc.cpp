// DCERPC keywords that are no sticky buffer (Suricata 7), for DCERPC carried
// over SMB named pipes (agent/app/smb_parser.cpp):
//   dcerpc.iface:<uuid>[,(<|>|=|!)<version>][,any_frag]  the interface a
//     BIND_ACK accepted for the context id of the transaction's REQUEST;
//   dcerpc.opnum:<n|n-m>[,...]  the REQUEST's opnum;
//   dcerpc.ptype / dcerpc.flags  the packet type / pfc_flags of the PDU of
//     the direction inspected (integer comparisons, flags also &MASK=VALUE);
//   dce_iface / dce_opnum  Suricata's legacy names.
// dcerpc.stub_data is a sticky buffer (common/inspect.h). The rules are smb
// rules: the app layer feeds them on SMB flows only.
#include <cctype>
#include <charconv>

#include "rules/keywords.h"

namespace vigil::rules {

namespace {

bool parse_u16(std::string_view s, uint16_t* out) {
  s = trim(s);
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || p != s.data() + s.size() || v > 65535) return false;
  *out = uint16_t(v);
  return true;
}

// 8-4-4-4-12 hex digits; lowercased.
bool parse_uuid(std::string_view s, std::string* out) {
  if (s.size() != 36) return false;
  out->clear();
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (c != '-') return false;
    } else if (!std::isxdigit(uint8_t(c))) {
      return false;
    }
    out->push_back(char(std::tolower(uint8_t(c))));
  }
  return true;
}

void mark_smb(ParseState& st) {
  st.rule.app_mask |= 1u << unsigned(AppProto::kSmb);
}

std::string kw_iface(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  DcerpcCond c;
  if (parts.empty() || !parse_uuid(trim(parts[0]), &c.iface))
    return "dcerpc.iface needs a uuid (8-4-4-4-12 hex digits), not '" + std::string(trim(v)) + "'";
  for (size_t i = 1; i < parts.size(); ++i) {
    auto p = trim(parts[i]);
    if (p == "any_frag") continue;  // every REQUEST is inspected whole (its first fragment)
    if (c.has_version || p.empty() || i != 1)
      return "unexpected '" + std::string(p) + "' (uuid[,<|>|=|!version][,any_frag])";
    switch (p[0]) {
      case '<':
        c.version.op = IntCmp::kLt;
        break;
      case '>':
        c.version.op = IntCmp::kGt;
        break;
      case '=':
        c.version.op = IntCmp::kEq;
        break;
      case '!':
        c.version.op = IntCmp::kNe;
        break;
      default:
        return "version needs <, >, = or ! before it, not '" + std::string(p) + "'";
    }
    uint16_t ver = 0;
    if (!parse_u16(p.substr(1), &ver))
      return "version must be 0..65535, not '" + std::string(p.substr(1)) + "'";
    if ((c.version.op == IntCmp::kLt && ver == 0) || (c.version.op == IntCmp::kGt && ver == 65535))
      return "version '" + std::string(p) + "' matches nothing";
    c.version.a = ver;
    c.has_version = true;
  }
  st.rule.dcerpc.push_back(std::move(c));
  mark_smb(st);
  return "";
}

std::string kw_opnum(ParseState& st, std::string_view v) {
  DcerpcCond c;
  for (auto part : split(v, ',')) {
    part = trim(part);
    auto dash = part.find('-');
    uint16_t a = 0, b = 0;
    bool ok = dash == std::string_view::npos
                  ? parse_u16(part, &a) && parse_u16(part, &b)
                  : parse_u16(part.substr(0, dash), &a) && parse_u16(part.substr(dash + 1), &b) && a <= b;
    if (!ok)
      return "dcerpc.opnum takes n, n-m (n <= m, 0..65535) or a list of them, not '" + std::string(part) +
             "'";
    c.opnums.emplace_back(a, b);
  }
  if (c.opnums.empty()) return "dcerpc.opnum needs a value";
  st.rule.dcerpc.push_back(std::move(c));
  mark_smb(st);
  return "";
}

// dcerpc.ptype / dcerpc.flags: an integer of the PDU seen in the direction
// inspected: its packet type (8 bits), its flags (16 bits: connectionless
// DCERPC has flags1 and flags2; over SMB only pfc_flags, the low byte, is
// set); flags also as a bitmask test "&MASK=VALUE" / "&MASK!=VALUE".
std::string add_pdu_int(ParseState& st, std::string_view v, TxInt field, std::string_view kw) {
  const int64_t max = field == TxInt::kDcerpcFlags ? 65535 : 255;
  v = trim(unquote(v));
  TxIntCond c;
  c.field = field;
  if (field == TxInt::kDcerpcFlags && !v.empty() && v[0] == '&') {
    auto ne = v.find("!=");
    auto eq = ne != std::string_view::npos ? ne : v.find('=');
    if (eq == std::string_view::npos || !parse_i64(v.substr(1, eq - 1), c.mask) ||
        !parse_i64(v.substr(eq + (ne != std::string_view::npos ? 2 : 1)), c.cmp.a) || c.mask < 0 ||
        c.mask > max)
      return "invalid " + std::string(kw) + " bitmask '" + std::string(v) + "'";
    c.cmp.op = ne != std::string_view::npos ? IntCmp::kNe : IntCmp::kEq;
  } else if (!parse_cmp(v, c.cmp)) {
    return "invalid " + std::string(kw) + " '" + std::string(v) + "'";
  }
  if (c.cmp.a < 0 || c.cmp.a > max || c.cmp.b < 0 || c.cmp.b > max)
    return std::string(kw) + " value out of range 0-" + std::to_string(max);
  st.rule.tx_ints.push_back(c);
  mark_smb(st);
  return "";
}

std::string kw_ptype(ParseState& st, std::string_view v) {
  return add_pdu_int(st, v, TxInt::kDcerpcPtype, "dcerpc.ptype");
}
std::string kw_flags(ParseState& st, std::string_view v) {
  return add_pdu_int(st, v, TxInt::kDcerpcFlags, "dcerpc.flags");
}

}  // namespace

bool dcerpc_match(const DcerpcCond& c, const Transaction& tx) {
  if (c.iface.empty()) {
    uint16_t op = 0;
    if (!tx.dcerpc_opnum(&op)) return false;
    for (auto& [a, b] : c.opnums)
      if (op >= a && op <= b) return true;
    return false;
  }
  size_t n = tx.dcerpc_iface_count();
  for (size_t i = 0; i < n; ++i) {
    std::string_view uuid;
    uint16_t ver = 0;
    if (tx.dcerpc_iface(i, &uuid, &ver) && uuid == c.iface && (!c.has_version || c.version.eval(ver)))
      return true;
  }
  return false;
}

void add_dcerpc_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"dcerpc.iface", kw_iface});
  t.push_back({"dcerpc.opnum", kw_opnum});
  t.push_back({"dcerpc.ptype", kw_ptype});
  t.push_back({"dcerpc.flags", kw_flags});
  // Suricata's legacy spellings.
  t.push_back({"dce_iface", kw_iface});
  t.push_back({"dce_opnum", kw_opnum});
}

}  // namespace vigil::rules
