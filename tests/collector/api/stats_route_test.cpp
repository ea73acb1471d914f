// GET /api/v1/stats/alerts over HTTPS: a viewer gets the aggregations of what
// was stored; bad parameters are 400; no credentials 401.
#include "../collector_fixture.h"

using namespace vigil::collector;

namespace {

IngestEvent alert(int i, const std::string& ts, int sev) {
  json eve = {{"timestamp", ts},
              {"event_type", "alert"},
              {"src_ip", "10.0.0." + std::to_string(i % 3)},
              {"dest_ip", "192.0.2.1"},
              {"alert", {{"signature_id", 100 + i % 2}, {"signature", "sig"}, {"severity", sev}}}};
  return {"u" + std::to_string(i), eve};
}

}  // namespace

TEST_CASE("stats route: aggregations for a viewer, 400 on bad parameters") {
  Fixture f("stats");
  std::vector<IngestEvent> b;
  // 2026-01-01T00:10 .. 01:50, one alert each 10 minutes (11), severities 1 and 2.
  for (int i = 0; i < 11; ++i) {
    char ts[64];
    std::snprintf(ts, sizeof ts, "2026-01-01T%02d:%02d:00.000000+0000", (10 + i * 10) / 60,
                  (10 + i * 10) % 60);
    b.push_back(alert(i, ts, 1 + i % 2));
  }
  IngestResult r;
  REQUIRE(f.store->ingest_batch("ag-1", 1, b, 1, &r).ok);
  REQUIRE(r.stored == 11);

  auto& c = f.client(f.viewer_key);
  auto res =
      c.Get("/api/v1/stats/alerts?from=2026-01-01T00:00:00Z&to=2026-01-01T02:00:00Z&interval=1h&top=1");
  REQUIRE(res);
  REQUIRE(res->status == 200);
  json j = json::parse(res->body);
  CHECK(j["total"] == 11);
  CHECK(j["by_severity"]["1"] == 6);
  CHECK(j["by_severity"]["2"] == 5);
  REQUIRE(j["series"].size() == 2);
  CHECK(j["series"][0]["start"] == 1767225600);
  CHECK(j["series"][0]["total"] == 5);  // 00:10 .. 00:50
  CHECK(j["series"][1]["total"] == 6);  // 01:00 .. 01:50
  REQUIRE(j["top"]["sources"].size() == 1);
  CHECK(j["top"]["sources"][0]["ip"] == "10.0.0.0");  // i = 0, 3, 6, 9
  CHECK(j["top"]["sources"][0]["count"] == 4);
  CHECK(j["top"]["signatures"][0]["sid"] == 100);
  CHECK(j["top"]["signatures"][0]["signature"] == "sig");
  CHECK(j["top"]["agents"][0]["agent_id"] == "ag-1");
  CHECK(j["source"] == "rollup");

  auto sev = c.Get("/api/v1/stats/alerts?from=1767225600&to=1767232800&interval=5m&severity=2");
  REQUIRE(sev);
  REQUIRE(sev->status == 200);
  CHECK(json::parse(sev->body)["total"] == 5);

  for (const char* bad :
       {"interval=0", "interval=5x", "interval=", "interval=-1m", "top=0", "top=101", "top=abc", "severity=0",
        "from=yesterday", "from=1767232800&to=1767225600", "from=0&to=1767225600&interval=1s"}) {
    INFO(bad);
    auto e = c.Get(std::string("/api/v1/stats/alerts?") + bad);
    REQUIRE(e);
    // An empty interval is the default (not an error); every other one is.
    CHECK(e->status == (std::string(bad) == "interval=" ? 200 : 400));
  }
  CHECK(f.client().Get("/api/v1/stats/alerts")->status == 401);
}
