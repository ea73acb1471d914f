#include <zlib.h>

#include <catch2/catch.hpp>

#include "agent/app/http_util.h"
#include "tests/agent/app/app_test_util.h"

using namespace vigil;
using vigil::test::Harness;

namespace {

const std::string kReq =
    "GET /a/./b//c/%41x?q=%41 HTTP/1.1\r\n"
    "Host: WWW.Example.COM:8080\r\n"
    "user-agent: curl/8.0\r\n"
    "Cookie: s=1\r\n"
    "X-Long: first\r\n"
    "  folded\r\n"
    "Accept: */*\r\n"
    "accept: text/html\r\n"
    "\r\n";
const std::string kResp =
    "HTTP/1.1 200 OK\r\n"
    "Server: nginx\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Content-Length: 5\r\n"
    "\r\n"
    "hello";

std::string gzip(std::string_view in, int wbits = 15 + 16) {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, wbits, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

void check_basic(const Harness& h) {
  REQUIRE(h.rec.done.size() == 1);
  const auto& t = h.rec.done[0];
  CHECK(t.proto == AppProto::kHttp);
  CHECK(t.buf(BufferId::kHttpMethod) == "GET");
  CHECK(t.buf(BufferId::kHttpUriRaw) == "/a/./b//c/%41x?q=%41");
  CHECK(t.buf(BufferId::kHttpUri) == "/a/b/c/Ax?q=%41");
  CHECK(t.buf(BufferId::kHttpProtocol) == "HTTP/1.1");
  CHECK(t.buf(BufferId::kHttpRequestLine) == "GET /a/./b//c/%41x?q=%41 HTTP/1.1");
  CHECK(t.buf(BufferId::kHttpHost) == "www.example.com");
  CHECK(t.buf(BufferId::kHttpHostRaw) == "WWW.Example.COM:8080");
  CHECK(t.buf(BufferId::kHttpUserAgent) == "curl/8.0");
  CHECK(t.buf(BufferId::kHttpCookie) == "s=1");
  CHECK(t.buf(BufferId::kHttpAccept) == "*/*, text/html");
  CHECK(t.buf(BufferId::kHttpHeader) ==
        "Host: WWW.Example.COM:8080\r\nuser-agent: curl/8.0\r\nX-Long: first folded\r\nAccept: */*, "
        "text/html\r\n");
  CHECK(t.buf(BufferId::kHttpHeaderNames) == "\r\nHost\r\nuser-agent\r\nCookie\r\nX-Long\r\nAccept\r\n\r\n");
  CHECK(t.buf(BufferId::kHttpStatCode, Dir::kToClient) == "200");
  CHECK(t.buf(BufferId::kHttpStatMsg, Dir::kToClient) == "OK");
  CHECK(t.buf(BufferId::kHttpServer, Dir::kToClient) == "nginx");
  CHECK(t.buf(BufferId::kHttpResponseBody, Dir::kToClient) == "hello");
  CHECK(t.buf(BufferId::kFileData, Dir::kToClient) == "hello");
  CHECK(t.integer(TxInt::kHttpStatCode, Dir::kToClient) == 200);
  CHECK(t.integer(TxInt::kHttpContentLen, Dir::kToClient) == 5);
  const auto& e = t.eve["http"];
  CHECK(e["hostname"] == "www.example.com");
  CHECK(e["http_port"] == 8080);
  CHECK(e["url"] == "/a/./b//c/%41x?q=%41");
  CHECK(e["http_user_agent"] == "curl/8.0");
  CHECK(e["http_content_type"] == "text/html");
  CHECK(e["http_method"] == "GET");
  CHECK(e["protocol"] == "HTTP/1.1");
  CHECK(e["status"] == 200);
  CHECK(e["length"] == 5);
}

}  // namespace

TEST_CASE("http: request and response give buffers and EVE", "[app][http]") {
  Harness h;
  h.send(Dir::kToServer, kReq);
  h.send(Dir::kToClient, kResp);
  CHECK(h.flow.app_proto == AppProto::kHttp);
  CHECK(h.flow.app_proto_ts == AppProto::kHttp);
  CHECK(h.flow.app_proto_tc == AppProto::kHttp);
  check_basic(h);
  CHECK(h.counter("app_layer.tx.http") == 1);
  CHECK(h.counter("app_layer.flow.http") == 1);
}

TEST_CASE("http: request and response split at every byte", "[app][http]") {
  for (size_t cut = 0; cut <= kReq.size(); ++cut) {
    Harness h(6, 40000, 8080);
    h.send_split(Dir::kToServer, kReq, cut);
    h.send_split(Dir::kToClient, kResp, cut % (kResp.size() + 1));
    INFO("cut " << cut);
    check_basic(h);
  }
  // one byte at a time
  Harness h;
  for (char c : kReq) h.send(Dir::kToServer, std::string(1, c));
  for (char c : kResp) h.send(Dir::kToClient, std::string(1, c));
  check_basic(h);
}

TEST_CASE("http: pipelined keep-alive requests pair with responses in order", "[app][http]") {
  Harness h;
  h.send(Dir::kToServer,
         "GET /1 HTTP/1.1\r\nHost: a\r\n\r\nPOST /2 HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
         "HEAD /3 HTTP/1.1\r\nHost: a\r\n\r\n");
  CHECK(h.rec.done.empty());
  h.send(Dir::kToClient,
         "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"
         "HTTP/1.1 100 Continue\r\n\r\n"
         "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nxyz\r\n0\r\nTrailer: t\r\n\r\n"
         "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
  REQUIRE(h.rec.done.size() == 3);
  CHECK(h.rec.done[0].buf(BufferId::kHttpUri) == "/1");
  CHECK(h.rec.done[0].buf(BufferId::kHttpResponseBody, Dir::kToClient) == "ok");
  CHECK(h.rec.done[1].buf(BufferId::kHttpRequestBody) == "abc");
  CHECK(h.rec.done[1].buf(BufferId::kFileData) == "abc");
  CHECK(h.rec.done[1].eve["http"]["status"] == 201);
  CHECK(h.rec.done[1].buf(BufferId::kHttpResponseBody, Dir::kToClient) == "xyz");
  CHECK(h.rec.done[2].buf(BufferId::kHttpMethod) == "HEAD");
  CHECK(h.rec.done[2].eve["http"]["length"] == 0);
  for (size_t i = 0; i < 3; ++i) CHECK(h.rec.done[i].id == i);
}

TEST_CASE("http: chunked edge cases", "[app][http]") {
  SECTION("zero-size only, bare LF, uppercase hex, trailing spaces") {
    Harness h;
    h.send(Dir::kToServer, "POST / HTTP/1.1\r\nTransfer-Encoding: Chunked\r\n\r\nA \n0123456789\n0\n\n");
    h.send(Dir::kToClient, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n");
    REQUIRE(h.rec.done.size() == 1);
    CHECK(h.rec.done[0].buf(BufferId::kHttpRequestBody) == "0123456789");
    CHECK(h.rec.done[0].eve["http"]["length"] == 0);
  }
  SECTION("invalid size is counted and stops the direction") {
    Harness h;
    h.send(Dir::kToServer, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n");
    CHECK(h.counter("app_layer.anomaly.http.invalid_chunk") == 1);
    h.send(Dir::kToServer, "GET /never HTTP/1.1\r\n\r\n");
    h.end();
    REQUIRE(h.rec.done.size() == 1);
  }
  SECTION("chunk size overflow") {
    Harness h;
    h.send(Dir::kToServer, "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n");
    CHECK(h.counter("app_layer.anomaly.http.invalid_chunk") == 1);
  }
  SECTION("chunk split at every byte") {
    std::string body =
        "POST /c HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n5;x=y\r\npedia\r\n0\r\n\r\n";
    for (size_t cut = 0; cut <= body.size(); ++cut) {
      Harness h;
      h.send_split(Dir::kToServer, body, cut);
      h.send(Dir::kToClient, "HTTP/1.1 204 No Content\r\n\r\n");
      REQUIRE(h.rec.done.size() == 1);
      CHECK(h.rec.done[0].buf(BufferId::kHttpRequestBody) == "Wikipedia");
    }
  }
}

TEST_CASE("http: gzip and deflate response bodies are decoded with a cap", "[app][http]") {
  std::string text(3000, 'x');
  for (const auto& [enc, data] : {std::pair<std::string, std::string>{"gzip", gzip(text)},
                                  {"deflate", gzip(text, 15)},
                                  {"deflate", gzip(text, -15)}}) {
    Harness h;
    h.send(Dir::kToServer, "GET / HTTP/1.1\r\nHost: a\r\n\r\n");
    h.send(Dir::kToClient, "HTTP/1.1 200 OK\r\nContent-Encoding: " + enc +
                               "\r\nContent-Length: " + std::to_string(data.size()) + "\r\n\r\n" + data);
    REQUIRE(h.rec.done.size() == 1);
    CHECK(h.rec.done[0].buf(BufferId::kFileData, Dir::kToClient) == text);
    CHECK(h.rec.done[0].eve["http"]["length"] == data.size());
  }
  SECTION("bomb") {
    AppConfig cfg;
    cfg.http_decompress_limit = 64 * 1024;
    cfg.http_response_body_limit = 1024;
    Harness h(6, 1, 80, cfg);
    std::string bomb = gzip(std::string(10 * 1024 * 1024, '\0'));
    h.send(Dir::kToServer, "GET / HTTP/1.1\r\n\r\n");
    h.send(Dir::kToClient, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + bomb);
    h.end();
    REQUIRE(h.rec.done.size() == 1);
    CHECK(h.rec.done[0].buf(BufferId::kFileData, Dir::kToClient).size() == 1024);
    CHECK(h.counter("app_layer.anomaly.http.decompression_bomb") == 1);
  }
  SECTION("corrupt gzip is counted") {
    Harness h;
    h.send(Dir::kToServer, "GET / HTTP/1.1\r\n\r\n");
    h.send(Dir::kToClient, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 6\r\n\r\nnotgz!");
    REQUIRE(h.rec.done.size() == 1);
    CHECK(h.counter("app_layer.anomaly.http.decompression_error") == 1);
  }
}

TEST_CASE("http: body limits, no-body statuses and read-until-close", "[app][http]") {
  AppConfig cfg;
  cfg.http_request_body_limit = 4;
  Harness h(6, 1, 80, cfg);
  h.send(Dir::kToServer, "PUT /x HTTP/1.0\r\nContent-Length: 10\r\n\r\n0123456789");
  h.send(Dir::kToClient, "HTTP/1.0 200 OK\r\n\r\nbody until close");
  CHECK(h.rec.done.empty());
  h.app.on_stream_end(h.flow, Dir::kToClient, &h.pkt);
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.done[0].buf(BufferId::kHttpRequestBody) == "0123");
  CHECK(h.rec.done[0].buf(BufferId::kHttpResponseBody, Dir::kToClient) == "body until close");
  CHECK(h.counter("app_layer.limit.http.request_body") == 1);

  Harness g;
  g.send(Dir::kToServer, "GET /a HTTP/1.1\r\n\r\nGET /b HTTP/1.1\r\n\r\n");
  g.send(Dir::kToClient,
         "HTTP/1.1 304 Not Modified\r\nContent-Length: 99\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n");
  CHECK(g.rec.done.size() == 2);
}

TEST_CASE("http: HTTP/0.9, unsolicited responses, odd lines", "[app][http]") {
  Harness h;
  h.send(Dir::kToServer, "GET /old\r\n");
  h.send(Dir::kToClient, "<html>");
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.done[0].buf(BufferId::kHttpUri) == "/old");
  CHECK(h.rec.done[0].count(BufferId::kHttpProtocol) == 0);
  CHECK(h.rec.done[0].buf(BufferId::kHttpResponseBody, Dir::kToClient) == "<html>");

  Harness u(6, 1, 8888);
  u.send(Dir::kToClient, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
  CHECK(u.flow.app_proto == AppProto::kHttp);
  CHECK(u.flow.app_proto_tc == AppProto::kHttp);
  REQUIRE(u.rec.done.size() == 1);
  CHECK(u.counter("app_layer.anomaly.http.unsolicited_response") == 1);
}

TEST_CASE("http: limits on heads are counted", "[app][http]") {
  Harness h;
  h.send(Dir::kToServer, "GET / HTTP/1.1\r\nX: " + std::string(40000, 'a'));
  CHECK(h.counter("app_layer.anomaly.http.header_too_long") == 1);
  Harness m;
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 300; ++i) many += "H" + std::to_string(i) + ": v\r\n";
  m.send(Dir::kToServer, many + "\r\n");
  m.end();
  CHECK(m.counter("app_layer.anomaly.http.too_many_headers") == 44);
  REQUIRE(m.rec.done.size() == 1);
}

TEST_CASE("http: truncated input of every length never crashes and logs at flow end", "[app][http]") {
  std::string all = kReq + "POST /p HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab";
  for (size_t n = 0; n <= all.size(); ++n) {
    Harness h;
    h.send(Dir::kToServer, all.substr(0, n));
    h.send(Dir::kToClient, kResp.substr(0, n % (kResp.size() + 1)));
    h.end();
    if (n >= kReq.size()) CHECK(h.rec.done.size() >= 1);
  }
}

TEST_CASE("http: gaps inside a body keep framing, in a head stop the direction", "[app][http]") {
  Harness h;
  h.send(Dir::kToServer, "POST / HTTP/1.1\r\nContent-Length: 10\r\n\r\n01");
  h.app.on_stream_gap(h.flow, Dir::kToServer, 5, h.pkt);
  h.send(Dir::kToServer, "789GET /next HTTP/1.1\r\n\r\n");
  h.send(Dir::kToClient,
         "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  REQUIRE(h.rec.done.size() == 2);
  CHECK(h.rec.done[1].buf(BufferId::kHttpUri) == "/next");
  CHECK(h.counter("app_layer.error.http.gap") == 1);
}

TEST_CASE("http: uri and host normalization", "[app][http]") {
  CHECK(http::normalize_uri("/a/../b/./c//d") == "/b/c/d");
  CHECK(http::normalize_uri("/%2e%2e/x") == "/x");
  CHECK(http::normalize_uri("http://h.example:81/p?x=1") == "/p?x=1");
  CHECK(http::normalize_uri("/dir/") == "/dir/");
  CHECK(http::normalize_uri("/%zz%4") == "/%zz%4");
  CHECK(http::normalize_uri("/") == "/");
  std::optional<uint16_t> port;
  CHECK(http::normalize_host("Example.COM.", &port) == "example.com");
  CHECK(!port);
  CHECK(http::normalize_host("[::1]:8443", &port) == "[::1]");
  CHECK(port == 8443);
}

namespace {

// Runs one response (to "GET / HTTP/1.1") and returns its decoded file.data.
std::string response_body(const std::string& resp) {
  Harness h;
  h.send(Dir::kToServer, "GET / HTTP/1.1\r\nHost: e\r\n\r\n");
  h.send(Dir::kToClient, resp);
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  return h.rec.done[0].buf(BufferId::kFileData, Dir::kToClient);
}

}  // namespace

TEST_CASE("http: evasions read the way the targeted clients read them", "[app][http]") {
  const std::string chunked = "4\r\nWiki\r\n5\r\npedia\r\n0\r\n\r\n";
  // Chunked framing only in HTTP/1.1; 1.0 and 1.01 use Content-Length.
  CHECK(response_body("HTTP/1.0 200 ok\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\nabcd") ==
        "abcd");
  CHECK(response_body("HTTP/1.01 200 ok\r\nTransfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\nabcd") ==
        "abcd");
  CHECK(response_body("HTTP/1.1foobar\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked) == "Wikipedia");
  // Blank lines before the first chunk; junk and whitespace before the status line.
  CHECK(response_body("HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n\r\n" + chunked) == "Wikipedia");
  CHECK(response_body(" foobar\r\nHTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked) ==
        "Wikipedia");
  CHECK(response_body(" \rHTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked) == "Wikipedia");
  // Line ends: LF CR as one; a lone CR after a reason phrase ends the status line only.
  CHECK(response_body("HTTP/1.1 200 ok\n\rTransfer-Encoding: chunked\n\r\r\n" + chunked) == "Wikipedia");
  CHECK(response_body("HTTP/1.1 200 ok\rTransfer-Encoding:chunked\r\n\r\n" + chunked) == "Wikipedia");
  CHECK(response_body("HTTP/1.1 200\rTransfer-Encoding:chunked\r\nContent-Length: 4\r\n\r\nabcd") == "abcd");
  CHECK(response_body("HTTP/1.1 200 ok\r\nX: y\rTransfer-Encoding: chunked\r\n\r\nabcd") == "abcd");
  // Folding: a name split over folded lines; a hidden header after a complete one;
  // a blank CRLF line is an empty fold, a blank LF line ends the head.
  CHECK(response_body("HTTP/1.1 200 ok\r\nTransfer-Encoding\r\n \r\n :\r\n chunked\r\n\r\n" + chunked) ==
        "Wikipedia");
  CHECK(response_body("HTTP/1.1 200 ok\r\nX: bar\r\n\tTransfer-Encoding: chunked\r\n\r\n" + chunked) ==
        "Wikipedia");
  CHECK(response_body("HTTP/1.1 200 ok\r\nContent-Length: 4\n \nabcd") == "abcd");
  CHECK(response_body("HTTP/1.1 200 ok\r\nContent-Length: 4\r\n \r\n\r\nabcd") == "abcd");
  // Control bytes: NUL/FF inside a name are dropped, CR is not; CR before a TE value voids it.
  CHECK(response_body(std::string("HTTP/1.1 200 ok\r\nTransfer\0-Encoding: chunked\r\n\r\n", 48) + chunked) ==
        "Wikipedia");
  CHECK(response_body("HTTP/1.1 200 ok\r\nTransfer-Encoding\r: chunked\r\n\r\nabcd") == "abcd");
  CHECK(response_body("HTTP/1.1 200 ok\r\nTransfer-Encoding: \r chunked\r\n\r\nabcd") == "abcd");
  // 204 with a chunked body anyway.
  CHECK(response_body("HTTP/1.1 204 ok\r\nTransfer-Encoding: chunked\r\n\r\n" + chunked) == "Wikipedia");
}

TEST_CASE("http: layered and mislabelled content codings", "[app][http]") {
  std::string text = "layered body text";
  std::string two = gzip(gzip(text), 15);  // gzip, then deflate
  CHECK(response_body("HTTP/1.1 200 ok\r\nContent-Encoding: gzip, deflate\r\nContent-Length: " +
                      std::to_string(two.size()) + "\r\n\r\n" + two) == text);
  std::string gz = gzip(text);
  // Listed twice but applied once: the inner layer passes plain bytes through.
  CHECK(response_body(
            "HTTP/1.1 200 ok\r\nContent-Encoding: gzip\r\nContent-Encoding: deflate\r\nContent-Length: " +
            std::to_string(gz.size()) + "\r\n\r\n" + gz) == text);
  // gzip header with reserved flag bits and a file name.
  std::string odd = gz;
  odd[3] = static_cast<char>(0x08 | 0x20);
  odd.insert(10, std::string("name\0", 5));
  CHECK(response_body("HTTP/1.1 200 ok\r\nContent-Encoding:\r gzip\r\nContent-Length: " +
                      std::to_string(odd.size()) + "\r\n\r\n" + odd) == text);
  CHECK(response_body("HTTP/1.1 200 ok\r\nContent-Encoding:\fx-deflate\v\r\n\r\n" + gzip(text, -15)) == text);
}

TEST_CASE("http: a version-less line decided late replays the bytes after it", "[app][http]") {
  Harness h;
  h.send(Dir::kToServer, "GET /a\r\n");
  h.send(Dir::kToServer, "GET /b HTTP/1.1\r\nHost: x\r\n\r\n");
  h.end();
  REQUIRE(h.rec.done.size() == 2);
  CHECK(h.rec.done[0].buf(BufferId::kHttpUri) == "/a");
  CHECK(h.rec.done[1].buf(BufferId::kHttpUri) == "/b");
  CHECK(h.rec.done[1].buf(BufferId::kHttpHost) == "x");
}

TEST_CASE("http: hostile bytes reach EVE as valid UTF-8", "[app][http]") {
  Harness h;
  h.send(Dir::kToServer,
         std::string("GET /\xf5\xed\xa0\x80\xc3\xa9 HTTP/1.1\r\nUser-Agent: \x01\xff\r\n\r\n"));
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.done[0].eve["http"]["url"] == "/\\xf5\\xed\\xa0\\x80\xc3\xa9");
  CHECK(h.rec.done[0].eve["http"]["http_user_agent"] == "\\x01\\xff");
  CHECK_NOTHROW(h.rec.done[0].eve.dump());
}
