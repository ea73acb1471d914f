// Checks the packet-path rule "no heap allocation per packet in the steady
// state" for flow tracking and reassembly: after a warm-up round has grown
// the pools, a second round of the same traffic (new flows created, data in
// and out of order, retransmissions, gaps, closes, timeouts) must not call
// operator new at all.
//
// The global (unaligned) operator new/delete, plain and nothrow, are replaced
// for this test binary, all on malloc/free so that every pair matches; they
// only count while `g_counting` is set on the calling thread.
#include <catch2/catch.hpp>
#include <cstdlib>
#include <new>

#include "tests/agent/flow/flow_test_util.h"

namespace {
thread_local bool g_counting = false;
thread_local uint64_t g_allocs = 0;

void* counted_alloc(std::size_t n) {
  if (g_counting) g_allocs++;
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
}  // namespace

void* operator new(std::size_t n) {
  return counted_alloc(n);
}
void* operator new[](std::size_t n) {
  return counted_alloc(n);
}
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete[](void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
void operator delete[](void* p, std::size_t) noexcept {
  std::free(p);
}
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  if (g_counting) g_allocs++;
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept {
  return operator new(n, t);
}
void operator delete(void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}
void operator delete[](void* p, const std::nothrow_t&) noexcept {
  std::free(p);
}

using namespace vigil;

namespace {

// Counts without allocating.
struct QuietSink : StreamSink, FlowEndSink {
  uint64_t bytes = 0, gaps = 0, ends = 0, flows = 0;
  void on_stream_data(Flow&, Dir, Bytes b, uint64_t, const Packet&) override { bytes += b.size(); }
  void on_stream_gap(Flow&, Dir, uint64_t len, const Packet&) override { gaps += len; }
  void on_stream_end(Flow&, Dir, const Packet*) override { ends++; }
  void on_flow_end(Flow&, FlowEndReason, Timestamp) override { flows++; }
};

struct Traffic {
  FlowTable& table;
  IpAddr cli = *IpAddr::parse("10.1.0.1"), srv = *IpAddr::parse("10.1.0.2");
  int64_t sec = 1000;
  uint8_t data[1400] = {};

  void tcp(bool c2s, uint16_t cport, uint32_t seq, uint32_t ack, uint8_t flags, size_t len) {
    Packet p;
    p.ts = Timestamp{sec, 0};
    p.ip_version = 4;
    p.src = c2s ? cli : srv;
    p.dst = c2s ? srv : cli;
    p.l4 = L4::kTcp;
    p.sp = c2s ? cport : 80;
    p.dp = c2s ? 80 : cport;
    p.tcp.seq = seq;
    p.tcp.ack = ack;
    p.tcp.flags = flags;
    p.payload = Bytes(data, len);
    table.expire(p.ts);
    table.process(p);
  }
  void udp(uint16_t cport, bool c2s) {
    Packet p;
    p.ts = Timestamp{sec, 0};
    p.ip_version = 4;
    p.src = c2s ? cli : srv;
    p.dst = c2s ? srv : cli;
    p.l4 = L4::kUdp;
    p.sp = c2s ? cport : 53;
    p.dp = c2s ? 53 : cport;
    p.payload = Bytes(data, 40);
    table.process(p);
  }

  void round() {
    const uint8_t A = kTcpAck, PA = kTcpPsh | kTcpAck, FA = kTcpFin | kTcpAck;
    for (uint16_t port = 20000; port < 20200; ++port) {
      const uint32_t c = 1000u * port, s = 7000u * port;
      tcp(true, port, c, 0, kTcpSyn, 0);
      tcp(false, port, s, c + 1, kTcpSyn | kTcpAck, 0);
      tcp(true, port, c + 1, s + 1, A, 0);
      tcp(true, port, c + 1, s + 1, PA, 1400);
      tcp(true, port, c + 2801, s + 1, PA, 1400);  // out of order
      tcp(true, port, c + 1401, s + 1, PA, 1400);  // fills the hole
      tcp(true, port, c + 1401, s + 1, PA, 1400);  // retransmission
      tcp(false, port, s + 1, c + 4201, PA, 1000);
      tcp(true, port, c + 5201, s + 1001, PA, 100);  // hole before it
      tcp(false, port, s + 1001, c + 5301, A, 0);    // acked: a gap
      if (port % 2 == 0) {
        tcp(true, port, c + 5301, s + 1001, FA, 0);
        tcp(false, port, s + 1001, c + 5302, FA, 0);
        tcp(true, port, c + 5302, s + 1002, A, 0);
      }
      udp(port, true);
      udp(port, false);
    }
    sec += 1000;  // everything times out
    table.expire(Timestamp{sec, 0});
  }
};

}  // namespace

TEST_CASE("steady state: flow tracking and reassembly do not allocate", "[flow][alloc]") {
  QuietSink sink;
  FlowTable table(FlowConfig(), sink, sink);
  Traffic t{table};
  g_counting = true;
  t.round();  // warm-up: pools grow here
  g_counting = false;
  REQUIRE(table.active() == 0);
  CHECK(g_allocs > 0);  // the counting itself works
  const uint64_t bytes_after_warmup = sink.bytes;

  g_allocs = 0;
  g_counting = true;
  t.round();
  g_counting = false;

  CHECK(g_allocs == 0);
  CHECK(sink.bytes == 2 * bytes_after_warmup);  // the second round did the same work
  CHECK(sink.gaps > 0);
  CHECK(sink.flows == 800);
}
