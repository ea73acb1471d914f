#include "collector/store/sqlite_alert_query.h"

#include <algorithm>
#include <variant>

#include "collector/store/alert_fts.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

// Counting stops here; past it the total is a lower bound (total_exact false).
constexpr int64_t kTotalCap = 10000;
// The other alerts and events of a flow (same agent, same flow_id) are looked
// for this far (µs) around the alert: a flow id can come back after a long
// time (the agent restarts, the hash repeats), a flow lasts less than this.
constexpr int64_t kFlowWindowUs = 3600LL * 1000000;
constexpr int kFlowRowsMax = 200;

constexpr const char* kHex = "0123456789abcdef";

std::string hex16(const Ip16& a) {
  std::string s;
  s.reserve(32);
  for (uint8_t b : a) {
    s.push_back(kHex[b >> 4]);
    s.push_back(kHex[b & 15]);
  }
  return s;
}

// vigil_ip16hex(text): the address as 32 hex digits of its 16-byte form
// (IPv4 mapped), NULL when it is not an address. Hex order is byte order, so
// a CIDR block is a BETWEEN.
void ip16hex_fn(sqlite3_context* ctx, int, sqlite3_value** argv) {
  const unsigned char* t = sqlite3_value_text(argv[0]);
  if (!t) {
    sqlite3_result_null(ctx);
    return;
  }
  auto a = ip16(std::string_view(reinterpret_cast<const char*>(t), sqlite3_value_bytes(argv[0])));
  if (!a) {
    sqlite3_result_null(ctx);
    return;
  }
  std::string h = hex16(*a);
  sqlite3_result_text(ctx, h.data(), static_cast<int>(h.size()), SQLITE_TRANSIENT);
}

std::string like_pattern(const std::string& s) {
  std::string p = "%";
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') p.push_back('\\');
    p.push_back(c);
  }
  p.push_back('%');
  return p;
}

using Bind = std::variant<int64_t, std::string>;

struct Where {
  std::string sql;
  std::vector<Bind> binds;
  void add(const std::string& cond) { sql += " AND " + cond; }
};

