#include "collector/store/sqlite_alert_query.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <unordered_map>
#include <variant>

#include "collector/store/alert_facts.h"
#include "collector/store/alert_fts.h"
#include "collector/store/sqlite_address_index.h"
#include "collector/store/sqlite_alert_parts.h"

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

std::string like_pattern(const std::string& s) {
  std::string p = "%";
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') p.push_back('\\');
    p.push_back(c);
  }
  p.push_back('%');
  return p;
}

using Bind = std::variant<int64_t, std::string, Ip16>;

struct Where {
  std::string sql;
  std::vector<Bind> binds;
  // The free text's matches (fts_matches_capped); n -1 without free text or
  // when the index could not be read.
  struct FtsMatches {
    int64_t n = -1;
    std::string ids;  // "1,5,9": every match, when 0 <= n < kFtsDriveMax
  } fts;
  void add(const std::string& cond) { sql += " AND " + cond; }
};

std::string placeholders(size_t n) {
  std::string s = "(";
  for (size_t i = 0; i < n; ++i) s += i ? ",?" : "?";
  return s + ")";
}

// `col` is src_ip16 or dest_ip16: the BLOB index serves both an address
// (equality) and a block (one range); see sqlite_address_index.h. An
// address keeps the index's ts order (no sort); a block does not, so where
// it holds many rows `scan` writes the range as "+col", which keeps SQLite
// off that index: the newest-first walk of alerts_ts then stops after a page.
void add_net(Where& w, const char* col, const IpNet& n, bool scan) {
  if (n.lo == n.hi) {
    w.add(std::string("a.") + col + "=?");
    w.binds.emplace_back(n.lo);
  } else {
    w.add(std::string(scan ? "+a." : "a.") + col + " BETWEEN ? AND ?");
    w.binds.emplace_back(n.lo);
    w.binds.emplace_back(n.hi);
  }
}

// The ids from the oldest alert to the newest: two subqueries, each a merge
// of the partitions' rowid ends (MAX(id) over the view, or MAX(id)-MIN(id)
// in one SELECT, would scan). 0 when the store is empty.
constexpr const char* kIdSpanSql =
    "SELECT COALESCE((SELECT id FROM alerts ORDER BY id DESC LIMIT 1)-(SELECT id FROM alerts ORDER BY id "
    "LIMIT "
    "1)+1, 0)";

// Matches of a free-text expression up to which the list is driven by the
// text index (see build_where).
constexpr int64_t kFtsDriveMax = 5000;

// How many alerts match `match`, counted on the text index only as far as
// the plan choice and the capped total need (kTotalCap + 1), and the ids
// themselves when fewer than kFtsDriveMax: one pass over the index per
// request serves the plan, the total and the rows.
// Matches are counted in every block, newest first, each joined to alerts:
// a block keeps the rows of deleted alerts until it is dropped whole
// (alert_fts.h).
Where::FtsMatches fts_matches_capped(Db& db, const std::string& match) {
  Where::FtsMatches m;
  const int64_t cap = std::max(kFtsDriveMax, kTotalCap + 1);
  std::vector<FtsBlock> blocks = fts_blocks(db);
  if (blocks.empty()) return m;  // n -1: the query itself then reports the error
  // Each block joined to the alert partitions its ids fall in, not to the
  // view: a join to the view runs the MATCH once per partition.
  const std::vector<AlertPart> parts = alert_parts(db);
  int64_t n = 0;
  for (auto b = blocks.rbegin(); b != blocks.rend() && n < cap; ++b) {
    const std::string t = "\"" + b->name + "\"";
    const int64_t hi = b == blocks.rbegin() ? INT64_MAX : std::prev(b)->first_id;
    auto st =
        db.prepare("SELECT " + t + ".rowid FROM " + t + " JOIN " + alert_ids_source(parts, b->first_id, hi) +
                   " a ON a.id=" + t + ".rowid WHERE " + t + " MATCH ? LIMIT ?");
    if (!st.valid()) return {};
    st.bind(1, std::string_view(match)).bind(2, cap - n);
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      if (++n < kFtsDriveMax) m.ids += (n > 1 ? "," : "") + std::to_string(st.col_int(0));
    }
    if (rc != SQLITE_DONE) return {};
  }
  m.n = n;
  if (n >= kFtsDriveMax) m.ids.clear();
  return m;
}

