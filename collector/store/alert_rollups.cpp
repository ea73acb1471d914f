#include "collector/store/alert_rollups.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <charconv>
#include <unordered_map>

#include "collector/store/alert_facts.h"
#include "collector/store/alert_fts.h"
#include "collector/store/sqlite_alert_query.h"
#include "collector/store/sqlite_db.h"

namespace vigil::collector {
namespace {

// Dimensions of alert_rollup_hour. kAgent also serves the series for
// intervals of whole hours.
enum Dim : int { kAgent = 0, kSid = 1, kSrc = 2, kDest = 3 };
constexpr int kDayDim = kRollupDayDim;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
int64_t ceil_div(int64_t a, int64_t b) {
  return -floor_div(-a, b);
}

// SQL for floor(x / g) with SQLite's truncating division.
std::string sql_floor(const std::string& x, int64_t g) {
  std::string gs = std::to_string(g);
  return "((" + x + ")/" + gs + " - ((" + x + ")%" + gs + " < 0))";
}

StoreStatus db_error(const Db& db, const char* what) {
  return StoreStatus::error(std::string(what) + ": " + db.errmsg());
}

// The first day whose day rows count (alert_rollup_state); *out unchanged
// when none is stored.
StoreStatus read_day_rows_from(Db& db, int64_t* out) {
  Stmt w = db.prepare("SELECT value FROM alert_rollup_state WHERE name='day_rows_from'");
  int rc = w.valid() ? w.step() : SQLITE_ERROR;
  if (rc == SQLITE_ROW) *out = w.col_int(0);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return db_error(db, "rollup state");
  return {};
}

// severity -> count, ordered.
using SevCounts = std::map<int, int64_t>;
using Series = std::map<int64_t, SevCounts>;  // bucket start (s) -> counts

struct Filters {
  const StatsQuery& q;
  // " AND col=?" for each filter present, binding from index i on.
  std::string sql(const char* agent_col, const char* sev_col) const {
    std::string s;
    if (q.agent_id) s += std::string(" AND ") + agent_col + "=?";
    if (q.severity) s += std::string(" AND ") + sev_col + "=?";
    if (!q.severities.empty()) {
      s += std::string(" AND ") + sev_col + " IN (?";
      for (size_t k = 1; k < q.severities.size(); ++k) s += ",?";
      s += ")";
    }
    return s;
  }
  int bind(Stmt& st, int i) const {
    if (q.agent_id) st.bind(i++, *q.agent_id);
    if (q.severity) st.bind(i++, int64_t{*q.severity});
    for (int v : q.severities) st.bind(i++, int64_t{v});
    return i;
  }
};

// What the alerts committed but not yet in the rollups (the id ranges of
// alert_rollup_pending) add where the rollups answer: to the series in the
// ranges count_series read from them, and per key to the top lists' whole
// hours. Read in the caller's read transaction, whose rollups plus these
// equal a count of the rows (alert_rollups.h): about a second of ingest.
struct PendingCounts {
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view v) const { return std::hash<std::string_view>()(v); }
  };
  std::unordered_map<std::string, int64_t, Hash, std::equal_to<>> keys[4];  // by Dim
};

StoreStatus count_pending(Db& db, const Filters& f, const std::vector<std::pair<int64_t, int64_t>>& rolled,
                          int64_t top_from, int64_t top_to, Series* series, PendingCounts* out) {
  Stmt ranges = db.prepare("SELECT first_id, last_id FROM alert_rollup_pending");
  Stmt sel = db.prepare(
      "SELECT ts, COALESCE(severity,0), agent_id, CAST(sid AS TEXT), src_ip, dest_ip FROM alerts WHERE id "
      "BETWEEN ? AND ?" +
      f.sql("agent_id", "COALESCE(severity,0)"));
  if (!ranges.valid() || !sel.valid()) return db_error(db, "stats pending");
  const int64_t interval_us = f.q.interval_s * 1'000'000;
  int rc;
  while ((rc = ranges.step()) == SQLITE_ROW) {
    sel.reset();
    sel.bind(1, ranges.col_int(0)).bind(2, ranges.col_int(1));
    f.bind(sel, 3);
    int src;
    while ((src = sel.step()) == SQLITE_ROW) {
      const int64_t ts = sel.col_int(0);
      for (const auto& [lo, hi] : rolled)
        if (ts >= lo && ts < hi) {
          (*series)[floor_div(ts, interval_us) * f.q.interval_s][static_cast<int>(sel.col_int(1))] += 1;
          break;
        }
      if (ts < top_from || ts >= top_to) continue;
      for (int d = 0; d < 4; ++d) {
        if (sel.col_null(2 + d)) continue;
        const std::string_view key = sel.col_view(2 + d);
        auto& m = out->keys[d];
        if (auto it = m.find(key); it != m.end())
          ++it->second;
        else
          m.emplace(std::string(key), 1);
      }
    }
    if (src != SQLITE_DONE) return db_error(db, "stats pending");
  }
  if (rc != SQLITE_DONE) return db_error(db, "stats pending");
  return {};
}

