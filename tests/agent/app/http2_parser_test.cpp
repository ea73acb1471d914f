// HTTP/2 from bytes: frames built here, header blocks HPACK-encoded by
// libnghttp2's deflater (Huffman strings, dynamic-table entries reused by later
// streams). A session split at every byte, CONTINUATION and padding, frames
// much longer than a segment, interleaved streams, malformed frames,
// truncation, the stream cap and doh2.
#include <nghttp2/nghttp2.h>

#include <catch2/catch.hpp>
#include <map>

#include "tests/agent/app/app_test_util.h"

using namespace vigil;
using vigil::test::DoneTx;
using vigil::test::Harness;

namespace {

const std::string kPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
using Fields = std::vector<std::pair<std::string, std::string>>;

std::string frame(uint8_t type, uint8_t flags, uint32_t sid, std::string_view payload) {
  std::string f;
  size_t n = payload.size();
  f.push_back(char(n >> 16));
  f.push_back(char(n >> 8));
  f.push_back(char(n));
  f.push_back(char(type));
  f.push_back(char(flags));
  f.push_back(char(sid >> 24));
  f.push_back(char(sid >> 16));
  f.push_back(char(sid >> 8));
  f.push_back(char(sid));
  f.append(payload);
  return f;
}

// One HPACK encoder per direction, as a client and a server have.
struct Encoder {
  nghttp2_hd_deflater* d[2] = {nullptr, nullptr};
  Encoder() {
    nghttp2_hd_deflate_new(&d[0], 4096);
    nghttp2_hd_deflate_new(&d[1], 4096);
  }
  ~Encoder() {
    nghttp2_hd_deflate_del(d[0]);
    nghttp2_hd_deflate_del(d[1]);
  }
  std::string block(Dir dir, const Fields& f) {
    std::vector<nghttp2_nv> nv;
    for (auto& [n, v] : f)
      nv.push_back({(uint8_t*)n.data(), (uint8_t*)v.data(), n.size(), v.size(), NGHTTP2_NV_FLAG_NONE});
    auto* def = d[static_cast<int>(dir)];
    std::string out(nghttp2_hd_deflate_bound(def, nv.data(), nv.size()), '\0');
    auto n = nghttp2_hd_deflate_hd(def, (uint8_t*)out.data(), out.size(), nv.data(), nv.size());
    REQUIRE(n >= 0);
    out.resize(size_t(n));
    return out;
  }
};

Fields get(std::string path, std::string ua = "curl/8.0") {
  return {{":method", "GET"},         {":scheme", "http"},           {":authority", "Example.COM:8080"},
          {":path", std::move(path)}, {"user-agent", std::move(ua)}, {"cookie", "a=b"}};
}
Fields ok(std::string type = "text/html") {
  return {{":status", "200"}, {"content-type", std::move(type)}, {"server", "h2test"}};
}

const std::string kSettings = frame(4, 0, 0, std::string("\x00\x03\x00\x00\x00\x64", 6));
const std::string kSettingsAck = frame(4, 1, 0, "");

struct Session {
  std::string client, server;
};

// GET /a%41/./b?x=1 on stream 1, 200 with a body on stream 1.
Session basic() {
  Encoder e;
  Session s;
  s.client = kPreface + kSettings + frame(1, 0x5, 1, e.block(Dir::kToServer, get("/a%41/./b?x=1"))) +
             kSettingsAck + frame(8, 0, 0, std::string("\x00\x00\x10\x00", 4));
  s.server = kSettings + kSettingsAck + frame(1, 0x4, 1, e.block(Dir::kToClient, ok())) +
             frame(0, 0, 1, "hello ") + frame(0, 0x1, 1, "world") + frame(6, 0, 0, std::string(8, 'p'));
  return s;
}

void check_basic(const DoneTx& t) {
  CHECK(t.proto == AppProto::kHttp2);
  CHECK(t.buf(BufferId::kHttpMethod) == "GET");
  CHECK(t.buf(BufferId::kHttpUriRaw) == "/a%41/./b?x=1");
  CHECK(t.buf(BufferId::kHttpUri) == "/aA/b?x=1");
  CHECK(t.buf(BufferId::kHttpHost) == "example.com");
  CHECK(t.buf(BufferId::kHttpHostRaw) == "Example.COM:8080");
  CHECK(t.buf(BufferId::kHttpUserAgent) == "curl/8.0");
  CHECK(t.buf(BufferId::kHttpCookie) == "a=b");
  CHECK(t.buf(BufferId::kHttpProtocol) == "HTTP/2");
  CHECK(t.buf(BufferId::kHttpRequestLine) == "GET /a%41/./b?x=1 HTTP/2");
  CHECK(t.buf(BufferId::kHttpHeader) == "user-agent: curl/8.0\r\n");
  CHECK(t.buf(BufferId::kHttpHeaderNames) == "\r\nuser-agent\r\ncookie\r\n\r\n");
  CHECK(t.count(BufferId::kHttpRequestHeader) == 6);
  CHECK(t.buf(BufferId::kHttpRequestHeader, Dir::kToServer, 0) == ":method: GET");
  CHECK(t.buf(BufferId::kHttpStatCode, Dir::kToClient) == "200");
  CHECK(t.buf(BufferId::kHttpContentType, Dir::kToClient) == "text/html");
  CHECK(t.buf(BufferId::kHttpResponseBody, Dir::kToClient) == "hello world");
  CHECK(t.buf(BufferId::kFileData, Dir::kToClient) == "hello world");
  CHECK(t.integer(TxInt::kHttpStatCode, Dir::kToClient) == 200);
  const auto& h = t.eve["http"];
  CHECK(h["hostname"] == "example.com");
  CHECK(h["http_port"] == 8080);
  CHECK(h["url"] == "/a%41/./b?x=1");
  CHECK(h["http_method"] == "GET");
  CHECK(h["protocol"] == "HTTP/2");
  CHECK(h["status"] == 200);
  CHECK(h["length"] == 11);
  CHECK(h["http_user_agent"] == "curl/8.0");
  CHECK(h["request_headers"].size() == 6);
  CHECK(h["request_headers"][3] == nlohmann::json({{"name", ":path"}, {"value", "/a%41/./b?x=1"}}));
  CHECK(h["response_headers"][0]["value"] == "200");
  CHECK(h["http2"]["stream_id"] == 1);
  // http2.header_name / http2.header and the frame types of each direction.
  CHECK(t.count(BufferId::kHttp2HeaderName) == 6);
  CHECK(t.buf(BufferId::kHttp2Header, Dir::kToClient, 1) == "content-type: text/html");
  CHECK(t.integer(TxInt::kHttp2FrameTypes, Dir::kToServer) == 1 << 1);                 // HEADERS
  CHECK(t.integer(TxInt::kHttp2FrameTypes, Dir::kToClient) == ((1 << 1) | (1 << 0)));  // HEADERS, DATA
}

}  // namespace

