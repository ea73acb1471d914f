#include "agent/output/dns_eve.h"

#include <algorithm>
#include <cctype>

namespace vigil {

namespace {
// The `types` values Suricata 7 accepts for outputs.eve.dns.types.
constexpr std::string_view kTypes[] = {
    "A",     "NS",       "MD",      "MF",    "CNAME",  "SOA",   "MB",    "MG",         "MR",   "NULL",
    "WKS",   "PTR",      "HINFO",   "MINFO", "MX",     "TXT",   "RP",    "AFSDB",      "X25",  "ISDN",
    "RT",    "NSAP",     "NSAPPTR", "SIG",   "KEY",    "PX",    "GPOS",  "AAAA",       "LOC",  "NXT",
    "SRV",   "ATMA",     "NAPTR",   "KX",    "CERT",   "A6",    "DNAME", "OPT",        "APL",  "DS",
    "SSHFP", "IPSECKEY", "RRSIG",   "NSEC",  "DNSKEY", "DHCID", "NSEC3", "NSEC3PARAM", "TLSA", "HIP",
    "CDS",   "CDNSKEY",  "SPF",     "TKEY",  "TSIG",   "MAILA", "ANY",   "URI"};
}  // namespace

std::string dns_eve_type_name(std::string_view name) {
  std::string up(name);
  std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return char(std::toupper(c)); });
  for (std::string_view t : kTypes) {
    if (t == up) return up;
  }
  return "";
}

bool dns_eve_keep(nlohmann::ordered_json& dns, const DnsEveOptions& opt) {
  const std::string type = dns.value("type", "");
  if (type == "query" && !opt.requests) return false;
  if (type == "answer" && !opt.responses) return false;
  if (!opt.types.empty()) {
    // A message without a question has no type to filter on: logged.
    auto it = dns.find("rrtype");
    if (it != dns.end() && it->is_string() &&
        std::find(opt.types.begin(), opt.types.end(), it->get<std::string>()) == opt.types.end())
      return false;
  }
  if (!opt.detailed) dns.erase("answers");
  if (!opt.grouped) dns.erase("grouped");
  return true;
}

}  // namespace vigil
