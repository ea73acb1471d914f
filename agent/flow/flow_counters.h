// FlowCounters: the flow table's and TCP stream engine's counters, declared once
// (common/counters.h). One instance per FlowTable (per worker); TcpSession bumps
// the tcp.* ones through the TcpContext it is handed, so there is no global state.
#pragma once

#include "common/counters.h"

#define VIGIL_FLOW_COUNTERS(X)                                    \
  X(flow_total, "flow.total")                                     \
  X(flow_tcp, "flow.tcp")                                         \
  X(flow_udp, "flow.udp")                                         \
  X(flow_icmpv4, "flow.icmpv4")                                   \
  X(flow_icmpv6, "flow.icmpv6")                                   \
  X(flow_other, "flow.other")                                     \
  X(flow_memcap_refused, "flow.memcap_refused")                   \
  X(flow_end_timeout, "flow.end.timeout")                         \
  X(flow_end_shutdown, "flow.end.shutdown")                       \
  X(flow_end_forced, "flow.end.forced")                           \
  X(tcp_sessions, "tcp.sessions")                                 \
  X(tcp_syn, "tcp.syn")                                           \
  X(tcp_synack, "tcp.synack")                                     \
  X(tcp_rst, "tcp.rst")                                           \
  X(tcp_fin, "tcp.fin")                                           \
  X(tcp_midstream_pickups, "tcp.midstream_pickups")               \
  X(tcp_invalid_checksum, "tcp.invalid_checksum")                 \
  X(tcp_pkt_on_closed, "tcp.pkt_on_closed")                       \
  X(tcp_no_session, "tcp.pkt_without_session")                    \
  X(tcp_reassembly_gap, "tcp.reassembly_gap")                     \
  X(tcp_reassembly_depth_reached, "tcp.reassembly_depth_reached") \
  X(tcp_segment_memcap_drop, "tcp.segment_memcap_drop")           \
  X(tcp_seq_out_of_window, "tcp.seq_out_of_window")               \
  X(tcp_overlap, "tcp.overlap")                                   \
  X(tcp_overlap_diff_data, "tcp.overlap_diff_data")               \
  X(tcp_ooo_segments, "tcp.ooo_segments")                         \
  X(tcp_retransmissions, "tcp.retransmissions")                   \
  X(tcp_ssn_reuse, "tcp.ssn_reuse")

namespace vigil {

VIGIL_DECLARE_COUNTERS(FlowCounters, VIGIL_FLOW_COUNTERS)

}  // namespace vigil
