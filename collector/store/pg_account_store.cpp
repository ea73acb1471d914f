#include "collector/store/pg_account_store.h"

#include <algorithm>

#include "collector/store/pg_db.h"
#include "collector/store/pg_schema.h"

namespace vigil::collector {
namespace {

using pg::arg;

// Account calls are a few indexed lookups each; this many run at once.
constexpr int kPoolSize = 4;

constexpr const char* kUserColumns = "name,role,password_hash,disabled,created_at,updated_at,language";

UserRecord read_user(const pg::Result& r, int i) {
  UserRecord u;
  u.name = r.text(i, 0);
  u.role = static_cast<Role>(std::clamp<int64_t>(r.int64(i, 1), 0, 2));
  u.password_hash = r.text(i, 2);
  u.disabled = r.int64(i, 3) != 0;
  u.created_at = r.int64(i, 4);
  u.updated_at = r.int64(i, 5);
  u.language = r.text(i, 6);
  return u;
}

StoreStatus done(const pg::Result& r) {
  if (r) return {};
  return StoreStatus::error(r.error());
}

class PgAccountStore final : public AccountStore {
 public:
  explicit PgAccountStore(std::unique_ptr<pg::Pool> pool) : pool_(std::move(pool)) {}

  StoreStatus add_user(const UserRecord& u) override {
    auto c = pool_->acquire();
    pg::Result r = c->exec(
        "INSERT INTO users(name,role,password_hash,disabled,created_at,updated_at) "
        "VALUES($1,$2::bigint,$3,$4::bigint,$5::bigint,$5::bigint) ON CONFLICT(name) DO NOTHING",
        {u.name, arg(int64_t{static_cast<int>(u.role)}), u.password_hash, arg(int64_t{u.disabled ? 1 : 0}),
         arg(u.created_at)});
    if (!r) return done(r);
    if (r.affected() == 0) return StoreStatus::error("user " + u.name + " exists");
    return {};
  }

  std::optional<UserRecord> get_user(const std::string& name) override {
    auto c = pool_->acquire();
    pg::Result r = c->exec(std::string("SELECT ") + kUserColumns + " FROM users WHERE name=$1", {name});
    if (!r || r.rows() == 0) return std::nullopt;
    return read_user(r, 0);
  }

  std::vector<UserRecord> list_users() override {
    auto c = pool_->acquire();
    // Names in byte order, as SQLite sorts them.
    pg::Result r = c->exec(std::string("SELECT ") + kUserColumns + " FROM users ORDER BY name COLLATE \"C\"");
    std::vector<UserRecord> out;
    for (int i = 0; r && i < r.rows(); ++i) out.push_back(read_user(r, i));
    return out;
  }

  size_t count_users() override {
    auto c = pool_->acquire();
    pg::Result r = c->exec("SELECT COUNT(*) FROM users");
    return r && r.rows() > 0 ? static_cast<size_t>(r.int64(0, 0)) : 0;
  }

  StoreStatus update_user(const std::string& name, const UserUpdate& up, int64_t now, bool* found) override {
    *found = false;
    bool hit = false;
    StoreStatus s = pg::with_tx(*pool_, "update user", [&](pg::Conn& c) -> StoreStatus {
      hit = false;
      pg::Result r = c.exec(
          "UPDATE users SET role=COALESCE($1::bigint,role), disabled=COALESCE($2::bigint,disabled), "
          "password_hash=COALESCE($3::text,password_hash), language=COALESCE($4::text,language), "
          "updated_at=$5::bigint WHERE name=$6",
          {up.role ? arg(int64_t{static_cast<int>(*up.role)}) : pg::Param(),
           up.disabled ? arg(int64_t{*up.disabled ? 1 : 0}) : pg::Param(), up.password_hash, up.language,
           arg(now), name});
      if (!r) return done(r);
      hit = r.affected() > 0;
      if (hit && ((up.disabled && *up.disabled) || up.password_hash)) {
        pg::Result del = c.exec("DELETE FROM sessions WHERE \"user\"=$1", {name});
        if (!del) return done(del);
      }
      return {};
    });
    *found = s.ok && hit;
    return s;
  }

  StoreStatus create_session(const std::string& hash, const std::string& user, const std::string& csrf,
                             int64_t now) override {
    auto c = pool_->acquire();
    return done(
        c->exec("INSERT INTO sessions(hash,\"user\",csrf,created_at,last_seen) "
                "VALUES($1,$2,$3,$4::bigint,$4::bigint)",
                {hash, user, csrf, arg(now)}));
  }