// Counts [from, to) (microseconds) into `series`, from the coarsest level
// that fits: whole hours from the hourly rollup (when the interval is whole
// hours), whole minutes from the minute rollup (interval of whole minutes),
// the rest from raw rows. The ranges read from the rollups go into *rolled.
StoreStatus count_series(Db& db, const Filters& f, int64_t from, int64_t to, int level, Series* series,
                         bool* raw, std::vector<std::pair<int64_t, int64_t>>* rolled) {
  if (from >= to) return {};
  const int64_t interval = f.q.interval_s;
  static constexpr int64_t kGran[] = {kUsPerHour, kUsPerMinute};
  while (level < 2 && (interval * 1'000'000) % kGran[level] != 0) ++level;
  if (level < 2) {
    int64_t g = kGran[level];
    int64_t a = ceil_div(from, g), b = floor_div(to, g);  // whole buckets [a, b)
    if (a >= b) return count_series(db, f, from, to, level + 1, series, raw, rolled);
    rolled->emplace_back(a * g, b * g);
    Stmt st = level == 0 ? db.prepare(
                               "SELECT hour, severity, SUM(n) FROM alert_rollup_hour WHERE dim=0 AND "
                               "hour>=? AND hour<?" +
                               f.sql("key", "severity") + " GROUP BY hour, severity")
                         : db.prepare(
                               "SELECT minute, severity, SUM(n) FROM alert_rollup_min WHERE minute>=? "
                               "AND minute<?" +
                               f.sql("agent_id", "severity") + " GROUP BY minute, severity");
    if (!st.valid()) return db_error(db, "stats series");
    st.bind(1, a).bind(2, b);
    f.bind(st, 3);
    int64_t unit_s = g / 1'000'000;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
      int64_t bucket = floor_div(st.col_int(0) * unit_s, interval) * interval;
      (*series)[bucket][static_cast<int>(st.col_int(1))] += st.col_int(2);
    }
    if (rc != SQLITE_DONE) return db_error(db, "stats series");
    StoreStatus s = count_series(db, f, from, a * g, level + 1, series, raw, rolled);
    if (!s.ok) return s;
    return count_series(db, f, b * g, to, level + 1, series, raw, rolled);
  }
  *raw = *raw || f.q.interval_s % 60 != 0;
  Stmt st = db.prepare("SELECT " + sql_floor("ts", interval * 1'000'000) +
                       ", COALESCE(severity,0), COUNT(*) FROM alerts WHERE ts>=? AND ts<?" +
                       f.sql("agent_id", "severity") + " GROUP BY 1, 2");
  if (!st.valid()) return db_error(db, "stats raw series");
  st.bind(1, from).bind(2, to);
  f.bind(st, 3);
  int rc;
  while ((rc = st.step()) == SQLITE_ROW)
    (*series)[st.col_int(0) * interval][static_cast<int>(st.col_int(1))] += st.col_int(2);
  if (rc != SQLITE_DONE) return db_error(db, "stats raw series");
  return {};
}

std::vector<TopEntry> top_n(const std::unordered_map<std::string, int64_t>& counts, int n) {
  std::vector<TopEntry> v;
  v.reserve(counts.size());
  for (const auto& [k, c] : counts)
    if (c > 0) v.push_back({k, {}, c});  // a rollup row retention took to 0 is not a key
  auto better = [](const TopEntry& a, const TopEntry& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  };
  size_t k = std::min<size_t>(v.size(), static_cast<size_t>(n));
  std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), better);
  v.resize(k);
  return v;
}

// Each entry of a signature top list gets the rule's message as last stored.
void name_signatures(Db& db, std::vector<TopEntry>* list) {
  // ts in the result: over the partitions' view SQLite merges their (sid, ts)
  // indexes only when every ORDER BY term is a result column; otherwise it
  // reads and sorts every alert of the sid.
  Stmt name = db.prepare("SELECT signature, ts FROM alerts WHERE sid=? ORDER BY ts DESC LIMIT 1");
  for (auto& e : *list) {
    int64_t sid = 0;
    std::from_chars(e.key.data(), e.key.data() + e.key.size(), sid);
    name.reset();
    name.bind(1, sid);
    if (name.step() == SQLITE_ROW) e.signature = name.col_text(0);
  }
}

