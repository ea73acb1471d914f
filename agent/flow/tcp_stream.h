// TcpStream: reassembly of one direction of a TCP session into an in-order
// byte stream handed to StreamSink (stream_sink.h). Used by TcpSession only,
// on the flow's worker thread.
//
// Offsets: offset 0 is the byte after the SYN (ISN + 1); on a midstream pickup
// it is the first byte seen. Sequence numbers are compared with serial-number
// arithmetic relative to the next expected byte, so streams cross 2^32.
//
// Policy, deterministic and documented in agent/flow/README.md:
//  - in-order bytes are delivered at once, straight from the packet;
//  - out-of-order bytes wait in the per-worker SegmentPool (ooo_segments);
//    when the pool is full they are dropped (segment_memcap_drop) and later
//    reported as a gap;
//  - overlaps: the first bytes received win, for delivered and for buffered
//    data; later bytes for the same offsets are dropped, and counted
//    (overlap / retransmissions) and compared (overlap_diff_data). Delivered
//    bytes are kept for that comparison until the peer acknowledges them
//    (at most kRetainMax bytes per direction, best effort);
//  - gaps: when the peer acknowledges bytes never seen, or at the end of the
//    stream with bytes buffered beyond a hole, on_stream_gap(len) reports the
//    hole and delivery goes on after it;
//  - depth: at most FlowConfig::reassembly_depth bytes (offsets) per
//    direction; reaching it calls on_stream_depth once, nothing more is
//    delivered or buffered;
//  - the stream ends (on_stream_end, once) when delivery reaches the FIN, on
//    RST, or at flow end after flushing.
#pragma once

#include <cstdint>

#include "agent/flow/flow.h"
#include "agent/flow/flow_counters.h"
#include "agent/flow/flow_table.h"
#include "agent/flow/segment_pool.h"
#include "agent/flow/stream_sink.h"

namespace vigil {

// What a session needs from its table, passed per call (no back pointers).
struct TcpContext {
  const FlowConfig& cfg;
  StreamSink& sink;
  SegmentPool& pool;
  FlowCounters& ctr;
};

class TcpStream {
 public:
  // Delivered bytes kept for overlap comparison, per direction.
  static constexpr uint64_t kRetainMax = 64 * 1024;
  // Segments further than this from the next expected byte are not believed.
  static constexpr uint64_t kMaxWindow = 1ull << 30;

  bool initialized() const { return init_; }
  // Sets the sequence number of stream offset 0.
  void init(uint32_t base_seq);

  // Payload of a segment whose first byte has sequence number `seq`.
  void add_data(TcpContext& c, Flow& f, Dir d, uint32_t seq, Bytes data, const Packet& trigger);
  // The peer acknowledged everything before `ack`: drop kept bytes, report
  // acknowledged holes as gaps, and end the stream when that reaches the FIN.
  void on_peer_ack(TcpContext& c, Flow& f, Dir d, uint32_t ack, const Packet& trigger);
  // A FIN occupies sequence number `fin_seq`; the stream ends when delivery
  // reaches it. Later FINs (retransmissions) are ignored.
  void on_fin(TcpContext& c, Flow& f, Dir d, uint32_t fin_seq, const Packet& trigger);
  // Delivers what is buffered, with gaps for the holes, then ends the stream
  // (once). `trigger` is used for data and gaps, `end_trigger` for the end.
  void finish(TcpContext& c, Flow& f, Dir d, const Packet& trigger, const Packet* end_trigger);
  // Back to the initial state, chunks returned to the pool.
  void release(SegmentPool& pool);

  bool fin_seen() const { return fin_; }
  uint32_t fin_seq() const { return fin_seq_; }
  bool ended() const { return ended_; }
  bool depth_reached() const { return depth_reached_; }
  uint32_t next_seq() const { return next_seq_; }
  uint64_t next_offset() const { return next_off_; }  // bytes delivered + gap bytes
  uint64_t pending_bytes() const;                     // out-of-order bytes held

 private:
  int64_t offset_of(uint32_t seq) const { return int64_t(next_off_) + int32_t(seq - next_seq_); }
  void deliver(TcpContext& c, Flow& f, Dir d, const uint8_t* data, uint64_t len, const Packet& trigger);
  void deliver_pending(TcpContext& c, Flow& f, Dir d, const Packet& trigger);
  void gap(TcpContext& c, Flow& f, Dir d, uint64_t len, const Packet& trigger);
  void fill_to(TcpContext& c, Flow& f, Dir d, uint64_t off, const Packet& trigger);
  void maybe_end(TcpContext& c, Flow& f, Dir d, const Packet* trigger);
  bool compare_retained(uint64_t off, const uint8_t* data, uint64_t len) const;
  bool insert_pending(TcpContext& c, uint64_t off, const uint8_t* data, uint64_t len, bool* overlapped,
                      bool* differs);
  void retain(TcpContext& c, uint64_t off, const uint8_t* data, uint64_t len);
  void retain_chunk(SegmentPool& pool, Segment* s);
  void prune_retained(SegmentPool& pool, uint64_t upto);
  void reached_depth(TcpContext& c, Flow& f, Dir d);

  bool init_ = false, fin_ = false, ended_ = false, depth_reached_ = false;
  uint32_t next_seq_ = 0, fin_seq_ = 0;
  uint64_t next_off_ = 0, fin_off_ = 0;
  Segment* pending_ = nullptr;   // sorted, disjoint, every chunk beyond next_off_
  Segment* retained_ = nullptr;  // delivered chunks, oldest first
  Segment* retained_tail_ = nullptr;
  uint64_t retained_bytes_ = 0;
};

}  // namespace vigil
