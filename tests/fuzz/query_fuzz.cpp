// Fuzz target: the alert filter as clients write it in a URL, GET
// /api/v1/alerts?QUERY: the server's target parser (collector/http/message.h
// parse_target: path and query split, percent-decoding) and then the alert
// query parser (collector/api/alert_filter.h parse_alert_query: times,
// addresses and CIDR blocks, lists, cursors, limits). A query that parses is
// run against a small SQLite store (list and group), so the SQL each filter
// builds is exercised too. Input: the query string (without the '?').
// What it holds them to: no crash; an error names a parameter; an accepted
// limit is within 1..kMaxAlertLimit; the store answers every accepted query.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>

#include "collector/api/alert_filter.h"
#include "collector/http/message.h"
#include "collector/ingest.h"
#include "common/wire.h"
#include "tests/fuzz/fuzz_tmpdir.h"

namespace {

vigil::collector::Store& store() {
  using namespace vigil;
  static std::unique_ptr<collector::Store> s = [] {
    std::string err;
    auto st = collector::open_sqlite_store(fuzz::tmpdir() + "/query.db", &err);
    if (!st) std::abort();
    std::vector<std::string> uids, eves;
    for (int i = 0; i < 20; ++i) {
      std::string u = std::to_string(i);
      uids.push_back(std::string(64 - u.size(), 'a') + u);
      nlohmann::json e = {{"timestamp", "2026-01-0" + std::to_string(1 + i % 9) + "T10:00:00.000000+0000"},
                          {"event_type", "alert"},
                          {"src_ip", "10.0.0." + std::to_string(i)},
                          {"src_port", 40000},
                          {"dest_ip", "2001:db8::1"},
                          {"dest_port", 80},
                          {"proto", "TCP"},
                          {"app_proto", "http"},
                          {"alert",
                           {{"signature_id", 1000 + i % 4},
                            {"signature", "ET test " + std::to_string(i)},
                            {"category", "Misc activity"},
                            {"severity", 1 + i % 3}}}};
      eves.push_back(e.dump());
    }
    std::vector<wire::EventRef> refs;
    for (size_t k = 0; k < uids.size(); ++k) refs.push_back({uids[k], eves[k]});
    if (collector::handle_ingest(*st, "ag-1", wire::encode_batch("ag-1", 1, refs), 1767225600).status != 200)
      std::abort();
    return st;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::collector;
  std::string target = "/api/v1/alerts?" + std::string(reinterpret_cast<const char*>(data), size);
  std::string path;
  std::vector<std::pair<std::string, std::string>> query;
  if (!parse_target(target, &path, &query)) return 0;
  AlertListQuery q;
  auto err = parse_alert_query(query, &q);
  if (err) {
    if (err->param.empty() && err->detail.empty()) std::abort();
    return 0;
  }
  if (q.limit < 1 || q.limit > kMaxAlertLimit) std::abort();
  Store& s = store();
  if (q.group) {
    AlertGroupPage page;
    if (!s.group_alerts(q, &page).ok) std::abort();
  } else {
    AlertListPage page;
    if (!s.list_alerts(q, &page).ok) std::abort();
  }
  return 0;
}
