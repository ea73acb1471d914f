// stats_event: the EVE stats layout (uptime first, counters nested, the rule
// set under detect.engines) built from exactly the report it is given.
#include "agent/output/stats_event.h"

#include <catch2/catch.hpp>

using namespace vigil;

TEST_CASE("stats event: uptime first, counters nested, the given report under detect.engines") {
  CounterSnapshot c{{"decoder.pkts", 10}, {"detect.alert", 2}, {"flow.total", 3}};
  rules::LoadReport rep;
  rep.rules_loaded = 7;
  rep.rules_failed = 2;
  Json j = stats_event(c, std::chrono::seconds(42), &rep, Timestamp{1715693400, 0});
  CHECK(j["event_type"] == "stats");
  CHECK(j["timestamp"] == format_eve_time(Timestamp{1715693400, 0}));
  const Json& st = j["stats"];
  REQUIRE(!st.empty());
  CHECK(st.begin().key() == "uptime");
  CHECK(st["uptime"] == 42);
  CHECK(st["decoder"]["pkts"] == 10);
  CHECK(st["flow"]["total"] == 3);
  // The detect counters and the engine description share the section.
  CHECK(st["detect"]["alert"] == 2);
  REQUIRE(st["detect"]["engines"].size() == 1);
  CHECK(st["detect"]["engines"][0]["rules_loaded"] == 7);
  CHECK(st["detect"]["engines"][0]["rules_failed"] == 2);
}

TEST_CASE("stats event without rules has no engines") {
  Json j = stats_event({{"detect.alert", 0}}, std::chrono::seconds(1), nullptr, Timestamp{1, 0});
  CHECK(j["stats"]["detect"]["alert"] == 0);
  CHECK_FALSE(j["stats"]["detect"].contains("engines"));
}