TEST_CASE("http2: a session split at every byte gives one transaction per stream") {
  Session s = basic();
  for (size_t cut = 0; cut <= std::max(s.client.size(), s.server.size()); ++cut) {
    Harness h;
    h.send_split(Dir::kToServer, s.client, std::min(cut, s.client.size()));
    h.send_split(Dir::kToClient, s.server, std::min(cut, s.server.size()));
    REQUIRE(h.flow.app_proto == AppProto::kHttp2);
    REQUIRE(h.rec.done.size() == 1);  // both END_STREAMs seen: logged before the flow ends
    check_basic(h.rec.done[0]);
    h.end();
    CHECK(h.rec.done.size() == 1);
    CHECK(h.counter("app_layer.anomaly.http2.invalid_frame_length") == 0);
    CHECK(h.counter("app_layer.anomaly.http2.invalid_header") == 0);
    CHECK(h.counter("app_layer.tx.http2") == 1);
  }
  // Byte by byte, both directions.
  Harness h;
  for (char c : s.client) h.send(Dir::kToServer, std::string(1, c));
  for (char c : s.server) h.send(Dir::kToClient, std::string(1, c));
  REQUIRE(h.rec.done.size() == 1);
  check_basic(h.rec.done[0]);
}

TEST_CASE("http2: the server's SETTINGS detects the flow too") {
  Session s = basic();
  Harness h;
  h.send(Dir::kToClient, s.server.substr(0, 5));
  CHECK(h.flow.app_proto == AppProto::kUnknown);
  h.send(Dir::kToClient, s.server.substr(5, 40));
  CHECK(h.flow.app_proto == AppProto::kHttp2);
}

