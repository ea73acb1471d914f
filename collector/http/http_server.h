// The collector's event-driven HTTPS transport (Boost.Asio + Beast on
// OpenSSL): accepts connections, holds them open with keep-alive, reads each
// request's head first and asks the routes what to do with it before a byte
// of its body is read, then reads and decodes the body under the route's caps
// and answers with what the route returns.
//
// Threads: `limits.io_threads` threads run the event loop (all socket work;
// a connection's work is serialised on its strand, so tens of thousands of
// open connections cost memory, not threads). Route code (admit and handle)
// runs on a pool of `handler_threads` threads, never on the event loop, so a
// slow store call (an ingest fsync) holds one handler thread and no socket;
// its answer is posted back to the connection's strand.
//
// Promises: a refused request's body is never read (the answer is sent, the
// connection closed); no body is held past its route's caps, before or after
// gzip; every cap and timeout that fires is counted in HttpCounters; an
// exception from route code becomes a 500 {"error":"internal error"} and a
// log line, never a crash or a leaked message.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "collector/http/http_counters.h"
#include "collector/http/limits.h"
#include "collector/http/message.h"

namespace vigil::collector {

// What the routes decide from a request's head, on a handler thread.
struct Admission {
  // Set: answer this now and read no body (unknown path, refused credentials,
  // or a route that needs no body).
  std::optional<Response> answer;
  bool body_required = false;        // 411 when the request has neither Content-Length nor chunked
  uint64_t max_body = 64 << 10;      // bytes on the wire; 413 past it
  uint64_t max_inflated = 64 << 10;  // bytes after Content-Encoding: gzip; 413 past it
  // The route itself, called on a handler thread with the decoded body
  // (empty when the request has none). REQUIRES: set when `answer` is not.
  std::function<Response(const RequestHead&, std::string body)> handle;
};
using AdmitFn = std::function<Admission(const RequestHead&)>;

class HttpServer {
 public:
  HttpServer(HttpLimits limits, int handler_threads, AdmitFn admit, HttpCounters& counters);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Loads the certificate chain and key, raises RLIMIT_NOFILE to its hard
  // limit, binds and listens; false + *error when it cannot. Port 0: any free port.
  bool start(const std::string& host, int port, const std::string& cert_path, const std::string& key_path,
             std::string* error);
  int port() const;
  // Serves until stop(); then logs the counters.
  void run();
  // Thread-safe; in-flight handler calls finish, their answers are dropped.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Raises the soft RLIMIT_NOFILE to the hard limit (each connection is a
// descriptor). Returns the soft limit in force afterwards.
uint64_t raise_fd_limit();

}  // namespace vigil::collector
