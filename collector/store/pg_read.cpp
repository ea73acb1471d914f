#include "collector/store/pg_read.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <map>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "collector/store/alert_fts.h"
#include "collector/store/alert_rollups.h"
#include "collector/store/pg_db.h"

namespace vigil::collector::pg_read {
namespace {

using nlohmann::json;
using pg::arg;

// As sqlite_alert_query.cpp: counting stops past kTotalCap; a flow's other
// alerts and events are looked for kFlowWindowUs around the alert, at most
// kFlowRowsMax of each.
constexpr int64_t kTotalCap = 10000;
constexpr int64_t kFlowWindowUs = 3600LL * 1000000;
constexpr int kFlowRowsMax = 200;

int64_t floor_div(int64_t a, int64_t b) {
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}
int64_t ceil_div(int64_t a, int64_t b) {
  return -floor_div(-a, b);
}

// SQL for floor(x / g) with PostgreSQL's truncating integer division.
std::string sql_floor(const std::string& x, int64_t g) {
  std::string gs = std::to_string(g);
  return "((" + x + ")/" + gs + " - ((" + x + ")%" + gs + " < 0)::int)";
}

// SQLite's LIKE: '%' and '_' wildcards, '\' escape, ASCII case folded.
std::string like_pattern(const std::string& s) {
  std::string p = "%";
  for (char c : s) {
    if (c == '%' || c == '_' || c == '\\') p.push_back('\\');
    p.push_back(c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c);
  }
  p.push_back('%');
  return p;
}
constexpr const char* kAsciiLower =
    "translate(a.signature, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')";

// A WHERE clause with its $n parameters.
struct Where {
  std::string sql = " WHERE TRUE";
  pg::Params params;
  std::string p(pg::Param v) {
    params.push_back(std::move(v));
    return "$" + std::to_string(params.size());
  }
  void add(const std::string& cond) { sql += " AND " + cond; }
};

std::string ip_param(const Ip16& a) {
  return pg::bytea(a.data(), a.size());
}

void add_net(Where& w, const char* col, const IpNet& n) {
  if (n.lo == n.hi) {
    w.add(std::string("a.") + col + "=" + w.p(ip_param(n.lo)) + "::bytea");
  } else {
    std::string lo = w.p(ip_param(n.lo)), hi = w.p(ip_param(n.hi));
    w.add(std::string("a.") + col + " BETWEEN " + lo + "::bytea AND " + hi + "::bytea");
  }
}

template <typename T>
std::string in_list(Where& w, const std::vector<T>& v) {
  std::string s = "(";
  for (size_t i = 0; i < v.size(); ++i)
    s += (i ? "," : "") + w.p(arg(static_cast<int64_t>(v[i]))) + "::bigint";
  return s + ")";
}

// Text PostgreSQL can take as a parameter: UTF-8 without NUL. A filter value
// that is not cannot equal any stored text (the server keeps valid UTF-8
// only), so its condition is FALSE rather than an error.
bool valid_text(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c == 0) return false;
    size_t n = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    uint32_t cp = n == 1 ? c : c & (0x7F >> n);
    for (size_t k = 1; k < n; ++k) {
      auto d = static_cast<unsigned char>(s[i + k]);
      if ((d & 0xC0) != 0x80) return false;
      cp = cp << 6 | (d & 0x3F);
    }
    // Overlong forms, surrogates and code points past U+10FFFF are not UTF-8.
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n;
  }
  return true;
}

// "col=$n", or FALSE for a value no stored text can equal.
std::string text_eq(Where& w, const std::string& col, const std::string& v) {
  if (!valid_text(v)) return "FALSE";
  return col + "=" + w.p(v);
}

// The document the free text matches: the signature's words, then the
// app-layer text's, each folded by vigil_fts_norm() (" w1 w2 ... "); '|'
// between them keeps a phrase inside one of the two.
// Folded once at ingest: the generated column alerts.fts_doc (kMigrationSql).
constexpr const char* kFtsDoc = "a.fts_doc";

// The LIKE patterns of free text q: each term's words in order with spaces
// around them (a phrase of whole words), the last word of a prefix term open
// at its end. nullopt: the database could not fold them (*err); an empty
// vector: nothing to search for.
std::optional<std::vector<std::string>> fts_patterns(pg::Conn& c, const std::string& q, std::string* err) {
  std::vector<std::string> out;
  for (const FtsTerm& t : fts_terms(q)) {
    if (!valid_text(t.text)) {
      out.push_back({});  // not text: matches nothing
      continue;
    }
    pg::Result r = c.exec("SELECT vigil_fts_norm($1)", {t.text});
    if (!r) {
      *err = "free text: " + r.error();
      return std::nullopt;
    }
    std::string words = r.text(0, 0);
    if (words.find_first_not_of(' ') == std::string::npos) {
      out.push_back({});  // no word: matches nothing
      continue;
    }
    if (t.prefix) words.pop_back();  // the trailing space
    out.push_back("%" + words + "%");
  }
  return out;
}

// The WHERE clause of a filter (the list's, the groups', the stats'). False
// with *err when the free text could not be read.
bool build_where(pg::Conn& c, const AlertFilter& f, Where* w, std::string* err) {
  if (f.from_us) w->add("a.ts>=" + w->p(arg(*f.from_us)) + "::bigint");
  if (f.to_us) w->add("a.ts<" + w->p(arg(*f.to_us)) + "::bigint");
  if (!f.severities.empty()) w->add("a.severity IN " + in_list(*w, f.severities));
  if (!f.sids.empty()) w->add("a.sid IN " + in_list(*w, f.sids));
  if (f.signature)
    w->add(valid_text(*f.signature) ? std::string(kAsciiLower) + " LIKE " + w->p(like_pattern(*f.signature))
                                    : "FALSE");
  if (f.category) w->add(text_eq(*w, "a.category", *f.category));
  if (f.agent_id) w->add(text_eq(*w, "a.agent_id", *f.agent_id));
  if (f.src_ip) add_net(*w, "src_ip16", *f.src_ip);
  if (f.dest_ip) add_net(*w, "dest_ip16", *f.dest_ip);
  if (f.port) {
    std::string p = w->p(arg(int64_t{*f.port}));
    w->add("(a.src_port=" + p + "::bigint OR a.dest_port=" + p + "::bigint)");
  }
  if (f.src_port) w->add("a.src_port=" + w->p(arg(int64_t{*f.src_port})) + "::bigint");
  if (f.dest_port) w->add("a.dest_port=" + w->p(arg(int64_t{*f.dest_port})) + "::bigint");
  if (f.proto) w->add(text_eq(*w, "a.proto", *f.proto));
  if (f.app_proto) w->add(text_eq(*w, "a.app_proto", *f.app_proto));
  if (!f.statuses.empty()) {
    std::string s = "COALESCE(t.status,'new') IN (NULL";
    for (const auto& v : f.statuses)
      if (valid_text(v)) s += "," + w->p(v);
    w->add(s + ")");
  }
  if (f.assignee) w->add(text_eq(*w, "t.assignee", *f.assignee));
  if (f.q) {
    auto pats = fts_patterns(c, *f.q, err);
    if (!pats) return false;
    if (pats->empty()) w->add("FALSE");
    for (const auto& p : *pats) {
      if (p.empty())
        w->add("FALSE");
      else
        w->add(std::string(kFtsDoc) + " LIKE " + w->p(p));
    }
  }
  return true;
}

