// The agent's enrolment state (STATE_DIR/agent.json, mode 0600): its id, its
// per-agent key, the collector's URL and how the collector's certificate is
// verified (a CA file copied into the state directory, or a pinned SHA-256
// fingerprint of the server certificate). Written once by `enroll`, read at
// start-up by Uplink::open. Not on the packet path.
#pragma once

#include <memory>
#include <string>

namespace httplib {
class SSLClient;
}

namespace vigil {

struct AgentState {
  std::string agent_id, key, collector_url, ca_file, pin;
  std::string hostname;  // the name given at enrolment
  std::string bearer() const { return agent_id + "." + key; }
};

// False + *error when the file is missing or malformed.
bool load_agent_state(const std::string& state_dir, AgentState* st, std::string* error);
// Atomic (write + fsync + rename), mode 0600.
bool save_agent_state(const std::string& state_dir, const AgentState& st, std::string* error);

// An HTTPS client for the collector that verifies its certificate with the
// CA file or the pin (never unverified). Timeouts suit the uplink: a dead
// collector costs a few seconds of the uplink thread, never a worker.
// The client owns everything it needs (the pin lives in its SSL_CTX).
std::unique_ptr<httplib::SSLClient> make_collector_client(const std::string& url, const std::string& ca_file,
                                                          const std::string& pin, std::string* error);

// After a request on `cli` failed with httplib error `error` (httplib::Error
// as int): why the collector's certificate was refused, or "" when the
// failure was not about the certificate (the pin did not match, or the
// certificate does not verify against the enrolment CA).
std::string certificate_mismatch(const httplib::SSLClient& cli, int error);

}  // namespace vigil
