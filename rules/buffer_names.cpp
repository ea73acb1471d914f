#include "rules/buffer_names.h"

#include "rules/rule.h"

namespace vigil::rules {

namespace {

constexpr int id(BufferId b) {
  return int(b);
}

constexpr BufferAlias kAliases[] = {
    // Suricata's legacy content modifiers (Snort 3 uses the same names as sticky buffers).
    {"http_uri", id(BufferId::kHttpUri), true},
    {"http_raw_uri", id(BufferId::kHttpUriRaw), true},
    {"http_method", id(BufferId::kHttpMethod), true},
    {"http_cookie", id(BufferId::kHttpCookie), true},
    {"http_header", id(BufferId::kHttpHeader), true},
    {"http_raw_header", id(BufferId::kHttpHeaderRaw), true},
    {"http_client_body", id(BufferId::kHttpRequestBody), true},
    {"http_server_body", id(BufferId::kHttpResponseBody), true},
    {"http_stat_code", id(BufferId::kHttpStatCode), true},
    {"http_stat_msg", id(BufferId::kHttpStatMsg), true},
    {"http_user_agent", id(BufferId::kHttpUserAgent), true},
    {"http_host", id(BufferId::kHttpHost), true},
    {"http_raw_host", id(BufferId::kHttpHostRaw), true},
    // Legacy sticky spellings.
    {"http_accept", id(BufferId::kHttpAccept)},
    {"http_accept_enc", id(BufferId::kHttpAcceptEnc)},
    {"http_accept_lang", id(BufferId::kHttpAcceptLang)},
    {"http_connection", id(BufferId::kHttpConnection)},
    {"http_content_len", id(BufferId::kHttpContentLen)},
    {"http_content_type", id(BufferId::kHttpContentType)},
    {"http_referer", id(BufferId::kHttpReferer)},
    {"http_protocol", id(BufferId::kHttpProtocol)},
    {"http_start", id(BufferId::kHttpStart)},
    {"http_header_names", id(BufferId::kHttpHeaderNames)},
    {"http_request_line", id(BufferId::kHttpRequestLine)},
    {"http_response_line", id(BufferId::kHttpResponseLine)},
    {"http.request_body", id(BufferId::kHttpRequestBody)},
    {"http.response_body", id(BufferId::kHttpResponseBody)},
    {"file_data", id(BufferId::kFileData)},
    {"dns_query", id(BufferId::kDnsQuery)},
    // Suricata 8's section names: the question and answer names of both messages.
    {"dns.queries.rrname", id(BufferId::kDnsQueryName)},
    {"dns.answers.rrname", id(BufferId::kDnsAnswerName)},
    {"tls_sni", id(BufferId::kTlsSni)},
    {"tls_cert_subject", id(BufferId::kTlsCertSubject)},
    {"tls_cert_issuer", id(BufferId::kTlsCertIssuer)},
    {"tls_cert_serial", id(BufferId::kTlsCertSerial)},
    {"tls_cert_fingerprint", id(BufferId::kTlsCertFingerprint)},
    {"ja3_hash", id(BufferId::kJa3Hash)},
    {"ja3_string", id(BufferId::kJa3String)},
    {"ja3s_hash", id(BufferId::kJa3sHash)},
    {"ja3s_string", id(BufferId::kJa3sString)},
    {"ssh_proto", id(BufferId::kSshProto)},
    {"ssh_software", id(BufferId::kSshSoftware)},
    {"ssh.protoversion", id(BufferId::kSshProto)},
    {"ssh.softwareversion", id(BufferId::kSshSoftware)},
    // Suricata's legacy name of dcerpc.stub_data.
    {"dce_stub_data", id(BufferId::kDcerpcStubData)},
    // The payload.
    {"pkt_data", kSlotPayload},
    {"raw_data", kSlotPayload},
};

}  // namespace

std::span<const BufferAlias> buffer_aliases() {
  return kAliases;
}

int buffer_slot(std::string_view name) {
  for (size_t i = 0; i < kBufferCount; ++i) {
    if (buffer_name(BufferId(i)) == name) return int(i);
  }
  for (auto& a : kAliases) {
    if (a.name == name) return a.slot;
  }
  return -2;
}

bool is_content_modifier(std::string_view name) {
  for (auto& a : kAliases)
    if (a.name == name) return a.content_modifier;
  return false;
}

}  // namespace vigil::rules
