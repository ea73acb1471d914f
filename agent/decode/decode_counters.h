// Counters of the decode stage (link layers, IP, transport, defrag), one
// instance per worker's Decoder, declared once here so names and fields
// cannot drift.
//
// Three families, kept apart on purpose:
//   decoder.<proto>            plain protocol counts (well-formed traffic)
//   decoder.event.<layer>.<x>  anomalies: malformed input, named by Suricata's
//                              event names where one exists. Well-formed
//                              traffic must leave every one of them at zero.
//   <proto>.invalid_checksum   checksum failures (only when checksums are
//                              checked). Not under "decoder.<proto>." because
//                              "decoder.tcp" is itself a value and the stats
//                              event nests names by their dots; not under
//                              "decoder.event." because offloaded checksums
//                              make them common on healthy hosts.
//   defrag.*                   IP reassembly activity and its caps.
#pragma once

#include "common/counters.h"

#define VIGIL_DECODE_COUNTERS(X)                                            \
  X(pkts, "decoder.pkts")                                                   \
  X(bytes, "decoder.bytes")                                                 \
  X(invalid, "decoder.invalid")                                             \
  X(ethernet, "decoder.ethernet")                                           \
  X(vlan, "decoder.vlan")                                                   \
  X(vlan_qinq, "decoder.vlan_qinq")                                         \
  X(sll, "decoder.sll")                                                     \
  X(sll2, "decoder.sll2")                                                   \
  X(raw, "decoder.raw")                                                     \
  X(null, "decoder.null")                                                   \
  X(ppp, "decoder.ppp")                                                     \
  X(ppp_other, "decoder.ppp_non_ip")                                        \
  X(pppoe, "decoder.pppoe")                                                 \
  X(chdlc, "decoder.chdlc")                                                 \
  X(ipv4, "decoder.ipv4")                                                   \
  X(ipv6, "decoder.ipv6")                                                   \
  X(tcp, "decoder.tcp")                                                     \
  X(udp, "decoder.udp")                                                     \
  X(icmpv4, "decoder.icmpv4")                                               \
  X(icmpv6, "decoder.icmpv6")                                               \
  X(arp, "decoder.arp")                                                     \
  X(unknown_ethertype, "decoder.unknown_ethertype")                         \
  X(other_ip_proto, "decoder.other_ip_proto")                               \
  /* tunnels */                                                             \
  X(gre, "decoder.gre")                                                     \
  X(pptp, "decoder.pptp")                                                   \
  X(gre_other, "decoder.gre_unknown_payload")                               \
  X(erspan, "decoder.erspan")                                               \
  X(vxlan, "decoder.vxlan")                                                 \
  X(geneve, "decoder.geneve")                                               \
  X(teredo, "decoder.teredo")                                               \
  X(ipv4_in_ipv4, "decoder.ipv4_in_ipv4")                                   \
  X(ipv6_in_ipv4, "decoder.ipv6_in_ipv4")                                   \
  X(ipv4_in_ipv6, "decoder.ipv4_in_ipv6")                                   \
  X(ipv6_in_ipv6, "decoder.ipv6_in_ipv6")                                   \
  /* link layer anomalies */                                                \
  X(ev_link_unsupported, "decoder.event.link.unsupported_linktype")         \
  X(ev_eth_small, "decoder.event.ethernet.pkt_too_small")                   \
  X(ev_vlan_small, "decoder.event.vlan.header_too_small")                   \
  X(ev_vlan_too_many, "decoder.event.vlan.too_many_layers")                 \
  X(ev_sll_small, "decoder.event.sll.pkt_too_small")                        \
  X(ev_sll2_small, "decoder.event.sll2.pkt_too_small")                      \
  X(ev_null_small, "decoder.event.null.pkt_too_small")                      \
  X(ev_null_type, "decoder.event.null.unsupported_type")                    \
  X(ev_raw_version, "decoder.event.ipraw.invalid_ip_version")               \
  X(ev_ppp_small, "decoder.event.ppp.pkt_too_small")                        \
  X(ev_pppoe_small, "decoder.event.pppoe.pkt_too_small")                    \
  X(ev_pppoe_malformed, "decoder.event.pppoe.malformed")                    \
  X(ev_chdlc_small, "decoder.event.chdlc.pkt_too_small")                    \
  /* IPv4 */                                                                \
  X(ev_ipv4_small, "decoder.event.ipv4.pkt_too_small")                      \
  X(ev_ipv4_hlen_small, "decoder.event.ipv4.hlen_too_small")                \
  X(ev_ipv4_iplen_small, "decoder.event.ipv4.iplen_smaller_than_hlen")      \
  X(ev_ipv4_trunc, "decoder.event.ipv4.trunc_pkt")                          \
  X(ev_ipv4_version, "decoder.event.ipv4.wrong_ip_version")                 \
  X(ev_ipv4_opt_invalid, "decoder.event.ipv4.opt_invalid")                  \
  X(ev_ipv4_opt_malformed, "decoder.event.ipv4.opt_malformed")              \
  X(ev_ipv4_frag_too_large, "decoder.event.ipv4.frag_pkt_too_large")        \
  X(ev_ipv4_frag_len, "decoder.event.ipv4.frag_len_not_multiple_of_8")      \
  X(ev_ipv4_frag_end, "decoder.event.ipv4.frag_inconsistent_end")           \
  /* IPv6 */                                                                \
  X(ev_ipv6_small, "decoder.event.ipv6.pkt_too_small")                      \
  X(ev_ipv6_trunc, "decoder.event.ipv6.trunc_pkt")                          \
  X(ev_ipv6_version, "decoder.event.ipv6.wrong_ip_version")                 \
  X(ev_ipv6_exthdr_trunc, "decoder.event.ipv6.exthdr_trunc")                \
  X(ev_ipv6_exthdr_hh_order, "decoder.event.ipv6.exthdr_hopopts_not_first") \
  X(ev_ipv6_exthdr_dupl, "decoder.event.ipv6.exthdr_duplicate")             \
  X(ev_ipv6_exthdr_too_many, "decoder.event.ipv6.exthdr_too_many")          \
  X(ev_ipv6_exthdr_optlen, "decoder.event.ipv6.exthdr_invalid_optlen")      \
  X(ev_ipv6_frag_too_large, "decoder.event.ipv6.frag_pkt_too_large")        \
  X(ev_ipv6_frag_len, "decoder.event.ipv6.frag_len_not_multiple_of_8")      \
  X(ev_ipv6_frag_end, "decoder.event.ipv6.frag_inconsistent_end")           \
  X(ev_ipv6_frag_nested, "decoder.event.ipv6.frag_nested")                  \
  X(ev_icmpv6_over_v4, "decoder.event.icmpv6.over_ipv4")                    \
  /* transport */                                                           \
  X(ev_tcp_small, "decoder.event.tcp.pkt_too_small")                        \
  X(ev_tcp_hlen_small, "decoder.event.tcp.hlen_too_small")                  \
  X(ev_tcp_opt_len, "decoder.event.tcp.opt_invalid_len")                    \
  X(ev_tcp_opt_dupl, "decoder.event.tcp.opt_duplicate")                     \
  X(ev_udp_small, "decoder.event.udp.pkt_too_small")                        \
  X(ev_udp_hlen_small, "decoder.event.udp.hlen_too_small")                  \
  X(ev_udp_hlen_invalid, "decoder.event.udp.hlen_invalid")                  \
  X(ev_icmpv4_small, "decoder.event.icmpv4.pkt_too_small")                  \
  X(ev_icmpv4_type, "decoder.event.icmpv4.unknown_type")                    \
  X(ev_icmpv4_code, "decoder.event.icmpv4.unknown_code")                    \
  X(ev_icmpv4_inner_trunc, "decoder.event.icmpv4.ipv4_trunc_pkt")           \
  X(ev_icmpv4_inner_ver, "decoder.event.icmpv4.ipv4_unknown_ver")           \
  X(ev_icmpv6_small, "decoder.event.icmpv6.pkt_too_small")                  \
  X(ev_icmpv6_type, "decoder.event.icmpv6.unknown_type")                    \
  /* tunnels */                                                             \
  X(ev_tunnel_depth, "decoder.event.tunnel.too_many_layers")                \
  X(ev_gre_small, "decoder.event.gre.pkt_too_small")                        \
  X(ev_gre_version, "decoder.event.gre.wrong_version")                      \
  X(ev_gre_v0_recur, "decoder.event.gre.version0_recur")                    \
  X(ev_gre_v0_flags, "decoder.event.gre.version0_flags")                    \
  X(ev_gre_v0_hdr_big, "decoder.event.gre.version0_hdr_too_big")            \
  X(ev_gre_v0_sre, "decoder.event.gre.version0_malformed_sre_hdr")          \
  X(ev_gre_v1_chksum, "decoder.event.gre.version1_chksum")                  \
  X(ev_gre_v1_route, "decoder.event.gre.version1_route")                    \
  X(ev_gre_v1_recur, "decoder.event.gre.version1_recur")                    \
  X(ev_gre_v1_flags, "decoder.event.gre.version1_flags")                    \
  X(ev_gre_v1_no_key, "decoder.event.gre.version1_no_key")                  \
  X(ev_gre_v1_proto, "decoder.event.gre.version1_wrong_protocol")           \
  X(ev_gre_v1_hdr_big, "decoder.event.gre.version1_hdr_too_big")            \
  X(ev_erspan_small, "decoder.event.erspan.header_too_small")               \
  X(ev_erspan_version, "decoder.event.erspan.unsupported_version")          \
  X(ev_erspan_vlan, "decoder.event.erspan.too_many_vlan_layers")            \
  X(ev_erspan_frame, "decoder.event.erspan.unsupported_frame_type")         \
  X(ev_vxlan_small, "decoder.event.vxlan.pkt_too_small")                    \
  X(ev_vxlan_flags, "decoder.event.vxlan.invalid_flags")                    \
  X(ev_vxlan_payload, "decoder.event.vxlan.unknown_payload_type")           \
  X(ev_geneve_small, "decoder.event.geneve.pkt_too_small")                  \
  X(ev_geneve_version, "decoder.event.geneve.unknown_version")              \
  X(ev_geneve_opt_len, "decoder.event.geneve.invalid_opt_len")              \
  X(ev_geneve_payload, "decoder.event.geneve.unknown_payload_type")         \
  X(ev_ipip_small, "decoder.event.ipip.pkt_too_small")                      \
  X(ev_ipip_version, "decoder.event.ipip.wrong_ip_version")                 \
  /* checksums (only counted when checksum_checks) */                       \
  X(csum_ipv4, "ipv4.invalid_checksum")                                     \
  X(csum_tcp, "tcp.invalid_checksum")                                       \
  X(csum_udp, "udp.invalid_checksum")                                       \
  X(csum_icmpv4, "icmpv4.invalid_checksum")                                 \
  X(csum_icmpv6, "icmpv6.invalid_checksum")                                 \
  /* IP reassembly */                                                       \
  X(defrag_v4_frags, "defrag.ipv4.fragments")                               \
  X(defrag_v4_done, "defrag.ipv4.reassembled")                              \
  X(defrag_v6_frags, "defrag.ipv6.fragments")                               \
  X(defrag_v6_done, "defrag.ipv6.reassembled")                              \
  X(defrag_max_trackers, "defrag.max_trackers_reached")                     \
  X(defrag_memcap, "defrag.memcap_exceeded")                                \
  X(defrag_timeouts, "defrag.timeouts")                                     \
  X(defrag_overlap, "defrag.overlap")

namespace vigil {
VIGIL_DECLARE_COUNTERS(DecodeCounters, VIGIL_DECODE_COUNTERS)
}  // namespace vigil