constexpr const char* kFrom = " FROM alerts a LEFT JOIN alert_triage t ON t.alert_id=a.id";
constexpr const char* kCols = "SELECT a.id, a.ts, a.agent_id, a.json, COALESCE(t.status,'new'), t.assignee";

// A row of kCols as the API shows it.
json row_json(const pg::Result& r, int i) {
  json j = json::parse(r.view(i, 3), nullptr, false);
  if (!j.is_object()) j = json::object();
  j["id"] = r.int64(i, 0);
  j["agent_id"] = r.text(i, 2);
  j["status"] = r.text(i, 4);
  j["assignee"] = r.null(i, 5) ? json() : json(r.text(i, 5));
  return j;
}

StoreStatus insert_audit(pg::Conn& c, const AuditEntry& e) {
  pg::Result r =
      c.exec("INSERT INTO audit(ts,actor,action,target,peer,detail) VALUES($1::bigint,$2,$3,$4,$5,$6)",
             {arg(e.ts), e.actor, e.action, e.target, e.peer,
              e.detail.is_null() ? pg::Param() : pg::Param(e.detail.dump())});
  if (!r) return pg::fail("audit", r);
  return {};
}

// ---- alert_stats: the same answer as alert_rollups.cpp, counted from the rows.

enum Dim : int { kAgent = 0, kSid = 1, kSrc = 2, kDest = 3 };

using SevCounts = std::map<int, int64_t>;
using Series = std::map<int64_t, SevCounts>;

// The query's agent and severity conditions on the rows (an alert without a
// severity matches no severity, as in the SQLite store's raw queries).
std::string stats_filters(const StatsQuery& q, Where* w) {
  const std::string sev = "a.severity";
  std::string s;
  if (q.agent_id) s += " AND " + text_eq(*w, "a.agent_id", *q.agent_id);
  if (q.severity) s += " AND " + sev + "=" + w->p(arg(int64_t{*q.severity})) + "::bigint";
  if (!q.severities.empty()) {
    s += " AND " + sev + " IN (";
    for (size_t k = 0; k < q.severities.size(); ++k)
      s += (k ? "," : "") + w->p(arg(int64_t{q.severities[k]})) + "::bigint";
    s += ")";
  }
  return s;
}

// The query's agent and severity conditions on a rollup table's columns
// (severity there is 0 for an alert without one; `sev_col` says so for the
// pending rows).
std::string rollup_filters(const StatsQuery& q, Where* w, const char* agent_col,
                           const char* sev_col = "severity") {
  std::string s, sev = sev_col;
  if (q.agent_id) s += " AND " + text_eq(*w, agent_col, *q.agent_id);
  if (q.severity) s += " AND " + sev + "=" + w->p(arg(int64_t{*q.severity})) + "::bigint";
  if (!q.severities.empty()) {
    s += " AND " + sev + " IN (";
    for (size_t k = 0; k < q.severities.size(); ++k)
      s += (k ? "," : "") + w->p(arg(int64_t{q.severities[k]})) + "::bigint";
    s += ")";
  }
  return s;
}
constexpr const char* kPendingSev = "COALESCE(severity,0)";

// Counts [from, to) into `series` as alert_rollups.cpp's count_series does:
// whole hours from the hour rows (interval of whole hours), whole minutes
// from the minute rows (interval of whole minutes), the edges from the rows.
StoreStatus count_series(pg::Conn& c, const StatsQuery& q, int64_t from, int64_t to, int level,
                         Series* series, bool* raw) {
  if (from >= to) return {};
  const int64_t interval = q.interval_s;
  static constexpr int64_t kGran[] = {kUsPerHour, kUsPerMinute};
  while (level < 2 && (interval * 1'000'000) % kGran[level] != 0) ++level;
  if (level < 2) {
    int64_t g = kGran[level];
    int64_t a = ceil_div(from, g), b = floor_div(to, g);  // whole buckets [a, b)
    if (a >= b) return count_series(c, q, from, to, level + 1, series, raw);
    Where w;
    std::string lo = w.p(arg(a)), hi = w.p(arg(b));
    std::string rolled =
        level == 0 ? "SELECT hour, severity, n FROM alert_rollup_hour WHERE dim=0 AND hour>=" + lo +
                         "::bigint AND hour<" + hi + "::bigint" + rollup_filters(q, &w, "key")
                   : "SELECT minute, severity, n FROM alert_rollup_min WHERE minute>=" + lo +
                         "::bigint AND minute<" + hi + "::bigint" + rollup_filters(q, &w, "agent_id");
    // With the changes not folded in yet.
    std::string gs = w.p(arg(g));
    std::string pending = "SELECT " + sql_floor("ts", g) + ", " + kPendingSev +
                          ", n FROM alert_rollup_pending WHERE ts>=" + lo + "::bigint*" + gs +
                          "::bigint AND ts<" + hi + "::bigint*" + gs + "::bigint" +
                          rollup_filters(q, &w, "agent_id", kPendingSev);
    std::string sql = "SELECT b, s, SUM(n)::bigint FROM (" + rolled + " UNION ALL " + pending +
                      ") x(b, s, n) GROUP BY 1, 2";
    pg::Result r = c.exec(sql, w.params);
    if (!r) return pg::fail("stats series", r);
    const int64_t unit_s = g / 1'000'000;
    for (int i = 0; i < r.rows(); ++i)
      (*series)[floor_div(r.int64(i, 0) * unit_s, interval) * interval][static_cast<int>(r.int64(i, 1))] +=
          r.int64(i, 2);
    StoreStatus s = count_series(c, q, from, a * g, level + 1, series, raw);
    if (!s.ok) return s;
    return count_series(c, q, b * g, to, level + 1, series, raw);
  }
  *raw = *raw || q.interval_s % 60 != 0;
  Where w;
  std::string sql = "SELECT " + sql_floor("a.ts", interval * 1'000'000) +
                    ", COALESCE(a.severity,0), COUNT(*) FROM alerts a WHERE a.ts>=" + w.p(arg(from)) +
                    "::bigint AND a.ts<" + w.p(arg(to)) + "::bigint" + stats_filters(q, &w) +
                    " GROUP BY 1, 2";
  pg::Result r = c.exec(sql, w.params);
  if (!r) return pg::fail("stats series", r);
  for (int i = 0; i < r.rows(); ++i)
    (*series)[r.int64(i, 0) * interval][static_cast<int>(r.int64(i, 1))] += r.int64(i, 2);
  return {};
}

std::vector<TopEntry> top_n(const std::unordered_map<std::string, int64_t>& counts, int n) {
  std::vector<TopEntry> v;
  v.reserve(counts.size());
  for (const auto& [k, cnt] : counts) v.push_back({k, {}, cnt});
  auto better = [](const TopEntry& a, const TopEntry& b) {
    return a.count != b.count ? a.count > b.count : a.key < b.key;
  };
  size_t k = std::min<size_t>(v.size(), static_cast<size_t>(std::max(n, 0)));
  std::partial_sort(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end(), better);
  v.resize(k);
  return v;
}

