// Every name a rule may give a buffer, in one table: the canonical Suricata
// keywords (common/inspect.h, VIGIL_BUFFERS), the legacy Suricata and Snort 3
// spellings, and pkt_data / raw_data for the payload. The keyword table
// registers each name from here, and the parser resolves them here.
//
// Load-time only; constant data.
#pragma once

#include <span>
#include <string_view>

namespace vigil::rules {

struct BufferAlias {
  std::string_view name;
  int slot;  // a BufferId value, or kSlotPayload
  // Suricata's legacy form that applies to the content before it
  // (content:"x"; http_uri;) rather than selecting a sticky buffer.
  bool content_modifier = false;
};

// The aliases (not the canonical names).
std::span<const BufferAlias> buffer_aliases();

// Buffer name (canonical, alias, pkt_data/raw_data) to slot; -2 when unknown.
int buffer_slot(std::string_view name);

// Whether name is one of Suricata's legacy content modifiers.
bool is_content_modifier(std::string_view name);

}  // namespace vigil::rules
