// The agent's Prometheus endpoint (agent config metrics.listen, default off):
// a tiny plain-HTTP listener on ADDR:PORT that answers GET /metrics with the
// text the source function gives (the counters of `vigil-agent status` and
// the stats event, common/prometheus.h) and 404 to anything else. One
// request per connection, answered on one thread, the head at most 8 KiB
// (431 past it) and read within 5 s; then the connection is closed.
// No TLS and no credentials: bind it to loopback or a management address.
//
// bind() runs before the agent drops its privileges (a port below 1024 needs
// root), start() after, once what the source reads exists.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace vigil {

class MetricsListener {
 public:
  // "ADDR:PORT" (IPv4, or [IPv6]:PORT), numeric, port 1..65535: "" when
  // good, else what is wrong (also the config key's check).
  static std::string check_listen(const std::string& listen);
  // Binds and listens. Null and *error on failure.
  static std::unique_ptr<MetricsListener> bind(const std::string& listen, std::string* error);
  // Answers on its own thread (which takes no signals) from now on.
  void start(std::function<std::string()> source);
  int port() const { return port_; }
  ~MetricsListener();
  MetricsListener(const MetricsListener&) = delete;
  MetricsListener& operator=(const MetricsListener&) = delete;

 private:
  MetricsListener() = default;
  void serve();
  void answer(int fd);
  int fd_ = -1;
  int port_ = 0;
  std::function<std::string()> source_;
  std::thread th_;
};

}  // namespace vigil