StoreStatus name_signatures(pg::Conn& c, std::vector<TopEntry>* list) {
  for (auto& e : *list) {
    int64_t sid = 0;
    std::from_chars(e.key.data(), e.key.data() + e.key.size(), sid);
    pg::Result r = c.exec(
        "SELECT signature FROM alerts WHERE sid=$1::bigint ORDER BY ts DESC, id DESC LIMIT 1", {arg(sid)});
    if (!r) return pg::fail("stats signatures", r);
    if (r.rows() > 0) e.signature = r.text(0, 0);
  }
  return {};
}

constexpr const char* kDimCol[] = {"a.agent_id", "a.sid::text", "a.src_ip", "a.dest_ip"};

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

// A filter the rollups cannot answer (alert_rollups.cpp filtered_stats): the
// rows matching the whole filter over exactly [from, to).
StoreStatus filtered_stats(pg::Conn& c, const StatsQuery& q, AlertStats* out) {
  out->raw = true;
  out->top_from_us = q.from_us;
  out->top_to_us = q.to_us;
  AlertFilter f = q.filter;
  f.from_us = q.from_us;
  f.to_us = q.to_us;
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
  Where w;
  std::string err;
  if (!build_where(c, f, &w, &err)) return StoreStatus::error("stats: " + err);
  const int64_t interval_us = q.interval_s * 1'000'000;
  Series series;
  pg::Result r = c.exec("SELECT " + sql_floor("a.ts", interval_us) + ", COALESCE(a.severity,0), COUNT(*)" +
                            kFrom + w.sql + " GROUP BY 1, 2",
                        w.params);
  if (!r) return pg::fail("stats series", r);
  for (int i = 0; i < r.rows(); ++i)
    series[r.int64(i, 0) * q.interval_s][static_cast<int>(r.int64(i, 1))] += r.int64(i, 2);
  fill_series(series, out);
  std::pair<Dim, std::vector<TopEntry>*> lists[] = {{kSid, &out->top_signatures},
                                                    {kSrc, &out->top_sources},
                                                    {kDest, &out->top_destinations},
                                                    {kAgent, &out->top_agents}};
  for (auto [dim, list] : lists) {
    std::string col = kDimCol[dim];
    r = c.exec("SELECT " + col + ", COUNT(*)" + kFrom + w.sql + " AND " + col + " IS NOT NULL GROUP BY 1",
               w.params);
    if (!r) return pg::fail("stats top", r);
    std::unordered_map<std::string, int64_t> counts;
    for (int i = 0; i < r.rows(); ++i) counts[r.text(i, 0)] += r.int64(i, 1);
    *list = top_n(counts, q.top);
  }
  return name_signatures(c, &out->top_signatures);
}

// A top list from the rollups over whole hours [from, to): whole days from
// the day rows (not for agents: few keys), the hours around them from the
// hour rows; summed, ordered and cut in the server (ties by key, bytewise,
// as top_n). With an agent filter, the sid and address lists read that
// agent's rows of alert_rollup_agent.
StoreStatus rollup_top(pg::Conn& c, const StatsQuery& q, Dim dim, int64_t from, int64_t to,
                       std::vector<TopEntry>* out) {
  out->clear();
  int64_t h0 = floor_div(from, kUsPerHour), h1 = ceil_div(to, kUsPerHour);
  int64_t d0 = ceil_div(h0, 24), d1 = floor_div(h1, 24);
  Where w;
  auto range = [&](int64_t dimv, int64_t lo, int64_t hi) {
    return "(dim=" + w.p(arg(dimv)) + "::int AND hour>=" + w.p(arg(lo)) + "::bigint AND hour<" +
           w.p(arg(hi)) + "::bigint)";
  };
  std::string where;
  if (dim != kAgent && d0 < d1) {
    where = range(dim + kRollupDayDim, d0, d1);
    if (h0 < d0 * 24) where += " OR " + range(dim, h0, d0 * 24);
    if (d1 * 24 < h1) where += " OR " + range(dim, d1 * 24, h1);
  } else if (h0 < h1) {
    where = range(dim, h0, h1);
  } else {
    return {};
  }
  // With the changes not folded in yet, over the same whole hours.
  static constexpr const char* kPendingKey[] = {"agent_id", "sid::text", "src_ip", "dest_ip"};
  std::string pkey = kPendingKey[dim];
  std::string pending = "SELECT " + pkey +
                        ", n FROM alert_rollup_pending WHERE ts>=" + w.p(arg(h0 * kUsPerHour)) +
                        "::bigint AND ts<" + w.p(arg(h1 * kUsPerHour)) + "::bigint AND " + pkey +
                        " IS NOT NULL" + rollup_filters(q, &w, "agent_id", kPendingSev);
  const bool per_agent = q.agent_id && dim != kAgent;
  std::string rolled =
      per_agent
          ? "SELECT key, n FROM alert_rollup_agent WHERE (" + where + ")" + rollup_filters(q, &w, "agent_id")
          : "SELECT key, n FROM alert_rollup_hour WHERE (" + where + ")" + rollup_filters(q, &w, "key");
  std::string sql =
      "SELECT key, SUM(n)::bigint AS total FROM (" + rolled + " UNION ALL " + pending +
      ") x(key, n) GROUP BY key HAVING SUM(n) > 0 ORDER BY total DESC, key COLLATE \"C\" LIMIT " +
      w.p(arg(int64_t{std::max(q.top, 0)})) + "::bigint";
  pg::Result r = c.exec(sql, w.params);
  if (!r) return pg::fail("stats top", r);
  for (int i = 0; i < r.rows(); ++i) out->push_back({r.text(i, 0), {}, r.int64(i, 1)});
  return dim == kSid ? name_signatures(c, out) : StoreStatus{};
}

StoreStatus stats_in_tx(pg::Conn& c, const StatsQuery& q, AlertStats* out) {
  *out = {};
  if (!q.filter.empty()) return filtered_stats(c, q, out);
  Series series;
  bool raw = false;
  StoreStatus st = count_series(c, q, q.from_us, q.to_us, 0, &series, &raw);
  if (!st.ok) return st;
  fill_series(series, out);
  // As the SQLite store: the top lists count whole hours.
  out->top_from_us = floor_div(q.from_us, kUsPerHour) * kUsPerHour;
  out->top_to_us = ceil_div(q.to_us, kUsPerHour) * kUsPerHour;
  std::pair<Dim, std::vector<TopEntry>*> lists[] = {{kSid, &out->top_signatures},
                                                    {kSrc, &out->top_sources},
                                                    {kDest, &out->top_destinations},
                                                    {kAgent, &out->top_agents}};
  for (auto [dim, list] : lists) {
    StoreStatus s = rollup_top(c, q, dim, out->top_from_us, out->top_to_us, list);
    if (!s.ok) return s;
  }
  out->raw = raw;
  return {};
}

}  // namespace

