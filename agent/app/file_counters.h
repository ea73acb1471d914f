// File-tracking counters (agent/app/file_tracker.h), declared once; they are
// part of AppCounters and reported under app_layer.file.*.
#pragma once

#include "common/counters.h"

#define VIGIL_FILE_COUNTERS(X)                                 \
  X(file_opened, "app_layer.file.opened")                      \
  X(file_closed, "app_layer.file.closed")                      \
  X(file_truncated, "app_layer.file.truncated")                \
  X(file_gaps, "app_layer.file.gaps")                          \
  X(file_hashed_bytes, "app_layer.file.hashed_bytes")          \
  X(file_magic_errors, "app_layer.file.magic_errors")          \
  X(file_stored, "app_layer.file.store.written")               \
  X(file_stored_bytes, "app_layer.file.store.written_bytes")   \
  X(file_store_exists, "app_layer.file.store.already_present") \
  X(file_store_cap, "app_layer.limit.file.store_cap")          \
  X(file_store_depth, "app_layer.limit.file.store_depth")      \
  X(file_store_not_closed, "app_layer.file.store.not_closed")  \
  X(file_store_errors, "app_layer.file.store.errors")

namespace vigil {
VIGIL_DECLARE_COUNTERS(FileCounters, VIGIL_FILE_COUNTERS)
}  // namespace vigil
