// IPv4: header fields, options, lengths, checksum, truncation.
#include <catch2/catch.hpp>

#include "tests/agent/decode/decode_test_util.h"

using namespace vigil;
using namespace vigil::test;

namespace {
constexpr size_t kIp = 14;  // IPv4 header offset in an untagged Ethernet frame

bool decode_one(Decoder& d, const Buf& f, Packet* out = nullptr) {
  Packet p = make_packet(f);
  bool ok = d.decode(p);
  if (out) *out = p;
  return ok;
}
}  // namespace

TEST_CASE("IPv4 header fields are filled") {
  FrameOpts o;
  o.ttl = 17;
  o.tos = 0x28;
  o.ip_id = 0xbeef;
  o.df = true;
  Buf f = tcp4("1.2.3.4", "5.6.7.8", 1000, 443, 7, 9, kAck, "data", o);
  Decoder d({});
  Packet p;
  REQUIRE(decode_one(d, f, &p));
  CHECK(p.ip_version == 4);
  CHECK(p.ttl == 17);
  CHECK(p.tos == 0x28);
  CHECK(p.ip_id == 0xbeef);
  CHECK(p.frag_df);
  CHECK_FALSE(p.frag_mf);
  CHECK_FALSE(p.frag_rf);
  CHECK(p.frag_offset == 0);
  CHECK(p.ip_proto == 6);
  CHECK(p.ip_hlen == 20);
  CHECK(p.l3.data() == f.data() + kIp);
  CHECK(p.l3.size() == 20 + 20 + 4);
  CHECK_FALSE(p.ipv4_csum_bad);
  CHECK_FALSE(p.is_fragment);
  CHECK(counter(d, "decoder.ipv4") == 1);
  CHECK(anomalies(d) == 0);
}

TEST_CASE("Valid IPv4 options are walked and accepted") {
  FrameOpts o;
  // NOP, router alert, record route with room for 2 addresses, timestamp.
  o.ip_options = {1, 148, 4, 0, 0, 7, 11, 4, 0, 0, 0, 0, 0, 0, 0, 0, 68, 4, 5, 0};
  Buf f = udp4("10.0.0.1", "10.0.0.2", 1, 2, "opt", o);
  Decoder d({});
  Packet p;
  REQUIRE(decode_one(d, f, &p));
  CHECK(p.ip_hlen == 40);
  CHECK(payload_sv(p) == "opt");
  CHECK(anomalies(d) == 0);
}

TEST_CASE("Broken IPv4 options are invalid or malformed") {
  struct Case {
    Buf opts;
    const char* counter;
  };
  std::vector<Case> cases = {
      {{130, 1}, "decoder.event.ipv4.opt_invalid"},                    // length under 2
      {{1, 1, 1, 7}, "decoder.event.ipv4.opt_invalid"},                // type without length byte
      {{7, 12, 4, 0}, "decoder.event.ipv4.opt_invalid"},               // runs past the header
      {{148, 3, 0, 0}, "decoder.event.ipv4.opt_malformed"},            // router alert must be 4
      {{7, 7, 3, 0, 0, 0, 0, 0}, "decoder.event.ipv4.opt_malformed"},  // RR pointer under 4
      {{130, 4, 0, 0}, "decoder.event.ipv4.opt_malformed"},            // security must be 11
  };
  for (const Case& c : cases) {
    FrameOpts o;
    o.ip_options = c.opts;
    Buf f = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", o);
    Decoder d({});
    Packet p;
    CHECK_FALSE(decode_one(d, f, &p));
    CHECK(p.invalid);
    CHECK(counter(d, c.counter) == 1);
    CHECK(anomalies(d) == 1);
  }
}

