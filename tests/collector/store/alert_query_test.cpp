// The alert read side against a plain scan: a store filled with generated
// alerts (20k in the fast suite; a million in the "[.million]" case, run by
// ctest with the slow label), random filters of every kind alone and
// combined, every page collected and compared with the rows the filter
// should select, in order; paging while ingest goes on; group counts against
// a grouping done here; detail against the generated flows. Against SQLite
// and, in the collector[pg] registration, PostgreSQL.

#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <thread>

#include "../store_test_util.h"
#include "collector/api/alert_filter.h"
#include "collector/store/store.h"
#include "common/time.h"

using namespace vigil::collector;
using nlohmann::json;

namespace {

constexpr int64_t kBaseUs = 1764547200LL * 1000000;  // 2025-12-01T00:00:00Z

struct Row {
  int64_t id = 0, ts_us = 0, sid = 0, flow_id = 0;
  int severity = 0;
  std::optional<int> src_port, dest_port;
  std::string agent, signature, category, src_ip, dest_ip, proto, app_proto, text;
  std::string indexed;  // what q searches: the signature and the app-layer values
  std::string status = "new";
  std::optional<std::string> assignee;
};

struct Corpus {
  std::string dir;
  std::unique_ptr<Store> store;
  std::vector<Row> rows;  // rows[i].id == i + 1
  int64_t max_ts = 0;
};

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Lower-case ASCII words, each between spaces: " evil example ". A q of
// words is found when its words appear in this order (an FTS5 phrase).
std::string words(const std::string& s) {
  std::string out = " ";
  for (char c : s) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
    else if (out.back() != ' ')
      out.push_back(' ');
  }
  if (out.back() != ' ') out.push_back(' ');
  return out;
}

const char* kAgents[] = {"ag-0", "ag-1", "ag-2", "ag-3", "ag-4"};
const char* kCategories[] = {"Attempted Recon", "Web Application Attack", "Trojan Activity", "Misc activity",
                             "Policy Violation"};
const char* kWords[] = {"Scan", "EXPLOIT", "trojan", "Login", "sql", "Beacon", "Shell", "probe"};
const char* kHosts[] = {"evil.example", "good.example.org", "cdn.test", "login.corp", "x.invalid"};
const char* kAppProtos[] = {"http", "dns", "tls", "ssh", ""};

std::string src_for(std::mt19937_64& r) {
  if (r() % 5 == 0) return "2001:db8:" + std::to_string(r() % 3) + "::" + std::to_string(r() % 20 + 1);
  return "10." + std::to_string(r() % 3) + "." + std::to_string(r() % 4) + "." + std::to_string(r() % 30 + 1);
}
std::string dest_for(std::mt19937_64& r) {
  if (r() % 6 == 0) return "2001:db8:ff::" + std::to_string(r() % 10 + 1);
  return "192.168." + std::to_string(r() % 4) + "." + std::to_string(r() % 20 + 1);
}