// Through the address index, a block costs one row read per alert in it
// (M), sorted; this many cost a few milliseconds, so a block that small
// always takes the index.
constexpr int64_t kIndexRowsCheap = 10000;

// Whether a page of `limit` rows of block `n` is cheaper found by walking
// all alerts newest first than through the address index. The index reads
// every row of the block (M) and sorts them; the walk reads about
// limit * N / M rows before it has a page (N alerts, matches spread evenly
// in time). So the walk wins once M passes sqrt(limit * N), but only where
// that spread holds; alerts of one network come in runs (one agent's
// batches), and the walk then crosses the runs of the others. So the index
// keeps every block up to kIndexRowsCheap. M is counted on the covering
// index, and only that far.
bool block_is_dense(Db& db, const char* col, const IpNet& n, int limit) {
  if (n.lo == n.hi) return false;
  auto all = db.prepare(kIdSpanSql);
  if (all.step() != SQLITE_ROW) return false;
  auto cap =
      std::max(kIndexRowsCheap, static_cast<int64_t>(std::sqrt(static_cast<double>(std::max(limit, 1)) *
                                                               static_cast<double>(all.col_int(0)))));
  auto st = db.prepare(std::string("SELECT COUNT(*) FROM (SELECT 1 FROM alerts WHERE ") + col +
                       " BETWEEN ? AND ? LIMIT ?)");
  if (!st.valid()) return false;
  bind_ip16(st, 1, n.lo);
  bind_ip16(st, 2, n.hi);
  st.bind(3, cap + 1);
  return st.step() == SQLITE_ROW && st.col_int(0) > cap;
}

// The WHERE clause of a filter. With `probe`, each address block is checked
// for the plan that finds a page of `limit` rows sooner (block_is_dense);
// without, every block goes through its index (right for a capped COUNT,
// which the covering index answers without reading rows). `fts`: the free
// text's matches when already read (nullptr: read them here).
Where build_where(const AlertFilter& f, Db& db, bool probe = false, int limit = 0,
                  const Where::FtsMatches* fts = nullptr) {
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
  if (f.src_ip) add_net(w, "src_ip16", *f.src_ip, probe && block_is_dense(db, "src_ip16", *f.src_ip, limit));
  if (f.dest_ip)
    add_net(w, "dest_ip16", *f.dest_ip, probe && block_is_dense(db, "dest_ip16", *f.dest_ip, limit));
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
      // Few matches: the ids read from the index once are the set, the rows
      // are read by id. Many (a word in most alerts): the rows are walked in
      // the order the rest of the plan gives (newest first for a page) and
      // each id is looked up by vigil_fts_has, which reads only the matches
      // near the ids asked, so a page stops after `limit` hits without
      // building the whole match set.
      w.fts = fts ? *fts : fts_matches_capped(db, *m);
      if (w.fts.n >= 0 && w.fts.n < kFtsDriveMax) {
        w.add("a.id IN (" + w.fts.ids + ")");
      } else {
        w.add("vigil_fts_has(?, a.id)");
        w.binds.emplace_back(std::move(*m));
      }
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
    else if (const auto* a = std::get_if<Ip16>(&b))
      bind_ip16(st, i++, *a);
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

// A partition and the event times it holds, for the reads that go newest
// event first one partition at a time (sqlite_alert_parts.h).
struct PartSpan {
  std::string name;
  int64_t min_ts = 0, max_ts = 0;
};

// The partitions that hold alerts, the newest event first. Two index seeks
// each.
std::vector<PartSpan> part_spans(Db& db) {
  std::vector<PartSpan> out;
  for (const AlertPart& p : alert_parts(db)) {
    const std::string t = "\"" + p.name + "\"";
    auto st = db.prepare("SELECT (SELECT MIN(ts) FROM " + t + "), (SELECT MAX(ts) FROM " + t + ")");
    if (st.step() != SQLITE_ROW || st.col_null(0)) continue;
    out.push_back({p.name, st.col_int(0), st.col_int(1)});
  }
  std::sort(out.begin(), out.end(), [](const PartSpan& a, const PartSpan& b) { return a.max_ts > b.max_ts; });
  return out;
}

// kFrom over one partition's table instead of the view.
std::string from_part(const PartSpan& p) {
  return " FROM \"" + p.name + "\" a LEFT JOIN alert_triage t ON t.alert_id=a.id";
}

}  // namespace

