// Fills a collector store fast with generated alerts, for the query
// benchmarks (bench/RESULTS.md): N alerts over the last D days (event time
// increasing), from A agents, 500 signatures, 3 severities, 5,000 sources and
// 1,000 destinations, written through the store's own ingest path in big
// batches (so the rollups are kept as in production). Usage:
//   vigil-store-fill --data-dir DIR --alerts 1000000 [--agents 10] [--days 7] [--batch 5000] [--end UNIX_S]
//   vigil-store-fill --store-url postgresql://... --alerts 1000000 ...   (a PostgreSQL store)
// With --retain-days R it then runs retention by age (older than R days
// before --end) once and prints what it deleted and the process CPU per
// alert of the fill and of the retention (the cost of deleting an alert
// against that of storing it).
#include <sqlite3.h>
#include <time.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <ctime>

#include "collector/store/pg_store.h"
#include "collector/store/store.h"
#include "common/digest.h"

using namespace vigil::collector;

int main(int argc, char** argv) {
  sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);  // as vigil-collector does (collector/main.cpp)
  CLI::App app{"fill a collector store with generated alerts"};
  std::string dir, store_url;
  int64_t alerts = 1000000, end = 0;
  int agents = 10, days = 7, batch = 5000;
  double retain_days = 0;
  auto* dir_opt = app.add_option("--data-dir", dir, "SQLite store: its data directory");
  app.add_option("--store-url", store_url, "PostgreSQL store: its libpq connection URL")->excludes(dir_opt);
  app.add_option("--alerts", alerts);
  app.add_option("--agents", agents);
  app.add_option("--days", days);
  app.add_option("--batch", batch);
  app.add_option("--end", end, "newest event time, unix seconds (default: now)");
  app.add_option("--retain-days", retain_days, "then run retention by age once, keeping this many days");
  CLI11_PARSE(app, argc, argv);
  if (dir.empty() && store_url.empty()) {
    std::fprintf(stderr, "one of --data-dir or --store-url is required\n");
    return 2;
  }
  if (end == 0) end = static_cast<int64_t>(std::time(nullptr));
  std::string err;
  auto store =
      store_url.empty() ? open_sqlite_store(dir + "/collector.db", &err) : open_pg_store(store_url, &err, 1);
  if (!store) {
    std::fprintf(stderr, "%s\n", err.c_str());
    return 1;
  }
  const int64_t span_us = int64_t{days} * 86400 * 1'000'000, start_us = end * 1'000'000 - span_us;
  std::vector<uint64_t> seq(static_cast<size_t>(agents), 0);
  auto cpu_s = [] {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
  };
  const double cpu0 = cpu_s();
  auto t0 = std::chrono::steady_clock::now();
  int64_t i = 0;
  while (i < alerts) {
    // One batch per agent in turn, its alerts spread over the batch's slice of time.
    int a = static_cast<int>((i / batch) % agents);
    std::string agent = "fill-" + std::to_string(a);
    std::vector<IngestEvent> b;
    b.reserve(static_cast<size_t>(batch));
    for (int k = 0; k < batch && i < alerts; ++k, ++i) {
      EveFields f;
      f.event_type = "alert";
      f.ts_us = start_us + static_cast<int64_t>(static_cast<double>(i) / static_cast<double>(alerts) *
                                                static_cast<double>(span_us));
      f.sid = 2000000 + (i * 7919) % 500;
      f.gid = 1;
      f.rev = 3;
      f.severity = 1 + (i * 31) % 3;
      f.signature = "ET BENCH signature " + std::to_string(*f.sid);
      f.category = "Web Application Attack";
      f.src_ip =
          "10." + std::to_string(a) + "." + std::to_string((i * 13) % 20) + "." + std::to_string(i % 250);
      f.src_port = 40000 + i % 20000;
      f.dest_ip = "198.51." + std::to_string((i * 17) % 5) + "." + std::to_string((i * 7) % 200);
      f.dest_port = 80;
      f.proto = "TCP";
      f.app_proto = "http";
      f.flow_id = 1000000 + i;
      IngestEvent e;
      e.event_uid = vigil::sha256_hex(agent + ":" + std::to_string(i));
      time_t s = static_cast<time_t>(*f.ts_us / 1'000'000);
      struct tm tm;
      gmtime_r(&s, &tm);
      char ts[96];
      std::snprintf(ts, sizeof ts, "%04d-%02d-%02dT%02d:%02d:%02d.%06lld+0000", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                    static_cast<long long>(*f.ts_us % 1'000'000));
      e.text = std::string(R"({"timestamp":")") + ts + R"(","flow_id":)" + std::to_string(*f.flow_id) +
               R"(,"event_type":"alert","src_ip":")" + *f.src_ip + R"(","src_port":)" +
               std::to_string(*f.src_port) + R"(,"dest_ip":")" + *f.dest_ip +
               R"(","dest_port":80,"proto":"TCP","app_proto":"http","alert":{"action":"allowed","gid":1,)"
               R"("signature_id":)" +
               std::to_string(*f.sid) + R"(,"rev":3,"signature":")" + *f.signature +
               R"(","category":"Web Application Attack","severity":)" + std::to_string(*f.severity) +
               R"(},"http":{"hostname":"portal.example.gov","url":"/search?q=)" + std::to_string(i) +
               R"(","http_method":"GET","status":200}})";
      e.fields = std::move(f);
      b.push_back(std::move(e));
    }
    IngestResult r;
    StoreStatus st = store->ingest_batch(agent, ++seq[static_cast<size_t>(a)], b, end, &r);
    if (!st.ok) {
      std::fprintf(stderr, "ingest: %s\n", st.message.c_str());
      return 1;
    }
    if ((i / batch) % 200 == 0) {
      double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::fprintf(stderr, "%lld alerts, %.0f/s\n", static_cast<long long>(i), static_cast<double>(i) / secs);
    }
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const double fill_cpu = cpu_s() - cpu0;
  std::printf("alerts=%lld seconds=%.1f alerts/s=%.0f cpu_us_per_alert=%.1f\n",
              static_cast<long long>(alerts), secs, static_cast<double>(alerts) / secs,
              fill_cpu * 1e6 / static_cast<double>(alerts));
  if (retain_days > 0) {
    RetentionPolicy p;
    p.max_age_s = static_cast<int64_t>(retain_days * 86400);
    RetentionResult r;
    const double c0 = cpu_s();
    auto w0 = std::chrono::steady_clock::now();
    StoreStatus st = store->enforce_retention(p, end, &r);
    const double c = cpu_s() - c0;
    double w = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
    if (!st.ok) {
      std::fprintf(stderr, "retention: %s\n", st.message.c_str());
      return 1;
    }
    double per = r.alerts ? c * 1e6 / static_cast<double>(r.alerts) : 0;
    std::printf("retention deleted=%llu seconds=%.1f cpu_us_per_alert=%.1f ratio_to_fill=%.2f\n",
                static_cast<unsigned long long>(r.alerts), w, per,
                per / (fill_cpu * 1e6 / static_cast<double>(alerts)));
  }
  return 0;
}
