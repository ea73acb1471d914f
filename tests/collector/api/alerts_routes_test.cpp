// The alert routes over HTTPS on loopback: filters, grouping, detail and the
// 400s that name the bad parameter.

#include <catch2/catch.hpp>

#include "collector/api/alert_filter.h"
#include "common/digest.h"
#include "tests/collector/collector_fixture.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

IngestEvent eve(int i, int sid, const std::string& src, int64_t flow, const char* type = "alert") {
  json e = {{"timestamp",
             "2026-11-20T10:00:" + std::string(i < 10 ? "0" : "") + std::to_string(i) + ".000000+0000"},
            {"event_type", type},
            {"src_ip", src},
            {"src_port", 40000 + i},
            {"dest_ip", "192.168.1.5"},
            {"dest_port", 80},
            {"proto", "TCP"},
            {"app_proto", "http"},
            {"flow_id", flow}};
  if (std::string(type) == "alert")
    e["alert"] = {{"signature_id", sid},
                  {"signature", "ET WEB sid " + std::to_string(sid)},
                  {"severity", 1 + i % 3},
                  {"category", "Web Application Attack"}};
  else
    e["http"] = {{"hostname", "evil.example"}, {"url", "/x"}};
  return {"u" + std::to_string(i) + type, e};
}

}  // namespace

TEST_CASE("alert routes: filters, groups, detail and named 400s over HTTPS") {
  Fixture f("alertroutes");
  std::vector<IngestEvent> evs;
  for (int i = 0; i < 30; ++i)
    evs.push_back(eve(i, 2000 + i % 3,
                      i % 2 ? "10.9.1." + std::to_string(i) : "2001:db8::" + std::to_string(i), 7 + i % 2));
  evs.push_back(eve(50, 0, "10.9.1.1", 7, "http"));
  IngestResult r;
  REQUIRE(f.store->ingest_batch("ag-a", 1, evs, 1, &r).ok);
  REQUIRE(r.stored == 31);
  auto& c = f.client(f.viewer_key);
  auto get = [&](const std::string& path) {
    auto res = c.Get(path.c_str());
    REQUIRE(res);
    return std::make_pair(res->status, json::parse(res->body, nullptr, false));
  };

  auto [s1, all] = get("/api/v1/alerts?limit=1000");
  REQUIRE(s1 == 200);
  CHECK(all["total"] == 30);
  CHECK(all["total_exact"] == true);
  CHECK(all["alerts"].size() == 30);
  CHECK(all["alerts"][0]["status"] == "new");
  CHECK(all["alerts"][0]["timestamp"] == "2026-11-20T10:00:29.000000+0000");

  CHECK(get("/api/v1/alerts?src_ip=10.9.0.0/16").second["total"] == 15);
  CHECK(get("/api/v1/alerts?src_ip=2001:db8::/64&sid=2000,2001").second["total"] == 10);
  CHECK(get("/api/v1/alerts?signature=et%20web%20SID%202002").second["total"] == 10);
  CHECK(get("/api/v1/alerts?port=40003&proto=tcp").second["total"] == 1);
  CHECK(get("/api/v1/alerts?status=acknowledged").second["total"] == 0);
  CHECK(get("/api/v1/alerts?from=2026-11-20T10:00:10Z&to=2026-11-20T10:00:20Z").second["total"] == 10);

  // Paging with the opaque cursor gets every row once.
  std::set<int64_t> seen;
  std::string next;
  for (int page = 0; page < 10; ++page) {
    auto [st, j] = get("/api/v1/alerts?limit=7" + (next.empty() ? "" : "&cursor=" + next));
    REQUIRE(st == 200);
    for (auto& a : j["alerts"]) CHECK(seen.insert(a["id"].get<int64_t>()).second);
    if (j["next_cursor"].is_null()) break;
    next = j["next_cursor"].get<std::string>();
  }
  CHECK(seen.size() == 30);

  auto [sg, groups] = get("/api/v1/alerts?group=1&window=3600&src_ip=10.9.1.1");
  REQUIRE(sg == 200);
  REQUIRE(groups["groups"].size() == 1);
  CHECK(groups["groups"][0]["count"] == 1);
  int64_t total = 0;
  json all_groups = get("/api/v1/alerts?group=1&limit=1000").second;
  for (auto& g : all_groups["groups"]) total += g["count"].get<int64_t>();
  CHECK(total == 30);

  // Detail: the alert, its triage state, the other alerts and the events of its flow.
  int64_t id = all["alerts"][0]["id"].get<int64_t>();
  auto [sd, d] = get("/api/v1/alerts/" + std::to_string(id));
  REQUIRE(sd == 200);
  CHECK(d["alert"]["id"] == id);
  CHECK(d["triage"]["status"] == "new");
  int64_t flow = d["alert"]["flow_id"].get<int64_t>();
  CHECK(d["flow_alerts"].size() == 14);
  for (auto& a : d["flow_alerts"]) CHECK(a["flow_id"] == flow);
  CHECK(d["flow_events"].size() == (flow == 7 ? 1u : 0u));
  CHECK(get("/api/v1/alerts/999999").first == 404);
  CHECK(get("/api/v1/alerts/abc").first == 404);

  for (const char* bad : {"severity=0", "src_ip=10.0.0.0/40", "status=open", "port=x", "cursor=nothex",
                          "bogus=1", "limit=0", "window=5&group=1"}) {
    auto [st, j] = get(std::string("/api/v1/alerts?") + bad);
    INFO(bad);
    CHECK(st == 400);
    std::string name = std::string(bad).substr(0, std::string(bad).find('='));
    CHECK(j["error"] == "bad " + name);
    CHECK_FALSE(j["detail"].get<std::string>().empty());
  }
  CHECK(f.client().Get("/api/v1/alerts/1")->status == 401);

  // Export: the same rows as the list, streamed (chunked), as JSON and as CSV.
  auto ej = c.Get("/api/v1/alerts/export?format=json&src_ip=10.9.0.0/16");
  REQUIRE(ej);
  REQUIRE(ej->status == 200);
  CHECK(ej->get_header_value("Transfer-Encoding") == "chunked");
  CHECK(ej->get_header_value("Content-Disposition") == "attachment; filename=\"alerts.json\"");
  json exported = json::parse(ej->body);
  auto listed = get("/api/v1/alerts?src_ip=10.9.0.0/16&limit=1000").second["alerts"];
  CHECK(exported == listed);
  auto ec = c.Get("/api/v1/alerts/export?format=csv");
  REQUIRE(ec);
  REQUIRE(ec->status == 200);
  std::vector<std::string> lines;
  for (size_t pos = 0; pos < ec->body.size();) {
    size_t e = ec->body.find("\r\n", pos);
    REQUIRE(e != std::string::npos);
    lines.push_back(ec->body.substr(pos, e - pos));
    pos = e + 2;
  }
  REQUIRE(lines.size() == 31);
  CHECK(lines[0].rfind("id,timestamp,agent_id,severity", 0) == 0);
  for (size_t i = 0; i < 30; ++i) {
    const json& a = all["alerts"][i];
    CHECK(lines[i + 1].rfind(std::to_string(a["id"].get<int64_t>()) + "," +
                                 a["timestamp"].get<std::string>() + ",ag-a," +
                                 std::to_string(a["alert"]["severity"].get<int>()) + ",",
                             0) == 0);
  }
  CHECK(get("/api/v1/alerts/export?format=xml").first == 400);
  CHECK(get("/api/v1/alerts/export?format=csv&sid=x").first == 400);
}
