// TCP stream and session keywords: stream_size (bytes each side sent, as
// Suricata counts them: next expected sequence number minus the initial one,
// so the SYN counts one) and tag (accepted; see below).
#include "rules/keywords.h"

namespace vigil::rules {

namespace {

struct StreamSizeOpt : PktOpt {
  enum Side : uint8_t { kClient, kServer, kBoth, kEither } side = kClient;
  IntCmp cmp;
  static int64_t size(const TcpStreamView& t, Dir d) {
    if (!t.initialized[int(d)]) return 0;
    // The SYN (or SYN/ACK) takes one sequence number; a midstream pickup saw none.
    return int64_t(t.next_offset[int(d)]) + (t.midstream ? 0 : 1);
  }
  bool match(const PktCtx& c) const override {
    if (!c.flow || !c.flow->tcp_view.tracked || c.p->l4 != L4::kTcp) return false;
    const TcpStreamView& t = c.flow->tcp_view;
    bool cl = cmp.eval(size(t, Dir::kToServer)), sv = cmp.eval(size(t, Dir::kToClient));
    switch (side) {
      case kClient:
        return cl;
      case kServer:
        return sv;
      case kBoth:
        return cl && sv;
      case kEither:
        return cl || sv;
    }
    return false;
  }
};

// stream_size:<client|server|both|either>,<op>,<bytes>
std::string kw_stream_size(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.size() != 3) return "stream_size needs side,operator,bytes";
  auto o = std::make_unique<StreamSizeOpt>();
  if (parts[0] == "client")
    o->side = StreamSizeOpt::kClient;
  else if (parts[0] == "server")
    o->side = StreamSizeOpt::kServer;
  else if (parts[0] == "both")
    o->side = StreamSizeOpt::kBoth;
  else if (parts[0] == "either")
    o->side = StreamSizeOpt::kEither;
  else
    return "invalid stream_size side '" + std::string(parts[0]) + "'";
  auto op = parts[1];
  if (!parse_cmp_op(op, kCmpOrder | kCmpEq | kCmpEqEq | kCmpNe, o->cmp.op))
    return "invalid stream_size operator '" + std::string(op) + "'";
  if (!parse_i64(parts[2], o->cmp.a) || o->cmp.a < 0)
    return "invalid stream_size bytes '" + std::string(parts[2]) + "'";
  if (st.rule.proto != ProtoSel::kTcp && st.rule.proto != ProtoSel::kIp)
    return "stream_size on a non-TCP rule";
  st.rule.pkt_opts.push_back(std::move(o));
  return "";
}

// tag:session,N,packets|seconds|bytes / tag:host,N,...,src|dst. Suricata logs
// the tagged packets that follow into pcap/unified output only; the alerts a
// rule writes do not change. Vigil writes no tagged-packet log, so the keyword
// is validated and otherwise has no effect (rules/README.md).
std::string kw_tag(ParseState&, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.empty() || (parts[0] != "session" && parts[0] != "host"))
    return "tag type must be session or host";
  if (parts.size() >= 2) {
    int64_t n;
    if (!parse_i64(parts[1], n) || n < 0) return "invalid tag count '" + std::string(parts[1]) + "'";
    if (parts.size() < 3) return "tag count without a metric";
    if (parts[2] != "packets" && parts[2] != "seconds" && parts[2] != "bytes")
      return "invalid tag metric '" + std::string(parts[2]) + "'";
  }
  if (parts.size() >= 4) {
    if (parts[0] != "host" || (parts[3] != "src" && parts[3] != "dst"))
      return "invalid tag direction '" + std::string(parts[3]) + "'";
  }
  if (parts.size() > 4) return "too many tag arguments";
  return "";
}

}  // namespace

void add_stream_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"stream_size", kw_stream_size});
  t.push_back({"tag", kw_tag});
}

}  // namespace vigil::rules
