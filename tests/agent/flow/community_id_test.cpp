// Expected values are the spec's published baseline vectors where they exist
// (corelight/community-id-spec); the others were derived from the spec with:
//   data = struct.pack('!H', 0) + saddr + daddr + struct.pack('BB', proto, 0)
//          + struct.pack('!HH', sport, dport)   # ports only for TCP/UDP/SCTP/ICMP
//   '1:' + base64.b64encode(hashlib.sha1(data).digest())
// after ordering (saddr, sport) < (daddr, dport), except one-way ICMP messages.
#include <catch2/catch.hpp>

#include "agent/flow/flow_table.h"

using namespace vigil;

namespace {
IpAddr ip(const char* s) {
  return *IpAddr::parse(s);
}
}  // namespace

TEST_CASE("community id: TCP and UDP vectors, both directions", "[flow][community_id]") {
  CHECK(community_id_v1(ip("128.232.110.120"), ip("66.35.250.204"), 34855, 80, 6) ==
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  CHECK(community_id_v1(ip("66.35.250.204"), ip("128.232.110.120"), 80, 34855, 6) ==
        "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
  CHECK(community_id_v1(ip("192.168.1.52"), ip("8.8.8.8"), 54585, 53, 17) ==
        "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  CHECK(community_id_v1(ip("8.8.8.8"), ip("192.168.1.52"), 53, 54585, 17) ==
        "1:d/FP5EW3wiY1vCndhwleRRKHowQ=");
  CHECK(community_id_v1(ip("2001:db8::1"), ip("2001:db8::2"), 1234, 80, 6) ==
        "1:r0kqPLw6hSIAasyo9ANthUgbhVA=");
  CHECK(community_id_v1(ip("2001:db8::2"), ip("2001:db8::1"), 80, 1234, 6) ==
        "1:r0kqPLw6hSIAasyo9ANthUgbhVA=");
}

TEST_CASE("community id: ICMP types map to their counterpart", "[flow][community_id]") {
  // Echo request and its reply give the same id.
  CHECK(community_id_v1(ip("192.168.0.89"), ip("192.168.0.1"), 8, 0, 1) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  CHECK(community_id_v1(ip("192.168.0.1"), ip("192.168.0.89"), 0, 0, 1) == "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
  CHECK(community_id_v1(ip("fe80::200:86ff:fe05:80da"), ip("fe80::260:97ff:fe07:69ea"), 128, 0, 58) ==
        "1:QrVnZEjGihSsEkRF1XxqheQ1Za8=");
  CHECK(community_id_v1(ip("fe80::260:97ff:fe07:69ea"), ip("fe80::200:86ff:fe05:80da"), 129, 0, 58) ==
        "1:QrVnZEjGihSsEkRF1XxqheQ1Za8=");
  // Destination unreachable (type 3, code 1) is one-way: kept in its order,
  // the code as the second "port".
  CHECK(community_id_v1(ip("192.168.0.1"), ip("10.0.0.1"), 3, 1, 1) == "1:J72tC0uI8LQKwJwyDekNZ5MrU/I=");
}

TEST_CASE("community id: protocols without ports", "[flow][community_id]") {
  CHECK(community_id_v1(ip("10.0.0.2"), ip("10.0.0.1"), 0, 0, 47) == "1:+KlEHDT0vJgzs/eNmzHq0aSpRYw=");
  CHECK(community_id_v1(ip("10.0.0.1"), ip("10.0.0.2"), 0, 0, 47) == "1:+KlEHDT0vJgzs/eNmzHq0aSpRYw=");
}
