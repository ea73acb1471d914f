// Syslog transports. A connection (TCP, TLS) is opened on the first send and
// kept; any error closes it and the next attempt (after the output's
// backoff) connects again.
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "collector/config.h"
#include "collector/forward/format.h"
#include "collector/forward/senders.h"

namespace vigil::collector::forward {
namespace {

std::string ssl_error() {
  unsigned long e = ERR_get_error();
  if (!e) return "TLS error";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return buf;
}

int64_t now_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class SyslogSender : public Sender {
 public:
  SyslogSender(const OutputConfig& cfg, std::string host, int port)
      : cfg_(cfg), host_(std::move(host)), port_(port) {}
  ~SyslogSender() override {
    close_conn();
    if (ctx_) SSL_CTX_free(ctx_);
  }

  bool init(std::string* error) {
    if (cfg_.transport != "tls") return true;
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) return *error = ssl_error(), false;
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    int ok = cfg_.ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx_)
                                  : SSL_CTX_load_verify_locations(ctx_, cfg_.ca_file.c_str(), nullptr);
    if (ok != 1) return *error = "ca_file " + cfg_.ca_file + ": " + ssl_error(), false;
    return true;
  }

  bool send(const Alert& a, std::string* error) override {
    std::string msg = rfc5424(a.doc, cfg_.facility, cfg_.format == "cef" ? cef(a.doc) : a.text, now_us());
    if (cfg_.transport == "udp") return send_udp(msg, error);
    if (fd_ < 0 && !connect_stream(error)) return false;
    std::string framed = octet_counted(msg);
    if (!write_all(framed, error)) {
      close_conn();
      return false;
    }
    return true;
  }

 private:
  bool resolve(int socktype, addrinfo** res, std::string* error) {
    addrinfo hints{};
    hints.ai_socktype = socktype;
    int rc = getaddrinfo(host_.c_str(), std::to_string(port_).c_str(), &hints, res);
    if (rc != 0) return *error = host_ + ": " + gai_strerror(rc), false;
    return true;
  }

  int connect_any(addrinfo* res, std::string* error) {
    for (addrinfo* p = res; p; p = p->ai_next) {
      int fd = ::socket(p->ai_family, p->ai_socktype | SOCK_CLOEXEC, p->ai_protocol);
      if (fd < 0) continue;
      timeval tv{cfg_.timeout_ms / 1000, (cfg_.timeout_ms % 1000) * 1000};
      setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
      setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      if (::connect(fd, p->ai_addr, p->ai_addrlen) == 0) return fd;
      *error = "connect " + host_ + ":" + std::to_string(port_) + ": " + std::strerror(errno);
      ::close(fd);
    }
    return -1;
  }

  bool send_udp(const std::string& msg, std::string* error) {
    if (udp_fd_ < 0) {
      addrinfo* res = nullptr;
      if (!resolve(SOCK_DGRAM, &res, error)) return false;
      udp_fd_ = connect_any(res, error);
      freeaddrinfo(res);
      if (udp_fd_ < 0) return false;
    }
    if (::send(udp_fd_, msg.data(), msg.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(msg.size())) {
      *error = std::string("udp send: ") + std::strerror(errno);
      ::close(udp_fd_);
      udp_fd_ = -1;
      return false;
    }
    return true;
  }

  bool connect_stream(std::string* error) {
    addrinfo* res = nullptr;
    if (!resolve(SOCK_STREAM, &res, error)) return false;
    fd_ = connect_any(res, error);
    freeaddrinfo(res);
    if (fd_ < 0) return false;
    if (cfg_.transport != "tls") return true;
    ssl_ = SSL_new(ctx_);
    std::string name = cfg_.server_name.empty() ? host_ : cfg_.server_name;
    SSL_set_tlsext_host_name(ssl_, name.c_str());
    X509_VERIFY_PARAM* vp = SSL_get0_param(ssl_);
    X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    bool ip =
        name.find(':') != std::string::npos || name.find_first_not_of("0123456789.") == std::string::npos;
    if (ip ? X509_VERIFY_PARAM_set1_ip_asc(vp, name.c_str()) != 1
           : X509_VERIFY_PARAM_set1_host(vp, name.c_str(), 0) != 1) {
      *error = "bad server_name " + name;
      close_conn();
      return false;
    }
    SSL_set_fd(ssl_, fd_);
    if (SSL_connect(ssl_) != 1) {
      long v = SSL_get_verify_result(ssl_);
      *error = "TLS handshake with " + host_ + ":" + std::to_string(port_) + ": " +
               (v != X509_V_OK ? X509_verify_cert_error_string(v) : ssl_error());
      close_conn();
      return false;
    }
    return true;
  }

  bool write_all(const std::string& data, std::string* error) {
    size_t off = 0;
    while (off < data.size()) {
      if (ssl_) {
        int n = SSL_write(ssl_, data.data() + off, static_cast<int>(data.size() - off));
        if (n <= 0) return *error = "TLS write: " + ssl_error(), false;
        off += static_cast<size_t>(n);
      } else {
        ssize_t n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return *error = std::string("tcp send: ") + std::strerror(errno), false;
        off += static_cast<size_t>(n);
      }
    }
    // A receiver that closed the connection is seen on the next write only;
    // check it now so that this alert is not counted sent into a dead socket.
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR | POLLIN))) {
      char c;
      ssize_t n = ::recv(fd_, &c, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) {
        *error = "receiver closed the connection";
        return false;
      }
    }
    return true;
  }

  void close_conn() {
    if (ssl_) SSL_free(ssl_), ssl_ = nullptr;
    if (fd_ >= 0) ::close(fd_), fd_ = -1;
  }

  OutputConfig cfg_;
  std::string host_;
  int port_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1, udp_fd_ = -1;
};

}  // namespace

std::unique_ptr<Sender> make_webhook_sender(const OutputConfig& cfg, std::string* error);
std::unique_ptr<Sender> make_kafka_sender(const OutputConfig& cfg, std::string* error);

std::unique_ptr<Sender> make_sender(const OutputConfig& cfg, std::string* error) {
  if (cfg.type == "webhook") return make_webhook_sender(cfg, error);
  if (cfg.type == "kafka") return make_kafka_sender(cfg, error);
  if (cfg.type != "syslog") return *error = "unknown type " + cfg.type, nullptr;
  std::string host;
  int port = 0;
  if (!split_host_port(cfg.address, &host, &port)) return *error = "address: want HOST:PORT", nullptr;
  auto s = std::make_unique<SyslogSender>(cfg, host, port);
  if (!s->init(error)) return nullptr;
  return s;
}

}  // namespace vigil::collector::forward
