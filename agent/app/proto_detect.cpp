#include "agent/app/proto_detect.h"

#include <algorithm>
#include <cctype>
#include <string_view>

#include "agent/app/ascii.h"

namespace vigil {
namespace {

constexpr std::string_view kMethods[] = {
    "GET ",    "POST ",     "HEAD ",       "PUT ",      "DELETE ", "OPTIONS ",   "CONNECT ", "TRACE ",
    "PATCH ",  "PROPFIND ", "PROPPATCH ",  "MKCOL ",    "COPY ",   "MOVE ",      "LOCK ",    "UNLOCK ",
    "SEARCH ", "REPORT ",   "MKCALENDAR ", "CHECKOUT ", "MERGE ",  "SUBSCRIBE ", "NOTIFY ",  "UNSUBSCRIBE ",
};

std::string_view as_sv(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// kYes: b starts with p; kMore: b is a proper prefix of p; kNo otherwise.
enum class Pre { kNo, kMore, kYes };
Pre prefix(std::string_view b, std::string_view p) {
  size_t n = std::min(b.size(), p.size());
  if (b.substr(0, n) != p.substr(0, n)) return Pre::kNo;
  return b.size() >= p.size() ? Pre::kYes : Pre::kMore;
}

void merge(DetectResult& r, Pre p, AppProto proto) {
  if (r.proto != AppProto::kUnknown) return;
  if (p == Pre::kYes) {
    r.proto = proto;
    r.need_more = false;
  } else if (p == Pre::kMore) {
    r.need_more = true;
  }
}

Pre detect_http(std::string_view s, Dir d) {
  Pre best = Pre::kNo;
  // Requests may come in either direction on the wire only as to_server, but a
  // flow seen mid-stream can have its "client" wrong: accept both forms both ways.
  (void)d;
  // Leading blank lines before a request are tolerated by servers.
  size_t skip = 0;
  while (skip < s.size() && skip < 4 && (s[skip] == '\r' || s[skip] == '\n')) ++skip;
  s.remove_prefix(skip);
  if (s.empty()) return skip > 0 ? Pre::kMore : Pre::kNo;
  for (auto m : kMethods) {
    Pre p = prefix(s, m);
    if (p == Pre::kYes) return Pre::kYes;
    if (p == Pre::kMore) best = Pre::kMore;
  }
  Pre r = prefix(s, "HTTP/1.");
  if (r == Pre::kYes) return r;
  if (r == Pre::kMore) best = Pre::kMore;
  return best;
}

// HTTP/2 with prior knowledge (h2c): the client's connection preface; from
// the server, its first frame, which must be SETTINGS on stream 0 (RFC 9113
// 3.4) with a whole number of 6-byte settings.
Pre detect_http2(Bytes b, Dir d) {
  if (d == Dir::kToServer) return prefix(as_sv(b), "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
  if (b.size() < 9) {
    static constexpr uint8_t kStart[] = {0, 0, 0, 4, 0, 0, 0, 0, 0};
    for (size_t i = 3; i < b.size(); ++i)
      if (b[i] != kStart[i]) return Pre::kNo;
    return Pre::kMore;
  }
  size_t len = (size_t{b[0]} << 16) | (size_t{b[1]} << 8) | b[2];
  bool settings = b[3] == 4 && b[4] == 0 && b[5] == 0 && b[6] == 0 && b[7] == 0 && b[8] == 0;
  return settings && len % 6 == 0 && len <= 6 * 16 ? Pre::kYes : Pre::kNo;
}

Pre detect_tls(Bytes b, Dir d) {
  if (b.empty()) return Pre::kMore;
  if (b[0] != 0x16) return Pre::kNo;
  if (b.size() < 2) return Pre::kMore;
  if (b[1] != 0x03) return Pre::kNo;
  if (b.size() < 3) return Pre::kMore;
  if (b[2] > 0x04) return Pre::kNo;
  if (b.size() < 5) return Pre::kMore;
  size_t len = (size_t{b[3]} << 8) | b[4];
  if (len < 4 || len > 16384 + 2048) return Pre::kNo;
  if (b.size() < 6) return Pre::kMore;
  // ClientHello from the client, ServerHello from the server; a flow whose
  // direction we got wrong still shows one of the two.
  uint8_t ht = b[5];
  (void)d;
  if (ht != 1 && ht != 2) return Pre::kNo;
  return Pre::kYes;
}

Pre detect_ssh(std::string_view s) {
  return prefix(s, "SSH-");
}

// SMTP: a client's EHLO/HELO, or a server's 220 greeting that names SMTP
// (also ESMTP) in one of its lines; a 220 greeting without it (FTP's is one)
// is left to the client's first command.
Pre detect_smtp(std::string_view s) {
  for (std::string_view verb : {"EHLO", "HELO"}) {
    if (!ieq_prefix(s, verb.substr(0, std::min<size_t>(s.size(), 4)))) continue;
    if (s.size() < 5) return Pre::kMore;
    if (s[4] == ' ' || s[4] == '\r' || s[4] == '\n') return Pre::kYes;
  }
  size_t o = 0;
  for (int lines = 0; lines < 16; ++lines) {
    std::string_view rest = s.substr(o);
    Pre p = prefix(rest, "220");
    if (p != Pre::kYes) return p;
    if (rest.size() < 4) return Pre::kMore;
    if (rest[3] != ' ' && rest[3] != '-') return Pre::kNo;
    size_t nl = rest.find('\n');
    std::string_view line = rest.substr(0, nl);
    for (size_t i = 4; i + 4 <= line.size(); ++i) {
      if (ieq_prefix(line.substr(i), "SMTP")) return Pre::kYes;
    }
    if (nl == std::string_view::npos) return line.size() < 512 ? Pre::kMore : Pre::kNo;
    if (rest[3] == ' ') return Pre::kNo;
    o += nl + 1;
  }
  return Pre::kNo;
}

// Case-insensitive prefix (p upper case).
Pre prefix_ci(std::string_view b, std::string_view p) {
  size_t n = std::min(b.size(), p.size());
  for (size_t i = 0; i < n; ++i) {
    if (std::toupper(static_cast<unsigned char>(b[i])) != p[i]) return Pre::kNo;
  }
  return b.size() >= p.size() ? Pre::kYes : Pre::kMore;
}

Pre best_of(Pre a, Pre b) {
  return a == Pre::kYes || b == Pre::kYes ? Pre::kYes
                                          : (a == Pre::kMore || b == Pre::kMore ? Pre::kMore : Pre::kNo);
}

// FTP. Server: a greeting line "220 " / "220-" (also 120, 421) that names FTP,
// or any reply line on port 21. Client: a first command that only FTP sends
// first (USER, PASS, AUTH TLS/SSL, FEAT, SYST, OPTS UTF8), or any command-like
// word on port 21. SMTP also greets with 220: without the port hint the
// greeting must say "ftp".
Pre detect_ftp(std::string_view s, Dir d, uint16_t server_port) {
  constexpr size_t kGreetingLook = 512;
  if (d == Dir::kToClient) {
    for (size_t i = 0; i < std::min<size_t>(3, s.size()); ++i) {
      if (!std::isdigit(static_cast<unsigned char>(s[i]))) return Pre::kNo;
    }
    if (s.size() < 4) return Pre::kMore;
    if (s[3] != ' ' && s[3] != '-') return Pre::kNo;
    if (server_port == 21) return s[0] >= '1' && s[0] <= '5' ? Pre::kYes : Pre::kNo;
    auto code = s.substr(0, 3);
    if (code != "220" && code != "120" && code != "421") return Pre::kNo;
    size_t nl = s.find('\n');
    if (nl == std::string_view::npos && s.size() < kGreetingLook) return Pre::kMore;
    auto line = s.substr(0, std::min(nl, kGreetingLook));
    for (size_t i = 0; i + 3 <= line.size(); ++i) {
      if (prefix_ci(line.substr(i, 3), "FTP") == Pre::kYes) return Pre::kYes;
    }
    return Pre::kNo;
  }
  Pre r = Pre::kNo;
  for (auto c :
       {"USER ", "PASS ", "AUTH TLS", "AUTH SSL", "FEAT\r", "FEAT\n", "SYST\r", "SYST\n", "OPTS UTF8"})
    r = best_of(r, prefix_ci(s, c));
  if (r != Pre::kNo || server_port != 21) return r;
  // Port 21: a word of 3 or 4 letters, then a space or the line end.
  size_t n = 0;
  while (n < s.size() && n < 4 && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
  if (n == s.size()) return Pre::kMore;
  return n >= 3 && (s[n] == ' ' || s[n] == '\r' || s[n] == '\n') ? Pre::kYes : Pre::kNo;
}

// SMB over the NetBIOS session service (RFC 1002 framing): keep-alives
// (0x85, empty) are skipped; a session message (0x00, 24-bit length) must
// carry "\xffSMB" (SMB1), "\xfeSMB" (SMB2/3) or "\xfdSMB" (SMB3 transform).
// A session request (0x81, two 34-byte encoded names) starts port 139
// sessions; a positive session response (0x82) only counts on 139/445.
Pre detect_smb(Bytes b, uint16_t server_port) {
  size_t o = 0;
  while (o + 4 <= b.size() && b[o] == 0x85 && b[o + 1] == 0 && b[o + 2] == 0 && b[o + 3] == 0) o += 4;
  b = b.subspan(o);
  if (b.empty()) return Pre::kMore;
  bool port = server_port == 139 || server_port == 445;
  switch (b[0]) {
    case 0x00: {
      if (b.size() < 8) return Pre::kMore;
      size_t len = (size_t{b[1]} << 16) | (size_t{b[2]} << 8) | b[3];
      bool magic =
          (b[4] == 0xFF || b[4] == 0xFE || b[4] == 0xFD) && b[5] == 'S' && b[6] == 'M' && b[7] == 'B';
      return magic && len >= 32 ? Pre::kYes : Pre::kNo;
    }
    case 0x81:
      if (b.size() < 5) return Pre::kMore;
      return b[1] == 0 && b[2] == 0 && b[3] == 68 && b[4] == 0x20 ? Pre::kYes : Pre::kNo;
    case 0x82:
      if (b.size() < 4) return Pre::kMore;
      return port && b[1] == 0 && b[2] == 0 && b[3] == 0 ? Pre::kYes : Pre::kNo;
    default:
      return Pre::kNo;
  }
}

uint16_t be16(Bytes b, size_t o) {
  return static_cast<uint16_t>((b[o] << 8) | b[o + 1]);
}

}  // namespace

bool dns_looks_valid(Bytes b, bool strict) {
  if (b.size() < 12) return false;
  uint16_t flags = be16(b, 2);
  uint8_t opcode = (flags >> 11) & 0xF;
  if (opcode > 6 || opcode == 3) return false;
  uint16_t qd = be16(b, 4), an = be16(b, 6), ns = be16(b, 8), ar = be16(b, 10);
  if (qd == 0 && strict) return false;
  if (qd > 16 || (strict && (an > 256 || ns > 256 || ar > 256))) return false;
  size_t o = 12;
  for (uint16_t q = 0; q < qd; ++q) {
    size_t total = 0;
    while (true) {
      if (o >= b.size()) return false;
      uint8_t l = b[o];
      if (l == 0) {
        ++o;
        break;
      }
      if ((l & 0xC0) == 0xC0) {  // a question may point back to an earlier one
        if (o + 1 >= b.size() || q == 0) return false;
        o += 2;
        break;
      }
      if (l & 0xC0) return false;
      total += l + 1;
      if (total > 255) return false;
      o += 1 + l;
    }
    if (o + 4 > b.size()) return false;
    uint16_t qclass = be16(b, o + 2);
    if (strict && qclass != 1 && qclass != 3 && qclass != 4 && qclass != 255 && (qclass & 0x7FFF) != 1)
      return false;
    o += 4;
  }
  if (strict && an == 0 && ns == 0 && ar == 0 && o != b.size()) return false;
  return true;
}

DetectResult detect_tcp(Bytes b, Dir d, uint16_t client_port, uint16_t server_port) {
  DetectResult r;
  auto s = as_sv(b);
  merge(r, detect_http2(b, d), AppProto::kHttp2);
  merge(r, detect_http(s, d), AppProto::kHttp);
  merge(r, detect_tls(b, d), AppProto::kTls);
  merge(r, detect_ssh(s), AppProto::kSsh);
  merge(r, detect_smtp(s), AppProto::kSmtp);
  merge(r, detect_ftp(s, d, server_port), AppProto::kFtp);
  merge(r, detect_smb(b, server_port), AppProto::kSmb);
  if (r.proto == AppProto::kUnknown && (client_port == 53 || server_port == 53)) {
    // DNS over TCP: 2-byte length, then a message; the port is the hint,
    // the header must still make sense.
    if (b.size() < 14) {
      r.need_more = true;
    } else {
      size_t len = be16(b, 0);
      uint8_t opcode = (b[4] >> 3) & 0xF;
      bool header_ok = len >= 12 && opcode <= 6 && opcode != 3 && be16(b, 6) <= 16;
      if (header_ok && b.size() < 2 + len) {
        r.need_more = true;  // the first message is not complete yet
      } else if (header_ok && dns_looks_valid(b.subspan(2, len), false)) {
        r.proto = AppProto::kDns;
        r.need_more = false;
      }
    }
  }
  return r;
}

DetectResult detect_udp(Bytes b, Dir d, uint16_t client_port, uint16_t server_port) {
  (void)d;
  DetectResult r;
  bool port_hint = client_port == 53 || server_port == 53 || client_port == 5353 || server_port == 5353;
  if (dns_looks_valid(b, !port_hint)) r.proto = AppProto::kDns;
  return r;
}

}  // namespace vigil
