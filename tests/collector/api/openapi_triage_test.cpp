// The triage OpenAPI fragment is valid JSON, documents every triage and
// suppression route with its method, and every schema it refers to exists.
#include <catch2/catch.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

using nlohmann::json;

TEST_CASE("collector/api/openapi/triage.json documents the triage and suppression routes", "[triage]") {
  std::ifstream in(std::string(VIGIL_SOURCE_DIR) + "/collector/api/openapi/triage.json");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  json doc = json::parse(ss.str(), nullptr, false);
  REQUIRE(doc.is_object());
  CHECK(doc["openapi"].get<std::string>().rfind("3.0", 0) == 0);
  const json& paths = doc["paths"];
  for (auto [path, method] :
       std::vector<std::pair<const char*, const char*>>{{"/api/v1/alerts/{id}", "patch"},
                                                        {"/api/v1/alerts/{id}/triage", "get"},
                                                        {"/api/v1/alerts/triage", "post"},
                                                        {"/api/v1/suppressions", "get"},
                                                        {"/api/v1/suppressions", "post"},
                                                        {"/api/v1/suppressions/{id}", "delete"}}) {
    INFO(method << " " << path);
    REQUIRE(paths.contains(path));
    CHECK(paths[path].contains(method));
  }
  const std::string text = ss.str();
  std::regex ref("#/components/schemas/([A-Za-z]+)");
  for (auto it = std::sregex_iterator(text.begin(), text.end(), ref); it != std::sregex_iterator(); ++it) {
    INFO((*it)[1].str());
    CHECK(doc["components"]["schemas"].contains((*it)[1].str()));
  }
}
