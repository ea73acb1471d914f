#include "agent/uplink/agent_state.h"

#include <fcntl.h>
#include <httplib.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <unistd.h>

#include <cctype>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/file_io.h"

namespace vigil {
namespace {

// The pin and what the last handshake saw, kept in the client's SSL_CTX.
struct PinState {
  std::string pin;
  std::string seen;     // SHA-256 of the last leaf certificate presented
  bool failed = false;  // the last handshake stopped on the pin
};

void free_pin(void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) {
  delete static_cast<PinState*>(ptr);
}

int pin_index() {
  static const int idx = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_pin);
  return idx;
}

// Trust decided by the leaf certificate's SHA-256 alone: the chain above it
// is not consulted (that is what pinning means).
int pin_verify(int /*preverify_ok*/, X509_STORE_CTX* x) {
  if (X509_STORE_CTX_get_error_depth(x) != 0) return 1;
  auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(x, SSL_get_ex_data_X509_STORE_CTX_idx()));
  auto* pin = static_cast<PinState*>(SSL_CTX_get_ex_data(SSL_get_SSL_CTX(ssl), pin_index()));
  X509* cert = X509_STORE_CTX_get_current_cert(x);
  unsigned char md[32];
  unsigned int n = 0;
  if (!pin) return 0;
  pin->seen.clear();
  pin->failed = true;
  if (!cert || X509_digest(cert, EVP_sha256(), md, &n) != 1) return 0;
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned i = 0; i < n; ++i) {
    hex += kHex[md[i] >> 4];
    hex += kHex[md[i] & 15];
  }
  pin->seen = hex;
  pin->failed = hex != pin->pin;
  return pin->failed ? 0 : 1;
}

std::string normalize_pin(const std::string& pin) {
  std::string out;
  for (char c : pin) {
    if (c == ':') continue;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

}  // namespace

bool load_agent_state(const std::string& state_dir, AgentState* st, std::string* error) {
  std::string path = state_dir + "/agent.json";
  std::string text;
  if (!read_file(path, text)) {
    *error = "not enrolled: " + path + " missing (run vigil-agent enroll)";
    return false;
  }
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || !j["agent_id"].is_string() || !j["key"].is_string() ||
      !j["collector_url"].is_string()) {
    *error = path + ": malformed (re-enrol the agent)";
    return false;
  }
  st->agent_id = j["agent_id"];
  st->key = j["key"];
  st->collector_url = j["collector_url"];
  st->ca_file = j.value("ca_file", "");
  st->pin = j.value("pin", "");
  st->hostname = j.value("hostname", "");
  return true;
}

bool save_agent_state(const std::string& state_dir, const AgentState& st, std::string* error) {
  nlohmann::json j{{"agent_id", st.agent_id}, {"key", st.key}, {"collector_url", st.collector_url},
                   {"ca_file", st.ca_file},   {"pin", st.pin}, {"hostname", st.hostname}};
  std::string data = j.dump(2) + "\n";
  std::string path = state_dir + "/agent.json", tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    *error = "cannot write " + tmp;
    return false;
  }
  fchmod(fd, 0600);
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    *error = "cannot write " + path;
    return false;
  }
  return true;
}

std::unique_ptr<httplib::SSLClient> make_collector_client(const std::string& url, const std::string& ca_file,
                                                          const std::string& pin, std::string* error) {
  constexpr std::string_view kScheme = "https://";
  if (url.compare(0, kScheme.size(), kScheme) != 0) {
    *error = "collector URL must start with https://: " + url;
    return nullptr;
  }
  std::string rest = url.substr(kScheme.size());
  if (auto slash = rest.find('/'); slash != std::string::npos) rest.resize(slash);
  std::string host = rest;
  int port = 443;
  size_t colon = rest.rfind(':');
  if (colon != std::string::npos && rest.find(']', colon) == std::string::npos) {
    host = rest.substr(0, colon);
    try {
      port = std::stoi(rest.substr(colon + 1));
    } catch (...) {
      *error = "bad port in " + url;
      return nullptr;
    }
  }
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  if (ca_file.empty() && pin.empty()) {
    *error = "the collector's certificate must be verified: give --ca-file or --pin";
    return nullptr;
  }
  auto cli = std::make_unique<httplib::SSLClient>(host, port);
  if (!pin.empty()) {
    SSL_CTX* ctx = cli->ssl_context();
    SSL_CTX_set_ex_data(ctx, pin_index(), new PinState{normalize_pin(pin), "", false});
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, pin_verify);
    cli->enable_server_certificate_verification(false);  // done by pin_verify instead
  } else {
    cli->set_ca_cert_path(ca_file.c_str());
    cli->enable_server_certificate_verification(true);
  }
  SSL_CTX_set_min_proto_version(cli->ssl_context(), TLS1_2_VERSION);
  cli->set_connection_timeout(5, 0);
  cli->set_read_timeout(30, 0);
  cli->set_write_timeout(30, 0);
  return cli;
}

std::string certificate_mismatch(const httplib::SSLClient& cli, int error) {
  if (auto* pin = static_cast<PinState*>(SSL_CTX_get_ex_data(cli.ssl_context(), pin_index()))) {
    if (!pin->failed) return "";
    return "its certificate's SHA-256 fingerprint is " + (pin->seen.empty() ? "unreadable" : pin->seen) +
           ", not the one pinned at enrolment (" + pin->pin + ")";
  }
  if (error != static_cast<int>(httplib::Error::SSLServerVerification)) return "";
  long v = cli.get_openssl_verify_result();
  std::string why = std::string("its certificate does not verify against the CA copied at enrolment (") +
                    X509_verify_cert_error_string(v) + ")";
  if (v == X509_V_ERR_CERT_NOT_YET_VALID || v == X509_V_ERR_CERT_HAS_EXPIRED)
    why += "; check this host's clock (date -u) against the collector's";
  return why;
}

}  // namespace vigil
