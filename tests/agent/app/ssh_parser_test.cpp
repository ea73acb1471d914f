#include <catch2/catch.hpp>

#include "tests/agent/app/app_test_util.h"

using namespace vigil;
using vigil::test::Harness;

namespace {

std::string packet(uint8_t msg, size_t payload) {
  uint32_t len = static_cast<uint32_t>(payload + 2);
  std::string s;
  for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((len >> (8 * i)) & 0xff));
  s.push_back(4);  // padding length (counted inside payload here)
  s.push_back(static_cast<char>(msg));
  s.append(payload, 'p');
  return s;
}

}  // namespace

TEST_CASE("ssh: banners, key exchange, then opaque", "[app][ssh]") {
  std::string server =
      "SSH-2.0-OpenSSH_8.9p1 Ubuntu-3\r\n" + packet(20, 300) + packet(31, 50) + packet(21, 10);
  std::string client = "SSH-2.0-PuTTY_Release_0.78\r\n" + packet(20, 200) + packet(30, 40) + packet(21, 10);
  for (size_t cut = 0; cut <= client.size(); cut += 3) {
    Harness h(6, 40000, 2222);
    h.send_split(Dir::kToClient, server, cut % (server.size() + 1));
    CHECK(h.flow.app_proto == AppProto::kSsh);
    h.send_split(Dir::kToServer, client, cut);
    INFO("cut " << cut);
    REQUIRE(h.rec.done.size() == 1);
    h.send(Dir::kToServer, std::string(500, 'x'));
    const auto& t = h.rec.done[0];
    CHECK(t.buf(BufferId::kSshProto, Dir::kToServer) == "2.0");
    CHECK(t.buf(BufferId::kSshSoftware, Dir::kToServer) == "PuTTY_Release_0.78");
    CHECK(t.buf(BufferId::kSshSoftware, Dir::kToClient) == "OpenSSH_8.9p1");
    CHECK(t.eve["ssh"]["client"]["proto_version"] == "2.0");
    CHECK(t.eve["ssh"]["server"]["software_version"] == "OpenSSH_8.9p1");
    CHECK(h.counter("app_layer.ssh.encrypted_bytes") == 500);
  }
}

TEST_CASE("ssh: malformed banners and packets are counted", "[app][ssh]") {
  Harness h(6, 40000, 22);
  h.send(Dir::kToClient, "SSH-" + std::string(300, 'a'));
  CHECK(h.counter("app_layer.anomaly.ssh.banner_too_long") == 1);
  Harness g(6, 40000, 22);
  g.send(Dir::kToServer, "SSH-2.0-x\r\n\xff\xff\xff\xff\x01\x14");
  CHECK(g.counter("app_layer.anomaly.ssh.invalid_packet") == 1);
  std::string all = "SSH-2.0-OpenSSH_9.0\r\n" + packet(20, 30);
  for (size_t n = 0; n <= all.size(); ++n) {
    Harness t(6, 40000, 22);
    t.send(Dir::kToServer, all.substr(0, n));
    t.end();
    CHECK(t.rec.done.size() == (n >= 21 ? 1u : 0u));
  }
}
