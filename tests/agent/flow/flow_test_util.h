// Test helpers for the flow module: a sink that records every StreamSink and
// FlowEndSink call, and a harness that builds decoded Packets by hand for one
// client (10.0.0.1:40000) and server (10.0.0.2:80), so these tests need no
// decoder.
#pragma once

#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "agent/flow/flow_table.h"
#include "agent/flow/tcp_session.h"

namespace vigil::flowtest {

struct Recorder : StreamSink, FlowEndSink {
  struct End {
    uint64_t flow_id;
    FlowEndReason reason;
    std::string stream_ts, stream_tc;  // what the flow's streams delivered
    bool ended_ts, ended_tc;           // on_stream_end seen before on_flow_end
  };
  // Per direction: delivered bytes with '#' for each gap byte.
  std::string data[2];
  uint64_t gaps[2] = {0, 0}, gap_calls[2] = {0, 0};
  int ends[2] = {0, 0}, depth[2] = {0, 0};
  int offset_errors = 0;  // deliveries whose offset did not continue the stream
  std::vector<std::string> log;
  std::vector<End> flow_ends;

  void on_stream_data(Flow&, Dir d, Bytes b, uint64_t offset, const Packet&) override {
    if (offset != data[int(d)].size()) offset_errors++;
    data[int(d)].append(reinterpret_cast<const char*>(b.data()), b.size());
    log.push_back(std::string(d == Dir::kToServer ? "ts" : "tc") + " data " + std::to_string(offset) + " " +
                  std::to_string(b.size()));
  }
  void on_stream_gap(Flow&, Dir d, uint64_t len, const Packet&) override {
    gaps[int(d)] += len;
    gap_calls[int(d)]++;
    data[int(d)].append(len, '#');
    log.push_back(std::string(d == Dir::kToServer ? "ts" : "tc") + " gap " + std::to_string(len));
  }
  void on_stream_end(Flow&, Dir d, const Packet*) override {
    ends[int(d)]++;
    log.push_back(std::string(d == Dir::kToServer ? "ts" : "tc") + " end");
  }
  void on_stream_depth(Flow&, Dir d) override { depth[int(d)]++; }
  void on_flow_end(Flow& f, FlowEndReason reason, Timestamp) override {
    flow_ends.push_back({f.flow_id, reason, data[0], data[1], ends[0] > 0, ends[1] > 0});
    log.push_back("flow end");
  }
  void clear_streams() {
    data[0].clear();
    data[1].clear();
    gaps[0] = gaps[1] = gap_calls[0] = gap_calls[1] = 0;
    ends[0] = ends[1] = depth[0] = depth[1] = 0;
  }
};

inline IpAddr ip(const char* s) {
  return *IpAddr::parse(s);
}

struct Harness {
  FlowConfig cfg;
  Recorder rec;
  std::unique_ptr<FlowTable> table;
  std::deque<std::string> payloads;  // keeps packet payload bytes alive
  IpAddr cli = ip("10.0.0.1"), srv = ip("10.0.0.2");
  uint16_t cport = 40000, sport = 80;
  int64_t now_sec = 1000;

  explicit Harness(FlowConfig c = FlowConfig()) : cfg(c), table(std::make_unique<FlowTable>(cfg, rec, rec)) {}

  Packet ip_packet(bool from_client, L4 l4) {
    Packet p;
    p.ts = Timestamp{now_sec, 0};
    p.ip_version = cli.family;
    p.src = from_client ? cli : srv;
    p.dst = from_client ? srv : cli;
    p.l4 = l4;
    p.ip_proto = l4 == L4::kTcp ? 6 : l4 == L4::kUdp ? 17 : l4 == L4::kIcmp ? 1 : l4 == L4::kIcmpv6 ? 58 : 47;
    if (l4 == L4::kTcp || l4 == L4::kUdp) {
      p.sp = from_client ? cport : sport;
      p.dp = from_client ? sport : cport;
    }
    return p;
  }
  Packet tcp(bool from_client, uint32_t seq, uint32_t ack, uint8_t flags, const std::string& payload = "") {
    Packet p = ip_packet(from_client, L4::kTcp);
    p.tcp.seq = seq;
    p.tcp.ack = ack;
    p.tcp.flags = flags;
    payloads.push_back(payload);
    const std::string& s = payloads.back();
    p.payload = Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    return p;
  }
  Packet udp(bool from_client, const std::string& payload = "x") {
    Packet p = ip_packet(from_client, L4::kUdp);
    payloads.push_back(payload);
    const std::string& s = payloads.back();
    p.payload = Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
    return p;
  }
  Packet icmp(bool from_client, uint8_t type, uint8_t code, uint16_t id = 0, bool id_seq = false) {
    Packet p = ip_packet(from_client, cli.family == 6 ? L4::kIcmpv6 : L4::kIcmp);
    p.icmp.type = type;
    p.icmp.code = code;
    p.icmp.id = id;
    p.icmp.has_id_seq = id_seq;
    return p;
  }
  Flow* send(Packet p) {
    table->expire(p.ts);
    return table->process(p);
  }
  // Client ISN 1000, server ISN 5000; returns the flow after the third packet.
  Flow* handshake(uint32_t cisn = 1000, uint32_t sisn = 5000) {
    send(tcp(true, cisn, 0, kTcpSyn));
    send(tcp(false, sisn, cisn + 1, kTcpSyn | kTcpAck));
    return send(tcp(true, cisn + 1, sisn + 1, kTcpAck));
  }
  uint64_t counter(std::string_view name) const {
    uint64_t v = 0;
    bool found = false;
    table->visit_counters([&](std::string_view n, uint64_t x) {
      if (n == name) {
        v = x;
        found = true;
      }
    });
    if (!found) throw std::runtime_error("no counter " + std::string(name));
    return v;
  }
  std::string ts() const { return rec.data[0]; }
  std::string tc() const { return rec.data[1]; }
};

constexpr uint8_t kPA = kTcpPsh | kTcpAck;
constexpr uint8_t kFA = kTcpFin | kTcpAck;

}  // namespace vigil::flowtest
