// HTTP evasions the browsers still read, at the unit level: each body must
// come out decoded (or as sent where nothing decodes), whatever the
// segmentation, and each oddity must be counted and named in EVE. The
// generated captures of tests/tools/http_evasion.py cover the combinations.
#include <zlib.h>

#include <catch2/catch.hpp>
#include <string>

#include "tests/agent/app/app_test_util.h"

using namespace vigil;
using vigil::test::Harness;

namespace {

std::string deflate_with(std::string_view in, int wbits) {
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

std::string gz(std::string_view in) {
  return deflate_with(in, 15 + 16);
}

struct Result {
  std::string body;
  std::string anomaly;  // EVE "anomaly.event" of the transaction
  std::string uri_raw;
};

// One exchange, the response (or request) delivered `step` bytes at a time
// (0: in one piece); the server closes at the end.
Result run(const std::string& req, const std::string& resp, size_t step, Harness& h, Dir body_dir) {
  auto feed = [&](Dir d, const std::string& s) {
    if (step == 0 || d != body_dir) {
      h.send(d, s);
      return;
    }
    for (size_t i = 0; i < s.size(); i += step) h.send(d, std::string_view(s).substr(i, step));
  };
  feed(Dir::kToServer, req);
  feed(Dir::kToClient, resp);
  h.end();
  Result r;
  if (h.rec.done.empty()) return r;
  const auto& t = h.rec.done.front();
  r.body =
      t.buf(body_dir == Dir::kToClient ? BufferId::kHttpResponseBody : BufferId::kHttpRequestBody, body_dir);
  if (t.eve.contains("anomaly")) r.anomaly = t.eve["anomaly"]["event"].get<std::string>();
  r.uri_raw = t.buf(BufferId::kHttpUriRaw);
  return r;
}

const std::string kGet = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
const std::string kText = "<p>the marker VGLMARK is here</p>";

// Every segmentation gives the same body and anomalies.
void check_all_steps(const std::string& resp, const std::string& want, const std::string& anomaly) {
  for (size_t step : {0, 1, 2, 7}) {
    INFO("step " << step << " anomaly " << anomaly);
    Harness h;
    auto r = run(kGet, resp, step, h, Dir::kToClient);
    INFO("got anomalies " << r.anomaly);
    CHECK(r.body == want);
    CHECK(r.anomaly.find(anomaly) != std::string::npos);
    CHECK(h.counter("app_layer.anomaly.http." + anomaly) == 1);
  }
}

}  // namespace

TEST_CASE("http evasion: gzip members, trailing bytes, mislabelled bodies", "[app][http][evasion]") {
  std::string two = gz(kText.substr(0, 10)) + gz(kText.substr(10));
  check_all_steps("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + two, kText, "gzip_multiple_members");
  check_all_steps("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + gz(kText) + "junk", kText,
                  "gzip_trailing_data");
  check_all_steps("HTTP/1.1 200 OK\r\nContent-Encoding: deflate\r\n\r\n" + deflate_with(kText, -15) + "x",
                  kText, "gzip_trailing_data");
  // Declared gzip, sent in clear (also with gzip's magic bytes in front): as sent.
  check_all_steps("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + kText, kText, "encoding_not_applied");
  std::string magic = "\x1f\x8b" + kText;
  check_all_steps("HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\n\r\n" + magic, magic, "encoding_not_applied");
  check_all_steps("HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: " +
                      std::to_string(kText.size()) + "\r\n\r\n" + kText,
                  kText, "unknown_content_encoding");
  check_all_steps("HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip\r\n\r\n" + gz(gz(kText)), kText,
                  "nested_content_encoding");
}

TEST_CASE("http evasion: heads with lone CR, no status line, junk first", "[app][http][evasion]") {
  check_all_steps("HTTP/1.1 200 OK\rContent-Length: 33\r\r" + kText, kText, "bare_cr_line_end");
  check_all_steps("HTTP/1.1 200 OK\nContent-Length: 33\n\n" + kText, kText, "bare_lf_line_end");
  check_all_steps(kText + "\n", kText + "\n", "no_status_line");
  check_all_steps("junk line\r\nHTTP/1.1 200 OK\r\nContent-Length: 33\r\n\r\n" + kText, kText,
                  "junk_before_status");
  check_all_steps("http/1.1 200\r\nContent-Length: 33\r\n\r\n" + kText, kText, "odd_status_line");
  check_all_steps("HTTP/1.1 200 OK\r\nX-A\x0b: v\r\nContent-Length: 33\r\n\r\n" + kText, kText,
                  "header_control_char");
  check_all_steps("HTTP/1.1 200 OK\r\n\r\n" + kText, kText, "body_until_close");
}

TEST_CASE("http evasion: lengths and chunked framing", "[app][http][evasion]") {
  check_all_steps("HTTP/1.1 200 OK\r\nContent-Length: 33\r\nContent-Length: 80\r\n\r\n" + kText, kText,
                  "multiple_content_length");
  check_all_steps("HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n21\r\n" + kText +
                      "\r\n0\r\n\r\n",
                  kText, "content_length_and_chunked");
  check_all_steps(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: identity, chunked\r\n\r\n21\r\n" + kText + "\r\n0\r\n\r\n",
      kText, "unusual_transfer_encoding");
  check_all_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n21;a=b\r\n" + kText + "\r\n0\r\n\r\n",
                  kText, "chunk_extension");
  check_all_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0021 \r\n" + kText + "\r\n0\r\n\r\n",
                  kText, "odd_chunk_size");
  check_all_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n21\n" + kText + "\n0\n\n", kText,
                  "chunk_lf_only");
  check_all_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n21\r\n" + kText + "\r\n0\r\n", kText,
                  "chunk_missing_final");
  // Equal repeated lengths are one length (RFC 9112 6.3), not an anomaly.
  Harness h;
  auto r = run(kGet, "HTTP/1.1 200 OK\r\nContent-Length: 33\r\nContent-Length: 33\r\n\r\n" + kText, 0, h,
               Dir::kToClient);
  CHECK(r.body == kText);
  CHECK(r.anomaly.empty());
  CHECK(h.counter("app_layer.anomaly.http.multiple_content_length") == 0);
}

