#include "collector/api/openapi.h"

#include <nlohmann/json.hpp>

#include "collector/server.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

struct Built {
  std::string text, error;
};

Built build() {
  json doc{{"openapi", "3.0.3"},
           {"info",
            {{"title", "Vigil collector API"},
             {"version", "1"},
             {"description",
              "Agents use Bearer AGENT_ID.KEY; scripts an API key or a user token (Bearer); browsers the "
              "session cookie from POST /api/v1/session plus X-CSRF-Token on every request but GET. "
              "Refusals are {\"error\", \"detail\"}."}}},
           {"paths", json::object()},
           {"components",
            {{"securitySchemes",
              {{"bearer", {{"type", "http"}, {"scheme", "bearer"}}},
               {"session", {{"type", "apiKey"}, {"in", "cookie"}, {"name", "vigil_session"}}},
               {"csrf", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-CSRF-Token"}}}}},
             {"schemas", json::object()}}},
           {"security", json::array({json{{"bearer", json::array()}},
                                     json{{"session", json::array()}, {"csrf", json::array()}}})}};
  std::string error;
  for (const auto& [name, text] : openapi_fragments()) {
    json f = json::parse(text, nullptr, false);
    if (f.is_discarded() || !f.is_object()) {
      error += std::string(name) + ": not a JSON object\n";
      continue;
    }
    const json paths = f.value("paths", json::object()), components = f.value("components", json::object());
    for (auto& [path, methods] : paths.items()) {
      json& dst = doc["paths"][path];
      for (auto& [m, op] : methods.items()) {
        if (dst.contains(m)) error += std::string(name) + ": " + m + " " + path + " documented twice\n";
        dst[m] = op;
      }
    }
    for (auto& [kind, items] : components.items()) {
      for (auto& [k, v] : items.items()) doc["components"][kind][k] = v;
    }
  }
  return {doc.dump(), error};
}

}  // namespace

const std::string& openapi_document(std::string* error) {
  static const Built b = build();
  if (error) *error = b.error;
  return b.text;
}

Response CollectorServer::openapi(const Caller&, const RequestHead&, std::string) {
  Response r;
  r.status = 200;
  r.body = openapi_document();
  return r;
}

}  // namespace vigil::collector