std::string placeholders(size_t n) {
  std::string s = "(";
  for (size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
  return s + ")";
}

void add_net(Where& w, const char* col, const IpNet& n) {
  if (n.exact) {
    w.add(std::string("a.") + col + "=?");
    w.binds.emplace_back(*n.exact);
  } else {
    w.add(std::string("vigil_ip16hex(a.") + col + ") BETWEEN ? AND ?");
    w.binds.emplace_back(hex16(n.lo));
    w.binds.emplace_back(hex16(n.hi));
  }
}

// Matches of a free-text expression up to which the list is driven by the
// text index (see build_where).
constexpr int64_t kFtsDriveMax = 5000;

bool fts_selective(Db& db, const std::string& match) {
  auto st = db.prepare("SELECT COUNT(*) FROM (SELECT 1 FROM alerts_fts WHERE alerts_fts MATCH ? LIMIT ?)");
  if (!st.valid()) return true;
  st.bind(1, std::string_view(match)).bind(2, kFtsDriveMax);
  return st.step() != SQLITE_ROW || st.col_int(0) < kFtsDriveMax;
}

Where build_where(const AlertFilter& f, Db& db) {
  Where w;
  w.sql = " WHERE 1=1";
  if (f.from_us) {
    w.add("a.ts>=?");
    w.binds.emplace_back(*f.from_us);
  }
  if (f.to_us) {
    w.add("a.ts<?");
    w.binds.emplace_back(*f.to_us);
  }
  if (!f.severities.empty()) {
    w.add("a.severity IN " + placeholders(f.severities.size()));
    for (int s : f.severities) w.binds.emplace_back(int64_t{s});
  }
  if (!f.sids.empty()) {
    w.add("a.sid IN " + placeholders(f.sids.size()));
    for (int64_t s : f.sids) w.binds.emplace_back(s);
  }
  if (f.signature) {
    w.add("a.signature LIKE ? ESCAPE '\\'");
    w.binds.emplace_back(like_pattern(*f.signature));
  }
  if (f.category) {
    w.add("a.category=?");
    w.binds.emplace_back(*f.category);
  }
  if (f.agent_id) {
    w.add("a.agent_id=?");
    w.binds.emplace_back(*f.agent_id);
  }
  if (f.src_ip) add_net(w, "src_ip", *f.src_ip);
  if (f.dest_ip) add_net(w, "dest_ip", *f.dest_ip);
  if (f.port) {
    w.add("(a.src_port=? OR a.dest_port=?)");
    w.binds.emplace_back(int64_t{*f.port});
    w.binds.emplace_back(int64_t{*f.port});
  }
  if (f.src_port) {
    w.add("a.src_port=?");
    w.binds.emplace_back(int64_t{*f.src_port});
  }
  if (f.dest_port) {
    w.add("a.dest_port=?");
    w.binds.emplace_back(int64_t{*f.dest_port});
  }
  if (f.proto) {
    w.add("a.proto=?");
    w.binds.emplace_back(*f.proto);
  }
  if (f.app_proto) {
    w.add("a.app_proto=?");
    w.binds.emplace_back(*f.app_proto);
  }
  if (!f.statuses.empty()) {
    w.add("COALESCE(t.status,'new') IN " + placeholders(f.statuses.size()));
    for (const auto& s : f.statuses) w.binds.emplace_back(s);
  }
  if (f.assignee) {
    w.add("t.assignee=?");
    w.binds.emplace_back(*f.assignee);
  }
  if (f.q) {
    // Free text over the signature and app-layer fields (collector/store/alert_fts.h).
    // Nothing to search for matches nothing (the API refuses such a q).
    if (auto m = fts_match_expression(*f.q)) {
      // Few matches: the index gives the ids and the rows are read by id. Many
      // (a word in most alerts): the rows are walked in time order and each id
      // is looked up in the match set (+ keeps the planner from driving by
      // id), so a first page costs one index scan, not a sort of every match.
      w.add(fts_selective(db, *m) ? "a.id IN (SELECT rowid FROM alerts_fts WHERE alerts_fts MATCH ?)"
                                  : "+a.id IN (SELECT rowid FROM alerts_fts WHERE alerts_fts MATCH ?)");
      w.binds.emplace_back(std::move(*m));
    } else {
      w.add("0");
    }
  }
  return w;
}

int bind_all(Stmt& st, const std::vector<Bind>& binds, int i = 1) {
  for (const auto& b : binds) {
    if (const auto* v = std::get_if<int64_t>(&b))
      st.bind(i++, *v);
    else
      st.bind(i++, std::string_view(std::get<std::string>(b)));
  }
  return i;
}

constexpr const char* kFrom = " FROM alerts a LEFT JOIN alert_triage t ON t.alert_id=a.id";
constexpr const char* kCols = "SELECT a.id, a.ts, a.agent_id, a.json, COALESCE(t.status,'new'), t.assignee";

// A row of kCols as the API shows it.
json row_json(const Stmt& st) {
  json j = json::parse(st.col_text(3), nullptr, false);
  if (!j.is_object()) j = json::object();
  j["id"] = st.col_int(0);
  j["agent_id"] = st.col_text(2);
  j["status"] = st.col_text(4);
  j["assignee"] = st.col_null(5) ? json() : json(st.col_text(5));
  return j;
}

StoreStatus fail(Db& db, const char* what) {
  return StoreStatus::error(std::string(what) + ": " + db.errmsg());
}

}  // namespace

bool register_alert_query_functions(Db& db, std::string* error) {
  int rc = sqlite3_create_function_v2(db.get(), "vigil_ip16hex", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                      nullptr, ip16hex_fn, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) {
    *error = "cannot register vigil_ip16hex: " + db.errmsg();
    return false;
  }
  return true;
}

