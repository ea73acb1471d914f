// User accounts, sessions (idle and absolute expiry, with times injected)
// and user tokens in the AccountStore, SQLite and (collector[pg]) PostgreSQL.
#include "collector/store/account_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "../store_test_util.h"
#include "collector/store/pg_account_store.h"

using namespace vigil::collector;

namespace {

// The accounts on a new PostgreSQL database (url, in the collector[pg]
// registration) or on DIR/c.db.
std::unique_ptr<AccountStore> open_accounts(const std::string& dir, const std::optional<std::string>& url) {
  std::string err;
  auto s = url ? open_pg_account_store(*url, &err) : AccountStore::open(dir + "/c.db", &err);
  INFO(err);
  REQUIRE(s);
  return s;
}

std::unique_ptr<AccountStore> fresh(const char* name) {
  auto d = std::filesystem::temp_directory_path() /
           (std::string("vigil-acct-") + name + "-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return open_accounts(d.string(), test::fresh_pg_url());
}

UserRecord user(const std::string& name, Role role) {
  UserRecord u;
  u.name = name;
  u.role = role;
  u.password_hash = "$argon2id$x";
  u.created_at = u.updated_at = 100;
  return u;
}

}  // namespace

TEST_CASE("accounts: users are unique, listed and updated") {
  auto s = fresh("users");
  REQUIRE(s->add_user(user("alice", Role::kAdmin)).ok);
  REQUIRE(s->add_user(user("bob", Role::kViewer)).ok);
  auto dup = s->add_user(user("alice", Role::kViewer));
  CHECK_FALSE(dup.ok);
  CHECK(dup.message == "user alice exists");
  CHECK(s->get_user("alice")->role == Role::kAdmin);
  CHECK(s->count_users() == 2);
  bool found = false;
  UserUpdate up;
  up.role = Role::kAnalyst;
  REQUIRE(s->update_user("bob", up, 200, &found).ok);
  CHECK(found);
  auto bob = s->get_user("bob");
  CHECK(bob->role == Role::kAnalyst);
  CHECK(bob->updated_at == 200);
  CHECK(bob->password_hash == "$argon2id$x");  // unset fields stay
  REQUIRE(s->update_user("carol", up, 200, &found).ok);
  CHECK_FALSE(found);
  CHECK(s->list_users().size() == 2);
}

TEST_CASE("accounts: user names") {
  CHECK(user_name_problem("alice-2").empty());
  CHECK_FALSE(user_name_problem("").empty());
  CHECK_FALSE(user_name_problem("2alice").empty());
  CHECK_FALSE(user_name_problem("al ice").empty());
  CHECK_FALSE(user_name_problem("al/ice").empty());
  CHECK_FALSE(user_name_problem("me").empty());
  CHECK_FALSE(user_name_problem(std::string(65, 'a')).empty());
}

TEST_CASE("accounts: a session expires when idle and at its absolute limit") {
  auto s = fresh("sessions");
  REQUIRE(s->add_user(user("alice", Role::kAnalyst)).ok);
  SessionPolicy p{100, 1000};
  SessionInfo info;
  REQUIRE(s->create_session("h1", "alice", "csrf1", 0).ok);
  REQUIRE(s->check_session("h1", 99, p, &info) == SessionCheck::kOk);
  CHECK(info.user == "alice");
  CHECK(info.role == Role::kAnalyst);
  CHECK(info.csrf_token == "csrf1");
  // Used at 99: idle from there on.
  CHECK(s->check_session("h1", 198, p, &info) == SessionCheck::kOk);
  CHECK(s->check_session("h1", 198 + 100, p, &info) == SessionCheck::kExpired);
  CHECK(s->check_session("h1", 198, p, &info) == SessionCheck::kUnknown);  // deleted when found expired

  // Busy, but past the absolute limit.
  REQUIRE(s->create_session("h2", "alice", "csrf2", 0).ok);
  for (int64_t t = 50; t < 1000; t += 50) REQUIRE(s->check_session("h2", t, p, &info) == SessionCheck::kOk);
  CHECK(s->check_session("h2", 1000, p, &info) == SessionCheck::kExpired);
  CHECK(s->check_session("nope", 10, p, &info) == SessionCheck::kUnknown);
}

TEST_CASE(
    "accounts: disabling a user or a new password ends their sessions - a role change is seen at once") {
  auto s = fresh("disable");
  REQUIRE(s->add_user(user("alice", Role::kAdmin)).ok);
  REQUIRE(s->add_user(user("bob", Role::kAdmin)).ok);
  SessionPolicy p;
  SessionInfo info;
  REQUIRE(s->create_session("a1", "alice", "c", 0).ok);
  REQUIRE(s->create_session("b1", "bob", "c", 0).ok);
  bool found = false;
  UserUpdate demote;
  demote.role = Role::kViewer;
  REQUIRE(s->update_user("alice", demote, 1, &found).ok);
  REQUIRE(s->check_session("a1", 2, p, &info) == SessionCheck::kOk);
  CHECK(info.role == Role::kViewer);
  UserUpdate off;
  off.disabled = true;
  REQUIRE(s->update_user("alice", off, 3, &found).ok);
  CHECK(s->check_session("a1", 4, p, &info) == SessionCheck::kUnknown);
  CHECK(s->check_session("b1", 4, p, &info) == SessionCheck::kOk);
  UserUpdate pw;
  pw.password_hash = "$argon2id$new";
  REQUIRE(s->update_user("bob", pw, 5, &found).ok);
  CHECK(s->check_session("b1", 6, p, &info) == SessionCheck::kUnknown);
  // A session whose user is disabled by other means (another connection) is refused too.
  UserUpdate on;
  on.disabled = false;
  REQUIRE(s->update_user("alice", on, 7, &found).ok);
  REQUIRE(s->create_session("a2", "alice", "c", 7).ok);
  REQUIRE(s->update_user("alice", off, 8, &found).ok);
  CHECK(s->check_session("a2", 9, p, &info) != SessionCheck::kOk);
}

TEST_CASE("accounts: user tokens carry the user's current role and die with the user") {
  auto s = fresh("tokens");
  REQUIRE(s->add_user(user("alice", Role::kAnalyst)).ok);
  REQUIRE(s->add_user(user("bob", Role::kViewer)).ok);
  REQUIRE(s->create_user_token("aaaaaaaaaaaa1111", "alice", "ci", 10, 0).ok);
  REQUIRE(s->create_user_token("bbbbbbbbbbbb2222", "bob", "script", 10, 100).ok);
  auto o = s->user_token_auth("aaaaaaaaaaaa1111", 20);
  REQUIRE(o);
  CHECK(o->user == "alice");
  CHECK(o->role == Role::kAnalyst);
  bool found = false;
  UserUpdate up;
  up.role = Role::kAdmin;
  REQUIRE(s->update_user("alice", up, 30, &found).ok);
  CHECK(s->user_token_auth("aaaaaaaaaaaa1111", 31)->role == Role::kAdmin);
  UserUpdate off;
  off.disabled = true;
  REQUIRE(s->update_user("alice", off, 32, &found).ok);
  CHECK_FALSE(s->user_token_auth("aaaaaaaaaaaa1111", 33));
  // Expiry.
  CHECK(s->user_token_auth("bbbbbbbbbbbb2222", 99));
  CHECK_FALSE(s->user_token_auth("bbbbbbbbbbbb2222", 100));
  CHECK_FALSE(s->user_token_auth("unknown", 1));
  // Revocation is scoped to the owner unless none is given (an admin).
  CHECK(s->list_user_tokens("alice").size() == 1);
  CHECK(s->list_user_tokens("").size() == 2);
  CHECK_FALSE(s->revoke_user_token("aaaaaaaaaaaa", std::string("bob")));
  CHECK(s->revoke_user_token("aaaaaaaaaaaa", std::string("alice")));
  CHECK(s->list_user_tokens("alice")[0].revoked);
  CHECK(s->revoke_user_token("bbbbbbbbbbbb", std::nullopt));
  CHECK_FALSE(s->revoke_user_token("cccccccccccc", std::nullopt));
  CHECK_FALSE(s->revoke_user_token("short", std::nullopt));
}

TEST_CASE("accounts: the UI language is kept per user - a users table from before it gains the column",
          "[sqlite]") {
  auto d = std::filesystem::temp_directory_path() / ("vigil-acct-lang-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  auto path = (d / "c.db").string();
  {
    // The users table as the first release made it, with one user.
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    REQUIRE(sqlite3_exec(
                db,
                "CREATE TABLE users(name TEXT PRIMARY KEY, role INT NOT NULL, password_hash TEXT NOT NULL,"
                " disabled INT NOT NULL DEFAULT 0, created_at INT NOT NULL, updated_at INT NOT NULL);"
                "INSERT INTO users VALUES('old',1,'$argon2id$y',0,5,5);",
                nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
  }
  std::string err;
  auto s = AccountStore::open(path, &err);
  REQUIRE(s);
  auto old = s->get_user("old");
  REQUIRE(old);
  CHECK(old->language.empty());
  CHECK(old->password_hash == "$argon2id$y");
  REQUIRE(s->create_session("h1", "old", "csrf", 10).ok);
  bool found = false;
  UserUpdate up;
  up.language = "vi";
  REQUIRE(s->update_user("old", up, 20, &found).ok);
  CHECK(found);
  CHECK(s->get_user("old")->language == "vi");
  CHECK(s->list_users()[0].language == "vi");
  SessionInfo si;
  CHECK(s->check_session("h1", 30, SessionPolicy{}, &si) ==
        SessionCheck::kOk);  // a language change ends no session
  s.reset();
  s = AccountStore::open(path, &err);  // opened again: the column is there, nothing added twice
  REQUIRE(s);
  CHECK(s->get_user("old")->language == "vi");
}

TEST_CASE("accounts: two collectors on one database share users, sessions and tokens") {
  auto d = std::filesystem::temp_directory_path() / ("vigil-acct-two-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  auto url = test::fresh_pg_url();
  auto a = open_accounts(d.string(), url), b = open_accounts(d.string(), url);
  REQUIRE(a->add_user(user("alice", Role::kAnalyst)).ok);
  CHECK_FALSE(b->add_user(user("alice", Role::kAdmin)).ok);  // the name is taken on the shared database
  REQUIRE(a->create_session("sess", "alice", "csrf", 1000).ok);
  REQUIRE(a->create_user_token("tokhash00000000", "alice", "ci", 1000, 0).ok);
  SessionPolicy p;
  SessionInfo si;
  // Logged in through a, the session holds on b (a request sent to the other collector).
  REQUIRE(b->check_session("sess", 1100, p, &si) == SessionCheck::kOk);
  CHECK(si.user == "alice");
  CHECK(si.role == Role::kAnalyst);
  CHECK(si.csrf_token == "csrf");
  REQUIRE(b->user_token_auth("tokhash00000000", 1100));
  // b touched the session at 1100: a sees it active past a's own idle limit from 1000.
  REQUIRE(a->check_session("sess", 1000 + p.idle_s + 50, p, &si) == SessionCheck::kOk);
  // A role change and a disable through b hold on a at once.
  bool found = false;
  UserUpdate up;
  up.role = Role::kViewer;
  REQUIRE(b->update_user("alice", up, 1200, &found).ok);
  CHECK(found);
  REQUIRE(a->check_session("sess", 1200, p, &si) == SessionCheck::kOk);
  CHECK(si.role == Role::kViewer);
  UserUpdate off;
  off.disabled = true;
  REQUIRE(b->update_user("alice", off, 1300, &found).ok);
  CHECK(a->check_session("sess", 1300, p, &si) == SessionCheck::kUnknown);  // its sessions went with it
  CHECK_FALSE(a->user_token_auth("tokhash00000000", 1300));
  CHECK(a->count_users() == 1);
  CHECK(b->list_users().size() == 1);
}