bool register_alert_query_functions(Db& db, std::string* error) {
  return register_ip16_function(db, error) && register_fts_has_function(db, error);
}

namespace {

// Whether the stats cache finds a filter's page sooner than SQLite: every
// condition held there, and none that an index finds the rows of alone
// (the list walks each partition's (ts, id) index newest first and tests
// the rest on the row, so a rare port read every row of the store: about a
// second at 1M alerts, bench/RESULTS.md).
bool facts_list_wins(const AlertFilter& f) {
  if (!AlertFacts::can_list(f) || f.empty()) return false;
  if (f.port || f.src_port || f.dest_port || f.proto || f.app_proto || f.category) return true;
  const int indexed = !f.severities.empty() + !f.sids.empty() + f.agent_id.has_value() +
                      f.src_ip.has_value() + f.dest_ip.has_value();
  return indexed >= 2;
}

// The page the stats cache found: the rows read by id from the partition
// that holds each, in the cache's order. A row retention deleted after the
// cache was read is left out; the cursor is still the cache's last row.
StoreStatus list_from_facts(Db& db, const AlertListQuery& q, int limit, const AlertFacts& facts,
                            AlertListPage* out) {
  out->cached = true;
  FactPage fp;
  facts.newest(q.filter, q.cursor, limit, q.want_total ? kTotalCap : 0, &fp);
  if (q.want_total) {
    out->total = std::min(fp.matched, kTotalCap);
    out->total_exact = fp.matched <= kTotalCap;
  }
  std::vector<int64_t> ids;
  for (const FactRow& r : fp.rows) ids.push_back(r.id);
  std::sort(ids.begin(), ids.end());
  std::unordered_map<int64_t, json> got;
  const std::vector<AlertPart> parts = alert_parts(db);
  size_t k = 0;
  for (size_t p = 0; p < parts.size() && k < ids.size(); ++p) {
    const int64_t end = p + 1 < parts.size() ? parts[p + 1].first_id : std::numeric_limits<int64_t>::max();
    std::string in;
    for (; k < ids.size() && ids[k] < end; ++k)
      if (ids[k] >= parts[p].first_id) in += (in.empty() ? "" : ",") + std::to_string(ids[k]);
    if (in.empty()) continue;
    auto st = db.prepare(std::string(kCols) + " FROM \"" + parts[p].name +
                         "\" a LEFT JOIN alert_triage t ON t.alert_id=a.id WHERE a.id IN (" + in + ")");
    if (!st.valid()) return fail(db, "list");
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) got.emplace(st.col_int(0), row_json(st));
    if (rc != SQLITE_DONE) return fail(db, "list");
  }
  for (const FactRow& r : fp.rows)
    if (auto it = got.find(r.id); it != got.end()) out->alerts.push_back(std::move(it->second));
  if (static_cast<int>(fp.rows.size()) == limit)
    out->next_cursor = AlertCursor{fp.rows.back().ts, fp.rows.back().id};
  return {};
}

}  // namespace

