// Rules that can never match because nothing feeds them: their protocol (rule
// header, service, app-layer-protocol) or a buffer they inspect belongs to an
// application protocol this program does not parse. Such a rule loads without
// error in Suricata's grammar, but counting it as loaded would overstate
// coverage, so the load reports it as inert, with the reason, and leaves it
// out of the engine.
//
// Load-time only.
#pragma once

#include <cstdint>
#include <string>

#include "rules/rule.h"

namespace vigil::rules {

// Bit per AppProto (1u << AppProto).
constexpr uint32_t app_bit(AppProto a) {
  return 1u << unsigned(a);
}

// The application protocol whose parser fills buffer `slot`, as a bit mask
// (file.data: every protocol that carries files); 0 for packet buffers.
uint32_t buffer_app_protos(int slot);

// Why rule r cannot match when only the protocols in `parsed` are parsed
// ("" when it can): "no parser for smb (rule protocol)",
// "no parser for smb (buffer smb.share)", ...
std::string inert_reason(const Rule& r, uint32_t parsed);

}  // namespace vigil::rules