// One top list from the rollups over whole hours [from, to): whole days
// from day_rows_from on from the day rows (not for agents: few keys), the
// hours around them from the hour rows. With an agent filter, the sid and address lists read that
// agent's rows of alert_rollup_agent (its key leads, so only they are read).
StoreStatus top_list(Db& db, const Filters& f, Dim dim, int64_t from, int64_t to, int64_t day_rows_from,
                     const PendingCounts& pending, std::vector<TopEntry>* out) {
  std::unordered_map<std::string, int64_t> counts;
  int64_t h0 = floor_div(from, kUsPerHour), h1 = ceil_div(to, kUsPerHour);
  int64_t d0 = std::max(ceil_div(h0, 24), day_rows_from), d1 = floor_div(h1, 24);
  const bool per_agent = f.q.agent_id && dim != kAgent;
  const std::string sql = per_agent
                              ? "SELECT key, n FROM alert_rollup_agent WHERE dim=? AND hour>=? AND hour<?" +
                                    f.sql("agent_id", "severity")
                              : "SELECT key, n FROM alert_rollup_hour WHERE dim=? AND hour>=? AND hour<?" +
                                    f.sql("key", "severity");
  auto scan = [&](int64_t dimv, int64_t lo, int64_t hi) -> StoreStatus {
    if (lo >= hi) return {};
    Stmt q = db.prepare(sql);
    if (!q.valid()) return db_error(db, "stats top");
    q.bind(1, dimv).bind(2, lo).bind(3, hi);
    f.bind(q, 4);
    int rc;
    while ((rc = q.step()) == SQLITE_ROW) counts[q.col_text(0)] += q.col_int(1);
    if (rc != SQLITE_DONE) return db_error(db, "stats top");
    return {};
  };
  StoreStatus s;
  if (dim != kAgent && d0 < d1) {
    if (s = scan(dim + kDayDim, d0, d1); !s.ok) return s;
    if (s = scan(dim, h0, d0 * 24); !s.ok) return s;
    if (s = scan(dim, d1 * 24, h1); !s.ok) return s;
  } else if (s = scan(dim, h0, h1); !s.ok) {
    return s;
  }
  for (const auto& [k, n] : pending.keys[dim]) counts[k] += n;
  *out = top_n(counts, f.q.top);
  if (dim == kSid) name_signatures(db, out);
  return {};
}

// The series and the totals by severity of `series`, into *out.
void fill_series(const Series& series, AlertStats* out) {
  SevCounts totals;
  for (const auto& [start, sev] : series) {
    StatsBucket b;
    b.start_s = start;
    for (const auto& [s, n] : sev) {
      if (n == 0) continue;
      b.by_severity.emplace_back(s, n);
      b.total += n;
      totals[s] += n;
    }
    if (b.total) out->series.push_back(std::move(b));
  }
  for (const auto& [s, n] : totals) {
    out->by_severity.emplace_back(s, n);
    out->total += n;
  }
}

// A filter the rollups cannot answer: one scan of the rows matching it (the
// list's WHERE clause, sqlite_alert_query.h) over exactly [from, to) counts
// the series and the four top lists; alerts without a sid or an address are
// left out of that list, as in the rollups.
StoreStatus filtered_stats(Db& db, const StatsQuery& q, AlertStats* out, const AlertFacts* facts,
                           const FtsBitsOptions* fts) {
  out->raw = true;
  out->top_from_us = q.from_us;
  out->top_to_us = q.to_us;
  AlertFilter f = q.filter;
  f.from_us = q.from_us;
  f.to_us = q.to_us;
  // The query's own agent and severity narrow the filter's (AND).
  if (q.agent_id) {
    if (f.agent_id && *f.agent_id != *q.agent_id) return {};
    f.agent_id = q.agent_id;
  }
  if (q.severity) {
    if (!f.severities.empty() &&
        std::find(f.severities.begin(), f.severities.end(), *q.severity) == f.severities.end())
      return {};
    f.severities = {*q.severity};
  }
  if (!q.severities.empty()) {
    std::vector<int> both;
    for (int v : q.severities)
      if (f.severities.empty() ||
          std::find(f.severities.begin(), f.severities.end(), v) != f.severities.end())
        both.push_back(v);
    if (both.empty()) return {};
    f.severities = std::move(both);
  }
  if (facts && AlertFacts::can_answer(f)) {
    FactCounts c;
    std::string err;
    std::optional<std::string> match;
    if (f.q && !(match = fts_match_expression(*f.q))) return {};  // nothing to search for matches nothing
    auto bits = [&](int64_t lo, int64_t hi, std::vector<uint64_t>* b, std::string* e) {
      return fts_match_bits(db, *match, lo, hi, b, e, fts ? *fts : FtsBitsOptions{});
    };
    if (!facts->count(f, q.interval_s, q.top, bits, &c, &err))
      return StoreStatus::error("stats free text: " + err);
    fill_series(c.series, out);
    out->cached = true;
    out->top_signatures = std::move(c.top_signatures);
    name_signatures(db, &out->top_signatures);
    out->top_sources = std::move(c.top_sources);
    out->top_destinations = std::move(c.top_destinations);
    out->top_agents = std::move(c.top_agents);
    return {};
  }
  Series series;
  std::unordered_map<std::string, int64_t> counts[4];
  const int64_t interval_us = q.interval_s * 1'000'000;
  StoreStatus st = sqlite_scan_alerts(
      db, f, "a.ts, COALESCE(a.severity,0), CAST(a.sid AS TEXT), a.src_ip, a.dest_ip, a.agent_id",
      [&](const Stmt& r) {
        series[floor_div(r.col_int(0), interval_us) * q.interval_s][static_cast<int>(r.col_int(1))] += 1;
        for (int d : {kSid, kSrc, kDest, kAgent}) {
          int col = d == kAgent ? 5 : d + 1;
          if (!r.col_null(col)) counts[d][r.col_text(col)] += 1;
        }
      });
  if (!st.ok) return st;
  fill_series(series, out);
  out->top_signatures = top_n(counts[kSid], q.top);
  name_signatures(db, &out->top_signatures);
  out->top_sources = top_n(counts[kSrc], q.top);
  out->top_destinations = top_n(counts[kDest], q.top);
  out->top_agents = top_n(counts[kAgent], q.top);
  return {};
}

}  // namespace

