// The triage request bodies: what is accepted and what is refused, with the
// field named.
#include "collector/api/triage_request.h"

#include <catch2/catch.hpp>

using namespace vigil::collector;
using nlohmann::json;

TEST_CASE("parse_triage_change", "[triage]") {
  TriageChange c;
  std::string why;
  REQUIRE(parse_triage_change(json{{"status", "escalated"}, {"assignee", nullptr}}, &c, &why, false));
  CHECK(c.status == std::optional<std::string>("escalated"));
  CHECK(c.assignee == std::optional<std::string>(""));
  CHECK(!c.comment);
  for (auto [body, field] : std::vector<std::pair<json, std::string>>{
           {json{{"status", "done"}}, "status"},
           {json{{"status", 1}}, "status"},
           {json{{"comment", ""}}, "comment"},
           {json{{"comment", std::string(kMaxCommentLen + 1, 'x')}}, "comment"},
           {json{{"assignee", std::string(kMaxAssigneeLen + 1, 'x')}}, "assignee"},
           {json{{"ids", json::array({1})}, {"status", "new"}}, "ids"},
           {json::object(), "nothing"}}) {
    CHECK(!parse_triage_change(body, &c, &why, false));
    CHECK(why.find(field) == 0);
  }
  CHECK(parse_triage_change(json{{"comment", std::string(kMaxCommentLen, 'x')}}, &c, &why, false));
}

TEST_CASE("parse_bulk_triage", "[triage]") {
  BulkTriageRequest r;
  std::string why;
  REQUIRE(parse_bulk_triage(json{{"ids", {1, 2, 3}}, {"status", "closed"}}, &r, &why));
  CHECK(r.ids == std::vector<int64_t>{1, 2, 3});
  CHECK(!r.filter);
  REQUIRE(parse_bulk_triage(json{{"filter",
                                  {{"sid", 2001},
                                   {"src_ip", "10.0.0.0/8"},
                                   {"from", 1700000000},
                                   {"to", "2026-01-02T00:00:00Z"},
                                   {"status", "new"}}},
                                 {"assignee", "alice"}},
                            &r, &why));
  REQUIRE(r.filter);
  CHECK(r.filter->sids == std::vector<int64_t>{2001});
  CHECK(r.filter->src_ip.has_value());
  CHECK(r.filter->statuses == std::vector<std::string>{"new"});
  CHECK(r.filter->from_us == std::optional<int64_t>(1700000000LL * 1000000));
  CHECK(r.filter->to_us.has_value());
  CHECK(!parse_bulk_triage(json{{"status", "closed"}}, &r, &why));  // neither ids nor filter
  CHECK(!parse_bulk_triage(json{{"ids", {1}}, {"filter", json::object()}, {"status", "closed"}}, &r, &why));
  CHECK(!parse_bulk_triage(json{{"ids", {0}}, {"status", "closed"}}, &r, &why));
  CHECK(!parse_bulk_triage(json{{"ids", {-1}}, {"status", "closed"}}, &r, &why));
  CHECK(!parse_bulk_triage(json{{"filter", {{"nope", "x"}}}, {"status", "closed"}}, &r, &why));
  CHECK(why.find("filter.nope") == 0);
  CHECK(!parse_bulk_triage(json{{"filter", {{"limit", 5}}}, {"status", "closed"}}, &r, &why));
  json many = json::array();
  for (size_t i = 1; i <= kMaxBulkTriage + 1; ++i) many.push_back(i);
  CHECK(!parse_bulk_triage(json{{"ids", many}, {"status", "closed"}}, &r, &why));
  CHECK(parse_bulk_triage(json{{"ids", many}, {"status", "closed"}, {"all", true}}, &r, &why));
}
