// The contract between app-layer parsers (agent/app) and the rules engine
// (rules/): parsers publish named inspection buffers on transactions; rule
// keywords read buffers by id, so detection code includes no protocol parser.
//
// Buffer list: one table. Column 1 is the enum name, column 2 the canonical
// Suricata keyword. Aliases (legacy and Snort 3 spellings) are mapped in
// rules/, not here.
#pragma once

#include <cstdint>
#include <nlohmann/json_fwd.hpp>
#include <span>
#include <string_view>

#include "common/app_proto.h"

namespace vigil {

#define VIGIL_BUFFERS(X)                             \
  X(kHttpMethod, "http.method")                      \
  X(kHttpUri, "http.uri")                            \
  X(kHttpUriRaw, "http.uri.raw")                     \
  X(kHttpProtocol, "http.protocol")                  \
  X(kHttpRequestLine, "http.request_line")           \
  X(kHttpHost, "http.host")                          \
  X(kHttpHostRaw, "http.host.raw")                   \
  X(kHttpUserAgent, "http.user_agent")               \
  X(kHttpHeader, "http.header")                      \
  X(kHttpHeaderRaw, "http.header.raw")               \
  X(kHttpHeaderNames, "http.header_names")           \
  X(kHttpCookie, "http.cookie")                      \
  X(kHttpReferer, "http.referer")                    \
  X(kHttpContentType, "http.content_type")           \
  X(kHttpContentLen, "http.content_len")             \
  X(kHttpAccept, "http.accept")                      \
  X(kHttpAcceptEnc, "http.accept_enc")               \
  X(kHttpAcceptLang, "http.accept_lang")             \
  X(kHttpConnection, "http.connection")              \
  X(kHttpStart, "http.start")                        \
  X(kHttpRequestHeader, "http.request_header")       \
  X(kHttpResponseHeader, "http.response_header")     \
  X(kHttpRequestBody, "http.request_body")           \
  X(kHttpStatCode, "http.stat_code")                 \
  X(kHttpStatMsg, "http.stat_msg")                   \
  X(kHttpResponseLine, "http.response_line")         \
  X(kHttpResponseBody, "http.response_body")         \
  X(kHttpServer, "http.server")                      \
  X(kHttpLocation, "http.location")                  \
  X(kFileData, "file.data")                          \
  X(kDnsQuery, "dns.query")                          \
  X(kDnsAnswerName, "dns.answer.name")               \
  X(kDnsQueryName, "dns.query.name")                 \
  X(kDnsAuthoritiesRrname, "dns.authorities.rrname") \
  X(kDnsAdditionalsRrname, "dns.additionals.rrname") \
  X(kDnsResponseRrname, "dns.response.rrname")       \
  X(kTlsSni, "tls.sni")                              \
  X(kTlsCertSubject, "tls.cert_subject")             \
  X(kTlsCertIssuer, "tls.cert_issuer")               \
  X(kTlsCertSerial, "tls.cert_serial")               \
  X(kTlsCertFingerprint, "tls.cert_fingerprint")     \
  X(kTlsCerts, "tls.certs")                          \
  X(kTlsSubjectAltName, "tls.subjectaltname")        \
  X(kTlsRandom, "tls.random")                        \
  X(kTlsRandomTime, "tls.random_time")               \
  X(kTlsRandomBytes, "tls.random_bytes")             \
  X(kJa3Hash, "ja3.hash")                            \
  X(kJa3String, "ja3.string")                        \
  X(kJa3sHash, "ja3s.hash")                          \
  X(kJa3sString, "ja3s.string")                      \
  X(kJa4Hash, "ja4.hash")                            \
  X(kSshProto, "ssh.proto")                          \
  X(kSshSoftware, "ssh.software")                    \
  X(kIpSrc, "ip.src")                                \
  X(kIpDst, "ip.dst")                                \
  X(kTcpHdr, "tcp.hdr")                              \
  X(kSmtpHelo, "smtp.helo")                          \
  X(kSmtpMailFrom, "smtp.mail_from")                 \
  X(kSmtpRcptTo, "smtp.rcpt_to")                     \
  X(kEmailFrom, "email.from")                        \
  X(kEmailTo, "email.to")                            \
  X(kEmailCc, "email.cc")                            \
  X(kEmailSubject, "email.subject")                  \
  X(kEmailDate, "email.date")                        \
  X(kEmailMessageId, "email.message_id")             \
  X(kEmailXMailer, "email.x_mailer")                 \
  X(kFileName, "file.name")                          \
  X(kFileMagic, "file.magic")                        \
  X(kFileMd5, "file.md5")                            \
  X(kFileSha1, "file.sha1")                          \
  X(kFileSha256, "file.sha256")                      \
  X(kFtpCommand, "ftp.command")                      \
  X(kFtpCommandData, "ftp.command_data")             \
  X(kSmbShare, "smb.share")                          \
  X(kSmbNamedPipe, "smb.named_pipe")                 \
  X(kSmbNtlmsspUser, "smb.ntlmssp_user")             \
  X(kSmbNtlmsspDomain, "smb.ntlmssp_domain")         \
  X(kDcerpcStubData, "dcerpc.stub_data")             \
  X(kHttp2HeaderName, "http2.header_name")           \
  X(kHttp2Header, "http2.header")

enum class BufferId : uint16_t {
#define VIGIL_BUFFER_ENUM_(e, name) e,
  VIGIL_BUFFERS(VIGIL_BUFFER_ENUM_)
#undef VIGIL_BUFFER_ENUM_
      kCount
};

constexpr size_t kBufferCount = static_cast<size_t>(BufferId::kCount);

// Canonical keyword of a buffer ("http.uri").
std::string_view buffer_name(BufferId id);

// Buffers that come from the packet, not from a transaction: ip.src / ip.dst
// hold the address bytes (4 for IPv4, 16 for IPv6), as in Suricata 8;
// tcp.hdr the packet's TCP header, options included (absent without one). Rules
// that use only these (and the payload) stay packet rules.
constexpr bool is_packet_buffer(BufferId id) {
  return id == BufferId::kIpSrc || id == BufferId::kIpDst || id == BufferId::kTcpHdr;
}

// http.request_body and http.response_body are the bytes of file.data in
// their direction wherever they exist (HttpTx aliases file.data to them,
// agent/app/http_tx.h): the rules engine's prefilter scans them once, as
// file.data. A parser that publishes either body must keep this.
constexpr bool is_body_of_file_data(BufferId id) {
  return id == BufferId::kHttpRequestBody || id == BufferId::kHttpResponseBody;
}

enum class Dir : uint8_t { kToServer = 0, kToClient = 1 };
// 0 to server, 1 to client: an index for per-direction arrays.
constexpr int di(Dir d) {
  return static_cast<int>(d);
}

// Integer-valued fields rule keywords compare against (dns.opcode,
// tls.version, ...). Absent fields return false from Transaction::integer.
enum class TxInt : uint16_t {
  kDnsOpcode,
  kDnsRrtype,   // of the first question
  kDnsRcode,    // the header's RCODE of the direction's message (no fallback)
  kTlsVersion,  // negotiated (ServerHello) or ClientHello version
  kHttpStatCode,
  kHttpContentLen,  // Content-Length of the message in the asked direction
  kTlsCertChainLen,
  // Handshake messages of the latest update, as bits (ssl_state): 1
  // client_hello, 2 server_hello, 4 client_keyx, 8 server_keyx, 16 unknown.
  kTlsState,
  // The direction's SSL/TLS version as an index (ssl_version): 0 sslv2,
  // 1 sslv3, 2 tls1.0, 3 tls1.1, 4 tls1.2, 5 tls1.3.
  kTlsSslVersion,
  // The leaf certificate's validity (Unix seconds, UTC), and whether it had
  // expired (notAfter before the time of the packet that carried it).
  kTlsCertNotBefore,
  kTlsCertNotAfter,
  kTlsCertExpired,
  // Size of the direction's file once it is closed or truncated (filesize).
  kFileSize,
  // FTP: 1 when the PORT/EPRT command names an address other than the
  // client's (ftpbounce), 0 otherwise; absent for other commands.
  kFtpBounce,
  // ftp-data: the transfer command of the data connection, 1 RETR, 2 STOR
  // (ftpdata_command); absent for other commands.
  kFtpDataCommand,
  // DCERPC carried by the transaction (SMB named pipes): the packet type
  // (dcerpc.ptype) and pfc_flags (dcerpc.flags) of the direction's PDU.
  kDcerpcPtype,
  kDcerpcFlags,
  // HTTP/2, per stream and direction: the frame types seen (bit 1 << type;
  // http2.frametype), the RST_STREAM error code (http2.errorcode), the
  // PRIORITY weight of HEADERS or PRIORITY (http2.priority) and the last
  // WINDOW_UPDATE increment (http2.window).
  kHttp2FrameTypes,
  kHttp2ErrorCode,
  kHttp2Priority,
  kHttp2Window,
  kCount
};

// Progress of a transaction in one direction; rules on buffers that belong
// to a later stage are evaluated when the transaction reaches that stage.
enum class TxProgress : uint8_t {
  kNone = 0,
  kLine,      // request/status line seen
  kHeaders,   // headers complete
  kBody,      // body complete (or no body)
  kComplete,  // direction finished
};

// A transaction as the rules engine and the EVE writer see it. Implemented by
// each app-layer parser. Lifetime: owned by the flow's app-layer state; valid
// during the detection/output calls that receive it.
class Transaction {
 public:
  virtual ~Transaction() = default;
  virtual AppProto proto() const = 0;
  // 0-based index of this transaction within its flow.
  virtual uint64_t tx_id() const = 0;
  virtual TxProgress progress(Dir d) const = 0;

