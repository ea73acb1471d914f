#include <openssl/evp.h>
#include <openssl/x509.h>

#include <catch2/catch.hpp>

#include "agent/app/tls_cert.h"
#include "agent/app/tls_hello.h"
#include "tests/agent/app/app_test_util.h"
#include "tests/agent/app/tls_test_bytes.h"

using namespace vigil;
using vigil::test::B;
using vigil::test::Harness;
using namespace vigil::test;

namespace {

std::string list16(const std::vector<unsigned>& v) {
  std::string s;
  for (auto x : v) s += u16(x);
  return s;
}
std::string ext(unsigned type, const std::string& data) {
  return u16(type) + u16(static_cast<unsigned>(data.size())) + data;
}

std::string client_hello(unsigned version, const std::vector<unsigned>& ciphers, const std::string& exts) {
  std::string b = u16(version) + std::string(32, 'R') + u8(0) +
                  u16(static_cast<unsigned>(ciphers.size() * 2)) + list16(ciphers) + u8(1) + u8(0);
  if (!exts.empty()) b += u16(static_cast<unsigned>(exts.size())) + exts;
  return b;
}

std::string sni_ext(const std::string& host) {
  std::string entry = u8(0) + u16(static_cast<unsigned>(host.size())) + host;
  return ext(0, u16(static_cast<unsigned>(entry.size())) + entry);
}
std::string alpn_ext(const std::vector<std::string>& protos) {
  std::string l;
  for (const auto& p : protos) l += u8(static_cast<unsigned>(p.size())) + p;
  return ext(16, u16(static_cast<unsigned>(l.size())) + l);
}

// The Chrome hello of the JA4 specification's example (GREASE added to check it is ignored).
std::string chrome_hello() {
  std::vector<unsigned> ciphers = {0x0a0a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
                                   0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035};
  std::string e;
  e += ext(0x1a1a, "");
  e += sni_ext("www.example.com");
  e += ext(0x0017, "");
  e += ext(0xff01, u8(0));
  e += ext(0x000a, u16(8) + list16({0x2a2a, 0x001d, 0x0017, 0x0018}));
  e += ext(0x000b, u8(1) + u8(0));
  e += ext(0x0023, "");
  e += alpn_ext({"h2", "http/1.1"});
  e += ext(0x0005, u8(1) + u16(0) + u16(0));
  e += ext(0x000d, u16(16) + list16({0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601}));
  e += ext(0x0012, "");
  e += ext(0x0033, u16(0));
  e += ext(0x002d, u8(1) + u8(1));
  e += ext(0x002b, u8(6) + list16({0x3a3a, 0x0304, 0x0303}));
  e += ext(0x001b, u8(2) + u16(2));
  e += ext(0x4469, u16(3) + u8(2) + "h2");
  e += ext(0x0015, std::string(10, '\0'));
  e += ext(0x4a4a, u8(0));
  return client_hello(0x0303, ciphers, e);
}

std::string make_cert() {
  return test::self_signed_cert(0x0102AB, "20240102030405Z", "20340102030405Z",
                                {{"C", "US"}, {"O", "Vigil Test"}, {"CN", "test.example"}},
                                "DNS:test.example,IP:192.0.2.1,DNS:www.test.example");
}

std::string server_flight(const std::string& cert) {
  std::string exts = ext(0xff01, u8(0)) + ext(0x000b, u8(0));
  std::string sh = u16(0x0303) + std::string(32, 'S') + u8(0) + u16(0xc02f) + u8(0) +
                   u16(static_cast<unsigned>(exts.size())) + exts;
  std::string certs = u24(cert.size()) + cert;
  std::string cmsg = u24(certs.size()) + certs;
  return record(22, handshake(2, sh) + handshake(11, cmsg) + handshake(14, ""), 0x0303);
}

const std::string kCcs = record(20, u8(1), 0x0303);

}  // namespace

TEST_CASE("tls: JA3 of the reference hello matches the published hash", "[app][tls]") {
  std::string e = sni_ext("x") + ext(10, u16(6) + list16({23, 24, 25})) + ext(11, u8(1) + u8(0));
  std::string body = client_hello(769, {47, 53, 5, 10, 49161, 49162, 49171, 49172, 50, 56, 19, 4}, e);
  tls::Hello h;
  REQUIRE(tls::parse_client_hello(B(body), h));
  CHECK(tls::ja3_string(h) == "769,47-53-5-10-49161-49162-49171-49172-50-56-19-4,0-10-11,23-24-25,0");
  CHECK(tls::md5_hex(tls::ja3_string(h)) == "ada70206e40642a3e4461f35503241d5");
}

TEST_CASE("tls: JA4 of the specification's Chrome example", "[app][tls]") {
  tls::Hello h;
  REQUIRE(tls::parse_client_hello(B(chrome_hello()), h));
  CHECK(h.sni == "www.example.com");
  CHECK(tls::ja4(h) == "t13d1516h2_8daaf6152771_e5627efa2ab1");
  CHECK(tls::effective_version(h) == 0x0304);
}

