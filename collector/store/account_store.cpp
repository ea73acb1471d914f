#include "collector/store/account_store.h"

#include <algorithm>
#include <mutex>

#include "collector/store/sqlite_db.h"

namespace vigil::collector {
namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS users(name TEXT PRIMARY KEY, role INT NOT NULL, password_hash TEXT NOT NULL,
  disabled INT NOT NULL DEFAULT 0, created_at INT NOT NULL, updated_at INT NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(hash TEXT PRIMARY KEY, user TEXT NOT NULL, csrf TEXT NOT NULL,
  created_at INT NOT NULL, last_seen INT NOT NULL);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user);
CREATE TABLE IF NOT EXISTS user_tokens(hash TEXT PRIMARY KEY, user TEXT NOT NULL, name TEXT NOT NULL,
  created_at INT NOT NULL, expires_at INT NOT NULL DEFAULT 0, last_used INT NOT NULL DEFAULT 0,
  revoked INT NOT NULL DEFAULT 0);
CREATE INDEX IF NOT EXISTS user_tokens_user ON user_tokens(user);
)sql";

// Columns added after the first release: a database created before them gets
// them on open (ALTER TABLE ... ADD COLUMN with the same default).
struct AddedColumn {
  const char *table, *column, *decl;
};
constexpr AddedColumn kAddedColumns[] = {
    {"users", "language", "TEXT NOT NULL DEFAULT ''"},  // the UI's language, per user
};

bool add_columns(Db& db, std::string* err) {
  for (const auto& c : kAddedColumns) {
    auto st = db.prepare(std::string("SELECT 1 FROM pragma_table_info('") + c.table + "') WHERE name=?");
    st.bind(1, std::string(c.column));
    if (st.step() == SQLITE_ROW) continue;
    if (!db.exec(std::string("ALTER TABLE ") + c.table + " ADD COLUMN " + c.column + " " + c.decl, err))
      return false;
  }
  return true;
}

constexpr const char* kUserColumns = "name,role,password_hash,disabled,created_at,updated_at,language";

StoreStatus done(const Db& db, int rc) {
  if (rc == SQLITE_DONE || rc == SQLITE_ROW) return {};
  return StoreStatus::error(db.errmsg());
}

UserRecord read_user(const Stmt& st) {
  UserRecord u;
  u.name = st.col_text(0);
  u.role = static_cast<Role>(std::clamp<int64_t>(st.col_int(1), 0, 2));
  u.password_hash = st.col_text(2);
  u.disabled = st.col_int(3) != 0;
  u.created_at = st.col_int(4);
  u.updated_at = st.col_int(5);
  u.language = st.col_text(6);
  return u;
}

// The SQLite accounts: one connection behind a mutex.
class SqliteAccountStore final : public AccountStore {
 public:
  bool open(const std::string& path, std::string* error);
  StoreStatus add_user(const UserRecord& u) override;
  std::optional<UserRecord> get_user(const std::string& name) override;
  std::vector<UserRecord> list_users() override;
  StoreStatus update_user(const std::string& name, const UserUpdate& up, int64_t now, bool* found) override;
  size_t count_users() override;
  StoreStatus create_session(const std::string& hash, const std::string& user, const std::string& csrf,
                             int64_t now) override;
  SessionCheck check_session(const std::string& hash, int64_t now, const SessionPolicy& p,
                             SessionInfo* out) override;
  bool delete_session(const std::string& hash) override;
  StoreStatus create_user_token(const std::string& hash, const std::string& user, const std::string& name,
                                int64_t now, int64_t expires_at) override;
  std::optional<TokenOwner> user_token_auth(const std::string& hash, int64_t now) override;
  std::vector<UserTokenRecord> list_user_tokens(const std::string& user) override;
  bool revoke_user_token(const std::string& id, const std::optional<std::string>& owner) override;

 private:
  std::mutex mu_;
  Db db_;
};

}  // namespace

std::string user_name_problem(const std::string& name) {
  if (name.empty() || name.size() > 64) return "a user name has 1 to 64 characters";
  if (!std::isalpha(static_cast<unsigned char>(name[0]))) return "a user name starts with a letter";
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-'))
      return "a user name has only letters, digits and '-'";
  if (name == "me") return "'me' is reserved";
  return "";
}

std::unique_ptr<AccountStore> AccountStore::open(const std::string& path, std::string* error) {
  auto s = std::make_unique<SqliteAccountStore>();
  if (!s->open(path, error)) return nullptr;
  return s;
}