TEST_CASE("http evasion: a response declared chunked but sent as is is inspected as sent",
          "[app][http][evasion]") {
  // Suricata's HTTP parser reads the rest of such a response as an identity
  // body (http.invalid_response_chunk_len); the bytes must not be dropped,
  // whether the bad size line ends or the stream does first.
  const std::string head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Length: 33\r\n\r\n";
  check_all_steps(head + kText, kText, "invalid_chunk_size");
  check_all_steps(head + kText + "\r\ntail", kText + "\r\ntail", "invalid_chunk_size");
  // After a good chunk: the first bad size line and all after it, as sent.
  const std::string later =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\nzz VGLMARK\r\nrest";
  check_all_steps(later, "abcdzz VGLMARK\r\nrest", "invalid_chunk_size");
  // Every split point of the response into two segments.
  const std::string resp = head + kText;
  for (size_t i = 1; i < resp.size(); ++i) {
    INFO("split at " << i);
    Harness h;
    h.send(Dir::kToServer, kGet);
    h.send(Dir::kToClient, std::string_view(resp).substr(0, i));
    h.send(Dir::kToClient, std::string_view(resp).substr(i));
    h.end();
    REQUIRE(h.rec.done.size() == 1);
    CHECK(h.rec.done.front().buf(BufferId::kHttpResponseBody, Dir::kToClient) == kText);
  }
  // Good sizes are still dechunked: hex digits split over segments wait for the line end.
  check_all_steps("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n 21 ;x\r\n" + kText + "\r\n0\r\n\r\n",
                  kText, "odd_chunk_size");
}

TEST_CASE("http evasion: request bodies", "[app][http][evasion]") {
  for (size_t step : {0, 1, 3}) {
    INFO("step " << step);
    Harness h;
    auto r = run("POST /p HTTP/1.1\nHost: x\nTransfer-Encoding: chunked\nContent-Length: 2\n\n0021\n" +
                     kText + "\n0\n\n",
                 "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", step, h, Dir::kToServer);
    CHECK(r.body == kText);
    CHECK(r.anomaly == "bare_lf_line_end,content_length_and_chunked,odd_chunk_size,chunk_lf_only");
  }
}

TEST_CASE("http evasion: decoding caps are counted", "[app][http][evasion]") {
  AppConfig cfg;
  cfg.http_decompress_limit = 64 * 1024 * 1024;
  Harness h(6, 40000, 80, cfg);
  std::string zeros(8 * 1024 * 1024, '\0');
  auto r = run(kGet, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip\r\n\r\n" + gz(gz(zeros)), 0, h,
               Dir::kToClient);
  CHECK(h.counter("app_layer.anomaly.http.decompression_ratio") == 1);
  CHECK(r.anomaly.find("decompression_ratio") != std::string::npos);

  Harness l;
  r = run(kGet, "HTTP/1.1 200 OK\r\nContent-Encoding: gzip, gzip, gzip, gzip\r\n\r\n" + gz(gz(gz(gz(kText)))),
          0, l, Dir::kToClient);
  CHECK(l.counter("app_layer.anomaly.http.content_encoding_layers") == 1);
  CHECK(r.body != kText);  // the fourth layer is left encoded
}

TEST_CASE("http: a request target with spaces runs to the last HTTP/ (Suricata 8)", "[app][http][evasion]") {
  Harness h;
  auto r = run("GET /a b/c d?x=1 2 HTTP/1.1\r\nHost: x\r\n\r\n",
               "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", 0, h, Dir::kToClient);
  CHECK(r.uri_raw == "/a b/c d?x=1 2");
  CHECK(h.rec.done.front().buf(BufferId::kHttpUri) == "/a b/c d?x=1 2");
  CHECK(h.rec.done.front().buf(BufferId::kHttpProtocol) == "HTTP/1.1");
  CHECK(h.rec.done.front().buf(BufferId::kHttpMethod) == "GET");
  CHECK(h.rec.done.front().eve["http"]["url"] == "/a b/c d?x=1 2");
  CHECK(r.anomaly == "uri_with_spaces");
  CHECK(h.counter("app_layer.anomaly.http.uri_with_spaces") == 1);
  CHECK(h.counter("app_layer.anomaly.http.invalid_request_line") == 0);
  // Without a version, the words after the target are not the target.
  Harness v;
  r = run("GET /a b\r\n", "", 0, v, Dir::kToClient);
  CHECK(r.uri_raw == "/a");
}