TEST_CASE("tls: full handshake gives SNI, fingerprints, certificate and one log", "[app][tls]") {
  std::string cert = make_cert();
  Harness h(6, 40000, 4443);
  h.send(Dir::kToServer, record(22, handshake(1, chrome_hello())));
  CHECK(h.flow.app_proto == AppProto::kTls);
  h.send(Dir::kToClient, server_flight(cert));
  h.send(Dir::kToServer, record(22, handshake(16, std::string(66, 'k')), 0x0303) + kCcs +
                             record(22, std::string(40, 'E'), 0x0303));
  CHECK(h.rec.done.empty());
  h.send(Dir::kToClient, kCcs + record(22, std::string(40, 'E'), 0x0303));
  REQUIRE(h.rec.done.size() == 1);
  h.send(Dir::kToServer, record(23, std::string(100, 'A'), 0x0303));
  const auto& t = h.rec.done[0];
  CHECK(t.buf(BufferId::kTlsSni) == "www.example.com");
  CHECK(t.buf(BufferId::kJa4Hash) == "t13d1516h2_8daaf6152771_e5627efa2ab1");
  CHECK(t.buf(BufferId::kJa3Hash).size() == 32);
  CHECK(t.buf(BufferId::kJa3sString, Dir::kToClient) == "771,49199,65281-11");
  // tls.subjectaltname: the leaf's dNSName entries (not the IP address).
  CHECK(t.count(BufferId::kTlsSubjectAltName, Dir::kToClient) == 2);
  CHECK(t.buf(BufferId::kTlsSubjectAltName, Dir::kToClient, 1) == "www.test.example");
  CHECK(t.count(BufferId::kTlsSubjectAltName, Dir::kToServer) == 0);
  // tls.random of each hello, and its 4 + 28 byte parts.
  CHECK(t.buf(BufferId::kTlsRandom).size() == 32);
  CHECK(t.buf(BufferId::kTlsRandom, Dir::kToClient) == std::string(32, 'S'));
  CHECK(t.buf(BufferId::kTlsRandomTime, Dir::kToClient) == "SSSS");
  CHECK(t.buf(BufferId::kTlsRandomBytes, Dir::kToClient) == std::string(28, 'S'));
  CHECK(t.buf(BufferId::kTlsRandom).substr(0, 4) == t.buf(BufferId::kTlsRandomTime));
  CHECK(t.buf(BufferId::kTlsCertSubject, Dir::kToClient) == "C=US, O=Vigil Test, CN=test.example");
  CHECK(t.buf(BufferId::kTlsCertIssuer, Dir::kToClient) == "C=US, O=Vigil Test, CN=test.example");
  CHECK(t.buf(BufferId::kTlsCertSerial, Dir::kToClient) == "01:02:AB");
  CHECK(t.buf(BufferId::kTlsCertFingerprint, Dir::kToClient).size() == 59);
  CHECK(t.count(BufferId::kTlsCerts, Dir::kToClient) == 1);
  CHECK(t.buf(BufferId::kTlsCerts, Dir::kToClient) == cert);
  CHECK(t.integer(TxInt::kTlsVersion, Dir::kToClient) == 0x0303);
  const auto& e = t.eve["tls"];
  CHECK(e["sni"] == "www.example.com");
  CHECK(e["version"] == "TLS 1.2");
  CHECK(e["subject"] == "C=US, O=Vigil Test, CN=test.example");
  CHECK(e["serial"] == "01:02:AB");
  CHECK(e["notbefore"] == "2024-01-02T03:04:05");
  CHECK(e["notafter"] == "2034-01-02T03:04:05");
  CHECK(e["ja3"]["hash"] == t.buf(BufferId::kJa3Hash));
  CHECK(e["ja4"] == "t13d1516h2_8daaf6152771_e5627efa2ab1");
  CHECK(h.counter("app_layer.tx.tls") == 1);
  CHECK(h.counter("app_layer.tls.encrypted_bytes") > 100);
}

TEST_CASE("tls: ClientHello split across two records and at every segment byte", "[app][tls]") {
  std::string hs = handshake(1, chrome_hello());
  std::string two = record(22, hs.substr(0, 7)) + record(22, hs.substr(7));
  for (size_t cut = 0; cut <= two.size(); ++cut) {
    Harness h(6, 40000, 443);
    h.send_split(Dir::kToServer, two, cut);
    h.end();
    INFO("cut " << cut);
    REQUIRE(h.rec.done.size() == 1);
    CHECK(h.rec.done[0].buf(BufferId::kTlsSni) == "www.example.com");
    CHECK(h.rec.done[0].eve["tls"]["version"] == "UNDETERMINED");
  }
}

