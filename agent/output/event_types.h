// The EVE event types the agent writes, in one table: each row gives the
// event_type name (also its spelling in outputs.eve.types and
// uplink.event-types), the logger that builds it and, for transaction logs,
// the application protocol whose transactions it records. The configuration
// names types, the EventRouter turns the names into an EventMask once, and
// the worker asks the mask, never a string and never an index of its own.
//
// Adding an event type is one row here (and its logger); nothing else keeps a
// list. Everything here is immutable and thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/app_proto.h"

namespace vigil {

enum class EventType : uint8_t {
  kAlert,
  kFlow,
  kStats,
  kHttp,
  kDns,
  kTls,
  kSsh,
  kSmtp,
  kFtp,
  kFileinfo,
  kFtpData,
  kSmb,
  kCount
};

// Who builds the event, and when.
enum class EventLogger : uint8_t {
  kAlert,  // worker, per rule match: eve_alert (output/eve.h)
  kFlow,   // worker, when a flow ends: eve_flow
  kStats,  // the agent's stats thread, every stats.interval and at exit: stats_event (output/stats_event.h)
  kTransaction,  // worker, when an app-layer transaction completes: eve_tx
  kFile,         // worker, per file of a completed transaction: eve_fileinfo
};

struct EventTypeInfo {
  EventType type;
  std::string_view name;  // EVE event_type
  EventLogger logger;
  AppProto tx_proto;  // kTransaction: the protocol logged; kUnknown otherwise
};

inline constexpr EventTypeInfo kEventTypes[] = {
    {EventType::kAlert, "alert", EventLogger::kAlert, AppProto::kUnknown},
    {EventType::kFlow, "flow", EventLogger::kFlow, AppProto::kUnknown},
    {EventType::kStats, "stats", EventLogger::kStats, AppProto::kUnknown},
    {EventType::kHttp, "http", EventLogger::kTransaction, AppProto::kHttp},
    {EventType::kDns, "dns", EventLogger::kTransaction, AppProto::kDns},
    {EventType::kTls, "tls", EventLogger::kTransaction, AppProto::kTls},
    {EventType::kSsh, "ssh", EventLogger::kTransaction, AppProto::kSsh},
    {EventType::kSmtp, "smtp", EventLogger::kTransaction, AppProto::kSmtp},
    {EventType::kFtp, "ftp", EventLogger::kTransaction, AppProto::kFtp},
    {EventType::kFileinfo, "fileinfo", EventLogger::kFile, AppProto::kUnknown},
    {EventType::kFtpData, "ftp_data", EventLogger::kTransaction, AppProto::kFtpData},
    {EventType::kSmb, "smb", EventLogger::kTransaction, AppProto::kSmb},
};
static_assert(std::size(kEventTypes) == static_cast<size_t>(EventType::kCount), "one row per EventType");

constexpr const EventTypeInfo& event_type_info(EventType t) {
  return kEventTypes[static_cast<size_t>(t)];
}
constexpr std::string_view event_type_name(EventType t) {
  return event_type_info(t).name;
}
std::optional<EventType> event_type_from_name(std::string_view name);
// The transaction log of an application protocol; nullopt when it has none.
std::optional<EventType> tx_event_type(AppProto p);
// "alert, flow, stats, http, dns, tls, ssh, smtp, ftp, fileinfo, ftp_data, smb": for messages and help text.
std::string event_type_names();

// The set of enabled event types: one bit per row.
class EventMask {
 public:
  constexpr EventMask() = default;
  // Unknown names are skipped and, when `unknown` is given, appended to it.
  static EventMask from_names(const std::vector<std::string>& names,
                              std::vector<std::string>* unknown = nullptr);
  constexpr bool has(EventType t) const { return (bits_ >> static_cast<unsigned>(t)) & 1u; }
  constexpr void set(EventType t) { bits_ |= 1u << static_cast<unsigned>(t); }
  constexpr bool empty() const { return bits_ == 0; }
  constexpr EventMask& operator|=(EventMask o) {
    bits_ |= o.bits_;
    return *this;
  }

 private:
  uint32_t bits_ = 0;
};

}  // namespace vigil
