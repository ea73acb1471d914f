// Cross-check against an independent decoder: frames from the packet builder
// are written to a pcap, read back with libpcap, decoded by Vigil, and
// dissected by tshark. tshark must find every checksum good and nothing
// malformed (the builder is right), and Vigil's ports and reassembly points
// must match tshark's (the decoder is right). Skipped when tshark is absent.
#include <pcap/pcap.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <filesystem>
#include <sstream>

#include "tests/agent/decode/decode_test_util.h"
#include "tests/tools/pcap_writer.h"

using namespace vigil;
using namespace vigil::test;

namespace {

std::vector<Buf> sample_frames() {
  std::vector<Buf> v;
  FrameOpts o;
  o.tcp.mss = 1400;
  o.tcp.wscale = 6;
  o.tcp.sack_permitted = true;
  o.tcp.timestamps = true;
  o.tcp.ts_val = 77;
  v.push_back(tcp4("10.0.0.1", "10.0.0.2", 40001, 40002, 1, 0, kSyn, "", o));
  FrameOpts q;
  q.vlans = {10, 20};
  q.outer_tpid = 0x88a8;
  q.ip_options = {148, 4, 0, 0};
  v.push_back(udp4("10.0.0.3", "10.0.0.4", 40003, 40004, "vlan-udp", q));
  v.push_back(icmp4("10.0.0.5", "10.0.0.6", 8, 0, 3, 4, "echo"));
  FrameOpts e;
  e.ext = {{0, {}}, {60, {1, 2, 0, 0}}};
  v.push_back(tcp6("2001:db8::1", "2001:db8::2", 40005, 40006, 9, 10, kAck | kPsh, "v6-data", e));
  v.push_back(udp6("2001:db8::3", "2001:db8::4", 40007, 40008, "v6-udp"));
  v.push_back(icmp6("2001:db8::5", "2001:db8::6", 128, 0, 1, 2, "ping6"));
  std::string big(1500, 'F');
  Buf dg = ipv4_datagram("10.0.1.1", "10.0.1.2", 17, udp_datagram("10.0.1.1", "10.0.1.2", 40009, 40010, big));
  auto f4 = fragment_ipv4(dg, 600);
  std::swap(f4[0], f4[1]);  // out of order
  for (const Buf& f : f4) v.push_back(link_frame(f));
  Buf dg6 = ipv6_datagram("2001:db8::7", "2001:db8::8", 6,
                          tcp_segment("2001:db8::7", "2001:db8::8", 40011, 40012, 5, 6, kAck, big));
  for (const Buf& f : fragment_ipv6(dg6, 700, 0x1234)) v.push_back(link_frame(f));
  return v;
}

std::string run_command(const std::string& cmd) {
  std::string out;
  FILE* p = popen(cmd.c_str(), "r");
  if (!p) return out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

}  // namespace

TEST_CASE("tshark agrees with the builder's checksums and the decoder's results") {
  if (run_command("command -v tshark").empty()) {
    WARN("tshark not installed: cross-check skipped");
    return;
  }
  std::string path =
      (std::filesystem::temp_directory_path() / ("vigil_decode_tshark-" + std::to_string(getpid()) + ".pcap"))
          .string();
  auto frames = sample_frames();
  {
    PcapWriter w(path);
    int64_t t = 1700000000;
    for (const Buf& f : frames) w.write({t++, 0}, f);
  }
  // Vigil's view, read through libpcap as the agent does.
  std::vector<std::string> ours;
  char err[PCAP_ERRBUF_SIZE];
  pcap_t* pc = pcap_open_offline(path.c_str(), err);
  REQUIRE(pc);
  Decoder d({});
  pcap_pkthdr* h;
  const u_char* data;
  while (pcap_next_ex(pc, &h, &data) == 1) {
    Packet p;
    p.frame = Bytes(data, h->caplen);
    p.linktype = pcap_datalink(pc);
    p.ts = {h->ts.tv_sec, static_cast<int32_t>(h->ts.tv_usec)};
    bool ok = d.decode(p);
    CHECK_FALSE(p.l4_csum_bad);
    CHECK_FALSE(p.ipv4_csum_bad);
    ours.push_back(ok && (p.l4 == L4::kTcp || p.l4 == L4::kUdp)
                       ? std::to_string(p.sp) + ">" + std::to_string(p.dp)
                       : std::string());
  }
  pcap_close(pc);
  INFO(anomaly_names(d));
  CHECK(anomalies(d) == 0);
  CHECK(counter(d, "defrag.ipv4.reassembled") == 1);
  CHECK(counter(d, "defrag.ipv6.reassembled") == 1);

  std::string cmd =
      "tshark -n -r '" + path +
      "' -o ip.check_checksum:TRUE -o tcp.check_checksum:TRUE -o udp.check_checksum:TRUE"
      " -T fields -E separator=, -E occurrence=l -e ip.checksum.status -e tcp.checksum.status"
      " -e udp.checksum.status -e icmp.checksum.status -e icmpv6.checksum.status -e _ws.malformed"
      " -e tcp.srcport -e tcp.dstport -e udp.srcport -e udp.dstport 2>/dev/null";
  std::istringstream lines(run_command(cmd));
  std::string line;
  size_t i = 0;
  while (std::getline(lines, line)) {
    INFO("frame " << i + 1 << ": " << line);
    std::vector<std::string> f;
    std::stringstream ss(line);
    std::string x;
    while (std::getline(ss, x, ',')) f.push_back(x);
    f.resize(10);
    for (int k = 0; k < 5; ++k) CHECK(f[k] != "0");  // 0 = bad checksum
    CHECK(f[5].empty());                             // not malformed
    std::string theirs;
    if (!f[6].empty()) theirs = f[6] + ">" + f[7];
    if (!f[8].empty()) theirs = f[8] + ">" + f[9];
    REQUIRE(i < ours.size());
    CHECK(ours[i] == theirs);
    ++i;
  }
  CHECK(i == frames.size());
  std::remove(path.c_str());
}