StoreStatus sqlite_list_alerts(Db& db, const AlertListQuery& q, AlertListPage* out, const AlertFacts* facts) {
  *out = {};
  int limit = std::clamp(q.limit, 1, 10000);
  if (facts && facts_list_wins(q.filter)) return list_from_facts(db, q, limit, *facts, out);
  Where w = build_where(q.filter, db);
  AlertFilter rest = q.filter;
  rest.q.reset();
  if (q.want_total && w.fts.n >= 0 && rest.empty()) {
    // Free text alone: the count already made on the text index is the total.
    out->total = std::min(w.fts.n, kTotalCap);
    out->total_exact = w.fts.n <= kTotalCap;
  } else if (q.want_total) {
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
        // Two subqueries, each a merge of the partitions' rowid ends (MAX(id)
        // over the view, or MAX(id)-MIN(id) in one SELECT, scans).
        auto est = db.prepare(kIdSpanSql);
        if (est.step() == SQLITE_ROW) out->total = std::max(out->total, est.col_int(0));
      }
    }
  }
  if (q.filter.src_ip || q.filter.dest_ip) {
    Where::FtsMatches fts = std::move(w.fts);
    w = build_where(q.filter, db, true, limit, &fts);
  }
  // The page: each partition in turn, the newest events first, until the
  // next one's newest event is older than the page's last row. Over the
  // view, SQLite's merge would first find a matching row in every
  // partition, which for a filter walked in time order means walking each
  // partition to its newest match (88 of them at 10M alerts).
  std::string tail = w.sql;
  if (q.cursor) tail += " AND (a.ts<? OR (a.ts=? AND a.id<?))";
  tail += " ORDER BY a.ts DESC, a.id DESC LIMIT ?";
  struct Row {
    int64_t ts, id;
    json j;
  };
  std::vector<Row> rows;
  const auto newer = [](const Row& a, const Row& b) { return a.ts != b.ts ? a.ts > b.ts : a.id > b.id; };
  for (const PartSpan& p : part_spans(db)) {
    if (q.cursor && p.min_ts > q.cursor->ts_us) continue;  // all of it before the cursor's row
    if (static_cast<int>(rows.size()) >= limit && p.max_ts < rows.back().ts) break;
    auto st = db.prepare(std::string(kCols) + from_part(p) + tail);
    if (!st.valid()) return fail(db, "list");
    int i = bind_all(st, w.binds);
    if (q.cursor) {
      st.bind(i, q.cursor->ts_us).bind(i + 1, q.cursor->ts_us).bind(i + 2, q.cursor->id);
      i += 3;
    }
    st.bind(i, int64_t{limit});
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) rows.push_back({st.col_int(1), st.col_int(0), row_json(st)});
    if (rc != SQLITE_DONE) return fail(db, "list");
    std::sort(rows.begin(), rows.end(), newer);
    if (static_cast<int>(rows.size()) > limit) rows.resize(static_cast<size_t>(limit));
  }
  for (auto& r : rows) out->alerts.push_back(std::move(r.j));
  if (static_cast<int>(rows.size()) == limit) out->next_cursor = AlertCursor{rows.back().ts, rows.back().id};
  return {};
}

StoreStatus sqlite_scan_alerts(Db& db, const AlertFilter& f, const std::string& cols,
                               const std::function<void(const Stmt&)>& row) {
  Where w = build_where(f, db);
  auto st = db.prepare("SELECT " + cols + kFrom + w.sql);
  if (!st.valid()) return fail(db, "scan");
  bind_all(st, w.binds);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) row(st);
  if (rc != SQLITE_DONE) return fail(db, "scan");
  return {};
}

