#include "collector/api/alert_filter.h"

#include <catch2/catch.hpp>

using namespace vigil::collector;
using nlohmann::json;

namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

std::optional<FilterError> parse(const Params& p, AlertListQuery* q) {
  return parse_alert_query(p, q);
}

std::string hex(const Ip16& a) {
  std::string s;
  char b[3];
  for (auto c : a) {
    std::snprintf(b, sizeof b, "%02x", c);
    s += b;
  }
  return s;
}

}  // namespace

TEST_CASE("alert filter: every name parses from query parameters") {
  AlertListQuery q;
  REQUIRE_FALSE(parse({{"from", "1700000000"},
                       {"to", "2026-01-02T03:04:05Z"},
                       {"severity", "1,2"},
                       {"severity", "3"},
                       {"sid", "2001,2002"},
                       {"signature", "ET SCAN"},
                       {"category", "Attempted Recon"},
                       {"agent", "ag-1"},
                       {"src_ip", "10.1.0.0/16"},
                       {"dest_ip", "2001:db8::1"},
                       {"port", "443"},
                       {"src_port", "1234"},
                       {"dest_port", "80"},
                       {"proto", "tcp"},
                       {"app_proto", "HTTP"},
                       {"status", "new,escalated"},
                       {"assignee", "alice"},
                       {"q", "evil.example"},
                       {"limit", "50"}},
                      &q));
  const AlertFilter& f = q.filter;
  CHECK(f.from_us == 1700000000LL * 1000000);
  CHECK(f.to_us == 1767323045LL * 1000000);
  CHECK(f.severities == std::vector<int>{1, 2, 3});
  CHECK(f.sids == std::vector<int64_t>{2001, 2002});
  CHECK(f.signature == "ET SCAN");
  CHECK(f.category == "Attempted Recon");
  CHECK(f.agent_id == "ag-1");
  REQUIRE(f.src_ip);
  CHECK_FALSE(f.src_ip->exact);
  CHECK(hex(f.src_ip->lo) == "00000000000000000000ffff0a010000");
  CHECK(hex(f.src_ip->hi) == "00000000000000000000ffff0a01ffff");
  REQUIRE(f.dest_ip);
  CHECK(f.dest_ip->exact == "2001:db8::1");
  CHECK(f.port == 443);
  CHECK(f.src_port == 1234);
  CHECK(f.dest_port == 80);
  CHECK(f.proto == "TCP");
  CHECK(f.app_proto == "http");
  CHECK(f.statuses == std::vector<std::string>{"new", "escalated"});
  CHECK(f.assignee == "alice");
  CHECK(f.q == "evil.example");
  CHECK(q.limit == 50);
  CHECK_FALSE(q.group);
}

TEST_CASE("alert filter: CIDR blocks are byte ranges, v4 mapped, host bits ignored") {
  AlertListQuery q;
  REQUIRE_FALSE(parse({{"src_ip", "2001:db8:ff::5/32"}, {"dest_ip", "192.168.1.77/24"}}, &q));
  CHECK(hex(q.filter.src_ip->lo) == "20010db8000000000000000000000000");
  CHECK(hex(q.filter.src_ip->hi) == "20010db8ffffffffffffffffffffffff");
  CHECK(hex(q.filter.dest_ip->lo) == "00000000000000000000ffffc0a80100");
  CHECK(hex(q.filter.dest_ip->hi) == "00000000000000000000ffffc0a801ff");
  REQUIRE_FALSE(parse({{"src_ip", "0.0.0.0/0"}, {"dest_ip", "10.0.0.1/32"}}, &q));
  CHECK(hex(q.filter.src_ip->lo) == "00000000000000000000ffff00000000");
  CHECK(hex(q.filter.src_ip->hi) == "00000000000000000000ffffffffffff");
  CHECK(q.filter.dest_ip->exact == "10.0.0.1");
}