Row make_row(std::mt19937_64& r, int64_t ts_us, const std::string& agent) {
  Row x;
  x.ts_us = ts_us;
  x.agent = agent;
  int k = static_cast<int>(r() % 60);
  x.sid = 2000000 + k;
  x.signature = std::string("ET ") + kWords[k % 8] + " rule " + std::to_string(k) + " " + kWords[(k / 8) % 8];
  x.category = kCategories[k % 5];
  x.severity = 1 + k % 4;
  x.src_ip = src_for(r);
  x.dest_ip = dest_for(r);
  int pr = static_cast<int>(r() % 10);
  x.proto = pr < 7 ? "TCP" : pr < 9 ? "UDP" : "ICMP";
  if (x.proto != "ICMP") {
    x.src_port = 1024 + static_cast<int>(r() % 40);
    static const int dports[] = {80, 443, 53, 22, 8080};
    x.dest_port = dports[r() % 5];
  }
  x.app_proto = x.proto == "ICMP" ? "" : kAppProtos[r() % 5];
  x.flow_id = static_cast<int64_t>(r() % 5000) + 1;
  json eve = {{"timestamp", vigil::format_eve_time({ts_us / 1000000, static_cast<int32_t>(ts_us % 1000000)})},
              {"event_type", "alert"},
              {"flow_id", x.flow_id},
              {"src_ip", x.src_ip},
              {"dest_ip", x.dest_ip},
              {"proto", x.proto},
              {"alert",
               {{"action", "allowed"},
                {"gid", 1},
                {"signature_id", x.sid},
                {"rev", 1},
                {"signature", x.signature},
                {"category", x.category},
                {"severity", x.severity}}}};
  if (x.src_port) eve["src_port"] = *x.src_port;
  if (x.dest_port) eve["dest_port"] = *x.dest_port;
  if (!x.app_proto.empty()) eve["app_proto"] = x.app_proto;
  x.indexed = x.signature;
  if (x.app_proto == "http") {
    std::string host = kHosts[r() % 5], url = "/p" + std::to_string(r() % 100);
    eve["http"] = {{"hostname", host}, {"url", url}};
    x.indexed += " " + host + " " + url;
  }
  if (x.app_proto == "tls" || x.app_proto == "dns") {
    std::string host = kHosts[r() % 5];
    eve[x.app_proto] = {{x.app_proto == "tls" ? "sni" : "rrname", host}};
    x.indexed += " " + host;
  }
  x.text = eve.dump();
  return x;
}

std::string temp_dir(const char* name) {
  return test::fresh_temp_dir("vigil-aq-", name);
}

// Ingests rows in agent batches of up to `batch` events, in order; ids follow.
void ingest(Store& store, std::vector<Row>& rows, size_t first, std::map<std::string, uint64_t>& seqs,
            size_t batch = 20000) {
  size_t i = first;
  while (i < rows.size()) {
    std::string agent = rows[i].agent;
    std::vector<IngestEvent> evs;
    size_t j = i;
    for (; j < rows.size() && rows[j].agent == agent && j - i < batch; ++j) {
      IngestEvent e;
      e.event_uid = "u" + std::to_string(j);
      e.text = rows[j].text;
      e.fields = vigil::wire::eve_fields_from_json(json::parse(rows[j].text));
      evs.push_back(std::move(e));
    }
    IngestResult r;
    REQUIRE(store.ingest_batch(agent, ++seqs[agent], evs, 1, &r).ok);
    REQUIRE(r.stored == evs.size());
    i = j;
  }
}

// part_min > 0: a SQLite store's alert partitions start every part_min ids
// or more (sqlite_alert_parts.h), so that the view over many partitions,
// their event times overlapping, is what the checks read.
// stats_cache: the SQLite store keeps its stats cache, which then answers
// the lists it finds sooner (sqlite_alert_query.h).
Corpus make_corpus(const char* name, size_t n, uint64_t seed, int64_t part_min = 0,
                   bool stats_cache = false) {
  Corpus c;
  c.dir = temp_dir(name);
  std::string err;
  if (part_min > 0 && !test::pg_run()) {
    SqliteStoreOptions opts;
    opts.part_min = part_min;
    opts.stats_cache = stats_cache;
    c.store = open_sqlite_store(c.dir + "/c.db", &err, opts);
  } else {
    c.store = test::open_test_store(c.dir, &err);
  }
  INFO(err);
  REQUIRE(c.store);
  std::mt19937_64 r(seed);
  c.rows.reserve(n);
  // Runs of one agent (a batch each); times random over ~2 s per row, so ids
  // are not in time order and many rows share a time (ties in the keyset).
  while (c.rows.size() < n) {
    std::string agent = kAgents[r() % 5];
    size_t run = std::min<size_t>(n - c.rows.size(), 1 + r() % 5000);
    for (size_t k = 0; k < run; ++k) {
      int64_t ts = kBaseUs + static_cast<int64_t>(r() % (2 * n)) * 1000000 + (r() % 3) * 250000;
      c.rows.push_back(make_row(r, ts, agent));
    }
  }
  for (size_t i = 0; i < c.rows.size(); ++i) {
    c.rows[i].id = static_cast<int64_t>(i) + 1;
    c.max_ts = std::max(c.max_ts, c.rows[i].ts_us);
  }
  std::map<std::string, uint64_t> seqs;
  ingest(*c.store, c.rows, 0, seqs, 50000);
  // Triage state for ~10% of the rows, through the store's triage (one bulk
  // change per status and assignee).
  const char* assignees[] = {"alice", "bob", nullptr};
  std::map<std::pair<std::string, std::string>, std::vector<int64_t>> changes;
  for (auto& row : c.rows) {
    if (r() % 10 != 0) continue;
    row.status = kTriageStatuses[r() % 5];
    const char* a = assignees[r() % 3];
    if (a) row.assignee = a;
    changes[{row.status, a ? a : ""}].push_back(row.id);
  }
  for (const auto& [k, ids] : changes) {
    TriageChange ch;
    ch.status = k.first;
    ch.assignee = k.second;  // empty: none
    uint64_t matched = 0;
    REQUIRE(c.store->triage_alerts(ids, ch, "test", 1, nullptr, &matched).ok);
    REQUIRE(matched == ids.size());
  }
  return c;
}

