// The transports: syslog over UDP, TCP (RFC 6587 octet counting) and TLS
// (RFC 5425, OpenSSL, receiver verified), and an HTTP(S) JSON POST webhook
// (cpp-httplib, the client the rule-source downloads use).
#pragma once

#include <memory>

#include "collector/forward/output.h"

namespace vigil::collector::forward {

// The sender for cfg.type; null + *error when the configuration cannot work
// (an unresolvable address is not such an error: it is retried).
std::unique_ptr<Sender> make_sender(const OutputConfig& cfg, std::string* error);

}  // namespace vigil::collector::forward
