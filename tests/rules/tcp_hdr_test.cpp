// tcp.hdr (Suricata 8): a packet buffer with the packet's TCP header,
// options included, for content and bsize; packets without a TCP header
// have no such buffer and match nothing, negated contents included.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "rules/engine.h"
#include "tests/rules/rule_test_util.h"

using namespace vigil;
using namespace vigil::rules;

namespace {

using Collect = test::CollectSids;

std::shared_ptr<const Engine> engine_of(const std::string& text) {
  return test::load_all(text);
}

// An IPv4 packet 10.0.0.1:40000 -> 10.0.0.2:80 whose l3 holds a 20-byte IP
// header, then a TCP header of hlen bytes (data offset hlen/4), then "GET".
std::vector<uint32_t> run(const Engine& e, uint8_t hlen, bool tcp = true) {
  static std::string l3;
  l3.assign(20, '\0');
  l3[0] = 0x45;
  std::string th(hlen, '\0');
  th[0] = char(0x9c), th[1] = 0x40;  // sport 40000
  th[2] = 0x00, th[3] = 0x50;        // dport 80
  th[12] = char((hlen / 4) << 4);
  th[13] = 0x18;                                    // PSH ACK
  for (size_t i = 20; i < hlen; ++i) th[i] = 0x01;  // NOP options
  l3 += th + "GET";
  Packet p;
  p.src = *IpAddr::parse("10.0.0.1");
  p.dst = *IpAddr::parse("10.0.0.2");
  p.ip_version = 4;
  p.ip_hlen = 20;
  p.l3 = Bytes(reinterpret_cast<const uint8_t*>(l3.data()), l3.size());
  p.ip_proto = tcp ? 6 : 17;
  p.l4 = tcp ? L4::kTcp : L4::kUdp;
  p.sp = 40000;
  p.dp = 80;
  p.tcp.flags = 0x18;
  p.tcp.hlen = tcp ? hlen : 0;
  p.payload = p.l3.subspan(20 + hlen);
  auto w = e.new_worker();
  Collect c;
  e.inspect_packet(*w, p, c);
  e.end_packet(*w);
  std::sort(c.sids.begin(), c.sids.end());
  return c.sids;
}

}  // namespace

TEST_CASE("tcp.hdr: the packet's TCP header with its options", "[tcp.hdr]") {
  auto e = engine_of(
      "alert tcp any any -> any any (tcp.hdr; content:\"|00 50|\"; offset:2; depth:2; sid:1;)\n"
      "alert tcp any any -> any any (tcp.hdr; content:\"|80|\"; offset:12; depth:1; bsize:32; sid:2;)\n"
      "alert tcp any any -> any any (tcp.hdr; content:\"|00|\"; bsize:20; sid:3;)\n"
      "alert tcp any any -> any any (tcp.hdr; content:\"GET\"; sid:4;)\n"
      "alert ip any any -> any any (tcp.hdr; content:!\"|00 51|\"; sid:5;)\n");
  // 32-byte header (12 bytes of options): data offset 8 -> byte 12 is 0x80.
  CHECK(run(*e, 32) == std::vector<uint32_t>{1, 2, 5});
  // 20 bytes, no options.
  CHECK(run(*e, 20) == std::vector<uint32_t>{1, 3, 5});
  // Not TCP: no tcp.hdr buffer, so even the negated content does not match.
  CHECK(run(*e, 20, false).empty());
}
