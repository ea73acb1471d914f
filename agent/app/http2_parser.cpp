// HTTP/2 (RFC 9113) over cleartext TCP: the client connection preface, then
// frames in both directions. One transaction per stream (an HttpTx with
// proto http2, so every http.* buffer, http.stat_code and the EVE "http"
// object work as for HTTP/1), complete when both directions ended the stream
// (END_STREAM), on RST_STREAM, or when the flow ends.
//
// Framing: each direction is cut into frames across segments at any split
// point; a frame may declare any length up to 2^24-1 (RFC 9113 caps frames at
// the peer's SETTINGS_MAX_FRAME_SIZE, attackers do not). DATA payloads are
// streamed into the stream's body (padding removed) without being held; the
// payload of every other frame is kept up to kMaxKeep bytes and the rest
// skipped (counted). HEADERS (PADDED, PRIORITY) and its CONTINUATION frames
// are joined (at most kMaxHeaderBlock bytes, the rest counted) and decoded with
// libnghttp2's HPACK inflater, one per direction, so dynamic-table entries are
// shared by the streams of a direction as on the wire. PUSH_PROMISE opens the
// promised stream with its request headers. SETTINGS, WINDOW_UPDATE, PING,
// RST_STREAM, GOAWAY and PRIORITY are checked for their fixed lengths
// (invalid ones are counted and skipped: the frame length keeps the framing
// in sync); unknown frame types are skipped.
//
// A gap inside a DATA payload only costs body bytes; any other gap stops the
// direction (counted): frame boundaries cannot be found again reliably.
//
// DNS over HTTP/2: a request whose :path has a dns= query parameter or whose
// content-type is application/dns-message makes the flow doh2 (EVE app_proto,
// app-layer-protocol); the stream is still logged as http.
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "agent/app/dns_message.h"
#include "agent/app/http_body.h"
#include "agent/app/http_tx.h"
#include "agent/app/http_util.h"
#include "agent/app/parsers.h"
#include "common/encoding.h"
#include "common/http2_names.h"

namespace vigil {
namespace {

constexpr std::string_view kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr size_t kMaxKeep = 64 * 1024;         // payload kept of a non-DATA frame
constexpr size_t kMaxHeaderBlock = 64 * 1024;  // joined header block kept
constexpr size_t kMaxHeaders = 256;            // decoded fields kept per block
constexpr size_t kMaxHeaderBytes = 64 * 1024;  // decoded name+value bytes kept per block
constexpr uint32_t kMaxTableSize = 64 * 1024;  // largest HPACK table accepted from SETTINGS

enum FrameType : uint8_t {
  kData = 0,
  kHeaders = 1,
  kPriority = 2,
  kRstStream = 3,
  kSettings = 4,
  kPushPromise = 5,
  kPing = 6,
  kGoaway = 7,
  kWindowUpdate = 8,
  kContinuation = 9,
};
constexpr uint8_t kFlagEndStream = 0x1, kFlagAck = 0x1, kFlagEndHeaders = 0x4, kFlagPadded = 0x8,
                  kFlagPriority = 0x20;

// RFC 9113 section 7 error code names, as Suricata writes them in EVE.
std::string error_name(uint32_t code) {
  if (code < std::size(kHttp2ErrorNames)) return std::string(kHttp2ErrorNames[code]);
  return std::to_string(code);
}

uint32_t be32(const uint8_t* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | p[3];
}

using Headers = std::vector<std::pair<std::string, std::string>>;

// The questions of a DNS message carried over HTTP/2 become dns.query
// (to_server), as on a DNS transaction.
void doh_queries(TxBuffers& b, std::string_view msg) {
  dns::Message m;
  dns::parse({reinterpret_cast<const uint8_t*>(msg.data()), msg.size()}, m);
  for (const auto& q : m.questions) b.add(BufferId::kDnsQuery, Dir::kToServer, q.name);
}

uint64_t type_bit(uint8_t type) {
  return uint64_t{1} << std::min<uint8_t>(type, 63);
}

class Http2Tx : public HttpTx {
 public:
  Http2Tx(uint64_t id, uint32_t sid) : HttpTx(id, AppProto::kHttp2), stream_id(sid) {}

