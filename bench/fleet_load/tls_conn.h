// One HTTPS/1.1 keep-alive client connection of the load tool, from a chosen
// source address, driven by coroutines on one io_context thread.
//
// Promises: every operation ends within its timeout; errors come back as
// values (never exceptions); a connection that failed once is not reused
// (make a new TlsConn). The server is verified against the CA file given to
// the ssl::context and the URL's host (IP address or name).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "bench/fleet_load/fleet.h"

namespace vigil::fleet {

struct HttpResult {
  bool transport_ok = false;  // false: connection error or timeout (see error)
  int status = 0;
  bool keep_alive = false;  // false: the server closes after this answer
  std::string body, error;
};

class TlsConn {
 public:
  TlsConn(asio::any_io_executor ex, asio::ssl::context& tls, const std::string& host);
  ~TlsConn();
  TlsConn(const TlsConn&) = delete;
  TlsConn& operator=(const TlsConn&) = delete;

  // TCP connect from `source` (port 0) and TLS handshake. Empty on success,
  // else what failed.
  asio::awaitable<std::string> open(tcp::endpoint server, asio::ip::address source, double timeout_s);
  // One request and its whole answer. `bearer` empty: no Authorization;
  // `gzip`: the body is already gzip-compressed (Content-Encoding: gzip).
  asio::awaitable<HttpResult> request(bool post, std::string_view target, std::string_view bearer,
                                      std::string body, bool gzip, double timeout_s);
  // Writes raw bytes inside the TLS session (hostile "one byte a second").
  asio::awaitable<bool> write_raw(std::string_view bytes, double timeout_s);
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace vigil::fleet