bool SqliteAccountStore::open(const std::string& path, std::string* error) {
  if (!db_.open(path, error)) return false;
  std::string err;
  if (!db_.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", &err) || !db_.exec(kSchema, &err) ||
      !add_columns(db_, &err)) {
    *error = "cannot initialise the accounts in " + path + ": " + err;
    return false;
  }
  return true;
}

StoreStatus SqliteAccountStore::add_user(const UserRecord& u) {
  std::lock_guard lk(mu_);
  auto st = db_.prepare(
      "INSERT INTO users(name,role,password_hash,disabled,created_at,updated_at) VALUES(?,?,?,?,?,?) "
      "ON CONFLICT(name) DO NOTHING");
  st.bind(1, u.name)
      .bind(2, int64_t{static_cast<int>(u.role)})
      .bind(3, u.password_hash)
      .bind(4, int64_t{u.disabled})
      .bind(5, u.created_at)
      .bind(6, u.created_at);
  auto s = done(db_, st.step());
  if (s.ok && sqlite3_changes(db_.get()) == 0) return StoreStatus::error("user " + u.name + " exists");
  return s;
}

std::optional<UserRecord> SqliteAccountStore::get_user(const std::string& name) {
  std::lock_guard lk(mu_);
  auto st = db_.prepare(std::string("SELECT ") + kUserColumns + " FROM users WHERE name=?");
  st.bind(1, name);
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return read_user(st);
}