  void to_eve(nlohmann::ordered_json& out) const override {
    HttpTx::to_eve(out);
    auto& h = out["http"];
    const char* keys[2] = {"request_headers", "response_headers"};
    for (int d = 0; d < 2; ++d) {
      if (fields[d].empty()) continue;
      auto arr = nlohmann::ordered_json::array();
      for (const auto& [n, v] : fields[d]) arr.push_back({{"name", eve_string(n)}, {"value", eve_string(v)}});
      h[keys[d]] = std::move(arr);
    }
    nlohmann::ordered_json o;
    o["stream_id"] = stream_id;
    nlohmann::ordered_json req = nlohmann::ordered_json::object(), resp = nlohmann::ordered_json::object();
    if (error[0]) req["error_code"] = error_name(*error[0]);
    if (priority) req["priority"] = *priority;
    if (error[1]) resp["error_code"] = error_name(*error[1]);
    o["request"] = std::move(req);
    o["response"] = std::move(resp);
    h["http2"] = std::move(o);
  }

  bool integer(TxInt f, Dir d, int64_t* out) const override {
    int k = di(d);
    switch (f) {
      case TxInt::kHttp2FrameTypes:
        if (frame_types[k] == 0) return false;
        *out = static_cast<int64_t>(frame_types[k]);
        return true;
      case TxInt::kHttp2ErrorCode:
        if (!error[k]) return false;
        *out = *error[k];
        return true;
      case TxInt::kHttp2Priority:  // a property of the stream, either direction
        if (!priority) return false;
        *out = *priority;
        return true;
      case TxInt::kHttp2Window:
        if (!window[k]) return false;
        *out = *window[k];
        return true;
      default:
        return HttpTx::integer(f, d, out);
    }
  }

  uint32_t stream_id;
  uint64_t frame_types[2] = {0, 0};   // bit 1 << type (types above 62 share bit 63)
  std::optional<uint32_t> window[2];  // last WINDOW_UPDATE increment
  Headers fields[2];                  // every decoded field (pseudo-headers too), in order, per direction
  bool headers_seen[2] = {false, false};
  bool ended[2] = {false, false};
  std::optional<uint32_t> error[2];  // RST_STREAM code sent in that direction
  std::optional<int> priority;       // PRIORITY weight of the request
  std::unique_ptr<http::Inflater> coding[2];
  bool body_cut[2] = {false, false};
  bool file_cut[2] = {false, false};
  std::string file_name;
  bool doh_body = false;  // the request body is a DNS message (application/dns-message)
};

struct Inflater {
  nghttp2_hd_inflater* p = nullptr;
  Inflater() { nghttp2_hd_inflate_new(&p); }
  ~Inflater() {
    if (p) nghttp2_hd_inflate_del(p);
  }
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;
  // A new, empty table of the default size (4096); the caller re-applies
  // the size the peer allowed.
  void reset() {
    if (p) nghttp2_hd_inflate_del(p);
    p = nullptr;
    nghttp2_hd_inflate_new(&p);
  }
};

class Http2Parser : public AppParser {
 public:
  void data(ParseCtx& c, Dir d, Bytes b) override {
    Side& s = side_[di(d)];
    size_t i = 0;
    while (i < b.size() && s.st != St::kStopped) {
      switch (s.st) {
        case St::kPreface: {
          size_t n = std::min(kPreface.size() - s.got, b.size() - i);
          if (std::memcmp(b.data() + i, kPreface.data() + s.got, n) != 0) {
            ++c.ctr.http2_bad_preface;
            ++c.ctr.err_http2;
            stop(c, s);
            break;
          }
          s.got += n;
          i += n;
          if (s.got == kPreface.size()) {
            s.st = St::kHeader;
            s.got = 0;
          }
          break;
        }
        case St::kHeader: {
          size_t n = std::min<size_t>(9 - s.got, b.size() - i);
          std::memcpy(s.hdr + s.got, b.data() + i, n);
          s.got += n;
          i += n;
          if (s.got == 9) begin_frame(c, d, s);
          break;
        }
        case St::kPayload: {
          size_t n = static_cast<size_t>(std::min<uint64_t>(s.len - s.pos, b.size() - i));
          payload(c, d, s, {reinterpret_cast<const char*>(b.data() + i), n});
          i += n;
          s.pos += static_cast<uint32_t>(n);
          if (s.pos == s.len) end_frame(c, d, s);
          break;
        }
        case St::kStopped:
          break;
      }
    }
  }