  SessionCheck check_session(const std::string& hash, int64_t now, const SessionPolicy& p,
                             SessionInfo* out) override {
    auto c = pool_->acquire();
    pg::Result r = c->exec(
        "SELECT s.\"user\", s.csrf, s.created_at, s.last_seen, u.role, u.disabled FROM sessions s "
        "LEFT JOIN users u ON u.name=s.\"user\" WHERE s.hash=$1",
        {hash});
    if (!r || r.rows() == 0) return SessionCheck::kUnknown;
    out->user = r.text(0, 0);
    out->csrf_token = r.text(0, 1);
    out->created_at = r.int64(0, 2);
    out->last_seen = r.int64(0, 3);
    bool user_gone = r.null(0, 4);
    out->role = static_cast<Role>(std::clamp<int64_t>(r.int64(0, 4), 0, 2));
    bool disabled = r.int64(0, 5) != 0;
    auto drop = [&] { c->exec("DELETE FROM sessions WHERE hash=$1", {hash}); };
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
      // Another collector may have touched it since: last_seen only moves forward.
      c->exec("UPDATE sessions SET last_seen=GREATEST(last_seen, $1::bigint) WHERE hash=$2",
              {arg(now), hash});
      out->last_seen = now;
    }
    return SessionCheck::kOk;
  }

  bool delete_session(const std::string& hash) override {
    auto c = pool_->acquire();
    pg::Result r = c->exec("DELETE FROM sessions WHERE hash=$1", {hash});
    return r && r.affected() > 0;
  }

  StoreStatus create_user_token(const std::string& hash, const std::string& user, const std::string& name,
                                int64_t now, int64_t expires_at) override {
    auto c = pool_->acquire();
    return done(
        c->exec("INSERT INTO user_tokens(hash,\"user\",name,created_at,expires_at) "
                "VALUES($1,$2,$3,$4::bigint,$5::bigint)",
                {hash, user, name, arg(now), arg(expires_at)}));
  }

  std::optional<TokenOwner> user_token_auth(const std::string& hash, int64_t now) override {
    auto c = pool_->acquire();
    pg::Result r = c->exec(
        "SELECT t.\"user\", t.expires_at, t.revoked, t.last_used, u.role, u.disabled FROM user_tokens t "
        "JOIN users u ON u.name=t.\"user\" WHERE t.hash=$1",
        {hash});
    if (!r || r.rows() == 0) return std::nullopt;
    int64_t expires_at = r.int64(0, 1);
    if (r.int64(0, 2) != 0 || (expires_at != 0 && expires_at <= now) || r.int64(0, 5) != 0)
      return std::nullopt;
    TokenOwner o{r.text(0, 0), static_cast<Role>(std::clamp<int64_t>(r.int64(0, 4), 0, 2))};
    if (now - r.int64(0, 3) >= 60)
      c->exec("UPDATE user_tokens SET last_used=GREATEST(last_used, $1::bigint) WHERE hash=$2",
              {arg(now), hash});
    return o;
  }

  std::vector<UserTokenRecord> list_user_tokens(const std::string& user) override {
    auto c = pool_->acquire();
    pg::Result r = c->exec(
        "SELECT hash,\"user\",name,created_at,expires_at,last_used,revoked FROM user_tokens "
        "WHERE $1='' OR \"user\"=$1 ORDER BY created_at, hash COLLATE \"C\"",
        {user});
    std::vector<UserTokenRecord> out;
    for (int i = 0; r && i < r.rows(); ++i) {
      UserTokenRecord t;
      t.id = r.text(i, 0).substr(0, kCredentialIdLen);
      t.user = r.text(i, 1);
      t.name = r.text(i, 2);
      t.created_at = r.int64(i, 3);
      t.expires_at = r.int64(i, 4);
      t.last_used = r.int64(i, 5);
      t.revoked = r.int64(i, 6) != 0;
      out.push_back(std::move(t));
    }
    return out;
  }

  bool revoke_user_token(const std::string& id, const std::optional<std::string>& owner) override {
    if (id.size() != kCredentialIdLen || id.find_first_not_of("0123456789abcdef") != std::string::npos)
      return false;
    auto c = pool_->acquire();
    pg::Result r = c->exec(
        "UPDATE user_tokens SET revoked=1 WHERE substr(hash,1,12)=$1 AND ($2::text IS NULL OR \"user\"=$2)",
        {id, owner});
    return r && r.affected() > 0;
  }

 private:
  std::unique_ptr<pg::Pool> pool_;
};

}  // namespace

std::unique_ptr<AccountStore> open_pg_account_store(const std::string& url, std::string* error) {
  auto pool = pg::Pool::open(url, kPoolSize, error);
  if (!pool) return nullptr;
  {
    auto c = pool->acquire();
    StoreStatus m = pg_schema::migrate(*c);
    if (!m.ok) {
      *error = "cannot initialise the accounts: " + m.message;
      return nullptr;
    }
  }
  return std::make_unique<PgAccountStore>(std::move(pool));
}

}  // namespace vigil::collector
