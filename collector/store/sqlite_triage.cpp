#include "collector/store/sqlite_triage.h"

#include <algorithm>
#include <string_view>

namespace vigil::collector {

using nlohmann::json;

bool valid_triage_status(std::string_view s) {
  return std::any_of(std::begin(kTriageStatuses), std::end(kTriageStatuses),
                     [&](const char* t) { return s == t; });
}

json AlertTriage::to_json() const {
  json h = json::array(), c = json::array();
  for (const auto& e : history) {
    h.push_back({{"ts", e.ts},
                 {"actor", e.actor},
                 {"field", e.field},
                 {"old", e.old_value ? json(*e.old_value) : json(nullptr)},
                 {"new", e.new_value ? json(*e.new_value) : json(nullptr)}});
  }
  for (const auto& e : comments)
    c.push_back({{"id", e.id}, {"ts", e.ts}, {"actor", e.actor}, {"text", e.text}});
  return {{"status", status},
          {"assignee", assignee ? json(*assignee) : json(nullptr)},
          {"updated_at", updated_at},
          {"updated_by", updated_by},
          {"history", h},
          {"comments", c}};
}

json Suppression::to_json(int64_t now) const {
  return {{"id", id},
          {"gid", gid},
          {"sid", sid},
          {"track", track},
          {"cidr", cidr.empty() ? json(nullptr) : json(cidr)},
          {"reason", reason},
          {"author", author},
          {"created_at", created_at},
          {"expires_at", expires_at == 0 ? json(nullptr) : json(expires_at)},
          {"removed_at", removed_at == 0 ? json(nullptr) : json(removed_at)},
          {"active", active(now)},
          {"hits", hits}};
}

namespace sqlite_triage {
namespace {

// A transaction on the write connection that rolls back unless committed.
class Tx {
 public:
  explicit Tx(Db& db) : db_(db) { open_ = db_.exec("BEGIN IMMEDIATE", &err_); }
  ~Tx() {
    if (open_) db_.exec("ROLLBACK");
  }
  bool ok() const { return open_; }
  StoreStatus fail(const std::string& what) { return StoreStatus::error(what + ": " + db_.errmsg()); }
  StoreStatus commit() {
    if (!open_) return StoreStatus::error("begin: " + err_);
    open_ = false;
    std::string err;
    if (!db_.exec("COMMIT", &err)) {
      db_.exec("ROLLBACK");
      return StoreStatus::error("commit: " + err);
    }
    return {};
  }