const char* const kMigrationSql = R"sql(
CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public;
CREATE OR REPLACE FUNCTION vigil_fts_norm(t text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT ' ' || btrim(regexp_replace(lower(public.unaccent('public.unaccent'::regdictionary, coalesce(t, ''))),
  '[[:punct:][:space:][:cntrl:]]+', ' ', 'g')) || ' ' $$;
CREATE OR REPLACE FUNCTION vigil_fts_doc(sig text, app text) RETURNS text LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT vigil_fts_norm(sig) || '|' || vigil_fts_norm(app) $$;
ALTER TABLE alerts ADD COLUMN fts_doc TEXT GENERATED ALWAYS AS (vigil_fts_doc(signature, app_text)) STORED;
CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public;
CREATE INDEX alerts_fts ON alerts USING gin (fts_doc public.gin_trgm_ops);
)sql";

// The rollups of alert_rollups.h, with the same layout; a database that
// already holds alerts gets them counted here, once.
const char* const kRollupMigrationSql = R"sql(
CREATE TABLE alert_rollup_min(minute BIGINT NOT NULL, agent_id TEXT NOT NULL, severity BIGINT NOT NULL,
  n BIGINT NOT NULL, PRIMARY KEY(minute, agent_id, severity));
CREATE TABLE alert_rollup_hour(dim INT NOT NULL, hour BIGINT NOT NULL, key TEXT NOT NULL,
  severity BIGINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY(dim, hour, key, severity));
CREATE TABLE alert_rollup_pending(ts BIGINT NOT NULL, agent_id TEXT NOT NULL, severity BIGINT, sid BIGINT,
  src_ip TEXT, dest_ip TEXT, n INT NOT NULL);
CREATE INDEX alert_rollup_pending_ts ON alert_rollup_pending(ts);
ALTER TABLE alert_rollup_pending SET (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 10000);
INSERT INTO alert_rollup_min SELECT ((ts)/60000000 - ((ts)%60000000 < 0)::int), agent_id, COALESCE(severity,0), COUNT(*) FROM alerts GROUP BY 1, 2, 3;
INSERT INTO alert_rollup_hour SELECT 0, ((ts)/3600000000 - ((ts)%3600000000 < 0)::int), agent_id, COALESCE(severity,0), COUNT(*) FROM alerts WHERE agent_id IS NOT NULL GROUP BY 2, 3, 4;
INSERT INTO alert_rollup_hour SELECT 1, ((ts)/3600000000 - ((ts)%3600000000 < 0)::int), sid::text, COALESCE(severity,0), COUNT(*) FROM alerts WHERE sid::text IS NOT NULL GROUP BY 2, 3, 4;
INSERT INTO alert_rollup_hour SELECT 11, ((ts)/86400000000 - ((ts)%86400000000 < 0)::int), sid::text, COALESCE(severity,0), COUNT(*) FROM alerts WHERE sid::text IS NOT NULL GROUP BY 2, 3, 4;
INSERT INTO alert_rollup_hour SELECT 2, ((ts)/3600000000 - ((ts)%3600000000 < 0)::int), src_ip, COALESCE(severity,0), COUNT(*) FROM alerts WHERE src_ip IS NOT NULL GROUP BY 2, 3, 4;
INSERT INTO alert_rollup_hour SELECT 12, ((ts)/86400000000 - ((ts)%86400000000 < 0)::int), src_ip, COALESCE(severity,0), COUNT(*) FROM alerts WHERE src_ip IS NOT NULL GROUP BY 2, 3, 4;
INSERT INTO alert_rollup_hour SELECT 3, ((ts)/3600000000 - ((ts)%3600000000 < 0)::int), dest_ip, COALESCE(severity,0), COUNT(*) FROM alerts WHERE dest_ip IS NOT NULL GROUP BY 2, 3, 4;
INSERT INTO alert_rollup_hour SELECT 13, ((ts)/86400000000 - ((ts)%86400000000 < 0)::int), dest_ip, COALESCE(severity,0), COUNT(*) FROM alerts WHERE dest_ip IS NOT NULL GROUP BY 2, 3, 4;
)sql";

// The per-agent rollup (alert_rollups.h), counted from the alerts a
// database already holds less the pending rows, which the next fold adds
// to it as to the other rollups.
const char* const kAgentRollupMigrationSql = R"sql(
CREATE TABLE alert_rollup_agent(agent_id TEXT NOT NULL, dim INT NOT NULL, hour BIGINT NOT NULL, key TEXT NOT NULL,
  severity BIGINT NOT NULL, n BIGINT NOT NULL, PRIMARY KEY(agent_id, dim, hour, key, severity));
CREATE TEMPORARY VIEW vigil_rollup_base AS
  SELECT agent_id, ts, severity, sid, src_ip, dest_ip, 1 AS n FROM alerts
  UNION ALL SELECT agent_id, ts, severity, sid, src_ip, dest_ip, -n FROM alert_rollup_pending;
INSERT INTO alert_rollup_agent SELECT agent_id, 1, ((ts)/3600000000 - ((ts)%3600000000 < 0)::int), sid::text, COALESCE(severity,0), SUM(n) FROM vigil_rollup_base WHERE sid::text IS NOT NULL GROUP BY 1, 3, 4, 5 HAVING SUM(n) <> 0;
INSERT INTO alert_rollup_agent SELECT agent_id, 11, ((ts)/86400000000 - ((ts)%86400000000 < 0)::int), sid::text, COALESCE(severity,0), SUM(n) FROM vigil_rollup_base WHERE sid::text IS NOT NULL GROUP BY 1, 3, 4, 5 HAVING SUM(n) <> 0;
INSERT INTO alert_rollup_agent SELECT agent_id, 2, ((ts)/3600000000 - ((ts)%3600000000 < 0)::int), src_ip, COALESCE(severity,0), SUM(n) FROM vigil_rollup_base WHERE src_ip IS NOT NULL GROUP BY 1, 3, 4, 5 HAVING SUM(n) <> 0;
INSERT INTO alert_rollup_agent SELECT agent_id, 12, ((ts)/86400000000 - ((ts)%86400000000 < 0)::int), src_ip, COALESCE(severity,0), SUM(n) FROM vigil_rollup_base WHERE src_ip IS NOT NULL GROUP BY 1, 3, 4, 5 HAVING SUM(n) <> 0;
INSERT INTO alert_rollup_agent SELECT agent_id, 3, ((ts)/3600000000 - ((ts)%3600000000 < 0)::int), dest_ip, COALESCE(severity,0), SUM(n) FROM vigil_rollup_base WHERE dest_ip IS NOT NULL GROUP BY 1, 3, 4, 5 HAVING SUM(n) <> 0;
INSERT INTO alert_rollup_agent SELECT agent_id, 13, ((ts)/86400000000 - ((ts)%86400000000 < 0)::int), dest_ip, COALESCE(severity,0), SUM(n) FROM vigil_rollup_base WHERE dest_ip IS NOT NULL GROUP BY 1, 3, 4, 5 HAVING SUM(n) <> 0;
DROP VIEW vigil_rollup_base;
)sql";

