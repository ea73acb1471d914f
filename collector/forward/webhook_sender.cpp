// Webhook: one HTTP(S) POST of the alert JSON per alert, with cpp-httplib
// (the client collector/sources/rule_sources.cpp downloads with). Any 2xx is
// delivered; anything else (refused, timeout, 4xx, 5xx) is retried.
#include <httplib.h>

#include "collector/forward/senders.h"

namespace vigil::collector::forward {
namespace {

class WebhookSender : public Sender {
 public:
  WebhookSender(const OutputConfig& cfg, std::string base, std::string path)
      : cfg_(cfg), path_(std::move(path)), cli_(base) {
    cli_.set_connection_timeout(cfg.timeout_ms / 1000, (cfg.timeout_ms % 1000) * 1000);
    cli_.set_read_timeout(cfg.timeout_ms / 1000, (cfg.timeout_ms % 1000) * 1000);
    cli_.set_write_timeout(cfg.timeout_ms / 1000, (cfg.timeout_ms % 1000) * 1000);
    cli_.set_keep_alive(true);
    cli_.set_tcp_nodelay(
        true);  // headers and body go in two writes: without it each POST waits for a delayed ACK
    if (!cfg.ca_file.empty()) cli_.set_ca_cert_path(cfg.ca_file.c_str());
    cli_.enable_server_certificate_verification(true);
    for (const auto& [k, v] : cfg.headers) headers_.emplace(k, v);
    headers_.emplace("User-Agent", "vigil-collector");
    if (!cfg.bearer_token.empty()) headers_.emplace("Authorization", "Bearer " + cfg.bearer_token);
  }

  bool send(const Alert& a, std::string* error) override {
    auto res = cli_.Post(path_, headers_, a.text, "application/json");
    if (!res) return *error = cfg_.url + ": " + httplib::to_string(res.error()), false;
    if (res->status < 200 || res->status > 299)
      return *error = cfg_.url + ": HTTP " + std::to_string(res->status), false;
    return true;
  }

 private:
  OutputConfig cfg_;
  std::string path_;
  httplib::Client cli_;
  httplib::Headers headers_;
};

}  // namespace

std::unique_ptr<Sender> make_webhook_sender(const OutputConfig& cfg, std::string* error) {
  size_t scheme_end = cfg.url.find("://");
  if (scheme_end == std::string::npos ||
      (cfg.url.rfind("http://", 0) != 0 && cfg.url.rfind("https://", 0) != 0)) {
    *error = "url: want http://HOST[:PORT]/PATH or https://...";
    return nullptr;
  }
  size_t path_at = cfg.url.find('/', scheme_end + 3);
  std::string base = cfg.url.substr(0, path_at),
              path = path_at == std::string::npos ? "/" : cfg.url.substr(path_at);
  return std::make_unique<WebhookSender>(cfg, base, path);
}

}  // namespace vigil::collector::forward
