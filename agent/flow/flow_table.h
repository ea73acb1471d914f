// FlowTable: per-worker bidirectional flow table with per-state timeouts and a
// memory cap, TCP state tracking and reassembly (tcp_session.h). Data reaches
// the next stage only through StreamSink; flow ends through FlowEndSink.
//
// Threading: one FlowTable per worker thread; no locks.
#pragma once

#include <cstdint>
#include <memory>

#include "agent/flow/flow.h"
#include "agent/flow/stream_sink.h"
#include "common/counters.h"
#include "common/packet.h"

namespace vigil {

struct FlowConfig {
  uint32_t max_flows = 200000;  // per worker; beyond this new flows are refused (counted)
  // Timeouts in seconds of packet time, as Suricata's defaults.
  uint32_t tcp_new_timeout = 60, tcp_est_timeout = 600, tcp_closed_timeout = 60;
  uint32_t udp_new_timeout = 30, udp_est_timeout = 300;
  uint32_t other_new_timeout = 30, other_est_timeout = 300;
  // TCP
  uint64_t reassembly_depth = 1024 * 1024;            // per direction; 0 = unlimited
  uint64_t reassembly_memcap = 256ull * 1024 * 1024;  // out-of-order bytes held per worker
  bool midstream = false;                             // pick up sessions without a handshake
  bool checksum_checks = true;                        // ignore packets with bad L4 checksum for stream
};

class FlowTable {
 public:
  FlowTable(const FlowConfig& cfg, StreamSink& stream, FlowEndSink& end);
  // Frees remaining flows without calling the sinks (call flush_all() first
  // to have them reported); their app/detect states are destroyed here.
  ~FlowTable();
  // Finds or creates the flow for p, sets p.flow and p.to_server, updates
  // per-direction packet/byte counts, TCP state and reassembly (StreamSink
  // calls happen inside). Returns nullptr for packets that get no flow
  // (not IP, invalid, or table full: counted). An ICMP error quoting a packet
  // of a known flow is counted in that flow (p.flow set) without touching its
  // TCP state or streams.
  Flow* process(Packet& p);
  // Ends flows whose timeout has passed at packet time `now`: at most once a
  // second of packet time, or now whatever the last pass was with `now_too`.
  void expire(Timestamp now, bool now_too = false);
  // Ends every flow (shutdown).
  void flush_all(Timestamp now);
  size_t active() const;
  void visit_counters(const CounterVisitor& f) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Community ID v1 (seed 0) of a flow: "1:" + base64(sha1(...)).
std::string community_id_v1(const IpAddr& src, const IpAddr& dst, uint16_t sp, uint16_t dp, uint8_t proto);

}  // namespace vigil
