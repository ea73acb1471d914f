#include "rules/parser.h"

#include <cctype>

#include "rules/requires.h"

namespace vigil::rules {

namespace {

// Splits the header into whitespace-separated tokens; brackets keep lists
// with spaces ("[1.2.3.4, 5.6.7.8]") in one token.
std::vector<std::string_view> header_tokens(std::string_view h) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < h.size()) {
    while (i < h.size() && std::isspace(uint8_t(h[i]))) ++i;
    if (i >= h.size()) break;
    size_t start = i;
    int depth = 0;
    while (i < h.size() && (depth > 0 || !std::isspace(uint8_t(h[i])))) {
      if (h[i] == '[') ++depth;
      if (h[i] == ']') --depth;
      ++i;
    }
    out.push_back(h.substr(start, i - start));
  }
  return out;
}

std::string strip_spaces(std::string_view s) {
  std::string o;
  for (char c : s)
    if (!std::isspace(uint8_t(c))) o.push_back(c);
  return o;
}

// Options split as Suricata splits them: on ';' not preceded by a backslash.
std::vector<std::string_view> split_options(std::string_view body) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\') {
      ++i;
      continue;
    }
    if (body[i] == ';') {
      auto o = trim(body.substr(start, i - start));
      if (!o.empty()) out.push_back(o);
      start = i + 1;
    }
  }
  auto rest = trim(body.substr(start));
  if (!rest.empty()) out.push_back(rest);
  return out;
}

uint32_t find_sid(std::string_view text) {
  size_t pos = 0;
  while ((pos = text.find("sid", pos)) != std::string_view::npos) {
    bool word_start =
        pos == 0 || text[pos - 1] == ';' || text[pos - 1] == '(' || std::isspace(uint8_t(text[pos - 1]));
    size_t i = pos + 3;
    pos = i;
    if (!word_start) continue;
    while (i < text.size() && std::isspace(uint8_t(text[i]))) ++i;
    if (i >= text.size() || text[i] != ':') continue;
    ++i;
    while (i < text.size() && std::isspace(uint8_t(text[i]))) ++i;
    uint64_t v = 0;
    bool any = false;
    while (i < text.size() && std::isdigit(uint8_t(text[i])) && v < 0xffffffffull) {
      v = v * 10 + uint64_t(text[i++] - '0');
      any = true;
    }
    if (any) return uint32_t(v);
  }
  return 0;
}

// Groups parse through the context's cache; failures are not cached (they
// are rare and their message is wanted each time).
std::string cached_addr(std::string_view text, const ParseContext& ctx, AddrSet& out) {
  std::string key = strip_spaces(text);
  auto it = ctx.addr_cache.find(key);
  if (it != ctx.addr_cache.end()) {
    out = it->second;
    return "";
  }
  auto e = parse_addr_set(key, ctx.addr_vars, out);
  if (e.empty()) ctx.addr_cache.emplace(std::move(key), out);
  return e;
}

std::string cached_port(std::string_view text, const ParseContext& ctx, PortSet& out) {
  std::string key = strip_spaces(text);
  auto it = ctx.port_cache.find(key);
  if (it != ctx.port_cache.end()) {
    out = it->second;
    return "";
  }
  auto e = parse_port_set(key, ctx.port_vars, out);
  if (e.empty()) ctx.port_cache.emplace(std::move(key), out);
  return e;
}

bool fail_with(ParseFailure& f, std::string reason, std::string cls) {
  f.reason = std::move(reason);
  f.reason_class = std::move(cls);
  return false;
}

