// Evaluation of one inspection list over one buffer, with Suricata's relative
// match semantics: a content that later relative options depend on is retried
// at its next occurrence when they fail (backtracking), bounded by a step
// budget so hostile input cannot make inspection quadratic without a trace.
//
// Called by the engine on a worker thread; uses only the caller's BufCtx.
#pragma once

#include <cstddef>
#include <string>

#include "rules/rule.h"

namespace vigil::rules {

// Steps (candidate positions tried) allowed per list evaluation.
constexpr uint32_t kBacktrackBudget = 4096;

// True when every op of the list matches the buffer in c. *end (when non-null)
// receives the end offset of the last content/pcre match.
bool match_list(const BufferList& list, BufCtx& c, size_t* end = nullptr);

// Applies the list's transforms to [data,len) into out (reused storage: no
// allocation once it has grown). Returns false when a transform cannot apply.
void apply_transforms(const BufferList& list, const uint8_t* data, size_t len, std::string& out);

}  // namespace vigil::rules
