#include "rules/inert.h"

#include <string_view>

#include "common/inspect.h"
#include "rules/keywords.h"

namespace vigil::rules {

namespace {

bool starts_with(std::string_view s, std::string_view p) {
  return s.substr(0, p.size()) == p;
}

// "smb" or "ftp|smtp".
std::string names_of(uint32_t mask) {
  std::string out;
  for (unsigned i = 0; i < unsigned(AppProto::kCount); ++i) {
    if (!((mask >> i) & 1u)) continue;
    if (!out.empty()) out += '|';
    out += app_proto_name(static_cast<AppProto>(i));
  }
  return out;
}

}  // namespace

uint32_t buffer_app_protos(int slot) {
  if (slot < 0 || slot >= static_cast<int>(kBufferCount)) return 0;
  auto id = static_cast<BufferId>(slot);
  if (is_packet_buffer(id)) return 0;
  std::string_view n = buffer_name(id);
  // The protocol is the buffer's namespace, as in Suricata's keyword names.
  static const std::pair<std::string_view, AppProto> kPrefixes[] = {
      {"http.", AppProto::kHttp},  {"dns.", AppProto::kDns},
      {"tls.", AppProto::kTls},    {"ja3", AppProto::kTls},
      {"ja4", AppProto::kTls},     {"ssh.", AppProto::kSsh},
      {"hassh", AppProto::kSsh},   {"smb.", AppProto::kSmb},
      {"ftp.", AppProto::kFtp},    {"smtp.", AppProto::kSmtp},
      {"email.", AppProto::kSmtp}, {"dcerpc.", AppProto::kSmb}};  // DCERPC is parsed where SMB carries it
  if (starts_with(n, "http2.")) return app_bit(AppProto::kHttp2) | app_bit(AppProto::kDoh2);
  // http.* buffers are filled by the HTTP/1 and the HTTP/2 parser.
  if (starts_with(n, "http.")) return app_bit(AppProto::kHttp) | app_bit(AppProto::kHttp2);
  for (auto& [prefix, proto] : kPrefixes)
    if (starts_with(n, prefix)) return app_bit(proto);
  // file.data and the file.* buffers: every protocol that carries files.
  if (starts_with(n, "file."))
    return app_bit(AppProto::kHttp) | app_bit(AppProto::kHttp2) | app_bit(AppProto::kSmtp) |
           app_bit(AppProto::kSmb) | app_bit(AppProto::kFtp);
  return 0;  // not tied to one protocol
}

std::string inert_reason(const Rule& r, uint32_t parsed) {
  uint32_t fed = parsed | app_bit(AppProto::kUnknown) | app_bit(AppProto::kFailed);
  if (r.app_mask != 0 && !r.app_negated && (r.app_mask & fed) == 0)
    return "no parser for " + names_of(r.app_mask) + " (rule protocol)";
  for (uint32_t need : app_layer_protocol_needs(r))
    if ((need & fed) == 0) return "no parser for " + names_of(need) + " (app-layer-protocol)";
  for (auto& b : r.buffers) {
    uint32_t protos = buffer_app_protos(b.slot);
    if (protos != 0 && (protos & parsed) == 0)
      return "no parser for " + names_of(protos) + " (buffer " +
             std::string(buffer_name(static_cast<BufferId>(b.slot))) + ")";
  }
  return "";
}

}  // namespace vigil::rules
