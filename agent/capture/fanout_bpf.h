// Kernel fan-out of a live capture over the workers (Linux PACKET_FANOUT).
//
// With capture.fanout "kernel" every worker opens its own packet socket on
// the interface and all of them join one fan-out group: the kernel hands each
// packet to one socket, chosen by the classic BPF program below, so no reader
// thread copies packets between threads.
//
// The program must keep the property the reader's user-space fan-out keeps
// (agent/decode/fanout.cpp): the events do not depend on the number of
// workers. So it returns a value that depends only on what every packet of a
// flow shares in both directions:
//   - IPv4 and IPv6: the unordered pair of addresses (a sum of one mix per
//     address word, so swapping source and destination changes nothing), and
//     the VLAN ids. Ports are left out, so that fragments, which have none
//     after the first, follow their datagram, and an FTP data connection
//     meets its control connection.
//   - ICMP errors (ICMPv4 3, 4, 5, 11, 12; ICMPv6 1-4) that quote a flow, as
//     parse_icmp_quote (agent/decode/icmp_quote.h) decides it, byte for byte:
//     the quoted pair, so the error reaches the worker of the flow it is
//     about. IPv6 hop-by-hop, routing and destination options headers are
//     walked up to eight deep before the ICMPv6 header, as the reader does.
//   - Tunnels are not opened: the outer pair is the same for both directions
//     of every inner flow.
//   - Anything else (ARP, PPPoE, ...) returns 0: one worker.
// Offsets are taken from the kernel's network header (SKF_NET_OFF), which is
// right for received and sent packets alike, and the VLAN tag from the
// packet's metadata (the kernel strips the outer tag before the fan-out);
// one inner tag left in the packet (QinQ) is read from the packet.
//
// Threading: pure functions; join_fanout_group runs on the opening thread.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vigil {

// The program, with its jumps resolved. Empty only on an internal error (a
// jump that cannot be encoded), which tests/agent/capture/fanout_bpf_test.cpp
// rules out.
std::vector<sock_filter> fanout_bpf_program();

// Joins the packet socket `fd` to fan-out group *group with the program.
// *group unset: a new group with an id the kernel picks (0 is one), written
// back. Returns "" or a message a person can act on.
std::string join_fanout_group(int fd, std::optional<uint16_t>* group);

}  // namespace vigil
