// GET /api/v1/stats/alerts with the alert list's filters over HTTPS: each
// filter gives the same total as GET /api/v1/alerts with it (counted from
// rows, "source": "raw"); time, one agent and one severity stay on the
// rollups; a bad filter value, an unknown name or a paging name is 400.
#include "../collector_fixture.h"

using namespace vigil::collector;

TEST_CASE("stats route: every alert filter, the same totals as the list", "[stats_filter]") {
  Fixture f("stats-filter");
  std::vector<IngestEvent> b;
  for (int i = 0; i < 40; ++i) {
    char ts[64];
    std::snprintf(ts, sizeof ts, "2026-01-01T00:%02d:00.000000+0000", i);
    json eve = {{"timestamp", ts},
                {"event_type", "alert"},
                {"src_ip", i % 4 ? "10.0.0." + std::to_string(i % 5) : "2001:db8::" + std::to_string(i % 3)},
                {"dest_ip", "192.0.2.1"},
                {"dest_port", i % 2 ? 80 : 443},
                {"proto", i % 3 ? "TCP" : "UDP"},
                {"app_proto", i % 2 ? "http" : "tls"},
                {"alert",
                 {{"signature_id", 100 + i % 4},
                  {"signature", "sig " + std::to_string(i % 4)},
                  {"category", i % 5 ? "Recon" : "Trojan"},
                  {"severity", 1 + i % 3}}}};
    b.push_back({"u" + std::to_string(i), eve});
  }
  IngestResult r;
  REQUIRE(f.store->ingest_batch("ag-1", 1, b, 1, &r).ok);
  REQUIRE(r.stored == 40);
  auto& c = f.client(f.viewer_key);
  const std::string range = "from=2026-01-01T00:00:00Z&to=2026-01-01T01:00:00Z";
  for (const char* filter : {"proto=TCP", "src_ip=10.0.0.0/8", "src_ip=2001:db8::/32&dest_port=80",
                             "app_proto=http&category=Trojan", "sid=100,101&severity=1,2", "port=443",
                             "status=new", "signature=SIG%203", "q=sig", "proto=UDP&src_ip=10.0.0.1"}) {
    INFO(filter);
    auto list = c.Get("/api/v1/alerts?" + range + "&limit=1000&" + filter);
    REQUIRE(list);
    REQUIRE(list->status == 200);
    json l = json::parse(list->body);
    auto st = c.Get("/api/v1/stats/alerts?" + range + "&interval=10m&" + filter);
    REQUIRE(st);
    REQUIRE(st->status == 200);
    json s = json::parse(st->body);
    CHECK(s["total"] == l["total"]);
    CHECK(s["total"].get<size_t>() == l["alerts"].size());
    int64_t in_series = 0;
    for (const auto& bkt : s["series"]) in_series += bkt["total"].get<int64_t>();
    CHECK(in_series == s["total"]);
    CHECK(s["source"] == "raw");
  }
  auto sev = c.Get("/api/v1/stats/alerts?" + range + "&severity=2&interval=1m");
  REQUIRE(sev);
  REQUIRE(sev->status == 200);
  CHECK(json::parse(sev->body)["source"] == "rollup");
  CHECK(json::parse(sev->body)["total"] == 13);  // i % 3 == 1 among 0..39
  auto sevs = c.Get("/api/v1/stats/alerts?" + range + "&severity=1,3&interval=1m");
  REQUIRE(sevs);
  REQUIRE(sevs->status == 200);
  CHECK(json::parse(sevs->body)["source"] == "rollup");
  CHECK(json::parse(sevs->body)["total"] == 27);  // i % 3 != 1 among 0..39

  for (const char* bad : {"src_ip=10.0.0.0/33", "status=open", "proto=T%20CP", "colour=red", "cursor=abc",
                          "limit=10", "group=1", "window=3600", "port=70000", "q=%2A%2A"}) {
    INFO(bad);
    auto e = c.Get("/api/v1/stats/alerts?" + range + "&" + bad);
    REQUIRE(e);
    CHECK(e->status == 400);
  }
}
