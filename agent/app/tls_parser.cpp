// TLS parser: record layer per direction, handshake messages reassembled
// across records and segments, then ClientHello, ServerHello and the server
// Certificate chain (and the client's, with mutual TLS) decoded into one
// transaction per flow. Once a direction
// sent ChangeCipherSpec (or application data) its records are only counted;
// when both directions are encrypted the transaction is logged and the flow
// costs a byte counter from then on.
//
// Bounds: records <= 2^14 + 2048 bytes, one handshake message <= kMaxHandshake
// (a certificate chain fits), anything larger is counted and the direction
// stops being parsed.
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "agent/app/parsers.h"
#include "agent/app/tls_cert.h"
#include "agent/app/tls_hello.h"
#include "agent/app/tx_base.h"

namespace vigil {
namespace {

constexpr size_t kMaxRecord = 16384 + 2048;
constexpr size_t kMaxHandshake = 256 * 1024;
constexpr size_t kMaxCerts = 10;

class TlsTx : public TxBase {
 public:
  TlsTx() : TxBase(AppProto::kTls, 0) {}

  bool has_client_hello = false, has_server_hello = false;
  uint8_t current = 0;      // TxInt::kTlsState bits of the message behind the latest update
  int64_t cert_seen_s = 0;  // packet time of the Certificate message (TxInt::kTlsCertExpired)
  tls::Hello client, server;
  std::vector<tls::CertInfo> certs;  // the server's chain (leaf first)
  size_t client_certs = 0;           // certificates of the client's chain (mutual TLS)

  void set_client_hello() {
    has_client_hello = true;
    if (client.has_sni) bufs.set(BufferId::kTlsSni, Dir::kToServer, client.sni);
    auto ja3 = tls::ja3_string(client);
    bufs.set(BufferId::kJa3String, Dir::kToServer, ja3);
    bufs.set(BufferId::kJa3Hash, Dir::kToServer, tls::md5_hex(ja3));
    bufs.set(BufferId::kJa4Hash, Dir::kToServer, tls::ja4(client));
    set_random(Dir::kToServer, client.random);
    set_progress(Dir::kToServer, TxProgress::kHeaders);
  }
  void set_server_hello() {
    has_server_hello = true;
    auto s = tls::ja3s_string(server);
    bufs.set(BufferId::kJa3sString, Dir::kToClient, s);
    bufs.set(BufferId::kJa3sHash, Dir::kToClient, tls::md5_hex(s));
    set_random(Dir::kToClient, server.random);
    set_progress(Dir::kToClient, TxProgress::kHeaders);
  }
  // tls.random (32 bytes) of the hello sent in direction d, and its two
  // parts: the first 4 bytes (gmt_unix_time in TLS <= 1.2) and the other 28.
  void set_random(Dir d, const std::string& r) {
    if (r.size() != 32) return;
    std::string_view v(r);
    bufs.set(BufferId::kTlsRandom, d, v);
    bufs.set(BufferId::kTlsRandomTime, d, v.substr(0, 4));
    bufs.set(BufferId::kTlsRandomBytes, d, v.substr(4));
  }
  // A certificate of the chain sent in direction d: the server's (to_client)
  // or, with mutual TLS, the client's (to_server). The tls.cert_* buffers of
  // a direction hold its leaf, tls.certs every certificate, as Suricata 7/8.
  void add_cert(Dir d, Bytes der, tls::CertInfo info) {
    bufs.add(BufferId::kTlsCerts, d, std::string_view(reinterpret_cast<const char*>(der.data()), der.size()));
    bool leaf = d == Dir::kToClient ? certs.empty() : client_certs == 0;
    if (leaf) {
      bufs.set(BufferId::kTlsCertSubject, d, info.subject);
      bufs.set(BufferId::kTlsCertIssuer, d, info.issuer);
      bufs.set(BufferId::kTlsCertSerial, d, info.serial);
      bufs.set(BufferId::kTlsCertFingerprint, d, info.fingerprint);
      for (const auto& n : info.dns_names) bufs.add(BufferId::kTlsSubjectAltName, d, n);
    }
    if (d == Dir::kToClient)
      certs.push_back(std::move(info));
    else
      ++client_certs;
  }

  uint16_t version() const {
    if (has_server_hello) return tls::effective_version(server);
    return 0;
  }

  bool integer(TxInt f, Dir d, int64_t* out) const override {
    if (f == TxInt::kTlsVersion) {
      uint16_t v = has_server_hello ? version() : (has_client_hello ? client.version : 0);
      if (v == 0) return false;
      *out = v;
      return true;
    }
    if (f == TxInt::kTlsCertChainLen && has_server_hello) {
      *out = static_cast<int64_t>(certs.size());
      return true;
    }
    if ((f == TxInt::kTlsCertNotBefore || f == TxInt::kTlsCertNotAfter || f == TxInt::kTlsCertExpired) &&
        !certs.empty() && certs[0].has_validity) {
      const auto& c = certs[0];
      *out = f == TxInt::kTlsCertNotBefore  ? c.not_before_s
             : f == TxInt::kTlsCertNotAfter ? c.not_after_s
                                            : int64_t(c.not_after_s < cert_seen_s);
      return true;
    }
    if (f == TxInt::kTlsState) {
      *out = current;
      return true;
    }
    if (f == TxInt::kTlsSslVersion) {
      // The client's hello version (legacy field, as on the wire) or the one
      // the server selected.
      bool ts = d == Dir::kToServer;
      if (!(ts ? has_client_hello : has_server_hello)) return false;
      int idx = version_index(ts ? client.version : version());
      if (idx < 0) return false;
      *out = idx;
      return true;
    }
    return false;
  }

