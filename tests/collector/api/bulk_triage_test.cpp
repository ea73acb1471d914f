// POST /api/v1/alerts/triage over a selection of several thousand alerts: a
// store failure part-way (a trigger that aborts the history insert of one
// alert, as a full disk or I/O error would) leaves every alert as it was and
// no audit entry; the same request then applies to all of them with exactly
// one audit entry that names the filter, the change and the count; a
// selection above triage.bulk_max is refused with 413 before anything changes.
#include <sqlite3.h>

#include <catch2/catch.hpp>

#include "../collector_fixture.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

constexpr int kAlerts = 2500;  // more than one chunk of 1000 (how bulk triage once committed)

struct BulkFixture : Fixture {
  std::string analyst_key = "vk_" + random_hex(16);
  explicit BulkFixture(const char* name) : Fixture(name) {
    REQUIRE(store->create_api_key(sha256_hex(analyst_key), Role::kAnalyst, 1).ok);
    std::vector<IngestEvent> ev;
    for (int i = 0; i < kAlerts; ++i) {
      json eve = {{"timestamp", "2026-01-01T00:00:01.000000+0000"},
                  {"event_type", "alert"},
                  {"src_ip", "10.0.0.1"},
                  {"dest_ip", "10.0.0.2"},
                  {"alert", {{"signature_id", i < kAlerts - 1 ? 100 : 200}, {"gid", 1}, {"severity", 2}}}};
      ev.emplace_back("b-" + std::to_string(i), eve);
    }
    IngestResult r;
    REQUIRE(store->ingest_batch("ag-t", 1, ev, 1, &r).ok);
  }
  void sql(const std::string& text) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((dir + "/c.db").c_str(), &db) == SQLITE_OK);
    sqlite3_busy_timeout(db, 5000);
    int rc = sqlite3_exec(db, text.c_str(), nullptr, nullptr, nullptr);
    sqlite3_close(db);
    REQUIRE(rc == SQLITE_OK);
  }
  int64_t count(const std::string& status) {
    AlertListQuery q;
    q.filter.statuses = {status};
    q.want_total = true;
    q.limit = 1;
    AlertListPage p;
    REQUIRE(store->list_alerts(q, &p).ok);
    return p.total;
  }
  httplib::Result triage(const json& body) {
    return client(analyst_key).Post("/api/v1/alerts/triage", body.dump(), "application/json");
  }
  std::vector<AuditEntry> triage_audit() {
    std::vector<AuditEntry> out;
    for (auto& e : store->list_audit({}))
      if (e.action == "alert.triage") out.push_back(e);
    return out;
  }
};

const json kRequest = {
    {"filter", {{"sid", 100}}}, {"all", true}, {"status", "closed"}, {"assignee", "carol"}};

}  // namespace

TEST_CASE("bulk triage over several chunks is all or nothing, with one audit entry", "[triage]") {
  BulkFixture f("bulk-atomic");
  // The oldest alert of the selection fails to take its history row.
  f.sql(
      "CREATE TRIGGER fail_one BEFORE INSERT ON alert_triage_history WHEN NEW.alert_id=(SELECT MIN(id) FROM "
      "alerts) BEGIN SELECT RAISE(ABORT, 'injected failure'); END;");
  auto bad = f.triage(kRequest);
  REQUIRE(bad);
  CHECK(bad->status == 500);
  CHECK(f.count("new") == kAlerts);
  CHECK(f.count("closed") == 0);
  CHECK(f.triage_audit().empty());

  f.sql("DROP TRIGGER fail_one;");
  auto ok = f.triage(kRequest);
  REQUIRE(ok);
  REQUIRE(ok->status == 200);
  CHECK(json::parse(ok->body)["updated"] == kAlerts - 1);
  CHECK(f.count("closed") == kAlerts - 1);
  CHECK(f.count("new") == 1);
  auto audit = f.triage_audit();
  REQUIRE(audit.size() == 1);
  CHECK(audit[0].target == "alerts");
  CHECK(audit[0].detail["filter"]["sid"] == 100);
  CHECK(audit[0].detail["status"] == "closed");
  CHECK(audit[0].detail["assignee"] == "carol");
  CHECK(audit[0].detail["count"] == kAlerts - 1);
  CHECK(audit[0].detail["changed"] == kAlerts - 1);
  // History per alert and field, as for one alert.
  auto t = f.store->get_triage(2);
  REQUIRE(t);
  CHECK(t->history.size() == 2);

  // The same again changes nothing and says so, still once.
  auto again = f.triage(kRequest);
  REQUIRE(again);
  REQUIRE(again->status == 200);
  audit = f.triage_audit();
  REQUIRE(audit.size() == 2);
  CHECK(audit[0].detail["count"] == kAlerts - 1);
  CHECK(audit[0].detail["changed"] == 0);
}

TEST_CASE("bulk triage by ids audits the ids - nothing matched is still one entry", "[triage]") {
  BulkFixture f("bulk-ids");
  auto r = f.triage(json{{"ids", {1, 2, 99999}}, {"status", "acknowledged"}});
  REQUIRE(r);
  REQUIRE(r->status == 200);
  CHECK(json::parse(r->body)["updated"] == 2);
  auto none = f.triage(json{{"ids", {99998}}, {"status", "acknowledged"}});
  REQUIRE(none);
  REQUIRE(none->status == 200);
  CHECK(json::parse(none->body)["updated"] == 0);
  auto audit = f.triage_audit();
  REQUIRE(audit.size() == 2);
  CHECK(audit[1].detail["ids"] == json::array({1, 2, 99999}));
  CHECK(audit[1].detail["count"] == 2);
  CHECK(audit[1].detail["changed"] == 2);
  CHECK(audit[0].detail["ids"] == json::array({99998}));
  CHECK(audit[0].detail["count"] == 0);
}

TEST_CASE("bulk triage above triage.bulk_max is refused with 413 and changes nothing", "[triage]") {
  BulkFixture f("bulk-max");
  f.stop_server();
  f.opts.bulk_triage_max = 2000;
  f.start_server();
  auto r = f.triage(kRequest);
  REQUIRE(r);
  CHECK(r->status == 413);
  CHECK(r->body.find("triage.bulk_max") != std::string::npos);
  CHECK(f.count("new") == kAlerts);
  CHECK(f.triage_audit().empty());
  // At the limit it goes through.
  f.stop_server();
  f.opts.bulk_triage_max = kAlerts - 1;
  f.start_server();
  auto at = f.triage(kRequest);
  REQUIRE(at);
  CHECK(at->status == 200);
  CHECK(f.count("closed") == kAlerts - 1);
}
