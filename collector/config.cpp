#include "collector/config.h"

#include <yaml-cpp/yaml.h>

namespace vigil::collector {

bool load_collector_config(const std::string& path, CollectorConfig* cfg, std::string* error) {
  try {
    YAML::Node y = YAML::LoadFile(path);
    if (y["data_dir"]) cfg->data_dir = y["data_dir"].as<std::string>();
    if (y["listen"]) {
      // A list is accepted for forward compatibility; the first entry serves everything.
      cfg->listen =
          y["listen"].IsSequence() ? y["listen"][0].as<std::string>() : y["listen"].as<std::string>();
    }
    if (auto t = y["tls"]) {
      if (t["cert"]) cfg->tls_cert = t["cert"].as<std::string>();
      if (t["key"]) cfg->tls_key = t["key"].as<std::string>();
    }
    if (auto s = y["store"]) {
      std::string type = s["type"] ? s["type"].as<std::string>() : "sqlite";
      if (type != "sqlite") {
        *error = path + ": store.type '" + type + "' is not supported (sqlite)";
        return false;
      }
      if (s["path"]) cfg->store_path = s["path"].as<std::string>();
    }
    if (y["heartbeat_interval_s"]) cfg->heartbeat_interval_s = y["heartbeat_interval_s"].as<int>();
    if (y["offline_after_s"]) cfg->offline_after_s = y["offline_after_s"].as<int>();
    if (y["server_threads"]) cfg->server_threads = y["server_threads"].as<int>();
    for (const auto& kv : y["server"]) {  // connections, timeouts, body caps (collector/http/limits.h)
      std::string key = kv.first.as<std::string>(), why;
      if (!set_http_limit(&cfg->server, key, kv.second.as<int64_t>(), &why)) {
        *error = path + ":" + std::to_string(kv.first.Mark().line + 1) + ": server." + key + ": " + why;
        return false;
      }
    }
    if (auto r = y["ruleset"]) {
      if (r["allow_errors"]) cfg->ruleset_allow_errors = r["allow_errors"].as<bool>();
    }
    for (const auto& n : y["rule_sources"]) {
      RuleSource rs;
      rs.name = n["name"].as<std::string>("");
      rs.url = n["url"].as<std::string>("");
      rs.checksum_url = n["checksum_url"].as<std::string>("");
      rs.interval_s = n["interval_s"].as<int>(86400);
      if (rs.url.empty()) {
        *error = path + ": every rule_sources entry needs a url";
        return false;
      }
      cfg->rule_sources.push_back(rs);
    }
  } catch (const std::exception& e) {
    *error = path + ": " + e.what();
    return false;
  }
  return true;
}

bool split_host_port(const std::string& s, std::string* host, int* port) {
  size_t colon = s.rfind(':');
  if (colon == std::string::npos || colon + 1 >= s.size()) return false;
  std::string h = s.substr(0, colon);
  if (h.size() >= 2 && h.front() == '[' && h.back() == ']') h = h.substr(1, h.size() - 2);
  try {
    size_t used = 0;
    int p = std::stoi(s.substr(colon + 1), &used);
    if (used != s.size() - colon - 1 || p < 0 || p > 65535) return false;
    *port = p;
  } catch (...) {
    return false;
  }
  *host = h.empty() ? "0.0.0.0" : h;
  return true;
}

}  // namespace vigil::collector
