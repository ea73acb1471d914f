// Header keywords evaluated on the packet: dsize ttl tos id ip_proto fragbits
// fragoffset sameip flags seq ack window itype icode icmp_id icmp_seq
// app-layer-protocol.
#include <algorithm>

#include "rules/keywords.h"

namespace vigil::rules {

namespace {

bool is_icmp(const Packet& p) {
  return p.l4 == L4::kIcmp || p.l4 == L4::kIcmpv6;
}

// A comparison of one integer field of the packet.
template <class Getter>
struct CmpOpt : PktOpt {
  IntCmp cmp;
  Getter get;
  bool match(const PktCtx& c) const override {
    int64_t v;
    return get(*c.p, v) && cmp.eval(v);
  }
};

template <class Getter>
std::string add_cmp(ParseState& st, std::string_view v, const char* kw, Getter g) {
  auto o = std::make_unique<CmpOpt<Getter>>();
  o->get = g;
  if (!parse_cmp(v, o->cmp)) return std::string("invalid ") + kw + " value '" + std::string(v) + "'";
  st.rule.pkt_opts.push_back(std::move(o));
  return "";
}

std::string kw_dsize(ParseState& st, std::string_view v) {
  // dsize is about one packet: never evaluated on reassembled stream data.
  if (st.rule.stream == StreamSel::kBoth) st.rule.stream = StreamSel::kPacketOnly;
  return add_cmp(st, v, "dsize", [](const Packet& p, int64_t& o) {
    o = int64_t(p.payload.size());
    return true;
  });
}
std::string kw_ttl(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "ttl", [](const Packet& p, int64_t& o) {
    o = p.ttl;
    return p.ip_version != 0;
  });
}
std::string kw_tos(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "tos", [](const Packet& p, int64_t& o) {
    o = p.tos;
    return p.ip_version == 4;
  });
}
std::string kw_id(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "id", [](const Packet& p, int64_t& o) {
    o = p.ip_id;
    return p.ip_version == 4;
  });
}
std::string kw_ip_proto(ParseState& st, std::string_view v) {
  std::string s(trim(v));
  static const std::pair<const char*, int> kNames[] = {
      {"tcp", 6},  {"udp", 17}, {"icmp", 1},   {"ipv6-icmp", 58}, {"icmpv6", 58}, {"gre", 47},
      {"esp", 50}, {"ah", 51},  {"sctp", 132}, {"igmp", 2},       {"pim", 103}};
  for (auto& [n, num] : kNames) {
    auto pos = s.find(n);
    if (pos != std::string::npos && pos + std::string_view(n).size() == s.size()) {
      s = s.substr(0, pos) + std::to_string(num);
      break;
    }
  }
  if (!s.empty() && s.size() <= 3 &&
      std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }))
    st.rule.ip_proto_eq = int16_t(std::stoi(s));
  return add_cmp(st, s, "ip_proto", [](const Packet& p, int64_t& o) {
    o = p.ip_proto;
    return p.ip_version != 0;
  });
}
std::string kw_fragoffset(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "fragoffset", [](const Packet& p, int64_t& o) {
    o = int64_t(p.frag_offset) * 8;
    return p.ip_version != 0;
  });
}
std::string kw_seq(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "seq", [](const Packet& p, int64_t& o) {
    o = p.tcp.seq;
    return p.l4 == L4::kTcp;
  });
}
std::string kw_ack(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "ack", [](const Packet& p, int64_t& o) {
    o = p.tcp.ack;
    return p.l4 == L4::kTcp;
  });
}
std::string kw_window(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "window", [](const Packet& p, int64_t& o) {
    o = p.tcp.window;
    return p.l4 == L4::kTcp;
  });
}
std::string kw_itype(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "itype", [](const Packet& p, int64_t& o) {
    o = p.icmp.type;
    return is_icmp(p);
  });
}
std::string kw_icode(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "icode", [](const Packet& p, int64_t& o) {
    o = p.icmp.code;
    return is_icmp(p);
  });
}
std::string kw_icmp_id(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "icmp_id", [](const Packet& p, int64_t& o) {
    o = p.icmp.id;
    return is_icmp(p) && p.icmp.has_id_seq;
  });
}
std::string kw_icmp_seq(ParseState& st, std::string_view v) {
  return add_cmp(st, v, "icmp_seq", [](const Packet& p, int64_t& o) {
    o = p.icmp.seq;
    return is_icmp(p) && p.icmp.has_id_seq;
  });
}

struct SameIpOpt : PktOpt {
  bool match(const PktCtx& c) const override { return c.p->ip_version != 0 && c.p->src == c.p->dst; }
};
std::string kw_sameip(ParseState& st, std::string_view) {
  st.rule.pkt_opts.push_back(std::make_unique<SameIpOpt>());
  return "";
}

