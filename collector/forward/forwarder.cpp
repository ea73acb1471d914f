#include "collector/forward/forwarder.h"

#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <set>

#include "collector/config.h"
#include "collector/forward/senders.h"
#include "common/config_schema.h"
#include "common/time.h"

namespace vigil::collector::forward {

Forwarder::Forwarder(std::vector<std::unique_ptr<Output>> outputs) : outputs_(std::move(outputs)) {}

Forwarder::~Forwarder() {
  stop();
}

std::unique_ptr<Forwarder> Forwarder::create(const std::vector<OutputConfig>& configs,
                                             const std::string& data_dir, std::string* error) {
  std::vector<std::unique_ptr<Output>> outs;
  if (!configs.empty()) {
    std::string dir = data_dir + "/forward";
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      *error = "forward: cannot create " + dir + ": " + std::strerror(errno);
      return nullptr;
    }
    for (const auto& c : configs) {
      std::string why;
      auto sender = make_sender(c, &why);
      if (!sender) {
        *error = "forward " + c.name + ": " + why;
        return nullptr;
      }
      outs.push_back(
          std::make_unique<Output>(c, std::move(sender), dir + "/" + c.name + ".deadletter.jsonl"));
    }
  }
  return std::make_unique<Forwarder>(std::move(outs));
}

void Forwarder::start() {
  for (auto& o : outputs_) {
    o->start();
    spdlog::info("forward {}: {} {}", o->name(), o->config().type,
                 o->config().type == "webhook" ? o->config().url
                 : o->config().type == "kafka"
                     ? o->config().brokers + " topic " + o->config().topic
                     : o->config().transport + " " + o->config().address + " " + o->config().format);
  }
}

void Forwarder::stop() {
  for (auto& o : outputs_) o->stop();
}

std::string Forwarder::hostname_of(Store& store, const std::string& agent_id) {
  std::lock_guard lk(host_mu_);
  auto it = hosts_.find(agent_id);
  if (it != hosts_.end()) return it->second;
  for (const auto& a : store.list_agents()) hosts_[a.id] = a.hostname;  // enrolments are rare
  return hosts_[agent_id];
}

