#include "agent/metrics_listener.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <charconv>
#include <cstring>
#include <string_view>

#include "common/prometheus.h"

namespace vigil {
namespace {

constexpr size_t kMaxHead = 8192;

bool parse(const std::string& listen, sockaddr_storage* ss, socklen_t* len, std::string* why) {
  size_t colon = listen.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= listen.size()) {
    *why = "'" + listen + "' is not ADDR:PORT (like 127.0.0.1:9101 or [::1]:9101)";
    return false;
  }
  std::string host = listen.substr(0, colon), port_text = listen.substr(colon + 1);
  int port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port < 1 || port > 65535) {
    *why = "'" + listen + "': the port must be 1 to 65535";
    return false;
  }
  std::memset(ss, 0, sizeof *ss);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    auto* a6 = reinterpret_cast<sockaddr_in6*>(ss);
    a6->sin6_family = AF_INET6;
    a6->sin6_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET6, host.substr(1, host.size() - 2).c_str(), &a6->sin6_addr) != 1) {
      *why = "'" + listen + "': not an IPv6 address in []";
      return false;
    }
    *len = sizeof *a6;
    return true;
  }
  auto* a4 = reinterpret_cast<sockaddr_in*>(ss);
  a4->sin_family = AF_INET;
  a4->sin_port = htons(static_cast<uint16_t>(port));
  if (inet_pton(AF_INET, host.c_str(), &a4->sin_addr) != 1) {
    *why = "'" + listen + "': not a numeric IPv4 address (IPv6 goes in [], like [::1]:9101)";
    return false;
  }
  *len = sizeof *a4;
  return true;
}

void write_all(int fd, const std::string& s) {
  size_t at = 0;
  while (at < s.size()) {
    ssize_t n = ::send(fd, s.data() + at, s.size() - at, MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;
    }
    at += static_cast<size_t>(n);
  }
}

std::string reply(int status, std::string_view reason, std::string_view type, const std::string& body) {
  return "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) +
         "\r\nContent-Type: " + std::string(type) + "\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\nConnection: close\r\n\r\n" + body;
}

}  // namespace

std::string MetricsListener::check_listen(const std::string& listen) {
  sockaddr_storage ss;
  socklen_t len = 0;
  std::string why;
  return parse(listen, &ss, &len, &why) ? "" : why;
}

std::unique_ptr<MetricsListener> MetricsListener::bind(const std::string& listen, std::string* error) {
  sockaddr_storage ss;
  socklen_t len = 0;
  if (!parse(listen, &ss, &len, error)) return nullptr;
  std::unique_ptr<MetricsListener> m(new MetricsListener());
  m->fd_ = ::socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (m->fd_ < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return nullptr;
  }
  int one = 1;
  setsockopt(m->fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(m->fd_, reinterpret_cast<sockaddr*>(&ss), len) != 0 || ::listen(m->fd_, 16) != 0) {
    *error = "cannot listen on " + listen + ": " + std::strerror(errno);
    return nullptr;
  }
  sockaddr_storage got;
  socklen_t got_len = sizeof got;
  getsockname(m->fd_, reinterpret_cast<sockaddr*>(&got), &got_len);
  m->port_ = ntohs(got.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&got)->sin6_port
                                             : reinterpret_cast<sockaddr_in*>(&got)->sin_port);
  return m;
}

void MetricsListener::start(std::function<std::string()> source) {
  source_ = std::move(source);
  // The thread takes no signals: the agent's signal thread does.
  sigset_t all, prev;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &prev);
  th_ = std::thread([this] { serve(); });
  pthread_sigmask(SIG_SETMASK, &prev, nullptr);
}

MetricsListener::~MetricsListener() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
  if (th_.joinable()) th_.join();
  if (fd_ >= 0) ::close(fd_);
}

void MetricsListener::serve() {
  for (;;) {
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE) continue;
      return;  // shut down
    }
    answer(c);
    ::close(c);
  }
}

void MetricsListener::answer(int c) {
  timeval tv{5, 0};
  setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string head;
  char buf[2048];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > kMaxHead) {
      write_all(c, reply(431, "Request Header Fields Too Large", "text/plain", "request head over 8 KiB\n"));
      return;
    }
    ssize_t n = ::recv(c, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // closed or too slow: nothing to answer
    head.append(buf, static_cast<size_t>(n));
  }
  std::string_view line(head.data(), head.find("\r\n"));
  size_t sp1 = line.find(' '), sp2 = line.find(' ', sp1 == std::string_view::npos ? 0 : sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos) {
    write_all(c, reply(400, "Bad Request", "text/plain", "not an HTTP request\n"));
    return;
  }
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  std::string_view path = target.substr(0, target.find('?'));
  if (method != "GET" || path != "/metrics") {
    write_all(c, reply(404, "Not Found", "text/plain", "only GET /metrics is served here\n"));
    return;
  }
  std::string body;
  try {
    body = source_();
  } catch (const std::exception& e) {
    write_all(c, reply(500, "Internal Server Error", "text/plain", std::string(e.what()) + "\n"));
    return;
  }
  write_all(c, reply(200, "OK", prometheus::kContentType, body));
}

}  // namespace vigil