  static int version_index(uint16_t v) {
    switch (v) {
      case 0x0002:
        return 0;
      case 0x0300:
        return 1;
      case 0x0301:
        return 2;
      case 0x0302:
        return 3;
      case 0x0303:
        return 4;
      case 0x0304:
        return 5;
      default:
        return -1;
    }
  }

  void to_eve(nlohmann::ordered_json& out) const override {
    nlohmann::ordered_json j = nlohmann::ordered_json::object();
    if (!certs.empty()) {
      const auto& c = certs[0];
      j["subject"] = eve_string(c.subject);
      j["issuerdn"] = eve_string(c.issuer);
      j["serial"] = c.serial;
      j["fingerprint"] = c.fingerprint;
    }
    if (client.has_sni) j["sni"] = eve_string(client.sni);
    j["version"] = tls::version_name(version());
    if (!certs.empty()) {
      j["notbefore"] = certs[0].not_before;
      j["notafter"] = certs[0].not_after;
    }
    if (has_client_hello) {
      j["ja3"] = {{"hash", std::string(bufs.get(BufferId::kJa3Hash, Dir::kToServer))},
                  {"string", std::string(bufs.get(BufferId::kJa3String, Dir::kToServer))}};
    }
    if (has_server_hello) {
      j["ja3s"] = {{"hash", std::string(bufs.get(BufferId::kJa3sHash, Dir::kToClient))},
                   {"string", std::string(bufs.get(BufferId::kJa3sString, Dir::kToClient))}};
    }
    if (has_client_hello) j["ja4"] = std::string(bufs.get(BufferId::kJa4Hash, Dir::kToServer));
    // No client_alpns/server_alpns: they are Suricata 8 fields, and Suricata
    // 7's schema has no place for ALPN in `tls` (JA4 still covers the first).
    out["tls"] = std::move(j);
  }
};

struct TlsSide {
  uint8_t hdr[5];
  size_t hdr_len = 0;
  uint8_t type = 0;
  size_t remaining = 0;  // payload bytes of the current record still to come
  std::string hs;        // handshake bytes not yet forming a whole message
  bool encrypted = false;
  bool error = false;
};

class TlsParser : public AppParser {
 public:
  void data(ParseCtx& c, Dir d, Bytes b) override {
    TlsSide& s = side_[static_cast<int>(d)];
    if (done_ || s.error) {
      if (done_) c.ctr.tls_encrypted_bytes += b.size();
      return;
    }
    while (!b.empty() && !s.error && !done_) {
      if (s.remaining == 0 && s.hdr_len < 5) {
        size_t n = std::min(5 - s.hdr_len, b.size());
        std::copy_n(b.begin(), n, s.hdr + s.hdr_len);
        s.hdr_len += n;
        b = b.subspan(n);
        if (s.hdr_len < 5) break;
        s.type = s.hdr[0];
        s.remaining = (size_t{s.hdr[3]} << 8) | s.hdr[4];
        if (s.hdr[1] != 3 || s.type < 20 || s.type > 24 || s.remaining > kMaxRecord) {
          ++c.ctr.tls_bad_record;
          ++c.ctr.err_tls;
          s.error = true;
          break;
        }
        if (s.remaining == 0) s.hdr_len = 0;
        if (s.type == 20) s.encrypted = true;  // later records of d are encrypted
        if (s.type == 23) s.encrypted = true;
        continue;
      }
      size_t n = std::min(s.remaining, b.size());
      if (s.type == 22 && !encrypted_before_record(s)) {
        handshake_bytes(c, d, b.first(n));
      } else if (s.type != 20) {
        c.ctr.tls_encrypted_bytes += n;
      }
      b = b.subspan(n);
      s.remaining -= n;
      if (s.remaining == 0) s.hdr_len = 0;
    }
    maybe_done(c);
  }

  void gap(ParseCtx& c, Dir d, uint64_t) override {
    ++c.ctr.gap_tls;
    side_[static_cast<int>(d)].error = true;
    maybe_done(c);
  }

  void end(ParseCtx&, Dir) override {}

  void finish(ParseCtx& c) override {
    if (tx_ && !done_) {
      done_ = true;
      c.done(*tx_);
    }
    tx_.reset();
  }

 private:
  // A handshake record after ChangeCipherSpec is the encrypted Finished.
  bool encrypted_before_record(const TlsSide& s) const { return s.encrypted && s.type == 22 && ccs_seen(s); }
  bool ccs_seen(const TlsSide& s) const { return s.encrypted; }