bool parse_header(std::string_view header, Dialect dialect, const ParseContext& ctx, Rule& r,
                  ParseFailure& f) {
  auto tok = header_tokens(header);
  if (tok.empty()) return fail_with(f, "empty rule header", "invalid header");
  auto a = tok[0];
  if (a == "alert")
    r.action = Action::kAlert;
  else if (a == "pass")
    r.action = Action::kPass;
  else if (a == "drop" || a == "block" || a == "sdrop")
    r.action = Action::kDrop;
  else if (a == "reject" || a == "rejectsrc" || a == "rejectdst" || a == "rejectboth")
    r.action = Action::kReject;
  else if (a == "log" || a == "config")
    return fail_with(f, "unsupported action '" + std::string(a) + "'", "unsupported action");
  else
    return fail_with(f, "invalid action '" + std::string(a) + "'", "invalid header");
  if (tok.size() < 2) return fail_with(f, "rule header has no protocol", "invalid header");
  std::string proto(tok[1]);
  for (auto& ch : proto) ch = char(std::tolower(uint8_t(ch)));
  if (proto == "ip" || proto == "pkthdr")
    r.proto = ProtoSel::kIp;
  else if (proto == "tcp")
    r.proto = ProtoSel::kTcp;
  else if (proto == "tcp-pkt") {
    r.proto = ProtoSel::kTcp;
    r.stream = StreamSel::kPacketOnly;
  } else if (proto == "tcp-stream") {
    r.proto = ProtoSel::kTcp;
    r.stream = StreamSel::kStreamOnly;
  } else if (proto == "udp")
    r.proto = ProtoSel::kUdp;
  else if (proto == "icmp")
    r.proto = ProtoSel::kIcmp;
  else if (proto == "icmpv4")
    r.proto = ProtoSel::kIcmpv4;
  else if (proto == "icmpv6" || proto == "ipv6-icmp")
    r.proto = ProtoSel::kIcmpv6;
  else if (proto == "dcerpc") {
    // Suricata's dcerpc signature protocol also matches SMB flows
    // (AppProtoEquals); DCERPC is parsed here where SMB carries it, not over
    // TCP/UDP port 135, so the rule is an smb rule.
    r.proto = ProtoSel::kTcp;
    r.app_mask = 1u << unsigned(AppProto::kSmb);
  } else {
    AppProto ap = app_proto_from_name(proto);
    if (ap == AppProto::kUnknown || ap == AppProto::kFailed) {
      f.unsupported = true;
      f.keyword = "protocol " + proto;
      return fail_with(f, "unsupported protocol '" + proto + "'", "unsupported protocol");
    }
    r.proto = ap == AppProto::kDns ? ProtoSel::kIp : ProtoSel::kTcp;
    r.app_mask = app_proto_match_mask(proto);
  }
  std::string_view src = "any", sp = "any", dir = "->", dst = "any", dp = "any";
  if (tok.size() == 7) {
    src = tok[2];
    sp = tok[3];
    dir = tok[4];
    dst = tok[5];
    dp = tok[6];
  } else if (!(tok.size() == 2 && dialect == Dialect::kSnort3) && tok.size() != 2) {
    return fail_with(f, "rule header needs 7 fields, got " + std::to_string(tok.size()), "invalid header");
  }
  if (dir == "<>")
    r.bidir = true;
  else if (dir != "->")
    return fail_with(f, "invalid direction '" + std::string(dir) + "'", "invalid header");
  std::string e;
  if (!(e = cached_addr(src, ctx, r.src)).empty()) return fail_with(f, "source: " + e, "invalid address");
  if (!(e = cached_addr(dst, ctx, r.dst)).empty())
    return fail_with(f, "destination: " + e, "invalid address");
  if (!(e = cached_port(sp, ctx, r.sp)).empty()) return fail_with(f, "source port: " + e, "invalid port");
  if (!(e = cached_port(dp, ctx, r.dp)).empty())
    return fail_with(f, "destination port: " + e, "invalid port");
  if ((!r.sp.any || !r.dp.any) && r.proto != ProtoSel::kTcp && r.proto != ProtoSel::kUdp &&
      r.proto != ProtoSel::kIp)
    return fail_with(f, "ports on a protocol without ports", "invalid port");
  return true;
}

}  // namespace

