// `vigil-collector user ...` as main() runs it: the password from standard
// input with its minimum length, every change audited with actor "cli".
#include "collector/auth/user_cli.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <sstream>

#include "collector/auth/password.h"

using namespace vigil::collector;

TEST_CASE(
    "user CLI: add, refuse short passwords and duplicates, disable, set-role, passwd, list - all audited") {
  auto d = std::filesystem::temp_directory_path() / ("vigil-usercli-" + std::to_string(getpid()));
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  std::string err;
  auto store = open_sqlite_store((d / "c.db").string(), &err);
  REQUIRE(store);
  auto accounts = AccountStore::open((d / "c.db").string(), &err);
  REQUIRE(accounts);
  auto run = [&](UserCommand c, const std::string& input, std::string* out_text = nullptr) {
    std::istringstream in(input);
    std::ostringstream out, errs;
    int rc = run_user_command(c, *store, *accounts, in, out, errs);
    if (out_text) *out_text = out.str();
    return rc;
  };
  CHECK(run({"add", "alice", "admin"}, "short\n") == 1);
  CHECK_FALSE(accounts->get_user("alice"));
  CHECK(run({"add", "alice", "admin"}, "") == 1);  // no password at all
  CHECK(run({"add", "9lives", "admin"}, "long-enough-password\n") == 2);
  REQUIRE(run({"add", "alice", "admin"}, "long-enough-password\r\n") == 0);
  auto alice = accounts->get_user("alice");
  REQUIRE(alice);
  CHECK(alice->role == Role::kAdmin);
  CHECK(verify_password("long-enough-password", alice->password_hash));  // the line end is not part of it
  CHECK(run({"add", "alice", "viewer"}, "long-enough-password\n") == 1);
  CHECK(run({"set-role", "alice", "analyst"}, "") == 0);
  CHECK(accounts->get_user("alice")->role == Role::kAnalyst);
  CHECK(run({"set-role", "alice", "root"}, "") == 2);
  CHECK(run({"disable", "alice", ""}, "") == 0);
  CHECK(accounts->get_user("alice")->disabled);
  CHECK(run({"disable", "bob", ""}, "") == 1);
  CHECK(run({"passwd", "alice", ""}, "another-long-password\n") == 0);
  CHECK(verify_password("another-long-password", accounts->get_user("alice")->password_hash));
  std::string listing;
  CHECK(run({"list", "", ""}, "", &listing) == 0);
  CHECK(listing.find("alice                analyst  disabled") != std::string::npos);
  AuditQuery q;
  q.actor = "cli";
  auto log = store->list_audit(q);
  REQUIRE(log.size() == 4);  // newest first; refusals write nothing
  CHECK(log[3].action == "user.add");
  CHECK(log[3].target == "alice");
  CHECK(log[2].detail["role"] == "analyst");
  CHECK(log[1].detail["disabled"] == true);
  CHECK(log[0].action == "user.passwd");
  std::filesystem::remove_all(d);
}
