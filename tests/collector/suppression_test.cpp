// The collector's suppression matcher: CIDR edges in both families, by_src
// against by_dst, gid and sid, expiry, the threshold lines agents get and
// the version suffix that changes with the active set; and the POST body.
#include "collector/suppression.h"

#include <catch2/catch.hpp>

using namespace vigil::collector;
using nlohmann::json;

namespace {
Suppression sup(int64_t id, uint32_t sid, std::string track = "none", std::string cidr = "",
                int64_t expires = 0) {
  Suppression s;
  s.id = id;
  s.sid = sid;
  s.track = std::move(track);
  s.cidr = std::move(cidr);
  s.expires_at = expires;
  return s;
}
}  // namespace

TEST_CASE("CIDR: IPv4 edges", "[suppression]") {
  auto c = Cidr::parse("10.1.2.3/24");
  REQUIRE(c);
  CHECK(c->str() == "10.1.2.0/24");  // host bits cleared
  CHECK(c->contains("10.1.2.0"));
  CHECK(c->contains("10.1.2.255"));
  CHECK(!c->contains("10.1.3.0"));
  CHECK(!c->contains("10.1.1.255"));
  CHECK(!c->contains("::ffff:10.1.2.3"));  // another family
  CHECK(!c->contains("garbage"));
  CHECK(Cidr::parse("192.0.2.7")->str() == "192.0.2.7/32");
  CHECK(Cidr::parse("192.0.2.7")->contains("192.0.2.7"));
  CHECK(!Cidr::parse("192.0.2.7")->contains("192.0.2.6"));
  CHECK(Cidr::parse("0.0.0.0/0")->contains("255.255.255.255"));
  auto odd = Cidr::parse("172.16.0.0/12");
  CHECK(odd->contains("172.31.255.255"));
  CHECK(!odd->contains("172.32.0.0"));
  for (const char* bad :
       {"10.0.0.0/33", "10.0.0.0/", "10.0.0/8", "10.0.0.0/-1", "10.0.0.0/8x", "", "a.b.c.d"})
    CHECK(!Cidr::parse(bad));
}

TEST_CASE("CIDR: IPv6 edges", "[suppression]") {
  auto c = Cidr::parse("2001:db8::1/32");
  REQUIRE(c);
  CHECK(c->str() == "2001:db8::/32");
  CHECK(c->contains("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"));
  CHECK(!c->contains("2001:db9::"));
  CHECK(!c->contains("10.0.0.1"));
  auto n = Cidr::parse("fe80::/10");
  CHECK(n->contains("febf::1"));
  CHECK(!n->contains("fec0::1"));
  CHECK(Cidr::parse("::1")->str() == "::1/128");
  CHECK(Cidr::parse("::/0")->contains("ffff::"));
  CHECK(!Cidr::parse("2001:db8::/129"));
  CHECK(!Cidr::parse("2001:db8:::1/64"));
}

TEST_CASE("SuppressionSet matches by sid, gid, by_src and by_dst", "[suppression]") {
  SuppressionSet set(
      {sup(1, 100), sup(2, 200, "by_src", "10.0.0.0/8"), sup(3, 300, "by_dst", "2001:db8::/32")}, 0);
  CHECK(set.match(1, 100, "1.1.1.1", "2.2.2.2") == 1);
  CHECK(set.match(3, 100, "1.1.1.1", "2.2.2.2") == 0);  // another gid
  CHECK(set.match(1, 101, "1.1.1.1", "2.2.2.2") == 0);
  CHECK(set.match(1, 200, "10.9.9.9", "1.1.1.1") == 2);
  CHECK(set.match(1, 200, "1.1.1.1", "10.9.9.9") == 0);  // by_src looks at the source only
  CHECK(set.match(1, 300, "2001:db8::1", "1.1.1.1") == 0);
  CHECK(set.match(1, 300, "1.1.1.1", "2001:db8::1") == 3);
  CHECK(set.threshold() ==
        "suppress gen_id 1, sig_id 100\n"
        "suppress gen_id 1, sig_id 200, track by_src, ip 10.0.0.0/8\n"
        "suppress gen_id 1, sig_id 300, track by_dst, ip 2001:db8::/32\n");
  CHECK(set.version_suffix().size() == 13);
  CHECK(set.version_suffix()[0] == '+');
}

TEST_CASE("SuppressionSet leaves out expired and removed ones - the suffix follows the active set",
          "[suppression]") {
  auto removed = sup(4, 400);
  removed.removed_at = 50;
  std::vector<Suppression> rows{sup(1, 100, "none", "", 200), sup(2, 200, "none", "", 300), removed};
  SuppressionSet before(rows, 199), after(rows, 200), later(rows, 300);
  CHECK(before.match(1, 100, "", "") == 1);
  CHECK(before.match(1, 400, "", "") == 0);
  CHECK(before.next_expiry() == 200);
  CHECK(after.match(1, 100, "", "") == 0);  // expired at 200
  CHECK(after.match(1, 200, "", "") == 2);
  CHECK(after.next_expiry() == 300);
  CHECK(before.version_suffix() != after.version_suffix());
  CHECK(later.empty());
  CHECK(later.version_suffix().empty());
  CHECK(later.threshold().empty());
}

TEST_CASE("parse_suppression checks every field", "[suppression]") {
  Suppression s;
  std::string why;
  CHECK(parse_suppression(json{{"sid", 5}, {"reason", "r"}, {"expires_at", "never"}}, 100, &s, &why));
  CHECK(s.track == "none");
  CHECK(s.gid == 1);
  CHECK(s.expires_at == 0);
  Suppression t;
  CHECK(parse_suppression(
      json{{"sid", 5}, {"track", "by_dst"}, {"cidr", "10.1.1.1/16"}, {"reason", "r"}, {"expires_at", 101}},
      100, &t, &why));
  CHECK(t.cidr == "10.1.0.0/16");
  CHECK(t.expires_at == 101);
  auto refused = [&](json j, const char* field) {
    Suppression x;
    std::string w;
    CHECK(!parse_suppression(j, 100, &x, &w));
    CHECK(w.find(field) == 0);
  };
  refused(json{{"reason", "r"}, {"expires_at", "never"}}, "sid");
  refused(json{{"sid", 0}, {"reason", "r"}, {"expires_at", "never"}}, "sid");
  refused(json{{"sid", 5}, {"expires_at", "never"}}, "reason");
  refused(json{{"sid", 5}, {"reason", ""}, {"expires_at", "never"}}, "reason");
  refused(json{{"sid", 5}, {"reason", "r"}}, "expires_at");
  refused(json{{"sid", 5}, {"reason", "r"}, {"expires_at", 100}}, "expires_at");  // not in the future
  refused(json{{"sid", 5}, {"reason", "r"}, {"expires_at", "never"}, {"track", "by_src"}}, "cidr");
  refused(json{{"sid", 5}, {"reason", "r"}, {"expires_at", "never"}, {"track", "by_src"}, {"cidr", "10/8"}},
          "cidr");
  refused(json{{"sid", 5}, {"reason", "r"}, {"expires_at", "never"}, {"cidr", "10.0.0.0/8"}}, "cidr");
  refused(json{{"sid", 5}, {"reason", "r"}, {"expires_at", "never"}, {"track", "by_either"}}, "track");
  refused(json{{"sid", 5}, {"reason", "r"}, {"expires_at", "never"}, {"extra", 1}}, "extra");
}