TEST_CASE("alert filter: every bad value names its parameter") {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"from", "yesterday"},  {"to", "12345678901234567890"},
      {"severity", "0"},      {"severity", "1,x"},
      {"sid", "99999999999"}, {"src_ip", "10.0.0.0/33"},
      {"dest_ip", "::1/129"}, {"src_ip", "10.0.0"},
      {"port", "65536"},      {"src_port", "-1"},
      {"dest_port", "8o"},    {"proto", "t c p"},
      {"status", "open"},     {"limit", "0"},
      {"group", "yes"},       {"window", "10"},
      {"cursor", "zz"},       {"severty", "1"},
      {"signature", "a\x01"}, {"agent", std::string(65, 'a')},
  };
  for (const auto& [k, v] : bad) {
    AlertListQuery q;
    auto e = parse({{k, v}}, &q);
    INFO(k << "=" << v);
    REQUIRE(e);
    CHECK(e->param == k);
    CHECK_FALSE(e->detail.empty());
  }
  AlertListQuery q;
  auto e = parse({{"from", "2000"}, {"to", "1000"}}, &q);
  REQUIRE(e);
  CHECK(e->param == "from");
  // Two values for a single-valued name are refused, not silently reduced to one.
  e = parse({{"port", "1"}, {"port", "2"}}, &q);
  REQUIRE(e);
  CHECK(e->param == "port");
}

TEST_CASE("alert filter: empty values are no filter - limits are clamped - extra names pass") {
  AlertListQuery q;
  REQUIRE_FALSE(parse({{"severity", ""}, {"q", ""}, {"limit", "50000"}}, &q));
  CHECK(q.filter.empty());
  CHECK(q.limit == kMaxAlertLimit);
  CHECK(parse_alert_query({{"format", "csv"}}, &q, {"format"}) == std::nullopt);
  CHECK(parse_alert_query({{"format", "csv"}}, &q)->param == "format");
}

TEST_CASE("alert filter: cursors round-trip and are checked against the kind of page") {
  AlertListQuery q;
  std::string c = encode_cursor(AlertCursor{1234567, 89});
  REQUIRE_FALSE(parse({{"cursor", c}}, &q));
  REQUIRE(q.cursor);
  CHECK(q.cursor->ts_us == 1234567);
  CHECK(q.cursor->id == 89);
  // An alert cursor on a grouped page (and the reverse) is refused.
  CHECK(parse({{"cursor", c}, {"group", "1"}}, &q)->param == "cursor");
  std::string g = encode_cursor(GroupCursor{7, 2001, "10.0.0.1", "::1"});
  REQUIRE_FALSE(parse({{"cursor", g}, {"group", "1"}, {"window", "600"}}, &q));
  REQUIRE(q.group_cursor);
  CHECK(q.group_cursor->bucket == 7);
  CHECK(q.group_cursor->dest == "::1");
  CHECK(q.window_s == 600);
  CHECK(parse({{"cursor", g}}, &q)->param == "cursor");
}

TEST_CASE("alert filter: the JSON form takes the same names, arrays as lists") {
  AlertFilter f;
  REQUIRE_FALSE(parse_alert_filter_json(json{{"severity", {1, 2}},
                                             {"sid", 2001},
                                             {"status", {"new", "closed"}},
                                             {"src_ip", "10.0.0.0/8"},
                                             {"from", "2026-01-01"},
                                             {"port", 53},
                                             {"q", "example"}},
                                        &f));
  CHECK(f.severities == std::vector<int>{1, 2});
  CHECK(f.sids == std::vector<int64_t>{2001});
  CHECK(f.statuses == std::vector<std::string>{"new", "closed"});
  CHECK(f.port == 53);
  CHECK(f.from_us == 1767225600LL * 1000000);
  CHECK(f.q == "example");
  // Typos, paging names, wrong types and bad values are errors naming the key.
  CHECK(parse_alert_filter_json(json{{"sevrity", 1}}, &f)->param == "sevrity");
  CHECK(parse_alert_filter_json(json{{"limit", 10}}, &f)->param == "limit");
  CHECK(parse_alert_filter_json(json{{"sid", json::object()}}, &f)->param == "sid");
  CHECK(parse_alert_filter_json(json{{"sid", json::array()}}, &f)->param == "sid");
  CHECK(parse_alert_filter_json(json{{"severity", {1, 0}}}, &f)->param == "severity");
  CHECK(parse_alert_filter_json(json{{"status", "done"}}, &f)->param == "status");
  CHECK(parse_alert_filter_json(json::array(), &f)->param == "filter");
  CHECK_FALSE(parse_alert_filter_json(json::object(), &f));
  CHECK(f.empty());
}
