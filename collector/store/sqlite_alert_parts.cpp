#include "collector/store/sqlite_alert_parts.h"

#include <algorithm>
#include <limits>

namespace vigil::collector {

const char* const kAlertColumns =
    "id, agent_id, event_uid, ts, sid, gid, rev, signature, category, severity, src_ip, src_port, dest_ip, "
    "dest_port, proto, app_proto, flow_id, received_at, json, src_ip16, dest_ip16";

namespace {

std::string part_name(int64_t first_id) {
  return "alerts_p" + std::to_string(first_id);
}

std::string index_sql(const std::string& t, const char* suffix, const char* on) {
  return "CREATE INDEX IF NOT EXISTS \"" + t + suffix + "\" ON \"" + t + "\"" + on + ";";
}

// The table of one partition as it takes new alerts: the columns the
// single alerts table had (sqlite_store.cpp's migrations included), in the
// same order, so a converted table and a new one read alike; its dedup key
// and every index but the flow's.
std::string part_ddl(const std::string& t) {
  const std::string q = "\"" + t + "\"";
  return "CREATE TABLE " + q +
         "(id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, event_uid TEXT NOT NULL, ts INT NOT NULL, sid "
         "INT, "
         "gid INT, rev INT, signature TEXT, category TEXT, severity INT, src_ip TEXT, src_port INT, dest_ip "
         "TEXT, dest_port INT, proto TEXT, app_proto TEXT, flow_id INT, received_at INT NOT NULL, json TEXT "
         "NOT NULL, src_ip16 BLOB, dest_ip16 BLOB, UNIQUE(agent_id, event_uid));" +
         index_sql(t, "_ts", "(ts, id)") + index_sql(t, "_severity", "(severity, ts)") +
         index_sql(t, "_sid", "(sid, ts)") + index_sql(t, "_agent", "(agent_id, ts)") +
         index_sql(t, "_src16", "(src_ip16, ts)") + index_sql(t, "_dest16", "(dest_ip16, ts)");
}

// The indexes a closed partition has beyond (ts, id): the flow's, which
// it gets when it closes (see add_alert_part), and the others it has had
// from the start; IF NOT EXISTS, so only what a partition lacks is built (a
// partition converted from the single table has them under other names and
// is not asked: index_part).
std::string part_index_ddl(const std::string& t) {
  return index_sql(t, "_severity", "(severity, ts)") + index_sql(t, "_sid", "(sid, ts)") +
         index_sql(t, "_agent", "(agent_id, ts)") +
         index_sql(t, "_flow", "(agent_id, flow_id, ts) WHERE flow_id IS NOT NULL") +
         index_sql(t, "_src16", "(src_ip16, ts)") + index_sql(t, "_dest16", "(dest_ip16, ts)");
}

StoreStatus fail(Db& db, const std::string& what) {
  return StoreStatus::error(what + ": " + db.errmsg());
}

StoreStatus rebuild_view(Db& db) {
  std::vector<AlertPart> parts = alert_parts(db);
  if (parts.empty()) return StoreStatus::error("alert partitions: the catalog lists none");
  const std::string sql =
      "DROP VIEW IF EXISTS alerts; CREATE VIEW alerts AS " + alert_parts_union(parts, parts.size());
  std::string err;
  if (!db.exec(sql, &err)) return StoreStatus::error("alerts view: " + err);
  return {};
}

// Gives a closed partition its secondary indexes, unless it has them: a
// table converted from before partitions has them under the names it had
// (alerts_ts, ...), so a partition with as many explicit indexes as a
// closed one is left alone.
StoreStatus index_part(Db& db, const std::string& name) {
  Stmt n =
      db.prepare("SELECT COUNT(*) FROM sqlite_master WHERE type='index' AND tbl_name=? AND sql IS NOT NULL");
  n.bind(1, name);
  if (n.step() != SQLITE_ROW) return fail(db, "indexing alert partition " + name);
  if (n.col_int(0) >= 7) return {};  // (ts, id) and the six of part_index_ddl
  std::string err;
  if (!db.exec(part_index_ddl(name), &err))
    return StoreStatus::error("indexing alert partition " + name + ": " + err);
  return {};
}

// Every partition but the newest with every index (the flow's included).
StoreStatus index_closed_parts(Db& db) {
  const std::vector<AlertPart> parts = alert_parts(db);
  for (size_t i = 0; i + 1 < parts.size(); ++i) {
    if (StoreStatus st = index_part(db, parts[i].name); !st.ok) return st;
  }
  return {};
}

}  // namespace

std::string alert_parts_union(const std::vector<AlertPart>& parts, size_t n) {
  std::string sql;
  for (size_t i = 0; i < std::min(n, parts.size()); ++i)
    sql +=
        std::string(i ? " UNION ALL " : "") + "SELECT " + kAlertColumns + " FROM \"" + parts[i].name + "\"";
  return sql;
}

bool alerts_is_table(Db& db) {
  Stmt st = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alerts'");
  return st.step() == SQLITE_ROW;
}

std::vector<AlertPart> alert_parts(Db& db) {
  std::vector<AlertPart> out;
  Stmt st = db.prepare("SELECT first_id, name FROM alert_parts ORDER BY first_id");
  if (!st.valid()) return out;
  while (st.step() == SQLITE_ROW) out.push_back({st.col_int(0), st.col_text(1)});
  return out;
}

StoreStatus ensure_alert_parts(Db& db) {
  std::string err;
  if (!db.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error("alert partitions: " + err);
  auto undo = [&](StoreStatus st) {
    db.exec("ROLLBACK");
    return st;
  };
  bool have = false;
  {
    Stmt st = db.prepare("SELECT 1 FROM sqlite_master WHERE type='table' AND name='alert_parts'");
    have = st.step() == SQLITE_ROW;
  }
  if (!have) {
    if (!db.exec("CREATE TABLE alert_parts(first_id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE)", &err))
      return undo(StoreStatus::error("alert partitions: " + err));
    const std::string first = part_name(0);
    // A store from before partitions: its table, with its rows and indexes,
    // becomes the first partition.
    const std::string make =
        alerts_is_table(db) ? "ALTER TABLE alerts RENAME TO \"" + first + "\"" : part_ddl(first);
    if (!db.exec(make, &err)) return undo(StoreStatus::error("alert partitions: " + err));
    Stmt ins = db.prepare("INSERT INTO alert_parts(first_id, name) VALUES(0, ?)");
    ins.bind(1, first);
    if (ins.step() != SQLITE_DONE) return undo(fail(db, "alert partitions"));
  }
  bool view = false;
  {
    Stmt st = db.prepare("SELECT 1 FROM sqlite_master WHERE type='view' AND name='alerts'");
    view = st.step() == SQLITE_ROW;
  }
  if (!have || !view) {
    if (StoreStatus st = rebuild_view(db); !st.ok) return undo(st);
  }
  if (StoreStatus st = index_closed_parts(db); !st.ok) return undo(st);
  if (!db.exec("COMMIT", &err)) return undo(StoreStatus::error("alert partitions: " + err));
  return {};
}

StoreStatus add_alert_part(Db& db, int64_t first_id, AlertPart* out) {
  AlertPart p{first_id, part_name(first_id)};
  std::string err;
  // The newest partition closes: it gets the flow index it went without.
  const std::vector<AlertPart> before = alert_parts(db);
  if (!before.empty()) {
    if (StoreStatus st = index_part(db, before.back().name); !st.ok) return st;
  }
  if (!db.exec(part_ddl(p.name), &err)) return StoreStatus::error("new alert partition: " + err);
  Stmt ins = db.prepare("INSERT INTO alert_parts(first_id, name) VALUES(?, ?)");
  ins.bind(1, first_id).bind(2, p.name);
  if (ins.step() != SQLITE_DONE) return fail(db, "new alert partition");
  if (StoreStatus st = rebuild_view(db); !st.ok) return st;
  *out = std::move(p);
  return {};
}

StoreStatus drop_alert_part(Db& db, const AlertPart& part) {
  std::string err;
  if (!db.exec("DROP TABLE IF EXISTS \"" + part.name + "\"", &err))
    return StoreStatus::error("drop alert partition: " + err);
  Stmt del = db.prepare("DELETE FROM alert_parts WHERE first_id=?");
  del.bind(1, part.first_id);
  if (del.step() != SQLITE_DONE) return fail(db, "drop alert partition");
  return rebuild_view(db);
}

int64_t count_alerts(Db& db, const std::vector<AlertPart>& parts) {
  if (parts.empty()) return 0;
  std::string sql = "SELECT ";
  for (size_t i = 0; i < parts.size(); ++i)
    sql += std::string(i ? "+" : "") + "(SELECT COUNT(*) FROM \"" + parts[i].name + "\")";
  Stmt st = db.prepare(sql);
  return st.step() == SQLITE_ROW ? st.col_int(0) : 0;
}

std::string alert_ids_source(const std::vector<AlertPart>& parts, int64_t lo, int64_t hi) {
  std::vector<const AlertPart*> cover;
  for (size_t i = 0; i < parts.size(); ++i) {
    const int64_t end = i + 1 < parts.size() ? parts[i + 1].first_id : std::numeric_limits<int64_t>::max();
    if (parts[i].first_id < hi && lo < end) cover.push_back(&parts[i]);
  }
  if (cover.empty()) return "alerts";
  if (cover.size() == 1) return "\"" + cover[0]->name + "\"";
  std::string s = "(";
  for (size_t i = 0; i < cover.size(); ++i)
    s += std::string(i ? " UNION ALL " : "") + "SELECT id FROM \"" + cover[i]->name + "\"";
  return s + ")";
}

}  // namespace vigil::collector
