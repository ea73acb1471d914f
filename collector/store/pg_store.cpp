// PostgreSQL implementation of the collector Store (pg_store.h).
//
// Every call checks a connection out of the pool for its duration; writes run
// in one transaction each (pg::with_tx: retried on serialization failures and
// deadlocks). The read side, triage and suppressions are pg_read.cpp's; this
// file has the credentials, agents, ingest, heartbeats, audit, rule sets and
// retention.

#include "collector/store/pg_store.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "collector/rule_disable.h"
#include "collector/store/alert_fts.h"
#include "collector/store/alert_rollups.h"
#include "collector/store/pg_db.h"
#include "collector/store/pg_read.h"
#include "collector/store/pg_schema.h"
#include "common/digest.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

constexpr int64_t kLastUsedResolution = 60;  // as the SQLite store: api_key_role writes at most once a minute
constexpr int64_t kPruneChunk = 5000;        // heartbeat rows per delete transaction
constexpr int64_t kRetentionChunk = 2000;    // alerts or events per delete transaction
// Day partitions are made for event times from 1970 to 9999; others go to
// the DEFAULT partition.
constexpr int64_t kLastPartitionDay = 2932896;
// Serialises rule set versions (their numbers are MAX(seq)+1) across processes.
constexpr const char* kRulesetLock = "SELECT pg_advisory_xact_lock(3285834633550)";

std::optional<std::string> get_str(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return std::nullopt;
  return it->get<std::string>();
}

json opt_json(const std::optional<int64_t>& v) {
  return v ? json(*v) : json(nullptr);
}
json opt_json(const std::optional<std::string>& v) {
  return v ? json(*v) : json(nullptr);
}

json ip16_hex(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  auto a = ip16(*text);
  if (!a) return nullptr;
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t b : *a) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// The record of json_to_recordset() the alert and event inserts read.
// Each stored alert also gets its row in alert_rollup_pending (pg_read.h), in
// the same statement.
constexpr const char* kAlertInsert =
    "WITH ins AS (INSERT INTO "
    "alerts(agent_id,event_uid,ts,sid,gid,rev,signature,category,severity,src_ip,src_port,dest_ip,"
    "dest_port,proto,app_proto,flow_id,received_at,json,src_ip16,dest_ip16,app_text) "
    "SELECT "
    "$1,x.u,x.ts,x.sid,x.gid,x.rev,x.sig,x.cat,x.sev,x.sip,x.sp,x.dip,x.dp,x.proto,x.app,x.flow,$2,x.j,"
    "decode(x.s16,'hex'),decode(x.d16,'hex'),x.at "
    "FROM json_to_recordset($3::json) AS x(u text, ts bigint, sid bigint, gid bigint, rev "
    "bigint,"
    " sig text, cat text, sev bigint, sip text, sp bigint, dip text, dp bigint, proto text, app text, flow "
    "bigint,"
    " j text, s16 text, d16 text, at text, n bigint) ORDER BY x.n "
    "RETURNING ts, agent_id, severity, sid, src_ip, dest_ip) "
    "INSERT INTO alert_rollup_pending(ts, agent_id, severity, sid, src_ip, dest_ip, n) "
    "SELECT ts, agent_id, severity, sid, src_ip, dest_ip, 1 FROM ins";
constexpr const char* kEventInsert =
    "INSERT INTO events(agent_id,event_uid,ts,event_type,received_at,json,flow_id) "
    "SELECT $1,x.u,x.ts,x.t,$2,x.j,x.flow FROM json_to_recordset($3::json) AS "
    "x(u text, ts bigint, t text, j text, flow bigint, n bigint) ORDER BY x.n "
    "ON CONFLICT (agent_id, event_uid) DO NOTHING RETURNING event_uid";

// The pending rollup rows are folded into the rollups this often, at most
// kFoldChunk rows per transaction.
constexpr auto kFoldInterval = std::chrono::seconds(1);
constexpr int64_t kFoldChunk = 20000;

class PgStore final : public Store {
 public:
  ~PgStore() override {
    {
      std::lock_guard lk(fold_mu_);
      fold_stop_ = true;
    }
    fold_cv_.notify_all();
    if (folder_.joinable()) {
      folder_.join();
      fold_pending();  // what is left, so a clean stop leaves none
    }
  }

  bool open(const std::string& url, int pool_size, std::string* error) {
    pool_ = pg::Pool::open(url, pool_size, error);
    if (!pool_) return false;
    {
      auto c = pool_->acquire();
      if (StoreStatus st = pg_schema::migrate(*c); !st.ok) {
        *error = "cannot initialise the PostgreSQL store: " + st.message;
        return false;
      }
    }
    folder_ = std::thread([this] { fold_loop(); });
    return true;
  }

  // ---- tokens ----

  StoreStatus create_token(const std::string& hash, int64_t now, int64_t expires_at, int uses) override {
    auto c = pool_->acquire();
    auto r = c->exec("INSERT INTO tokens(hash,created_at,expires_at,uses_left) VALUES($1,$2,$3,$4)",
                     {pg::arg(hash), pg::arg(now), pg::arg(expires_at), pg::arg(uses)});
    return r.ok() ? StoreStatus{} : pg::fail("token", r);
  }