void Forwarder::submit(Store& store, const std::string& agent_id, const std::vector<IngestEvent>& events,
                       const std::vector<uint32_t>& stored) {
  if (outputs_.empty() || stored.empty()) return;
  std::string host;
  int64_t now = unix_now_s();
  for (uint32_t i : stored) {
    if (i >= events.size()) continue;
    const IngestEvent& e = events[i];
    if (!e.fields || e.fields->event_type != "alert") continue;
    if (host.empty()) host = hostname_of(store, agent_id);
    auto a = std::make_shared<Alert>();
    a->doc = e.text.empty() ? e.eve : nlohmann::json::parse(e.text, nullptr, false);
    if (!a->doc.is_object()) continue;  // the wire contract validated it; never here
    // The text as the agent sent it (its key order) with the two names put
    // first; re-serialised only when the record has keys of those names.
    bool splice = !e.text.empty() && !a->doc.contains("agent_id") && !a->doc.contains("agent_hostname");
    a->doc["agent_id"] = agent_id;
    a->doc["agent_hostname"] = host;
    a->severity = static_cast<int>(e.fields->severity.value_or(3));
    size_t brace = e.text.find('{');
    if (splice && brace != std::string::npos) {
      a->text = "{\"agent_id\":" + nlohmann::json(agent_id).dump() + ",\"agent_hostname\":" +
                nlohmann::json(host).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      std::string_view rest = std::string_view(e.text).substr(brace + 1);
      size_t first = rest.find_first_not_of(" \t\r\n");
      if (first != std::string_view::npos && rest[first] != '}') a->text += ',';
      a->text += rest;
    } else {
      a->text = a->doc.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
    std::shared_ptr<const Alert> shared = std::move(a);
    for (auto& o : outputs_) o->offer(shared, now);
  }
}

namespace {

bool to_int(const std::string& s, int64_t* v) {
  return config::parse_int_text(s, v);
}

bool valid_name(const std::string& n) {
  if (n.empty() || n.size() > 64) return false;
  for (char c : n)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
  return true;
}

}  // namespace

bool output_from_record(const std::map<std::string, std::string>& r, OutputConfig* o, std::string* error) {
  auto get = [&](const char* k) {
    auto it = r.find(k);
    return it == r.end() ? std::string() : it->second;
  };
  auto num = [&](const char* k, int64_t* v) {
    if (to_int(get(k), v)) return true;
    *error = std::string(k) + ": not a number";
    return false;
  };
  o->name = get("name");
  o->type = get("type");
  o->address = get("address");
  o->transport = get("transport");
  o->format = get("format");
  o->ca_file = get("ca_file");
  o->server_name = get("server_name");
  o->url = get("url");
  o->bearer_token = get("bearer_token");
  o->brokers = get("brokers");
  o->topic = get("topic");
  o->kafka_properties.clear();
  std::string kp = get("kafka_properties");
  for (size_t at = 0; at < kp.size();) {
    size_t end = kp.find(';', at);
    if (end == std::string::npos) end = kp.size();
    std::string p = kp.substr(at, end - at);
    at = end + 1;
    p.erase(0, p.find_first_not_of(" \t"));
    p.erase(p.find_last_not_of(" \t") + 1);
    if (p.empty()) continue;
    size_t eq = p.find('=');
    if (eq == std::string::npos || eq == 0) {
      *error = "kafka_properties: '" + p + "' is not 'name=value'";
      return false;
    }
    o->kafka_properties.emplace_back(p.substr(0, eq), p.substr(eq + 1));
  }
  o->headers.clear();
  std::string hs = get("headers");
  for (size_t at = 0; at < hs.size();) {
    size_t end = hs.find(';', at);
    if (end == std::string::npos) end = hs.size();
    std::string h = hs.substr(at, end - at);
    at = end + 1;
    size_t colon = h.find(':');
    auto trim = [](std::string s) {
      s.erase(0, s.find_first_not_of(" \t"));
      s.erase(s.find_last_not_of(" \t") + 1);
      return s;
    };
    if (trim(h).empty()) continue;
    if (colon == std::string::npos || trim(h.substr(0, colon)).empty()) {
      *error = "headers: '" + trim(h) + "' is not 'Name: value'";
      return false;
    }
    o->headers.emplace_back(trim(h.substr(0, colon)), trim(h.substr(colon + 1)));
  }
  int64_t v = 0;
  if (!num("facility", &v)) return false;
  o->facility = int(v);
  if (!num("min_severity", &v)) return false;
  o->min_severity = int(v);
  if (!num("rate_limit_per_min", &v)) return false;
  o->rate_limit_per_min = int(v);
  if (!num("timeout_ms", &v)) return false;
  o->timeout_ms = int(v);
  if (!num("queue_max", &v)) return false;
  o->queue_max = size_t(v);
  if (!num("max_retries", &v)) return false;
  o->max_retries = int(v);
  if (!num("backoff_min_ms", &v)) return false;
  o->backoff_min_ms = int(v);
  if (!num("backoff_max_ms", &v)) return false;
  o->backoff_max_ms = int(v);
  if (!num("dead_letter_max_bytes", &v)) return false;
  o->dead_letter_max_bytes = v;
  return true;
}

std::string check_forward_records(const std::vector<std::map<std::string, std::string>>& recs) {
  std::set<std::string> names;
  for (size_t i = 0; i < recs.size(); ++i) {
    OutputConfig o;
    std::string why;
    std::string at = "forward[" + std::to_string(i) + "]";
    if (!output_from_record(recs[i], &o, &why)) return at + ": " + why;
    at += " (" + o.name + ")";
    if (!valid_name(o.name)) return at + ": name: letters, digits, _ and - only (1 to 64)";
    if (!names.insert(o.name).second) return at + ": name: used twice";
    if (o.backoff_min_ms > o.backoff_max_ms) return at + ": backoff_min_ms is above backoff_max_ms";
    if (o.type == "syslog") {
      std::string host;
      int port = 0;
      if (o.address.empty()) return at + ": address: a syslog output needs HOST:PORT";
      if (!split_host_port(o.address, &host, &port) || port < 1 || port > 65535)
        return at + ": address: '" + o.address + "' is not HOST:PORT";
      if (!o.url.empty()) return at + ": url: only for type webhook";
    } else if (o.type == "webhook") {
      if (o.url.rfind("http://", 0) != 0 && o.url.rfind("https://", 0) != 0)
        return at + ": url: a webhook needs http://HOST[:PORT]/PATH or https://...";
      if (!o.address.empty()) return at + ": address: only for type syslog (a webhook has url)";
    } else if (o.type == "kafka") {
      if (o.brokers.empty()) return at + ": brokers: a kafka output needs HOST:PORT[,HOST:PORT...]";
      if (o.topic.empty()) return at + ": topic: a kafka output needs one";
    }
    if (!o.ca_file.empty() && ::access(o.ca_file.c_str(), R_OK) != 0)
      return at + ": ca_file: cannot read " + o.ca_file;
  }
  return "";
}

}  // namespace vigil::collector::forward