bool in_net(const std::string& ip, const IpNet& n) {
  if (n.exact) return ip == *n.exact;
  auto a = ip16(ip);
  return a && *a >= n.lo && *a <= n.hi;
}

// The plain scan: what the filter means, written independently of the SQL.
bool matches(const Row& x, const AlertFilter& f) {
  if (f.from_us && x.ts_us < *f.from_us) return false;
  if (f.to_us && x.ts_us >= *f.to_us) return false;
  if (!f.severities.empty() &&
      std::find(f.severities.begin(), f.severities.end(), x.severity) == f.severities.end())
    return false;
  if (!f.sids.empty() && std::find(f.sids.begin(), f.sids.end(), x.sid) == f.sids.end()) return false;
  if (f.signature && lower(x.signature).find(lower(*f.signature)) == std::string::npos) return false;
  if (f.category && x.category != *f.category) return false;
  if (f.agent_id && x.agent != *f.agent_id) return false;
  if (f.src_ip && !in_net(x.src_ip, *f.src_ip)) return false;
  if (f.dest_ip && !in_net(x.dest_ip, *f.dest_ip)) return false;
  if (f.port && x.src_port != f.port && x.dest_port != f.port) return false;
  if (f.src_port && x.src_port != f.src_port) return false;
  if (f.dest_port && x.dest_port != f.dest_port) return false;
  if (f.proto && x.proto != *f.proto) return false;
  if (f.app_proto && x.app_proto != *f.app_proto) return false;
  if (!f.statuses.empty() && std::find(f.statuses.begin(), f.statuses.end(), x.status) == f.statuses.end())
    return false;
  if (f.assignee && x.assignee != f.assignee) return false;
  if (f.q && words(x.indexed).find(words(*f.q)) == std::string::npos) return false;
  return true;
}

// Expected ids, newest first (ts DESC, id DESC).
std::vector<int64_t> expected(const Corpus& c, const AlertFilter& f) {
  std::vector<const Row*> m;
  for (const auto& x : c.rows)
    if (matches(x, f)) m.push_back(&x);
  std::sort(m.begin(), m.end(), [](const Row* a, const Row* b) {
    return a->ts_us != b->ts_us ? a->ts_us > b->ts_us : a->id > b->id;
  });
  std::vector<int64_t> ids;
  for (auto* x : m) ids.push_back(x->id);
  return ids;
}

using Params = std::vector<std::pair<std::string, std::string>>;