  TlsTx& tx(ParseCtx& c) {
    if (!tx_) {
      tx_ = std::make_unique<TlsTx>();
      ++c.ctr.tx_tls;
    }
    return *tx_;
  }

  void handshake_bytes(ParseCtx& c, Dir d, Bytes b) {
    TlsSide& s = side_[static_cast<int>(d)];
    std::string& hs = s.hs;
    hs.append(reinterpret_cast<const char*>(b.data()), b.size());
    size_t off = 0;
    while (hs.size() - off >= 4) {
      auto* p = reinterpret_cast<const uint8_t*>(hs.data()) + off;
      size_t len = (size_t{p[1]} << 16) | (size_t{p[2]} << 8) | p[3];
      if (len > kMaxHandshake) {
        ++c.ctr.tls_handshake_too_long;
        ++c.ctr.err_tls;
        s.error = true;
        hs.clear();
        return;
      }
      if (hs.size() - off < 4 + len) break;
      message(c, d, p[0], Bytes(p + 4, len));
      off += 4 + len;
      if (s.error) break;
    }
    hs.erase(0, off);
  }

  // ssl_state bit of a handshake message type (0 for the other known types).
  static uint8_t state_bit(Dir d, uint8_t type) {
    switch (type) {
      case 1:
        return 1;
      case 2:
        return 2;
      case 16:
        return d == Dir::kToServer ? 4 : 0;
      case 12:
        return d == Dir::kToClient ? 8 : 0;
      case 0:   // hello_request
      case 4:   // new_session_ticket
      case 8:   // encrypted_extensions
      case 11:  // certificate
      case 13:  // certificate_request
      case 14:  // server_hello_done
      case 15:  // certificate_verify
      case 20:  // finished
        return 0;
      default:
        return 16;
    }
  }

  void message(ParseCtx& c, Dir d, uint8_t type, Bytes body) {
    uint8_t bit = state_bit(d, type);
    tx(c).current = bit;
    if (d == Dir::kToServer && type == 1 && !tx(c).has_client_hello) {
      auto& t = tx(c);
      if (!tls::parse_client_hello(body, t.client)) {
        ++c.ctr.tls_bad_handshake;
        ++c.ctr.err_tls;
      }
      t.set_client_hello();
      c.update(Dir::kToServer, t);
    } else if (d == Dir::kToClient && type == 2 && !tx(c).has_server_hello) {
      auto& t = tx(c);
      if (!tls::parse_server_hello(body, t.server)) {
        ++c.ctr.tls_bad_handshake;
        ++c.ctr.err_tls;
      }
      t.set_server_hello();
      c.update(Dir::kToClient, t);
    } else if (type == 11 && (d == Dir::kToClient ? tx(c).certs.empty() : tx(c).client_certs == 0)) {
      certificates(c, d, body);
    } else if (bit & (4 | 8 | 16)) {
      c.update(d, tx(c));  // key exchange (or an unknown message): ssl_state rules run
    }
  }

  // A Certificate message (TLS <= 1.2 layout): the server's chain, or the
  // client's when the server asked for one.
  void certificates(ParseCtx& c, Dir d, Bytes body) {
    auto& t = tx(c);
    if (body.size() < 3) {
      ++c.ctr.tls_bad_certificate;
      return;
    }
    size_t total = (size_t{body[0]} << 16) | (size_t{body[1]} << 8) | body[2];
    size_t o = 3, end = std::min(body.size(), 3 + total);
    size_t n = 0;
    while (o + 3 <= end && n < kMaxCerts) {
      size_t len = (size_t{body[o]} << 16) | (size_t{body[o + 1]} << 8) | body[o + 2];
      o += 3;
      if (o + len > end) {
        ++c.ctr.tls_bad_certificate;
        break;
      }
      tls::CertInfo info;
      if (!tls::parse_certificate(body.subspan(o, len), info)) ++c.ctr.tls_bad_certificate;
      t.add_cert(d, body.subspan(o, len), std::move(info));
      ++n;
      o += len;
    }
    if (d == Dir::kToClient && c.pkt != nullptr) t.cert_seen_s = c.pkt->ts.sec;
    t.set_progress(d, TxProgress::kBody);
    c.update(d, t);
  }

  void maybe_done(ParseCtx& c) {
    const TlsSide& a = side_[0];
    const TlsSide& b = side_[1];
    if (done_ || !(a.encrypted || a.error) || !(b.encrypted || b.error)) return;
    done_ = true;
    // Both sides encrypt: raw content rules would only scan ciphertext.
    if (a.encrypted && b.encrypted && !c.cfg.tls_inspect_encrypted) c.flow.no_payload_inspection = true;
    side_[0].hs = std::string();
    side_[1].hs = std::string();
    if (tx_) {
      tx_->set_progress(Dir::kToServer, TxProgress::kComplete);
      tx_->set_progress(Dir::kToClient, TxProgress::kComplete);
      c.done(*tx_);
      tx_.reset();
    }
  }

  TlsSide side_[2];
  std::unique_ptr<TlsTx> tx_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<AppParser> make_tls_parser() {
  return std::make_unique<TlsParser>();
}

}  // namespace vigil
