// The `outputs.eve.dns` switches, as Suricata 7's DNS logger (version 2)
// reads them: whether queries and answers are logged, which answer formats
// (detailed list, grouped by type) an answer event carries, and which query
// types are logged at all.
//
// Built once with the configuration; read by every worker when it writes a
// DNS event (dns_eve_keep), which only edits the event it is given.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace vigil {

struct DnsEveOptions {
  bool requests = true;   // `type: query` events, one per question, when the request is seen
  bool responses = true;  // `type: answer` events, when the response is seen
  bool detailed = true;   // answer events carry `answers` (one object per record)
  bool grouped = true;    // answer events carry `grouped` (rdata by record type)
  // Record types logged ("A", "AAAA", "MX", ... upper case); empty = every type.
  // As in Suricata, the question's type decides for both the query and the answer.
  std::vector<std::string> types;
};

// Applies the switches to the `dns` object of one DNS event. Returns false
// when the event is not to be written (its kind or its type is switched off);
// otherwise removes the answer formats that are off and returns true.
bool dns_eve_keep(nlohmann::ordered_json& dns, const DnsEveOptions& opt);

// "a" -> "A": the form dns_eve_keep compares; "" when `name` is not a record
// type Suricata's `types` list accepts (for configuration checks).
std::string dns_eve_type_name(std::string_view name);

}  // namespace vigil