StoreStatus sqlite_list_alerts(Db& db, const AlertListQuery& q, AlertListPage* out) {
  *out = {};
  Where w = build_where(q.filter, db);
  if (q.want_total) {
    auto cnt = db.prepare(std::string("SELECT COUNT(*) FROM (SELECT 1") + kFrom + w.sql + " LIMIT ?)");
    if (!cnt.valid()) return fail(db, "count");
    int i = bind_all(cnt, w.binds);
    cnt.bind(i, kTotalCap + 1);
    if (cnt.step() != SQLITE_ROW) return fail(db, "count");
    out->total = cnt.col_int(0);
    if (out->total > kTotalCap) {
      out->total_exact = false;
      out->total = kTotalCap;
      if (q.filter.empty()) {
        // Unfiltered: ids are dense apart from what retention removed from the oldest end.
        auto est = db.prepare("SELECT MAX(id)-MIN(id)+1 FROM alerts");
        if (est.step() == SQLITE_ROW) out->total = std::max(out->total, est.col_int(0));
      }
    }
  }
  std::string sql = std::string(kCols) + kFrom + w.sql;
  if (q.cursor) sql += " AND (a.ts<? OR (a.ts=? AND a.id<?))";
  sql += " ORDER BY a.ts DESC, a.id DESC LIMIT ?";
  auto st = db.prepare(sql);
  if (!st.valid()) return fail(db, "list");
  int i = bind_all(st, w.binds);
  if (q.cursor) {
    st.bind(i, q.cursor->ts_us).bind(i + 1, q.cursor->ts_us).bind(i + 2, q.cursor->id);
    i += 3;
  }
  int limit = std::clamp(q.limit, 1, 10000);
  st.bind(i, int64_t{limit});
  int rc;
  AlertCursor last;
  while ((rc = st.step()) == SQLITE_ROW) {
    last = {st.col_int(1), st.col_int(0)};
    out->alerts.push_back(row_json(st));
  }
  if (rc != SQLITE_DONE) return fail(db, "list");
  if (static_cast<int>(out->alerts.size()) == limit) out->next_cursor = last;
  return {};
}

StoreStatus sqlite_group_alerts(Db& db, const AlertListQuery& q, AlertGroupPage* out) {
  *out = {};
  const int64_t w_us = std::max<int64_t>(q.window_s, 1) * 1000000;
  Where w = build_where(q.filter, db);
  int limit = std::clamp(q.limit, 1, 10000);
  // The newest bucket that can hold a group of this page.
  auto newest_before = [&](std::optional<int64_t> before_us, int64_t* bucket) -> std::optional<StoreStatus> {
    std::string sql = std::string("SELECT MAX(a.ts)") + kFrom + w.sql + (before_us ? " AND a.ts<?" : "");
    auto st = db.prepare(sql);
    if (!st.valid()) return fail(db, "group");
    int i = bind_all(st, w.binds);
    if (before_us) st.bind(i, *before_us);
    if (st.step() != SQLITE_ROW) return fail(db, "group");
    if (st.col_null(0)) {
      *bucket = -1;
    } else {
      *bucket = st.col_int(0) / w_us;
    }
    return std::nullopt;
  };
  int64_t bucket;
  std::optional<GroupCursor> after = q.group_cursor;
  if (after) {
    bucket = after->bucket;
  } else if (auto e = newest_before(std::nullopt, &bucket)) {
    return *e;
  }
  auto st = db.prepare(std::string("SELECT COALESCE(a.sid,-1) AS k1, COALESCE(a.src_ip,'') AS k2, "
                                   "COALESCE(a.dest_ip,'') AS k3, COUNT(*), MIN(a.ts), MAX(a.ts), MAX(a.id), "
                                   "MAX(a.signature), MIN(a.severity)") +
                       kFrom + w.sql +
                       " AND a.ts>=? AND a.ts<? GROUP BY k1, k2, k3 HAVING (k1, k2, k3) > (?, ?, ?) "
                       "ORDER BY k1, k2, k3 LIMIT ?");
  if (!st.valid()) return fail(db, "group");
  while (bucket >= 0 && static_cast<int>(out->groups.size()) < limit) {
    st.reset();
    int i = bind_all(st, w.binds);
    st.bind(i, bucket * w_us).bind(i + 1, (bucket + 1) * w_us);
    if (after && after->bucket == bucket) {
      st.bind(i + 2, after->sid).bind(i + 3, std::string_view(after->src));
      st.bind(i + 4, std::string_view(after->dest));
    } else {
      st.bind(i + 2, int64_t{-2}).bind(i + 3, std::string_view()).bind(i + 4, std::string_view());
    }
    st.bind(i + 5, int64_t{limit - static_cast<int>(out->groups.size())});
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      AlertGroup g;
      g.sid = st.col_int(0);
      g.src_ip = st.col_text(1);
      g.dest_ip = st.col_text(2);
      g.count = st.col_int(3);
      g.first_seen_us = st.col_int(4);
      g.last_seen_us = st.col_int(5);
      g.sample_id = st.col_int(6);
      g.signature = st.col_text(7);
      g.severity = static_cast<int>(st.col_int(8));
      g.bucket = bucket;
      out->groups.push_back(std::move(g));
    }
    if (rc != SQLITE_DONE) return fail(db, "group");
    if (static_cast<int>(out->groups.size()) >= limit) break;
    if (auto e = newest_before(bucket * w_us, &bucket)) return *e;
  }
  if (static_cast<int>(out->groups.size()) == limit) {
    const auto& g = out->groups.back();
    out->next_cursor = GroupCursor{g.bucket, g.sid, g.src_ip, g.dest_ip};
  }
  return {};
}