  void gap(ParseCtx& c, Dir d, uint64_t len) override {
    Side& s = side_[di(d)];
    ++c.ctr.gap_http2;
    if (s.st == St::kStopped) return;
    if (s.st == St::kPayload && s.type == kData && len <= s.len - s.pos) {
      // Only body bytes are missing: the frame length keeps the framing.
      if (Http2Tx* t = find(s.sid)) {
        if (auto& f = t->file[di(d)]) f->gap(len);
        t->file_cut[di(d)] = true;
      }
      s.pos += static_cast<uint32_t>(len);
      if (s.pos == s.len) end_frame(c, d, s);
      return;
    }
    stop(c, s);
  }

  void end(ParseCtx& c, Dir d) override {
    std::vector<uint32_t> ids;
    for (auto& [sid, t] : streams_) ids.push_back(sid);
    for (uint32_t sid : ids) {
      if (Http2Tx* t = find(sid)) end_dir(c, *t, d, false);
    }
  }

  void finish(ParseCtx& c) override {
    for (auto& [sid, t] : streams_) {
      // Directions still open end here, cut short: bodies are decoded to
      // the end, files truncated, rules see the last state.
      for (Dir d : {Dir::kToServer, Dir::kToClient}) end_dir(c, *t, d, false, false);
      end_files(*t);
      c.done(*t);
    }
    streams_.clear();
  }

 private:
  enum class St : uint8_t { kPreface, kHeader, kPayload, kStopped };
  struct Side {
    St st = St::kHeader;
    size_t got = 0;  // preface or frame header bytes seen
    uint8_t hdr[9] = {};
    uint32_t len = 0, sid = 0, pos = 0;
    uint8_t type = 0, flags = 0;
    std::string keep;  // payload of a non-DATA frame (<= kMaxKeep)
    bool keep_cut = false;
    uint32_t pad = 0;  // DATA: padding length (PADDED)
    // The header block being joined from HEADERS/PUSH_PROMISE + CONTINUATION.
    bool in_block = false;
    uint32_t block_sid = 0;
    uint32_t promised = 0;  // PUSH_PROMISE: the promised stream, else 0
    bool block_end_stream = false;
    bool block_cut = false;
    std::string block;
    Inflater hpack;
    uint32_t table_max = 4096;  // HPACK table size this direction's decoder allows
  };

  // A fresh HPACK table for direction s, with the size its peer allowed.
  static void reset_hpack(Side& s) {
    s.hpack.reset();
    if (s.hpack.p != nullptr && s.table_max != 4096)
      nghttp2_hd_inflate_change_table_size(s.hpack.p, s.table_max);
  }

  void stop(ParseCtx& c, Side& s) {
    s.st = St::kStopped;
    ++c.ctr.http2_stopped;
  }

  Http2Tx* find(uint32_t sid) {
    auto it = streams_.find(sid);
    return it == streams_.end() ? nullptr : it->second.get();
  }

  Http2Tx* open(ParseCtx& c, uint32_t sid) {
    if (Http2Tx* t = find(sid)) return t;
    if (streams_.size() >= c.cfg.max_tx_per_flow) {
      ++c.ctr.http2_stream_cut;
      return nullptr;
    }
    auto tx = std::make_unique<Http2Tx>(next_id_++, sid);
    ++c.ctr.tx_http2;
    Http2Tx* t = tx.get();
    if (upgraded_ && sid == 1) {
      // After Upgrade: h2c the request was the HTTP/1.1 one (its own
      // transaction); stream 1 carries only the response (RFC 7540 3.2).
      upgraded_ = false;
      t->ended[0] = true;
      t->request_done = true;
      t->set_progress(Dir::kToServer, TxProgress::kComplete);
    }
    streams_[sid] = std::move(tx);
    return t;
  }