// One random value for each kind of filter.
std::pair<std::string, std::string> random_param(std::mt19937_64& r, int kind, const Corpus& c) {
  auto ts = [&](int64_t us) { return std::to_string(us / 1000000); };
  int64_t span = c.max_ts - kBaseUs;
  switch (kind) {
    case 0:
      return {"from", ts(kBaseUs + static_cast<int64_t>(r() % static_cast<uint64_t>(span)))};
    case 1:
      return {"to", ts(kBaseUs + static_cast<int64_t>(r() % static_cast<uint64_t>(span)))};
    case 2:
      return {"severity", r() % 2 ? std::to_string(1 + r() % 4) : "1,3"};
    case 3:
      return {"sid", r() % 2 ? std::to_string(2000000 + r() % 60) : "2000001,2000017,2000059"};
    case 4:
      return {"signature", r() % 2 ? lower(kWords[r() % 8]) : "rule 1"};
    case 5:
      return {"category", kCategories[r() % 5]};
    case 6:
      return {"agent", kAgents[r() % 5]};
    case 7: {
      const char* nets[] = {"10.1.0.0/16", "10.0.2.0/24",   "2001:db8:1::/48",
                            "10.2.3.7",    "2001:db8::/32", "0.0.0.0/0"};
      return {"src_ip", nets[r() % 6]};
    }
    case 8: {
      const char* nets[] = {"192.168.2.0/24", "2001:db8:ff::/64", "192.168.0.5", "192.168.0.0/23"};
      return {"dest_ip", nets[r() % 4]};
    }
    case 9:
      return {"port", std::to_string(r() % 2 ? 443 : 1030)};
    case 10:
      return {"src_port", std::to_string(1024 + r() % 40)};
    case 11:
      return {"dest_port", r() % 2 ? "53" : "22"};
    case 12:
      return {"proto", r() % 2 ? "udp" : "ICMP"};
    case 13:
      return {"app_proto", kAppProtos[r() % 4]};
    case 14:
      return {"status", r() % 2 ? "new" : "escalated,closed"};
    case 15:
      return {"assignee", r() % 2 ? "alice" : "bob"};
    default:
      return {"q", r() % 2 ? "EVIL.example" : "login"};
  }
}
constexpr int kKinds = 17;

// Pages through the list with `limit`, collecting ids; checks each page's shape.
std::vector<int64_t> collect(Store& s, AlertListQuery q, int limit, int max_pages = 1000000) {
  q.limit = limit;
  q.want_total = false;  // the total is checked once per filter, not per page
  std::vector<int64_t> ids;
  for (int page = 0; page < max_pages; ++page) {
    AlertListPage p;
    REQUIRE(s.list_alerts(q, &p).ok);
    for (const auto& a : p.alerts) ids.push_back(a["id"].get<int64_t>());
    if (!p.next_cursor) break;
    REQUIRE(static_cast<int>(p.alerts.size()) == limit);
    q.cursor = p.next_cursor;
  }
  return ids;
}

void check_random_filters(Corpus& c, int n_filters, uint64_t seed, int limit) {
  std::mt19937_64 r(seed);
  // Each kind alone first, then random combinations of two to four.
  for (int i = 0; i < kKinds + n_filters; ++i) {
    Params params;
    if (i < kKinds) {
      params.push_back(random_param(r, i, c));
    } else {
      int n = 2 + static_cast<int>(r() % 3);
      std::set<int> kinds;
      while (static_cast<int>(kinds.size()) < n) kinds.insert(static_cast<int>(r() % kKinds));
      for (int k : kinds) params.push_back(random_param(r, k, c));
    }
    AlertListQuery q;
    std::string desc;
    for (auto& [k, v] : params) desc += k + "=" + v + "&";
    INFO("filter " << desc);
    auto e = parse_alert_query(params, &q);
    if (e && e->param == "from") continue;  // a random from after a random to
    REQUIRE_FALSE(e);
    auto want = expected(c, q.filter);
    auto got = collect(*c.store, q, limit);
    CHECK(got.size() == want.size());
    CHECK(got == want);
    AlertListPage first;
    q.limit = 10;
    REQUIRE(c.store->list_alerts(q, &first).ok);
    if (first.total_exact) {
      CHECK(first.total == static_cast<int64_t>(want.size()));
    } else {
      CHECK(want.size() > static_cast<size_t>(first.total));
    }
  }
}

