// Request targets are split and percent-decoded; malformed escapes are refused.
#include "collector/http/message.h"

#include <catch2/catch.hpp>

using namespace vigil::collector;

TEST_CASE("targets: path and query decoded, malformed escapes refused") {
  std::string path;
  std::vector<std::pair<std::string, std::string>> q;
  REQUIRE(
      parse_target("/api/v1/alerts?src_ip=10.0.0.1&from=2026-01-02T00%3A00%3A00Z&x&a+b=c%20d", &path, &q));
  CHECK(path == "/api/v1/alerts");
  REQUIRE(q.size() == 4);
  CHECK(q[1] == std::pair<std::string, std::string>{"from", "2026-01-02T00:00:00Z"});
  CHECK(q[2].first == "x");
  CHECK(q[2].second.empty());
  CHECK(q[3] == std::pair<std::string, std::string>{"a b", "c d"});
  CHECK_FALSE(parse_target("/a?x=%zz", &path, &q));
  CHECK_FALSE(parse_target("/a?x=%4", &path, &q));
  CHECK_FALSE(parse_target("/a%", &path, &q));
  CHECK_FALSE(parse_target("http://x/a", &path, &q));
  CHECK_FALSE(parse_target("", &path, &q));
  REQUIRE(parse_target("/a%2Fb", &path, &q));
  CHECK(path == "/a/b");
}

TEST_CASE("error responses are {error, detail} JSON") {
  Response r = Response::error(413, "body too large", "at most 10 bytes");
  CHECK(r.status == 413);
  auto j = nlohmann::json::parse(r.body);
  CHECK(j["error"] == "body too large");
  CHECK(j["detail"] == "at most 10 bytes");
  CHECK(r.content_type == "application/json");
}