  void begin_frame(ParseCtx& c, Dir d, Side& s) {
    s.len = (uint32_t{s.hdr[0]} << 16) | (uint32_t{s.hdr[1]} << 8) | s.hdr[2];
    s.type = s.hdr[3];
    s.flags = s.hdr[4];
    s.sid = be32(s.hdr + 5) & 0x7fffffffu;
    s.pos = 0;
    s.got = 0;
    s.keep.clear();
    s.keep_cut = false;
    s.pad = 0;
    ++c.ctr.http2_frames;
    if (s.in_block && s.type != kContinuation) {
      // RFC 9113 6.10: nothing may come between a header block's frames.
      ++c.ctr.http2_bad_continuation;
      s.in_block = false;
      s.block.clear();
      reset_hpack(s);
    }
    if (s.type == kData && s.sid == 0) {
      ++c.ctr.http2_bad_stream_id;
      s.type = 0xff;  // skipped as an unknown type
    }
    if (s.len == 0) {
      end_frame(c, d, s);
      return;
    }
    s.st = St::kPayload;
  }

  void payload(ParseCtx& c, Dir d, Side& s, std::string_view in) {
    if (s.type != kData) {
      size_t room = kMaxKeep > s.keep.size() ? kMaxKeep - s.keep.size() : 0;
      if (in.size() > room && !s.keep_cut) {
        s.keep_cut = true;
        if (s.type == kHeaders || s.type == kContinuation || s.type == kPushPromise)
          ++c.ctr.http2_header_cut;
        else
          ++c.ctr.http2_frame_cut;
      }
      s.keep.append(in.substr(0, std::min(room, in.size())));
      return;
    }
    // DATA: [pad length][data][padding], streamed.
    uint32_t pos = s.pos;
    if ((s.flags & kFlagPadded) && pos == 0) {
      s.pad = static_cast<uint8_t>(in[0]);
      if (s.pad >= s.len) {
        ++c.ctr.http2_bad_padding;
        s.pad = s.len - 1;  // all of it is padding
      }
      in.remove_prefix(1);
      pos = 1;
    }
    uint32_t data_end = s.len - s.pad;
    if (pos >= data_end || in.empty()) return;
    in = in.substr(0, std::min<size_t>(in.size(), data_end - pos));
    if (s.sid == 0) return;  // its stream was unknown (counted at the first bytes)
    if (Http2Tx* t = find(s.sid)) {
      if (!t->ended[di(d)]) body(c, d, *t, in);
    } else {
      ++c.ctr.http2_unknown_stream;
      s.sid = 0;  // counted once per frame
    }
  }

