// One entry of collector.yaml's `forward:` list (keys in
// collector/config_keys.cpp, reference in collector/CONFIG.md): where alerts
// go and how hard the collector tries.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace vigil::collector::forward {

struct OutputConfig {
  std::string name;  // [A-Za-z0-9_-]+: counter names and the dead-letter file
  std::string type;  // syslog | webhook | kafka
  // syslog
  std::string address;            // HOST:PORT ([v6]:PORT)
  std::string transport = "udp";  // udp | tcp (RFC 6587 octet counting) | tls (RFC 5425)
  std::string format = "json";    // json | cef
  int facility = 16;              // local0
  std::string ca_file;            // tls / https: verify the receiver with this CA (empty: system CAs)
  std::string server_name;        // tls: name checked in the certificate and sent as SNI
  // webhook
  std::string url;
  std::string bearer_token;
  std::vector<std::pair<std::string, std::string>> headers;
  // kafka
  std::string brokers;  // bootstrap.servers: HOST:PORT[,HOST:PORT...]
  std::string topic;
  std::vector<std::pair<std::string, std::string>> kafka_properties;  // more librdkafka producer settings
  // every type
  int min_severity = 255;      // Suricata severity: 1 is highest; alerts with severity <= this go
  int rate_limit_per_min = 0;  // 0: no limit
  int timeout_ms = 5000;
  size_t queue_max = 10000;
  int max_retries = 10;
  int backoff_min_ms = 500;
  int backoff_max_ms = 30000;
  int64_t dead_letter_max_bytes = 64ll << 20;
};

// From the loaded record (every field present, canonical text; checked by
// check_forward_records). False + *error when a value does not fit.
bool output_from_record(const std::map<std::string, std::string>& r, OutputConfig* out, std::string* error);
// Cross-field checks of the whole list: unique names, what each type needs.
// "" when fine, else the reason naming the entry ("forward[1] (siem): ...").
std::string check_forward_records(const std::vector<std::map<std::string, std::string>>& recs);

}  // namespace vigil::collector::forward