std::vector<UserRecord> SqliteAccountStore::list_users() {
  std::lock_guard lk(mu_);
  auto st = db_.prepare(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name");
  std::vector<UserRecord> out;
  while (st.step() == SQLITE_ROW) out.push_back(read_user(st));
  return out;
}

size_t SqliteAccountStore::count_users() {
  std::lock_guard lk(mu_);
  auto st = db_.prepare("SELECT COUNT(*) FROM users");
  return st.step() == SQLITE_ROW ? static_cast<size_t>(st.col_int(0)) : 0;
}

StoreStatus SqliteAccountStore::update_user(const std::string& name, const UserUpdate& up, int64_t now,
                                            bool* found) {
  std::lock_guard lk(mu_);
  *found = false;
  std::string err;
  if (!db_.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error(err);
  auto st = db_.prepare(
      "UPDATE users SET role=COALESCE(?,role), disabled=COALESCE(?,disabled), "
      "password_hash=COALESCE(?,password_hash), language=COALESCE(?,language), updated_at=? WHERE name=?");
  st.bind(1, up.role ? std::optional<int64_t>(static_cast<int>(*up.role)) : std::nullopt)
      .bind(2, up.disabled ? std::optional<int64_t>(*up.disabled ? 1 : 0) : std::nullopt)
      .bind(3, up.password_hash)
      .bind(4, up.language)
      .bind(5, now)
      .bind(6, name);
  StoreStatus s = done(db_, st.step());
  *found = s.ok && sqlite3_changes(db_.get()) > 0;
  if (s.ok && *found && ((up.disabled && *up.disabled) || up.password_hash)) {
    auto del = db_.prepare("DELETE FROM sessions WHERE user=?");
    del.bind(1, name);
    s = done(db_, del.step());
  }
  if (!s.ok) {
    db_.exec("ROLLBACK");
    return s;
  }
  if (!db_.exec("COMMIT", &err)) return StoreStatus::error(err);
  return s;
}

StoreStatus SqliteAccountStore::create_session(const std::string& hash, const std::string& user,
                                               const std::string& csrf, int64_t now) {
  std::lock_guard lk(mu_);
  auto st = db_.prepare("INSERT INTO sessions(hash,user,csrf,created_at,last_seen) VALUES(?,?,?,?,?)");
  st.bind(1, hash).bind(2, user).bind(3, csrf).bind(4, now).bind(5, now);
  return done(db_, st.step());
}

SessionCheck SqliteAccountStore::check_session(const std::string& hash, int64_t now, const SessionPolicy& p,
                                               SessionInfo* out) {
  std::lock_guard lk(mu_);
  auto st = db_.prepare(
      "SELECT s.user, s.csrf, s.created_at, s.last_seen, u.role, u.disabled FROM sessions s "
      "LEFT JOIN users u ON u.name=s.user WHERE s.hash=?");
  st.bind(1, hash);
  if (st.step() != SQLITE_ROW) return SessionCheck::kUnknown;
  out->user = st.col_text(0);
  out->csrf_token = st.col_text(1);
  out->created_at = st.col_int(2);
  out->last_seen = st.col_int(3);
  bool user_gone = st.col_null(4);
  out->role = static_cast<Role>(std::clamp<int64_t>(st.col_int(4), 0, 2));
  bool disabled = st.col_int(5) != 0;
  st = Stmt();
  auto drop = [&] {
    auto del = db_.prepare("DELETE FROM sessions WHERE hash=?");
    del.bind(1, hash).step();
  };
  if (user_gone || disabled) {
    drop();
    return SessionCheck::kUserDisabled;
  }
  if (now - out->last_seen >= p.idle_s || now - out->created_at >= p.absolute_s) {
    drop();
    return SessionCheck::kExpired;
  }
  int64_t resolution = std::clamp<int64_t>(p.idle_s / 4, 1, 60);
  if (now - out->last_seen >= resolution) {
    auto touch = db_.prepare("UPDATE sessions SET last_seen=? WHERE hash=?");
    touch.bind(1, now).bind(2, hash).step();
    out->last_seen = now;
  }
  return SessionCheck::kOk;
}

bool SqliteAccountStore::delete_session(const std::string& hash) {
  std::lock_guard lk(mu_);
  auto st = db_.prepare("DELETE FROM sessions WHERE hash=?");
  st.bind(1, hash).step();
  return sqlite3_changes(db_.get()) > 0;
}

StoreStatus SqliteAccountStore::create_user_token(const std::string& hash, const std::string& user,
                                                  const std::string& name, int64_t now, int64_t expires_at) {
  std::lock_guard lk(mu_);
  auto st = db_.prepare("INSERT INTO user_tokens(hash,user,name,created_at,expires_at) VALUES(?,?,?,?,?)");
  st.bind(1, hash).bind(2, user).bind(3, name).bind(4, now).bind(5, expires_at);
  return done(db_, st.step());
}

std::optional<TokenOwner> SqliteAccountStore::user_token_auth(const std::string& hash, int64_t now) {
  std::lock_guard lk(mu_);
  auto st = db_.prepare(
      "SELECT t.user, t.expires_at, t.revoked, t.last_used, u.role, u.disabled FROM user_tokens t "
      "JOIN users u ON u.name=t.user WHERE t.hash=?");
  st.bind(1, hash);
  if (st.step() != SQLITE_ROW) return std::nullopt;
  int64_t expires_at = st.col_int(1);
  if (st.col_int(2) != 0 || (expires_at != 0 && expires_at <= now) || st.col_int(5) != 0) return std::nullopt;
  TokenOwner o{st.col_text(0), static_cast<Role>(std::clamp<int64_t>(st.col_int(4), 0, 2))};
  int64_t last_used = st.col_int(3);
  st = Stmt();
  if (now - last_used >= 60) {
    auto up = db_.prepare("UPDATE user_tokens SET last_used=? WHERE hash=?");
    up.bind(1, now).bind(2, hash).step();
  }
  return o;
}

std::vector<UserTokenRecord> SqliteAccountStore::list_user_tokens(const std::string& user) {
  std::lock_guard lk(mu_);
  auto st = db_.prepare(
      "SELECT hash,user,name,created_at,expires_at,last_used,revoked FROM user_tokens "
      "WHERE ?1='' OR user=?1 ORDER BY created_at, hash");
  st.bind(1, user);
  std::vector<UserTokenRecord> out;
  while (st.step() == SQLITE_ROW) {
    UserTokenRecord t;
    t.id = st.col_text(0).substr(0, kCredentialIdLen);
    t.user = st.col_text(1);
    t.name = st.col_text(2);
    t.created_at = st.col_int(3);
    t.expires_at = st.col_int(4);
    t.last_used = st.col_int(5);
    t.revoked = st.col_int(6) != 0;
    out.push_back(std::move(t));
  }
  return out;
}

bool SqliteAccountStore::revoke_user_token(const std::string& id, const std::optional<std::string>& owner) {
  if (id.size() != kCredentialIdLen || id.find_first_not_of("0123456789abcdef") != std::string::npos)
    return false;
  std::lock_guard lk(mu_);
  auto st =
      db_.prepare("UPDATE user_tokens SET revoked=1 WHERE substr(hash,1,12)=? AND (?2 IS NULL OR user=?2)");
  st.bind(1, id).bind(2, owner);
  st.step();
  return sqlite3_changes(db_.get()) > 0;
}

}  // namespace vigil::collector
