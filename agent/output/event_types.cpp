#include "agent/output/event_types.h"

namespace vigil {

static_assert(
    [] {
      for (size_t i = 0; i < std::size(kEventTypes); ++i) {
        if (static_cast<size_t>(kEventTypes[i].type) != i) return false;
        if ((kEventTypes[i].logger == EventLogger::kTransaction) !=
            (kEventTypes[i].tx_proto != AppProto::kUnknown))
          return false;
      }
      return true;
    }(),
    "kEventTypes rows are in EventType order; exactly the transaction logs name a protocol");

std::optional<EventType> event_type_from_name(std::string_view name) {
  for (const EventTypeInfo& r : kEventTypes) {
    if (r.name == name) return r.type;
  }
  return std::nullopt;
}

std::optional<EventType> tx_event_type(AppProto p) {
  // HTTP/2 streams are logged as "http" events, as Suricata 7 does.
  if (p == AppProto::kHttp2 || p == AppProto::kDoh2) p = AppProto::kHttp;
  for (const EventTypeInfo& r : kEventTypes) {
    if (r.logger == EventLogger::kTransaction && r.tx_proto == p) return r.type;
  }
  return std::nullopt;
}

std::string event_type_names() {
  std::string out;
  for (const EventTypeInfo& r : kEventTypes) {
    if (!out.empty()) out += ", ";
    out += r.name;
  }
  return out;
}

EventMask EventMask::from_names(const std::vector<std::string>& names, std::vector<std::string>* unknown) {
  EventMask m;
  for (const auto& n : names) {
    if (auto t = event_type_from_name(n)) {
      m.set(*t);
    } else if (unknown) {
      unknown->push_back(n);
    }
  }
  return m;
}

}  // namespace vigil
