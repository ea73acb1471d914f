#include "collector/store/sqlite_alert_parts.h"

#include <limits>

namespace vigil::collector {

const char* const kAlertColumns =
    "id, agent_id, event_uid, ts, sid, gid, rev, signature, category, severity, src_ip, src_port, dest_ip, "
    "dest_port, proto, app_proto, flow_id, received_at, json, src_ip16, dest_ip16";

namespace {

std::string part_name(int64_t first_id) {
  return "alerts_p" + std::to_string(first_id);
}

// The table and indexes of one partition: the columns and indexes the
// single alerts table had (sqlite_store.cpp's migrations included), in the
// same order, so a converted table and a new one read alike.
std::string part_ddl(const std::string& t) {
  const std::string q = "\"" + t + "\"";
  return "CREATE TABLE " + q +
         "(id INTEGER PRIMARY KEY, agent_id TEXT NOT NULL, event_uid TEXT NOT NULL, ts INT NOT NULL, sid "
         "INT, "
         "gid INT, rev INT, signature TEXT, category TEXT, severity INT, src_ip TEXT, src_port INT, dest_ip "
         "TEXT, dest_port INT, proto TEXT, app_proto TEXT, flow_id INT, received_at INT NOT NULL, json TEXT "
         "NOT NULL, src_ip16 BLOB, dest_ip16 BLOB, UNIQUE(agent_id, event_uid));"
         "CREATE INDEX \"" +
         t + "_ts\" ON " + q + "(ts, id);CREATE INDEX \"" + t + "_severity\" ON " + q +
         "(severity, ts);CREATE INDEX \"" + t + "_sid\" ON " + q + "(sid, ts);CREATE INDEX \"" + t +
         "_agent\" ON " + q + "(agent_id, ts);CREATE INDEX \"" + t + "_flow\" ON " + q +
         "(agent_id, flow_id, ts) WHERE flow_id IS NOT NULL;CREATE INDEX \"" + t + "_src16\" ON " + q +
         "(src_ip16, ts);CREATE INDEX \"" + t + "_dest16\" ON " + q + "(dest_ip16, ts);";
}

StoreStatus fail(Db& db, const std::string& what) {
  return StoreStatus::error(what + ": " + db.errmsg());
}

StoreStatus rebuild_view(Db& db) {
  std::vector<AlertPart> parts = alert_parts(db);
  if (parts.empty()) return StoreStatus::error("alert partitions: the catalog lists none");
  std::string sql = "DROP VIEW IF EXISTS alerts; CREATE VIEW alerts AS ";
  for (size_t i = 0; i < parts.size(); ++i)
    sql +=
        std::string(i ? " UNION ALL " : "") + "SELECT " + kAlertColumns + " FROM \"" + parts[i].name + "\"";
  std::string err;
  if (!db.exec(sql, &err)) return StoreStatus::error("alerts view: " + err);
  return {};
}

}  // namespace

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
  if (!db.exec("COMMIT", &err)) return undo(StoreStatus::error("alert partitions: " + err));
  return {};
}

StoreStatus add_alert_part(Db& db, int64_t first_id, AlertPart* out) {
  AlertPart p{first_id, part_name(first_id)};
  std::string err;
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
