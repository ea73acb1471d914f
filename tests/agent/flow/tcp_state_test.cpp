#include <catch2/catch.hpp>

#include "tests/agent/flow/flow_test_util.h"

using namespace vigil;
using namespace vigil::flowtest;

namespace {
constexpr Dir TS = Dir::kToServer;
constexpr Dir TC = Dir::kToClient;
}  // namespace

TEST_CASE("transition function: handshake", "[flow][tcp][state]") {
  CHECK(tcp_transition(TcpState::kNone, TcpEvent::kSyn, TS) == TcpState::kSynSent);
  CHECK(tcp_transition(TcpState::kNone, TcpEvent::kSynAck, TC) == TcpState::kSynRecv);
  CHECK(tcp_transition(TcpState::kSynSent, TcpEvent::kSynAck, TC) == TcpState::kSynRecv);
  CHECK(tcp_transition(TcpState::kSynSent, TcpEvent::kSyn, TS) == TcpState::kSynSent);
  CHECK(tcp_transition(TcpState::kSynRecv, TcpEvent::kAck, TS) == TcpState::kEstablished);
  CHECK(tcp_transition(TcpState::kSynRecv, TcpEvent::kAck, TC) == TcpState::kSynRecv);
  CHECK(tcp_transition(TcpState::kSynRecv, TcpEvent::kFin, TS) == TcpState::kFinWait1);
}

TEST_CASE("transition function: closing sequences", "[flow][tcp][state]") {
  // Client closes first.
  CHECK(tcp_transition(TcpState::kEstablished, TcpEvent::kFin, TS) == TcpState::kFinWait1);
  CHECK(tcp_transition(TcpState::kFinWait1, TcpEvent::kAck, TC) == TcpState::kFinWait1);
  CHECK(tcp_transition(TcpState::kFinWait1, TcpEvent::kAckOfFin, TC) == TcpState::kFinWait2);
  CHECK(tcp_transition(TcpState::kFinWait1, TcpEvent::kFinAckOfFin, TC) == TcpState::kTimeWait);
  CHECK(tcp_transition(TcpState::kFinWait2, TcpEvent::kFinAckOfFin, TC) == TcpState::kTimeWait);
  CHECK(tcp_transition(TcpState::kTimeWait, TcpEvent::kAckOfFin, TS) == TcpState::kClosed);
  // Simultaneous close.
  CHECK(tcp_transition(TcpState::kFinWait1, TcpEvent::kFin, TC) == TcpState::kClosing);
  CHECK(tcp_transition(TcpState::kClosing, TcpEvent::kAckOfFin, TS) == TcpState::kTimeWait);
  // Server closes first.
  CHECK(tcp_transition(TcpState::kEstablished, TcpEvent::kFin, TC) == TcpState::kCloseWait);
  CHECK(tcp_transition(TcpState::kCloseWait, TcpEvent::kAck, TS) == TcpState::kCloseWait);
  CHECK(tcp_transition(TcpState::kCloseWait, TcpEvent::kFinAckOfFin, TS) == TcpState::kLastAck);
  CHECK(tcp_transition(TcpState::kLastAck, TcpEvent::kAckOfFin, TC) == TcpState::kClosed);
  // RST from anywhere.
  for (int s = 0; s <= int(TcpState::kClosed); ++s) {
    CHECK(tcp_transition(TcpState(s), TcpEvent::kRst, TS) == TcpState::kClosed);
  }
  CHECK(tcp_transition(TcpState::kClosed, TcpEvent::kSyn, TS) == TcpState::kClosed);
}

TEST_CASE("state names are Suricata's", "[flow][tcp][state]") {
  CHECK(tcp_state_name(TcpState::kNone) == "new");
  CHECK(tcp_state_name(TcpState::kSynSent) == "syn_sent");
  CHECK(tcp_state_name(TcpState::kSynRecv) == "syn_recv");
  CHECK(tcp_state_name(TcpState::kEstablished) == "established");
  CHECK(tcp_state_name(TcpState::kFinWait1) == "fin_wait1");
  CHECK(tcp_state_name(TcpState::kFinWait2) == "fin_wait2");
  CHECK(tcp_state_name(TcpState::kTimeWait) == "time_wait");
  CHECK(tcp_state_name(TcpState::kLastAck) == "last_ack");
  CHECK(tcp_state_name(TcpState::kCloseWait) == "close_wait");
  CHECK(tcp_state_name(TcpState::kClosing) == "closing");
  CHECK(tcp_state_name(TcpState::kClosed) == "closed");
  CHECK(flow_state_name(FlowState::kNew) == "new");
  CHECK(flow_state_name(FlowState::kEstablished) == "established");
  CHECK(flow_state_name(FlowState::kClosed) == "closed");
}

TEST_CASE("server closes first: close_wait, last_ack, closed", "[flow][tcp][state]") {
  Harness h;
  Flow* f = h.handshake();
  h.send(h.tcp(false, 5001, 1001, kPA, "bye"));
  h.send(h.tcp(false, 5004, 1001, kFA));
  CHECK(f->tcp->state() == TcpState::kCloseWait);
  CHECK(f->state == FlowState::kEstablished);
  CHECK(h.rec.ends[1] == 1);
  h.send(h.tcp(true, 1001, 5005, kFA));
  CHECK(f->tcp->state() == TcpState::kLastAck);
  CHECK(f->state == FlowState::kClosed);
  h.send(h.tcp(false, 5005, 1002, kTcpAck));
  CHECK(f->tcp->state() == TcpState::kClosed);
  CHECK(h.rec.ends[0] == 1);
  CHECK(h.tc() == "bye");
  CHECK(flow_tcp_state_name(*f) == "closed");
  Flow* u = h.send(h.udp(true));
  CHECK(flow_tcp_state_name(*u).empty());
}

TEST_CASE("simultaneous close passes through closing", "[flow][tcp][state]") {
  Harness h;
  Flow* f = h.handshake();
  h.send(h.tcp(true, 1001, 5001, kFA));
  h.send(h.tcp(false, 5001, 1001, kFA));  // does not acknowledge the client's FIN
  CHECK(f->tcp->state() == TcpState::kClosing);
  h.send(h.tcp(true, 1002, 5002, kTcpAck));
  CHECK(f->tcp->state() == TcpState::kTimeWait);
}

TEST_CASE("a lost SYN/ACK does not stop the session", "[flow][tcp][state]") {
  Harness h;
  Flow* f = h.send(h.tcp(true, 1000, 0, kTcpSyn));
  h.send(h.tcp(true, 1001, 5001, kPA, "req"));
  CHECK(f->tcp->state() == TcpState::kEstablished);
  h.send(h.tcp(false, 5001, 1004, kPA, "resp"));
  CHECK(h.ts() == "req");
  CHECK(h.tc() == "resp");
}