StoreStatus fold_rollups(pg::Conn& c, int64_t limit, int64_t* folded) {
  *folded = 0;
  return pg::with_tx(c, "rollup fold", [&](pg::Conn& tx) -> StoreStatus {
    *folded = 0;
    // One collector folds at a time; the others find the lock taken and go on.
    pg::Result r = tx.exec("SELECT pg_try_advisory_xact_lock(3285834633551)");
    if (!r) return pg::fail("rollup fold", r);
    if (r.view(0, 0) != "t") return {};
    r = tx.exec(
        "DELETE FROM alert_rollup_pending WHERE ctid IN (SELECT ctid FROM alert_rollup_pending LIMIT "
        "$1::bigint) RETURNING ts, agent_id, severity, sid, src_ip, dest_ip, n",
        {arg(limit)});
    if (!r) return pg::fail("rollup fold", r);
    RollupDelta d;
    auto opt_int = [&](int i, int col) {
      return r.null(i, col) ? std::nullopt : std::optional(r.int64(i, col));
    };
    auto opt_text = [&](int i, int col) {
      return r.null(i, col) ? std::nullopt : std::optional<std::string>(r.text(i, col));
    };
    for (int i = 0; i < r.rows(); ++i)
      d.add(r.int64(i, 0), opt_int(i, 2), r.text(i, 1), opt_int(i, 3), opt_text(i, 4), opt_text(i, 5),
            r.int64(i, 6));
    *folded = r.rows();
    if (d.empty()) return {};
    json mins = json::array(), hours = json::array(), agents = json::array(), gone_mins = json::array(),
         gone_hours = json::array(), gone_agents = json::array();
    for (const auto& [k, n] : d.minutes()) {
      json row = json::array({std::get<0>(k), std::get<1>(k), std::get<2>(k), n});
      if (n < 0) gone_mins.push_back(row);
      if (n != 0) mins.push_back(std::move(row));
    }
    for (const auto& [k, n] : d.hours()) {
      json row = json::array({std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), n});
      if (n < 0) gone_hours.push_back(row);
      if (n != 0) hours.push_back(std::move(row));
    }
    for (const auto& [k, n] : d.agent_hours()) {
      json row =
          json::array({std::get<0>(k), std::get<1>(k), std::get<2>(k), std::get<3>(k), std::get<4>(k), n});
      if (n < 0) gone_agents.push_back(row);
      if (n != 0) agents.push_back(std::move(row));
    }
    auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
    // In the delta's key order (one order for every fold).
    r = tx.exec(
        "INSERT INTO alert_rollup_min(minute,agent_id,severity,n) "
        "SELECT (e->>0)::bigint, e->>1, (e->>2)::bigint, (e->>3)::bigint "
        "FROM json_array_elements($1::json) WITH ORDINALITY AS t(e, o) ORDER BY o "
        "ON CONFLICT (minute,agent_id,severity) DO UPDATE SET n = alert_rollup_min.n + excluded.n",
        {dump(mins)});
    if (!r) return pg::fail("rollup minutes", r);
    r = tx.exec(
        "INSERT INTO alert_rollup_hour(dim,hour,key,severity,n) "
        "SELECT (e->>0)::int, (e->>1)::bigint, e->>2, (e->>3)::bigint, (e->>4)::bigint "
        "FROM json_array_elements($1::json) WITH ORDINALITY AS t(e, o) ORDER BY o "
        "ON CONFLICT (dim,hour,key,severity) DO UPDATE SET n = alert_rollup_hour.n + excluded.n",
        {dump(hours)});
    if (!r) return pg::fail("rollup hours", r);
    r = tx.exec(
        "INSERT INTO alert_rollup_agent(agent_id,dim,hour,key,severity,n) "
        "SELECT e->>0, (e->>1)::int, (e->>2)::bigint, e->>3, (e->>4)::bigint, (e->>5)::bigint "
        "FROM json_array_elements($1::json) WITH ORDINALITY AS t(e, o) ORDER BY o "
        "ON CONFLICT (agent_id,dim,hour,key,severity) DO UPDATE SET n = alert_rollup_agent.n + excluded.n",
        {dump(agents)});
    if (!r) return pg::fail("rollup agents", r);
    // Rows that a deletion brought to 0 go, as in the SQLite store.
    if (!gone_mins.empty()) {
      r = tx.exec(
          "DELETE FROM alert_rollup_min r USING json_array_elements($1::json) AS e WHERE "
          "r.minute=(e->>0)::bigint AND r.agent_id=e->>1 AND r.severity=(e->>2)::bigint AND r.n<=0",
          {dump(gone_mins)});
      if (!r) return pg::fail("rollup minutes", r);
    }
    if (!gone_hours.empty()) {
      r = tx.exec(
          "DELETE FROM alert_rollup_hour r USING json_array_elements($1::json) AS e WHERE r.dim=(e->>0)::int "
          "AND r.hour=(e->>1)::bigint AND r.key=e->>2 AND r.severity=(e->>3)::bigint AND r.n<=0",
          {dump(gone_hours)});
      if (!r) return pg::fail("rollup hours", r);
    }
    if (!gone_agents.empty()) {
      r = tx.exec(
          "DELETE FROM alert_rollup_agent r USING json_array_elements($1::json) AS e WHERE r.agent_id=e->>0 "
          "AND r.dim=(e->>1)::int AND r.hour=(e->>2)::bigint AND r.key=e->>3 AND r.severity=(e->>4)::bigint "
          "AND r.n<=0",
          {dump(gone_agents)});
      if (!r) return pg::fail("rollup agents", r);
    }
    return {};
  });
}

StoreStatus drop_rollup_day(pg::Conn& c, int64_t day) {
  pg::Result r = c.exec("DELETE FROM alert_rollup_pending WHERE ts>=$1::bigint AND ts<$2::bigint",
                        {arg(day * kUsPerDay), arg((day + 1) * kUsPerDay)});
  if (!r) return pg::fail("rollup day", r);
  // The agents of that day (from its agent hour rows, deleted below) lead
  // the per-agent rollup's key: one index range per agent and dimension.
  const std::string day_agents =
      "DELETE FROM alert_rollup_agent r USING (SELECT DISTINCT key FROM alert_rollup_hour WHERE dim=0 AND "
      "hour>=$1::bigint AND hour<$2::bigint) a WHERE r.agent_id=a.key AND ";
  r = c.exec(day_agents + "r.dim IN (1,2,3) AND r.hour>=$1::bigint AND r.hour<$2::bigint",
             {arg(day * 24), arg((day + 1) * 24)});
  if (!r) return pg::fail("rollup day", r);
  r = c.exec(day_agents + "r.dim IN ($3::int,$4::int,$5::int) AND r.hour=$6::bigint",
             {arg(day * 24), arg((day + 1) * 24), arg(int64_t{kRollupDayDim + 1}),
              arg(int64_t{kRollupDayDim + 2}), arg(int64_t{kRollupDayDim + 3}), arg(day)});
  if (!r) return pg::fail("rollup day", r);
  r = c.exec("DELETE FROM alert_rollup_min WHERE minute>=$1::bigint AND minute<$2::bigint",
             {arg(day * 1440), arg((day + 1) * 1440)});
  if (!r) return pg::fail("rollup day", r);
  r = c.exec("DELETE FROM alert_rollup_hour WHERE dim IN (0,1,2,3) AND hour>=$1::bigint AND hour<$2::bigint",
             {arg(day * 24), arg((day + 1) * 24)});
  if (!r) return pg::fail("rollup day", r);
  r = c.exec("DELETE FROM alert_rollup_hour WHERE dim IN ($1::int,$2::int,$3::int) AND hour=$4::bigint",
             {arg(int64_t{kRollupDayDim + 1}), arg(int64_t{kRollupDayDim + 2}),
              arg(int64_t{kRollupDayDim + 3}), arg(day)});
  if (!r) return pg::fail("rollup day", r);
  return {};
}

