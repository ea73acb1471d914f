// The collector's people: user accounts (name, role, argon2id hash,
// disabled), their browser sessions and their API tokens (tables users,
// sessions, user_tokens), in the same database as the Store but on
// connections of their own, so the accounts need nothing from the event
// store. An interface with two implementations: SQLite (AccountStore::open,
// one connection behind a mutex) and PostgreSQL (open_pg_account_store,
// collector/store/pg_account_store.h), where several collectors share the
// sessions.
//
// Called from the HTTP server's handler threads (every request that carries
// a session cookie or a user token reads its row and the user's row: a
// disabled user or a changed role holds from the next request on) and from
// the CLI. Thread-safe (account reads are a few indexed lookups). Secrets are stored only as SHA-256 hashes;
// sessions and tokens are named by the first 12 hex digits of theirs. Times are unix seconds passed in by the
// caller. Errors are values; nothing throws.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "collector/store/store.h"

namespace vigil::collector {

struct UserRecord {
  std::string name;
  Role role = Role::kViewer;
  bool disabled = false;
  int64_t created_at = 0, updated_at = 0;
  std::string password_hash;  // encoded argon2id
  std::string language;       // the UI's language ("en", "vi"); empty: not chosen yet
};

// The fields of a user an update changes; unset ones stay.
struct UserUpdate {
  std::optional<Role> role;
  std::optional<bool> disabled;
  std::optional<std::string> password_hash;
  std::optional<std::string> language;
};

// Idle and absolute session lifetimes (collector.yaml session.*).
struct SessionPolicy {
  int64_t idle_s = 1800;
  int64_t absolute_s = 43200;
};

struct SessionInfo {
  std::string user;
  Role role = Role::kViewer;  // the user's role now
  std::string csrf_token;
  int64_t created_at = 0, last_seen = 0;
};

enum class SessionCheck { kOk, kUnknown, kExpired, kUserDisabled };

struct UserTokenRecord {
  std::string id;  // first 12 hex of the hash
  std::string user, name;
  int64_t created_at = 0, expires_at = 0, last_used = 0;  // expires_at 0: never
  bool revoked = false;
};

// Who a user token speaks for, with the user's current role.
struct TokenOwner {
  std::string user;
  Role role = Role::kViewer;
};

// User names: 1 to 64 of [A-Za-z0-9-], starting with a letter ("me" is
// taken by /api/v1/users/me). Empty when fine; otherwise why not.
std::string user_name_problem(const std::string& name);

class AccountStore {
 public:
  virtual ~AccountStore() = default;
  // Opens (creating the tables if needed) the SQLite database at `path`.
  static std::unique_ptr<AccountStore> open(const std::string& path, std::string* error);

  // Fails with "user NAME exists" when the name is taken.
  virtual StoreStatus add_user(const UserRecord& u) = 0;
  virtual std::optional<UserRecord> get_user(const std::string& name) = 0;
  virtual std::vector<UserRecord> list_users() = 0;
  // *found false when there is no such user. Disabling a user or setting a
  // new password deletes the user's sessions in the same transaction.
  virtual StoreStatus update_user(const std::string& name, const UserUpdate& up, int64_t now,
                                  bool* found) = 0;
  virtual size_t count_users() = 0;

  virtual StoreStatus create_session(const std::string& hash, const std::string& user,
                                     const std::string& csrf, int64_t now) = 0;
  // The session and its user as they are now. Expired sessions (idle or
  // absolute) are deleted; last_seen is advanced at most every
  // min(60 s, idle/4) so that most requests only read.
  virtual SessionCheck check_session(const std::string& hash, int64_t now, const SessionPolicy& p,
                                     SessionInfo* out) = 0;
  virtual bool delete_session(const std::string& hash) = 0;

  virtual StoreStatus create_user_token(const std::string& hash, const std::string& user,
                                        const std::string& name, int64_t now, int64_t expires_at) = 0;
  // nullopt when unknown, revoked, expired, or its user is disabled or gone.
  virtual std::optional<TokenOwner> user_token_auth(const std::string& hash, int64_t now) = 0;
  // One user's tokens, or everyone's when `user` is empty.
  virtual std::vector<UserTokenRecord> list_user_tokens(const std::string& user) = 0;
  // Revokes by public id; when `owner` is set only that user's token. False
  // when there is no such token.
  virtual bool revoke_user_token(const std::string& id, const std::optional<std::string>& owner) = 0;
};

}  // namespace vigil::collector