  void end_frame(ParseCtx& c, Dir d, Side& s) {
    s.st = St::kHeader;
    std::string_view p = s.keep;
    if (s.sid != 0) {
      if (Http2Tx* t = find(s.sid)) t->frame_types[di(d)] |= type_bit(s.type);
    }
    switch (s.type) {
      case kData:
        if (s.flags & kFlagEndStream) {
          if (Http2Tx* t = find(s.sid)) end_dir(c, *t, d, true);
        }
        break;
      case kHeaders:
      case kPushPromise: {
        if (s.sid == 0) {
          ++c.ctr.http2_bad_stream_id;
          break;
        }
        size_t off = 0, pad = 0;
        if (s.flags & kFlagPadded) {
          if (p.empty()) {
            ++c.ctr.http2_bad_padding;
            break;
          }
          pad = static_cast<uint8_t>(p[0]);
          off = 1;
        }
        std::optional<int> weight;
        uint32_t promised = 0;
        if (s.type == kHeaders && (s.flags & kFlagPriority)) {
          if (p.size() < off + 5) {
            ++c.ctr.http2_bad_frame;
            break;
          }
          weight = static_cast<uint8_t>(p[off + 4]);
          off += 5;
        }
        if (s.type == kPushPromise) {
          if (p.size() < off + 4) {
            ++c.ctr.http2_bad_frame;
            break;
          }
          promised = be32(reinterpret_cast<const uint8_t*>(p.data() + off)) & 0x7fffffffu;
          off += 4;
        }
        // The padding is at the end of the whole frame: only what was kept
        // of a cut frame is here, so padding of a cut frame is not removed.
        if (!s.keep_cut && off + pad > s.len) {
          ++c.ctr.http2_bad_padding;
          break;
        }
        std::string_view frag = p.substr(off, s.keep_cut ? std::string_view::npos : p.size() - off - pad);
        s.in_block = true;
        s.block_sid = s.sid;
        s.promised = promised;
        s.block_end_stream = s.type == kHeaders && (s.flags & kFlagEndStream);
        s.block_cut = s.keep_cut;
        s.block.assign(frag.substr(0, kMaxHeaderBlock));
        if (frag.size() > kMaxHeaderBlock) s.block_cut = true;
        if (s.type == kHeaders && weight) {
          if (Http2Tx* t = (d == Dir::kToServer ? open(c, s.sid) : find(s.sid))) t->priority = weight;
        }
        if (s.flags & kFlagEndHeaders) block_done(c, d, s);
        break;
      }
      case kContinuation:
        if (!s.in_block || s.sid != s.block_sid) {
          ++c.ctr.http2_bad_continuation;
          break;
        }
        if (s.keep_cut || s.block.size() + p.size() > kMaxHeaderBlock) {
          if (!s.block_cut) ++c.ctr.http2_header_cut;
          s.block_cut = true;
        }
        s.block.append(p.substr(0, kMaxHeaderBlock - std::min(kMaxHeaderBlock, s.block.size())));
        if (s.flags & kFlagEndHeaders) block_done(c, d, s);
        break;
      case kPriority:
        if (s.len != 5 || s.sid == 0) {
          ++c.ctr.http2_bad_frame;
          break;
        }
        if (Http2Tx* t = find(s.sid)) {
          t->priority = static_cast<uint8_t>(p[4]);
          c.update(d, *t);
        }
        break;
      case kRstStream:
        if (s.len != 4 || s.sid == 0) {
          ++c.ctr.http2_bad_frame;
          break;
        }
        if (Http2Tx* t = find(s.sid)) {
          t->error[di(d)] = be32(reinterpret_cast<const uint8_t*>(p.data()));
          end_dir(c, *t, Dir::kToServer, false, false);
          if ((t = find(s.sid))) end_dir(c, *t, Dir::kToClient, false);
        }
        break;
      case kSettings:
        if (s.len % 6 != 0 || s.sid != 0 || ((s.flags & kFlagAck) && s.len != 0)) {
          ++c.ctr.http2_bad_frame;
          break;
        }
        for (size_t k = 0; k + 6 <= p.size(); k += 6) {
          uint16_t id = static_cast<uint16_t>((uint8_t(p[k]) << 8) | uint8_t(p[k + 1]));
          uint32_t v = be32(reinterpret_cast<const uint8_t*>(p.data() + k + 2));
          // HEADER_TABLE_SIZE: what this side's decoder allows the other
          // side's encoder, so it sizes the inflater of the other direction.
          if (id == 1) {
            if (v > kMaxTableSize) {
              ++c.ctr.http2_table_size_cut;
              v = kMaxTableSize;
            }
            // Only growth is applied: until the peer acknowledges a smaller
            // size it may still encode with the old one, and its size update
            // to the smaller size is accepted either way.
            Side& o = side_[d == Dir::kToServer ? 1 : 0];
            if (v > o.table_max && o.hpack.p != nullptr) {
              o.table_max = v;
              nghttp2_hd_inflate_change_table_size(o.hpack.p, v);
            }
          }
        }
        break;
      case kPing:
        if (s.len != 8 || s.sid != 0) ++c.ctr.http2_bad_frame;
        break;
      case kGoaway:
        if (s.len < 8 || s.sid != 0) ++c.ctr.http2_bad_frame;
        break;
      case kWindowUpdate:
        if (s.len != 4) {
          ++c.ctr.http2_bad_frame;
          break;
        }
        if (s.sid == 0) break;
        if (Http2Tx* t = find(s.sid)) {
          t->window[di(d)] = be32(reinterpret_cast<const uint8_t*>(p.data())) & 0x7fffffffu;
          c.update(d, *t);
        }
        break;
      default:
        break;  // unknown types (and extensions) are skipped
    }
    s.keep.clear();
  }