TEST_CASE("http2: CONTINUATION, PADDED and PRIORITY headers, padded DATA") {
  Encoder e;
  std::string blk = e.block(Dir::kToServer, get("/upload"));
  std::string first = std::string(1, '\x03') + std::string("\x00\x00\x00\x00\x0f", 5) + blk.substr(0, 5) +
                      std::string(3, '\0');
  std::string client = kPreface + kSettings + frame(1, 0x8 | 0x20, 1, first) +
                       frame(9, 0, 1, blk.substr(5, 4)) + frame(9, 0x4, 1, blk.substr(9)) +
                       frame(0, 0x8 | 0x1, 1, std::string(1, '\x04') + "body" + std::string(4, '\0'));
  std::string server = kSettings + frame(1, 0x5, 1, e.block(Dir::kToClient, {{":status", "204"}}));
  Harness h;
  h.send(Dir::kToServer, client);
  h.send(Dir::kToClient, server);
  REQUIRE(h.rec.done.size() == 1);
  const auto& t = h.rec.done[0];
  CHECK(t.buf(BufferId::kHttpUri) == "/upload");
  CHECK(t.buf(BufferId::kHttpUserAgent) == "curl/8.0");
  CHECK(t.buf(BufferId::kHttpRequestBody) == "body");
  CHECK(t.integer(TxInt::kHttpStatCode, Dir::kToClient) == 204);
  CHECK(t.eve["http"]["http2"]["request"]["priority"] == 15);
  CHECK(t.integer(TxInt::kHttp2Priority, Dir::kToServer) == 15);
  CHECK(t.integer(TxInt::kHttp2FrameTypes, Dir::kToServer) == ((1 << 0) | (1 << 1) | (1 << 9)));
  CHECK(h.counter("app_layer.anomaly.http2.invalid_padding") == 0);
  CHECK(h.counter("app_layer.anomaly.http2.invalid_continuation") == 0);
}

TEST_CASE("http2: frames far longer than a segment do not stop parsing") {
  Encoder e;
  AppConfig cfg;
  cfg.http_response_body_limit = 1000;
  Harness h(6, 40000, 8443, cfg);
  std::string client = kPreface + kSettings + frame(1, 0x5, 1, e.block(Dir::kToServer, get("/big"))) +
                       frame(1, 0x5, 3, e.block(Dir::kToServer, get("/malware/payload.exe")));
  h.send(Dir::kToServer, client);
  // A 200000-byte DATA frame and a 100000-byte unknown frame, then stream 3.
  std::string body(200000, 'x');
  std::string server = kSettings + frame(1, 0x4, 1, e.block(Dir::kToClient, ok())) + frame(0, 0x1, 1, body) +
                       frame(0xfa, 0, 0, std::string(100000, 'u')) +
                       frame(1, 0x4, 3, e.block(Dir::kToClient, ok("application/x-dosexec"))) +
                       frame(0, 0x1, 3, "MZ");
  for (size_t i = 0; i < server.size(); i += 1400) h.send(Dir::kToClient, server.substr(i, 1400));
  REQUIRE(h.rec.done.size() == 2);
  CHECK(h.rec.done[0].buf(BufferId::kHttpResponseBody, Dir::kToClient) == std::string(1000, 'x'));
  CHECK(h.rec.done[0].eve["http"]["length"] == 200000);
  CHECK(h.rec.done[1].buf(BufferId::kHttpUri) == "/malware/payload.exe");
  CHECK(h.rec.done[1].buf(BufferId::kHttpResponseBody, Dir::kToClient) == "MZ");
  CHECK(h.counter("app_layer.limit.http2.response_body") == 1);
  CHECK(h.counter("app_layer.http2.stopped") == 0);
}

TEST_CASE("http2: an oversized header block keeps a prefix, later frames still parse") {
  Encoder e;
  Fields big = get("/huge");
  big.push_back({"x-big", std::string(100000, 'b')});
  std::string blk = e.block(Dir::kToServer, big);
  Harness h;
  h.send(Dir::kToServer, kPreface + frame(1, 0x5, 1, blk));
  Encoder e2;  // the decoder's table was reset: a fresh encoder matches it
  h.send(Dir::kToServer, frame(1, 0x5, 3, e2.block(Dir::kToServer, get("/after"))));
  h.send(Dir::kToClient, kSettings + frame(1, 0x5, 1, e.block(Dir::kToClient, ok())) +
                             frame(1, 0x5, 3, e.block(Dir::kToClient, ok())));
  REQUIRE(h.rec.done.size() == 2);
  CHECK(h.rec.done[0].buf(BufferId::kHttpUri) == "/huge");
  CHECK(h.rec.done[1].buf(BufferId::kHttpUri) == "/after");
  CHECK(h.counter("app_layer.limit.http2.header_block") >= 1);
}

