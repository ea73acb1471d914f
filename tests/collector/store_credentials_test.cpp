// Credentials that can be withdrawn (API keys: list, revoke, expiry, last
// use; tokens: revoke), the migration of a database made before those
// columns, and heartbeat retention, with times injected.
#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "collector/store/store.h"
#include "store_test_util.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

std::string temp_db(const char* name) {
  auto d = std::filesystem::temp_directory_path() /
           (std::string("vigil-cred-") + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return (d / "c.db").string();
}

// Hashes as the server makes them are 64 hex digits; the id is the first 12.
std::string hash_of(char c) {
  return std::string(64, c);
}

}  // namespace

TEST_CASE("API keys: revocation and expiry refuse on the next check - list shows id, role, times, revoked") {
  std::string err;
  auto store = test::open_test_store(std::filesystem::path(temp_db("keys")).parent_path().string(), &err);
  REQUIRE(store);
  REQUIRE(store->create_api_key(hash_of('a'), Role::kAdmin, 100, 0).ok);      // never expires
  REQUIRE(store->create_api_key(hash_of('b'), Role::kViewer, 100, 1000).ok);  // expires at 1000
  CHECK(store->api_key_role(hash_of('a'), 500) == Role::kAdmin);
  CHECK(store->api_key_role(hash_of('b'), 999) == Role::kViewer);
  CHECK_FALSE(store->api_key_role(hash_of('b'), 1000));  // expired at its expiry time
  CHECK_FALSE(store->api_key_role(hash_of('c'), 500));   // unknown

  auto keys = store->list_api_keys();
  REQUIRE(keys.size() == 2);
  CHECK(keys[0].id == std::string(kCredentialIdLen, 'a'));
  CHECK(keys[0].role == Role::kAdmin);
  CHECK(keys[0].created_at == 100);
  CHECK(keys[0].expires_at == 0);
  CHECK(keys[0].last_used == 500);  // the check records its use
  CHECK_FALSE(keys[0].revoked);
  CHECK(keys[1].expires_at == 1000);
  CHECK(keys[1].last_used == 999);

  // Uses within a minute of the last recorded one are not written again.
  CHECK(store->api_key_role(hash_of('a'), 530) == Role::kAdmin);
  CHECK(store->list_api_keys()[0].last_used == 500);
  CHECK(store->api_key_role(hash_of('a'), 560) == Role::kAdmin);
  CHECK(store->list_api_keys()[0].last_used == 560);

  CHECK_FALSE(store->revoke_api_key("aaaa"));  // ids are exact, never a prefix
  CHECK_FALSE(store->revoke_api_key(""));
  CHECK_FALSE(store->revoke_api_key(std::string(kCredentialIdLen, 'c')));
  CHECK(store->revoke_api_key(std::string(kCredentialIdLen, 'a')));
  CHECK_FALSE(store->api_key_role(hash_of('a'), 561));
  CHECK(store->list_api_keys()[0].revoked);
  CHECK_FALSE(store->list_api_keys()[1].revoked);
}

TEST_CASE("tokens: a revoked token cannot be used and is listed as revoked") {
  std::string err;
  auto store = test::open_test_store(std::filesystem::path(temp_db("tokens")).parent_path().string(), &err);
  REQUIRE(store);
  REQUIRE(store->create_token(hash_of('d'), 100, 10000, 5).ok);
  REQUIRE(store->create_token(hash_of('e'), 100, 10000, 5).ok);
  CHECK(store->use_token(hash_of('d'), 200) == TokenUse::kOk);
  CHECK(store->revoke_token(std::string(kCredentialIdLen, 'd')));
  CHECK_FALSE(store->revoke_token(std::string(kCredentialIdLen, 'f')));
  CHECK(store->use_token(hash_of('d'), 201) == TokenUse::kUnknown);
  CHECK(store->use_token(hash_of('e'), 201) == TokenUse::kOk);
  auto toks = store->list_tokens();
  REQUIRE(toks.size() == 2);
  CHECK(toks[0].id == std::string(kCredentialIdLen, 'd'));
  CHECK(toks[0].revoked);
  CHECK(toks[0].uses_left == 4);
  CHECK_FALSE(toks[1].revoked);
}