StoreStatus query_alerts(pg::Pool& pool, const AlertQuery& q, AlertPage* out) {
  *out = {};
  Where w;
  if (q.agent_id) w.add(text_eq(w, "a.agent_id", *q.agent_id));
  // Addresses through their BYTEA column; a text that is no address is compared as text.
  for (auto [text, col16, col] : {std::tuple{&q.src_ip, "a.src_ip16", "a.src_ip"},
                                  std::tuple{&q.dest_ip, "a.dest_ip16", "a.dest_ip"}}) {
    if (!*text) continue;
    if (auto a = ip16(**text))
      w.add(std::string(col16) + "=" + w.p(ip_param(*a)) + "::bytea");
    else
      w.add(text_eq(w, col, **text));
  }
  if (q.from_us) w.add("a.ts>=" + w.p(arg(*q.from_us)) + "::bigint");
  if (q.to_us) w.add("a.ts<" + w.p(arg(*q.to_us)) + "::bigint");
  if (q.sid) w.add("a.sid=" + w.p(arg(int64_t{*q.sid})) + "::bigint");
  if (q.severity) w.add("a.severity=" + w.p(arg(int64_t{*q.severity})) + "::bigint");
  auto c = pool.acquire();
  pg::Result cnt = c->exec("SELECT COUNT(*) FROM alerts a" + w.sql, w.params);
  if (!cnt) return pg::fail("query", cnt);
  out->total = cnt.int64(0, 0);
  std::string sql = "SELECT a.id, a.ts, a.agent_id, a.json FROM alerts a" + w.sql;
  if (q.cursor) {
    std::string ts = w.p(arg(q.cursor->first)), id = w.p(arg(q.cursor->second));
    sql += " AND (a.ts<" + ts + "::bigint OR (a.ts=" + ts + "::bigint AND a.id<" + id + "::bigint))";
  }
  int limit = std::clamp(q.limit, 1, 10000);
  sql += " ORDER BY a.ts DESC, a.id DESC LIMIT " + w.p(arg(int64_t{limit})) + "::bigint";
  pg::Result r = c->exec(sql, w.params);
  if (!r) return pg::fail("query", r);
  for (int i = 0; i < r.rows(); ++i) {
    json j = json::parse(r.view(i, 3), nullptr, false);
    if (j.is_discarded()) j = json::object();
    j["id"] = r.int64(i, 0);
    j["agent_id"] = r.text(i, 2);
    out->alerts.push_back(std::move(j));
  }
  if (r.rows() == limit && limit > 0)
    out->next_cursor = std::make_pair(r.int64(limit - 1, 1), r.int64(limit - 1, 0));
  return {};
}

StoreStatus list_alerts(pg::Pool& pool, const AlertListQuery& q, AlertListPage* out) {
  *out = {};
  int limit = std::clamp(q.limit, 1, 10000);
  auto c = pool.acquire();
  Where w;
  std::string err;
  if (!build_where(*c, q.filter, &w, &err)) return StoreStatus::error("list: " + err);
  if (q.want_total) {
    Where cw = w;
    pg::Result cnt = c->exec(std::string("SELECT COUNT(*) FROM (SELECT 1") + kFrom + cw.sql + " LIMIT " +
                                 cw.p(arg(kTotalCap + 1)) + "::bigint) s",
                             cw.params);
    if (!cnt) return pg::fail("count", cnt);
    out->total = cnt.int64(0, 0);
    if (out->total > kTotalCap) {
      out->total_exact = false;
      out->total = kTotalCap;
      if (q.filter.empty()) {
        // Unfiltered: ids are dense apart from what retention removed from the oldest end.
        pg::Result est = c->exec("SELECT COALESCE(MAX(id)-MIN(id)+1, 0) FROM alerts");
        if (est && est.rows() > 0) out->total = std::max(out->total, est.int64(0, 0));
      }
    }
  }
  std::string sql = std::string(kCols) + kFrom + w.sql;
  if (q.cursor) {
    std::string ts = w.p(arg(q.cursor->ts_us)), id = w.p(arg(q.cursor->id));
    sql += " AND (a.ts<" + ts + "::bigint OR (a.ts=" + ts + "::bigint AND a.id<" + id + "::bigint))";
  }
  sql += " ORDER BY a.ts DESC, a.id DESC LIMIT " + w.p(arg(int64_t{limit})) + "::bigint";
  pg::Result r = c->exec(sql, w.params);
  if (!r) return pg::fail("list", r);
  for (int i = 0; i < r.rows(); ++i) out->alerts.push_back(row_json(r, i));
  if (r.rows() == limit) out->next_cursor = AlertCursor{r.int64(limit - 1, 1), r.int64(limit - 1, 0)};
  return {};
}

StoreStatus group_alerts(pg::Pool& pool, const AlertListQuery& q, AlertGroupPage* out) {
  *out = {};
  const int64_t w_us = std::max<int64_t>(q.window_s, 1) * 1000000;
  int limit = std::clamp(q.limit, 1, 10000);
  auto c = pool.acquire();
  Where w;
  std::string err;
  if (!build_where(*c, q.filter, &w, &err)) return StoreStatus::error("group: " + err);
  // The newest bucket that can hold a group of this page (-1: none).
  auto newest_before = [&](std::optional<int64_t> before_us, int64_t* bucket) -> std::optional<StoreStatus> {
    Where b = w;
    std::string sql = std::string("SELECT MAX(a.ts)") + kFrom + b.sql;
    if (before_us) sql += " AND a.ts<" + b.p(arg(*before_us)) + "::bigint";
    pg::Result r = c->exec(sql, b.params);
    if (!r) return pg::fail("group", r);
    *bucket = r.null(0, 0) ? -1 : r.int64(0, 0) / w_us;
    return std::nullopt;
  };
  int64_t bucket;
  std::optional<GroupCursor> after = q.group_cursor;
  if (after) {
    bucket = after->bucket;
  } else if (auto e = newest_before(std::nullopt, &bucket)) {
    return *e;
  }
  // Keys compare as SQLite compares them: by bytes (COLLATE "C").
  constexpr const char* kK1 = "COALESCE(a.sid,-1)";
  constexpr const char* kK2 = "(COALESCE(a.src_ip,'') COLLATE \"C\")";
  constexpr const char* kK3 = "(COALESCE(a.dest_ip,'') COLLATE \"C\")";
  while (bucket >= 0 && static_cast<int>(out->groups.size()) < limit) {
    Where g = w;
    std::string lo = g.p(arg(bucket * w_us)), hi = g.p(arg((bucket + 1) * w_us));
    std::string s1, s2, s3;
    if (after && after->bucket == bucket) {
      s1 = g.p(arg(after->sid)), s2 = g.p(after->src), s3 = g.p(after->dest);
    } else {
      s1 = g.p(arg(int64_t{-2})), s2 = g.p(std::string()), s3 = g.p(std::string());
    }
    std::string n = g.p(arg(int64_t{limit - static_cast<int>(out->groups.size())}));
    std::string sql = std::string("SELECT ") + kK1 + ", " + kK2 + ", " + kK3 +
                      ", COUNT(*), MIN(a.ts), MAX(a.ts), MAX(a.id), MAX(a.signature COLLATE \"C\"), "
                      "MIN(a.severity)" +
                      kFrom + g.sql + " AND a.ts>=" + lo + "::bigint AND a.ts<" + hi +
                      "::bigint GROUP BY 1, 2, 3 " + "HAVING (" + kK1 + ", " + kK2 + ", " + kK3 + ") > (" +
                      s1 + "::bigint, " + s2 + "::text, " + s3 + "::text) ORDER BY 1, 2, 3 LIMIT " + n +
                      "::bigint";
    pg::Result r = c->exec(sql, g.params);
    if (!r) return pg::fail("group", r);
    for (int i = 0; i < r.rows(); ++i) {
      AlertGroup a;
      a.sid = r.int64(i, 0);
      a.src_ip = r.text(i, 1);
      a.dest_ip = r.text(i, 2);
      a.count = r.int64(i, 3);
      a.first_seen_us = r.int64(i, 4);
      a.last_seen_us = r.int64(i, 5);
      a.sample_id = r.int64(i, 6);
      a.signature = r.text(i, 7);
      a.severity = static_cast<int>(r.int64(i, 8));
      a.bucket = bucket;
      out->groups.push_back(std::move(a));
    }
    if (static_cast<int>(out->groups.size()) >= limit) break;
    if (auto e = newest_before(bucket * w_us, &bucket)) return *e;
  }
  if (static_cast<int>(out->groups.size()) == limit) {
    const auto& g = out->groups.back();
    out->next_cursor = GroupCursor{g.bucket, g.sid, g.src_ip, g.dest_ip};
  }
  return {};
}