// Free text against the plain scan, every page and the first page's total,
// for a term in every alert ("rule": the newest-first walk probing the match
// set per row), terms in a few percent of them and in a handful (the text
// index drives), each alone and with other filters (the walk then follows
// their index, e.g. severity then time, so ids come from both ends of the
// match set).
void check_free_text(Corpus& c) {
  std::string mid = std::to_string((kBaseUs + (c.max_ts - kBaseUs) / 2) / 1000000);
  const std::vector<Params> cases = {
      {{"q", "rule"}},
      {{"q", "rule"}, {"severity", "1"}},
      {{"q", "rule"}, {"severity", "1,3"}, {"agent", "ag-2"}},
      {{"q", "rule"}, {"to", mid}},
      {{"q", "RULE"}, {"src_ip", "10.1.0.0/16"}, {"status", "new"}},
      {{"q", "rule 17"}, {"proto", "tcp"}},
      {{"q", "evil.example"}},
      {{"q", "evil.example"}, {"severity", "2"}, {"from", mid}},
      {{"q", "p17"}},
      {{"q", "p17"}, {"app_proto", "http"}, {"agent", "ag-1"}},
      {{"q", "nosuchword"}, {"severity", "1"}},
  };
  for (const auto& params : cases) {
    std::string desc;
    for (auto& [k, v] : params) desc += k + "=" + v + "&";
    INFO("filter " << desc);
    AlertListQuery q;
    REQUIRE_FALSE(parse_alert_query(params, &q));
    auto want = expected(c, q.filter);
    CHECK(collect(*c.store, q, 97) == want);
    AlertListPage first;
    q.limit = 50;
    q.want_total = true;
    REQUIRE(c.store->list_alerts(q, &first).ok);
    std::vector<int64_t> page;
    for (const auto& a : first.alerts) page.push_back(a["id"].get<int64_t>());
    CHECK(page == std::vector<int64_t>(want.begin(), want.begin() + std::min<size_t>(50, want.size())));
    if (want.size() <= 10000) {
      CHECK(first.total_exact);
      CHECK(first.total == static_cast<int64_t>(want.size()));
    } else {
      CHECK_FALSE(first.total_exact);
      CHECK(first.total == 10000);
    }
  }
  // The every-alert term really is past the text-driven plan's limit here.
  AlertFilter every;
  every.q = "rule";
  CHECK(expected(c, every).size() > 5000);
}

struct GroupKey {
  int64_t bucket, sid;
  std::string src, dest;
  auto operator<=>(const GroupKey&) const = default;
};
struct GroupVal {
  int64_t count = 0, first = INT64_MAX, last = 0, max_id = 0;
};

void check_groups(Corpus& c, const Params& params, int64_t window_s, int limit) {
  AlertListQuery q;
  Params p = params;
  p.push_back({"group", "1"});
  p.push_back({"window", std::to_string(window_s)});
  REQUIRE_FALSE(parse_alert_query(p, &q));
  std::map<GroupKey, GroupVal> want;
  int64_t rows = 0;
  for (const auto& x : c.rows) {
    if (!matches(x, q.filter)) continue;
    ++rows;
    auto& g = want[{x.ts_us / (window_s * 1000000), x.sid, x.src_ip, x.dest_ip}];
    ++g.count;
    g.first = std::min(g.first, x.ts_us);
    g.last = std::max(g.last, x.ts_us);
    g.max_id = std::max(g.max_id, x.id);
  }
  std::map<GroupKey, GroupVal> got;
  std::vector<GroupKey> order;
  q.limit = limit;
  int64_t sum = 0;
  for (int page = 0; page < 100000; ++page) {
    AlertGroupPage gp;
    REQUIRE(c.store->group_alerts(q, &gp).ok);
    for (const auto& g : gp.groups) {
      GroupKey k{g.bucket, g.sid, g.src_ip, g.dest_ip};
      REQUIRE(got.count(k) == 0);  // never repeated across pages
      got[k] = {g.count, g.first_seen_us, g.last_seen_us, g.sample_id};
      order.push_back(k);
      sum += g.count;
    }
    if (!gp.next_cursor) break;
    q.group_cursor = gp.next_cursor;
  }
  CHECK(sum == rows);
  REQUIRE(got.size() == want.size());
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    REQUIRE(it != got.end());
    CHECK(it->second.count == v.count);
    CHECK(it->second.first == v.first);
    CHECK(it->second.last == v.last);
    CHECK(it->second.max_id == v.max_id);
  }
  // Newest window first.
  for (size_t i = 1; i < order.size(); ++i) CHECK(order[i - 1].bucket >= order[i].bucket);
}