  TokenUse use_token(const std::string& hash, int64_t now) override {
    TokenUse out = TokenUse::kUnknown;
    pg::with_tx(*pool_, "token use", [&](pg::Conn& c) -> StoreStatus {
      out = TokenUse::kUnknown;
      auto r = c.exec("SELECT expires_at, uses_left, revoked FROM tokens WHERE hash=$1 FOR UPDATE",
                      {pg::arg(hash)});
      if (!r.ok()) return pg::fail("token use", r);
      if (r.rows() == 0 || r.int64(0, 2) != 0) return {};
      if (r.int64(0, 0) <= now) {
        out = TokenUse::kExpired;
        return {};
      }
      if (r.int64(0, 1) <= 0) {
        out = TokenUse::kUsedUp;
        return {};
      }
      auto up = c.exec("UPDATE tokens SET uses_left=uses_left-1 WHERE hash=$1", {pg::arg(hash)});
      if (!up.ok()) return pg::fail("token use", up);
      out = TokenUse::kOk;
      return {};
    });
    return out;
  }

  std::vector<TokenRecord> list_tokens() override {
    std::vector<TokenRecord> out;
    auto c = pool_->acquire();
    auto r =
        c->exec("SELECT hash, created_at, expires_at, uses_left, revoked FROM tokens ORDER BY created_at");
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.text(i, 0).substr(0, kCredentialIdLen), r.int64(i, 1), r.int64(i, 2),
                     static_cast<int>(r.int64(i, 3)), r.int64(i, 4) != 0});
    return out;
  }

  bool revoke_token(const std::string& id) override { return revoke_by_id("tokens", id); }

  // ---- agents ----

  StoreStatus add_agent(const std::string& id, const std::string& key_hash, const std::string& hostname,
                        int64_t now, const std::string& address = {}) override {
    auto c = pool_->acquire();
    auto r = c->exec("INSERT INTO agents(id,key_hash,hostname,enrolled_at,address) VALUES($1,$2,$3,$4,$5)",
                     {pg::arg(id), pg::arg(key_hash), pg::arg(hostname), pg::arg(now), pg::arg(address)});
    return r.ok() ? StoreStatus{} : pg::fail("agent", r);
  }

  AgentAuth agent_auth(const std::string& id) override {
    auto c = pool_->acquire();
    auto r = c->exec("SELECT key_hash, revoked FROM agents WHERE id=$1", {pg::arg(id)});
    AgentAuth a;
    if (r.rows() > 0) {
      a.exists = true;
      a.key_hash = r.text(0, 0);
      a.revoked = r.int64(0, 1) != 0;
    }
    return a;
  }

  bool revoke_agent(const std::string& id) override {
    auto c = pool_->acquire();
    auto r = c->exec("UPDATE agents SET revoked=1 WHERE id=$1", {pg::arg(id)});
    return r.ok() && r.affected() > 0;
  }

  std::vector<AgentRecord> list_agents() override {
    std::vector<AgentRecord> out;
    auto c = pool_->acquire();
    auto r = c->exec(
        "SELECT id,hostname,version,ruleset_version,enrolled_at,last_seen,revoked,last_heartbeat,address "
        "FROM agents ORDER BY enrolled_at, id");
    for (int i = 0; i < r.rows(); ++i) {
      AgentRecord a;
      a.id = r.text(i, 0);
      a.hostname = r.text(i, 1);
      a.version = r.text(i, 2);
      a.ruleset_version = r.text(i, 3);
      a.enrolled_at = r.int64(i, 4);
      a.last_seen = r.int64(i, 5);
      a.revoked = r.int64(i, 6) != 0;
      if (!r.null(i, 7)) a.last_heartbeat = json::parse(r.view(i, 7), nullptr, false);
      a.address = r.text(i, 8);
      out.push_back(std::move(a));
    }
    return out;
  }

  // ---- API keys ----

  using Store::api_key_role;
  using Store::create_api_key;

  StoreStatus create_api_key(const std::string& hash, Role role, int64_t now, int64_t expires_at) override {
    auto c = pool_->acquire();
    auto r = c->exec("INSERT INTO api_keys(hash,role,created_at,expires_at) VALUES($1,$2,$3,$4)",
                     {pg::arg(hash), pg::arg(static_cast<int>(role)), pg::arg(now), pg::arg(expires_at)});
    return r.ok() ? StoreStatus{} : pg::fail("api key", r);
  }

  std::optional<Role> api_key_role(const std::string& hash, int64_t now) override {
    auto c = pool_->acquire();
    auto r =
        c->exec("SELECT role, expires_at, revoked, last_used FROM api_keys WHERE hash=$1", {pg::arg(hash)});
    if (r.rows() == 0) return std::nullopt;
    int64_t expires_at = r.int64(0, 1);
    if (r.int64(0, 2) != 0 || (expires_at != 0 && expires_at <= now)) return std::nullopt;
    Role role = static_cast<Role>(r.int64(0, 0));
    if (now - r.int64(0, 3) >= kLastUsedResolution) {
      // Best effort: one write a minute per key; a failure only leaves the stamp older.
      c->exec("UPDATE api_keys SET last_used=$1 WHERE hash=$2 AND last_used<$1",
              {pg::arg(now), pg::arg(hash)});
    }
    return role;
  }

  std::vector<ApiKeyRecord> list_api_keys() override {
    std::vector<ApiKeyRecord> out;
    auto c = pool_->acquire();
    auto r = c->exec(
        "SELECT hash, role, created_at, expires_at, last_used, revoked FROM api_keys ORDER BY created_at, "
        "hash");
    for (int i = 0; i < r.rows(); ++i) {
      ApiKeyRecord k;
      k.id = r.text(i, 0).substr(0, kCredentialIdLen);
      k.role = static_cast<Role>(r.int64(i, 1));
      k.created_at = r.int64(i, 2);
      k.expires_at = r.int64(i, 3);
      k.last_used = r.int64(i, 4);
      k.revoked = r.int64(i, 5) != 0;
      out.push_back(std::move(k));
    }
    return out;
  }

  bool revoke_api_key(const std::string& id) override { return revoke_by_id("api_keys", id); }

  // ---- ingest ----

  StoreStatus ingest_batch(const std::string& agent_id, uint64_t seq, const std::vector<IngestEvent>& events,
                           int64_t now, IngestResult* out) override {
    *out = {};
    std::string digest = batch_digest(events);
    // What each stored event becomes, derived once (outside the transaction,
    // which may run more than once).
    struct Prepared {
      uint32_t index;
      bool alert;
      const IngestEvent* e;
      EveFields derived;
      std::string dumped;
      const EveFields* f;
      const std::string* text;
    };
    std::vector<Prepared> prep;
    prep.reserve(events.size());
    std::set<int64_t> days;
    for (size_t idx = 0; idx < events.size(); ++idx) {
      const IngestEvent& e = events[idx];
      if (e.suppressed) continue;  // in the digest, never stored
      prep.push_back({static_cast<uint32_t>(idx), false, &e, {}, {}, nullptr, nullptr});
      Prepared& p = prep.back();
      if (!e.fields) p.derived = eve_fields_from_json(e.eve);
      if (e.text.empty()) p.dumped = e.eve.dump();
    }
    for (auto& p : prep) {
      p.f = p.e->fields ? &*p.e->fields : &p.derived;
      p.text = p.e->text.empty() ? &p.dumped : &p.e->text;
      p.alert = p.f->event_type == "alert";
      if (p.alert) days.insert(pg_schema::day_of_us(p.f->ts_us.value_or(0)));
    }
    auto c = pool_->acquire();
    ensure_partitions(*c, days);

    // The rows to insert, as JSON for json_to_recordset(): alerts first
    // occurrence of each uid, ordered by uid for the uid rows (two batches
    // sharing uids then lock them in the same order: no deadlock).
    std::vector<std::string> alert_uids;
    for (const auto& p : prep)
      if (p.alert) alert_uids.push_back(p.e->event_uid);
    std::sort(alert_uids.begin(), alert_uids.end());
    alert_uids.erase(std::unique(alert_uids.begin(), alert_uids.end()), alert_uids.end());
    json event_rows = json::array();
    {
      // Events (not alerts) in uid order, first occurrence of each.
      std::vector<const Prepared*> ev;
      for (const auto& p : prep)
        if (!p.alert) ev.push_back(&p);
      std::stable_sort(ev.begin(), ev.end(), [](const Prepared* a, const Prepared* b) {
        return a->e->event_uid < b->e->event_uid;
      });
      for (size_t i = 0; i < ev.size(); ++i) {
        if (i > 0 && ev[i]->e->event_uid == ev[i - 1]->e->event_uid) continue;
        const auto& f = *ev[i]->f;
        event_rows.push_back({{"n", event_rows.size()},
                              {"u", ev[i]->e->event_uid},
                              {"ts", f.ts_us.value_or(0)},
                              {"t", f.event_type},
                              {"j", *ev[i]->text},
                              {"flow", opt_json(f.flow_id)}});
      }
    }
    std::string uid_param = json(alert_uids).dump(-1, ' ', false, json::error_handler_t::replace);
    std::string event_param = event_rows.dump(-1, ' ', false, json::error_handler_t::replace);

    StoreStatus st = pg::with_tx(*c, "ingest", [&](pg::Conn& tx) -> StoreStatus {
      *out = {};
      auto b = tx.exec(
          "INSERT INTO batches(agent_id,batch_seq,received_at,events,digest) VALUES($1,$2,$3,$4,$5) "
          "ON CONFLICT (agent_id, batch_seq) DO NOTHING RETURNING 1",
          {pg::arg(agent_id), pg::arg(seq), pg::arg(now), pg::arg(static_cast<int64_t>(events.size())),
           pg::arg(digest)});
      if (!b.ok()) return pg::fail("batch insert", b);
      if (b.rows() == 0) {
        // Seen before (perhaps by another collector, whose transaction this
        // insert waited for): a resend, or a reused number.
        auto d = tx.exec("SELECT digest FROM batches WHERE agent_id=$1 AND batch_seq=$2",
                         {pg::arg(agent_id), pg::arg(seq)});
        if (!d.ok() || d.rows() == 0) return pg::fail("batch lookup", d);
        if (d.null(0, 0) || d.view(0, 0) == digest) {
          out->duplicate_batch = true;
          return {};
        }
        auto h =
            tx.exec("SELECT COALESCE(MAX(batch_seq),0) FROM batches WHERE agent_id=$1", {pg::arg(agent_id)});
        if (!h.ok()) return pg::fail("highest batch", h);
        out->conflict = true;
        out->highest_seq = static_cast<uint64_t>(h.int64(0, 0));
        return {};
      }
      std::unordered_set<std::string> new_alerts, new_events;
      if (!alert_uids.empty()) {
        auto u = tx.exec(
            "INSERT INTO alert_uids(agent_id, event_uid) SELECT $1, u FROM "
            "json_array_elements_text($2::json) "
            "AS u ON CONFLICT DO NOTHING RETURNING event_uid",
            {pg::arg(agent_id), uid_param});
        if (!u.ok()) return pg::fail("alert uids", u);
        for (int i = 0; i < u.rows(); ++i) new_alerts.insert(u.text(i, 0));
      }
      if (!event_rows.empty()) {
        auto e = tx.exec(kEventInsert, {pg::arg(agent_id), pg::arg(now), event_param});
        if (!e.ok()) return pg::fail("event insert", e);
        for (int i = 0; i < e.rows(); ++i) new_events.insert(e.text(i, 0));
      }
      // Stored: the first occurrence of each new uid, in batch order.
      json alert_rows = json::array();
      for (const auto& p : prep) {
        auto& fresh = p.alert ? new_alerts : new_events;
        auto it = fresh.find(p.e->event_uid);
        if (it == fresh.end()) {
          ++out->duplicate_events;
          if (p.alert) ++out->duplicate_alerts;
          continue;
        }
        fresh.erase(it);
        ++out->stored;
        out->stored_index.push_back(p.index);
        if (!p.alert) continue;
        ++out->stored_alerts;
        const auto& f = *p.f;
        alert_rows.push_back({{"n", alert_rows.size()},
                              {"u", p.e->event_uid},
                              {"ts", f.ts_us.value_or(0)},
                              {"sid", opt_json(f.sid)},
                              {"gid", opt_json(f.gid)},
                              {"rev", opt_json(f.rev)},
                              {"sig", opt_json(f.signature)},
                              {"cat", opt_json(f.category)},
                              {"sev", opt_json(f.severity)},
                              {"sip", opt_json(f.src_ip)},
                              {"sp", opt_json(f.src_port)},
                              {"dip", opt_json(f.dest_ip)},
                              {"dp", opt_json(f.dest_port)},
                              {"proto", opt_json(f.proto)},
                              {"app", opt_json(f.app_proto)},
                              {"flow", opt_json(f.flow_id)},
                              {"j", *p.text},
                              {"s16", ip16_hex(f.src_ip)},
                              {"d16", ip16_hex(f.dest_ip)},
                              {"at", alert_app_text(*p.text, f.app_proto.value_or(""))}});
      }
      if (!alert_rows.empty()) {
        auto a = tx.exec(kAlertInsert, {pg::arg(agent_id), pg::arg(now),
                                        alert_rows.dump(-1, ' ', false, json::error_handler_t::replace)});
        if (!a.ok()) return pg::fail("alert insert", a);
      }
      return {};
    });
    if (!st.ok) *out = {};
    return st;
  }

  uint64_t highest_batch_seq(const std::string& agent_id) override {
    auto c = pool_->acquire();
    auto r = c->exec("SELECT COALESCE(MAX(batch_seq),0) FROM batches WHERE agent_id=$1", {pg::arg(agent_id)});
    return r.rows() > 0 ? static_cast<uint64_t>(r.int64(0, 0)) : 0;
  }

  // ---- heartbeats ----

  StoreStatus record_heartbeat(const std::string& agent_id, const json& hb, int64_t now,
                               const std::string& address = {}) override {
    std::string text = hb.dump(-1, ' ', false, json::error_handler_t::replace);
    auto version = get_str(hb, "agent_version"), ruleset_version = get_str(hb, "ruleset_version");
    return pg::with_tx(*pool_, "heartbeat", [&](pg::Conn& c) -> StoreStatus {
      // The hostname is the one given at enrolment: a heartbeat's "hostname" stays a field of the heartbeat.
      auto up = c.exec(
          "UPDATE agents SET last_seen=$1, last_heartbeat=$2, version=COALESCE($3, version), "
          "ruleset_version=COALESCE($4, ruleset_version), address=COALESCE(NULLIF($5, ''), address) WHERE "
          "id=$6",
          {pg::arg(now), text, version, ruleset_version, pg::arg(address), pg::arg(agent_id)});
      if (!up.ok()) return pg::fail("heartbeat", up);
      auto ins = c.exec("INSERT INTO heartbeats(agent_id, ts, json) VALUES($1,$2,$3)",
                        {pg::arg(agent_id), pg::arg(now), text});
      if (!ins.ok()) return pg::fail("heartbeat", ins);
      return {};
    });
  }

  std::vector<json> heartbeat_history(const std::string& agent_id, int limit) override {
    std::vector<json> out;
    auto c = pool_->acquire();
    auto r = c->exec("SELECT ts, json FROM heartbeats WHERE agent_id=$1 ORDER BY id DESC LIMIT $2",
                     {pg::arg(agent_id), pg::arg(std::max(limit, 0))});
    for (int i = 0; i < r.rows(); ++i) {
      json j = json::parse(r.view(i, 1), nullptr, false);
      j["received_at"] = r.int64(i, 0);
      out.push_back(std::move(j));
    }
    return out;
  }

  StoreStatus prune_heartbeats(int64_t older_than, int keep_per_agent, uint64_t* pruned) override {
    *pruned = 0;
    auto c = pool_->acquire();
    auto agents = c->exec("SELECT id FROM agents");
    if (!agents.ok()) return pg::fail("prune heartbeats", agents);
    for (int a = 0; a < agents.rows(); ++a) {
      std::string agent = agents.text(a, 0);
      // The newest row to delete by count: the (keep+1)-th newest, by (ts, id).
      int64_t cut_ts = older_than, cut_id = -1;  // ts < cut_ts, or (ts, id) <= (cut_ts, cut_id)
      if (keep_per_agent > 0) {
        auto r = c->exec(
            "SELECT ts, id FROM heartbeats WHERE agent_id=$1 ORDER BY ts DESC, id DESC LIMIT 1 OFFSET $2",
            {pg::arg(agent), pg::arg(keep_per_agent)});
        if (r.rows() > 0 && r.int64(0, 0) >= cut_ts) {
          cut_ts = r.int64(0, 0);
          cut_id = r.int64(0, 1);
        }
      }
      for (;;) {
        auto del = c->exec(
            "DELETE FROM heartbeats WHERE id IN (SELECT id FROM heartbeats WHERE agent_id=$1 AND "
            "(ts < $2 OR (ts = $2 AND id <= $3)) LIMIT $4)",
            {pg::arg(agent), pg::arg(cut_ts), pg::arg(cut_id), pg::arg(kPruneChunk)});
        if (!del.ok()) return pg::fail("prune heartbeats", del);
        *pruned += static_cast<uint64_t>(del.affected());
        if (del.affected() < kPruneChunk) break;
      }
    }
    return {};
  }

  // ---- audit ----

  StoreStatus append_audit(const AuditEntry& e) override {
    auto c = pool_->acquire();
    auto r = c->exec("INSERT INTO audit(ts,actor,action,target,peer,detail) VALUES($1,$2,$3,$4,$5,$6)",
                     {pg::arg(e.ts), pg::arg(e.actor), pg::arg(e.action), pg::arg(e.target), pg::arg(e.peer),
                      e.detail.is_null() ? pg::Param() : pg::Param(e.detail.dump())});
    return r.ok() ? StoreStatus{} : pg::fail("audit", r);
  }

  std::vector<AuditEntry> list_audit(const AuditQuery& q) override {
    std::string sql = "SELECT id,ts,actor,action,target,peer,detail FROM audit WHERE true";
    pg::Params params;
    auto add = [&](const char* cond, pg::Param v) {
      params.push_back(std::move(v));
      sql += std::string(" AND ") + cond + "$" + std::to_string(params.size());
    };
    if (q.actor) add("actor=", *q.actor);
    if (q.action) add("action=", *q.action);
    if (q.from) add("ts>=", pg::arg(*q.from));
    if (q.to) add("ts<", pg::arg(*q.to));
    if (q.before_id) add("id<", pg::arg(*q.before_id));
    params.push_back(pg::arg(std::clamp(q.limit, 1, 1000)));
    sql += " ORDER BY id DESC LIMIT $" + std::to_string(params.size());
    std::vector<AuditEntry> out;
    auto c = pool_->acquire();
    auto r = c->exec(sql, params);
    for (int i = 0; i < r.rows(); ++i) {
      AuditEntry e;
      e.id = r.int64(i, 0);
      e.ts = r.int64(i, 1);
      e.actor = r.text(i, 2);
      e.action = r.text(i, 3);
      e.target = r.text(i, 4);
      e.peer = r.text(i, 5);
      if (!r.null(i, 6)) e.detail = json::parse(r.view(i, 6), nullptr, false);
      out.push_back(std::move(e));
    }
    return out;
  }

  // ---- the read side, triage, suppressions: pg_read.cpp ----

  StoreStatus query_alerts(const AlertQuery& q, AlertPage* out) override {
    return pg_read::query_alerts(*pool_, q, out);
  }
  StoreStatus list_alerts(const AlertListQuery& q, AlertListPage* out) override {
    return pg_read::list_alerts(*pool_, q, out);
  }
  StoreStatus group_alerts(const AlertListQuery& q, AlertGroupPage* out) override {
    return pg_read::group_alerts(*pool_, q, out);
  }
  StoreStatus alert_detail(int64_t id, std::optional<AlertDetail>* out) override {
    return pg_read::alert_detail(*pool_, id, out);
  }
  int64_t count_events(const std::string& event_type) override {
    return pg_read::count_events(*pool_, event_type);
  }
  StoreStatus alert_stats(const StatsQuery& q, AlertStats* out) override {
    return pg_read::alert_stats(*pool_, q, out);
  }
  StoreStatus triage_alerts(const std::vector<int64_t>& ids, const TriageChange& change,
                            const std::string& actor, int64_t now, const AuditEntry* audit,
                            uint64_t* matched) override {
    return pg_read::triage_alerts(*pool_, ids, change, actor, now, audit, matched);
  }
  std::optional<AlertTriage> get_triage(int64_t alert_id) override {
    return pg_read::get_triage(*pool_, alert_id);
  }
  StoreStatus add_suppression(Suppression* s, AuditEntry audit) override {
    return pg_read::add_suppression(*pool_, s, std::move(audit));
  }
  std::vector<Suppression> list_suppressions(bool all, int64_t now) override {
    return pg_read::list_suppressions(*pool_, all, now);
  }
  StoreStatus remove_suppression(int64_t id, int64_t now, const AuditEntry& audit, bool* found) override {
    return pg_read::remove_suppression(*pool_, id, now, audit, found);
  }
  StoreStatus add_suppression_hits(const std::vector<std::pair<int64_t, uint64_t>>& hits) override {
    return pg_read::add_suppression_hits(*pool_, hits);
  }

  // ---- retention ----

  // By age: whole day partitions past the horizon are dropped, then what is
  // left older than it (the DEFAULT partition, the day the horizon falls in,
  // events) is deleted in chunks. By count and size: the oldest alerts and
  // events are deleted in chunks, as the SQLite store does; for size, whole
  // day partitions go first (that returns their space to the file system at
  // once), then rows by the estimated bytes per row.
  StoreStatus enforce_retention(const RetentionPolicy& p, int64_t now, RetentionResult* out) override {
    *out = {};
    auto c = pool_->acquire();
    if (p.max_age_s > 0) {
      int64_t horizon_us = (now - p.max_age_s) * 1'000'000;
      std::vector<int64_t> days;
      if (StoreStatus st = pg_schema::list_day_partitions(*c, &days); !st.ok) return st;
      for (int64_t d : days) {
        if ((d + 1) * kUsPerDay > horizon_us) break;
        uint64_t n = 0;
        if (StoreStatus st = drop_partition(*c, d, &n); !st.ok) return st;
        out->alerts += n;
      }
      for (;;) {
        uint64_t n = 0;
        if (StoreStatus st = delete_alerts(*c, horizon_us, kRetentionChunk, &n); !st.ok) return st;
        out->alerts += n;
        if (n < static_cast<uint64_t>(kRetentionChunk)) break;
      }
      for (;;) {
        uint64_t n = 0;
        if (StoreStatus st = delete_events(*c, horizon_us, kRetentionChunk, &n); !st.ok) return st;
        out->events += n;
        if (n < static_cast<uint64_t>(kRetentionChunk)) break;
      }
    }
    if (p.max_alerts > 0) {
      auto r = c->exec("SELECT COUNT(*) FROM alerts");
      if (!r.ok()) return pg::fail("retention", r);
      int64_t count = r.int64(0, 0);
      while (count > p.max_alerts) {
        uint64_t n = 0;
        int64_t chunk = std::min(kRetentionChunk, count - p.max_alerts);
        if (StoreStatus st = delete_alerts(*c, INT64_MAX, chunk, &n); !st.ok) return st;
        if (n == 0) break;
        out->alerts += n;
        count -= static_cast<int64_t>(n);
      }
    }
    if (p.max_bytes > 0) {
      std::vector<int64_t> days;
      if (StoreStatus st = pg_schema::list_day_partitions(*c, &days); !st.ok) return st;
      for (int64_t d : days) {
        int64_t size = bytes_in_use(*c);
        if (size <= p.max_bytes) break;
        uint64_t n = 0;
        if (StoreStatus st = drop_partition(*c, d, &n); !st.ok) return st;
        out->alerts += n;
      }
      int64_t size = bytes_in_use(*c);
      if (size > p.max_bytes) {
        // Rows by estimate: deleted rows leave space PostgreSQL reuses for
        // new rows (autovacuum), not a smaller database, so measuring again
        // after each chunk would delete everything.
        auto r = c->exec(
            "SELECT (SELECT COUNT(*) FROM alerts), (SELECT COUNT(*) FROM events), "
            "COALESCE((SELECT SUM(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_inherits i ON "
            "i.inhrelid=c.oid WHERE i.inhparent='alerts'::regclass), 0) + "
            "pg_total_relation_size('alert_uids'), "
            "pg_total_relation_size('events')");
        if (!r.ok()) return pg::fail("retention", r);
        int64_t na = r.int64(0, 0), ne = r.int64(0, 1), ba = r.int64(0, 2), be = r.int64(0, 3);
        double excess = static_cast<double>(size - p.max_bytes);
        double total = static_cast<double>(ba + be);
        if (total > 0) {
          int64_t del_a = std::min<int64_t>(na, static_cast<int64_t>(na * std::min(1.0, excess / total)) + 1);
          int64_t del_e = std::min<int64_t>(ne, static_cast<int64_t>(ne * std::min(1.0, excess / total)) + 1);
          for (int64_t left = del_a; left > 0;) {
            uint64_t n = 0;
            if (StoreStatus st = delete_alerts(*c, INT64_MAX, std::min(left, kRetentionChunk), &n); !st.ok)
              return st;
            if (n == 0) break;
            out->alerts += n;
            left -= static_cast<int64_t>(n);
          }
          for (int64_t left = del_e; left > 0;) {
            uint64_t n = 0;
            if (StoreStatus st = delete_events(*c, INT64_MAX, std::min(left, kRetentionChunk), &n); !st.ok)
              return st;
            if (n == 0) break;
            out->events += n;
            left -= static_cast<int64_t>(n);
          }
        }
      }
    }
    out->bytes_in_use = bytes_in_use(*c);
    return {};
  }

  // ---- rule sets ----

  StoreStatus put_ruleset(const std::string& text, const json& report, int64_t now, const std::string& author,
                          std::string* version) override {
    json rep = report.is_object() ? report : json::object();
    rep["change"] = json{{"kind", "upload"}};
    return pg::with_tx(*pool_, "ruleset", [&](pg::Conn& c) -> StoreStatus {
      if (auto r = c.exec(kRulesetLock); !r.ok()) return pg::fail("ruleset", r);
      return insert_version(c, text, rep, now, author, version);
    });
  }

  std::vector<RulesetRecord> list_rulesets(int limit) override {
    std::vector<RulesetRecord> out;
    auto c = pool_->acquire();
    auto r = c->exec("SELECT version, report, created_at, author FROM rulesets ORDER BY seq DESC LIMIT $1",
                     {pg::arg(std::max(limit, 0))});
    for (int i = 0; i < r.rows(); ++i) out.push_back(ruleset_row(r, i, false));
    return out;
  }

  std::optional<RulesetRecord> get_ruleset(const std::string& version) override {
    auto c = pool_->acquire();
    auto r = c->exec(std::string("SELECT ") + kRulesetCols + " FROM rulesets WHERE version=$1",
                     {pg::arg(version)});
    if (r.rows() == 0) return std::nullopt;
    return ruleset_row(r, 0, true);
  }

  StoreStatus set_rule_enabled(int64_t sid, bool enabled, const std::string& reason,
                               const std::string& author, int64_t now, AuditEntry audit, RuleToggle* result,
                               std::string* version) override {
    return pg::with_tx(*pool_, "rule toggle", [&](pg::Conn& c) -> StoreStatus {
      version->clear();
      if (auto r = c.exec(kRulesetLock); !r.ok()) return pg::fail("rule toggle", r);
      auto cur = current(c);
      if (!cur) {
        *result = RuleToggle::kNoRuleset;
        return {};
      }
      if (!ruleset_has_sid(cur->base, sid)) {
        *result = RuleToggle::kUnknownSid;
        return {};
      }
      auto ch = enabled ? c.exec("DELETE FROM rule_disabled WHERE sid=$1", {pg::arg(sid)})
                        : c.exec(
                              "INSERT INTO rule_disabled(sid,reason,author,disabled_at) VALUES($1,$2,$3,$4) "
                              "ON CONFLICT (sid) DO NOTHING",
                              {pg::arg(sid), pg::arg(reason), pg::arg(author), pg::arg(now)});
      if (!ch.ok()) return pg::fail("rule_disabled", ch);
      if (ch.affected() == 0) {
        *result = RuleToggle::kUnchanged;
        return {};
      }
      json rep = cur->report.is_object() ? cur->report : json::object();
      json change{{"kind", enabled ? "enable" : "disable"}, {"sid", sid}};
      if (!reason.empty()) change["reason"] = reason;
      rep["change"] = change;
      if (StoreStatus st = insert_version(c, cur->base, rep, now, author, version); !st.ok) return st;
      AuditEntry a = audit;
      a.action = enabled ? "rule.enable" : "rule.disable";
      a.target = "sid:" + std::to_string(sid);
      a.detail = json{{"reason", reason}, {"version", *version}};
      auto ar = c.exec("INSERT INTO audit(ts,actor,action,target,peer,detail) VALUES($1,$2,$3,$4,$5,$6)",
                       {pg::arg(a.ts), pg::arg(a.actor), pg::arg(a.action), pg::arg(a.target),
                        pg::arg(a.peer), a.detail.dump()});
      if (!ar.ok()) return pg::fail("audit", ar);
      *result = RuleToggle::kChanged;
      return {};
    });
  }

  std::vector<DisabledRule> list_disabled_rules() override {
    std::vector<DisabledRule> out;
    auto c = pool_->acquire();
    auto r = c->exec("SELECT sid, reason, author, disabled_at FROM rule_disabled ORDER BY sid");
    for (int i = 0; i < r.rows(); ++i)
      out.push_back({r.int64(i, 0), r.text(i, 1), r.text(i, 2), r.int64(i, 3)});
    return out;
  }

  std::optional<RulesetRecord> current_ruleset() override {
    auto c = pool_->acquire();
    return current(*c);
  }

  std::string current_ruleset_version() override {
    auto c = pool_->acquire();
    auto r = c->exec("SELECT version FROM rulesets ORDER BY seq DESC LIMIT 1");
    return r.rows() > 0 ? r.text(0, 0) : std::string();
  }

 private:
  static constexpr const char* kRulesetCols =
      "version, report, created_at, author, text, COALESCE(base, text)";

  static RulesetRecord ruleset_row(const pg::Result& r, int i, bool texts) {
    RulesetRecord out;
    out.version = r.text(i, 0);
    out.report = json::parse(r.view(i, 1), nullptr, false);
    out.created_at = r.int64(i, 2);
    out.author = r.text(i, 3);
    if (texts) {
      out.text = r.text(i, 4);
      out.base = r.text(i, 5);
    }
    return out;
  }

  static std::optional<RulesetRecord> current(pg::Conn& c) {
    auto r = c.exec(std::string("SELECT ") + kRulesetCols + " FROM rulesets ORDER BY seq DESC LIMIT 1");
    if (r.rows() == 0) return std::nullopt;
    return ruleset_row(r, 0, true);
  }

  // The next version, with the disabled sids applied; inside a transaction
  // holding kRulesetLock.
  static StoreStatus insert_version(pg::Conn& c, const std::string& base, const json& report, int64_t now,
                                    const std::string& author, std::string* version) {
    std::set<int64_t> disabled;
    auto d = c.exec("SELECT sid FROM rule_disabled");
    if (!d.ok()) return pg::fail("ruleset", d);
    for (int i = 0; i < d.rows(); ++i) disabled.insert(d.int64(i, 0));
    std::string text = apply_disabled_sids(base, disabled);
    auto mx = c.exec("SELECT COALESCE(MAX(seq),0)+1 FROM rulesets");
    if (!mx.ok()) return pg::fail("ruleset", mx);
    int64_t seq = mx.int64(0, 0);
    *version = std::to_string(seq) + "-" + sha256_hex(text).substr(0, 12);
    auto ins = c.exec(
        "INSERT INTO rulesets(seq,version,text,report,created_at,author,base) VALUES($1,$2,$3,$4,$5,$6,$7)",
        {pg::arg(seq), pg::arg(*version), text, report.dump(), pg::arg(now), pg::arg(author),
         text == base ? pg::Param() : pg::Param(base)});
    if (!ins.ok()) return pg::fail("ruleset insert", ins);
    return {};
  }

  bool revoke_by_id(const char* table, const std::string& id) {
    if (id.size() != kCredentialIdLen || id.find_first_not_of("0123456789abcdef") != std::string::npos)
      return false;
    auto c = pool_->acquire();
    auto r = c->exec(std::string("UPDATE ") + table + " SET revoked=1 WHERE substr(hash,1,$1)=$2",
                     {pg::arg(static_cast<int64_t>(kCredentialIdLen)), pg::arg(id)});
    return r.ok() && r.affected() > 0;
  }

  // Makes the day partitions a batch's alerts go to, once per process per
  // day (another collector may have made them: that is no error). A day
  // that cannot be made is logged; its alerts go to the DEFAULT partition.
  void ensure_partitions(pg::Conn& c, const std::set<int64_t>& days) {
    for (int64_t d : days) {
      if (d < 0 || d > kLastPartitionDay) continue;
      {
        std::lock_guard lk(part_mu_);
        if (parts_.count(d)) continue;
      }
      StoreStatus st = pg_schema::ensure_day_partition(c, d);
      if (!st.ok) spdlog::warn("store: {} (its alerts go to the default partition)", st.message);
      std::lock_guard lk(part_mu_);
      parts_.insert(d);
    }
  }

  StoreStatus drop_partition(pg::Conn& c, int64_t day, uint64_t* n) {
    StoreStatus st = pg_schema::drop_day_partition(c, day, n);
    std::lock_guard lk(part_mu_);
    parts_.erase(day);
    return st;
  }

  int64_t bytes_in_use(pg::Conn& c) {
    auto r = c.exec("SELECT pg_database_size(current_database())");
    return r.rows() > 0 ? r.int64(0, 0) : 0;
  }

  // Deletes the `limit` oldest alerts (by event time, then id) with ts <
  // before_us, with their triage rows, history, comments and uid rows, and
  // their rows off the rollups (pending, n -1), in one statement.
  StoreStatus delete_alerts(pg::Conn& c, int64_t before_us, int64_t limit, uint64_t* n) {
    *n = 0;
    auto r = c.exec(
        "WITH gone AS (DELETE FROM alerts WHERE (id, ts) IN (SELECT id, ts FROM alerts WHERE ts < $1 "
        "ORDER BY ts, id LIMIT $2) RETURNING id, agent_id, event_uid, ts, severity, sid, src_ip, dest_ip), "
        "t1 AS (DELETE FROM alert_triage WHERE alert_id IN (SELECT id FROM gone)), "
        "t2 AS (DELETE FROM alert_triage_history WHERE alert_id IN (SELECT id FROM gone)), "
        "t3 AS (DELETE FROM alert_comments WHERE alert_id IN (SELECT id FROM gone)), "
        "t4 AS (DELETE FROM alert_uids u USING gone g WHERE u.agent_id = g.agent_id AND u.event_uid = "
        "g.event_uid), "
        "t5 AS (INSERT INTO alert_rollup_pending(ts, agent_id, severity, sid, src_ip, dest_ip, n) "
        "SELECT ts, agent_id, severity, sid, src_ip, dest_ip, -1 FROM gone) "
        "SELECT COUNT(*) FROM gone",
        {pg::arg(before_us), pg::arg(limit)});
    if (!r.ok()) return pg::fail("retention", r);
    *n = static_cast<uint64_t>(r.int64(0, 0));
    return {};
  }

  StoreStatus delete_events(pg::Conn& c, int64_t before_us, int64_t limit, uint64_t* n) {
    *n = 0;
    auto r =
        c.exec("DELETE FROM events WHERE id IN (SELECT id FROM events WHERE ts < $1 ORDER BY id LIMIT $2)",
               {pg::arg(before_us), pg::arg(limit)});
    if (!r.ok()) return pg::fail("retention events", r);
    *n = static_cast<uint64_t>(r.affected());
    return {};
  }

  // ---- rollups: every collector folds the pending rows (one at a time) ----

  void fold_loop() {
    std::unique_lock lk(fold_mu_);
    while (!fold_stop_) {
      lk.unlock();
      fold_pending();
      lk.lock();
      fold_cv_.wait_for(lk, kFoldInterval, [this] { return fold_stop_; });
    }
  }

  void fold_pending() {
    for (;;) {
      int64_t n = 0;
      StoreStatus st;
      {
        auto c = pool_->acquire();
        st = pg_read::fold_rollups(*c, kFoldChunk, &n);
      }
      if (!st.ok) {
        // Once per outage: the pending rows wait and the aggregations still count them.
        if (!fold_failing_.exchange(true)) spdlog::warn("store: {} (retrying every second)", st.message);
        return;
      }
      if (fold_failing_.exchange(false)) spdlog::info("store: rollup fold works again");
      if (n < kFoldChunk) return;
      std::lock_guard lk(fold_mu_);
      if (fold_stop_) return;
    }
  }

  std::unique_ptr<pg::Pool> pool_;
  std::mutex fold_mu_;
  std::condition_variable fold_cv_;
  bool fold_stop_ = false;
  std::atomic<bool> fold_failing_{false};
  std::thread folder_;
  std::mutex part_mu_;
  std::set<int64_t> parts_;  // days whose partition this process made or found
};

}  // namespace

std::unique_ptr<Store> open_pg_store(const std::string& url, std::string* error, int pool_size) {
  auto s = std::make_unique<PgStore>();
  if (!s->open(url, pool_size, error)) return nullptr;
  return s;
}

}  // namespace vigil::collector