StoreStatus alert_detail(pg::Pool& pool, int64_t id, std::optional<AlertDetail>* out) {
  out->reset();
  auto c = pool.acquire();
  pg::Result r = c->exec(std::string(kCols) + ", a.flow_id" + kFrom + " WHERE a.id=$1::bigint", {arg(id)});
  if (!r) return pg::fail("detail", r);
  if (r.rows() == 0) return {};
  AlertDetail d;
  d.alert = row_json(r, 0);
  int64_t ts = r.int64(0, 1);
  std::string agent = r.text(0, 2);
  if (!r.null(0, 6)) {
    int64_t flow_id = r.int64(0, 6);
    pg::Params p{agent,
                 arg(flow_id),
                 arg(ts - kFlowWindowUs),
                 arg(ts + kFlowWindowUs),
                 arg(id),
                 arg(int64_t{kFlowRowsMax + 1})};
    pg::Result fa =
        c->exec(std::string(kCols) + kFrom +
                    " WHERE a.agent_id=$1 AND a.flow_id=$2::bigint AND a.ts BETWEEN $3::bigint AND "
                    "$4::bigint AND a.id<>$5::bigint ORDER BY a.ts DESC, a.id DESC LIMIT $6::bigint",
                p);
    if (!fa) return pg::fail("detail flow alerts", fa);
    for (int i = 0; i < fa.rows(); ++i) d.flow_alerts.push_back(row_json(fa, i));
    p.erase(p.begin() + 4);
    pg::Result ev = c->exec(
        "SELECT id, json FROM events WHERE agent_id=$1 AND flow_id=$2::bigint AND ts BETWEEN $3::bigint AND "
        "$4::bigint ORDER BY ts DESC, id DESC LIMIT $5::bigint",
        p);
    if (!ev) return pg::fail("detail flow events", ev);
    for (int i = 0; i < ev.rows(); ++i) {
      json j = json::parse(ev.view(i, 1), nullptr, false);
      if (!j.is_object()) j = json::object();
      j["id"] = ev.int64(i, 0);
      d.flow_events.push_back(std::move(j));
    }
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

int64_t count_events(pg::Pool& pool, const std::string& event_type) {
  auto c = pool.acquire();
  pg::Result r = event_type == "alert"
                     ? c->exec("SELECT COUNT(*) FROM alerts")
                     : c->exec("SELECT COUNT(*) FROM events WHERE event_type=$1", {event_type});
  return r && r.rows() > 0 ? r.int64(0, 0) : -1;
}

StoreStatus alert_stats(pg::Pool& pool, const StatsQuery& q, AlertStats* out) {
  // One snapshot: the series and the top lists see the same commits.
  return pg::with_tx(
      pool, "stats", [&](pg::Conn& c) { return stats_in_tx(c, q, out); },
      "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

StoreStatus triage_alerts(pg::Pool& pool, const std::vector<int64_t>& ids, const TriageChange& change,
                          const std::string& actor, int64_t now, const AuditEntry* audit, uint64_t* matched) {
  *matched = 0;
  std::string list = "{";
  for (size_t i = 0; i < ids.size(); ++i) list += (i ? "," : "") + std::to_string(ids[i]);
  list += "}";
  uint64_t found = 0;
  StoreStatus st = pg::with_tx(pool, "triage", [&](pg::Conn& c) -> StoreStatus {
    found = 0;
    // One triage change at a time across collectors (as SQLite's write
    // lock): what a field was is read after the previous change committed.
    pg::Result lock = c.exec("SELECT pg_advisory_xact_lock(hashtext('vigil.triage'))");
    if (!lock) return pg::fail("triage lock", lock);
    pg::Result cnt = c.exec("SELECT COUNT(DISTINCT id) FROM alerts WHERE id = ANY($1::bigint[])", {list});
    if (!cnt) return pg::fail("triage count", cnt);
    found = static_cast<uint64_t>(cnt.int64(0, 0));
    if (found == 0) return {};
    std::vector<int64_t> changed_ids;
    struct Field {
      const char* name;
      const char* fallback;
      const std::optional<std::string>* value;
    };
    for (const Field& f :
         {Field{"status", "'new'", &change.status}, Field{"assignee", "NULL", &change.assignee}}) {
      if (!*f.value) continue;
      std::optional<std::string> v = **f.value;
      if (v && v->empty()) v.reset();  // an empty assignee clears it
      const std::string old = std::string("COALESCE(t.") + f.name + ", " + f.fallback + ")";
      const std::string sel =
          std::string(" FROM (SELECT DISTINCT id FROM alerts WHERE id = ANY($1::bigint[])) a ") +
          "LEFT JOIN alert_triage t ON t.alert_id=a.id WHERE " + old + " IS DISTINCT FROM $2::text";
      pg::Result h = c.exec(
          "INSERT INTO alert_triage_history(alert_id,ts,actor,field,old,new) SELECT a.id, "
          "$3::bigint, $4::text, '" +
              std::string(f.name) + "', " + old + ", $2::text" + sel + " ORDER BY a.id RETURNING alert_id",
          {list, v, arg(now), actor});
      if (!h) return pg::fail("triage history", h);
      for (int i = 0; i < h.rows(); ++i) changed_ids.push_back(h.int64(i, 0));
      if (h.rows() == 0) continue;
      pg::Result up = c.exec(std::string("INSERT INTO alert_triage(alert_id,") + f.name +
                                 ",updated_at,updated_by) SELECT unnest($1::bigint[]), $2::text, $3::bigint, "
                                 "$4::text ON CONFLICT(alert_id) DO UPDATE SET " +
                                 f.name + "=excluded." + f.name +
                                 ", updated_at=excluded.updated_at, updated_by=excluded.updated_by",
                             {[&] {
                                std::string l = "{";
                                for (int i = 0; i < h.rows(); ++i) l += (i ? "," : "") + h.text(i, 0);
                                return l + "}";
                              }(),
                              v, arg(now), actor});
      if (!up) return pg::fail("triage update", up);
    }
    if (change.comment) {
      pg::Result cm = c.exec(
          "INSERT INTO alert_comments(alert_id,ts,actor,text) SELECT id, $2::bigint, $3::text, $4::text FROM "
          "(SELECT DISTINCT id FROM alerts WHERE id = ANY($1::bigint[])) a ORDER BY id",
          {list, arg(now), actor, *change.comment});
      if (!cm) return pg::fail("triage comment", cm);
    }
    if (audit) {
      AuditEntry a = *audit;
      if (a.detail.is_object()) {
        uint64_t changed = found;
        if (!change.comment) {
          std::sort(changed_ids.begin(), changed_ids.end());
          changed = static_cast<uint64_t>(std::unique(changed_ids.begin(), changed_ids.end()) -
                                          changed_ids.begin());
        }
        a.detail["count"] = found;
        a.detail["changed"] = changed;
      }
      return insert_audit(c, a);
    }
    return {};
  });
  if (st.ok) *matched = found;
  return st;
}

std::optional<AlertTriage> get_triage(pg::Pool& pool, int64_t alert_id) {
  auto c = pool.acquire();
  pg::Result ex = c->exec(
      "SELECT t.status, t.assignee, t.updated_at, t.updated_by FROM (SELECT id FROM alerts WHERE "
      "id=$1::bigint "
      "LIMIT 1) a LEFT JOIN alert_triage t ON t.alert_id=a.id",
      {arg(alert_id)});
  if (!ex || ex.rows() == 0) return std::nullopt;
  AlertTriage t;
  if (!ex.null(0, 0)) {
    t.status = ex.text(0, 0);
    t.assignee = ex.opt_text(0, 1);
    t.updated_at = ex.int64(0, 2);
    t.updated_by = ex.text(0, 3);
  }
  pg::Result h = c->exec(
      "SELECT ts, actor, field, old, new FROM alert_triage_history WHERE alert_id=$1::bigint ORDER BY id",
      {arg(alert_id)});
  for (int i = 0; h && i < h.rows(); ++i)
    t.history.push_back({h.int64(i, 0), h.text(i, 1), h.text(i, 2), h.opt_text(i, 3), h.opt_text(i, 4)});
  pg::Result cm =
      c->exec("SELECT id, ts, actor, text FROM alert_comments WHERE alert_id=$1::bigint ORDER BY id",
              {arg(alert_id)});
  for (int i = 0; cm && i < cm.rows(); ++i)
    t.comments.push_back({cm.int64(i, 0), cm.int64(i, 1), cm.text(i, 2), cm.text(i, 3)});
  return t;
}

StoreStatus add_suppression(pg::Pool& pool, Suppression* s, AuditEntry audit) {
  int64_t id = 0;
  StoreStatus st = pg::with_tx(pool, "suppression", [&](pg::Conn& c) -> StoreStatus {
    pg::Result r = c.exec(
        "INSERT INTO suppressions(gid,sid,track,cidr,reason,author,created_at,expires_at) "
        "VALUES($1::bigint,$2::bigint,$3,$4,$5,$6,$7::bigint,$8::bigint) RETURNING id",
        {arg(int64_t{s->gid}), arg(int64_t{s->sid}), s->track,
         s->cidr.empty() ? pg::Param() : pg::Param(s->cidr), s->reason, s->author, arg(s->created_at),
         arg(s->expires_at)});
    if (!r || r.rows() != 1) return pg::fail("suppression insert", r);
    id = r.int64(0, 0);
    AuditEntry a = audit;
    a.target = "suppression:" + std::to_string(id);
    return insert_audit(c, a);
  });
  if (st.ok) s->id = id;
  return st;
}

std::vector<Suppression> list_suppressions(pg::Pool& pool, bool all, int64_t now) {
  std::string sql =
      "SELECT id,gid,sid,track,cidr,reason,author,created_at,expires_at,removed_at,hits FROM suppressions";
  pg::Params p;
  if (!all) {
    sql += " WHERE removed_at=0 AND (expires_at=0 OR expires_at>$1::bigint)";
    p.push_back(arg(now));
  }
  sql += " ORDER BY id";
  auto c = pool.acquire();
  pg::Result r = c->exec(sql, p);
  std::vector<Suppression> out;
  for (int i = 0; r && i < r.rows(); ++i) {
    Suppression s;
    s.id = r.int64(i, 0);
    s.gid = static_cast<uint32_t>(r.int64(i, 1));
    s.sid = static_cast<uint32_t>(r.int64(i, 2));
    s.track = r.text(i, 3);
    s.cidr = r.text(i, 4);
    s.reason = r.text(i, 5);
    s.author = r.text(i, 6);
    s.created_at = r.int64(i, 7);
    s.expires_at = r.int64(i, 8);
    s.removed_at = r.int64(i, 9);
    s.hits = r.int64(i, 10);
    out.push_back(std::move(s));
  }
  return out;
}

StoreStatus remove_suppression(pg::Pool& pool, int64_t id, int64_t now, const AuditEntry& audit,
                               bool* found) {
  *found = false;
  bool hit = false;
  StoreStatus st = pg::with_tx(pool, "suppression remove", [&](pg::Conn& c) -> StoreStatus {
    hit = false;
    pg::Result r = c.exec(
        "UPDATE suppressions SET removed_at=$2::bigint WHERE id=$1::bigint AND removed_at=0 AND "
        "(expires_at=0 OR expires_at>$2::bigint)",
        {arg(id), arg(now)});
    if (!r) return pg::fail("suppression remove", r);
    hit = r.affected() > 0;
    if (!hit) return {};
    return insert_audit(c, audit);
  });
  if (st.ok) *found = hit;
  return st;
}

StoreStatus add_suppression_hits(pg::Pool& pool, const std::vector<std::pair<int64_t, uint64_t>>& hits) {
  if (hits.empty()) return {};
  // One statement; ids in order, so concurrent collectors lock rows in the same order.
  std::map<int64_t, uint64_t> sum;
  for (const auto& [id, n] : hits) sum[id] += n;
  std::string ids = "{", ns = "{";
  bool first = true;
  for (const auto& [id, n] : sum) {
    ids += (first ? "" : ",") + std::to_string(id);
    ns += (first ? "" : ",") + std::to_string(n);
    first = false;
  }
  ids += "}";
  ns += "}";
  return pg::with_tx(pool, "suppression hits", [&](pg::Conn& c) -> StoreStatus {
    pg::Result r = c.exec(
        "UPDATE suppressions s SET hits=s.hits+v.n FROM (SELECT unnest($1::bigint[]) AS id, "
        "unnest($2::bigint[]) AS "
        "n) v WHERE s.id=v.id",
        {ids, ns});
    if (!r) return pg::fail("suppression hits", r);
    return {};
  });
}

}  // namespace vigil::collector::pg_read
