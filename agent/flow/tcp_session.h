// TcpSession: TCP connection state (one explicit state machine, one transition
// function) and the two reassembled directions (tcp_stream.h) of a TCP flow.
// Created and driven by FlowTable on the flow's worker thread; lives in
// Flow::tcp until the flow ends.
//
// States and their names are Suricata's, so EVE flow events read the same.
// They are named from the client's side: fin_wait1 = the client closed first,
// close_wait = the server closed first. RST closes at once (its sequence
// number is not checked against the window).
#pragma once

#include <cstdint>
#include <string_view>

#include "agent/flow/tcp_stream.h"

namespace vigil {

enum class TcpState : uint8_t {
  kNone,  // "new": nothing usable seen yet
  kSynSent,
  kSynRecv,
  kEstablished,
  kFinWait1,
  kFinWait2,
  kTimeWait,
  kLastAck,
  kCloseWait,
  kClosing,
  kClosed,
};

// What a packet means for the state machine, derived from its flags and from
// what it acknowledges.
enum class TcpEvent : uint8_t {
  kSyn,          // SYN without ACK
  kSynAck,       // SYN with ACK
  kAck,          // anything else without FIN that does not acknowledge a FIN
  kAckOfFin,     // acknowledges the peer's FIN
  kFin,          // FIN that does not acknowledge the peer's FIN
  kFinAckOfFin,  // FIN that also acknowledges the peer's FIN
  kRst,
};

// The one transition function. `d` is the direction of the packet.
TcpState tcp_transition(TcpState s, TcpEvent e, Dir d);

// "new", "syn_sent", ..., "closed".
std::string_view tcp_state_name(TcpState s);

// EVE's tcp.state for a flow: its session's state name, "" for non-TCP flows.
std::string_view flow_tcp_state_name(const Flow& f);

// Flow life phase for timeouts: new until the handshake completes, closed once
// both sides have sent FIN (or RST), established in between.
FlowState tcp_flow_state(TcpState s);

class TcpSession {
 public:
  TcpState state() const { return state_; }
  // True when the session was picked up without seeing its handshake.
  bool midstream() const { return midstream_; }
  // True once state tracking has started (SYN, SYN/ACK or midstream pickup).
  bool started() const { return state_ != TcpState::kNone; }
  const TcpStream& stream(Dir d) const { return streams_[int(d)]; }

  // Handles one packet of this flow in direction d (p.to_server already set).
  // Packets with a bad checksum (when checked) are ignored and counted.
  void on_packet(TcpContext& c, Flow& f, const Packet& p, Dir d);

  // Flow end: flushes both directions (data, gaps, end). trigger_ts/tc are
  // pseudo packets for the two directions; the end callbacks get nullptr.
  void flush(TcpContext& c, Flow& f, const Packet& trigger_ts, const Packet& trigger_tc);

  // Back to a fresh session, its chunks returned to the pool (for reuse).
  void reset(SegmentPool& pool);

 private:
  bool start(TcpContext& c, const Packet& p, Dir d);
  TcpEvent classify(const Packet& p, Dir d) const;

  TcpState state_ = TcpState::kNone;
  bool midstream_ = false;
  TcpStream streams_[2];
};

}  // namespace vigil