TEST_CASE("a database from before revocable credentials gains the columns and keeps its keys", "[sqlite]") {
  std::string path = temp_db("migrate");
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    std::string old_schema =
        "CREATE TABLE tokens(hash TEXT PRIMARY KEY, created_at INT NOT NULL, expires_at INT NOT NULL, "
        "uses_left INT NOT NULL);"
        "CREATE TABLE api_keys(hash TEXT PRIMARY KEY, role INT NOT NULL, created_at INT NOT NULL);"
        "INSERT INTO api_keys VALUES('" +
        std::string(64, 'a') +
        "', 2, 50);"
        "INSERT INTO tokens VALUES('" +
        std::string(64, 'd') + "', 50, 10000, 1);";
    REQUIRE(sqlite3_exec(db, old_schema.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  std::string err;
  auto store = open_sqlite_store(path, &err);
  REQUIRE(store);
  CHECK(store->api_key_role(hash_of('a'), 100) == Role::kAdmin);  // old keys never expire
  auto keys = store->list_api_keys();
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].expires_at == 0);
  CHECK_FALSE(keys[0].revoked);
  CHECK(store->revoke_api_key(std::string(kCredentialIdLen, 'a')));
  CHECK_FALSE(store->api_key_role(hash_of('a'), 101));
  CHECK(store->revoke_token(std::string(kCredentialIdLen, 'd')));
  CHECK(store->use_token(hash_of('d'), 100) == TokenUse::kUnknown);
  store.reset();
  // Opening again finds the columns there (nothing added twice).
  REQUIRE(open_sqlite_store(path, &err));
}

TEST_CASE("heartbeat retention: history older than the window and beyond N per agent is pruned") {
  std::string err;
  auto store = test::open_test_store(std::filesystem::path(temp_db("hb")).parent_path().string(), &err);
  REQUIRE(store);
  REQUIRE(store->add_agent("ag-1", "k", "h1", 0).ok);
  REQUIRE(store->add_agent("ag-2", "k", "h2", 0).ok);
  for (int t = 1; t <= 10; ++t) REQUIRE(store->record_heartbeat("ag-1", {{"n", t}}, t * 100).ok);
  for (int t = 1; t <= 3; ++t) REQUIRE(store->record_heartbeat("ag-2", {{"n", t}}, t * 100).ok);

  uint64_t pruned = 0;
  // Window only: everything received before 450 goes (ag-1: 100..400, ag-2: all three).
  REQUIRE(store->prune_heartbeats(450, 0, &pruned).ok);
  CHECK(pruned == 7);
  auto h1 = store->heartbeat_history("ag-1", 100);
  REQUIRE(h1.size() == 6);
  CHECK(h1.back()["received_at"] == 500);
  CHECK(store->heartbeat_history("ag-2", 100).empty());
  // The latest heartbeat kept on the agent stays.
  CHECK(store->list_agents()[1].last_heartbeat["n"] == 3);

  // Count limit: the newest 4 of ag-1 stay.
  REQUIRE(store->prune_heartbeats(0, 4, &pruned).ok);
  CHECK(pruned == 2);
  h1 = store->heartbeat_history("ag-1", 100);
  REQUIRE(h1.size() == 4);
  CHECK(h1.front()["received_at"] == 1000);
  CHECK(h1.back()["received_at"] == 700);

  // Both: the window is the stricter one here.
  REQUIRE(store->prune_heartbeats(950, 4, &pruned).ok);
  CHECK(pruned == 3);
  REQUIRE(store->heartbeat_history("ag-1", 100).size() == 1);

  // Nothing left to prune.
  REQUIRE(store->prune_heartbeats(950, 4, &pruned).ok);
  CHECK(pruned == 0);
}

TEST_CASE("heartbeat retention: same-second heartbeats are cut by arrival order, in chunks", "[sqlite]") {
  std::string err, path = temp_db("hb2");
  auto store = open_sqlite_store(path, &err);
  REQUIRE(store);
  REQUIRE(store->add_agent("ag-1", "k", "h1", 0).ok);
  // 12,000 rows in one transaction (record_heartbeat syncs each one).
  {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    std::string sql = "BEGIN;";
    for (int i = 0; i < 12000; ++i)
      sql += "INSERT INTO heartbeats(agent_id, ts, json) VALUES('ag-1', 5, '{\"n\":" + std::to_string(i) +
             "}');";
    sql += "COMMIT;";
    REQUIRE(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  uint64_t pruned = 0;
  REQUIRE(store->prune_heartbeats(0, 10, &pruned).ok);
  CHECK(pruned == 11990);  // more than one chunk of deletes
  auto h = store->heartbeat_history("ag-1", 100);
  REQUIRE(h.size() == 10);
  CHECK(h.front()["n"] == 11999);
  CHECK(h.back()["n"] == 11990);
}