// Pages through while another thread ingests newer alerts: exactly the rows
// that were there when paging began, none skipped or repeated.
void check_paging_under_ingest(Corpus& c, const Params& params, int limit) {
  AlertListQuery q;
  REQUIRE_FALSE(parse_alert_query(params, &q));
  auto want = expected(c, q.filter);
  q.limit = limit;
  AlertListPage p;
  REQUIRE(c.store->list_alerts(q, &p).ok);
  std::vector<int64_t> got;
  for (const auto& a : p.alerts) got.push_back(a["id"].get<int64_t>());
  std::atomic<bool> stop{false};
  std::atomic<int> batches{0};
  std::vector<Row> live;  // the writer's rows, in ingest order
  std::thread writer([&] {
    std::mt19937_64 r(99);
    static uint64_t seq = 1000000;  // ag-live's batch numbers, across calls
    int64_t ts = c.max_ts + 1000000;
    while (!stop && batches < 20) {
      std::vector<IngestEvent> evs;
      for (int k = 0; k < 500; ++k) {
        Row x = make_row(r, ts + k * 1000, "ag-live");
        IngestEvent e;
        e.event_uid = "live" + std::to_string(seq) + "-" + std::to_string(k);
        e.text = x.text;
        e.fields = vigil::wire::eve_fields_from_json(json::parse(x.text));
        evs.push_back(std::move(e));
        live.push_back(std::move(x));
      }
      ts += 1000000;
      IngestResult res;
      if (!c.store->ingest_batch("ag-live", ++seq, evs, 2, &res).ok || res.stored != evs.size()) break;
      ++batches;
    }
  });
  while (p.next_cursor) {
    q.cursor = p.next_cursor;
    REQUIRE(c.store->list_alerts(q, &p).ok);
    for (const auto& a : p.alerts) got.push_back(a["id"].get<int64_t>());
  }
  // Let the writer get some batches in even when paging was quick.
  while (batches < 3) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stop = true;
  writer.join();
  CHECK(batches >= 3);
  CHECK(got == want);
  // The writer's rows are part of the store from now on (ids follow in order).
  live.resize(static_cast<size_t>(batches.load()) * 500);
  for (auto& x : live) {
    x.id = static_cast<int64_t>(c.rows.size()) + 1;
    c.max_ts = std::max(c.max_ts, x.ts_us);
    c.rows.push_back(std::move(x));
  }
}

void check_detail(Corpus& c, int n, uint64_t seed) {
  std::mt19937_64 r(seed);
  for (int i = 0; i < n; ++i) {
    const Row& x = c.rows[r() % c.rows.size()];
    std::optional<AlertDetail> d;
    REQUIRE(c.store->alert_detail(x.id, &d).ok);
    REQUIRE(d);
    CHECK(d->alert["id"] == x.id);
    CHECK(d->alert["agent_id"] == x.agent);
    CHECK(d->alert["status"] == x.status);
    CHECK(d->alert["alert"]["signature_id"] == x.sid);
    std::set<int64_t> want, got;
    for (const auto& y : c.rows)
      if (y.agent == x.agent && y.flow_id == x.flow_id && y.id != x.id &&
          std::llabs(y.ts_us - x.ts_us) <= 3600000000LL)
        want.insert(y.id);
    for (const auto& a : d->flow_alerts) got.insert(a["id"].get<int64_t>());
    if (want.size() <= 200) CHECK(got == want);
  }
  std::optional<AlertDetail> none;
  REQUIRE(c.store->alert_detail(static_cast<int64_t>(c.rows.size()) + 1000000, &none).ok);
  CHECK_FALSE(none);
}

}  // namespace

