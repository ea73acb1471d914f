// `vigil-agent status`: a running agent with a state directory answers on
// STATE_DIR/status.sock, a unix stream socket of mode 0600 owned by the
// agent's user (root may always connect), with one JSON document (capture,
// detection, rules, uplink, spool) and closes the connection. Nothing is read
// from the client. The socket file is removed when the agent stops.
//
// Threading: the server answers on its own thread, which takes no signals;
// the source function is called there.
#pragma once

#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace vigil {

std::string status_socket_path(const std::string& state_dir);

class StatusServer {
 public:
  // Binds `path` (a stale socket file from an earlier run is replaced),
  // mode 0600, and starts answering. Null and *error on failure.
  static std::unique_ptr<StatusServer> start(const std::string& path, std::function<nlohmann::json()> source,
                                             std::string* error);
  ~StatusServer();
  StatusServer(const StatusServer&) = delete;
  StatusServer& operator=(const StatusServer&) = delete;

 private:
  StatusServer() = default;
  void serve();
  std::string path_;
  int fd_ = -1;
  std::function<nlohmann::json()> source_;
  std::thread th_;
};

// The client: the agent's answer, or false and *error (saying what to check).
bool query_status(const std::string& path, nlohmann::json* out, std::string* error);
// The answer as lines for a person.
std::string format_status(const nlohmann::json& s);

}  // namespace vigil