StoreStatus sqlite_alert_detail(Db& db, int64_t id, std::optional<AlertDetail>* out) {
  out->reset();
  auto st = db.prepare(std::string(kCols) + ", a.flow_id" + kFrom + " WHERE a.id=?");
  if (!st.valid()) return fail(db, "detail");
  st.bind(1, id);
  int rc = st.step();
  if (rc == SQLITE_DONE) return {};
  if (rc != SQLITE_ROW) return fail(db, "detail");
  AlertDetail d;
  d.alert = row_json(st);
  int64_t ts = st.col_int(1);
  std::string agent = st.col_text(2);
  bool has_flow = !st.col_null(6);
  int64_t flow_id = st.col_int(6);
  if (has_flow) {
    // Both on the partial (agent_id, flow_id, ts) indexes: a range scan of
    // this flow's rows only, newest first. One row past the cap says more exist.
    auto fa = db.prepare(std::string(kCols) + kFrom +
                         " WHERE a.agent_id=? AND a.flow_id=? AND a.ts BETWEEN ? AND ? AND a.id<>? "
                         "ORDER BY a.ts DESC, a.id DESC LIMIT ?");
    if (!fa.valid()) return fail(db, "detail flow alerts");
    fa.bind(1, agent).bind(2, flow_id).bind(3, ts - kFlowWindowUs).bind(4, ts + kFlowWindowUs).bind(5, id);
    fa.bind(6, int64_t{kFlowRowsMax + 1});
    while ((rc = fa.step()) == SQLITE_ROW) d.flow_alerts.push_back(row_json(fa));
    if (rc != SQLITE_DONE) return fail(db, "detail flow alerts");
    auto ev = db.prepare(
        "SELECT id, json FROM events WHERE agent_id=? AND flow_id=? AND ts BETWEEN ? AND ? "
        "ORDER BY ts DESC, id DESC LIMIT ?");
    if (!ev.valid()) return fail(db, "detail flow events");
    ev.bind(1, agent).bind(2, flow_id).bind(3, ts - kFlowWindowUs).bind(4, ts + kFlowWindowUs);
    ev.bind(5, int64_t{kFlowRowsMax + 1});
    while ((rc = ev.step()) == SQLITE_ROW) {
      json j = json::parse(ev.col_text(1), nullptr, false);
      if (!j.is_object()) j = json::object();
      j["id"] = ev.col_int(0);
      d.flow_events.push_back(std::move(j));
    }
    if (rc != SQLITE_DONE) return fail(db, "detail flow events");
    for (auto* v : {&d.flow_alerts, &d.flow_events}) {
      if (v->size() > static_cast<size_t>(kFlowRowsMax)) {
        v->resize(kFlowRowsMax);
        d.truncated = true;
      }
    }
  }
  *out = std::move(d);
  return {};
}

}  // namespace vigil::collector
