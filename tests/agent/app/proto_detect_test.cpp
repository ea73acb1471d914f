#include "agent/app/proto_detect.h"

#include <catch2/catch.hpp>

#include "tests/agent/app/app_test_util.h"

using namespace vigil;
using vigil::test::B;
using vigil::test::Harness;

TEST_CASE("detect: content decides, ports only hint", "[app][detect]") {
  CHECK(detect_tcp(B("GET / HTTP/1.1\r\n"), Dir::kToServer, 1, 9999).proto == AppProto::kHttp);
  CHECK(detect_tcp(B("HTTP/1.1 200 OK\r\n"), Dir::kToClient, 1, 9999).proto == AppProto::kHttp);
  CHECK(detect_tcp(B("SSH-2.0-x"), Dir::kToClient, 1, 80).proto == AppProto::kSsh);
  CHECK(detect_tcp(B(std::string("\x16\x03\x01\x00\x40\x01", 6)), Dir::kToServer, 1, 80).proto ==
        AppProto::kTls);
  auto partial = detect_tcp(B("GE"), Dir::kToServer, 1, 80);
  CHECK(partial.proto == AppProto::kUnknown);
  CHECK(partial.need_more);
  auto none = detect_tcp(B("hello there"), Dir::kToServer, 1, 80);
  CHECK(none.proto == AppProto::kUnknown);
  CHECK(!none.need_more);
  CHECK(!detect_tcp(B(std::string("\x16\x03\x09\x00\x40\x01", 6)), Dir::kToServer, 1, 443).need_more);
}

TEST_CASE("detect: HTTP on 8080 and TLS on 4443 set app_proto per direction", "[app][detect]") {
  Harness h(6, 40000, 8080);
  h.send(Dir::kToServer, "G");
  CHECK(h.flow.app_proto == AppProto::kUnknown);
  h.send(Dir::kToServer, "ET / HTTP/1.0\r\n\r\n");
  CHECK(h.flow.app_proto == AppProto::kHttp);
  CHECK(h.flow.app_proto_ts == AppProto::kHttp);
  CHECK(h.flow.app_proto_tc == AppProto::kUnknown);
  h.send(Dir::kToClient, "HTTP/1.0 200 OK\r\n\r\n");
  CHECK(h.flow.app_proto_tc == AppProto::kHttp);
}

TEST_CASE("detect: the end of detection is flagged per direction for the rules engine", "[app][detect]") {
  Harness h(6, 40000, 8080);
  h.send(Dir::kToServer, "G");
  CHECK_FALSE(h.flow.proto_done_pending[0]);
  h.send(Dir::kToServer, "ET / HTTP/1.0\r\n\r\n");
  CHECK(h.flow.proto_done_pending[0]);
  CHECK_FALSE(h.flow.proto_done_pending[1]);
  h.flow.proto_done_pending[0] = false;  // the engine inspected that packet
  h.send(Dir::kToServer, "more");
  CHECK_FALSE(h.flow.proto_done_pending[0]);  // once per direction
  h.send(Dir::kToClient, "HTTP/1.0 200 OK\r\n\r\n");
  CHECK(h.flow.proto_done_pending[1]);
  // Given up both ways: both directions ended.
  Harness g(6, 40000, 7000);
  g.send(Dir::kToServer, "\x01\x02 binary");
  g.send(Dir::kToClient, "\x05\x06 more binary");
  CHECK(g.flow.app_proto == AppProto::kFailed);
  CHECK(g.flow.proto_done_pending[0]);
  CHECK(g.flow.proto_done_pending[1]);
}

TEST_CASE("detect: unknown both ways is failed - one-sided detection uses kept bytes", "[app][detect]") {
  Harness h(6, 40000, 7000);
  h.send(Dir::kToServer, "\x01\x02 binary");
  CHECK(h.flow.app_proto == AppProto::kUnknown);
  h.send(Dir::kToClient, "\x05\x06 more binary");
  CHECK(h.flow.app_proto == AppProto::kFailed);
  CHECK(h.counter("app_layer.flow.failed") == 1);
  h.send(Dir::kToServer, "GET / HTTP/1.1\r\n\r\n");  // too late: failed stays failed
  CHECK(h.flow.app_proto == AppProto::kFailed);

  // A server greeting the client cannot identify; the client's banner can.
  Harness s(6, 40000, 22);
  s.send(Dir::kToClient, "Welcome to the box\r\nSSH-2.0-OpenSSH_9.0\r\n");
  CHECK(s.flow.app_proto == AppProto::kUnknown);
  s.send(Dir::kToServer, "SSH-2.0-client\r\n");
  CHECK(s.flow.app_proto == AppProto::kSsh);
  s.end();
  REQUIRE(s.rec.done.size() == 1);
  CHECK(s.rec.done[0].buf(BufferId::kSshSoftware, Dir::kToClient) == "OpenSSH_9.0");
}

TEST_CASE("detect: gap before detection fails the direction", "[app][detect]") {
  Harness h(6, 40000, 80);
  h.app.on_stream_gap(h.flow, Dir::kToServer, 100, h.pkt);
  h.app.on_stream_gap(h.flow, Dir::kToClient, 100, h.pkt);
  CHECK(h.flow.app_proto == AppProto::kFailed);
}
