// The web UI's static files (collector/web_ui.h): the embedded files served
// over real TLS with their Content-Type and the hardening headers on every
// answer, index.html for the app's pages, 404 for unknown files and escapes,
// 405 for writes; and a folder on disk (web.dir) served instead when set.
#include "collector/web_ui.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "tests/collector/collector_fixture.h"

using namespace vigil::collector;

namespace {

void check_hardened(const httplib::Result& r) {
  REQUIRE(r);
  CHECK(r->get_header_value("Content-Security-Policy") == std::string(kWebCsp));
  CHECK(r->get_header_value("X-Content-Type-Options") == "nosniff");
  CHECK(r->get_header_value("Referrer-Policy") == "no-referrer");
  CHECK(r->get_header_value("X-Frame-Options") == "DENY");
}

RequestHead get(std::string path, std::string method = "GET") {
  RequestHead h;
  h.method = std::move(method);
  h.path = h.target = std::move(path);
  return h;
}

}  // namespace

TEST_CASE("the embedded web UI is served with its types and a strict CSP") {
  Fixture f("webui");
  auto& c = f.client();
  for (const char* page : {"/", "/ui", "/ui/", "/ui/alerts", "/ui/alerts/42", "/ui/dashboard"}) {
    INFO(page);
    auto r = c.Get(page);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == "text/html; charset=utf-8");
    CHECK(r->body.find("<script type=\"module\" src=\"/ui/js/main.js\">") != std::string::npos);
    check_hardened(r);
  }
  struct {
    const char* path;
    const char* type;
  } assets[] = {{"/ui/app.css", "text/css; charset=utf-8"},
                {"/ui/js/main.js", "text/javascript; charset=utf-8"},
                {"/ui/i18n/en.js", "text/javascript; charset=utf-8"},
                {"/ui/favicon.svg", "image/svg+xml"}};
  for (const auto& a : assets) {
    INFO(a.path);
    auto r = c.Get(a.path);
    REQUIRE(r);
    CHECK(r->status == 200);
    CHECK(r->get_header_value("Content-Type") == a.type);
    CHECK(!r->body.empty());
    check_hardened(r);
  }
  for (const char* missing : {"/ui/nope.js", "/ui/../server.cpp", "/ui/js/.hidden.js", "/ui/index.exe"}) {
    INFO(missing);
    auto r = c.Get(missing);
    REQUIRE(r);
    CHECK(r->status == 404);
    check_hardened(r);
  }
  auto post = c.Post("/ui/alerts", "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 405);
  check_hardened(post);
  // The API is untouched: still JSON, still asks for credentials.
  auto api = c.Get("/api/v1/alerts");
  REQUIRE(api);
  CHECK(api->status == 401);
}

TEST_CASE("web.dir serves the UI from disk, confined to that folder") {
  auto dir = std::filesystem::temp_directory_path() / ("vigil-webdir-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir / "js");
  std::ofstream(dir / "index.html") << "<p>from disk</p>";
  std::ofstream(dir / "js" / "x.js") << "export const x = 1;";
  std::ofstream(dir.parent_path() / "vigil-webdir-secret.js") << "secret";
  WebUi ui(dir.string());
  Response r = ui.serve(get("/ui/alerts"));
  CHECK(r.status == 200);
  CHECK(r.body == "<p>from disk</p>");
  r = ui.serve(get("/ui/js/x.js"));
  CHECK(r.status == 200);
  CHECK(r.content_type == "text/javascript; charset=utf-8");
  CHECK(r.body == "export const x = 1;");
  CHECK(ui.serve(get("/ui/../vigil-webdir-secret.js")).status == 404);
  CHECK(ui.serve(get("/ui/js/../../vigil-webdir-secret.js")).status == 404);
  CHECK(ui.serve(get("/ui/js/missing.js")).status == 404);
  CHECK(ui.serve(get("/ui/js/x.js", "DELETE")).status == 405);
  // The embedded files are a different root.
  CHECK(WebUi().serve(get("/ui/js/x.js")).status == 404);
  CHECK(WebUi::handles("/"));
  CHECK(WebUi::handles("/ui/x"));
  CHECK(!WebUi::handles("/api/v1/alerts"));
  CHECK(!WebUi::handles("/uix"));
  std::filesystem::remove_all(dir);
  std::filesystem::remove(dir.parent_path() / "vigil-webdir-secret.js");
}