  // Number of instances of a buffer in a direction: 0 when absent, 1 for most,
  // more for multi-buffers (dns.query with several questions, tls.certs,
  // http.request_header per header line).
  virtual size_t buffer_count(BufferId id, Dir d) const = 0;
  // Instance i (< buffer_count) of a buffer. Valid until the transaction
  // changes (the next parser call on this flow) or is freed.
  virtual std::span<const uint8_t> buffer(BufferId id, Dir d, size_t i = 0) const = 0;
  // A number that changes whenever an instance of (id, d) changes, so the
  // rules engine can skip rescanning buffers a parser did not touch since
  // the last inspection. False: not tracked (the engine compares contents).
  virtual bool buffer_version(BufferId id, Dir d, uint64_t* out) const {
    (void)id;
    (void)d;
    (void)out;
    return false;
  }
  // Writes this transaction's EVE object under its protocol's key, e.g.
  // out["http"] = {hostname, url, http_user_agent, ...}, as Suricata writes it
  // in alerts and in the per-protocol event (event_type "http", ...).
  virtual void to_eve(nlohmann::ordered_json& out) const = 0;
  // Protocols that Suricata logs once per direction instead of once per
  // transaction (DNS: a `query` event per question when the request is seen,
  // one `answer` event when the response is) return true; their parser
  // reports each direction when it is seen (AppEvents::on_tx_log), and the
  // finished transaction writes no event of its own.
  virtual bool logs_per_direction() const { return false; }
  // The number of events direction d writes, and event i of them (the
  // protocol's object under its key, as to_eve).
  virtual size_t eve_records(Dir d) const {
    (void)d;
    return 0;
  }
  virtual void to_eve_record(nlohmann::ordered_json& out, Dir d, size_t i) const {
    (void)out;
    (void)d;
    (void)i;
  }
  virtual bool integer(TxInt field, Dir d, int64_t* out) const {
    (void)field;
    (void)d;
    (void)out;
    return false;
  }
  // Files the transaction carries (agent/app/file_tracker.h): their number,
  // and file i's Suricata "fileinfo" object into out["fileinfo"] (its
  // direction in *d).
  virtual size_t file_count() const { return 0; }
  virtual void file_to_eve(nlohmann::ordered_json& out, size_t i, Dir* d) const {
    (void)out;
    (void)i;
    (void)d;
  }
  // Rule `sid` with filestore matched in direction d: the direction's file
  // is written to the file store once it is closed.
  virtual void request_filestore(Dir d, uint32_t sid) const {
    (void)d;
    (void)sid;
  }
  // DCERPC carried by the transaction (SMB named pipes; dcerpc.opnum and
  // dcerpc.iface): the REQUEST's opnum (false without a REQUEST), and the
  // interfaces that a BIND_ACK accepted for the context id the REQUEST uses
  // (uuid as "4b324fc8-1670-01d3-1278-5a47bf6ee188", major version).
  virtual bool dcerpc_opnum(uint16_t* out) const {
    (void)out;
    return false;
  }
  virtual size_t dcerpc_iface_count() const { return 0; }
  virtual bool dcerpc_iface(size_t i, std::string_view* uuid, uint16_t* version) const {
    (void)i;
    (void)uuid;
    (void)version;
    return false;
  }
};

}  // namespace vigil
