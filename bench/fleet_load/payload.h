// The bodies the simulated agents send: a heartbeat shaped like the agent's
// (agent/uplink/heartbeat.cpp plus agent_glue.cpp's counters) and gzip
// batches of EVE alerts in the uplink's envelope
// {agent_id, batch_seq, events:[{uid, eve}]} (agent/uplink/uplink.cpp).
//
// Pure functions, callable from any thread.
#pragma once

#include <cstdint>
#include <string>

namespace vigil::fleet {

// A heartbeat of about the real agent's size: it sends every counter it has
// (about 210 in this version), so the body is some 8 KB of JSON.
std::string heartbeat_body(const std::string& hostname, uint64_t uptime_s, uint64_t batches_acked,
                           uint64_t alerts);

// `events` alerts in one batch, gzip-compressed. Event uids are 64 hex
// digits, unique for (nonce, agent, seq, i).
std::string batch_body_gzip(const std::string& agent_id, uint32_t agent_index, uint64_t seq, int events,
                            uint64_t nonce);

// gzip (RFC 1952) of `in`; empty on a zlib error.
std::string gzip(const std::string& in);

}  // namespace vigil::fleet