// Bit-set tests shared by flags and fragbits: exact (after ignoring `ignore`),
// '+' all of these plus any, '*' any of these, '!' none of these.
struct BitsOpt : PktOpt {
  char mode = '=';
  uint8_t bits = 0, ignore = 0;
  bool tcp = true;  // flags (TCP) or fragbits (IP)
  bool match(const PktCtx& c) const override {
    const Packet& p = *c.p;
    uint8_t v;
    if (tcp) {
      if (p.l4 != L4::kTcp) return false;
      v = p.tcp.flags;
    } else {
      if (p.ip_version != 4) return false;
      v = uint8_t((p.frag_mf ? 1 : 0) | (p.frag_df ? 2 : 0) | (p.frag_rf ? 4 : 0));
    }
    v &= uint8_t(~ignore);
    switch (mode) {
      case '+':
        return (v & bits) == bits;
      case '*':
        return (v & bits) != 0;
      case '!':
        return (v & bits) == 0;
      default:
        return v == bits;
    }
  }
};

bool flag_bit(char ch, uint8_t& b) {
  switch (ch) {
    case 'F':
    case 'f':
      b = kTcpFin;
      return true;
    case 'S':
    case 's':
      b = kTcpSyn;
      return true;
    case 'R':
    case 'r':
      b = kTcpRst;
      return true;
    case 'P':
    case 'p':
      b = kTcpPsh;
      return true;
    case 'A':
    case 'a':
      b = kTcpAck;
      return true;
    case 'U':
    case 'u':
      b = kTcpUrg;
      return true;
    case 'C':
    case 'c':
    case '1':
      b = kTcpCwr;
      return true;
    case 'E':
    case 'e':
    case '2':
      b = kTcpEce;
      return true;
    case '0':
      b = 0;
      return true;
    default:
      return false;
  }
}

std::string kw_flags(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  auto o = std::make_unique<BitsOpt>();
  for (char ch : parts[0]) {
    uint8_t b;
    if (ch == '+' || ch == '*' || ch == '!') {
      o->mode = ch;
    } else if (flag_bit(ch, b)) {
      o->bits |= b;
    } else {
      return "invalid flags value '" + std::string(v) + "'";
    }
  }
  if (parts.size() > 1) {
    for (char ch : parts[1]) {
      uint8_t b;
      if (!flag_bit(ch, b)) return "invalid flags mask '" + std::string(parts[1]) + "'";
      o->ignore |= b;
    }
  }
  st.rule.pkt_opts.push_back(std::move(o));
  return "";
}

std::string kw_fragbits(ParseState& st, std::string_view v) {
  auto o = std::make_unique<BitsOpt>();
  o->tcp = false;
  for (char ch : trim(v)) {
    switch (ch) {
      case '+':
      case '*':
      case '!':
        o->mode = ch;
        break;
      case 'M':
        o->bits |= 1;
        break;
      case 'D':
        o->bits |= 2;
        break;
      case 'R':
        o->bits |= 4;
        break;
      default:
        return "invalid fragbits value '" + std::string(v) + "'";
    }
  }
  st.rule.pkt_opts.push_back(std::move(o));
  return "";
}

// app-layer-protocol:[!]<proto>[|<proto>...][,<mode>][,exact] (Suricata 8/9).
// Modes pick which detected protocol is compared:
//   direction (default)  the protocol detected in the packet's direction,
//                        else the flow's (while the direction is undecided)
//   to_server/to_client  the protocol detected in that direction
//   either               either direction's protocol
//   final                the flow's protocol (what EVE's app_proto shows)
//   original             the protocol before a protocol change (HTTP/1 ->
//                        HTTP/2, STARTTLS); Vigil's parsers never change the
//                        protocol of a flow, so it is always "unknown"
// `exact` asks for identity instead of Suricata's equivalences
// (app_proto_match_mask: http ~ http1/http2, dns ~ doh2, http2 ~ doh2).
// A protocol not known yet only matches "unknown"; negation never matches it.
// In a protocol-detection-only rule (mark_proto_detect_only) it matches only
// on the packet that ends detection in its direction.
struct AppProtoOpt : PktOpt {
  enum Mode : uint8_t { kDirection, kToServer, kToClient, kEither, kFinal, kOriginal } mode = kDirection;
  uint32_t mask = 0;  // bit per AppProto named
  bool negated = false;
  bool detect_only = false;

  bool test(AppProto a) const {
    bool in = (mask >> unsigned(a)) & 1u;
    if (a == AppProto::kUnknown) return in && !negated;
    return in != negated;
  }
  bool match(const PktCtx& c) const override {
    if (!c.flow) return false;
    const FlowView& f = *c.flow;
    if (detect_only && !f.proto_done_pending[c.to_server ? 0 : 1]) return false;
    switch (mode) {
      case kDirection: {
        AppProto a = c.to_server ? f.app_proto_ts : f.app_proto_tc;
        return test(a == AppProto::kUnknown ? f.app_proto : a);
      }
      case kToServer:
        return test(f.app_proto_ts);
      case kToClient:
        return test(f.app_proto_tc);
      case kEither:
        return test(f.app_proto_ts) || test(f.app_proto_tc);
      case kFinal:
        return test(f.app_proto);
      case kOriginal:
        return test(AppProto::kUnknown);
    }
    return false;
  }
};