  // A complete header block of direction d: HPACK-decode it into the stream.
  void block_done(ParseCtx& c, Dir d, Side& s) {
    s.in_block = false;
    Headers h;
    bool ok = decode(c, s, h);
    s.block.clear();
    if (!ok && h.empty()) return;
    uint32_t sid = s.promised != 0 ? s.promised : s.block_sid;
    if (s.promised != 0) {
      // PUSH_PROMISE: the request of a stream the server opens.
      Http2Tx* t = open(c, sid);
      if (t == nullptr) return;
      t->frame_types[di(Dir::kToClient)] |= type_bit(kPushPromise);
      t->ended[di(Dir::kToServer)] = true;
      t->request_done = true;
      request(c, *t, std::move(h));
      return;
    }
    Http2Tx* t = open(c, sid);
    if (t == nullptr) return;
    t->frame_types[di(d)] |= type_bit(kHeaders);
    if (d == Dir::kToServer) {
      if (t->headers_seen[0]) {
        for (auto& f : h) t->fields[0].push_back(std::move(f));  // trailers
      } else {
        request(c, *t, std::move(h));
      }
    } else {
      response(c, *t, std::move(h));
    }
    if (s.block_end_stream) {
      if ((t = find(sid))) end_dir(c, *t, d, true);
    }
  }

  bool decode(ParseCtx& c, Side& s, Headers& out) {
    if (s.hpack.p == nullptr) {  // the inflater could not be allocated
      ++c.ctr.http2_bad_hpack;
      reset_hpack(s);
      return false;
    }
    const uint8_t* in = reinterpret_cast<const uint8_t*>(s.block.data());
    size_t left = s.block.size();
    size_t bytes = 0;
    bool cut = false;
    for (;;) {
      nghttp2_nv nv;
      int fl = 0;
      ssize_t r = nghttp2_hd_inflate_hd2(s.hpack.p, &nv, &fl, in, left, s.block_cut ? 0 : 1);
      if (r < 0) {
        ++c.ctr.http2_bad_hpack;
        reset_hpack(s);
        return false;
      }
      in += r;
      left -= static_cast<size_t>(r);
      if (fl & NGHTTP2_HD_INFLATE_EMIT) {
        if (out.size() < kMaxHeaders && bytes + nv.namelen + nv.valuelen <= kMaxHeaderBytes) {
          out.emplace_back(std::string(reinterpret_cast<const char*>(nv.name), nv.namelen),
                           std::string(reinterpret_cast<const char*>(nv.value), nv.valuelen));
          bytes += nv.namelen + nv.valuelen;
        } else if (!cut) {
          cut = true;
          ++c.ctr.http2_header_cut;
        }
      }
      if (fl & NGHTTP2_HD_INFLATE_FINAL) {
        nghttp2_hd_inflate_end_headers(s.hpack.p);
        break;
      }
      if (!(fl & NGHTTP2_HD_INFLATE_EMIT) && left == 0) break;
    }
    if (s.block_cut) {
      // The rest of the block was never decoded: this direction's dynamic
      // table is unknown from here on. Start a new one (later references to
      // entries it lacks are counted as HPACK errors).
      reset_hpack(s);
    }
    return true;
  }

  static const std::string* field(const Headers& h, std::string_view name) {
    for (const auto& [n, v] : h)
      if (n == name) return &v;
    return nullptr;
  }

  // The file name of a stream's bodies: the normalized path without the
  // query, as the HTTP/1 parser names them.
  static std::string uri_path(std::string_view uri) { return std::string(uri.substr(0, uri.find('?'))); }

  // Header buffers of direction d: http.header and friends from the regular
  // fields; http.request_header / http.response_header hold every field,
  // pseudo-headers too, "name: value".
  static void set_fields(Http2Tx& t, Dir d, std::string_view line, const Headers& h) {
    Headers regular;
    std::string raw;
    for (const auto& f : h) {
      if (!f.first.empty() && f.first[0] == ':') continue;
      regular.push_back(f);
      raw.append(f.first).append(": ").append(f.second).append("\r\n");
    }
    raw.append("\r\n");
    t.set_headers(d, line, raw, regular);
    BufferId each = d == Dir::kToServer ? BufferId::kHttpRequestHeader : BufferId::kHttpResponseHeader;
    bool first = true;
    for (const auto& [n, v] : h) {
      std::string nv = n + ": " + v;
      if (first)
        t.bufs.set(each, d, nv);
      else
        t.bufs.add(each, d, nv);
      first = false;
      // http2.header_name / http2.header: every field of the direction.
      t.bufs.add(BufferId::kHttp2HeaderName, d, n);
      t.bufs.add(BufferId::kHttp2Header, d, nv);
    }
    t.headers_seen[di(d)] = true;
  }

