// Protocol detection from the first bytes of a direction (ports are only a
// hint: HTTP on 8080 and TLS on 4443 are found by content).
//
// Pure functions, callable from any thread; they read `b` only during the call.
#pragma once

#include <cstdint>

#include "common/app_proto.h"
#include "common/inspect.h"
#include "common/packet.h"

namespace vigil {

struct DetectResult {
  AppProto proto = AppProto::kUnknown;  // kUnknown with need_more=false: no match
  bool need_more = false;               // a match is still possible with more bytes
};

// TCP: `b` holds the first bytes of direction d; sp/dp are the flow's client
// and server ports.
DetectResult detect_tcp(Bytes b, Dir d, uint16_t client_port, uint16_t server_port);
// UDP: one datagram.
DetectResult detect_udp(Bytes b, Dir d, uint16_t client_port, uint16_t server_port);

// True when b starts with a plausible DNS message: header, then `qdcount`
// well-formed questions (no pointers needed). Used by both detectors.
bool dns_looks_valid(Bytes b, bool strict);

}  // namespace vigil
