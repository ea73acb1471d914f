// HTTP/1.0 and 1.1 parser: request and response streams, each a small state
// machine (head, then a body framed by Content-Length, chunked encoding or
// the end of the stream). Responses are matched to requests in order, so
// pipelined and keep-alive transactions pair up as the server answered them.
//
// Bounds: a head is at most kMaxHead bytes and kMaxHeaders lines; bodies are
// kept up to the AppConfig limits; open transactions up to max_tx_per_flow.
// Anything past a bound is counted and cut; a direction that cannot be framed
// any more (bad chunk size, gap in a head) stops being parsed.
#include <cctype>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "agent/app/http_body.h"
#include "agent/app/http_tx.h"
#include "agent/app/http_util.h"
#include "agent/app/parsers.h"

namespace vigil {
namespace {

constexpr size_t kMaxHead = 32 * 1024;
constexpr size_t kMaxHeaders = 256;
constexpr size_t kMaxChunkLine = 1024;
constexpr int kMaxJunkLines = 8;
constexpr size_t kMaxCodings = 3;  // Suricata's decompress layer limit
// Bytes before a status line that may be junk to skip; past them (or at the
// end of the stream) what came is an HTTP/0.9 body, as Firefox reads it.
constexpr size_t kMaxJunk = 1024;
// Decoded/encoded ratio past which nested codings stop being decoded (one
// deflate layer cannot pass ~1032:1, so only nested bombs reach it), once
// the output is past kRatioFloor.
constexpr uint64_t kMaxRatio = 2048;
constexpr uint64_t kRatioFloor = 64 * 1024;

enum class St : uint8_t {
  kHead,        // request/status line and headers
  kBodyLength,  // Content-Length body: `remaining` bytes
  kChunkSize,   // chunk-size line (after a chunk: its CRLF first)
  kChunkData,   // `remaining` bytes of chunk data
  kTrailers,    // trailer lines up to the empty line
  kBodyClose,   // body runs to the end of the stream
  kOpaque,      // CONNECT tunnel or HTTP/0.9 response: counted, not parsed
  kError,       // framing lost: ignored from here on
};

struct HttpSide {
  St st = St::kHead;
  std::string head;  // head bytes so far
  size_t scan = 0;   // start of the first incomplete head line
  std::string line;  // chunk-size or trailer line so far
  bool chunk_crlf = false;
  uint64_t remaining = 0;
  HttpTx* tx = nullptr;                                 // transaction whose body this side is reading
  std::vector<std::unique_ptr<http::Inflater>> layers;  // Content-Encoding, innermost first
  bool body_cut = false;
  int junk_lines = 0;    // lines skipped before a status line
  std::string junk;      // those lines (and the one in progress), kept in case no status line comes
  size_t junk_line = 0;  // start of the line in progress in `junk`
  bool decode_error = false;
  uint32_t head_anoms = 0;  // HttpAnomaly bits seen before the message's transaction exists
  uint64_t raw_in = 0;      // encoded body bytes fed to the codings
  bool ratio_cut = false;   // decoding stopped by kMaxRatio
  std::string file_name;    // name of the message's body as a file
  bool file_cut = false;    // decoding stopped early: the file is truncated
};

// The file name Suricata gives a body: Content-Disposition's filename when
// the response has one, else the path of the (normalized) request URI.
std::string disposition_filename(std::string_view v) {
  size_t i = 0;
  while (true) {
    size_t at = std::string_view::npos;
    for (size_t k = i; k + 9 <= v.size(); ++k) {
      if (http::iequals(v.substr(k, 9), "filename=")) {
        at = k;
        break;
      }
    }
    if (at == std::string_view::npos) return {};
    if (at > 0 && v[at - 1] != ';' && v[at - 1] != ' ' && v[at - 1] != '\t') {
      i = at + 9;
      continue;
    }
    auto rest = v.substr(at + 9);
    if (!rest.empty() && rest[0] == '"') {
      std::string out;
      for (size_t k = 1; k < rest.size() && rest[k] != '"'; ++k) {
        if (rest[k] == '\\' && k + 1 < rest.size()) ++k;
        out.push_back(rest[k]);
      }
      return out;
    }
    return std::string(http::trim(rest.substr(0, rest.find(';'))));
  }
}

std::string uri_path(std::string_view uri) {
  return std::string(uri.substr(0, uri.find('?')));
}

void note(ParseCtx& c, HttpTx* t, HttpAnomaly a) {
  if (t == nullptr || !t->add_anomaly(a)) return;
  switch (a) {
#define VIGIL_HTTP_ANOMALY_COUNT_(X, n) \
  case HttpAnomaly::n:                  \
    ++c.ctr.http_##n;                   \
    break;
    VIGIL_HTTP_ANOMALIES(VIGIL_HTTP_ANOMALY_COUNT_, _)
#undef VIGIL_HTTP_ANOMALY_COUNT_
    case HttpAnomaly::kCount:
      break;
  }
}

void note_bits(ParseCtx& c, HttpTx* t, uint32_t bits) {
  for (int i = 0; i < static_cast<int>(HttpAnomaly::kCount); ++i) {
    if (bits & (1u << i)) note(c, t, static_cast<HttpAnomaly>(i));
  }
}

constexpr uint32_t bit(HttpAnomaly a) {
  return 1u << static_cast<int>(a);
}

// Line-end and control-byte oddities of a head block (start line included).
uint32_t head_anomalies(std::string_view block) {
  uint32_t an = 0;
  for (size_t i = 0; i < block.size(); ++i) {
    auto u = static_cast<unsigned char>(block[i]);
    if (u == '\n') {
      if (i == 0 || block[i - 1] != '\r') an |= bit(HttpAnomaly::bare_lf_line_end);
    } else if (u == '\r') {
      if (i + 1 < block.size() && block[i + 1] != '\n') an |= bit(HttpAnomaly::header_control_char);
    } else if ((u < 0x20 && u != '\t') || u == 0x7f) {
      an |= bit(HttpAnomaly::header_control_char);
    }
  }
  return an;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string_view sv(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

bool is_token(std::string_view n) {
  if (n.empty()) return false;
  for (char ch : n) {
    auto u = static_cast<unsigned char>(ch);
    if (u <= 0x20 || u >= 0x7f || ch == ':' || ch == '"' || ch == '(' || ch == ')' || ch == ',') return false;
  }
  return true;
}

// A continuation line that is itself "Name: value" starts a new header when
// the line before already had one: an evasion hides headers that way, and the
// targeted clients read them as headers.
bool looks_like_header(std::string_view line) {
  auto t = http::trim(line);
  size_t colon = t.find(':');
  return colon != std::string_view::npos && is_token(t.substr(0, colon));
}

void add_header(std::string_view line, Headers& out, ParseCtx& c, uint32_t& an) {
  size_t colon = line.find(':');
  if (colon == std::string_view::npos || colon == 0) {
    ++c.ctr.http_bad_header;
    return;
  }
  // Control bytes inside a name (NUL, FF) are dropped, as lenient clients do.
  std::string name;
  auto raw_name = line.substr(0, colon);
  while (!raw_name.empty() && (raw_name.back() == ' ' || raw_name.back() == '\t')) raw_name.remove_suffix(1);
  while (!raw_name.empty() && (raw_name.front() == ' ' || raw_name.front() == '\t'))
    raw_name.remove_prefix(1);
  for (char ch : raw_name) {
    if (static_cast<unsigned char>(ch) < 0x20) an |= bit(HttpAnomaly::header_control_char);
    // (a CR stays: "Name\r:" is another name to the clients evasions target)
    if (static_cast<unsigned char>(ch) >= 0x20 || ch == '\r') name.push_back(ch);
  }
  if (name.empty()) {
    ++c.ctr.http_bad_header;
    return;
  }
  if (name.size() != colon) ++c.ctr.http_bad_header;  // whitespace or controls around the name
  auto value = http::trim_sp(line.substr(colon + 1));
  for (auto& h : out) {
    if (http::iequals(h.first, name)) {
      h.second.append(", ").append(value);
      return;
    }
  }
  if (out.size() >= kMaxHeaders) {
    ++c.ctr.http_too_many_headers;
    return;
  }
  out.emplace_back(std::move(name), std::string(value));
}

// Parses the header lines of a head block (after the start line); folded
// lines continue the previous one; repeated names merge with ", ".
void parse_header_lines(std::string_view block, Headers& out, ParseCtx& c, uint32_t& an) {
  std::string logical;
  bool have = false;
  size_t pos = 0, end = 0, next = 0;
  while (pos < block.size()) {
    if (!http::next_line(block, pos, &end, &next)) {
      end = next = block.size();
    }
    auto line = block.substr(pos, end - pos);
    pos = next;
    if (line.empty()) break;
    bool cont = line.front() == ' ' || line.front() == '\t';
    if (cont && have && !(logical.find(':') != std::string::npos && looks_like_header(line))) {
      logical.append(" ").append(http::trim(line));
      continue;
    }
    if (have) add_header(logical, out, c, an);
    logical.assign(cont ? http::trim(line) : line);
    have = true;
  }
  if (have) add_header(logical, out, c, an);
}

const std::string* find(const Headers& h, std::string_view name) {
  for (const auto& kv : h) {
    if (http::iequals(kv.first, name)) return &kv.second;
  }
  return nullptr;
}

class HttpParser : public AppParser {
 public:
  void data(ParseCtx& c, Dir d, Bytes b) override {
    std::string_view in = sv(b);
    HttpSide& s = side(d);
    while (!in.empty()) {
      switch (s.st) {
        case St::kHead:
          head(c, d, in);
          break;
        case St::kBodyLength:
          body_length(c, d, in);
          break;
        case St::kChunkSize:
        case St::kTrailers:
          chunk_line(c, d, in);
          break;
        case St::kChunkData:
          chunk_data(c, d, in);
          break;
        case St::kBodyClose:
          body(c, d, in);
          in = {};
          break;
        case St::kOpaque:
          // After a 101 to h2c, what follows the response is HTTP/2's.
          if (up_.to != AppProto::kUnknown) up_.rest[static_cast<int>(d)].append(in);
          in = {};
          break;
        case St::kError:
          in = {};
          break;
      }
    }
  }

  // A 101 Switching Protocols whose Upgrade is h2c hands the flow to the
  // HTTP/2 parser (RFC 7540 3.2): the client then sends the preface.
  AppUpgrade* upgrade() override { return up_.to != AppProto::kUnknown ? &up_ : nullptr; }

  void gap(ParseCtx& c, Dir d, uint64_t len) override {
    HttpSide& s = side(d);
    ++c.ctr.gap_http;
    if ((s.st == St::kBodyLength || s.st == St::kChunkData) && len <= s.remaining) {
      s.remaining -= len;  // the body has a hole; framing survives
      if (s.tx != nullptr) {
        if (auto& f = s.tx->file[static_cast<int>(d)]) f->gap(len);
      }
      if (s.remaining == 0) {
        if (s.st == St::kBodyLength) {
          body_done(c, d);
        } else {
          s.st = St::kChunkSize;
          s.chunk_crlf = true;
        }
      }
      return;
    }
    if (s.st == St::kBodyClose || s.st == St::kOpaque || s.st == St::kError) return;
    s.st = St::kError;
    s.head.clear();
  }

  void end(ParseCtx& c, Dir d) override {
    HttpSide& s = side(d);
    flush_head(c, d);
    // A body cut short (Content-Length larger than what came, chunks
    // missing) is inspected as far as it got.
    if (s.st == St::kBodyClose || s.st == St::kBodyLength || s.st == St::kChunkSize ||
        s.st == St::kChunkData || s.st == St::kTrailers) {
      if (s.st != St::kBodyClose && s.st != St::kBodyLength) note(c, s.tx, HttpAnomaly::chunk_missing_final);
      body_done(c, d, s.st == St::kBodyClose);
    }
  }

  void finish(ParseCtx& c) override {
    for (Dir d : {Dir::kToServer, Dir::kToClient}) end(c, d);
    while (!txs_.empty()) {
      auto tx = std::move(txs_.front());
      txs_.pop_front();
      end_files(*tx);
      c.done(*tx);
    }
    req_.tx = resp_.tx = nullptr;
  }

 private:
  HttpSide& side(Dir d) { return d == Dir::kToServer ? req_ : resp_; }

  // A head cut short by the end of its direction (or, for a request, by the
  // response starting) is parsed as it is: servers close connections after
  // unterminated headers, and the client still reads them.
  void flush_head(ParseCtx& c, Dir d) {
    HttpSide& s = side(d);
    if (d == Dir::kToClient && !s.junk.empty() && s.st == St::kHead) http09_response(c);
    if (s.st != St::kHead || s.head.empty()) return;
    std::string block = std::move(s.head);
    s.head.clear();
    s.scan = 0;
    if (d == Dir::kToServer) {
      request_head(c, block);
    } else {
      response_head(c, block);
    }
  }

  // Accumulates the head; when complete, parses it and moves to the body.
  void head(ParseCtx& c, Dir d, std::string_view& in) {
    HttpSide& s = side(d);
    if (s.head.empty()) {
      if (s.junk.empty()) {
        // Blank lines (and stray whitespace) between messages are tolerated.
        while (!in.empty() && static_cast<unsigned char>(in.front()) <= 0x20) in.remove_prefix(1);
        if (in.empty()) return;
      }
      if (d == Dir::kToClient) flush_head(c, Dir::kToServer);
      if (d == Dir::kToClient && (!s.junk.empty() || !starts_status(in))) {
        before_status(c, in);
        return;
      }
    }
    size_t old = s.head.size();
    size_t take = std::min(kMaxHead - old, in.size());
    s.head.append(in.substr(0, take));
    std::string_view h = s.head;
    size_t end = std::string::npos;
    size_t pos = s.scan, le = 0, next = 0;
    bool cr_only = false;
    if (pos == 0) {
      // Lines ended by a lone CR, the head by CR CR (and something after it
      // that is not the LF of a CR CR LF) before any LF: read as line ends,
      // as the browsers that accept them do.
      size_t rr = h.find("\r\r");
      if (rr != std::string_view::npos && h.substr(0, rr).find('\n') == std::string_view::npos &&
          rr + 2 < h.size() && h[rr + 2] != '\n') {
        end = rr + 2;
        cr_only = true;
      }
    }
    while (!cr_only && http::next_line(h, pos, &le, &next)) {
      if (pos == 0 && !full_start_line(d, h.substr(0, le))) {
        // No version: HTTP/0.9 (the line is the whole head), unless header
        // lines follow, as from clients that just left the version out.
        size_t le2 = 0, next2 = 0;
        if (!http::next_line(h, next, &le2, &next2)) break;  // cannot tell yet
        if (!looks_like_header(h.substr(next, le2 - next))) {
          end = next;
          break;
        }
      }
      // An empty line ends the head; so does a blank one ended by a bare LF
      // (a blank one ended by CRLF is an empty folded line).
      bool empty = le == pos;
      bool blank_lf = !empty && http::trim(h.substr(pos, le - pos)).empty() && h[le] == '\n';
      if (pos > 0 && (empty || blank_lf)) {
        end = next;
        break;
      }
      pos = next;
    }
    if (end == std::string::npos) {
      s.scan = pos;
      in.remove_prefix(take);
      if (s.head.size() >= kMaxHead) {
        ++c.ctr.http_header_too_long;
        ++c.ctr.err_http;
        s.st = St::kError;
        s.head.clear();
      }
      return;
    }
    std::string block = std::move(s.head);
    std::string replay;
    if (end >= old) {
      in.remove_prefix(end - old);
    } else {
      // The head ended inside bytes buffered by an earlier call (an HTTP/0.9
      // line decided late): those bytes belong to what follows.
      replay.assign(block, end, old - end).append(in);
      in = {};
    }
    block.resize(end);
    if (cr_only) {
      std::string crlf;
      crlf.reserve(block.size() * 2);
      for (char ch : block) {
        crlf.push_back(ch);
        if (ch == '\r') crlf.push_back('\n');
      }
      block.swap(crlf);
      s.head_anoms |= bit(HttpAnomaly::bare_cr_line_end);
    }
    s.head.clear();
    s.scan = 0;
    s.junk_lines = 0;
    if (d == Dir::kToServer) {
      request_head(c, block);
    } else {
      response_head(c, block);
    }
    // s.head is empty now, so this nests at most once.
    if (!replay.empty()) data(c, d, Bytes(reinterpret_cast<const uint8_t*>(replay.data()), replay.size()));
  }

  // Response bytes that do not start with a status line: lines of junk to
  // skip when a status line follows (up to kMaxJunkLines / kMaxJunk bytes),
  // else an HTTP/0.9 body (no status line) that starts with those lines.
  void before_status(ParseCtx& c, std::string_view& in) {
    HttpSide& s = resp_;
    if (http09_) {
      http09_response(c);
      return;
    }
    size_t nl = in.find('\n');
    size_t take = nl == std::string_view::npos ? in.size() : nl + 1;
    s.junk.append(in.substr(0, take));
    in.remove_prefix(take);
    std::string_view line = std::string_view(s.junk).substr(s.junk_line);
    bool complete = line.back() == '\n';
    auto l = line;
    while (!l.empty() && static_cast<unsigned char>(l.front()) <= 0x20) l.remove_prefix(1);
    if (!l.empty() && starts_status(l)) {
      if (l.size() < 5 && !complete) return;  // a prefix of "HTTP/": wait
      if (l.size() >= 5) {
        // A status line after junk: the junk is dropped, as clients do.
        if (s.junk_line > 0) s.head_anoms |= bit(HttpAnomaly::junk_before_status);
        std::string replay(l);
        replay.append(in);
        in = {};
        s.junk.clear();
        s.junk_line = 0;
        s.junk_lines = 0;
        data(c, Dir::kToClient, Bytes(reinterpret_cast<const uint8_t*>(replay.data()), replay.size()));
        return;
      }
    }
    if (complete) {
      ++s.junk_lines;
      ++c.ctr.http_bad_response_line;
      s.junk_line = s.junk.size();
    }
    if (s.junk_lines >= kMaxJunkLines || s.junk.size() > kMaxJunk) http09_response(c);
  }

  // No status line came: what was held is the start of an HTTP/0.9 body.
  void http09_response(ParseCtx& c) {
    HttpSide& s = resp_;
    std::string held = std::move(s.junk);
    s.junk = std::string();
    s.junk_line = 0;
    s.junk_lines = 0;
    response_head(c, {});
    body(c, Dir::kToClient, held);
  }

  // "HTTP/1.1", also with junk glued after it ("HTTP/1.1foobar"), not "HTTP/1.10".
  static bool is_http11(std::string_view p) {
    p = http::trim(p);
    return p.size() >= 8 && starts_status(p) && p.substr(5, 3) == "1.1" &&
           (p.size() == 8 || !std::isdigit(static_cast<unsigned char>(p[8])));
  }

  static bool starts_status(std::string_view in) {
    size_t n = std::min<size_t>(5, in.size());
    for (size_t i = 0; i < n; ++i) {
      if (std::toupper(static_cast<unsigned char>(in[i])) != "HTTP/"[i]) return false;
    }
    return true;
  }

  // False for a request line without an HTTP version (HTTP/0.9).
  static bool full_start_line(Dir d, std::string_view line) {
    if (d == Dir::kToClient) return true;
    line = http::trim(line);
    size_t last = line.find_last_of(" \t");
    if (last == std::string_view::npos) return false;
    return starts_status(http::trim(line.substr(last + 1)));
  }

  // method SP target SP version, extra whitespace tolerated. The target is
  // what lies between the method and the last " HTTP/" (Suricata 8 reads
  // "GET /a b HTTP/1.1" so); without a version, the words after the target
  // are kept as the version (counted as a bad line by the caller).
  static std::vector<std::string_view> split_request_line(std::string_view l) {
    std::vector<std::string_view> parts;
    l = http::trim(l);
    size_t m = l.find_first_of(" \t");
    parts.push_back(l.substr(0, m));
    if (m == std::string_view::npos) return parts;
    auto rest = http::trim(l.substr(m));
    if (rest.empty()) return parts;
    size_t v = std::string_view::npos;
    for (size_t i = rest.size(); i-- > 1;) {
      if ((rest[i - 1] == ' ' || rest[i - 1] == '\t') && starts_status(rest.substr(i)) &&
          rest.size() - i >= 5) {
        v = i;
        break;
      }
    }
    if (v == std::string_view::npos) {
      size_t e = rest.find_first_of(" \t");
      parts.push_back(rest.substr(0, e));
      if (e != std::string_view::npos) parts.push_back(http::trim(rest.substr(e)));
      return parts;
    }
    parts.push_back(http::trim(rest.substr(0, v)));
    parts.push_back(rest.substr(v));
    return parts;
  }

  // First line of a complete head block and the rest.
  static std::pair<std::string_view, std::string_view> split_start(std::string_view block) {
    size_t le = 0, next = 0;
    if (!http::next_line(block, 0, &le, &next)) return {block, {}};
    return {block.substr(0, le), block.substr(next)};
  }

  void request_head(ParseCtx& c, std::string_view block) {
    auto [line, rest] = split_start(block);
    if (txs_.size() >= c.cfg.max_tx_per_flow) {
      ++c.ctr.http_tx_cut;
      req_.st = St::kError;
      return;
    }
    auto tx = std::make_unique<HttpTx>(next_id_++);
    ++c.ctr.tx_http;
    tx->has_request = true;
    auto parts = split_request_line(line);
    if (parts.size() < 2) ++c.ctr.http_bad_request_line;
    if (parts.size() == 3 && parts[2].substr(0, 5) != "HTTP/") ++c.ctr.http_bad_request_line;
    if (parts.size() > 1 && parts[1].find_first_of(" \t") != std::string_view::npos)
      note(c, tx.get(), HttpAnomaly::uri_with_spaces);
    auto& b = tx->bufs;
    b.set(BufferId::kHttpRequestLine, Dir::kToServer, line);
    if (!parts.empty()) b.set(BufferId::kHttpMethod, Dir::kToServer, parts[0]);
    if (parts.size() > 1) {
      b.set(BufferId::kHttpUriRaw, Dir::kToServer, parts[1]);
      b.set(BufferId::kHttpUri, Dir::kToServer, http::normalize_uri(parts[1]));
      auto auth = http::uri_authority(parts[1]);
      if (!auth.empty())
        b.set(BufferId::kHttpHost, Dir::kToServer, http::normalize_host(auth, &tx->host_port));
    }
    bool http09 = parts.size() < 3 && http::trim(rest).empty();
    if (parts.size() >= 3) b.set(BufferId::kHttpProtocol, Dir::kToServer, parts[2]);
    tx->head_request = !parts.empty() && parts[0] == "HEAD";
    Headers headers;
    uint32_t an = req_.head_anoms | head_anomalies(block);
    req_.head_anoms = 0;
    parse_header_lines(rest, headers, c, an);
    note_bits(c, tx.get(), an);
    tx->set_headers(Dir::kToServer, line, rest, headers);
    tx->set_progress(Dir::kToServer, TxProgress::kHeaders);
    HttpTx* t = tx.get();
    txs_.push_back(std::move(tx));
    if (http09) http09_ = true;
    c.update(Dir::kToServer, *t);

    req_.tx = t;
    req_.body_cut = false;
    req_.file_name = uri_path(t->bufs.get(BufferId::kHttpUri, Dir::kToServer));
    setup_codings(c, req_, headers);
    const std::string* te = find(headers, "Transfer-Encoding");
    const std::string* cl = find(headers, "Content-Length");
    bool connect = !parts.empty() && parts[0] == "CONNECT";
    bool chunked = te != nullptr && http::is_chunked(*te);
    auto clen = content_length(c, t, cl, chunked);
    if (te != nullptr && !http::iequals(http::trim(*te), "chunked"))
      note(c, t, HttpAnomaly::unusual_transfer_encoding);
    if (chunked) {
      start_chunked(req_);
    } else if (cl != nullptr) {
      start_length(c, Dir::kToServer, clen.value_or(0));
    } else {
      body_done(c, Dir::kToServer);
    }
    if (connect) connect_pending_ = true;
  }

  // The Content-Length of a message (RFC 9112 6.3): repeated equal values
  // are one; differing ones are counted and the first is used; with chunked
  // it is ignored (counted).
  static std::optional<uint64_t> content_length(ParseCtx& c, HttpTx* t, const std::string* cl, bool chunked) {
    if (cl == nullptr) return std::nullopt;
    bool conflict = false;
    auto n = http::parse_content_length_list(*cl, &conflict);
    if (!n) ++c.ctr.http_bad_content_length;
    if (conflict) note(c, t, HttpAnomaly::multiple_content_length);
    if (chunked) note(c, t, HttpAnomaly::content_length_and_chunked);
    return n;
  }

  void response_head(ParseCtx& c, std::string_view block) {
    auto [line, rest] = split_start(block);
    HttpTx* t = nullptr;
    for (auto& tx : txs_) {
      if (!tx->has_response) {
        t = tx.get();
        break;
      }
    }
    bool status_line = line.size() >= 5 && starts_status(line);
    if (t == nullptr) {
      if (!http09_) ++c.ctr.http_unsolicited_response;
      if (txs_.size() >= c.cfg.max_tx_per_flow) {
        ++c.ctr.http_tx_cut;
        resp_.st = St::kError;
        return;
      }
      auto tx = std::make_unique<HttpTx>(next_id_++);
      ++c.ctr.tx_http;
      tx->request_done = true;
      t = tx.get();
      txs_.push_back(std::move(tx));
    }
    t->has_response = true;
    resp_.tx = t;
    resp_.body_cut = false;
    resp_.file_name = uri_path(t->bufs.get(BufferId::kHttpUri, Dir::kToServer));
    uint32_t an = resp_.head_anoms;
    resp_.head_anoms = 0;
    if (!status_line) {
      // HTTP/0.9 response (or garbage): everything is body until the close.
      if (!http09_) ++c.ctr.http_bad_response_line;
      note_bits(c, t, an);
      note(c, t, HttpAnomaly::no_status_line);
      resp_.st = St::kBodyClose;
      body(c, Dir::kToClient, block);
      return;
    }
    std::string moved;  // a header smuggled after a lone CR in the status line
    if (size_t cr = line.find('\r'); cr != std::string_view::npos) {
      // "HTTP/1.1 200 ok\rName: v": clients end the line at the CR when a
      // reason phrase (or its space) is there, not right after the code.
      auto pre = line.substr(0, cr);
      size_t sp1 = pre.find(' ');
      if (sp1 != std::string_view::npos && pre.find(' ', sp1 + 1) != std::string_view::npos) {
        moved.assign(line.substr(cr + 1)).append("\r\n").append(rest);
        line = pre;
        rest = moved;
      }
    }
    auto& b = t->bufs;
    b.set(BufferId::kHttpResponseLine, Dir::kToClient, line);
    size_t sp = line.find(' ');
    auto proto = line.substr(0, sp);
    b.set(BufferId::kHttpProtocol, Dir::kToClient, proto);
    std::string_view code, msg;
    if (sp != std::string_view::npos) {
      auto r = http::trim(line.substr(sp + 1));
      size_t sp2 = r.find(' ');
      code = r.substr(0, sp2);
      if (sp2 != std::string_view::npos) msg = http::trim(r.substr(sp2 + 1));
    }
    int status = -1;
    if (code.size() == 3 && std::isdigit(static_cast<unsigned char>(code[0])) &&
        std::isdigit(static_cast<unsigned char>(code[1])) &&
        std::isdigit(static_cast<unsigned char>(code[2]))) {
      status = (code[0] - '0') * 100 + (code[1] - '0') * 10 + (code[2] - '0');
    } else {
      ++c.ctr.http_bad_response_line;
    }
    b.set(BufferId::kHttpStatCode, Dir::kToClient, code);
    b.set(BufferId::kHttpStatMsg, Dir::kToClient, msg);
    t->status = status;
    if (msg.empty() || line.find("  ") != std::string_view::npos || line.substr(0, 5) != "HTTP/")
      an |= bit(HttpAnomaly::odd_status_line);
    Headers headers;
    an |= head_anomalies(block);
    parse_header_lines(rest, headers, c, an);
    note_bits(c, t, an);
    t->set_headers(Dir::kToClient, line, rest, headers);
    t->set_progress(Dir::kToClient, TxProgress::kHeaders);
    c.update(Dir::kToClient, *t);

    if (status >= 100 && status < 200 && status != 101) {
      // Interim response: the final one follows for the same request.
      t->has_response = false;
      resp_.tx = nullptr;
      return;
    }
    if (status == 101 || (connect_pending_ && status >= 200 && status < 300)) {
      // Protocol switch or CONNECT tunnel: not HTTP any more.
      const std::string* up = find(headers, "Upgrade");
      if (status == 101 && up != nullptr && http::has_token(*up, "h2c")) up_.to = AppProto::kHttp2;
      body_done(c, Dir::kToClient);
      resp_.st = St::kOpaque;
      req_.st = St::kOpaque;
      return;
    }
    connect_pending_ = false;
    setup_codings(c, resp_, headers);
    if (const std::string* cd = find(headers, "Content-Disposition")) {
      if (auto name = disposition_filename(*cd); !name.empty()) resp_.file_name = std::move(name);
    }
    const std::string* te = find(headers, "Transfer-Encoding");
    const std::string* cl = find(headers, "Content-Length");
    // Chunked framing is HTTP/1.1's; a 1.0 server's TE header is ignored,
    // as the clients that evasions target do.
    bool chunked = te != nullptr && http::is_chunked(*te) && is_http11(proto);
    if (te != nullptr && !http::iequals(http::trim(*te), "chunked"))
      note(c, t, HttpAnomaly::unusual_transfer_encoding);
    auto n = content_length(c, t, cl, chunked);
    bool has_clen = n.has_value();
    uint64_t clen = n.value_or(0);
    if (t->head_request) {
      body_done(c, Dir::kToClient);
    } else if ((status == 204 || status == 304) && !chunked && !(status == 204 && clen > 0)) {
      body_done(c, Dir::kToClient);  // no body unless the server framed one anyway
    } else if (chunked) {
      start_chunked(resp_);
    } else if (has_clen) {
      start_length(c, Dir::kToClient, clen);
    } else {
      note(c, t, HttpAnomaly::body_until_close);
      resp_.st = St::kBodyClose;
    }
  }

  // Content-Encoding layers of the message about to be read on side s.
  // Unknown codings are skipped (their bytes inspected as they are), as is
  // "identity"; past kMaxCodings layers the rest is left encoded.
  void setup_codings(ParseCtx& c, HttpSide& s, const Headers& headers) {
    s.layers.clear();
    s.decode_error = false;
    s.raw_in = 0;
    s.ratio_cut = false;
    s.file_cut = false;
    if (const std::string* ce = find(headers, "Content-Encoding")) {
      // Codings are listed in the order applied; decoding runs backwards.
      std::string_view v = *ce;
      while (!v.empty()) {
        size_t comma = v.find(',');
        auto tok = http::trim(v.substr(0, comma));
        tok = http::trim(tok.substr(0, tok.find(';')));
        if (http::iequals(tok, "gzip") || http::iequals(tok, "x-gzip") || http::iequals(tok, "deflate") ||
            http::iequals(tok, "x-deflate")) {
          if (s.layers.size() < kMaxCodings) {
            s.layers.push_back(std::make_unique<http::Inflater>(c.cfg.http_decompress_limit));
          } else {
            note(c, s.tx, HttpAnomaly::content_encoding_layers);
          }
        } else if (!tok.empty() && !http::iequals(tok, "identity")) {
          note(c, s.tx, HttpAnomaly::unknown_content_encoding);
        }
        if (comma == std::string_view::npos) break;
        v.remove_prefix(comma + 1);
      }
      if (s.layers.size() > 1) note(c, s.tx, HttpAnomaly::nested_content_encoding);
    }
  }

  void start_chunked(HttpSide& s) {
    s.st = St::kChunkSize;
    s.chunk_crlf = false;
    s.line.clear();
  }

  void start_length(ParseCtx& c, Dir d, uint64_t n) {
    HttpSide& s = side(d);
    if (n == 0) {
      body_done(c, d);
      return;
    }
    s.st = St::kBodyLength;
    s.remaining = n;
  }

  void body_length(ParseCtx& c, Dir d, std::string_view& in) {
    HttpSide& s = side(d);
    size_t n = static_cast<size_t>(std::min<uint64_t>(s.remaining, in.size()));
    body(c, d, in.substr(0, n));
    in.remove_prefix(n);
    s.remaining -= n;
    if (s.remaining == 0) body_done(c, d);
  }

  void chunk_data(ParseCtx& c, Dir d, std::string_view& in) {
    HttpSide& s = side(d);
    size_t n = static_cast<size_t>(std::min<uint64_t>(s.remaining, in.size()));
    body(c, d, in.substr(0, n));
    in.remove_prefix(n);
    s.remaining -= n;
    if (s.remaining == 0) {
      s.st = St::kChunkSize;
      s.chunk_crlf = true;
    }
  }

  // Reads one line of a chunk-size or trailer section.
  void chunk_line(ParseCtx& c, Dir d, std::string_view& in) {
    HttpSide& s = side(d);
    size_t nl = in.find('\n');
    size_t take = nl == std::string_view::npos ? in.size() : nl;
    if (s.line.size() + take > kMaxChunkLine) {
      ++c.ctr.http_bad_chunk;
      ++c.ctr.err_http;
      s.st = St::kError;
      body_done(c, d, false);
      return;
    }
    s.line.append(in.substr(0, take));
    if (nl == std::string_view::npos) {
      in = {};
      // A response whose "chunk size" cannot become one is read as sent,
      // without waiting for a line end that may never come.
      if (d == Dir::kToClient && s.st == St::kChunkSize && !chunk_size_prefix(s.line)) not_chunked(c, d, "");
      return;
    }
    in.remove_prefix(nl + 1);
    std::string_view line = s.line;
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    } else {
      note(c, s.tx, HttpAnomaly::chunk_lf_only);
    }
    if (s.st == St::kTrailers) {
      bool last = line.empty();
      s.line.clear();
      if (last) body_done(c, d);
      return;
    }
    if (http::trim(line).empty()) {
      // The CRLF after chunk data, or stray blank lines before a size line.
      if (!s.chunk_crlf) ++c.ctr.http_bad_chunk;
      s.chunk_crlf = false;
      s.line.clear();
      return;
    }
    if (s.chunk_crlf) ++c.ctr.http_bad_chunk;  // data longer than its size; read it as the size line
    s.chunk_crlf = false;
    // hex size, optional ";ext" (chunk extensions are ignored)
    if (line.find(';') != std::string_view::npos) note(c, s.tx, HttpAnomaly::chunk_extension);
    auto t = http::trim(line.substr(0, line.find(';')));
    if (t.size() != line.substr(0, line.find(';')).size() || (t.size() > 1 && t[0] == '0'))
      note(c, s.tx, HttpAnomaly::odd_chunk_size);
    uint64_t size = 0;
    bool ok = !t.empty() && t.size() <= 15;
    for (char ch : t) {
      int v = (ch >= '0' && ch <= '9')   ? ch - '0'
              : (ch >= 'a' && ch <= 'f') ? ch - 'a' + 10
              : (ch >= 'A' && ch <= 'F') ? ch - 'A' + 10
                                         : -1;
      if (v < 0) {
        ok = false;
        break;
      }
      size = size * 16 + static_cast<uint64_t>(v);
    }
    if (!ok && d == Dir::kToClient) {
      not_chunked(c, d, "\n");
      return;
    }
    s.line.clear();
    if (!ok) {
      ++c.ctr.http_bad_chunk;
      ++c.ctr.err_http;
      s.st = St::kError;
      body_done(c, d, false);
      return;
    }
    if (size == 0) {
      s.st = St::kTrailers;
    } else {
      s.st = St::kChunkData;
      s.remaining = size;
    }
  }

  // Whether `line` (a chunk-size line so far) can still be a chunk size:
  // hex digits and blanks up to an optional ";extension".
  static bool chunk_size_prefix(std::string_view line) {
    line = line.substr(0, line.find(';'));
    size_t digits = 0;
    for (char ch : line) {
      if (std::isxdigit(static_cast<unsigned char>(ch)))
        ++digits;
      else if (ch != ' ' && ch != '\t' && ch != '\r')
        return false;
    }
    return digits <= 15;
  }

  // A response declared chunked whose chunk-size line is no size: the body
  // is read as sent up to the end of the stream, starting with that line
  // (`tail`: the line end consumed with it). Suricata's HTTP parser does the
  // same (event http.invalid_response_chunk_len); whatever the client makes
  // of such a body, its bytes are inspected rather than dropped.
  void not_chunked(ParseCtx& c, Dir d, std::string_view tail) {
    HttpSide& s = side(d);
    ++c.ctr.http_bad_chunk;
    note(c, s.tx, HttpAnomaly::invalid_chunk_size);
    std::string raw = std::move(s.line);
    raw.append(tail);
    s.line.clear();
    s.chunk_crlf = false;
    s.st = St::kBodyClose;
    body(c, d, raw);
  }

  // Body bytes (dechunked) of the message direction d is reading.
  void body(ParseCtx& c, Dir d, std::string_view in) {
    HttpSide& s = side(d);
    HttpTx* t = s.tx;
    if (t == nullptr || in.empty()) return;
    bool ts = d == Dir::kToServer;
    (ts ? t->request_len : t->response_len) += in.size();
    auto& file = t->file[static_cast<int>(d)];
    if (c.files != nullptr && !file) {
      file = std::make_unique<TrackedFile>(*c.files, s.file_name, d, t->tx_id());
      t->file_buffers(d);
    }
    std::string& out = t->bufs.slot(ts ? BufferId::kHttpRequestBody : BufferId::kHttpResponseBody, d);
    uint64_t body_limit = ts ? c.cfg.http_request_body_limit : c.cfg.http_response_body_limit;
    if (s.layers.empty()) {
      keep(c, s, out, in, body_limit, ts ? c.ctr.http_req_body_cut : c.ctr.http_resp_body_cut);
      if (file) file->append(in);
      return;
    }
    if (s.ratio_cut) return;
    s.raw_in += in.size();
    decode(c, d, in, s.layers.size(), false);
    uint64_t made = s.layers.front()->produced();
    if (made > kRatioFloor && made / std::max<uint64_t>(s.raw_in, 1) > kMaxRatio) {
      note(c, t, HttpAnomaly::decompression_ratio);
      s.ratio_cut = true;
      s.file_cut = true;
    }
  }

  // Runs `in` through the coding layers below `from` (outer coding first:
  // layers.back() was applied last by the sender) into the body buffer. With
  // `finish`, each layer is told the body ended (and may pass held bytes on).
  void decode(ParseCtx& c, Dir d, std::string_view in, size_t from, bool finish) {
    HttpSide& s = side(d);
    HttpTx* t = s.tx;
    bool ts = d == Dir::kToServer;
    std::string& out = t->bufs.slot(ts ? BufferId::kHttpRequestBody : BufferId::kHttpResponseBody, d);
    uint64_t body_limit = ts ? c.cfg.http_request_body_limit : c.cfg.http_response_body_limit;
    TrackedFile* file = t->file[static_cast<int>(d)].get();
    std::string cur(in), next;
    for (size_t i = from; i-- > 0;) {
      auto& inf = *s.layers[i];
      bool innermost = i == 0;
      uint64_t room =
          innermost ? (body_limit > out.size() ? body_limit - out.size() : 0) : c.cfg.http_decompress_limit;
      auto before = inf.produced();
      next.clear();
      http::Inflater::Result r;
      if (innermost && file != nullptr) {
        // The whole decoded body goes to the file (hashes), the first
        // body_limit bytes of it to file.data.
        r = inf.feed(cur, next, UINT64_MAX);
        if (finish) inf.finish(next, UINT64_MAX);
        out.append(next, 0, static_cast<size_t>(std::min<uint64_t>(room, next.size())));
        file->append(next);
        next.clear();
      } else {
        r = inf.feed(cur, innermost ? out : next, room);
        if (finish) inf.finish(innermost ? out : next, room);
      }
      if (r == http::Inflater::Result::kBomb) s.file_cut = true;
      if (r == http::Inflater::Result::kBomb && before <= c.cfg.http_decompress_limit)
        ++c.ctr.http_decompress_bomb;
      if ((r == http::Inflater::Result::kError || inf.passthrough()) && !s.decode_error) {
        ++c.ctr.http_decompress_error;
        s.decode_error = true;
      }
      if (inf.passthrough()) note(c, t, HttpAnomaly::encoding_not_applied);
      if (inf.multi_member()) note(c, t, HttpAnomaly::gzip_multiple_members);
      if (inf.trailing_data()) note(c, t, HttpAnomaly::gzip_trailing_data);
      if (innermost) break;
      cur.swap(next);
    }
  }

  void keep(ParseCtx&, HttpSide& s, std::string& out, std::string_view in, uint64_t limit, uint64_t& cut) {
    uint64_t room = limit > out.size() ? limit - out.size() : 0;
    if (in.size() > room && !s.body_cut) {
      ++cut;
      s.body_cut = true;
    }
    out.append(in.substr(0, static_cast<size_t>(std::min<uint64_t>(room, in.size()))));
  }

  // The message direction d was reading is complete (`whole`: as framed;
  // false when it was cut short).
  void body_done(ParseCtx& c, Dir d, bool whole = true) {
    HttpSide& s = side(d);
    if (s.st != St::kError && s.st != St::kOpaque) s.st = St::kHead;
    if (s.tx != nullptr && !s.layers.empty() && !s.ratio_cut) decode(c, d, {}, s.layers.size(), true);
    s.layers.clear();
    HttpTx* t = s.tx;
    s.tx = nullptr;
    if (t == nullptr) return;
    if (auto& f = t->file[static_cast<int>(d)]) {
      if (whole && !s.file_cut)
        f->close();
      else
        f->truncate();
      t->file_buffers(d);
    }
    t->set_progress(d, TxProgress::kComplete);
    (d == Dir::kToServer ? t->request_done : t->response_done) = true;
    c.update(d, *t);
    reap(c);
  }

  // Logs and frees finished transactions, oldest first.
  void reap(ParseCtx& c) {
    while (!txs_.empty() && txs_.front()->request_done && txs_.front()->response_done) {
      auto tx = std::move(txs_.front());
      txs_.pop_front();
      if (req_.tx == tx.get()) req_.tx = nullptr;
      if (resp_.tx == tx.get()) resp_.tx = nullptr;
      end_files(*tx);
      c.done(*tx);
    }
  }

  // Files still open when their transaction is logged were cut short.
  static void end_files(HttpTx& t) {
    for (auto& f : t.file) {
      if (f && f->state() == FileState::kOpen) {
        f->truncate();
        t.file_buffers(f->dir());
      }
    }
  }

  HttpSide req_, resp_;
  AppUpgrade up_;
  std::deque<std::unique_ptr<HttpTx>> txs_;
  uint64_t next_id_ = 0;
  bool http09_ = false;
  bool connect_pending_ = false;
};

}  // namespace

std::unique_ptr<AppParser> make_http_parser() {
  return std::make_unique<HttpParser>();
}

}  // namespace vigil
