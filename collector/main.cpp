// vigil-collector: the HTTPS server (serve) and its admin CLI (tokens, agents,
// API keys, users, rule sets). The CLI works on the same data directory as a running
// server (SQLite WAL lets both use the database at once).
//
// Started as root, nothing it writes becomes root's in a data directory that
// is someone else's: `serve --user U` drops to U once it listens, and the
// admin commands act as the data directory's owner (common/privileges.h).
#include <signal.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "collector/auth/user_cli.h"
#include "collector/config.h"
#include "collector/forward/forwarder.h"
#include "collector/retention.h"
#include "collector/server.h"
#include "collector/sources/rule_sources.h"
#include "collector/store/pg_account_store.h"
#include "collector/store/pg_store.h"
#include "collector/store/sqlite_recover.h"
#include "common/file_io.h"
#include "common/private_files.h"
#include "common/privileges.h"
#include "common/time.h"

namespace {

using namespace vigil::collector;
using vigil::unix_now_s;
namespace fs = std::filesystem;

std::string fmt_time(int64_t t) {
  if (t <= 0) return "-";
  char buf[32];
  std::tm tm{};
  time_t tt = static_cast<time_t>(t);
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string store_path(const CollectorConfig& cfg) {
  return cfg.store_path.empty() ? cfg.data_dir + "/collector.db" : cfg.store_path;
}

bool postgresql_store(const CollectorConfig& cfg) {
  return cfg.store_type == "postgresql";
}

// `serving`: the server's store, which keeps the stats cache when configured
// (the CLI's commands do not count alerts).
std::unique_ptr<Store> open_store(const CollectorConfig& cfg, bool serving = false) {
  std::error_code ec;
  fs::create_directories(cfg.data_dir, ec);
  chmod(cfg.data_dir.c_str(), 0700);
  if (postgresql_store(cfg)) {
    std::string err;
    if (cfg.store_url.empty()) {
      std::cerr << "vigil-collector: store.type is postgresql but store.url is empty (collector.yaml: "
                   "store: {type: postgresql, url: \"postgresql://USER@/DB?host=/run/postgresql\"})\n";
      return nullptr;
    }
    auto store = open_pg_store(cfg.store_url, &err);
    if (!store) std::cerr << "vigil-collector: store.url: " << err << "\n";
    return store;
  }
  // Credentials' hashes, users and every stored event: 0600 from the first byte.
  std::string err = vigil::private_sqlite_files(store_path(cfg));
  if (!err.empty()) {
    std::cerr << "vigil-collector: " << err << "\n";
    return nullptr;
  }
  SqliteStoreOptions opts;
  opts.stats_cache = serving && cfg.store_stats_cache;
  auto store = open_sqlite_store(store_path(cfg), &err, opts);
  if (!store) std::cerr << "vigil-collector: " << err << "\n";
  return store;
}

int cmd_recover(const CollectorConfig& cfg) {
  if (postgresql_store(cfg)) {
    std::cerr << "vigil-collector: recover is for the embedded store (collector.db); a PostgreSQL store is "
                 "recovered with PostgreSQL's own tools (its backups, pg_dump)\n";
    return 2;
  }
  RecoverReport report;
  std::string err;
  if (!recover_sqlite_store(store_path(cfg), &report, &err)) {
    std::cerr << "vigil-collector: recover: " << err << "\n";
    return 1;
  }
  for (const auto& t : report.tables)
    std::printf("%-22s %10lld rows%s\n", t.name.c_str(), static_cast<long long>(t.copied),
                t.damaged_regions
                    ? (" (" + std::to_string(t.damaged_regions) + " damaged regions skipped)").c_str()
                    : "");
  std::cout << "recovered into " << store_path(cfg) << "; the damaged file is kept as " << report.kept_as
            << " (delete it when no longer needed)\n";
  return 0;
}

// The user accounts, in the same database (opened after open_store()).
std::unique_ptr<AccountStore> open_accounts(const CollectorConfig& cfg) {
  std::string err;
  auto accounts = postgresql_store(cfg) ? open_pg_account_store(cfg.store_url, &err)
                                        : AccountStore::open(store_path(cfg), &err);
  if (!accounts) std::cerr << "vigil-collector: " << err << "\n";
  return accounts;
}

// Refreshes the rule set from the configured sources on their schedule (the
// shortest interval of them), starting at once; off every request path.
void start_source_scheduler(Store& store, const CollectorConfig& cfg, const RulePolicy& policy) {
  if (cfg.rule_sources.empty()) return;
  int interval = cfg.rule_sources.front().interval_s;
  for (const auto& s : cfg.rule_sources) interval = std::min(interval, s.interval_s);
  std::thread([&store, &cfg, policy, interval] {
    for (;;) {
      UpdateResult r = update_from_sources(store, ruleset_validator(cfg.data_dir), cfg.rule_sources, policy);
      if (r.ok) {
        spdlog::info("rule sources: published {} from {} files", r.version, r.files);
      } else {
        spdlog::error("rule sources: {}", r.error);
      }
      std::this_thread::sleep_for(std::chrono::seconds(std::max(60, interval)));
    }
  }).detach();
}

// Prunes the heartbeat history past heartbeat_retention (and beyond
// heartbeat_keep_per_agent per agent) at start and every 10 minutes, on its
// own thread (the store deletes in small transactions, so ingest and the API
// go on); the count pruned is logged. Stopped before the store is closed.
class HeartbeatPruner {
 public:
  HeartbeatPruner(Store& store, const CollectorConfig& cfg)
      : th_([this, &store, retention = cfg.heartbeat_retention_s, keep = cfg.heartbeat_keep_per_agent] {
          std::unique_lock lk(mu_);
          while (!stop_) {
            lk.unlock();
            uint64_t n = 0;
            auto st = store.prune_heartbeats(unix_now_s() - retention, keep, &n);
            total_ += n;
            if (!st.ok) spdlog::error("heartbeat pruning: {}", st.message);
            if (n) spdlog::info("heartbeat pruning: {} pruned ({} since start)", n, total_);
            lk.lock();
            cv_.wait_for(lk, std::chrono::minutes(10), [this] { return stop_; });
          }
        }) {}
  ~HeartbeatPruner() {
    {
      std::lock_guard lk(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    th_.join();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  uint64_t total_ = 0;
  std::thread th_;  // last: starts once the members above exist
};

// Who `serve` runs as once it listens, when started as root: --user, else
// the owner of an existing data directory that is not root's (so a root
// start of a service's directory leaves nothing root-owned in it). False
// (with the reason printed) when --user names nobody.
bool serve_run_as(const CollectorConfig& cfg, const std::string& user, std::optional<vigil::RunAs>* out) {
  if (geteuid() != 0) {
    if (!user.empty())
      spdlog::warn("--user {}: not started as root, so there is nothing to drop; running as uid {}", user,
                   geteuid());
    return true;
  }
  vigil::RunAs u;
  std::string err;
  if (!user.empty()) {
    if (!vigil::lookup_run_as(user, &u, &err)) {
      std::cerr << "vigil-collector: " << err << "\n";
      return false;
    }
    *out = u;
  } else if (vigil::owner_run_as(cfg.data_dir, &u)) {
    *out = u;
  }
  return true;
}

// Hands the data directory (and a store outside it) to u, then drops to u.
// Runs after the listening socket is bound, before any request is served.
bool drop_after_listen(const CollectorConfig& cfg, const vigil::RunAs& u) {
  std::string err;
  bool ok = vigil::hand_over_tree(cfg.data_dir, u, &err);
  if (ok && !cfg.store_path.empty() && !postgresql_store(cfg)) {
    std::error_code ec;
    for (const char* ext : {"", "-wal", "-shm"}) {
      std::string p = cfg.store_path + ext;
      if (ok && fs::exists(fs::symlink_status(p, ec))) ok = vigil::hand_over_tree(p, u, &err);
    }
  }
  if (ok) ok = vigil::drop_to(u, &err);
  if (!ok) {
    std::cerr << "vigil-collector: " << err << "\n";
    return false;
  }
  spdlog::info("running as {} (uid {}, gid {}); {} is theirs", u.name, u.uid, u.gid, cfg.data_dir);
  return true;
}

// The admin commands, started as root on a data directory that belongs to
// someone else (the service's user), act as that owner: the database files
// they create (-wal, -shm, or the database itself) stay the service's.
bool act_as_data_owner(const CollectorConfig& cfg) {
  vigil::RunAs u;
  if (geteuid() != 0 || !vigil::owner_run_as(cfg.data_dir, &u)) return true;
  std::string err;
  if (!vigil::drop_to(u, &err)) {
    std::cerr << "vigil-collector: started as root on " << cfg.data_dir << ", which is " << u.name
              << "'s, and could not act as them: " << err << "\n";
    return false;
  }
  std::cerr << "vigil-collector: started as root: acting as " << u.name << ", the owner of " << cfg.data_dir
            << "\n";
  return true;
}

int cmd_serve(const CollectorConfig& cfg, const RulePolicy& policy, const std::string& user) {
  std::optional<vigil::RunAs> run_as;
  if (!serve_run_as(cfg, user, &run_as)) return 2;
  auto store = open_store(cfg, true);
  if (!store) return 1;
  auto accounts = open_accounts(cfg);
  if (!accounts) return 1;
  ServerOptions o;
  o.accounts = accounts.get();
  o.session = {cfg.session_idle_s, cfg.session_absolute_s};
  o.login.free_failures = cfg.login_delay_after;
  o.login.max_delay_s = cfg.login_max_delay_s;
  o.login.lockout_after = cfg.login_lockout_after;
  o.login.lockout_s = cfg.login_lockout_s;
  o.bulk_triage_max = static_cast<size_t>(cfg.bulk_triage_max);
  o.web_dir = cfg.web_dir;
  if (!split_host_port(cfg.listen, &o.host, &o.port)) {
    std::cerr << "vigil-collector: bad listen address '" << cfg.listen << "' (want ADDR:PORT)\n";
    return 2;
  }
  std::string err;
  TlsMaterial tls;
  if (!cfg.tls_cert.empty()) {
    o.cert_path = cfg.tls_cert;
    o.key_path = cfg.tls_key;
  } else {
    char hn[256] = {0};
    gethostname(hn, sizeof hn - 1);
    std::vector<std::string> hosts;
    if (o.host != "0.0.0.0" && o.host != "::") hosts.push_back(o.host);
    for (const char* h : {"127.0.0.1", "::1", "localhost"}) hosts.emplace_back(h);
    if (hn[0]) hosts.emplace_back(hn);
    if (!ensure_tls_material(cfg.data_dir, hosts, &tls, &err)) {
      std::cerr << "vigil-collector: " << err << "\n";
      return 1;
    }
    o.cert_path = tls.server_cert_path;
    o.key_path = tls.server_key_path;
  }
  o.heartbeat_interval_s = cfg.heartbeat_interval_s;
  o.offline_after_s = cfg.offline_after_s;
  o.ruleset_allow_errors = cfg.ruleset_allow_errors;
  o.threads = cfg.server_threads;
  o.limits = cfg.server;
  o.metrics_api_key_required = cfg.metrics_api_key_required;
  // Forwarding (collector/forward/): its threads run while the server does.
  auto forwarder = forward::Forwarder::create(cfg.forward, cfg.data_dir, &err);
  if (!forwarder) {
    std::cerr << "vigil-collector: " << err << "\n";
    return 1;
  }
  if (!forwarder->empty()) o.forward = forwarder.get();

  // Signals are taken by a dedicated thread so stop() runs outside a handler.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);

  CollectorServer server(*store, o, ruleset_validator(cfg.data_dir));
  if (!server.start(&err)) {
    std::cerr << "vigil-collector: " << err << "\n";
    return 1;
  }
  if (run_as && !drop_after_listen(cfg, *run_as)) {
    server.stop();
    return 1;
  }
  std::thread sig([&] {
    int s = 0;
    sigwait(&set, &s);
    spdlog::info("signal {}: stopping", s);
    server.stop();
  });
  sig.detach();
  std::string ca = cfg.tls_cert.empty() ? tls.ca_cert_path : cfg.tls_cert;
  std::printf("vigil-collector: listening on https://%s:%d\n", o.host.c_str(), server.port());
  std::printf("vigil-collector: data directory %s\n", cfg.data_dir.c_str());
  std::printf("vigil-collector: agents trust %s (server certificate sha256 %s)\n", ca.c_str(),
              cert_fingerprint_sha256(o.cert_path).c_str());
  if (postgresql_store(cfg))
    std::printf(
        "vigil-collector: store: PostgreSQL (store.url); next: vigil-collector token create -c "
        "collector.yaml, then on the agent host:\n");
  else
    std::printf(
        "vigil-collector: next: vigil-collector token create --data-dir %s, then on the agent host:\n",
        cfg.data_dir.c_str());
  std::printf(
      "  vigil-agent enroll --collector https://HOST:%d --token TOKEN --ca-file ca.pem --state-dir DIR\n",
      server.port());
  std::fflush(stdout);
  start_source_scheduler(*store, cfg, policy);
  HeartbeatPruner pruner(*store, cfg);
  RetentionRunner retention(*store, cfg.retention, cfg.retention_interval_s);
  server.set_retention(&retention);
  forwarder->start();
  server.run();
  forwarder->stop();              // after the last ingest: what is left goes to the dead-letter files
  server.set_retention(nullptr);  // after the last ingest: what is left goes to the dead-letter files
  return 0;
}

// --check-config: the configuration (already loaded by main), the rule
// policy, the TLS files and the data directory, checked as `serve` would use
// them, without listening or creating anything. What was checked goes to
// standard output, every problem to standard error. 0 or 2.
int check_config(const std::string& config_file, const CollectorConfig& cfg) {
  int problems = 0;
  auto problem = [&](const std::string& line) {
    std::cerr << line << "\n";
    ++problems;
  };
  std::cout << "configuration: " << (config_file.empty() ? "built-in defaults (no -c)" : config_file)
            << ": ok\n";
  if (!config_file.empty()) {
    RulePolicy policy;
    std::string err;
    if (!load_rule_policy(config_file, &policy, &err)) problem(err);
  }
  std::cout << "listen: " << cfg.listen << " (not opened)\n";
  if (!cfg.tls_cert.empty()) {
    std::string err = check_tls_pair(cfg.tls_cert, cfg.tls_key);
    if (!err.empty()) {
      problem("tls: " + err);
    } else {
      std::cout << "tls: " << cfg.tls_cert << " with its key " << cfg.tls_key << "\n";
    }
  }
  std::error_code ec;
  if (fs::is_directory(cfg.data_dir, ec)) {
    if (access(cfg.data_dir.c_str(), R_OK | W_OK | X_OK) != 0) {
      problem("data_dir " + cfg.data_dir + ": not writable by uid " + std::to_string(geteuid()) +
              ": run the collector as the directory's owner or chown it to that user");
    } else {
      std::cout << "data_dir: " << cfg.data_dir << "\n";
    }
    if (cfg.tls_cert.empty() && fs::exists(fs::path(cfg.data_dir) / "server.pem", ec)) {
      std::string err = check_tls_pair(cfg.data_dir + "/server.pem", cfg.data_dir + "/server.key");
      if (!err.empty())
        problem("tls (generated): " + err + " (remove server.pem and server.key to regenerate)");
    }
  } else if (fs::exists(cfg.data_dir, ec)) {
    problem("data_dir " + cfg.data_dir + ": exists and is not a directory");
  } else {
    std::cout << "data_dir: " << cfg.data_dir << " (created 0700 on first start)\n";
  }
  if (!cfg.web_dir.empty() && !fs::is_regular_file(fs::path(cfg.web_dir) / "index.html", ec)) {
    problem("web.dir " + cfg.web_dir +
            ": no index.html in it (leave web.dir empty to serve the built-in UI)");
  }
  for (const auto& src : cfg.rule_sources) std::cout << "rule source: " << src.name << " " << src.url << "\n";
  if (problems) {
    std::cerr << "vigil-collector: " << problems << " problem(s) (above); serve would fail\n";
    return 2;
  }
  std::cout << "vigil-collector: configuration OK\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // SQLite's memory statistics take a process-wide mutex on every
  // allocation; nothing here reads them, and with the ingest writer and the
  // free-text index thread both in SQLite they cost a quarter of the ingest
  // rate (bench/RESULTS.md). Set before SQLite's first use.
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
  // Nothing the collector creates is readable by others (explicit 0600 for the database and keys).
  vigil::set_program_umask();
  CLI::App app{"Vigil collector: receives agents' events, stores them, serves the API"};
  app.require_subcommand(0, 1);
  CollectorConfig cfg;
  std::string config_file, data_dir, listen;
  bool check = false;
  app.add_flag("--check-config", check,
               "Check the configuration (-c), the TLS files and the data directory as serve would, report "
               "every problem as FILE:LINE: reason and exit (0: all good, 2: problems); listens on nothing");
  app.add_option("-c,--config", config_file, "collector.yaml (with --check-config)");
  app.add_option("--data-dir", data_dir, "data directory (with --check-config)");
  auto add_common = [&](CLI::App* c) {
    c->add_option("-c,--config", config_file, "collector.yaml");
    c->add_option("--data-dir", data_dir, "data directory (database, certificates)");
  };

  auto* serve = app.add_subcommand("serve", "run the HTTPS server");
  add_common(serve);
  serve->add_option("--listen", listen, "ADDR:PORT for agents, API and UI");
  std::string run_user;
  serve->add_option("--user", run_user,
                    "Started as root: once listening (a port below 1024 works), hand the data directory to "
                    "this user and run as them (default: the data directory's owner, when not root)");

  auto* token = app.add_subcommand("token", "enrolment tokens");
  token->require_subcommand(1);
  auto* token_create = token->add_subcommand("create", "create a token (printed as the last line)");
  std::string ttl = "24h";
  int uses = 1;
  add_common(token_create);
  token_create->add_option("--ttl", ttl, "lifetime: 90s, 15m, 24h, 7d");
  token_create->add_option("--uses", uses, "how many agents may enrol with it");
  auto* token_list = token->add_subcommand("list", "list tokens");
  add_common(token_list);
  auto* token_revoke =
      token->add_subcommand("revoke", "refuse a token (by the id `token list` shows) from now on");
  std::string credential_id;
  add_common(token_revoke);
  token_revoke->add_option("ID", credential_id)->required();

  auto* agent = app.add_subcommand("agent", "enrolled agents");
  agent->require_subcommand(1);
  auto* agent_list = agent->add_subcommand("list", "list agents and their status");
  add_common(agent_list);
  auto* agent_revoke = agent->add_subcommand("revoke", "refuse an agent from now on");
  std::string agent_id;
  add_common(agent_revoke);
  agent_revoke->add_option("ID", agent_id)->required();

  auto* apikey = app.add_subcommand("apikey", "API keys for scripts");
  apikey->require_subcommand(1);
  auto* apikey_create = apikey->add_subcommand("create", "create a key (printed as the last line)");
  std::string role = "viewer", key_ttl;
  add_common(apikey_create);
  apikey_create->add_option("--role", role, "admin, analyst or viewer")
      ->check(CLI::IsMember({"admin", "analyst", "viewer"}));
  apikey_create->add_option("--ttl", key_ttl, "expire after 90s, 15m, 24h, 30d (default: never)");
  auto* apikey_list =
      apikey->add_subcommand("list", "list keys: id, role, created, expires, last used, revoked");
  add_common(apikey_list);
  auto* apikey_revoke =
      apikey->add_subcommand("revoke", "refuse a key (by the id `apikey list` shows) from now on");
  add_common(apikey_revoke);
  apikey_revoke->add_option("ID", credential_id)->required();

  auto* user = app.add_subcommand("user", "people: accounts with a role (password on standard input)");
  user->require_subcommand(1);
  UserCommand ucmd;
  auto* user_add = user->add_subcommand("add", "add a user; the password is read from standard input");
  auto* user_set_role = user->add_subcommand("set-role", "change a user's role (from their next request)");
  for (auto* c : {user_add, user_set_role}) {
    add_common(c);
    c->add_option("NAME", ucmd.name)->required();
    c->add_option("--role", ucmd.role, "admin, analyst or viewer")
        ->required()
        ->check(CLI::IsMember({"admin", "analyst", "viewer"}));
  }
  auto* user_list = user->add_subcommand("list", "list users: name, role, state, created");
  add_common(user_list);
  for (const char* verb : {"disable", "enable", "passwd"}) {
    auto* c = user->add_subcommand(
        verb, std::string(verb) == "disable"  ? "refuse a user and end their sessions"
              : std::string(verb) == "enable" ? "let a disabled user log in again"
                                              : "set a user's password (standard input)");
    add_common(c);
    c->add_option("NAME", ucmd.name)->required();
  }

  auto* ruleset = app.add_subcommand("ruleset", "the rule set distributed to agents");
  ruleset->require_subcommand(1);
  auto* rs_upload = ruleset->add_subcommand("upload", "validate and publish a rules file");
  std::string rules_file;
  bool allow_errors = false;
  add_common(rs_upload);
  rs_upload->add_option("FILE", rules_file)->required()->check(CLI::ExistingFile);
  rs_upload->add_flag("--allow-errors", allow_errors, "publish even if some rules fail (they are reported)");

  auto* rs_update =
      ruleset->add_subcommand("update", "fetch the configured rule sources, apply the policy, publish");
  add_common(rs_update);

  auto* recover = app.add_subcommand(
      "recover",
      "the embedded store is damaged: copy what SQLite can still read into a new collector.db (the "
      "collector stopped first; the damaged file is kept beside it, the rollups and the search index are "
      "rebuilt)");
  add_common(recover);

  auto* config_cmd = app.add_subcommand("config", "the configuration (collector.yaml)");
  config_cmd->require_subcommand(1);
  auto* config_dump =
      config_cmd->add_subcommand("dump", "print every key with its help and value (-c applied)");
  config_dump->add_option("-c,--config", config_file, "collector.yaml");
  auto* config_docs = config_cmd->add_subcommand("docs", "print the configuration reference (Markdown)");

  CLI11_PARSE(app, argc, argv);
  if (!check && app.get_subcommands().empty()) {
    std::cerr
        << "vigil-collector: give a command (serve, token, agent, apikey, user, ruleset, recover, config) or "
           "--check-config; see --help\n";
    return 2;
  }

  if (config_docs->parsed()) {
    std::cout << collector_config_docs();
    return 0;
  }
  {
    std::string err;
    std::vector<std::string> warnings;
    bool ok = load_collector_config(config_file, &cfg, &err, &warnings);
    for (const auto& w : warnings) std::cerr << "vigil-collector: warning: " << w << "\n";
    if (!ok && check) {
      std::cerr << err
                << "\nvigil-collector: the configuration has errors (above, as FILE:LINE: key: reason)\n";
      return 2;
    }
    if (!ok) {
      std::cerr << err << "\nvigil-collector: not started: the configuration has errors\n";
      return 2;
    }
  }
  if (config_dump->parsed()) {
    std::cout << dump_collector_config(cfg);
    return 0;
  }
  if (!data_dir.empty()) cfg.data_dir = data_dir;
  if (!listen.empty()) cfg.listen = listen;
  if (check) return check_config(config_file, cfg);
  RulePolicy policy;
  if (!config_file.empty()) {
    std::string err;
    if (!load_rule_policy(config_file, &policy, &err)) {
      std::cerr << "vigil-collector: " << err << "\n";
      return 2;
    }
  }

  if (serve->parsed()) return cmd_serve(cfg, policy, run_user);

  if (!act_as_data_owner(cfg)) return 1;
  if (recover->parsed()) return cmd_recover(cfg);
  auto store = open_store(cfg);
  if (!store) return 1;
  if (user->parsed()) {
    auto accounts = open_accounts(cfg);
    if (!accounts) return 1;
    for (auto* c : user->get_subcommands()) ucmd.verb = c->get_name();
    return run_user_command(ucmd, *store, *accounts, std::cin, std::cout, std::cerr);
  }
  if (token_create->parsed()) {
    int64_t secs = parse_duration(ttl);
    if (secs <= 0 || uses <= 0) {
      std::cerr << "vigil-collector: --ttl must be like 24h and --uses positive\n";
      return 2;
    }
    std::string tok = "vt_" + random_hex(20), hash = sha256_hex(tok);
    int64_t now = unix_now_s();
    auto st = store->create_token(hash, now, now + secs, uses);
    if (!st.ok) {
      std::cerr << "vigil-collector: " << st.message << "\n";
      return 1;
    }
    audit_cli(*store, "enrollment_token.create", "token:" + hash.substr(0, kCredentialIdLen),
              {{"ttl_s", secs}, {"uses", uses}, {"expires_at", now + secs}}, std::cerr);
    std::cout << "token " << hash.substr(0, kCredentialIdLen) << " expires " << fmt_time(now + secs) << ", "
              << uses << " use(s); shown only once:\n"
              << tok << "\n";
    return 0;
  }
  if (token_list->parsed()) {
    int64_t now = unix_now_s();
    for (const auto& t : store->list_tokens()) {
      std::cout << t.id << "  expires " << fmt_time(t.expires_at) << "  uses left " << t.uses_left
                << (t.revoked             ? "  (revoked)"
                    : t.expires_at <= now ? "  (expired)"
                                          : "")
                << "\n";
    }
    return 0;
  }
  if (token_revoke->parsed()) {
    if (!store->revoke_token(credential_id)) {
      std::cerr << "vigil-collector: no token " << credential_id << " (see token list)\n";
      return 1;
    }
    audit_cli(*store, "enrollment_token.revoke", "token:" + credential_id, nullptr, std::cerr);
    std::cout << "token " << credential_id << " revoked\n";
    return 0;
  }
  if (apikey_list->parsed()) {
    int64_t now = unix_now_s();
    std::cout << "id            role     created               expires               last used             "
                 "state\n";
    for (const auto& k : store->list_api_keys()) {
      std::string state = k.revoked                                  ? "revoked"
                          : k.expires_at != 0 && k.expires_at <= now ? "expired"
                                                                     : "active";
      std::printf("%-13s %-8s %-21s %-21s %-21s %s\n", k.id.c_str(), role_name(k.role),
                  fmt_time(k.created_at).c_str(), k.expires_at ? fmt_time(k.expires_at).c_str() : "never",
                  fmt_time(k.last_used).c_str(), state.c_str());
    }
    return 0;
  }
  if (apikey_revoke->parsed()) {
    if (!store->revoke_api_key(credential_id)) {
      std::cerr << "vigil-collector: no API key " << credential_id << " (see apikey list)\n";
      return 1;
    }
    audit_cli(*store, "apikey.revoke", "apikey:" + credential_id, nullptr, std::cerr);
    std::cout << "API key " << credential_id << " revoked\n";
    return 0;
  }
  if (agent_list->parsed()) {
    int64_t now = unix_now_s();
    for (const auto& a : store->list_agents()) {
      std::string status = agent_status(a, now, cfg.offline_after_s);
      std::cout << a.id << "  " << (a.hostname.empty() ? "-" : a.hostname) << "  " << status << "  last seen "
                << fmt_time(a.last_seen) << "  rules "
                << (a.ruleset_version.empty() ? "-" : a.ruleset_version) << "\n";
    }
    return 0;
  }
  if (agent_revoke->parsed()) {
    if (!store->revoke_agent(agent_id)) {
      std::cerr << "vigil-collector: no agent " << agent_id << "\n";
      return 1;
    }
    audit_cli(*store, "agent.revoke", "agent:" + agent_id, nullptr, std::cerr);
    std::cout << "agent " << agent_id << " revoked\n";
    return 0;
  }
  if (apikey_create->parsed()) {
    int64_t secs = key_ttl.empty() ? 0 : parse_duration(key_ttl);
    if (secs < 0 || (!key_ttl.empty() && secs == 0)) {
      std::cerr << "vigil-collector: --ttl must be like 30d\n";
      return 2;
    }
    std::string key = "vk_" + random_hex(24), hash = sha256_hex(key);
    int64_t now = unix_now_s();
    auto st = store->create_api_key(hash, *role_from_string(role), now, secs ? now + secs : 0);
    if (!st.ok) {
      std::cerr << "vigil-collector: " << st.message << "\n";
      return 1;
    }
    audit_cli(*store, "apikey.create", "apikey:" + hash.substr(0, kCredentialIdLen),
              {{"role", role}, {"expires_at", secs ? now + secs : 0}}, std::cerr);
    std::cout << role << " API key " << hash.substr(0, kCredentialIdLen) << ", expires "
              << (secs ? fmt_time(now + secs) : "never")
              << " (use as 'Authorization: Bearer KEY'), shown only once:\n"
              << key << "\n";
    return 0;
  }
  if (rs_update->parsed()) {
    if (cfg.rule_sources.empty()) {
      std::cerr << "vigil-collector: no rule_sources in the configuration (-c collector.yaml)\n";
      return 2;
    }
    UpdateResult r = update_from_sources(*store, ruleset_validator(cfg.data_dir), cfg.rule_sources, policy);
    if (!r.ok) {
      std::cerr << "vigil-collector: rule update failed: " << r.error << "\n";
      return 1;
    }
    audit_cli(*store, "ruleset.update", r.version,
              {{"files", r.files},
               {"rules_loaded", r.report["rules_loaded"]},
               {"rules_failed", r.report["rules_failed"]}},
              std::cerr);
    std::cout << "rule set " << r.version << " published from " << r.files << " files ("
              << r.report["rules_loaded"] << " rules loaded, " << r.report["rules_failed"] << " failed)\n";
    return 0;
  }
  if (rs_upload->parsed()) {
    std::string text;
    if (!vigil::read_file(rules_file, text)) {
      std::cerr << "cannot read " << rules_file << "\n";
      return 1;
    }
    nlohmann::json result;
    int status = upload_ruleset(*store, ruleset_validator(cfg.data_dir), text,
                                allow_errors || cfg.ruleset_allow_errors, &result, "cli");
    for (const auto& e : result.value("errors", nlohmann::json::array()))
      std::cerr << e.get<std::string>() << "\n";
    if (status != 200) {
      std::cerr << "vigil-collector: rule set refused: " << result.value("error", "") << "\n";
      return 1;
    }
    audit_cli(*store, "ruleset.upload", result["version"].get<std::string>(),
              {{"rules_loaded", result["rules_loaded"]}, {"rules_failed", result["rules_failed"]}},
              std::cerr);
    std::cout << "rule set " << result["version"].get<std::string>() << " published ("
              << result["rules_loaded"] << " rules loaded, " << result["rules_failed"] << " failed)\n";
    return 0;
  }
  return 0;
}
