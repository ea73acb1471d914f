// App layer: protocol detection from content and per-protocol parsers (HTTP,
// DNS, TLS, SSH) that turn reassembled streams and UDP datagrams into
// transactions with named inspection buffers (common/inspect.h).
//
// Threading: one AppLayer per worker; flows belong to one worker.
// Memory: every parser keeps per-flow state bounded by AppConfig caps; what
// exceeds a cap is counted (AppCounters) and cut, never kept.
#pragma once

#include <cstdint>
#include <memory>

#include "agent/app/file_tracker.h"
#include "agent/flow/flow.h"
#include "common/counters.h"
#include "common/inspect.h"
#include "common/packet.h"

namespace vigil {

struct AppConfig {
  uint64_t http_request_body_limit = 100 * 1024;   // bytes of request body inspected
  uint64_t http_response_body_limit = 100 * 1024;  // bytes of (decompressed) response body inspected
  uint64_t http_decompress_limit = 1024 * 1024;    // decompression output cap per body
  uint32_t max_tx_per_flow = 512;                  // open transactions kept per flow
  bool tls_inspect_encrypted = false;              // keep raw content inspection after TLS encrypts
  uint64_t smtp_file_data_limit = 100 * 1024;      // decoded bytes of each mail part inspected
  FileConfig files;                                // file tracking: fileinfo, file keywords, filestore
};

// Receives transaction progress from the parsers.
class AppEvents {
 public:
  virtual ~AppEvents() = default;
  // Transaction `tx` advanced in direction d because of packet p (new buffers
  // may be available). Called once per advance; may be called several times
  // per transaction and direction.
  virtual void on_tx_update(const Packet& p, Flow& f, Dir d, const Transaction& tx) = 0;
  // Transaction finished (both directions complete, or the flow ended): the
  // moment to write its EVE log event. The tx is freed after this returns.
  // p may be null when the flow ends.
  virtual void on_tx_done(const Packet* p, Flow& f, const Transaction& tx) = 0;
  // For a transaction that logs per direction (Transaction::logs_per_direction):
  // direction d was seen; the moment to write its events. p may be null.
  virtual void on_tx_log(const Packet* p, Flow& f, Dir d, const Transaction& tx) {
    (void)p;
    (void)f;
    (void)d;
    (void)tx;
  }
};

// The application protocols there is a parser for (bit per AppProto): a
// rule that needs another one is inert (rules/inert.h).
uint32_t parsed_app_protos();

class AppLayer {
 public:
  AppLayer(const AppConfig& cfg, AppEvents& events);
  ~AppLayer();
  // Reassembled TCP data in order (see agent/flow/stream_sink.h).
  void on_stream_data(Flow& f, Dir d, Bytes data, const Packet& trigger);
  void on_stream_gap(Flow& f, Dir d, uint64_t len, const Packet& trigger);
  void on_stream_end(Flow& f, Dir d, const Packet* trigger);
  // A UDP datagram's payload (p.flow == &f, p.to_server says the direction).
  void on_udp(Flow& f, const Packet& p);
  // Flow ends: finish and report open transactions, free state.
  void on_flow_end(Flow& f);

  // Counters summed by the stats output (names like "app_layer.flow.http",
  // "app_layer.tx.dns", "app_layer.error.http.parser" as in Suricata's stats).
  void visit_counters(const CounterVisitor& f) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil
