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

TEST_CASE("stats event: Suricata's counters stay in place, Vigil's own go under stats.vigil") {
  CounterSnapshot c{{"decoder.pkts", 10},       {"decoder.event.link.pkt_too_small", 1},
                    {"output.eve.tx", 4},       {"tcp.syn", 2},
                    {"tcp.retransmissions", 3}, {"capture.kernel_drops", 5}};
  rules::LoadReport rep;
  rep.rules_loaded = 7;
  rep.compile_ms = 12;
  Json st = stats_event(c, std::chrono::seconds(1), &rep, Timestamp{1, 0})["stats"];
  CHECK(st["decoder"]["pkts"] == 10);
  CHECK(st["tcp"]["syn"] == 2);
  CHECK(st["capture"]["kernel_drops"] == 5);
  CHECK_FALSE(st["decoder"].contains("event"));
  CHECK_FALSE(st["tcp"].contains("retransmissions"));
  CHECK_FALSE(st.contains("output"));
  CHECK(st["vigil"]["decoder"]["event"]["link"]["pkt_too_small"] == 1);
  CHECK(st["vigil"]["tcp"]["retransmissions"] == 3);
  CHECK(st["vigil"]["output"]["eve"]["tx"] == 4);
  // The load report: Suricata's fields in detect.engines, the rest beside it.
  CHECK(st["detect"]["engines"][0]["rules_loaded"] == 7);
  CHECK_FALSE(st["detect"]["engines"][0].contains("compile_ms"));
  CHECK(st["vigil"]["detect"]["engines"][0]["compile_ms"] == 12);
  CHECK(st.back().is_object());
  CHECK((--st.end()).key() == "vigil");
}

TEST_CASE("stats event: the alert rate limit's summary under vigil.detect, only when something was dropped") {
  CounterSnapshot c{{"detect.alert", 5000}, {"detect.alerts_rate_limited", 4200}};
  Json none = stats_event(c, std::chrono::seconds(1), nullptr, Timestamp{1715693400, 0});
  CHECK(none["stats"]["vigil"]["detect"]["alerts_rate_limited"] == 4200);
  CHECK_FALSE(none["stats"]["vigil"]["detect"].contains("alerts_rate_limited_by_signature"));
  Json j = stats_event(c, std::chrono::seconds(1), nullptr, Timestamp{1715693400, 0},
                       {{1, 9000001, 4000, 4000}, {3, 7, 200, 250}});
  const Json& by = j["stats"]["vigil"]["detect"]["alerts_rate_limited_by_signature"];
  REQUIRE(by.size() == 2);
  CHECK(by[0] == Json{{"gid", 1}, {"sid", 9000001}, {"dropped", 4000}, {"total", 4000}});
  CHECK(by[1]["gid"] == 3);
  CHECK(by[1]["dropped"] == 200);
  CHECK(by[1]["total"] == 250);
  CHECK(j["stats"]["detect"]["alert"] == 5000);
}