std::string kw_app_layer_protocol(ParseState& st, std::string_view v) {
  auto o = std::make_unique<AppProtoOpt>();
  auto parts = split(v, ',');
  std::string_view protos = parts[0];
  if (!protos.empty() && protos[0] == '!') {
    o->negated = true;
    protos = trim(protos.substr(1));
  }
  bool exact = std::find(parts.begin() + 1, parts.end(), std::string_view("exact")) != parts.end();
  for (auto name : split(protos, '|')) {
    AppProto a = name == "unknown" ? AppProto::kUnknown : app_proto_from_name(name);
    if (a == AppProto::kUnknown && name != "unknown")
      return "unknown app-layer-protocol '" + std::string(name) + "'";
    if (a == AppProto::kUnknown && o->negated) return "app-layer-protocol 'unknown' cannot be negated";
    o->mask |= exact || a == AppProto::kUnknown ? 1u << unsigned(a) : app_proto_match_mask(name);
  }
  bool have_mode = false;
  for (size_t i = 1; i < parts.size(); ++i) {
    static const std::pair<std::string_view, AppProtoOpt::Mode> kModes[] = {
        {"direction", AppProtoOpt::kDirection}, {"to_server", AppProtoOpt::kToServer},
        {"to_client", AppProtoOpt::kToClient},  {"either", AppProtoOpt::kEither},
        {"final", AppProtoOpt::kFinal},         {"original", AppProtoOpt::kOriginal}};
    if (parts[i] == "exact") continue;
    auto it =
        std::find_if(std::begin(kModes), std::end(kModes), [&](auto& m) { return m.first == parts[i]; });
    if (it == std::end(kModes)) return "invalid app-layer-protocol mode '" + std::string(parts[i]) + "'";
    if (have_mode) return "app-layer-protocol takes one mode";
    have_mode = true;
    o->mode = it->second;
  }
  // Suricata 9 rejects a negated protocol that an earlier negated
  // app-layer-protocol of the same mode already excludes: the second one
  // can only be a mistake.
  if (o->negated) {
    for (auto& p : st.rule.pkt_opts) {
      auto* a = dynamic_cast<const AppProtoOpt*>(p.get());
      if (a != nullptr && a->negated && a->mode == o->mode && (a->mask & o->mask) != 0)
        return "duplicate or overlapping negated entries under the same mode";
    }
  }
  st.rule.pkt_opts.push_back(std::move(o));
  return "";
}

}  // namespace

void mark_proto_detect_only(Rule& r) {
  const FlowOpt& fo = r.flow;
  if (r.app_mask != 0 || r.has_payload || !r.buffers.empty() || !r.flowints.empty() || !r.xbits.empty() ||
      !r.tx_ints.empty() || fo.established || fo.not_established || fo.stateless || fo.only_stream ||
      fo.no_stream || fo.only_frag || fo.no_frag)
    return;
  for (auto& b : r.flowbits)
    if (b.cmd != BitOp::kSet) return;
  std::vector<AppProtoOpt*> opts;
  for (auto& o : r.pkt_opts) {
    auto* a = dynamic_cast<AppProtoOpt*>(o.get());
    if (!a) return;
    opts.push_back(a);
  }
  for (auto* a : opts) a->detect_only = true;
}

std::vector<uint32_t> app_layer_protocol_needs(const Rule& r) {
  std::vector<uint32_t> out;
  for (auto& o : r.pkt_opts) {
    auto* a = dynamic_cast<const AppProtoOpt*>(o.get());
    if (a == nullptr || a->negated || a->mode == AppProtoOpt::kOriginal) continue;
    if ((a->mask >> unsigned(AppProto::kUnknown)) & 1u) continue;
    out.push_back(a->mask);
  }
  return out;
}

void add_packet_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"dsize", kw_dsize});
  t.push_back({"ttl", kw_ttl});
  t.push_back({"tos", kw_tos});
  t.push_back({"id", kw_id});
  t.push_back({"ip_proto", kw_ip_proto});
  t.push_back({"fragoffset", kw_fragoffset});
  t.push_back({"fragbits", kw_fragbits});
  t.push_back({"sameip", kw_sameip});
  t.push_back({"flags", kw_flags});
  t.push_back({"seq", kw_seq});
  t.push_back({"ack", kw_ack});
  t.push_back({"window", kw_window});
  t.push_back({"itype", kw_itype});
  t.push_back({"icode", kw_icode});
  t.push_back({"icmp_id", kw_icmp_id});
  t.push_back({"icmp_seq", kw_icmp_seq});
  t.push_back({"app-layer-protocol", kw_app_layer_protocol});
}

}  // namespace vigil::rules
