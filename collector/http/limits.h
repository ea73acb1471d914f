// The limits and timeouts of the collector's HTTPS front door, with their
// defaults: one plain value, filled from collector.yaml's `server:` map by
// config.cpp, copied into the server at start and never changed afterwards.
//
// Why these numbers: agents heartbeat every 5 s over keep-alive (idle 60 s is
// twelve heartbeats), an agent's batch is at most a few MB (500 events), and
// the read API sends no bodies. A cap on the inflated size bounds what one
// gzip body can cost, whatever its compressed size.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace vigil::collector {

struct HttpLimits {
  int io_threads = 0;  // threads running the event loop; 0: one per core
  // Connections: more are accepted and closed at once (counted).
  int max_connections = 20000;
  int max_connections_per_ip = 2000;
  // Timeouts, seconds. head: from the first byte of a request (or the end of
  // the TLS handshake) to its last header line, in total; body: the whole
  // body, in total; idle: a keep-alive connection between requests.
  int handshake_timeout_s = 10;
  int head_timeout_s = 10;
  int body_timeout_s = 60;
  int idle_timeout_s = 60;
  int write_timeout_s = 30;
  // Sizes, bytes. max_body_* caps the bytes on the wire (Content-Length or
  // chunked); max_inflated_* caps a body after Content-Encoding: gzip.
  int64_t max_header_bytes = 16 << 10;
  int64_t max_body_events = 16ll << 20;
  int64_t max_inflated_events = 32ll << 20;
  int64_t max_body_ruleset = 64ll << 20;
  int64_t max_body_heartbeat = 64 << 10;
  int64_t max_body_other = 64 << 10;
};

// Sets the field named `key` (as above) from a configuration value; false +
// *why ("unknown key", "out of range") when it cannot.
bool set_http_limit(HttpLimits* l, std::string_view key, int64_t value, std::string* why);

}  // namespace vigil::collector
