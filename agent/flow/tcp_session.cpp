#include "agent/flow/tcp_session.h"

namespace vigil {

namespace {

Dir other(Dir d) {
  return d == Dir::kToServer ? Dir::kToClient : Dir::kToServer;
}

bool is_fin(TcpEvent e) {
  return e == TcpEvent::kFin || e == TcpEvent::kFinAckOfFin;
}

}  // namespace

TcpState tcp_transition(TcpState s, TcpEvent e, Dir d) {
  using S = TcpState;
  using E = TcpEvent;
  const bool ts = d == Dir::kToServer;
  if (e == E::kRst) return S::kClosed;
  switch (s) {
    case S::kNone:
      if (e == E::kSyn && ts) return S::kSynSent;
      if (e == E::kSynAck && !ts) return S::kSynRecv;
      return s;
    case S::kSynSent:
      if (e == E::kSynAck && !ts) return S::kSynRecv;
      // The SYN/ACK was lost before the sensor but the client goes on.
      if (e == E::kAck && ts) return S::kEstablished;
      return s;
    case S::kSynRecv:
      if (e == E::kAck && ts) return S::kEstablished;
      if (is_fin(e)) return ts ? S::kFinWait1 : S::kCloseWait;
      return s;
    case S::kEstablished:
      if (is_fin(e)) return ts ? S::kFinWait1 : S::kCloseWait;
      return s;
    case S::kFinWait1:  // the client has sent FIN
      if (ts) return s;
      if (e == E::kAckOfFin) return S::kFinWait2;
      if (e == E::kFinAckOfFin) return S::kTimeWait;
      if (e == E::kFin) return S::kClosing;
      return s;
    case S::kFinWait2:
      if (!ts && is_fin(e)) return S::kTimeWait;
      return s;
    case S::kCloseWait:  // the server has sent FIN
      if (ts && is_fin(e)) return S::kLastAck;
      return s;
    case S::kClosing:
      if (e == E::kAckOfFin || e == E::kFinAckOfFin) return S::kTimeWait;
      return s;
    case S::kLastAck:
      if (!ts && (e == E::kAckOfFin || e == E::kFinAckOfFin)) return S::kClosed;
      return s;
    case S::kTimeWait:
      if (e == E::kAckOfFin) return S::kClosed;
      return s;
    case S::kClosed:
      return s;
  }
  return s;
}

std::string_view tcp_state_name(TcpState s) {
  switch (s) {
    case TcpState::kNone:
      return "new";
    case TcpState::kSynSent:
      return "syn_sent";
    case TcpState::kSynRecv:
      return "syn_recv";
    case TcpState::kEstablished:
      return "established";
    case TcpState::kFinWait1:
      return "fin_wait1";
    case TcpState::kFinWait2:
      return "fin_wait2";
    case TcpState::kTimeWait:
      return "time_wait";
    case TcpState::kLastAck:
      return "last_ack";
    case TcpState::kCloseWait:
      return "close_wait";
    case TcpState::kClosing:
      return "closing";
    case TcpState::kClosed:
      return "closed";
  }
  return "unknown";
}

std::string_view flow_tcp_state_name(const Flow& f) {
  return f.tcp ? tcp_state_name(f.tcp->state()) : std::string_view();
}

FlowState tcp_flow_state(TcpState s) {
  switch (s) {
    case TcpState::kNone:
    case TcpState::kSynSent:
    case TcpState::kSynRecv:
      return FlowState::kNew;
    case TcpState::kEstablished:
    case TcpState::kFinWait1:
    case TcpState::kFinWait2:
    case TcpState::kCloseWait:
      return FlowState::kEstablished;
    case TcpState::kClosing:
    case TcpState::kLastAck:
    case TcpState::kTimeWait:
    case TcpState::kClosed:
      return FlowState::kClosed;
  }
  return FlowState::kNew;
}

TcpEvent TcpSession::classify(const Packet& p, Dir d) const {
  const uint8_t fl = p.tcp.flags;
  if (fl & kTcpRst) return TcpEvent::kRst;
  if (fl & kTcpSyn) return (fl & kTcpAck) ? TcpEvent::kSynAck : TcpEvent::kSyn;
  const TcpStream& peer = streams_[int(other(d))];
  // Serial-number comparison: ack is beyond the peer's FIN.
  const bool acks_fin = (fl & kTcpAck) && peer.fin_seen() && int32_t(p.tcp.ack - (peer.fin_seq() + 1)) >= 0;
  if (fl & kTcpFin) return acks_fin ? TcpEvent::kFinAckOfFin : TcpEvent::kFin;
  return acks_fin ? TcpEvent::kAckOfFin : TcpEvent::kAck;
}

// Starts tracking on the first usable packet; false when the packet cannot
// start a session (midstream pickup disabled, or RST).
bool TcpSession::start(TcpContext& c, const Packet& p, Dir d) {
  const uint8_t fl = p.tcp.flags;
  TcpStream& me = streams_[int(d)];
  TcpStream& peer = streams_[int(other(d))];
  if (fl & kTcpRst) return false;
  if ((fl & kTcpSyn) && !(fl & kTcpAck) && d == Dir::kToServer) {
    me.init(p.tcp.seq + 1);
  } else if ((fl & kTcpSyn) && (fl & kTcpAck) && d == Dir::kToClient && c.cfg.midstream) {
    // SYN/ACK first: the client's SYN was not seen, its ISN is ack - 1. Like
    // Suricata, that is a (late) pickup and needs midstream allowed.
    me.init(p.tcp.seq + 1);
    peer.init(p.tcp.ack);
  } else if (c.cfg.midstream && !(fl & kTcpSyn)) {
    me.init(p.tcp.seq);
    if (fl & kTcpAck) peer.init(p.tcp.ack);
    midstream_ = true;
    state_ = TcpState::kEstablished;
    c.ctr.tcp_midstream_pickups++;
  } else {
    return false;
  }
  c.ctr.tcp_sessions++;
  return true;
}

void TcpSession::on_packet(TcpContext& c, Flow& f, const Packet& p, Dir d) {
  if (c.cfg.checksum_checks && p.l4_csum_bad) {
    c.ctr.tcp_invalid_checksum++;
    return;
  }
  const uint8_t fl = p.tcp.flags;
  if ((fl & kTcpSyn) && (fl & kTcpAck)) {
    c.ctr.tcp_synack++;
  } else if (fl & kTcpSyn) {
    c.ctr.tcp_syn++;
  }
  if (fl & kTcpRst) c.ctr.tcp_rst++;
  if (fl & kTcpFin) c.ctr.tcp_fin++;

  if (state_ == TcpState::kClosed) {
    c.ctr.tcp_pkt_on_closed++;
    return;
  }
  if (state_ == TcpState::kNone && !start(c, p, d)) {
    if (fl & kTcpRst) {
      state_ = TcpState::kClosed;
    } else {
      c.ctr.tcp_no_session++;
    }
    return;
  }

  TcpStream& me = streams_[int(d)];
  TcpStream& peer = streams_[int(other(d))];
  // A side first heard from now (the server after a midstream pickup or a
  // lost SYN/ACK) starts at its first sequence number. A SYN or SYN/ACK
  // resent with a new ISN before any data replaces the old one.
  const bool fresh = me.next_offset() == 0 && me.pending_bytes() == 0;
  if (!me.initialized() || ((fl & kTcpSyn) && fresh && p.tcp.seq + 1 != me.next_seq() &&
                            (state_ == TcpState::kSynSent || state_ == TcpState::kSynRecv))) {
    me.init((fl & kTcpSyn) ? p.tcp.seq + 1 : p.tcp.seq);
  }

  const TcpEvent ev = classify(p, d);
  state_ = tcp_transition(state_, ev, d);

  // The SYN occupies one sequence number; data on a SYN follows it.
  const uint32_t data_seq = p.tcp.seq + ((fl & kTcpSyn) ? 1 : 0);
  // Keep-alive probes resend the last byte (or none) below the next expected
  // sequence number: not a retransmission worth counting or comparing.
  const bool keepalive =
      p.payload.size() <= 1 && !(fl & (kTcpSyn | kTcpFin | kTcpRst)) && p.tcp.seq == me.next_seq() - 1;
  if (!(fl & kTcpRst) && !keepalive) me.add_data(c, f, d, data_seq, p.payload, p);
  if ((fl & kTcpAck) && peer.initialized()) peer.on_peer_ack(c, f, other(d), p.tcp.ack, p);
  if (fl & kTcpFin) me.on_fin(c, f, d, data_seq + uint32_t(p.payload.size()), p);
  if (fl & kTcpRst) {
    // The connection is gone both ways: hand over what is buffered, then end.
    me.finish(c, f, d, p, &p);
    peer.finish(c, f, other(d), p, &p);
  }
}

void TcpSession::flush(TcpContext& c, Flow& f, const Packet& trigger_ts, const Packet& trigger_tc) {
  streams_[int(Dir::kToServer)].finish(c, f, Dir::kToServer, trigger_ts, nullptr);
  streams_[int(Dir::kToClient)].finish(c, f, Dir::kToClient, trigger_tc, nullptr);
}

void TcpSession::reset(SegmentPool& pool) {
  streams_[0].release(pool);
  streams_[1].release(pool);
  state_ = TcpState::kNone;
  midstream_ = false;
}

}  // namespace vigil