TEST_CASE("http2: HPACK dynamic-table entries carry across interleaved streams") {
  Encoder e;
  std::string client = kPreface + kSettings;
  for (uint32_t sid : {1u, 3u, 5u})
    client += frame(1, 0x5, sid, e.block(Dir::kToServer, get("/s" + std::to_string(sid), "agent-x")));
  // The later blocks are short: their fields are table references.
  CHECK(e.block(Dir::kToServer, get("/s7", "agent-x")).size() < 16);
  Harness h;
  h.send(Dir::kToServer, client);
  // Responses interleaved: headers of all three, then DATA in reverse order.
  std::string server = kSettings;
  for (uint32_t sid : {5u, 1u, 3u}) server += frame(1, 0x4, sid, e.block(Dir::kToClient, ok()));
  for (uint32_t sid : {3u, 1u}) server += frame(0, 0, sid, "part" + std::to_string(sid));
  for (uint32_t sid : {1u, 3u, 5u}) server += frame(0, 0x1, sid, "end" + std::to_string(sid));
  h.send(Dir::kToClient, server);
  REQUIRE(h.rec.done.size() == 3);
  std::map<std::string, const DoneTx*> by;
  for (auto& t : h.rec.done) by[t.buf(BufferId::kHttpUri)] = &t;
  REQUIRE(by.size() == 3);
  for (uint32_t sid : {1u, 3u, 5u}) {
    const DoneTx* t = by["/s" + std::to_string(sid)];
    CHECK(t->buf(BufferId::kHttpUserAgent) == "agent-x");
    CHECK(t->buf(BufferId::kHttpHost) == "example.com");
    CHECK(t->eve["http"]["http2"]["stream_id"] == sid);
    std::string body = (sid == 5 ? "" : "part" + std::to_string(sid)) + "end" + std::to_string(sid);
    CHECK(t->buf(BufferId::kHttpResponseBody, Dir::kToClient) == body);
  }
}

TEST_CASE("http2: malformed frames are counted and framing continues") {
  Encoder e;
  Harness h;
  std::string client = kPreface + frame(4, 0, 0, "12345") +                  // SETTINGS not a multiple of 6
                       frame(8, 0, 0, "123") +                               // WINDOW_UPDATE of 3
                       frame(0, 0, 0, "data on stream 0") +                  // DATA without a stream
                       frame(0, 0, 9, "data on an unknown stream") +         // no HEADERS on 9
                       frame(9, 0x4, 1, "\x82") +                            // CONTINUATION without HEADERS
                       frame(1, 0x8 | 0x4, 7, std::string("\x10\x82", 2)) +  // pad longer than frame
                       frame(1, 0x5, 11, "\xff\xff\xff\xff") +               // HPACK garbage
                       frame(1, 0x5, 13, e.block(Dir::kToServer, get("/fine")));
  h.send(Dir::kToServer, client);
  CHECK(h.counter("app_layer.anomaly.http2.invalid_frame_length") == 2);
  CHECK(h.counter("app_layer.anomaly.http2.invalid_stream_id") == 1);
  CHECK(h.counter("app_layer.anomaly.http2.data_unknown_stream") == 1);
  CHECK(h.counter("app_layer.anomaly.http2.invalid_continuation") == 1);
  CHECK(h.counter("app_layer.anomaly.http2.invalid_padding") == 1);
  CHECK(h.counter("app_layer.anomaly.http2.invalid_header") == 1);
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.done[0].buf(BufferId::kHttpUri) == "/fine");
}