std::unique_ptr<Rule> parse_rule(std::string_view text, Dialect dialect, const ParseContext& ctx,
                                 ParseFailure& f) {
  f = ParseFailure{};
  f.sid = find_sid(text);
  auto r = std::make_unique<Rule>();
  r->text = std::string(text);
  auto open = text.find('(');
  auto close = text.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open) {
    fail_with(f, "rule options must be enclosed in ( )", "invalid syntax");
    return nullptr;
  }
  if (!trim(text.substr(close + 1)).empty()) {
    fail_with(f, "text after the closing parenthesis", "invalid syntax");
    return nullptr;
  }
  // `requires` first: a rule for another engine version may use a header or
  // keywords this one rejects, and is skipped rather than failed.
  for (auto opt : split_options(text.substr(open + 1, close - open - 1))) {
    auto colon = opt.find(':');
    if (trim(opt.substr(0, colon)) != "requires") continue;
    auto rq = check_requires(colon == std::string_view::npos ? std::string_view{} : opt.substr(colon + 1));
    if (rq.invalid) {
      fail_with(f, "requires: " + rq.why, "invalid requires");
      return nullptr;
    }
    if (!rq.met) {
      f.requires_unmet = true;
      fail_with(f, "requires " + rq.why + ": not met, rule skipped", "requires not met");
      return nullptr;
    }
  }
  if (!parse_header(text.substr(0, open), dialect, ctx, *r, f)) return nullptr;

  ParseState st(*r);
  st.dialect = dialect;
  st.classes = ctx.classes;
  st.datasets = &ctx.datasets;
  st.rule_dir = ctx.rule_dir;
  st.file_scope = &ctx.file_scope;
  st.iprep = ctx.iprep;
  for (auto opt : split_options(text.substr(open + 1, close - open - 1))) {
    auto colon = opt.find(':');
    auto name = trim(opt.substr(0, colon));
    auto value = colon == std::string_view::npos ? std::string_view{} : trim(opt.substr(colon + 1));
    const KeywordDef* kw = find_keyword(name);
    if (!kw) {
      f.unsupported = true;
      f.keyword = std::string(name);
      fail_with(f, "unsupported keyword '" + std::string(name) + "'", "unsupported keyword");
      return nullptr;
    }
    st.keyword = kw->name;
    auto err = kw->fn(st, value);
    if (!err.empty()) {
      fail_with(f, std::string(name) + ": " + err, "invalid " + std::string(name));
      return nullptr;
    }
  }
  if (r->sid == 0) {
    fail_with(f, "rule has no sid", "missing sid");
    return nullptr;
  }
  if (auto e = check_bsize(*r); !e.empty()) {
    fail_with(f, "bsize: " + e, "invalid bsize");
    return nullptr;
  }
  bool app_buffers = false;  // ip.src/ip.dst are packet buffers: they keep a packet rule a packet rule
  for (auto& b : r->buffers) {
    if (b.slot == kSlotPayload)
      r->has_payload = true;
    else if (!is_packet_buffer(BufferId(b.slot)))
      r->tx_rule = app_buffers = true;
  }
  // "alert http ... (flow:to_server;)": an app-layer protocol in the header
  // without app-layer buffers keeps the rule a packet rule; flow_ok lets it
  // see only the packets of flows whose protocol is known to be that one, as
  // Suricata matches a signature's alproto against each packet's flow.
  if (!r->tx_ints.empty() || !r->dcerpc.empty()) r->tx_rule = true;
  mark_proto_detect_only(*r);
  if (r->has_payload && r->proto != ProtoSel::kTcp && r->proto != ProtoSel::kUdp &&
      r->proto != ProtoSel::kIp && r->proto != ProtoSel::kIcmp && r->proto != ProtoSel::kIcmpv4 &&
      r->proto != ProtoSel::kIcmpv6) {
    fail_with(f, "payload keywords on this protocol", "invalid protocol");
    return nullptr;
  }
  if (r->tx_rule && r->proto == ProtoSel::kTcp && r->stream != StreamSel::kBoth &&
      r->stream != StreamSel::kPacketOnly) {
    // tcp-stream with app buffers is meaningless but harmless.
  }
  r->metadata.shrink();
  return r;
}

