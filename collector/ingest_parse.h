// Parses the body of POST /api/v1/events ({agent_id, batch_seq,
// events:[{uid, eve}]}) in one simdjson pass: each event keeps the text of
// its `eve` object as received (stored as is, never re-serialised) and the
// few fields the store indexes.
//
// Called by the HTTP handler threads, concurrently (the parser is
// thread_local). The returned events own their strings; nothing points into
// the body.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "collector/store/store.h"

namespace vigil::collector {

struct IngestBody {
  std::string agent_id;
  uint64_t batch_seq = 0;
  std::vector<IngestEvent> events;
};

// False + *error (a reason for the 400 answer) when the body is not JSON, a
// field is missing or of the wrong type, or an event lacks {uid, eve:{...}}.
bool parse_ingest_body(std::string_view body, IngestBody* out, std::string* error);

}  // namespace vigil::collector
