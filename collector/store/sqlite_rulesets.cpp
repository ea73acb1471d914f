#include "collector/store/sqlite_rulesets.h"

#include <set>

#include "collector/rule_disable.h"
#include "common/digest.h"

namespace vigil::collector::sqlite_rulesets {
namespace {

using nlohmann::json;

// One write transaction; rolled back unless committed.
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

std::set<int64_t> disabled_sids(Db& db) {
  std::set<int64_t> out;
  auto st = db.prepare("SELECT sid FROM rule_disabled");
  while (st.step() == SQLITE_ROW) out.insert(st.col_int(0));
  return out;
}

// Inserts the next version; REQUIRES an open write transaction.
bool insert_version(Db& w, const std::string& base, const json& report, int64_t now,
                    const std::string& author, std::string* version) {
  std::string text = apply_disabled_sids(base, disabled_sids(w));
  auto mx = w.prepare("SELECT COALESCE(MAX(seq),0)+1 FROM rulesets");
  int64_t seq = mx.step() == SQLITE_ROW ? mx.col_int(0) : 1;
  *version = std::to_string(seq) + "-" + sha256_hex(text).substr(0, 12);
  auto st =
      w.prepare("INSERT INTO rulesets(seq,version,text,report,created_at,author,base) VALUES(?,?,?,?,?,?,?)");
  st.bind(1, seq).bind(2, *version).bind(3, text).bind(4, report.dump()).bind(5, now).bind(6, author);
  if (text == base)
    st.bind_null(7);
  else
    st.bind(7, base);
  return st.step() == SQLITE_DONE;
}

constexpr const char* kCols = "version, report, created_at, author, text, COALESCE(base, text)";

RulesetRecord row(const Stmt& st, bool texts) {
  RulesetRecord r;
  r.version = st.col_text(0);
  r.report = json::parse(st.col_text(1), nullptr, false);
  r.created_at = st.col_int(2);
  r.author = st.col_text(3);
  if (texts) {
    r.text = st.col_text(4);
    r.base = st.col_text(5);
  }
  return r;
}

}  // namespace

const char* const kSchema = R"sql(
CREATE TABLE IF NOT EXISTS rule_disabled(sid INTEGER PRIMARY KEY, reason TEXT NOT NULL, author TEXT NOT NULL,
  disabled_at INT NOT NULL);
)sql";

StoreStatus put_ruleset(Db& w, const std::string& text, const json& report, int64_t now,
                        const std::string& author, std::string* version) {
  Tx tx(w);
  if (!tx.ok()) return tx.commit();
  json rep = report.is_object() ? report : json::object();
  rep["change"] = json{{"kind", "upload"}};
  if (!insert_version(w, text, rep, now, author, version)) return tx.fail("ruleset insert");
  return tx.commit();
}

std::optional<RulesetRecord> current_ruleset(Db& r) {
  auto st = r.prepare(std::string("SELECT ") + kCols + " FROM rulesets ORDER BY seq DESC LIMIT 1");
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return row(st, true);
}

std::vector<RulesetRecord> list_rulesets(Db& r, int limit) {
  std::vector<RulesetRecord> out;
  auto st = r.prepare("SELECT version, report, created_at, author FROM rulesets ORDER BY seq DESC LIMIT ?");
  st.bind(1, int64_t{limit});
  while (st.step() == SQLITE_ROW) out.push_back(row(st, false));
  return out;
}

std::optional<RulesetRecord> get_ruleset(Db& r, const std::string& version) {
  auto st = r.prepare(std::string("SELECT ") + kCols + " FROM rulesets WHERE version=?");
  st.bind(1, version);
  if (st.step() != SQLITE_ROW) return std::nullopt;
  return row(st, true);
}

StoreStatus set_rule_enabled(Db& w, int64_t sid, bool enabled, const std::string& reason,
                             const std::string& author, int64_t now, AuditEntry audit, RuleToggle* result,
                             std::string* version) {
  version->clear();
  Tx tx(w);
  if (!tx.ok()) return tx.commit();
  auto cur = current_ruleset(w);
  if (!cur) {
    *result = RuleToggle::kNoRuleset;
    return tx.commit();
  }
  if (!ruleset_has_sid(cur->base, sid)) {
    *result = RuleToggle::kUnknownSid;
    return tx.commit();
  }
  Stmt st =
      enabled
          ? w.prepare("DELETE FROM rule_disabled WHERE sid=?")
          : w.prepare("INSERT OR IGNORE INTO rule_disabled(sid,reason,author,disabled_at) VALUES(?,?,?,?)");
  st.bind(1, sid);
  if (!enabled) st.bind(2, reason).bind(3, author).bind(4, now);
  if (st.step() != SQLITE_DONE) return tx.fail("rule_disabled");
  if (sqlite3_changes(w.get()) == 0) {
    *result = RuleToggle::kUnchanged;
    return tx.commit();
  }
  json rep = cur->report.is_object() ? cur->report : json::object();
  json change{{"kind", enabled ? "enable" : "disable"}, {"sid", sid}};
  if (!reason.empty()) change["reason"] = reason;
  rep["change"] = change;
  if (!insert_version(w, cur->base, rep, now, author, version)) return tx.fail("ruleset insert");
  audit.action = enabled ? "rule.enable" : "rule.disable";
  audit.target = "sid:" + std::to_string(sid);
  audit.detail = json{{"reason", reason}, {"version", *version}};
  auto a = w.prepare("INSERT INTO audit(ts,actor,action,target,peer,detail) VALUES(?,?,?,?,?,?)");
  a.bind(1, audit.ts).bind(2, audit.actor).bind(3, audit.action).bind(4, audit.target).bind(5, audit.peer);
  a.bind(6, audit.detail.dump());
  if (a.step() != SQLITE_DONE) return tx.fail("audit");
  *result = RuleToggle::kChanged;
  return tx.commit();
}

std::vector<DisabledRule> list_disabled_rules(Db& r) {
  std::vector<DisabledRule> out;
  auto st = r.prepare("SELECT sid, reason, author, disabled_at FROM rule_disabled ORDER BY sid");
  while (st.step() == SQLITE_ROW)
    out.push_back({st.col_int(0), st.col_text(1), st.col_text(2), st.col_int(3)});
  return out;
}

}  // namespace vigil::collector::sqlite_rulesets