TEST_CASE("alert queries over 20k generated alerts equal a plain scan") {
  auto t0 = std::chrono::steady_clock::now();
  // In SQLite, half a dozen partitions (their alerts' times overlap: the
  // generator's ids are not in time order).
  Corpus c = make_corpus("20k", 20000, 7, 1000);
  if (!test::pg_run()) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open((c.dir + "/c.db").c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "SELECT COUNT(*) FROM alert_parts", -1, &st, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(st) == SQLITE_ROW);
    CHECK(sqlite3_column_int64(st, 0) >= 5);
    sqlite3_finalize(st);
    sqlite3_close(db);
  }
  // A sample of ids is where the generator put them.
  for (size_t i : {size_t{0}, size_t{12345}, c.rows.size() - 1}) {
    std::optional<AlertDetail> d;
    REQUIRE(c.store->alert_detail(c.rows[i].id, &d).ok);
    REQUIRE(d);
    REQUIRE(d->alert["timestamp"] == json::parse(c.rows[i].text)["timestamp"]);
  }
  // One corpus for every check (Catch2 sections would rebuild it for each).
  check_random_filters(c, 60, 1, 137);
  check_free_text(c);
  check_groups(c, {{"q", "rule"}, {"severity", "1,2"}}, 3600, 50);
  // No filter pages everything; the unfiltered total is the id span, flagged inexact.
  CHECK(collect(*c.store, AlertListQuery{}, 1000) == expected(c, {}));
  AlertListPage p;
  REQUIRE(c.store->list_alerts(AlertListQuery{}, &p).ok);
  CHECK_FALSE(p.total_exact);
  CHECK(p.total == 20000);
  check_paging_under_ingest(c, {{"to", std::to_string(c.max_ts / 1000000 + 1)}}, 500);
  check_paging_under_ingest(c, {}, 200);
  check_paging_under_ingest(c, {{"severity", "2"}, {"src_ip", "10.0.0.0/8"}}, 50);
  check_groups(c, {}, 3600, 97);
  check_groups(c, {{"severity", "1,2"}, {"dest_ip", "192.168.0.0/16"}}, 600, 50);
  check_groups(c, {{"agent", "ag-3"}}, 86400, 1000);
  check_detail(c, 50, 3);
  c.store.reset();
  std::filesystem::remove_all(c.dir);
  WARN("20k alert query checks took "
       << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
}