TEST_CASE("IPv4 length and version errors are named") {
  Buf good = udp4("10.0.0.1", "10.0.0.2", 1, 2, "payload-bytes");
  SECTION("wrong version") {
    Buf f = good;
    f[kIp] = 0x55;
    Decoder d({});
    CHECK_FALSE(decode_one(d, f));
    CHECK(counter(d, "decoder.event.ipv4.wrong_ip_version") == 1);
  }
  SECTION("header length under 20") {
    Buf f = good;
    f[kIp] = 0x44;
    Decoder d({});
    CHECK_FALSE(decode_one(d, f));
    CHECK(counter(d, "decoder.event.ipv4.hlen_too_small") == 1);
  }
  SECTION("total length under header length") {
    Buf f = good;
    f[kIp + 2] = 0;
    f[kIp + 3] = 19;
    fix_ipv4_checksum(f, kIp);
    Decoder d({});
    CHECK_FALSE(decode_one(d, f));
    CHECK(counter(d, "decoder.event.ipv4.iplen_smaller_than_hlen") == 1);
  }
  SECTION("total length beyond the captured bytes") {
    Buf f = good;
    f[kIp + 2] = 0x05;  // 1280+
    fix_ipv4_checksum(f, kIp);
    Decoder d({});
    CHECK_FALSE(decode_one(d, f));
    CHECK(counter(d, "decoder.event.ipv4.trunc_pkt") == 1);
  }
  SECTION("header length beyond the total length") {
    Buf f = good;
    f[kIp] = 0x4f;  // 60-byte header, total length 41
    Decoder d({});
    CHECK_FALSE(decode_one(d, f));
    CHECK(counter(d, "decoder.event.ipv4.iplen_smaller_than_hlen") == 1);
  }
}

TEST_CASE("IPv4 truncated at every byte of its header never decodes") {
  Buf good = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x");
  for (size_t n = kIp; n < kIp + 20; ++n) {
    Buf f(good.begin(), good.begin() + n);
    Decoder d({});
    Packet p;
    CHECK_FALSE(decode_one(d, f, &p));
    CHECK(p.invalid);
    CHECK(counter(d, "decoder.event.ipv4.pkt_too_small") == 1);
  }
  // Cut inside the payload: the total length no longer fits.
  Buf cut(good.begin(), good.begin() + kIp + 25);
  Decoder d({});
  CHECK_FALSE(decode_one(d, cut));
  CHECK(counter(d, "decoder.event.ipv4.trunc_pkt") == 1);
}

TEST_CASE("IPv4 header checksum is verified only when enabled") {
  FrameOpts o;
  o.bad_ip_checksum = true;
  Buf f = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x", o);
  DecodeConfig on;
  Decoder d(on);
  Packet p;
  CHECK(decode_one(d, f, &p));  // still usable: detection and flow decide
  CHECK(p.ipv4_csum_bad);
  CHECK(counter(d, "ipv4.invalid_checksum") == 1);
  CHECK(anomalies(d) == 0);

  DecodeConfig off;
  off.checksum_checks = false;
  Decoder d2(off);
  Packet q;
  CHECK(decode_one(d2, f, &q));
  CHECK_FALSE(q.ipv4_csum_bad);
  CHECK(counter(d2, "ipv4.invalid_checksum") == 0);

  Buf good = udp4("10.0.0.1", "10.0.0.2", 1, 2, "x");
  Packet r;
  CHECK(decode_one(d, good, &r));
  CHECK_FALSE(r.ipv4_csum_bad);
  CHECK(counter(d, "ipv4.invalid_checksum") == 1);
}

TEST_CASE("Unknown IP protocols are usable packets with the IP payload") {
  Buf ip = ipv4_datagram("10.0.0.1", "10.0.0.2", 253, Buf{0, 0, 0x08, 0, 'e', 'x', 'p'});
  Buf f = link_frame(ip);
  Decoder d({});
  Packet p;
  REQUIRE(decode_one(d, f, &p));
  CHECK(p.l4 == L4::kOther);
  CHECK(p.ip_proto == 253);
  CHECK(p.payload.size() == 7);
  CHECK(counter(d, "decoder.other_ip_proto") == 1);
  CHECK(anomalies(d) == 0);
}
