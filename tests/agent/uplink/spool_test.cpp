#include "agent/uplink/spool.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "agent/uplink/uplink.h"

using namespace vigil;

namespace {

std::string spool_path(const char* name) {
  auto d = std::filesystem::temp_directory_path() /
           (std::string("vigil-spool-") + name + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return (d / "spool.db").string();
}

std::string ev(int i) {
  return R"({"event_type":"alert","n":)" + std::to_string(i) + "}";
}

std::unique_ptr<Spool> open_spool(const std::string& path, uint64_t max_bytes = 1 << 20) {
  std::string err;
  auto s = Spool::open({path, max_bytes}, &err);
  INFO(err);
  REQUIRE(s);
  return s;
}

}  // namespace

TEST_CASE("spooled events survive a reopen and batches are resent with the same number") {
  std::string path = spool_path("reopen");
  {
    auto s = open_spool(path);
    for (int i = 0; i < 10; ++i) REQUIRE(s->append("u" + std::to_string(i), "alert", ev(i)));
    REQUIRE(s->flush());
    CHECK(s->depth() == 10);
    CHECK(s->unbatched() == 10);
    CHECK_FALSE(s->next_batch(4, false));  // nothing formed unless asked
    auto b = s->next_batch(4, true);
    REQUIRE(b);
    CHECK(b->seq == 1);
    REQUIRE(b->rows.size() == 4);
    CHECK(b->rows[0].uid == "u0");
    CHECK(s->unbatched() == 6);
  }
  auto s = open_spool(path);
  CHECK(s->depth() == 10);
  CHECK(s->unbatched() == 6);
  auto again = s->next_batch(4, true);  // the unacknowledged batch first, unchanged
  REQUIRE(again);
  CHECK(again->seq == 1);
  CHECK(again->rows.size() == 4);
  CHECK(again->rows[3].json == ev(3));
  s->ack(1);
  CHECK(s->depth() == 6);
  auto b2 = s->next_batch(100, true);
  REQUIRE(b2);
  CHECK(b2->seq == 2);
  CHECK(b2->rows.size() == 6);
  CHECK(b2->rows[0].uid == "u4");
  s->ack(2);
  CHECK(s->depth() == 0);
  CHECK(s->bytes() == 0);
  CHECK_FALSE(s->next_batch(100, true));
}

TEST_CASE("a full spool drops the oldest events and counts them, across restarts") {
  std::string path = spool_path("cap");
  uint64_t one = 2 + 5 + ev(0).size() + 16;  // uid "uN", type, json, overhead
  {
    auto s = open_spool(path, one * 10);
    for (int i = 0; i < 25; ++i) REQUIRE(s->append("u" + std::to_string(i % 10), "alert", ev(i % 10)));
    REQUIRE(s->flush());
    CHECK(s->depth() == 10);
    CHECK(s->dropped() == 15);
    CHECK(s->bytes() <= one * 10);
    auto b = s->next_batch(100, true);
    REQUIRE(b);
    CHECK(b->rows.front().json == ev(5));  // events 15..24 remain: n = 5..9, 0..4
  }
  auto s = open_spool(path, one * 10);
  CHECK(s->dropped() == 15);
  uint64_t seen = 0;
  s->visit_counters([&](std::string_view name, uint64_t v) {
    if (name == "spool.dropped") seen = v;
  });
  CHECK(seen == 15);
}

TEST_CASE("concurrent appends are all committed (group commit)") {
  auto s = open_spool(spool_path("concurrent"));
  std::vector<std::thread> ts;
  for (int t = 0; t < 4; ++t) {
    ts.emplace_back([&, t] {
      for (int i = 0; i < 200; ++i) s->append(std::to_string(t) + "-" + std::to_string(i), "alert", ev(i));
    });
  }
  for (auto& t : ts) t.join();
  REQUIRE(s->flush());
  CHECK(s->depth() == 800);
  uint64_t written = 0;
  s->visit_counters([&](std::string_view name, uint64_t v) {
    if (name == "spool.written") written = v;
  });
  CHECK(written == 800);
}

TEST_CASE("a full queue makes append wait (counted), loses nothing, and the destructor commits the rest") {
  std::string path = spool_path("queue");
  {
    std::string err;
    SpoolOptions o;
    o.path = path;
    o.queue_max = 4;  // each commit fsyncs: 1000 appends outrun the writer
    auto s = Spool::open(o, &err);
    REQUIRE(s);
    for (int i = 0; i < 1000; ++i) REQUIRE(s->append("q" + std::to_string(i), "alert", ev(i)));
    uint64_t waits = 0;
    s->visit_counters([&](std::string_view name, uint64_t v) {
      if (name == "spool.queue_full_waits") waits = v;
    });
    CHECK(waits > 0);
  }  // no flush: the destructor commits what is queued
  auto s = open_spool(path);
  CHECK(s->depth() == 1000);
  auto b = s->next_batch(2000, true);
  REQUIRE(b);
  REQUIRE(b->rows.size() == 1000);
  CHECK(b->rows[999].uid == "q999");
}

TEST_CASE("event uids are canonical: host, agent_id and flow_id do not matter, key order does not matter") {
  std::string a = R"({"timestamp":"t","event_type":"alert","src_ip":"1.2.3.4","flow_id":1,"host":"a"})";
  std::string b = R"({"host":"b","src_ip":"1.2.3.4","event_type":"alert","flow_id":2,"timestamp":"t"})";
  std::string c = R"({"timestamp":"t2","event_type":"alert","src_ip":"1.2.3.4"})";
  CHECK(compute_event_uid("ag-1", a) == compute_event_uid("ag-1", b));
  CHECK(compute_event_uid("ag-1", a) != compute_event_uid("ag-2", a));
  CHECK(compute_event_uid("ag-1", a) != compute_event_uid("ag-1", c));
  CHECK(compute_event_uid("ag-1", a).size() == 64);
}

TEST_CASE("an unenrolled state directory is reported, not crashed on") {
  std::string err;
  UplinkConfig cfg;
  cfg.state_dir = std::filesystem::path(spool_path("noenrol")).parent_path().string();
  CHECK_FALSE(is_enrolled(cfg.state_dir));
  CHECK_FALSE(Uplink::open(cfg, &err));
  CHECK(err.find("not enrolled") != std::string::npos);
}