const char* const kRollupSchema = R"sql(
CREATE TABLE IF NOT EXISTS alert_rollup_min(minute INT NOT NULL, agent_id TEXT NOT NULL, severity INT NOT NULL,
  n INT NOT NULL, PRIMARY KEY(minute, agent_id, severity)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_rollup_hour(dim INT NOT NULL, hour INT NOT NULL, key TEXT NOT NULL,
  severity INT NOT NULL, n INT NOT NULL, PRIMARY KEY(dim, hour, key, severity)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_rollup_agent(agent_id TEXT NOT NULL, dim INT NOT NULL, hour INT NOT NULL,
  key TEXT NOT NULL, severity INT NOT NULL, n INT NOT NULL,
  PRIMARY KEY(agent_id, dim, hour, key, severity)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_rollup_state(name TEXT PRIMARY KEY, value INT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS alert_rollup_pending(owner TEXT NOT NULL, first_id INT NOT NULL, last_id INT NOT NULL,
  PRIMARY KEY(owner, first_id)) WITHOUT ROWID;
)sql";

void RollupDelta::add(int64_t ts_us, const std::optional<int64_t>& severity, const std::string& agent_id,
                      const std::optional<int64_t>& sid, const std::optional<std::string>& src_ip,
                      const std::optional<std::string>& dest_ip, int64_t n) {
  int64_t sev = severity.value_or(0);
  minutes_[{floor_div(ts_us, kUsPerMinute), agent_id, sev}] += n;
  int64_t hour = floor_div(ts_us, kUsPerHour);
  hours_[{kAgent, hour, agent_id, sev}] += n;
  auto count = [&](int dim, const std::string& key) {
    hours_[{dim, hour, key, sev}] += n;
    agent_hours_[{agent_id, dim, hour, key, sev}] += n;
  };
  if (sid) count(kSid, std::to_string(*sid));
  if (src_ip) count(kSrc, *src_ip);
  if (dest_ip) count(kDest, *dest_ip);
  days_ = true;
}

// The hour rows, and with days_ the day rows of the sid and address
// dimensions summed from them (a day is 24 whole hours: floor(floor(t / h)
// / 24) = floor(t / 24h)).
// (The day keys are summed in a map of their own: they never equal an hour
// key, whose dim is below kDayDim, and copying the hour map was most of the
// cost.)
std::vector<std::pair<RollupDelta::HourKey, int64_t>> RollupDelta::hours() const {
  if (!days_) return sorted(hours_);
  Counts<HourKey> days;
  for (const auto& [k, n] : hours_) {
    const auto& [dim, hour, key, sev] = k;
    if (dim != kAgent) days[{dim + kDayDim, floor_div(hour, 24), key, sev}] += n;
  }
  return sorted(hours_, days);
}

std::vector<std::pair<RollupDelta::AgentKey, int64_t>> RollupDelta::agent_hours() const {
  if (!days_) return sorted(agent_hours_);
  Counts<AgentKey> days;
  for (const auto& [k, n] : agent_hours_) {
    const auto& [agent, dim, hour, key, sev] = k;
    days[{agent, dim + kDayDim, floor_div(hour, 24), key, sev}] += n;
  }
  return sorted(agent_hours_, days);
}

void RollupDelta::merge(const RollupDelta& o) {
  days_ = days_ || o.days_;
  for (const auto& [k, n] : o.minutes_) minutes_[k] += n;
  for (const auto& [k, n] : o.hours_) hours_[k] += n;
  for (const auto& [k, n] : o.agent_hours_) agent_hours_[k] += n;
}

StoreStatus RollupDelta::apply(Db& db) const {
  Stmt up_min = db.prepare(
      "INSERT INTO alert_rollup_min(minute,agent_id,severity,n) VALUES(?,?,?,?) "
      "ON CONFLICT(minute,agent_id,severity) DO UPDATE SET n=n+excluded.n");
  Stmt up_hour = db.prepare(
      "INSERT INTO alert_rollup_hour(dim,hour,key,severity,n) VALUES(?,?,?,?,?) "
      "ON CONFLICT(dim,hour,key,severity) DO UPDATE SET n=n+excluded.n");
  Stmt up_agent = db.prepare(
      "INSERT INTO alert_rollup_agent(agent_id,dim,hour,key,severity,n) VALUES(?,?,?,?,?,?) "
      "ON CONFLICT(agent_id,dim,hour,key,severity) DO UPDATE SET n=n+excluded.n");
  if (!up_min.valid() || !up_hour.valid() || !up_agent.valid()) return db_error(db, "rollup statements");
  for (const auto& [k, n] : minutes()) {
    up_min.reset();
    up_min.bind(1, std::get<0>(k)).bind(2, std::get<1>(k)).bind(3, std::get<2>(k)).bind(4, n);
    if (up_min.step() != SQLITE_DONE) return db_error(db, "rollup minute");
  }
  for (const auto& [k, n] : hours()) {
    up_hour.reset();
    up_hour.bind(1, int64_t{std::get<0>(k)}).bind(2, std::get<1>(k)).bind(3, std::get<2>(k));
    up_hour.bind(4, std::get<3>(k)).bind(5, n);
    if (up_hour.step() != SQLITE_DONE) return db_error(db, "rollup hour");
  }
  for (const auto& [k, n] : agent_hours()) {
    up_agent.reset();
    up_agent.bind(1, std::get<0>(k)).bind(2, int64_t{std::get<1>(k)}).bind(3, std::get<2>(k));
    up_agent.bind(4, std::get<3>(k)).bind(5, std::get<4>(k)).bind(6, n);
    if (up_agent.step() != SQLITE_DONE) return db_error(db, "rollup agent");
  }
  return {};
}

StoreStatus RollupDelta::plan_removal(Db& db, int64_t oldest_us, const Pruned& pruned, Removal* out) {
  Removal& r = *out;
  r.none = oldest_us == INT64_MAX;
  // The first minute and hour that may still hold alerts, and the first day
  // whose day rows are kept: the day of the oldest alert left is counted
  // from its hour rows from now on (the readers take day rows from
  // alert_rollup_state's day_rows_from on), so a day row is never
  // decremented.
  r.first_min = r.none ? INT64_MAX : floor_div(oldest_us, kUsPerMinute);
  r.first_hour = r.none ? INT64_MAX : floor_div(oldest_us, kUsPerHour);
  r.first_day = r.none ? INT64_MAX : floor_div(oldest_us, kUsPerDay) + 1;
  int64_t day_rows_from = INT64_MIN;
  if (StoreStatus s = read_day_rows_from(db, &day_rows_from); !s.ok) return s;
  // The boundary of the day rows only moves on (a late alert older than it
  // leaves it), as the day rows before it are gone.
  r.cut_min = r.first_min > pruned.minute;
  r.cut_hour = r.first_hour > pruned.hour;
  r.cut_day = r.first_day > day_rows_from;
  r.late_min = pruned.minute;
  r.late_hour = pruned.hour;
  return {};
}

void RollupDelta::add_removed(const Removal& r, int64_t ts_us, const std::optional<int64_t>& severity,
                              const std::string& agent_id, const std::optional<int64_t>& sid,
                              const std::optional<std::string>& src_ip,
                              const std::optional<std::string>& dest_ip) {
  int64_t sev = severity.value_or(0);
  int64_t minute = floor_div(ts_us, kUsPerMinute);
  if (!(r.cut_min && minute < r.first_min)) minutes_[{minute, agent_id, sev}] += 1;
  int64_t hour = floor_div(ts_us, kUsPerHour);
  if (r.cut_hour && hour < r.first_hour) return;  // the hour rows go by range
  hours_[{kAgent, hour, agent_id, sev}] += 1;
  auto count = [&](int dim, const std::string& key) {
    hours_[{dim, hour, key, sev}] += 1;
    agent_hours_[{agent_id, dim, hour, key, sev}] += 1;
  };
  if (sid) count(kSid, std::to_string(*sid));
  if (src_ip) count(kSrc, *src_ip);
  if (dest_ip) count(kDest, *dest_ip);
}

StoreStatus RollupDelta::remove(Db& db, const Removal& r, Pruned* pruned) const {
  const bool none = r.none, cut_min = r.cut_min, cut_hour = r.cut_hour, cut_day = r.cut_day;
  const int64_t first_min = r.first_min, first_hour = r.first_hour, first_day = r.first_day;
  // Every key add_removed counted is decremented (it left out the ones the
  // range deletes below take). A key in a minute or hour before the boundary already cleared belongs to
  // an alert that arrived late: its row is dropped when it reaches 0, as no
  // later range delete will pass there.
  auto late = [&](int64_t bucket) { return bucket < r.late_hour; };

  // Each statement takes the key from ?2 on (a decrement takes n as ?1).
  Stmt dec[3] = {
      db.prepare("UPDATE alert_rollup_min SET n=n-?1 WHERE minute=?2 AND agent_id=?3 AND severity=?4"),
      db.prepare("UPDATE alert_rollup_hour SET n=n-?1 WHERE dim=?2 AND hour=?3 AND key=?4 AND severity=?5"),
      db.prepare(
          "UPDATE alert_rollup_agent SET n=n-?1 WHERE agent_id=?2 AND dim=?3 AND hour=?4 AND key=?5 AND "
          "severity=?6")};
  Stmt drop[3] = {
      db.prepare("DELETE FROM alert_rollup_min WHERE minute=?2 AND agent_id=?3 AND severity=?4 AND n<=0"),
      db.prepare(
          "DELETE FROM alert_rollup_hour WHERE dim=?2 AND hour=?3 AND key=?4 AND severity=?5 AND n<=0"),
      db.prepare("DELETE FROM alert_rollup_agent WHERE agent_id=?2 AND dim=?3 AND hour=?4 AND key=?5 AND "
                 "severity=?6 AND n<=0")};
  for (const Stmt& st : dec)
    if (!st.valid()) return db_error(db, "rollup statements");
  for (const Stmt& st : drop)
    if (!st.valid()) return db_error(db, "rollup statements");
  // Decrements the key (bound by bind_key), then drops its row at 0 when `also_drop`.
  auto take = [&](int table, int64_t n, bool also_drop, auto bind_key) -> StoreStatus {
    static constexpr const char* kWhat[] = {"rollup minute", "rollup hour", "rollup agent"};
    dec[table].reset();
    dec[table].bind(1, n);
    bind_key(dec[table]);
    if (dec[table].step() != SQLITE_DONE) return db_error(db, kWhat[table]);
    if (!also_drop) return {};
    drop[table].reset();
    bind_key(drop[table]);
    if (drop[table].step() != SQLITE_DONE) return db_error(db, kWhat[table]);
    return {};
  };
  for (const auto& [k, n] : minutes()) {
    StoreStatus s = take(0, n, std::get<0>(k) < r.late_min, [&](Stmt& st) {
      st.bind(2, std::get<0>(k)).bind(3, std::get<1>(k)).bind(4, std::get<2>(k));
    });
    if (!s.ok) return s;
  }
  for (const auto& [k, n] : hours()) {
    StoreStatus s = take(1, n, late(std::get<1>(k)), [&](Stmt& st) {
      st.bind(2, int64_t{std::get<0>(k)})
          .bind(3, std::get<1>(k))
          .bind(4, std::get<2>(k))
          .bind(5, std::get<3>(k));
    });
    if (!s.ok) return s;
  }
  for (const auto& [k, n] : agent_hours()) {
    StoreStatus s = take(2, n, late(std::get<2>(k)), [&](Stmt& st) {
      st.bind(2, std::get<0>(k)).bind(3, int64_t{std::get<1>(k)}).bind(4, std::get<2>(k));
      st.bind(5, std::get<3>(k)).bind(6, std::get<4>(k));
    });
    if (!s.ok) return s;
  }

  // The range deletes: each a seek on the leading key columns.
  auto run = [&](Stmt& st, const char* what) -> StoreStatus {
    if (st.step() != SQLITE_DONE) return db_error(db, what);
    return {};
  };
  if (cut_min) {
    Stmt st = db.prepare("DELETE FROM alert_rollup_min WHERE minute<?");
    st.bind(1, first_min);
    if (StoreStatus s = run(st, "rollup minute range"); !s.ok) return s;
  }
  if (cut_day) {
    // With no alert left every day row goes, and the ones ingest adds from
    // now on count every alert of their day again.
    Stmt st = none ? db.prepare("DELETE FROM alert_rollup_state WHERE name='day_rows_from'")
                   : db.prepare(
                         "INSERT INTO alert_rollup_state(name, value) VALUES('day_rows_from', ?) "
                         "ON CONFLICT(name) DO UPDATE SET value=excluded.value");
    if (!none) st.bind(1, first_day);
    if (StoreStatus s = run(st, "rollup state"); !s.ok) return s;
  }
  if (cut_hour || cut_day) {
    std::vector<std::pair<int, int64_t>> dims;  // dim, first bucket kept
    if (cut_hour)
      dims.insert(dims.end(),
                  {{kAgent, first_hour}, {kSid, first_hour}, {kSrc, first_hour}, {kDest, first_hour}});
    if (cut_day)
      dims.insert(dims.end(),
                  {{kSid + kDayDim, first_day}, {kSrc + kDayDim, first_day}, {kDest + kDayDim, first_day}});
    Stmt hour_range = db.prepare("DELETE FROM alert_rollup_hour WHERE dim=? AND hour<?");
    Stmt agent_range = db.prepare("DELETE FROM alert_rollup_agent WHERE agent_id=? AND dim=? AND hour<?");
    Stmt first_agent = db.prepare("SELECT MIN(agent_id) FROM alert_rollup_agent");
    Stmt next_agent =
        db.prepare("SELECT agent_id FROM alert_rollup_agent WHERE agent_id>? ORDER BY agent_id LIMIT 1");
    if (!hour_range.valid() || !agent_range.valid() || !first_agent.valid() || !next_agent.valid())
      return db_error(db, "rollup statements");
    for (const auto& [dim, first] : dims) {
      hour_range.reset();
      hour_range.bind(1, int64_t{dim}).bind(2, first);
      if (StoreStatus s = run(hour_range, "rollup hour range"); !s.ok) return s;
    }
    // alert_rollup_agent leads with the agent: one range per agent and dim,
    // each agent found by seeking past the one before.
    std::optional<std::string> agent;
    int rc = first_agent.step();
    if (rc != SQLITE_ROW) return db_error(db, "rollup agents");
    if (!first_agent.col_null(0)) agent = first_agent.col_text(0);
    while (agent) {
      for (const auto& [dim, first] : dims) {
        if (dim == kAgent) continue;
        agent_range.reset();
        agent_range.bind(1, *agent).bind(2, int64_t{dim}).bind(3, first);
        if (StoreStatus s = run(agent_range, "rollup agent range"); !s.ok) return s;
      }
      next_agent.reset();
      next_agent.bind(1, *agent);
      rc = next_agent.step();
      if (rc == SQLITE_ROW)
        agent = next_agent.col_text(0);
      else if (rc == SQLITE_DONE)
        agent.reset();
      else
        return db_error(db, "rollup agents");
    }
  }
  if (none) {
    *pruned = {};  // nothing is left to be late against
  } else {
    if (cut_min) pruned->minute = first_min;
    if (cut_hour) pruned->hour = first_hour;
  }
  return {};
}

StoreStatus rebuild_rollups_if_empty(Db& db) {
  std::string err;
  if (!db.exec("BEGIN IMMEDIATE", &err)) return StoreStatus::error("rollup rebuild: " + err);
  // A check that cannot read its tables (a damaged file: counted and logged
  // by the statement) leaves the rollups as they are and the store opens: the
  // stats that meet the damage fail as every damaged read does, and ingest
  // and the other reads go on. Only a file that is not a database at all
  // stops the start (earlier, at the schema).
  bool unreadable = false;
  auto ask = [&](const char* sql) {
    Stmt chk = db.prepare(sql);
    const int rc = chk.step();
    if (rc != SQLITE_ROW && !unreadable) {
      unreadable = true;
      err = db.errmsg();
    }
    return rc == SQLITE_ROW && chk.col_int(0) != 0;
  };
  const bool all = ask("SELECT NOT EXISTS(SELECT 1 FROM alert_rollup_min) AND EXISTS(SELECT 1 FROM alerts)");
  // A database from before the per-agent rollup has sid or address rows in
  // the hour rollup and none in the agent one.
  const bool agent = all || ask("SELECT NOT EXISTS(SELECT 1 FROM alert_rollup_agent) AND "
                                "EXISTS(SELECT 1 FROM alert_rollup_hour WHERE dim BETWEEN 1 AND 3)");
  if (unreadable || (!all && !agent)) {
    // Nothing written: a rollback, which (unlike COMMIT after a damaged read)
    // cannot fail on the damage.
    db.exec("ROLLBACK");
    if (unreadable)
      spdlog::warn(
          "store: the alert rollups could not be checked ({}); stats over the damaged pages fail "
          "until the file is recovered",
          err);
    return {};
  }
  std::string sql;
  const std::string hour = sql_floor("ts", kUsPerHour), day = sql_floor("ts", kUsPerDay);
  static constexpr const char* kCol[] = {"agent_id", "CAST(sid AS TEXT)", "src_ip", "dest_ip"};
  if (all) {
    sql =
        "DELETE FROM alert_rollup_hour; DELETE FROM alert_rollup_agent; DELETE FROM alert_rollup_pending; "
        "INSERT INTO alert_rollup_min "
        "SELECT " +
        sql_floor("ts", kUsPerMinute) +
        ", agent_id, COALESCE(severity,0), COUNT(*) FROM alerts GROUP BY 1,2,3;";
    for (int d = 0; d < 4; ++d) {
      sql += "INSERT INTO alert_rollup_hour SELECT " + std::to_string(d) + ", " + hour + ", " + kCol[d] +
             ", COALESCE(severity,0), COUNT(*) FROM alerts WHERE " + kCol[d] + " IS NOT NULL GROUP BY 2,3,4;";
      if (d == kAgent) continue;
      sql += "INSERT INTO alert_rollup_hour SELECT " + std::to_string(d + kDayDim) + ", " + day + ", " +
             kCol[d] + ", COALESCE(severity,0), COUNT(*) FROM alerts WHERE " + kCol[d] +
             " IS NOT NULL GROUP BY 2,3,4;";
    }
  }
  if (agent) {
    // Rebuilt alone, it leaves out the alerts the other rollups do not
    // count yet (pending: they go into all three when folded).
    const std::string counted = all ? ""
                                    : " AND NOT EXISTS(SELECT 1 FROM alert_rollup_pending p WHERE alerts.id "
                                      "BETWEEN p.first_id AND p.last_id)";
    for (int d = kSid; d <= kDest; ++d)
      for (const auto& [dimv, unit] : {std::pair{d, hour}, std::pair{d + kDayDim, day}})
        sql += "INSERT INTO alert_rollup_agent SELECT agent_id, " + std::to_string(dimv) + ", " + unit +
               ", " + kCol[d] + ", COALESCE(severity,0), COUNT(*) FROM alerts WHERE " + kCol[d] +
               " IS NOT NULL" + counted + " GROUP BY 1,3,4,5;";
  }
  if (!db.exec(sql, &err)) {
    const bool damaged = (sqlite3_errcode(db.get()) & 0xff) == SQLITE_CORRUPT;
    db.exec("ROLLBACK");
    if (damaged) {
      // The alerts could not all be read: the store opens with the rollups
      // as they are, and the stats count only what they hold.
      spdlog::warn(
          "store: the alert rollups could not be rebuilt ({}); stats count only the alerts "
          "stored from now on",
          err);
      return {};
    }
    return StoreStatus::error("rollup rebuild: " + err);
  }
  if (!db.exec("COMMIT", &err)) return StoreStatus::error("rollup rebuild: " + err);
  return {};
}

StoreStatus alert_stats_sqlite(Db& db, const StatsQuery& q, AlertStats* out, const AlertFacts* facts,
                               const FtsBitsOptions* fts) {
  *out = {};
  if (!q.filter.empty()) return filtered_stats(db, q, out, facts, fts);
  Filters f{q};
  Series series;
  bool raw = false;
  std::vector<std::pair<int64_t, int64_t>> rolled;
  StoreStatus st = count_series(db, f, q.from_us, q.to_us, 0, &series, &raw, &rolled);
  if (!st.ok) return st;
  // The top lists count whole hours.
  out->top_from_us = floor_div(q.from_us, kUsPerHour) * kUsPerHour;
  out->top_to_us = ceil_div(q.to_us, kUsPerHour) * kUsPerHour;
  PendingCounts pending;
  st = count_pending(db, f, rolled, out->top_from_us, out->top_to_us, &series, &pending);
  if (!st.ok) return st;
  fill_series(series, out);
  std::pair<Dim, std::vector<TopEntry>*> lists[] = {{kSid, &out->top_signatures},
                                                    {kSrc, &out->top_sources},
                                                    {kDest, &out->top_destinations},
                                                    {kAgent, &out->top_agents}};
  int64_t day_rows_from = INT64_MIN;
  if (StoreStatus s = read_day_rows_from(db, &day_rows_from); !s.ok) return s;
  for (auto [dim, list] : lists) {
    st = top_list(db, f, dim, q.from_us, q.to_us, day_rows_from, pending, list);
    if (!st.ok) return st;
  }
  out->raw = raw;
  return {};
}

std::optional<int64_t> parse_stats_interval(std::string_view v) {
  if (v.empty() || v.size() > 12) return std::nullopt;
  int64_t unit = 1;
  switch (v.back()) {
    case 's':
      v.remove_suffix(1);
      break;
    case 'm':
      unit = 60, v.remove_suffix(1);
      break;
    case 'h':
      unit = 3600, v.remove_suffix(1);
      break;
    case 'd':
      unit = 86400, v.remove_suffix(1);
      break;
    default:
      break;
  }
  if (v.empty() || v.find_first_not_of("0123456789") != std::string_view::npos) return std::nullopt;
  int64_t n = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n <= 0 || n > 366 * 86400) return std::nullopt;
  n *= unit;
  if (n > 366 * 86400) return std::nullopt;
  return n;
}

nlohmann::json stats_to_json(const StatsQuery& q, const AlertStats& s) {
  using nlohmann::json;
  auto sev_obj = [](const std::vector<std::pair<int, int64_t>>& v) {
    json o = json::object();
    for (const auto& [sev, n] : v) o[std::to_string(sev)] = n;
    return o;
  };
  json series = json::array();
  for (const auto& b : s.series)
    series.push_back(json{{"start", b.start_s}, {"total", b.total}, {"by_severity", sev_obj(b.by_severity)}});
  auto top = [](const std::vector<TopEntry>& v, const char* key) {
    json a = json::array();
    for (const auto& e : v) {
      json o{{key, e.key}, {"count", e.count}};
      if (std::string_view(key) == "sid") {
        int64_t sid = 0;
        std::from_chars(e.key.data(), e.key.data() + e.key.size(), sid);
        o["sid"] = sid;
        o["signature"] = e.signature;
      }
      a.push_back(std::move(o));
    }
    return a;
  };
  return json{{"from", q.from_us / 1'000'000},
              {"to", q.to_us / 1'000'000},
              {"interval", q.interval_s},
              {"total", s.total},
              {"by_severity", sev_obj(s.by_severity)},
              {"series", series},
              {"top_range", {{"from", s.top_from_us / 1'000'000}, {"to", s.top_to_us / 1'000'000}}},
              {"top",
               {{"signatures", top(s.top_signatures, "sid")},
                {"sources", top(s.top_sources, "ip")},
                {"destinations", top(s.top_destinations, "ip")},
                {"agents", top(s.top_agents, "agent_id")}}},
              {"source", s.raw ? "raw" : "rollup"}};
}

}  // namespace vigil::collector