TEST_CASE("http2: truncation, RST_STREAM, a gap and a bad preface") {
  Encoder e;
  SECTION("flow ends mid-stream: the open stream is logged with what it had") {
    Harness h;
    h.send(Dir::kToServer,
           kPreface + frame(1, 0x4, 1, e.block(Dir::kToServer, get("/cut"))) + frame(0, 0, 1, "partial"));
    h.send(Dir::kToServer, frame(0, 0, 1, "never complete").substr(0, 12));
    CHECK(h.rec.done.empty());
    h.end();
    REQUIRE(h.rec.done.size() == 1);
    // DATA is streamed: the bytes of the cut frame are body too.
    CHECK(h.rec.done[0].buf(BufferId::kHttpRequestBody) == "partialnev");
  }
  SECTION("RST_STREAM ends the stream both ways") {
    Harness h;
    h.send(Dir::kToServer, kPreface + frame(1, 0x4, 1, e.block(Dir::kToServer, get("/rst"))) +
                               frame(3, 0, 1, std::string("\x00\x00\x00\x08", 4)));
    REQUIRE(h.rec.done.size() == 1);
    CHECK(h.rec.done[0].eve["http"]["http2"]["request"]["error_code"] == "CANCEL");
    CHECK(h.rec.done[0].integer(TxInt::kHttp2ErrorCode, Dir::kToServer) == 8);
    CHECK(h.rec.done[0].integer(TxInt::kHttp2ErrorCode, Dir::kToClient) == -1);
  }
  SECTION("a gap inside DATA costs body bytes only; elsewhere it stops the direction") {
    Harness h;
    h.send(Dir::kToServer, kPreface + frame(1, 0x4, 1, e.block(Dir::kToServer, get("/gap"))));
    std::string d = frame(0, 0x1, 1, "0123456789");
    h.send(Dir::kToServer, d.substr(0, 12));
    h.app.on_stream_gap(h.flow, Dir::kToServer, 4, h.pkt);
    h.send(Dir::kToServer, d.substr(16));
    h.send(Dir::kToClient, kSettings + frame(1, 0x5, 1, e.block(Dir::kToClient, ok())));
    REQUIRE(h.rec.done.size() == 1);
    CHECK(h.rec.done[0].buf(BufferId::kHttpRequestBody) == "012789");
    CHECK(h.counter("app_layer.http2.stopped") == 0);
    h.app.on_stream_gap(h.flow, Dir::kToServer, 4, h.pkt);
    CHECK(h.counter("app_layer.http2.stopped") == 1);
    CHECK(h.counter("app_layer.error.http2.gap") == 2);
  }
  SECTION("a client that does not send the preface (flow detected from the server)") {
    Harness h;
    h.send(Dir::kToClient, kSettings);
    REQUIRE(h.flow.app_proto == AppProto::kHttp2);
    h.send(Dir::kToServer, "GET / HTTP/1.1\r\n\r\n");
    CHECK(h.counter("app_layer.anomaly.http2.invalid_preface") == 1);
    CHECK(h.counter("app_layer.http2.stopped") == 1);
  }
}

TEST_CASE("http2: streams per flow are capped") {
  Encoder e;
  AppConfig cfg;
  cfg.max_tx_per_flow = 2;
  Harness h(6, 40000, 80, cfg);
  std::string client = kPreface;
  for (uint32_t sid : {1u, 3u, 5u}) client += frame(1, 0x5, sid, e.block(Dir::kToServer, get("/c")));
  h.send(Dir::kToServer, client);
  CHECK(h.counter("app_layer.limit.http2.streams") == 1);
  h.end();
  CHECK(h.rec.done.size() == 2);
}

TEST_CASE("http2: a DNS request over HTTP/2 makes the flow doh2") {
  Encoder e;
  Harness h(6, 40000, 443);
  Fields f = get("/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB");
  h.send(Dir::kToServer, kPreface + frame(1, 0x5, 1, e.block(Dir::kToServer, f)));
  CHECK(h.flow.app_proto == AppProto::kDoh2);
  CHECK(h.counter("app_layer.flow.doh2") == 1);
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.done[0].eve["http"]["url"] == "/dns-query?dns=AAABAAABAAAAAAAAA3d3dwdleGFtcGxlA2NvbQAAAQAB");
  CHECK(h.rec.done[0].buf(BufferId::kDnsQuery) == "www.example.com");
  // POST with an application/dns-message body.
  Harness p(6, 40000, 443);
  std::string msg(
      "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x03"
      "dns\x04test\x00\x00\x01\x00\x01",
      26);
  Fields post = {{":method", "POST"},
                 {":scheme", "https"},
                 {":authority", "doh"},
                 {":path", "/dns-query"},
                 {"content-type", "application/dns-message"}};
  p.send(Dir::kToServer, kPreface + frame(1, 0x4, 1, e.block(Dir::kToServer, post)) + frame(0, 0x1, 1, msg));
  CHECK(p.flow.app_proto == AppProto::kDoh2);
  p.end();
  REQUIRE(p.rec.done.size() == 1);
  CHECK(p.rec.done[0].buf(BufferId::kHttpRequestBody).size() == 26);
  CHECK(p.rec.done[0].buf(BufferId::kDnsQuery) == "dns.test");
}

