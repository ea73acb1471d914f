#include "agent/status_socket.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace vigil {
namespace {

bool make_addr(const std::string& path, sockaddr_un* a, std::string* error) {
  std::memset(a, 0, sizeof *a);
  a->sun_family = AF_UNIX;
  if (path.size() >= sizeof a->sun_path) {
    *error = path + ": path too long for a unix socket (at most " + std::to_string(sizeof a->sun_path - 1) +
             " bytes); use a shorter state directory";
    return false;
  }
  std::memcpy(a->sun_path, path.c_str(), path.size() + 1);
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

}  // namespace

std::string status_socket_path(const std::string& state_dir) {
  return state_dir + "/status.sock";
}

std::unique_ptr<StatusServer> StatusServer::start(const std::string& path,
                                                  std::function<nlohmann::json()> source,
                                                  std::string* error) {
  sockaddr_un a;
  if (!make_addr(path, &a, error)) return nullptr;
  std::unique_ptr<StatusServer> s(new StatusServer());
  s->path_ = path;
  s->source_ = std::move(source);
  s->fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s->fd_ < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return nullptr;
  }
  struct stat st {};
  if (lstat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode)) ::unlink(path.c_str());  // an earlier run's
  // Bound with no access for anyone but the owner: the mode is right from the start.
  mode_t old = umask(0177);
  int rc = ::bind(s->fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
  umask(old);
  if (rc != 0 || ::listen(s->fd_, 8) != 0) {
    *error = "cannot listen on " + path + ": " + std::strerror(errno);
    return nullptr;
  }
  // The thread takes no signals: the agent's signal thread does.
  sigset_t all, prev;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &prev);
  s->th_ = std::thread([p = s.get()] { p->serve(); });
  pthread_sigmask(SIG_SETMASK, &prev, nullptr);
  return s;
}

StatusServer::~StatusServer() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);  // wakes accept()
  if (th_.joinable()) th_.join();
  if (fd_ >= 0) {
    ::close(fd_);
    ::unlink(path_.c_str());
  }
}

void StatusServer::serve() {
  for (;;) {
    int c = ::accept4(fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (c < 0) {
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;  // shut down
    }
    std::string doc;
    try {
      doc = source_().dump() + "\n";
    } catch (const std::exception& e) {
      doc = nlohmann::json{{"error", e.what()}}.dump() + "\n";
    }
    write_all(c, doc);
    ::close(c);
  }
}

bool query_status(const std::string& path, nlohmann::json* out, std::string* error) {
  sockaddr_un a;
  if (!make_addr(path, &a, error)) return false;
  int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    *error =
        "no agent answers on " + path + ": " + std::strerror(errno) +
        " (is vigil-agent running with this --state-dir? the socket is its user's: run status as root or "
        "as that user)";
    if (fd >= 0) ::close(fd);
    return false;
  }
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string text;
  char buf[4096];
  for (;;) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  *out = nlohmann::json::parse(text, nullptr, false);
  if (!out->is_object()) {
    *error = "the agent on " + path + " answered something that is not a status document";
    return false;
  }
  return true;
}

std::string format_status(const nlohmann::json& s) {
  auto u = [&](const nlohmann::json& o, const char* k) -> unsigned long long {
    return o.contains(k) && o[k].is_number() ? o[k].get<unsigned long long>() : 0ULL;
  };
  auto str = [&](const nlohmann::json& o, const char* k) {
    return o.contains(k) && o[k].is_string() ? o[k].get<std::string>() : std::string("-");
  };
  std::string r;
  auto line = [&](const std::string& l) { r += l + "\n"; };
  line("agent: " + str(s, "version") + ", up " + std::to_string(u(s, "uptime_s")) + " s, pid " +
       std::to_string(u(s, "pid")) + ", user " + str(s, "user"));
  const auto& c = s.value("capture", nlohmann::json::object());
  line("capture: " + str(c, "source") + ", " + std::to_string(u(c, "packets")) + " packets, " +
       std::to_string(u(c, "bytes")) + " bytes, " + std::to_string(u(c, "kernel_drops")) + " kernel drops");
  std::string limited;
  if (uint64_t n = u(s, "alerts_rate_limited"))
    limited = " (" + std::to_string(n) + " over outputs.eve.alert.rate-limit, not written)";
  line("detect: " + std::to_string(u(s, "alerts")) + " alerts" + limited);
  const auto& rl = s.value("rules", nlohmann::json::object());
  line("rules: " + std::to_string(u(rl, "loaded")) + " loaded, " + std::to_string(u(rl, "failed")) +
       " failed, rule set " + str(rl, "version"));
  if (s.contains("uplink")) {
    const auto& up = s["uplink"];
    line("uplink: agent " + str(up, "agent_id") + ", " + std::to_string(u(up, "uplink.events_acked")) +
         " events acked in " + std::to_string(u(up, "uplink.batches_acked")) + " batches, " +
         std::to_string(u(up, "uplink.errors")) + " errors, " + std::to_string(u(up, "heartbeat.sent")) +
         " heartbeats");
    line("spool: " + std::to_string(u(up, "spool.depth")) + " events (" +
         std::to_string(u(up, "spool.bytes")) + " bytes) waiting, " + std::to_string(u(up, "spool.dropped")) +
         " dropped" +
         (u(up, "spool.write_errors") ? ", " + std::to_string(u(up, "spool.write_errors")) + " not stored"
                                      : std::string()) +
         (u(up, "spool.quarantined")
              ? ", " + std::to_string(u(up, "spool.quarantined")) + " damaged spool files moved aside"
              : std::string()));
    if (u(up, "uplink.cert_mismatch"))
      line("uplink: the collector's certificate did not match the enrolment " +
           std::to_string(u(up, "uplink.cert_mismatch")) + " times; nothing sent to it (see the log)");
  } else {
    line("uplink: not enrolled");
  }
  return r;
}

}  // namespace vigil
