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

struct Side {
  St st = St::kHead;
  std::string head;  // head bytes so far
  size_t scan = 0;   // start of the first incomplete head line
  std::string line;  // chunk-size or trailer line so far
  bool chunk_crlf = false;
  uint64_t remaining = 0;
  HttpTx* tx = nullptr;  // transaction whose body this side is reading
  std::unique_ptr<http::Inflater> inflater;
  bool body_cut = false;
};

using Headers = std::vector<std::pair<std::string, std::string>>;

std::string_view sv(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Splits a head block into lines (CRLF or bare LF) and parses header fields;
// folded lines continue the previous value; repeated names merge with ", ".
bool parse_header_lines(std::string_view block, Headers& out, ParseCtx& c) {
  bool ok = true;
  while (!block.empty()) {
    size_t nl = block.find('\n');
    auto line = block.substr(0, nl);
    block.remove_prefix(nl == std::string_view::npos ? block.size() : nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) break;
    if ((line.front() == ' ' || line.front() == '\t') && !out.empty()) {
      out.back().second.append(" ").append(http::trim(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      ++c.ctr.http_bad_header;
      ok = false;
      continue;
    }
    auto name = line.substr(0, colon);
    if (name.back() == ' ' || name.back() == '\t') {
      ++c.ctr.http_bad_header;
      name = http::trim(name);
    }
    auto value = http::trim(line.substr(colon + 1));
    bool merged = false;
    for (auto& h : out) {
      if (http::iequals(h.first, name)) {
        h.second.append(", ").append(value);
        merged = true;
        break;
      }
    }
    if (merged) continue;
    if (out.size() >= kMaxHeaders) {
      ++c.ctr.http_too_many_headers;
      continue;
    }
    out.emplace_back(std::string(name), std::string(value));
  }
  return ok;
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
    Side& s = side(d);
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
        case St::kError:
          in = {};
          break;
      }
    }
  }

  void gap(ParseCtx& c, Dir d, uint64_t len) override {
    Side& s = side(d);
    ++c.ctr.gap_http;
    if ((s.st == St::kBodyLength || s.st == St::kChunkData) && len <= s.remaining) {
      s.remaining -= len;  // the body has a hole; framing survives
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
    Side& s = side(d);
    if (s.st == St::kBodyClose) body_done(c, d);
    if (s.st == St::kHead && d == Dir::kToServer && !s.head.empty()) ++c.ctr.err_http;
  }

  void finish(ParseCtx& c) override {
    for (Dir d : {Dir::kToServer, Dir::kToClient}) {
      if (side(d).st == St::kBodyClose) body_done(c, d);
    }
    while (!txs_.empty()) {
      auto tx = std::move(txs_.front());
      txs_.pop_front();
      c.done(*tx);
    }
    req_.tx = resp_.tx = nullptr;
  }

 private:
  Side& side(Dir d) { return d == Dir::kToServer ? req_ : resp_; }

  // Accumulates the head; when complete, parses it and moves to the body.
  void head(ParseCtx& c, Dir d, std::string_view& in) {
    Side& s = side(d);
    if (s.head.empty()) {
      // Blank lines between messages are tolerated (RFC 9112 2.2).
      while (!in.empty() && (in.front() == '\r' || in.front() == '\n')) in.remove_prefix(1);
      if (in.empty()) return;
      size_t n = std::min<size_t>(5, in.size());
      if (d == Dir::kToClient && in.substr(0, n) != std::string_view("HTTP/").substr(0, n)) {
        response_head(c, {});  // no status line: HTTP/0.9 body or garbage
        return;
      }
    }
    size_t old = s.head.size();
    size_t room = kMaxHead - old;
    size_t take = std::min(room, in.size());
    s.head.append(in.substr(0, take));
    size_t end = std::string::npos;
    size_t pos = s.scan;
    bool first_line = true;
    while (true) {
      size_t nl = s.head.find('\n', pos);
      if (nl == std::string::npos) break;
      size_t len = nl - pos;
      if (len > 0 && s.head[nl - 1] == '\r') --len;
      if (pos == 0 && first_line && !simple_request_line(d, std::string_view(s.head).substr(0, len))) {
        end = nl + 1;  // HTTP/0.9 request or a response without status line
        break;
      }
      first_line = false;
      if (len == 0 && pos > 0) {
        end = nl + 1;
        break;
      }
      pos = nl + 1;
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
    in.remove_prefix(end - old);
    std::string block = std::move(s.head);
    block.resize(end);
    s.head.clear();
    s.scan = 0;
    if (d == Dir::kToServer) {
      request_head(c, block);
    } else {
      response_head(c, block);
    }
  }

  // False for a first line that is not a full HTTP/1.x start line.
  static bool simple_request_line(Dir d, std::string_view line) {
    if (d == Dir::kToClient) return line.substr(0, 5) == "HTTP/";
    size_t last = line.find_last_of(" \t");
    if (last == std::string_view::npos) return false;
    return http::trim(line.substr(last + 1)).substr(0, 5) == "HTTP/";
  }

  void request_head(ParseCtx& c, std::string_view block) {
    size_t nl = block.find('\n');
    auto line = block.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto rest = nl == std::string_view::npos ? std::string_view() : block.substr(nl + 1);
    if (txs_.size() >= c.cfg.max_tx_per_flow) {
      ++c.ctr.http_tx_cut;
      req_.st = St::kError;
      return;
    }
    auto tx = std::make_unique<HttpTx>(next_id_++);
    ++c.ctr.tx_http;
    tx->has_request = true;
    // method SP target SP version; extra whitespace tolerated.
    std::vector<std::string_view> parts;
    std::string_view l = line;
    while (!l.empty() && parts.size() < 3) {
      while (!l.empty() && (l.front() == ' ' || l.front() == '\t')) l.remove_prefix(1);
      if (l.empty()) break;
      size_t e = parts.size() == 2 ? l.size() : l.find_first_of(" \t");
      if (e == std::string_view::npos) e = l.size();
      parts.push_back(http::trim(l.substr(0, e)));
      l.remove_prefix(e);
    }
    if (parts.size() < 2) ++c.ctr.http_bad_request_line;
    if (parts.size() == 3 && parts[2].substr(0, 5) != "HTTP/") {
      // "GET /a b HTTP/1.1"-like lines: the version is the last word.
      ++c.ctr.http_bad_request_line;
    }
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
    bool http09 = parts.size() < 3;
    if (!http09) b.set(BufferId::kHttpProtocol, Dir::kToServer, parts[2]);
    tx->head_request = !parts.empty() && parts[0] == "HEAD";
    Headers headers;
    if (!parse_header_lines(rest, headers, c)) ++c.ctr.err_http;
    tx->set_headers(Dir::kToServer, line, rest, headers);
    tx->set_progress(Dir::kToServer, TxProgress::kHeaders);
    HttpTx* t = tx.get();
    txs_.push_back(std::move(tx));
    if (http09) http09_ = true;
    c.update(Dir::kToServer, *t);

    req_.tx = t;
    req_.body_cut = false;
    const std::string* te = find(headers, "Transfer-Encoding");
    const std::string* cl = find(headers, "Content-Length");
    bool connect = !parts.empty() && parts[0] == "CONNECT";
    if (te != nullptr && http::has_token(*te, "chunked")) {
      start_chunked(req_);
    } else if (cl != nullptr) {
      auto n = http::parse_content_length(*cl);
      if (!n) ++c.ctr.http_bad_content_length;
      start_length(c, Dir::kToServer, n.value_or(0));
    } else {
      body_done(c, Dir::kToServer);
    }
    if (connect) connect_pending_ = true;
  }

  void response_head(ParseCtx& c, std::string_view block) {
    size_t nl = block.find('\n');
    auto line = block.substr(0, nl);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    auto rest = nl == std::string_view::npos ? std::string_view() : block.substr(nl + 1);
    HttpTx* t = nullptr;
    for (auto& tx : txs_) {
      if (!tx->has_response) {
        t = tx.get();
        break;
      }
    }
    bool status_line = line.substr(0, 5) == "HTTP/";
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
    if (!status_line) {
      // HTTP/0.9 response (or garbage): everything is body until the close.
      if (!http09_) ++c.ctr.http_bad_response_line;
      resp_.st = St::kBodyClose;
      body(c, Dir::kToClient, block);
      return;
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
    Headers headers;
    if (!parse_header_lines(rest, headers, c)) ++c.ctr.err_http;
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
      body_done(c, Dir::kToClient);
      resp_.st = St::kOpaque;
      req_.st = St::kOpaque;
      return;
    }
    connect_pending_ = false;
    const std::string* ce = find(headers, "Content-Encoding");
    if (ce != nullptr) {
      if (http::has_token(*ce, "gzip") || http::has_token(*ce, "x-gzip")) {
        resp_.inflater =
            std::make_unique<http::Inflater>(http::Inflater::Kind::kGzip, c.cfg.http_decompress_limit);
      } else if (http::has_token(*ce, "deflate")) {
        resp_.inflater =
            std::make_unique<http::Inflater>(http::Inflater::Kind::kDeflate, c.cfg.http_decompress_limit);
      }
    }
    const std::string* te = find(headers, "Transfer-Encoding");
    const std::string* cl = find(headers, "Content-Length");
    if (t->head_request || status == 204 || status == 304) {
      body_done(c, Dir::kToClient);
    } else if (te != nullptr && http::has_token(*te, "chunked")) {
      start_chunked(resp_);
    } else if (cl != nullptr) {
      auto n = http::parse_content_length(*cl);
      if (!n) ++c.ctr.http_bad_content_length;
      if (n) {
        start_length(c, Dir::kToClient, *n);
      } else {
        resp_.st = St::kBodyClose;
      }
    } else {
      resp_.st = St::kBodyClose;
    }
  }

  void start_chunked(Side& s) {
    s.st = St::kChunkSize;
    s.chunk_crlf = false;
    s.line.clear();
  }

  void start_length(ParseCtx& c, Dir d, uint64_t n) {
    Side& s = side(d);
    if (n == 0) {
      body_done(c, d);
      return;
    }
    s.st = St::kBodyLength;
    s.remaining = n;
  }

  void body_length(ParseCtx& c, Dir d, std::string_view& in) {
    Side& s = side(d);
    size_t n = static_cast<size_t>(std::min<uint64_t>(s.remaining, in.size()));
    body(c, d, in.substr(0, n));
    in.remove_prefix(n);
    s.remaining -= n;
    if (s.remaining == 0) body_done(c, d);
  }

  void chunk_data(ParseCtx& c, Dir d, std::string_view& in) {
    Side& s = side(d);
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
    Side& s = side(d);
    size_t nl = in.find('\n');
    size_t take = nl == std::string_view::npos ? in.size() : nl;
    if (s.line.size() + take > kMaxChunkLine) {
      ++c.ctr.http_bad_chunk;
      ++c.ctr.err_http;
      s.st = St::kError;
      body_done(c, d);
      return;
    }
    s.line.append(in.substr(0, take));
    if (nl == std::string_view::npos) {
      in = {};
      return;
    }
    in.remove_prefix(nl + 1);
    std::string_view line = s.line;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (s.st == St::kTrailers) {
      bool last = line.empty();
      s.line.clear();
      if (last) body_done(c, d);
      return;
    }
    if (s.chunk_crlf) {
      s.chunk_crlf = false;
      if (line.empty()) {
        s.line.clear();
        return;
      }
      ++c.ctr.http_bad_chunk;  // data longer than its size; read it as the size line
    }
    // hex size, optional ";ext" (chunk extensions are ignored)
    auto t = http::trim(line.substr(0, line.find(';')));
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
    s.line.clear();
    if (!ok) {
      ++c.ctr.http_bad_chunk;
      ++c.ctr.err_http;
      s.st = St::kError;
      body_done(c, d);
      return;
    }
    if (size == 0) {
      s.st = St::kTrailers;
    } else {
      s.st = St::kChunkData;
      s.remaining = size;
    }
  }

  // Body bytes (dechunked) of the message direction d is reading.
  void body(ParseCtx& c, Dir d, std::string_view in) {
    Side& s = side(d);
    HttpTx* t = s.tx;
    if (t == nullptr || in.empty()) return;
    if (d == Dir::kToServer) {
      t->request_len += in.size();
      keep(c, s, t->bufs.slot(BufferId::kHttpRequestBody, d), in, c.cfg.http_request_body_limit,
           c.ctr.http_req_body_cut);
      return;
    }
    t->response_len += in.size();
    std::string& out = t->bufs.slot(BufferId::kHttpResponseBody, d);
    if (!s.inflater) {
      keep(c, s, out, in, c.cfg.http_response_body_limit, c.ctr.http_resp_body_cut);
      return;
    }
    uint64_t limit = c.cfg.http_response_body_limit;
    uint64_t room = limit > out.size() ? limit - out.size() : 0;
    auto before = s.inflater->produced();
    auto r = s.inflater->feed(in, out, room);
    if (r == http::Inflater::Result::kBomb && before <= c.cfg.http_decompress_limit)
      ++c.ctr.http_decompress_bomb;
    if (r == http::Inflater::Result::kError && before == s.inflater->produced()) {
      if (!s.body_cut) ++c.ctr.http_decompress_error;
      s.body_cut = true;
    }
  }

  void keep(ParseCtx&, Side& s, std::string& out, std::string_view in, uint64_t limit, uint64_t& cut) {
    uint64_t room = limit > out.size() ? limit - out.size() : 0;
    if (in.size() > room && !s.body_cut) {
      ++cut;
      s.body_cut = true;
    }
    out.append(in.substr(0, static_cast<size_t>(std::min<uint64_t>(room, in.size()))));
  }

  // The message direction d was reading is complete.
  void body_done(ParseCtx& c, Dir d) {
    Side& s = side(d);
    if (s.st != St::kError && s.st != St::kOpaque) s.st = St::kHead;
    s.inflater.reset();
    HttpTx* t = s.tx;
    s.tx = nullptr;
    if (t == nullptr) return;
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
      c.done(*tx);
    }
  }

  Side req_, resp_;
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
