// The test tools themselves: PcapWriter output read back by libpcap, and
// packet_builder frames checked field by field where the decoder does not
// look (MACs, TTL in fragments, builder errors).
#include <pcap/pcap.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>

#include "tests/agent/decode/decode_test_util.h"
#include "tests/tools/pcap_writer.h"

using namespace vigil;
using namespace vigil::test;

namespace {
std::string temp_path(const char* name) {
  return (std::filesystem::temp_directory_path() / (std::string("vigil_decode_") + name)).string();
}
}  // namespace

TEST_CASE("PcapWriter output reads back through libpcap") {
  std::string path = temp_path("writer.pcap");
  Buf a = tcp4("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, kSyn, "");
  Buf b = udp6("::1", "::2", 1, 2, std::string(300, 'x'));
  {
    PcapWriter w(path, kLinkEthernet, 200);
    w.write({1700000000, 123456}, a);
    w.write({1700000001, 7}, b, 5000);
    CHECK(w.records() == 2);
  }
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(path.c_str(), err);
  REQUIRE(pc);
  CHECK(pcap_datalink(pc) == 1);
  CHECK(pcap_snapshot(pc) == 200);
  pcap_pkthdr* h;
  const u_char* data;
  REQUIRE(pcap_next_ex(pc, &h, &data) == 1);
  CHECK(h->ts.tv_sec == 1700000000);
  CHECK(h->ts.tv_usec == 123456);
  CHECK(h->caplen == a.size());
  CHECK(h->len == a.size());
  CHECK(Buf(data, data + h->caplen) == a);
  REQUIRE(pcap_next_ex(pc, &h, &data) == 1);
  CHECK(h->caplen == 200);  // clipped to the snaplen
  CHECK(h->len == 5000);
  CHECK(Buf(data, data + 200) == Buf(b.begin(), b.begin() + 200));
  CHECK(pcap_next_ex(pc, &h, &data) == PCAP_ERROR_BREAK);
  pcap_close(pc);

  // Frames decoded straight from the file decode like the originals.
  Decoder d({});
  Packet p = make_packet(a);
  CHECK(d.decode(p));
  std::remove(path.c_str());
}

TEST_CASE("write_raw_file and pcap_global_header build malformed captures") {
  std::string path = temp_path("raw.pcap");
  std::string hdr = pcap_global_header(kLinkSll, 65535);
  REQUIRE(hdr.size() == 24);
  CHECK(static_cast<uint8_t>(hdr[0]) == 0xd4);  // little-endian magic
  Buf bytes(hdr.begin(), hdr.end());
  bytes.insert(bytes.end(), {1, 2, 3});  // a record header cut short
  write_raw_file(path, bytes);
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(path.c_str(), err);
  REQUIRE(pc);
  CHECK(pcap_datalink(pc) == 113);
  pcap_pkthdr* h;
  const u_char* data;
  CHECK(pcap_next_ex(pc, &h, &data) == PCAP_ERROR);
  pcap_close(pc);
  std::remove(path.c_str());
  CHECK_THROWS(PcapWriter("/nonexistent-dir/x.pcap"));
}

TEST_CASE("packet builder fills link and IP fields and rejects bad input") {
  FrameOpts o;
  o.ttl = 5;
  Buf f = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", o);
  CHECK(Buf(f.begin(), f.begin() + 6) == Buf(o.dst_mac, o.dst_mac + 6));
  CHECK(Buf(f.begin() + 6, f.begin() + 12) == Buf(o.src_mac, o.src_mac + 6));
  CHECK(f[14 + 8] == 5);
  CHECK(inet_checksum({f.data() + 14, 20}) == 0);
  FrameOpts nopad;
  nopad.pad_ethernet = false;
  CHECK(udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", nopad).size() == 14 + 20 + 8 + 1);
  CHECK(link_header_len(o) == 14);
  o.vlans = {1, 2};
  CHECK(link_header_len(o) == 22);
  CHECK_THROWS(udp4("10.0.0.300", "10.0.0.2", 1, 2, "x"));
  CHECK_THROWS(udp4("::1", "10.0.0.2", 1, 2, "x"));
  Buf dg = ipv4_datagram("10.0.0.1", "10.0.0.2", 17, Buf(40, 0));
  CHECK_THROWS(ipv4_fragment(dg, 4, Buf(8, 0), true));
  CHECK_THROWS(fragment_ipv4(dg, 7));
  auto frags = fragment_ipv4(dg, 16);
  REQUIRE(frags.size() == 3);
  for (const Buf& fr : frags) CHECK(inet_checksum({fr.data(), 20}) == 0);
  CHECK((frags[0][6] & 0x20) != 0);  // MF
  CHECK((frags[2][6] & 0x20) == 0);
  CHECK(frags[1][7] == 2);  // offset 16 bytes = 2 units
}