TEST_CASE("http2: HTTP/1.1 Upgrade: h2c answered by 101 hands the flow to HTTP/2") {
  Encoder e;
  Harness h;
  h.send(Dir::kToServer,
         "GET /first HTTP/1.1\r\nHost: up.example\r\nConnection: Upgrade, HTTP2-Settings\r\n"
         "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n\r\n");
  CHECK(h.flow.app_proto == AppProto::kHttp);
  // The 101 and the server's first HTTP/2 frames in one segment: the answer
  // to the upgraded request comes on stream 1.
  h.send(Dir::kToClient, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n" +
                             kSettings + frame(1, 0x4, 1, e.block(Dir::kToClient, ok())) +
                             frame(0, 0x1, 1, "first body"));
  CHECK(h.flow.app_proto == AppProto::kHttp2);
  CHECK(h.flow.app_proto_orig == AppProto::kHttp);
  // Stream 1 is complete with the response: its request was the HTTP/1.1 one.
  REQUIRE(h.rec.done.size() == 2);
  h.send(Dir::kToServer, kPreface + kSettings + frame(1, 0x5, 3, e.block(Dir::kToServer, get("/second"))));
  h.send(Dir::kToClient, frame(1, 0x5, 3, e.block(Dir::kToClient, ok())));
  h.end();
  REQUIRE(h.rec.done.size() == 3);
  CHECK(h.rec.done[0].proto == AppProto::kHttp);
  CHECK(h.rec.done[0].integer(TxInt::kHttpStatCode, Dir::kToClient) == 101);
  CHECK(h.rec.done[1].proto == AppProto::kHttp2);
  CHECK(h.rec.done[1].buf(BufferId::kHttpResponseBody, Dir::kToClient) == "first body");
  CHECK(h.rec.done[2].buf(BufferId::kHttpUri) == "/second");
  CHECK(h.counter("app_layer.anomaly.http2.invalid_preface") == 0);
}

TEST_CASE("http2: a 101 to another protocol stays opaque") {
  Harness h;
  h.send(Dir::kToServer, "GET /ws HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n");
  h.send(Dir::kToClient, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n" + kSettings);
  CHECK(h.flow.app_proto == AppProto::kHttp);
  CHECK(h.counter("app_layer.flow.http2") == 0);
}

TEST_CASE("http2: SETTINGS_HEADER_TABLE_SIZE lets the other side's encoder grow its table") {
  auto run = [](bool announce) {
    Encoder e;
    nghttp2_hd_deflate_del(e.d[1]);
    nghttp2_hd_deflate_new(&e.d[1], 65536);
    nghttp2_hd_deflate_change_table_size(e.d[1], 16384);  // sent as a size update in the next block
    std::string settings = announce ? frame(4, 0, 0, std::string("\x00\x01\x00\x00\x40\x00", 6)) : kSettings;
    Harness h;
    h.send(Dir::kToServer, kPreface + settings + frame(1, 0x5, 1, e.block(Dir::kToServer, get("/t"))));
    h.send(Dir::kToClient, kSettings + frame(1, 0x5, 1, e.block(Dir::kToClient, ok())));
    h.end();
    return std::make_pair(
        h.counter("app_layer.anomaly.http2.invalid_header"),
        h.rec.done.empty() ? -1 : h.rec.done[0].integer(TxInt::kHttpStatCode, Dir::kToClient));
  };
  CHECK(run(true) == std::make_pair(uint64_t{0}, int64_t{200}));
  // Unannounced, the size update is beyond what the decoder allows: counted.
  CHECK(run(false).first == 1);
}
