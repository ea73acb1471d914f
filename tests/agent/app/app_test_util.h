// Test harness for the app layer: a Flow and Packet with just the fields the
// parsers read, an AppEvents that records every update, every per-direction
// log event and every finished transaction (its buffers and EVE object copied
// while it is alive).
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/app/app_layer.h"
#include "agent/flow/flow.h"

namespace vigil::test {

struct DoneTx {
  AppProto proto;
  uint64_t id;
  nlohmann::ordered_json eve;
  std::map<std::pair<BufferId, Dir>, std::vector<std::string>> bufs;
  std::string buf(BufferId b, Dir d = Dir::kToServer, size_t i = 0) const {
    auto it = bufs.find({b, d});
    return it == bufs.end() || i >= it->second.size() ? std::string("<absent>") : it->second[i];
  }
  size_t count(BufferId b, Dir d = Dir::kToServer) const {
    auto it = bufs.find({b, d});
    return it == bufs.end() ? 0 : it->second.size();
  }
  int64_t integer(TxInt f, Dir d) const {
    auto it = ints.find({f, d});
    return it == ints.end() ? -1 : it->second;
  }
  std::map<std::pair<TxInt, Dir>, int64_t> ints;
  // The transaction's files: each one's {"fileinfo": ...} object, "dir" added.
  std::vector<nlohmann::ordered_json> files;
  // DCERPC (Transaction::dcerpc_opnum / dcerpc_iface): -1 without a REQUEST.
  int dcerpc_opnum = -1;
  std::vector<std::pair<std::string, uint16_t>> dcerpc_ifaces;
};

inline DoneTx snapshot(const Transaction& tx) {
  DoneTx t{tx.proto(), tx.tx_id(), {}, {}, {}, {}, -1, {}};
  tx.to_eve(t.eve);
  for (size_t b = 0; b < kBufferCount; ++b) {
    for (Dir d : {Dir::kToServer, Dir::kToClient}) {
      auto id = static_cast<BufferId>(b);
      for (size_t i = 0; i < tx.buffer_count(id, d); ++i) {
        auto s = tx.buffer(id, d, i);
        t.bufs[{id, d}].emplace_back(reinterpret_cast<const char*>(s.data()), s.size());
      }
    }
  }
  for (size_t f = 0; f < static_cast<size_t>(TxInt::kCount); ++f) {
    for (Dir d : {Dir::kToServer, Dir::kToClient}) {
      int64_t v = 0;
      if (tx.integer(static_cast<TxInt>(f), d, &v)) t.ints[{static_cast<TxInt>(f), d}] = v;
    }
  }
  for (size_t i = 0; i < tx.file_count(); ++i) {
    nlohmann::ordered_json j;
    Dir d = Dir::kToClient;
    tx.file_to_eve(j, i, &d);
    j["dir"] = d == Dir::kToServer ? "to_server" : "to_client";
    t.files.push_back(std::move(j));
  }
  uint16_t op = 0;
  if (tx.dcerpc_opnum(&op)) t.dcerpc_opnum = op;
  for (size_t i = 0; i < tx.dcerpc_iface_count(); ++i) {
    std::string_view u;
    uint16_t v = 0;
    if (tx.dcerpc_iface(i, &u, &v)) t.dcerpc_ifaces.emplace_back(std::string(u), v);
  }
  return t;
}

class Recorder : public AppEvents {
 public:
  void on_tx_update(const Packet&, Flow&, Dir d, const Transaction& tx) override {
    updates.emplace_back(tx.tx_id(), d);
  }
  void on_tx_done(const Packet*, Flow&, const Transaction& tx) override { done.push_back(snapshot(tx)); }
  void on_tx_log(const Packet*, Flow&, Dir d, const Transaction& tx) override {
    for (size_t i = 0; i < tx.eve_records(d); ++i) {
      nlohmann::ordered_json j;
      tx.to_eve_record(j, d, i);
      logs.emplace_back(d, std::move(j));
    }
  }
  std::vector<std::pair<uint64_t, Dir>> updates;
  std::vector<DoneTx> done;
  // Per-direction log events (Transaction::logs_per_direction), in order.
  std::vector<std::pair<Dir, nlohmann::ordered_json>> logs;
};

inline Bytes B(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// One flow through one AppLayer.
struct Harness {
  explicit Harness(uint8_t proto = 6, uint16_t cport = 40000, uint16_t sport = 80, AppConfig cfg = {})
      : app(cfg, rec) {
    flow.proto = proto;
    flow.client_port = cport;
    flow.server_port = sport;
    pkt.flow = &flow;
  }
  void send(Dir d, std::string_view s) { app.on_stream_data(flow, d, B(s), pkt); }
  // Delivers s in pieces: first `cut` bytes, then the rest.
  void send_split(Dir d, std::string_view s, size_t cut) {
    if (cut > 0) send(d, s.substr(0, cut));
    if (cut < s.size()) send(d, s.substr(cut));
  }
  void datagram(Dir d, std::string_view s) {
    pkt.to_server = d == Dir::kToServer;
    pkt.payload = B(s);
    app.on_udp(flow, pkt);
  }
  void end() { app.on_flow_end(flow); }
  uint64_t counter(std::string_view name) const {
    uint64_t v = 0;
    app.visit_counters([&](std::string_view n, uint64_t x) {
      if (n == name) v = x;
    });
    return v;
  }

  Recorder rec;
  AppLayer app;
  Flow flow;
  Packet pkt;
};

}  // namespace vigil::test
