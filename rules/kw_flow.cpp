// Flow-level keywords: flow, flowbits, flowint, threshold, detection_filter.
#include "rules/keywords.h"

namespace vigil::rules {

namespace {

std::string kw_flow(ParseState& st, std::string_view v) {
  auto& f = st.rule.flow;
  for (auto o : split(v, ',')) {
    if (o == "established")
      f.established = true;
    else if (o == "not_established")
      f.not_established = true;
    else if (o == "stateless")
      f.stateless = true;
    else if (o == "to_server" || o == "from_client")
      f.to_server = true;
    else if (o == "to_client" || o == "from_server")
      f.to_client = true;
    else if (o == "only_stream")
      f.only_stream = true;
    else if (o == "no_stream")
      f.no_stream = true;
    else if (o == "only_frag")
      f.only_frag = true;
    else if (o == "no_frag")
      f.no_frag = true;
    else
      return "invalid flow option '" + std::string(o) + "'";
  }
  if (f.to_server && f.to_client) return "flow: to_server and to_client together";
  if (f.established && f.not_established) return "flow: established and not_established together";
  if (f.only_stream && f.no_stream) return "flow: only_stream and no_stream together";
  if (f.only_stream && st.rule.stream == StreamSel::kBoth) st.rule.stream = StreamSel::kStreamOnly;
  if (f.no_stream && st.rule.stream == StreamSel::kBoth) st.rule.stream = StreamSel::kPacketOnly;
  return "";
}

std::string kw_flowbits(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.size() == 1 && parts[0] == "noalert") {
    st.rule.noalert = true;
    return "";
  }
  if (parts.size() != 2 || parts[1].empty()) return "invalid flowbits '" + std::string(v) + "'";
  BitOp op;
  auto c = parts[0];
  if (c == "set")
    op.cmd = BitOp::kSet;
  else if (c == "unset")
    op.cmd = BitOp::kUnset;
  else if (c == "toggle")
    op.cmd = BitOp::kToggle;
  else if (c == "isset")
    op.cmd = BitOp::kIsset;
  else if (c == "isnotset")
    op.cmd = BitOp::kIsnotset;
  else
    return "invalid flowbits command '" + std::string(c) + "'";
  auto names = parts[1];
  char sep = names.find('|') != std::string_view::npos ? '|' : '&';
  if (names.find('|') != std::string_view::npos && names.find('&') != std::string_view::npos)
    return "flowbits: can't mix '|' and '&'";
  if (sep == '|' && !op.is_condition()) return "flowbits: '|' only with isset/isnotset";
  op.any_of = sep == '|';
  for (auto n : split(names, sep)) {
    if (n.empty()) return "flowbits: empty name";
    op.names.push_back(name_hash(n));
  }
  if (!op.is_condition()) st.rule.sets_bits = true;
  st.rule.flowbits.push_back(std::move(op));
  return "";
}

// xbits:<set|unset|toggle|isset|isnotset>,NAME,track <ip_src|ip_dst|ip_pair>[,expire N]
std::string kw_xbits(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.size() < 3) return "xbits needs command, name and track";
  XBitOp op;
  auto c = parts[0];
  if (c == "set")
    op.cmd = BitOp::kSet;
  else if (c == "unset")
    op.cmd = BitOp::kUnset;
  else if (c == "toggle")
    op.cmd = BitOp::kToggle;
  else if (c == "isset")
    op.cmd = BitOp::kIsset;
  else if (c == "isnotset")
    op.cmd = BitOp::kIsnotset;
  else
    return "invalid xbits command '" + std::string(c) + "'";
  if (parts[1].empty()) return "xbits: empty name";
  op.name = name_hash(parts[1]);
  bool have_track = false;
  for (size_t i = 2; i < parts.size(); ++i) {
    auto sp = parts[i].find(' ');
    auto key = trim(parts[i].substr(0, sp));
    auto val = sp == std::string_view::npos ? std::string_view{} : trim(parts[i].substr(sp + 1));
    if (key == "track") {
      have_track = true;
      if (val == "ip_src")
        op.track = XBitOp::kIpSrc;
      else if (val == "ip_dst")
        op.track = XBitOp::kIpDst;
      else if (val == "ip_pair")
        op.track = XBitOp::kIpPair;
      else
        return "invalid xbits track '" + std::string(val) + "'";
    } else if (key == "expire") {
      int64_t n;
      if (!parse_i64(val, n) || n <= 0 || n > 0xffffffffll)
        return "invalid xbits expire '" + std::string(val) + "'";
      op.expire_s = uint32_t(n);
    } else {
      return "invalid xbits option '" + std::string(parts[i]) + "'";
    }
  }
  if (!have_track) return "xbits needs track ip_src, ip_dst or ip_pair";
  if (!op.is_condition()) st.rule.sets_bits = true;
  st.rule.xbits.push_back(op);
  return "";
}

std::string kw_flowint(ParseState& st, std::string_view v) {
  auto parts = split(v, ',');
  if (parts.size() < 2 || parts[0].empty()) return "invalid flowint '" + std::string(v) + "'";
  IntVarOp op;
  op.name = name_hash(parts[0]);
  auto c = parts[1];
  if (c == "isset") {
    op.cmd = IntVarOp::kIsset;
  } else if (c == "notset" || c == "isnotset") {
    op.cmd = IntVarOp::kIsnotset;
  } else {
    if (parts.size() != 3) return "flowint '" + std::string(c) + "' needs a value";
    int64_t val = 0;
    if (!parse_i64(parts[2], val)) {
      op.var_src = name_hash(parts[2]);
    }
    op.value = val;
    if (c == "=")
      op.cmd = IntVarOp::kSet;
    else if (c == "+")
      op.cmd = IntVarOp::kAdd;
    else if (c == "-")
      op.cmd = IntVarOp::kSub;
    else {
      op.cmd = IntVarOp::kCmp;
      if (!parse_cmp_op(c, kCmpOrder | kCmpEqEq | kCmpNe, op.cmp.op))
        return "invalid flowint operator '" + std::string(c) + "'";
      op.cmp.a = val;
    }
  }
  if (!op.is_condition()) st.rule.sets_bits = true;
  st.rule.flowints.push_back(op);
  return "";
}

std::string parse_threshold(std::string_view v, ThresholdSpec& t, bool filter) {
  bool have_type = filter, have_track = false, have_count = false, have_seconds = false;
  if (filter) t.type = ThresholdSpec::kDetectionFilter;
  for (auto p : split(v, ',')) {
    auto sp = p.find(' ');
    auto key = trim(p.substr(0, sp));
    auto val = sp == std::string_view::npos ? std::string_view{} : trim(p.substr(sp + 1));
    int64_t n;
    if (key == "type" && !filter) {
      have_type = true;
      if (val == "limit")
        t.type = ThresholdSpec::kLimit;
      else if (val == "threshold")
        t.type = ThresholdSpec::kThreshold;
      else if (val == "both")
        t.type = ThresholdSpec::kBoth;
      else if (val == "backoff")
        t.type = ThresholdSpec::kBackoff;
      else
        return "invalid threshold type '" + std::string(val) + "'";
    } else if (key == "track") {
      have_track = true;
      if (val == "by_src")
        t.track = ThresholdSpec::kBySrc;
      else if (val == "by_dst")
        t.track = ThresholdSpec::kByDst;
      else if (val == "by_rule")
        t.track = ThresholdSpec::kByRule;
      else if (val == "by_flow")
        t.track = ThresholdSpec::kByFlow;
      else if (val == "by_both")
        t.track = ThresholdSpec::kByBoth;
      else
        return "invalid track '" + std::string(val) + "'";
    } else if (key == "count") {
      if (!parse_i64(val, n) || n < 0 || n > 0xffffffffll) return "invalid count '" + std::string(val) + "'";
      t.count = uint32_t(n);
      have_count = true;
    } else if (key == "seconds") {
      if (!parse_i64(val, n) || n <= 0 || n > 0xffffffffll)
        return "invalid seconds '" + std::string(val) + "'";
      t.seconds = uint32_t(n);
      have_seconds = true;
    } else if (key == "multiplier" && !filter) {
      if (!parse_i64(val, n) || n < 1 || n > 0xffffffffll)
        return "invalid multiplier '" + std::string(val) + "'";
      t.multiplier = uint32_t(n);
    } else if (key == "unique_on" && filter) {
      if (val == "dst_port")
        t.unique_on = ThresholdSpec::kUniqueDstPort;
      else if (val == "src_port")
        t.unique_on = ThresholdSpec::kUniqueSrcPort;
      else
        return "invalid unique_on '" + std::string(val) + "' (src_port or dst_port)";
    } else {
      return "invalid threshold option '" + std::string(p) + "'";
    }
  }
  if (t.type == ThresholdSpec::kBackoff) {
    // Suricata 8: "count C, multiplier M" instead of seconds, by_flow only.
    if (!have_track || !have_count || t.multiplier == 0 || have_seconds)
      return "threshold type backoff needs track, count and multiplier (no seconds)";
    if (t.track != ThresholdSpec::kByFlow) return "threshold type backoff needs track by_flow";
    if (t.count == 0) return "threshold type backoff needs a count of at least 1";
    return "";
  }
  if (t.multiplier != 0) return "multiplier is for threshold type backoff only";
  if (!have_type || !have_track || !have_count || !have_seconds)
    return std::string(filter ? "detection_filter" : "threshold") + " needs type, track, count and seconds";
  return "";
}

std::string kw_threshold(ParseState& st, std::string_view v) {
  if (st.rule.threshold) return "more than one threshold";
  ThresholdSpec t;
  auto e = parse_threshold(v, t, false);
  if (e.empty()) st.rule.threshold = t;
  return e;
}

std::string kw_detection_filter(ParseState& st, std::string_view v) {
  if (st.rule.detection_filter) return "more than one detection_filter";
  ThresholdSpec t;
  auto e = parse_threshold(v, t, true);
  if (e.empty()) st.rule.detection_filter = t;
  return e;
}

}  // namespace

std::string parse_threshold_spec(std::string_view v, ThresholdSpec& t) {
  return parse_threshold(v, t, false);
}

void add_flow_keywords(std::vector<KeywordDef>& t) {
  t.push_back({"flow", kw_flow});
  t.push_back({"flowbits", kw_flowbits});
  t.push_back({"flowint", kw_flowint});
  t.push_back({"xbits", kw_xbits});
  t.push_back({"threshold", kw_threshold});
  t.push_back({"detection_filter", kw_detection_filter});
}

}  // namespace vigil::rules
