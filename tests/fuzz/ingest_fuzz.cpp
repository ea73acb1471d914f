// Fuzz target: the collector's ingest of an agent's POST /api/v1/events body
// (collector/ingest.h handle_ingest: the wire decoder, the batch checks, the
// SQLite store with its alert indexes, resend and reuse detection), into one
// store kept across inputs (in a private scratch directory) so resends and
// reused batch numbers meet earlier batches. The authenticated agent is
// "ag-1"; the seeds are batches of that agent (tests/fuzz/corpus/ingest/).
// What it holds ingest to: no crash; every answer is one of the documented
// statuses (200, 400, 403, 409; 503 only if the store fails, which a local
// scratch store must not) with a JSON object body.
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "collector/ingest.h"
#include "tests/fuzz/fuzz_tmpdir.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::collector;
  static std::unique_ptr<Store> store = [] {
    std::string err;
    auto s = open_sqlite_store(vigil::fuzz::tmpdir() + "/ingest.db", &err);
    if (!s) std::abort();
    return s;
  }();
  static int64_t now = 1767225600;
  std::string_view body(reinterpret_cast<const char*>(data), size);
  ApiReply r = handle_ingest(*store, "ag-1", body, ++now);
  if (r.status != 200 && r.status != 400 && r.status != 403 && r.status != 409) std::abort();
  auto j = nlohmann::json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object()) std::abort();
  return 0;
}