 private:
  Db& db_;
  std::string err_;
  bool open_ = false;
};

bool insert_audit(Db& w, const AuditEntry& e) {
  auto st = w.prepare("INSERT INTO audit(ts,actor,action,target,peer,detail) VALUES(?,?,?,?,?,?)");
  st.bind(1, e.ts).bind(2, e.actor).bind(3, e.action).bind(4, e.target).bind(5, e.peer);
  if (e.detail.is_null())
    st.bind_null(6);
  else
    st.bind(6, e.detail.dump());
  return st.step() == SQLITE_DONE;
}

std::optional<std::string> opt_text(const Stmt& st, int i) {
  if (st.col_null(i)) return std::nullopt;
  return st.col_text(i);
}

// The alerts of the id list ?1 (a JSON array), as a subquery.
constexpr std::string_view kIds = "(SELECT value FROM json_each(?1))";

}  // namespace

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS alert_triage_history(id INTEGER PRIMARY KEY, alert_id INT NOT NULL, ts INT NOT NULL,
  actor TEXT NOT NULL, field TEXT NOT NULL, old TEXT, new TEXT);
CREATE INDEX IF NOT EXISTS alert_triage_history_alert ON alert_triage_history(alert_id, id);
CREATE TABLE IF NOT EXISTS alert_comments(id INTEGER PRIMARY KEY, alert_id INT NOT NULL, ts INT NOT NULL,
  actor TEXT NOT NULL, text TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS alert_comments_alert ON alert_comments(alert_id, id);
CREATE TABLE IF NOT EXISTS suppressions(id INTEGER PRIMARY KEY, gid INT NOT NULL DEFAULT 1, sid INT NOT NULL,
  track TEXT NOT NULL DEFAULT 'none', cidr TEXT, reason TEXT NOT NULL, author TEXT NOT NULL,
  created_at INT NOT NULL, expires_at INT NOT NULL DEFAULT 0, removed_at INT NOT NULL DEFAULT 0,
  hits INT NOT NULL DEFAULT 0);
)sql";

StoreStatus triage_alerts(Db& w, const std::vector<int64_t>& ids, const TriageChange& change,
                          const std::string& actor, int64_t now, const AuditEntry* audit, uint64_t* matched) {
  *matched = 0;
  json arr = json::array();
  for (int64_t id : ids) arr.push_back(id);
  const std::string list = arr.dump();
  Tx tx(w);
  if (!tx.ok()) return tx.commit();
  auto cnt = w.prepare(std::string("SELECT COUNT(*) FROM alerts WHERE id IN ") + std::string(kIds));
  cnt.bind(1, list);
  if (cnt.step() != SQLITE_ROW) return tx.fail("triage count");
  *matched = static_cast<uint64_t>(cnt.col_int(0));
  // History rows of this call are those above the current last one.
  auto last = w.prepare("SELECT COALESCE(MAX(id),0) FROM alert_triage_history");
  if (last.step() != SQLITE_ROW) return tx.fail("triage history");
  const int64_t history_before = last.col_int(0);
  // Per field: history rows for the alerts whose value changes, then the
  // upsert of those alerts (an alert without a row reads as the default).
  struct Field {
    const char* name;
    const char* fallback;  // the value of an alert without a row
    const std::optional<std::string>* value;
  };
  for (const Field& f :
       {Field{"status", "'new'", &change.status}, Field{"assignee", "NULL", &change.assignee}}) {
    if (!*f.value) continue;
    std::optional<std::string> v = **f.value;
    if (v && v->empty()) v.reset();  // an empty assignee clears it
    const std::string old = std::string("COALESCE(t.") + f.name + ", " + f.fallback + ")";
    const std::string from =
        std::string(" FROM alerts a LEFT JOIN alert_triage t ON t.alert_id=a.id WHERE a.id IN ") +
        std::string(kIds) + " AND " + old + " IS NOT ?2";
    auto hist =
        w.prepare("INSERT INTO alert_triage_history(alert_id,ts,actor,field,old,new) SELECT a.id, ?3, ?4, '" +
                  std::string(f.name) + "', " + old + ", ?2" + from);
    hist.bind(1, list).bind(2, v).bind(3, now).bind(4, actor);
    if (hist.step() != SQLITE_DONE) return tx.fail("triage history");
    auto up = w.prepare(std::string("INSERT INTO alert_triage(alert_id,") + f.name +
                        ",updated_at,updated_by) SELECT a.id, ?2, ?3, ?4" + from +
                        " ON CONFLICT(alert_id) DO UPDATE SET " + f.name + "=excluded." + f.name +
                        ", updated_at=excluded.updated_at, updated_by=excluded.updated_by");
    up.bind(1, list).bind(2, v).bind(3, now).bind(4, actor);
    if (up.step() != SQLITE_DONE) return tx.fail("triage update");
  }
  if (change.comment) {
    auto c = w.prepare(std::string("INSERT INTO alert_comments(alert_id,ts,actor,text) SELECT id, ?2, ?3, ?4 "
                                   "FROM alerts WHERE id IN ") +
                       std::string(kIds));
    c.bind(1, list).bind(2, now).bind(3, actor).bind(4, *change.comment);
    if (c.step() != SQLITE_DONE) return tx.fail("triage comment");
  }
  if (audit && *matched > 0) {
    AuditEntry a = *audit;
    if (a.detail.is_object()) {
      // What the change did: alerts it found, and those it changed (a
      // field that took a new value, or a comment added).
      uint64_t changed = *matched;
      if (!change.comment) {
        auto ch = w.prepare("SELECT COUNT(DISTINCT alert_id) FROM alert_triage_history WHERE id>?");
        ch.bind(1, history_before);
        if (ch.step() != SQLITE_ROW) return tx.fail("triage changed");
        changed = static_cast<uint64_t>(ch.col_int(0));
      }
      a.detail["count"] = *matched;
      a.detail["changed"] = changed;
    }
    if (!insert_audit(w, a)) return tx.fail("audit");
  }
  return tx.commit();
}

std::optional<AlertTriage> get_triage(Db& r, int64_t alert_id) {
  auto ex = r.prepare(
      "SELECT t.status, t.assignee, t.updated_at, t.updated_by FROM alerts a LEFT JOIN alert_triage t "
      "ON t.alert_id=a.id WHERE a.id=?");
  ex.bind(1, alert_id);
  if (ex.step() != SQLITE_ROW) return std::nullopt;
  AlertTriage t;
  if (!ex.col_null(0)) {
    t.status = ex.col_text(0);
    t.assignee = opt_text(ex, 1);
    t.updated_at = ex.col_int(2);
    t.updated_by = ex.col_text(3);
  }
  auto h =
      r.prepare("SELECT ts, actor, field, old, new FROM alert_triage_history WHERE alert_id=? ORDER BY id");
  h.bind(1, alert_id);
  while (h.step() == SQLITE_ROW)
    t.history.push_back({h.col_int(0), h.col_text(1), h.col_text(2), opt_text(h, 3), opt_text(h, 4)});
  auto c = r.prepare("SELECT id, ts, actor, text FROM alert_comments WHERE alert_id=? ORDER BY id");
  c.bind(1, alert_id);
  while (c.step() == SQLITE_ROW)
    t.comments.push_back({c.col_int(0), c.col_int(1), c.col_text(2), c.col_text(3)});
  return t;
}

StoreStatus add_suppression(Db& w, Suppression* s, AuditEntry audit) {
  Tx tx(w);
  if (!tx.ok()) return tx.commit();
  auto st = w.prepare(
      "INSERT INTO suppressions(gid,sid,track,cidr,reason,author,created_at,expires_at) "
      "VALUES(?,?,?,?,?,?,?,?)");
  st.bind(1, int64_t{s->gid}).bind(2, int64_t{s->sid}).bind(3, s->track);
  if (s->cidr.empty())
    st.bind_null(4);
  else
    st.bind(4, s->cidr);
  st.bind(5, s->reason).bind(6, s->author).bind(7, s->created_at).bind(8, s->expires_at);
  if (st.step() != SQLITE_DONE) return tx.fail("suppression insert");
  s->id = sqlite3_last_insert_rowid(w.get());
  audit.target = "suppression:" + std::to_string(s->id);
  if (!insert_audit(w, audit)) return tx.fail("audit");
  return tx.commit();
}

std::vector<Suppression> list_suppressions(Db& r, bool all, int64_t now) {
  std::string sql =
      "SELECT id,gid,sid,track,cidr,reason,author,created_at,expires_at,removed_at,hits FROM suppressions";
  if (!all) sql += " WHERE removed_at=0 AND (expires_at=0 OR expires_at>?)";
  sql += " ORDER BY id";
  auto st = r.prepare(sql);
  if (!all) st.bind(1, now);
  std::vector<Suppression> out;
  while (st.step() == SQLITE_ROW) {
    Suppression s;
    s.id = st.col_int(0);
    s.gid = static_cast<uint32_t>(st.col_int(1));
    s.sid = static_cast<uint32_t>(st.col_int(2));
    s.track = st.col_text(3);
    s.cidr = st.col_null(4) ? "" : st.col_text(4);
    s.reason = st.col_text(5);
    s.author = st.col_text(6);
    s.created_at = st.col_int(7);
    s.expires_at = st.col_int(8);
    s.removed_at = st.col_int(9);
    s.hits = st.col_int(10);
    out.push_back(std::move(s));
  }
  return out;
}

StoreStatus remove_suppression(Db& w, int64_t id, int64_t now, const AuditEntry& audit, bool* found) {
  *found = false;
  Tx tx(w);
  if (!tx.ok()) return tx.commit();
  auto st = w.prepare(
      "UPDATE suppressions SET removed_at=?2 WHERE id=?1 AND removed_at=0 AND (expires_at=0 OR "
      "expires_at>?2)");
  st.bind(1, id).bind(2, now);
  if (st.step() != SQLITE_DONE) return tx.fail("suppression remove");
  *found = sqlite3_changes(w.get()) > 0;
  if (!*found) return tx.commit();
  if (!insert_audit(w, audit)) return tx.fail("audit");
  return tx.commit();
}

StoreStatus add_suppression_hits(Db& w, const std::vector<std::pair<int64_t, uint64_t>>& hits) {
  if (hits.empty()) return {};
  Tx tx(w);
  if (!tx.ok()) return tx.commit();
  auto st = w.prepare("UPDATE suppressions SET hits=hits+? WHERE id=?");
  for (const auto& [id, n] : hits) {
    st.reset();
    st.bind(1, static_cast<int64_t>(n)).bind(2, id);
    if (st.step() != SQLITE_DONE) return tx.fail("suppression hits");
  }
  return tx.commit();
}

}  // namespace sqlite_triage
}  // namespace vigil::collector
