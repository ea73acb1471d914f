// A real collector (store + HTTPS server on 127.0.0.1, any free port) for
// tests, with an admin and a viewer API key. Not thread-safe; one per test.
// The store is SQLite (DIR/c.db), or a new PostgreSQL database when the test
// runs in the collector[pg] registration (store_test_util.h).
#pragma once

#include <httplib.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <thread>

#include "collector/server.h"
#include "store_test_util.h"

namespace vigil::collector {

using nlohmann::json;

struct Fixture {
  std::string dir;
  std::unique_ptr<Store> store;
  TlsMaterial tls;
  std::unique_ptr<CollectorServer> server;
  std::thread th;
  std::string admin_key, viewer_key;
  ServerOptions opts;
  RulesetValidator validator;

  explicit Fixture(const char* name, RulesetValidator v = nullptr) {
    dir = (std::filesystem::temp_directory_path() /
           (std::string("vigil-srv-") + name + std::to_string(getpid())))
              .string();
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    std::string err;
    store = test::open_test_store(dir, &err);
    INFO(err);
    REQUIRE(store);
    REQUIRE(ensure_tls_material(dir, {"127.0.0.1", "localhost"}, &tls, &err));
    opts.host = "127.0.0.1";
    opts.port = 0;
    opts.cert_path = tls.server_cert_path;
    opts.key_path = tls.server_key_path;
    opts.threads = 4;
    opts.heartbeat_interval_s = 1;
    opts.offline_after_s = 3;
    if (!v) {
      v = [](const std::string& text) {
        RulesetCheck c;
        c.usable = true;
        c.rules_loaded = 1;
        if (text.find("bad") != std::string::npos) {
          c.rules_failed = 1;
          c.errors.push_back("rules:2: sid 9: bad rule");
        }
        return c;
      };
    }
    validator = v;
    start_server();
    admin_key = "vk_" + random_hex(16);
    viewer_key = "vk_" + random_hex(16);
    REQUIRE(store->create_api_key(sha256_hex(admin_key), Role::kAdmin, 1).ok);
    REQUIRE(store->create_api_key(sha256_hex(viewer_key), Role::kViewer, 1).ok);
  }
  ~Fixture() { stop_server(); }
  void start_server() {
    std::string err;
    server = std::make_unique<CollectorServer>(*store, opts, validator);
    REQUIRE(server->start(&err));
    opts.port = server->port();  // a restart comes back on the same port
    th = std::thread([this] { server->run(); });
  }
  void stop_server() {
    if (!server) return;
    server->stop();
    th.join();
    server.reset();
  }
  int port() const { return opts.port; }
  std::unique_ptr<httplib::SSLClient> client_ptr(const std::string& bearer = "") {
    auto c = std::make_unique<httplib::SSLClient>("127.0.0.1", port());
    c->set_ca_cert_path(tls.ca_cert_path.c_str());
    c->enable_server_certificate_verification(true);
    if (!bearer.empty()) c->set_bearer_token_auth(bearer.c_str());
    return c;
  }
  httplib::SSLClient& client(const std::string& bearer = "") {
    clients.push_back(client_ptr(bearer));
    return *clients.back();
  }
  std::vector<std::unique_ptr<httplib::SSLClient>> clients;
  // Enrols with a fresh token; returns "AGENT_ID.KEY".
  std::string enroll() {
    std::string token = random_hex(16);
    REQUIRE(store->create_token(sha256_hex(token), 0, INT64_MAX, 1).ok);
    auto& c = client();
    auto r = c.Post("/api/v1/enroll", json{{"token", token}, {"hostname", "h1"}}.dump(), "application/json");
    REQUIRE(r);
    REQUIRE(r->status == 200);
    json j = json::parse(r->body);
    return j["agent_id"].get<std::string>() + "." + j["key"].get<std::string>();
  }
};

}  // namespace vigil::collector
