// The served OpenAPI document: every fragment parses, no operation is
// documented twice, and every route of the server's table is in it with its
// method, so a route added without documentation fails here.
#include "collector/api/openapi.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <set>

#include "collector/server.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {
// "/api/v1/agents/{id}/heartbeats" -> "/api/v1/agents/*/heartbeats", as the route table writes it.
std::string route_form(const std::string& path) {
  std::string out;
  for (size_t i = 0; i < path.size(); ++i) {
    if (path[i] == '{') {
      out += '*';
      i = path.find('}', i);
      if (i == std::string::npos) break;
    } else {
      out += path[i];
    }
  }
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}
}  // namespace

TEST_CASE("openapi: the fragments merge without errors into an OpenAPI 3.0 document") {
  REQUIRE(openapi_fragments().size() >= 2);
  std::string error;
  json doc = json::parse(openapi_document(&error), nullptr, false);
  CHECK(error.empty());
  REQUIRE(doc.is_object());
  CHECK(doc["openapi"].get<std::string>().rfind("3.0", 0) == 0);
  CHECK(doc["components"]["schemas"].contains("Error"));
}

TEST_CASE("openapi: every route in the server's table is documented with its method") {
  json doc = json::parse(openapi_document());
  std::set<std::pair<std::string, std::string>> documented;
  for (auto& [path, methods] : doc["paths"].items())
    for (auto& [m, op] : methods.items()) documented.emplace(lower(m), route_form(path));
  auto routes = CollectorServer::route_list();
  REQUIRE(routes.size() >= 20);
  for (const auto& [method, path] : routes) {
    INFO(method << " " << path);
    CHECK(documented.count({lower(method), path}) == 1);
  }
  // And the document names no route the server does not have.
  for (const auto& [method, path] : documented) {
    INFO(method << " " << path);
    bool served = false;
    for (const auto& [m, p] : routes) served |= lower(m) == method && p == path;
    CHECK(served);
  }
}