  void request(ParseCtx& c, Http2Tx& t, Headers h) {
    const Dir ts = Dir::kToServer;
    t.has_request = true;
    const std::string* method = field(h, ":method");
    const std::string* path = field(h, ":path");
    const std::string* authority = field(h, ":authority");
    std::string line = (method ? *method : std::string()) + " " + (path ? *path : std::string()) + " HTTP/2";
    set_fields(t, ts, line, h);
    auto& b = t.bufs;
    b.set(BufferId::kHttpRequestLine, ts, line);
    b.set(BufferId::kHttpProtocol, ts, "HTTP/2");
    if (method) b.set(BufferId::kHttpMethod, ts, *method);
    if (path) {
      b.set(BufferId::kHttpUriRaw, ts, *path);
      b.set(BufferId::kHttpUri, ts, http::normalize_uri(*path));
      t.file_name = uri_path(b.get(BufferId::kHttpUri, ts));
    }
    if (authority) {
      b.set(BufferId::kHttpHostRaw, ts, *authority);
      b.set(BufferId::kHttpHost, ts, http::normalize_host(*authority, &t.host_port));
    }
    t.head_request = method && *method == "HEAD";
    setup_coding(c, t, ts, h);
    const std::string* ct = field(h, "content-type");
    bool doh =
        (path && (path->find("?dns=") != std::string::npos || path->find("&dns=") != std::string::npos)) ||
        (ct && http::iequals(http::trim(std::string_view(*ct).substr(0, ct->find(';'))),
                             "application/dns-message"));
    if (doh && path) {
      size_t at = path->find("dns=", path->find('?'));
      if (at != std::string::npos) {
        std::string_view v = std::string_view(*path).substr(at + 4);
        std::string msg;  // base64url without padding (RFC 8484 dns= parameter)
        if (base64_decode(v.substr(0, v.find('&')), msg)) doh_queries(t.bufs, msg);
      }
    }
    t.doh_body = doh && ct != nullptr;
    t.fields[0] = std::move(h);
    t.set_progress(ts, TxProgress::kHeaders);
    if (doh && c.flow.app_proto == AppProto::kHttp2) {
      c.flow.app_proto = AppProto::kDoh2;
      c.flow.app_proto_ts = AppProto::kDoh2;
      c.flow.app_proto_tc = AppProto::kDoh2;
      ++c.ctr.flow_doh2;
    }
    c.update(ts, t);
  }

  void response(ParseCtx& c, Http2Tx& t, Headers h) {
    const Dir tc = Dir::kToClient;
    const std::string* st = field(h, ":status");
    if (t.headers_seen[1]) {  // trailers
      for (auto& f : h) t.fields[1].push_back(std::move(f));
      return;
    }
    int status = -1;
    if (st && st->size() == 3 && std::isdigit(uint8_t((*st)[0])) && std::isdigit(uint8_t((*st)[1])) &&
        std::isdigit(uint8_t((*st)[2])))
      status = ((*st)[0] - '0') * 100 + ((*st)[1] - '0') * 10 + ((*st)[2] - '0');
    if (status >= 100 && status < 200) return;  // interim: the final response follows
    t.has_response = true;
    t.status = status;
    std::string line = "HTTP/2 " + (st ? *st : std::string());
    set_fields(t, tc, line, h);
    auto& b = t.bufs;
    b.set(BufferId::kHttpResponseLine, tc, line);
    b.set(BufferId::kHttpProtocol, tc, "HTTP/2");
    if (st) b.set(BufferId::kHttpStatCode, tc, *st);
    setup_coding(c, t, tc, h);
    t.fields[1] = std::move(h);
    t.set_progress(tc, TxProgress::kHeaders);
    c.update(tc, t);
  }