namespace {

size_t skip_ws(std::string_view s, size_t i) {
  while (i < s.size() && std::isspace(uint8_t(s[i]))) ++i;
  return i;
}

// Whether s[i..] starts with `w`; on success i moves past it.
bool eat(std::string_view s, size_t& i, std::string_view w) {
  if (s.substr(i, w.size()) != w) return false;
  i += w.size();
  return true;
}

// `service:` as an option name (not inside a quoted value such as
// "urn:NETGEAR-ROUTER:service:" in ET's exploit rules).
bool has_service(std::string_view s) {
  for (size_t pos = s.find("service"); pos != std::string_view::npos; pos = s.find("service", pos + 1)) {
    size_t b = pos;
    while (b > 0 && std::isspace(uint8_t(s[b - 1]))) --b;
    if (b == 0 || (s[b - 1] != ';' && s[b - 1] != '(')) continue;
    size_t i = skip_ws(s, pos + 7);
    if (i < s.size() && s[i] == ':') return true;
  }
  return false;
}

// `content:"x",nocase` style inline modifiers.
bool has_inline_content_modifier(std::string_view s) {
  static constexpr std::string_view kMods[] = {"fast_pattern", "nocase", "depth",
                                               "offset",       "within", "distance"};
  for (size_t pos = s.find("content"); pos != std::string_view::npos; pos = s.find("content", pos + 1)) {
    size_t i = skip_ws(s, pos + 7);
    if (!eat(s, i, ":")) continue;
    i = skip_ws(s, i);
    eat(s, i, "!");
    if (!eat(s, i, "\"")) continue;
    size_t q = s.find('"', i);
    if (q == std::string_view::npos) continue;
    i = skip_ws(s, q + 1);
    if (!eat(s, i, ",")) continue;
    i = skip_ws(s, i);
    for (auto m : kMods)
      if (s.substr(i, m.size()) == m) return true;
  }
  return false;
}

// `(msg:...; X; http_uri; content` : a sticky http_* buffer before its content.
bool has_sticky_http_first(std::string_view s) {
  static constexpr std::string_view kBufs[] = {"uri", "header", "client_body", "raw_uri", "method", "cookie"};
  for (size_t pos = s.find('('); pos != std::string_view::npos; pos = s.find('(', pos + 1)) {
    size_t i = skip_ws(s, pos + 1);
    if (!eat(s, i, "msg")) continue;
    size_t semi = s.find(';', i);
    if (semi == std::string_view::npos) return false;
    // `msg; content:"GET"; http_method; content:...` is Suricata's modifier
    // form (the modifier follows its content), not a sticky buffer.
    if (s.substr(skip_ws(s, semi + 1), 7) == "content") continue;
    semi = s.find(';', semi + 1);
    if (semi == std::string_view::npos) return false;
    i = skip_ws(s, semi + 1);
    if (!eat(s, i, "http_")) continue;
    for (auto b : kBufs) {
      size_t j = i;
      if (!eat(s, j, b)) continue;
      j = skip_ws(s, j);
      if (!eat(s, j, ";")) continue;
      j = skip_ws(s, j);
      if (s.substr(j, 7) == "content") return true;
    }
  }
  return false;
}

}  // namespace

// Hand-written scanners rather than std::regex: the regex version spent
// seconds on ET Open's 60,000 lines.
Dialect detect_dialect(std::string_view text) {
  size_t pos = 0;
  int lines = 0;
  // Look at the first few thousand rules only: dialect is a property of the file.
  while (pos < text.size() && lines < 5000) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lines;
    auto t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    if (has_service(t) || has_inline_content_modifier(t) || has_sticky_http_first(t)) return Dialect::kSnort3;
  }
  return Dialect::kSuricata;
}

void parse_text(std::string_view text, const std::string& file, const ParseContext& ctx, FileParse& out) {
  out.dialect = detect_dialect(text);
  size_t pos = 0;
  int lineno = 0;
  std::string pending;
  int pending_line = 0;
  while (pos <= text.size()) {
    auto nl = text.find('\n', pos);
    auto line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() + 1 : nl + 1;
    ++lineno;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto t = trim(line);
    if (pending.empty()) {
      if (t.empty()) continue;
      if (t[0] == '#') {
        auto body = trim(t.substr(1));
        if (body.starts_with("alert ") || body.starts_with("drop ") || body.starts_with("pass ") ||
            body.starts_with("reject "))
          ++out.disabled;
        continue;
      }
      pending_line = lineno;
    }
    if (!t.empty() && t.back() == '\\') {
      pending.append(t.substr(0, t.size() - 1));
      continue;
    }
    pending.append(t);
    ParseFailure f;
    auto r = parse_rule(pending, out.dialect, ctx, f);
    if (r) {
      r->file = file;
      r->line = pending_line;
      out.rules.push_back(std::move(r));
    } else if (f.requires_unmet) {
      out.unmet.emplace_back(pending_line, std::move(f));
    } else {
      out.failures.emplace_back(pending_line, std::move(f));
    }
    pending.clear();
  }
  if (!pending.empty()) {
    ParseFailure f;
    f.sid = find_sid(pending);
    f.reason = "rule continues past the end of the file";
    f.reason_class = "invalid syntax";
    out.failures.emplace_back(pending_line, std::move(f));
  }
}

}  // namespace vigil::rules