StoreStatus sqlite_group_alerts(Db& db, const AlertListQuery& q, AlertGroupPage* out) {
  *out = {};
  const int64_t w_us = std::max<int64_t>(q.window_s, 1) * 1000000;
  int limit = std::clamp(q.limit, 1, 10000);
  Where w = build_where(q.filter, db, true, limit);
  const std::vector<PartSpan> spans = part_spans(db);
  // The newest bucket that can hold a group of this page.
  auto newest_before = [&](std::optional<int64_t> before_us, int64_t* bucket) -> std::optional<StoreStatus> {
    // One partition at a time, the newest events first, until no later one
    // can hold a newer match (as the list's page; a merge over the view
    // would find a match in every partition first).
    const std::string tail = w.sql + (before_us ? " AND a.ts<?" : "") + " ORDER BY a.ts DESC LIMIT 1";
    std::optional<int64_t> best;
    for (const PartSpan& p : spans) {
      if (best && p.max_ts <= *best) break;
      if (before_us && p.min_ts >= *before_us) continue;
      auto st = db.prepare(std::string("SELECT a.ts") + from_part(p) + tail);
      if (!st.valid()) return fail(db, "group");
      int i = bind_all(st, w.binds);
      if (before_us) st.bind(i, *before_us);
      const int rc = st.step();
      if (rc == SQLITE_ROW) {
        if (!best || st.col_int(0) > *best) best = st.col_int(0);
      } else if (rc != SQLITE_DONE) {
        return fail(db, "group");
      }
    }
    *bucket = best ? *best / w_us : -1;
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
    // On the partial (agent_id, flow_id, ts) indexes: a range scan of this
    // flow's rows only, newest first. The newest partition has no such
    // index until it closes (sqlite_alert_parts.h): there the hour's rows
    // on its (ts, id) index (the `+` keeps SQLite from the dedup key's
    // index, which would read every alert of the agent). One row past the
    // cap says more exist.
    const std::vector<AlertPart> parts = alert_parts(db);
    struct FlowRow {
      int64_t ts, id;
      json j;
    };
    std::vector<FlowRow> rows;
    auto read = [&](const std::string& from, const char* cond) -> StoreStatus {
      auto fa =
          db.prepare(std::string(kCols) + " FROM " + from + " a LEFT JOIN alert_triage t ON t.alert_id=a.id" +
                     cond + " AND a.ts BETWEEN ? AND ? AND a.id<>? ORDER BY a.ts DESC, a.id DESC LIMIT ?");
      if (!fa.valid()) return fail(db, "detail flow alerts");
      fa.bind(1, agent).bind(2, flow_id).bind(3, ts - kFlowWindowUs).bind(4, ts + kFlowWindowUs).bind(5, id);
      fa.bind(6, int64_t{kFlowRowsMax + 1});
      int step;
      while ((step = fa.step()) == SQLITE_ROW) rows.push_back({fa.col_int(1), fa.col_int(0), row_json(fa)});
      if (step != SQLITE_DONE) return fail(db, "detail flow alerts");
      return {};
    };
    if (!parts.empty()) {
      // The closed partitions, as the view has them (a condition on the id
      // does not keep SQLite off the newest's dedup key there).
      const std::string closed = alert_parts_union(parts, parts.size() - 1);
      if (!closed.empty()) {
        if (StoreStatus e = read("(" + closed + ")", " WHERE a.agent_id=? AND a.flow_id=?"); !e.ok) return e;
      }
      if (StoreStatus e = read("\"" + parts.back().name + "\"", " WHERE +a.agent_id=? AND +a.flow_id=?");
          !e.ok)
        return e;
    }
    std::sort(rows.begin(), rows.end(),
              [](const FlowRow& a, const FlowRow& b) { return a.ts != b.ts ? a.ts > b.ts : a.id > b.id; });
    for (auto& r : rows) {
      if (d.flow_alerts.size() > static_cast<size_t>(kFlowRowsMax)) break;
      d.flow_alerts.push_back(std::move(r.j));
    }
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