  static void setup_coding(ParseCtx& c, Http2Tx& t, Dir d, const Headers& h) {
    const std::string* ce = field(h, "content-encoding");
    if (ce == nullptr) return;
    auto tok = http::trim(*ce);
    if (http::iequals(tok, "gzip") || http::iequals(tok, "x-gzip") || http::iequals(tok, "deflate") ||
        http::iequals(tok, "x-deflate"))
      t.coding[di(d)] = std::make_unique<http::Inflater>(c.cfg.http_decompress_limit);
  }

  void body(ParseCtx& c, Dir d, Http2Tx& t, std::string_view in) {
    bool ts = d == Dir::kToServer;
    (ts ? t.request_len : t.response_len) += in.size();
    auto& file = t.file[di(d)];
    if (c.files != nullptr && !file) {
      file = std::make_unique<TrackedFile>(*c.files, t.file_name, d, t.tx_id());
      t.file_buffers(d);
    }
    std::string decoded;
    if (auto& inf = t.coding[di(d)]) {
      auto r = inf->feed(in, decoded, UINT64_MAX);
      if (r == http::Inflater::Result::kBomb) {
        if (!t.file_cut[di(d)]) ++c.ctr.http_decompress_bomb;
        t.file_cut[di(d)] = true;
      }
      in = decoded;
    }
    append_body(c, d, t, in);
    c.update(d, t);
  }

  void append_body(ParseCtx& c, Dir d, Http2Tx& t, std::string_view in) {
    bool ts = d == Dir::kToServer;
    std::string& out = t.bufs.slot(ts ? BufferId::kHttpRequestBody : BufferId::kHttpResponseBody, d);
    uint64_t limit = ts ? c.cfg.http_request_body_limit : c.cfg.http_response_body_limit;
    uint64_t room = limit > out.size() ? limit - out.size() : 0;
    if (in.size() > room && !t.body_cut[di(d)]) {
      t.body_cut[di(d)] = true;
      ++(ts ? c.ctr.http2_req_body_cut : c.ctr.http2_resp_body_cut);
    }
    out.append(in.substr(0, static_cast<size_t>(std::min<uint64_t>(room, in.size()))));
    if (auto& f = t.file[di(d)]) f->append(in);
  }

  // Direction d of stream t ended (`whole`: by END_STREAM). When both have,
  // the transaction is logged and freed.
  void end_dir(ParseCtx& c, Http2Tx& t, Dir d, bool whole, bool reap = true) {
    if (!t.ended[di(d)]) {
      t.ended[di(d)] = true;
      if (auto& inf = t.coding[di(d)]) {
        std::string rest;
        inf->finish(rest, UINT64_MAX);
        if (!rest.empty()) append_body(c, d, t, rest);
        t.coding[di(d)].reset();
      }
      if (auto& f = t.file[di(d)]) {
        if (whole && !t.file_cut[di(d)])
          f->close();
        else
          f->truncate();
        t.file_buffers(d);
      }
      (d == Dir::kToServer ? t.request_done : t.response_done) = true;
      if (d == Dir::kToServer && t.doh_body)
        doh_queries(t.bufs, t.bufs.get(BufferId::kHttpRequestBody, Dir::kToServer));
      t.set_progress(d, TxProgress::kComplete);
      c.update(d, t);
    }
    if (reap && t.ended[0] && t.ended[1]) {
      auto it = streams_.find(t.stream_id);
      std::unique_ptr<Http2Tx> owned = std::move(it->second);
      streams_.erase(it);
      end_files(*owned);
      c.done(*owned);
    }
  }

  static void end_files(HttpTx& t) {
    for (auto& f : t.file) {
      if (f && f->state() == FileState::kOpen) {
        f->truncate();
        t.file_buffers(f->dir());
      }
    }
  }

 public:
  explicit Http2Parser(bool upgraded) : upgraded_(upgraded) { side_[0].st = St::kPreface; }

 private:
  Side side_[2];
  std::map<uint32_t, std::unique_ptr<Http2Tx>> streams_;
  uint64_t next_id_ = 0;
  bool upgraded_;
};

}  // namespace

std::unique_ptr<AppParser> make_http2_parser(bool upgraded) {
  return std::make_unique<Http2Parser>(upgraded);
}

}  // namespace vigil