TEST_CASE("alert lists the stats cache answers equal a plain scan, also while ingest goes on", "[sqlite]") {
  Corpus c = make_corpus("20k-cache", 20000, 17, 1000, true);
  // The cache loads on a thread of its own at open; lists go to SQLite until then.
  auto cached = [&](const Params& params) {
    AlertListQuery q;
    REQUIRE_FALSE(parse_alert_query(params, &q));
    AlertListPage p;
    REQUIRE(c.store->list_alerts(q, &p).ok);
    return p.cached;
  };
  for (int i = 0; i < 500 && !cached({{"proto", "tcp"}}); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  REQUIRE(cached({{"proto", "tcp"}}));
  // Which lists it answers: a condition without an index of its own, or
  // two with one; never a text, status or assignee condition.
  CHECK(cached({{"dest_port", "443"}}));
  CHECK(cached({{"category", "Misc activity"}}));
  CHECK(cached({{"severity", "1"}, {"agent", "ag-2"}}));
  CHECK_FALSE(cached({}));
  CHECK_FALSE(cached({{"severity", "1"}}));
  CHECK_FALSE(cached({{"sid", "2000001"}, {"from", "1"}}));
  CHECK_FALSE(cached({{"proto", "tcp"}, {"status", "new"}}));
  CHECK_FALSE(cached({{"proto", "tcp"}, {"q", "rule"}}));
  // Every kind of filter, alone and combined, every page and the total.
  check_random_filters(c, 80, 3, 137);
  check_paging_under_ingest(c, {{"proto", "udp"}, {"severity", "3"}}, 100);
  check_paging_under_ingest(c, {{"port", "443"}}, 37);
  // Retention's deletes leave the cache with the rows.
  RetentionPolicy rp;
  rp.max_alerts = 12000;
  RetentionResult rr;
  REQUIRE(c.store->enforce_retention(rp, 2, &rr).ok);
  REQUIRE(rr.alerts > 0);
  std::vector<Row> kept;
  {
    std::set<int64_t> ids;
    AlertListQuery all;
    for (int64_t id : collect(*c.store, all, 5000)) ids.insert(id);
    for (auto& x : c.rows)
      if (ids.count(x.id)) kept.push_back(x);
  }
  c.rows = std::move(kept);
  check_random_filters(c, 20, 4, 500);
  c.store.reset();
  std::filesystem::remove_all(c.dir);
}

// p95 of `fn` over `n` runs, in milliseconds.
template <class F>
double p95_ms(int n, F fn) {
  std::vector<double> t;
  for (int i = 0; i < n; ++i) {
    auto a = std::chrono::steady_clock::now();
    fn(i);
    t.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(t.begin(), t.end());
  return t[std::min<size_t>(t.size() - 1, static_cast<size_t>(0.95 * static_cast<double>(t.size())))];
}

TEST_CASE("alert queries over a million generated alerts equal a plain scan", "[.million]") {
  auto t0 = std::chrono::steady_clock::now();
  Corpus c = make_corpus("1m", 1000000, 11);
  WARN("filled 1M alerts in " << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()
                              << " s");
  check_random_filters(c, 6, 2, 10000);
  check_paging_under_ingest(c, {{"severity", "3"}, {"proto", "udp"}}, 1000);
  check_groups(c, {{"sid", "2000001,2000002"}}, 3600, 10000);
  check_detail(c, 5, 4);
  // Latencies at 1M (first page of 50, as the UI asks).
  std::mt19937_64 r(5);
  auto list = [&](const Params& p) {
    return p95_ms(40, [&](int) {
      AlertListQuery q;
      REQUIRE_FALSE(parse_alert_query(p, &q));
      q.limit = 50;
      AlertListPage page;
      REQUIRE(c.store->list_alerts(q, &page).ok);
    });
  };
  double l0 = list({});
  double l1 = list({{"severity", "1"}});
  double l2 = list({{"src_ip", "10.1.0.0/16"}, {"dest_port", "443"}});
  double l3 = list({{"sid", "2000007"}, {"status", "new"}});
  double l4 = list({{"q", "evil.example"}});
  double det = p95_ms(40, [&](int) {
    std::optional<AlertDetail> d;
    REQUIRE(c.store->alert_detail(static_cast<int64_t>(1 + r() % c.rows.size()), &d).ok);
  });
  double grp = p95_ms(20, [&](int) {
    AlertListQuery q;
    REQUIRE_FALSE(parse_alert_query({{"group", "1"}}, &q));
    q.limit = 50;
    AlertGroupPage gp;
    REQUIRE(c.store->group_alerts(q, &gp).ok);
  });
  WARN("p95 ms at 1M: list " << l0 << ", severity " << l1 << ", cidr+port " << l2 << ", sid+status " << l3
                             << ", q " << l4 << ", detail " << det << ", group " << grp);
  c.store.reset();
  std::filesystem::remove_all(c.dir);
  WARN("1M alert query checks took "
       << std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() << " s");
}
