// Whole-decoder properties: well-formed traffic has no anomalies; any prefix
// or byte mutation of a frame is handled without a crash (run under the
// sanitizer build to make "no crash" mean no out-of-bounds read either).
#include <catch2/catch.hpp>
#include <random>

#include "tests/agent/decode/decode_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {

struct Sample {
  Buf frame;
  int dlt;
};

std::vector<Sample> well_formed() {
  std::vector<Sample> v;
  FrameOpts o;
  o.tcp.mss = 1460;
  o.tcp.wscale = 8;
  o.tcp.sack_permitted = true;
  o.tcp.timestamps = true;
  v.push_back({tcp4("192.0.2.1", "192.0.2.2", 50000, 443, 1, 0, kSyn, "", o), 1});
  v.push_back({tcp4("192.0.2.2", "192.0.2.1", 443, 50000, 9, 2, kSyn | kAck, "", o), 1});
  v.push_back({tcp4("192.0.2.1", "192.0.2.2", 50000, 443, 2, 10, kAck | kPsh, std::string(1400, 'p')), 1});
  v.push_back({udp4("192.0.2.1", "192.0.2.53", 40000, 53, std::string(30, 'd')), 1});
  v.push_back({icmp4("192.0.2.1", "192.0.2.2", 8, 0, 1, 1, "abcdefgh"), 1});
  v.push_back({tcp6("2001:db8::1", "2001:db8::2", 1, 22, 5, 6, kAck, "SSH-2.0-x\r\n"), 1});
  v.push_back({icmp6("fe80::1", "ff02::1", 135, 0, 0, 0, std::string(20, 0)), 1});
  FrameOpts q;
  q.vlans = {100, 200};
  q.outer_tpid = 0x88a8;
  q.ip_options = {148, 4, 0, 0};
  v.push_back({udp4("10.0.0.1", "10.0.0.2", 1, 2, "qinq", q), 1});
  FrameOpts e;
  e.ext = {{0, {}}, {60, {}}};
  v.push_back({udp6("2001:db8::1", "2001:db8::2", 1, 2, "ext", e), 1});
  for (Link l : {Link::kRaw, Link::kSll, Link::kSll2, Link::kNull, Link::kLoop}) {
    FrameOpts lo;
    lo.link = l;
    v.push_back({tcp4("10.0.0.1", "10.0.0.2", 1, 2, 3, 4, kAck, "link", lo), static_cast<int>(dlt_of(l))});
  }
  return v;
}

}  // namespace

TEST_CASE("Well-formed traffic decodes with zero anomalies and zero checksum errors") {
  Decoder d({});
  auto samples = well_formed();
  for (const Sample& s : samples) {
    Packet p = make_packet(s.frame, s.dlt);
    CHECK(d.decode(p));
    CHECK_FALSE(p.invalid);
    CHECK_FALSE(p.l4_csum_bad);
    CHECK_FALSE(p.ipv4_csum_bad);
  }
  INFO(anomaly_names(d));
  CHECK(anomalies(d) == 0);
  CHECK(counter(d, "decoder.invalid") == 0);
  uint64_t csum = 0;
  d.visit_counters([&](std::string_view n, uint64_t x) {
    if (n.ends_with("invalid_checksum")) csum += x;
  });
  CHECK(csum == 0);
  CHECK(counter(d, "decoder.pkts") == samples.size());
}

TEST_CASE("Every prefix of a frame is either decoded or an invalid, counted packet") {
  for (const Sample& s : well_formed()) {
    for (size_t n = 0; n < s.frame.size(); ++n) {
      Buf cut(s.frame.begin(), s.frame.begin() + n);
      Decoder d({});
      Packet p = make_packet(cut, s.dlt);
      bool ok = d.decode(p);
      if (!ok) {
        CHECK(p.invalid);
        CHECK(anomalies(d) >= 1);
      }
    }
  }
}

TEST_CASE("Random byte mutations never crash the decoder") {
  std::mt19937 rng(12345);
  Decoder d({});
  for (const Sample& s : well_formed()) {
    for (int i = 0; i < 300; ++i) {
      Buf f = s.frame;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int k = 0; k < flips; ++k) f[rng() % f.size()] = static_cast<uint8_t>(rng());
      Packet p = make_packet(f, s.dlt);
      bool ok = d.decode(p);
      if (ok && !p.reassembled) {
        CHECK(p.l3.data() >= f.data());
        CHECK(p.payload.data() + p.payload.size() <= f.data() + f.size());
      }
    }
  }
  CHECK(counter(d, "decoder.pkts") > 0);
}
