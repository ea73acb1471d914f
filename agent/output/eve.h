// EVE JSON output: builds Suricata-format events (alert, flow, stats, and the
// app-layer transaction logs) and hands each finished line to the outputs
// (the local eve.json file; the collector uplink when enrolled).
//
// Threading: EventRouter::emit is called concurrently by all workers; outputs
// must be thread-safe. Event building happens on the calling worker.
#pragma once

#include <atomic>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "agent/flow/flow.h"
#include "agent/output/dns_eve.h"
#include "agent/output/event_types.h"
#include "common/alert.h"
#include "common/counters.h"
#include "common/packet.h"

namespace vigil {

using Json = nlohmann::ordered_json;

class EventOutput {
 public:
  virtual ~EventOutput() = default;
  // One event: `line` is a complete JSON object without newline.
  virtual void write(std::string_view event_type, const std::string& line) = 0;
  virtual void flush() {}
};

// Appends to LOGDIR/eve.json, one object per line.
class EveFileOutput : public EventOutput {
 public:
  ~EveFileOutput() override;
  // Returns "" or an error message.
  std::string open(const std::string& path);
  // Flushes and closes the file, then opens the same path again (created if
  // log rotation moved it away): the agent does this on SIGHUP. Returns "" or
  // an error message; until a later reopen succeeds, events meant for the file
  // are counted in write_errors().
  std::string reopen();
  void write(std::string_view event_type, const std::string& line) override;
  void flush() override;
  uint64_t write_errors() const { return write_errors_.load(std::memory_order_relaxed); }

 private:
  std::mutex mu_;
  std::string path_;
  FILE* f_ = nullptr;
  std::atomic<uint64_t> write_errors_{0};
};

struct EveOptions {
  std::vector<std::string> types;  // event types written to the file (names from event_types.h)
  bool payload = true, payload_printable = true, packet = false;
  std::string host;   // added to every event as "host"
  DnsEveOptions dns;  // outputs.eve.dns
};

// Routes each event to the outputs that take its type. Type names are
// resolved to an EventMask once, when an output is added; names that are not
// event types (event_types.h) match nothing.
class EventRouter {
 public:
  explicit EventRouter(EveOptions opt);
  // `types` empty = every type the file gets (EveOptions::types).
  void add_output(EventOutput* out, const std::vector<std::string>& types = {});
  bool wants(EventType type) const { return any_.has(type); }
  void emit(EventType type, const Json& event);
  void flush();
  const EveOptions& options() const { return opt_; }

 private:
  struct Out {
    EventOutput* out;
    EventMask types;
  };
  EveOptions opt_;
  EventMask file_types_;  // EveOptions::types
  EventMask any_;         // taken by at least one output
  std::vector<Out> outs_;
};

// "TCP", "UDP", "ICMP", "IPv6-ICMP", or the number.
std::string proto_name(uint8_t ip_proto);

// Common header: timestamp, flow_id, pcap_cnt, event_type, addresses, proto.
// For alerts and packet-bound events, addresses follow the packet direction.
Json eve_packet_header(const Packet& p, std::string_view event_type);
// For flow-bound events: addresses follow the flow (client -> server).
Json eve_flow_header(const Flow& f, Timestamp ts, std::string_view event_type);

Json eve_alert(const AlertEvent& a, const EveOptions& opt);
Json eve_flow(const Flow& f, FlowEndReason reason, Timestamp now);
Json eve_tx(const Flow& f, Timestamp ts, const Transaction& tx);
// The "fileinfo" event of file i of a transaction (Transaction::file_count),
// as Suricata 7 writes it: addresses in the file's direction, the protocol's
// object (http, ...), app_proto, fileinfo.
Json eve_fileinfo(const Flow& f, Timestamp ts, const Transaction& tx, size_t i);
// Event i of direction d of a transaction that logs per direction
// (Transaction::logs_per_direction) into `out`; false when the protocol's
// switches (EveOptions::dns) leave it out.
bool eve_tx_record(const Flow& f, Timestamp ts, const Transaction& tx, Dir d, size_t i, const EveOptions& opt,
                   Json& out);
// Nests dotted counter names into objects: {"decoder": {"pkts": 1, ...}}.
Json nest_counters(const CounterSnapshot& c);

}  // namespace vigil