TEST_CASE("tls: truncated and malformed input is counted", "[app][tls]") {
  std::string all = record(22, handshake(1, chrome_hello()));
  for (size_t n = 0; n <= all.size(); ++n) {
    Harness h(6, 40000, 443);
    h.send(Dir::kToServer, all.substr(0, n));
    h.end();
  }
  // hello body cut short inside a complete handshake message
  std::string body = chrome_hello();
  for (size_t n = 0; n < body.size(); n += 7) {
    tls::Hello hello;
    tls::parse_client_hello(B(body.substr(0, n)), hello);
    Harness h(6, 40000, 443);
    h.send(Dir::kToServer, record(22, handshake(1, body.substr(0, n))));
    h.end();
  }
  Harness bad(6, 40000, 443);
  bad.send(Dir::kToServer, record(22, handshake(1, chrome_hello())) + record(99, "xx"));
  CHECK(bad.counter("app_layer.anomaly.tls.invalid_record") == 1);
  tls::CertInfo info;
  CHECK(!tls::parse_certificate(B("not a certificate"), info));
}

TEST_CASE("tls: both sides encrypted turns raw content inspection off, unless encryption-handling is full",
          "[app][tls]") {
  for (bool full : {false, true}) {
    AppConfig cfg;
    cfg.tls_inspect_encrypted = full;
    Harness h(6, 40000, 4443, cfg);
    h.send(Dir::kToServer, record(22, handshake(1, chrome_hello())));
    h.send(Dir::kToClient, server_flight(make_cert()));
    h.send(Dir::kToServer, record(22, handshake(16, std::string(66, 'k')), 0x0303) + kCcs);
    CHECK_FALSE(h.flow.no_payload_inspection);  // one side only
    h.send(Dir::kToClient, kCcs + record(22, std::string(40, 'E'), 0x0303));
    CHECK(h.flow.no_payload_inspection == !full);
  }
}

TEST_CASE("tls: a certificate seen again comes from the per-thread cache, a changed one is decoded",
          "[app][tls]") {
  std::string a = make_cert();
  auto bytes = [](const std::string& s) {
    return Bytes(reinterpret_cast<const uint8_t*>(s.data()), s.size());
  };
  tls::CertInfo first, again, changed;
  REQUIRE(tls::parse_certificate(bytes(a), first));
  REQUIRE(tls::parse_certificate(bytes(a), again));
  CHECK(again.subject == first.subject);
  CHECK(again.fingerprint == first.fingerprint);
  CHECK(again.not_after_s == first.not_after_s);
  std::string b = a;
  b.back() = char(b.back() ^ 0x5a);  // inside the signature: still decodes, other fingerprint
  REQUIRE(tls::parse_certificate(bytes(b), changed));
  CHECK(changed.fingerprint != first.fingerprint);
  CHECK(changed.subject == first.subject);
  tls::CertInfo bad;
  CHECK_FALSE(tls::parse_certificate(bytes(a.substr(0, 20)), bad));
  CHECK_FALSE(tls::parse_certificate(bytes(a.substr(0, 20)), bad));  // a cached failure is still a failure
}

TEST_CASE("tls: mutual TLS: the client's Certificate fills the tls.cert_* buffers of to_server",
          "[app][tls]") {
  std::string server_cert = make_cert();
  std::string client_cert = test::self_signed_cert(0x0C11, "20240102030405Z", "20340102030405Z",
                                                   {{"O", "Vigil Client"}, {"CN", "client.example"}});
  Harness h(6, 40000, 4443);
  h.send(Dir::kToServer, record(22, handshake(1, chrome_hello())));
  h.send(Dir::kToClient, server_flight(server_cert));
  size_t updates = h.rec.updates.size();
  std::string certs = u24(client_cert.size()) + client_cert;
  h.send(Dir::kToServer,
         record(22, handshake(11, u24(certs.size()) + certs) + handshake(16, std::string(66, 'k')), 0x0303) +
             kCcs + record(22, std::string(40, 'E'), 0x0303));
  // The client's certificate is an update in its own direction (rules run then).
  CHECK(h.rec.updates.size() > updates);
  h.send(Dir::kToClient, kCcs + record(22, std::string(40, 'E'), 0x0303));
  REQUIRE(h.rec.done.size() == 1);
  const auto& t = h.rec.done[0];
  CHECK(t.buf(BufferId::kTlsCertSubject, Dir::kToServer) == "O=Vigil Client, CN=client.example");
  CHECK(t.buf(BufferId::kTlsCertIssuer, Dir::kToServer) == "O=Vigil Client, CN=client.example");
  CHECK(t.buf(BufferId::kTlsCertSerial, Dir::kToServer) == "0C:11");
  CHECK(t.buf(BufferId::kTlsCertFingerprint, Dir::kToServer).size() == 59);
  CHECK(t.count(BufferId::kTlsCerts, Dir::kToServer) == 1);
  CHECK(t.buf(BufferId::kTlsCerts, Dir::kToServer) == client_cert);
  // The server's chain stays the server's.
  CHECK(t.buf(BufferId::kTlsCertSubject, Dir::kToClient) == "C=US, O=Vigil Test, CN=test.example");
  CHECK(t.count(BufferId::kTlsCerts, Dir::kToClient) == 1);
  CHECK(t.eve["tls"]["subject"] == "C=US, O=Vigil Test, CN=test.example");
  CHECK(t.integer(TxInt::kTlsCertChainLen, Dir::kToClient) == 1);
}
