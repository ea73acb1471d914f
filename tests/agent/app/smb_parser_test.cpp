// SMB from bytes: a whole SMB2 session split at every byte, a compound
// request, STATUS_PENDING interim responses, SMB1 negotiate and tree connect,
// truncation, malformed and huge record lengths, gaps, detection; READ/WRITE
// data as files (records past the kept part, offsets, gaps, CLOSE or not,
// pipes).
#include <catch2/catch.hpp>

#include "agent/app/proto_detect.h"
#include "agent/app/smb_names.h"
#include "common/digest.h"
#include "tests/agent/app/app_test_util.h"

using namespace vigil;
using vigil::test::B;
using vigil::test::DoneTx;
using vigil::test::Harness;

namespace {

std::string le(uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(char((v >> (8 * i)) & 0xff));
  return s;
}
std::string u16(std::string_view a) {
  std::string s;
  for (char ch : a) {
    s.push_back(ch);
    s.push_back('\0');
  }
  return s;
}
std::string nb(const std::string& msg) {
  size_t n = msg.size();
  return std::string(1, '\0') + char((n >> 16) & 0xff) + char((n >> 8) & 0xff) + char(n & 0xff) + msg;
}
constexpr uint32_t kResp = 1, kAsync = 2, kRelated = 4;
std::string hdr(uint16_t cmd, uint64_t mid, uint32_t flags = 0, uint32_t status = 0, uint64_t sess = 0,
                uint32_t tree = 0, uint32_t next = 0) {
  std::string h = "\xfeSMB";
  h += le(64, 2) + le(1, 2) + le(status, 4) + le(cmd, 2) + le(1, 2) + le(flags, 4) + le(next, 4) + le(mid, 8);
  h += (flags & kAsync) ? le(0x77, 8) : le(0, 4) + le(tree, 4);
  h += le(sess, 8) + std::string(16, '\0');
  return h;
}
const std::string kFid = "\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff\x01";

std::string ntlm_auth(std::string_view dom, std::string_view user, std::string_view host) {
  std::string d = u16(dom), u = u16(user), h = u16(host);
  std::string m = std::string("NTLMSSP\0", 8) + le(3, 4);
  uint32_t off = 72;
  auto field = [&](const std::string& v) {
    std::string f = le(v.size(), 2) + le(v.size(), 2) + le(off, 4);
    off += uint32_t(v.size());
    return f;
  };
  std::string lm = le(0, 2) + le(0, 2) + le(off, 4);
  m += lm;
  m += lm;
  m += field(d);  // one statement each: the offsets follow one another
  m += field(u);
  m += field(h);
  m += le(0, 2) + le(0, 2) + le(off, 4);
  m += le(0xE2088215, 4) + std::string(8, '\0');  // flags (unicode), version
  return m + d + u + h;
}

std::string negotiate_req() {
  return hdr(0, 0) + le(36, 2) + le(2, 2) + le(1, 2) + le(0, 2) + le(0, 4) + std::string(16, '\x42') +
         le(0, 8) + le(0x0202, 2) + le(0x0311, 2);
}
std::string negotiate_resp() {
  return hdr(0, 0, kResp) + le(65, 2) + le(1, 2) + le(0x0311, 2) + le(0, 2) + std::string(16, '\x24') +
         le(0, 4) + le(65536, 4) + le(65536, 4) + le(65536, 4) + le(0, 8) + le(0, 8) + le(128, 2) + le(0, 2) +
         le(0, 4);
}
std::string setup_req() {
  std::string blob = "\xa1\x82\x01\x00" + ntlm_auth("CORP", "alice", "WS01");
  return hdr(1, 1) + le(25, 2) + std::string("\x00\x01", 2) + le(0, 4) + le(0, 4) + le(88, 2) +
         le(blob.size(), 2) + le(0, 8) + blob;
}
std::string setup_resp() {
  return hdr(1, 1, kResp, 0, 0x1234) + le(9, 2) + le(0, 2) + le(72, 2) + le(0, 2);
}
std::string tree_req(uint64_t mid, std::string_view path) {
  std::string p = u16(path);
  return hdr(3, mid, 0, 0, 0x1234) + le(9, 2) + le(0, 2) + le(72, 2) + le(p.size(), 2) + p;
}
std::string tree_resp(uint64_t mid, uint32_t tree, uint8_t type) {
  return hdr(3, mid, kResp, 0, 0x1234, tree) + le(16, 2) + char(type) + '\0' + le(0, 4) + le(0, 4) +
         le(0x1f01ff, 4);
}
std::string create_req(uint64_t mid, uint32_t tree, std::string_view name, uint32_t next = 0,
                       uint32_t flags = 0) {
  std::string n = u16(name);
  return hdr(5, mid, flags, 0, 0x1234, tree, next) + le(57, 2) + '\0' + '\0' + le(2, 4) + le(0, 8) +
         le(0, 8) + le(0x12019f, 4) + le(0x80, 4) + le(7, 4) + le(3, 4) + le(0x40, 4) + le(120, 2) +
         le(n.size(), 2) + le(0, 4) + le(0, 4) + n;
}
// 2020-01-01T00:00:00Z as a FILETIME.
constexpr uint64_t kFt2020 = (1577836800ULL + 11644473600ULL) * 10000000ULL;
std::string create_resp(uint64_t mid, uint32_t tree, uint64_t size, uint32_t next = 0) {
  return hdr(5, mid, kResp, 0, 0x1234, tree, next) + le(89, 2) + '\0' + '\0' + le(2, 4) + le(kFt2020, 8) +
         le(kFt2020, 8) + le(kFt2020, 8) + le(kFt2020, 8) + le(4096, 8) + le(size, 8) + le(0x80, 4) +
         le(0, 4) + kFid + le(0, 4) + le(0, 4);
}
std::string write_req(uint64_t mid, uint32_t tree, const std::string& data) {
  return hdr(9, mid, 0, 0, 0x1234, tree) + le(49, 2) + le(112, 2) + le(data.size(), 4) + le(0, 8) + kFid +
         le(0, 4) + le(0, 4) + le(0, 2) + le(0, 2) + le(0, 4) + data;
}
std::string write_resp(uint64_t mid, uint32_t tree, size_t n) {
  return hdr(9, mid, kResp, 0, 0x1234, tree) + le(17, 2) + le(0, 2) + le(n, 4) + le(0, 4) + le(0, 2) +
         le(0, 2);
}
std::string read_req(uint64_t mid, uint32_t tree) {
  return hdr(8, mid, 0, 0, 0x1234, tree) + le(49, 2) + '\0' + '\0' + le(100, 4) + le(0, 8) + kFid + le(0, 4) +
         le(0, 4) + le(0, 4) + le(0, 2) + le(0, 2) + '\0';
}
std::string read_resp(uint64_t mid, uint32_t tree, const std::string& data) {
  return hdr(8, mid, kResp, 0, 0x1234, tree) + le(17, 2) + char(80) + '\0' + le(data.size(), 4) + le(0, 4) +
         le(0, 4) + data;
}
std::string close_req(uint64_t mid, uint32_t tree) {
  return hdr(6, mid, 0, 0, 0x1234, tree) + le(24, 2) + le(0, 2) + le(0, 4) + kFid;
}
std::string close_resp(uint64_t mid, uint32_t tree) {
  return hdr(6, mid, kResp, 0, 0x1234, tree) + le(60, 2) + std::string(58, '\0');
}

const std::string kClient = nb(negotiate_req()) + nb(setup_req()) + nb(tree_req(2, "\\\\srv\\docs")) +
                            nb(create_req(3, 5, "reports\\q3.txt")) + nb(write_req(4, 5, "hello smb")) +
                            nb(read_req(5, 5)) + nb(close_req(6, 5)) + nb(tree_req(7, "\\\\srv\\IPC$"));
const std::string kServer = nb(negotiate_resp()) + nb(setup_resp()) + nb(tree_resp(2, 5, 1)) +
                            nb(create_resp(3, 5, 9)) + nb(write_resp(4, 5, 9)) +
                            nb(read_resp(5, 5, "hello smb")) + nb(close_resp(6, 5)) + nb(tree_resp(7, 9, 2));

void check_session(const std::vector<DoneTx>& d) {
  REQUIRE(d.size() == 8);
  auto smb = [&](size_t i) { return d[i].eve["smb"]; };
  CHECK(smb(0)["command"] == "SMB2_COMMAND_NEGOTIATE_PROTOCOL");
  CHECK(smb(0)["dialect"] == "3.11");
  CHECK(smb(0)["client_dialects"] == nlohmann::json::array({"2.02", "3.11"}));
  CHECK(smb(0)["status"] == "STATUS_SUCCESS");
  CHECK(smb(0)["status_code"] == "0x0");
  CHECK(smb(0)["max_read_size"] == 65536);
  CHECK(smb(1)["command"] == "SMB2_COMMAND_SESSION_SETUP");
  CHECK(smb(1)["session_id"] == 0x1234);
  CHECK(smb(1)["ntlmssp"]["user"] == "alice");
  CHECK(smb(1)["ntlmssp"]["domain"] == "CORP");
  CHECK(smb(1)["ntlmssp"]["host"] == "WS01");
  CHECK(d[1].buf(BufferId::kSmbNtlmsspUser) == "alice");
  CHECK(d[1].buf(BufferId::kSmbNtlmsspDomain) == "CORP");
  CHECK(smb(2)["share"] == "\\\\srv\\docs");
  CHECK(smb(2)["share_type"] == "FILE");
  CHECK(smb(2)["tree_id"] == 5);
  CHECK(d[2].buf(BufferId::kSmbShare) == "\\\\srv\\docs");
  CHECK(d[2].count(BufferId::kSmbNamedPipe) == 0);
  CHECK(smb(3)["command"] == "SMB2_COMMAND_CREATE");
  CHECK(smb(3)["filename"] == "reports\\q3.txt");
  CHECK(smb(3)["disposition"] == "FILE_OPEN_IF");
  CHECK(smb(3)["access"] == "normal");
  CHECK(smb(3)["created"] == 1577836800);
  CHECK(smb(3)["size"] == 9);
  CHECK(smb(3)["fuid"] == "44332211-6655-8877-99aa-bbccddeeff01");
  for (size_t i : {4, 5, 6}) {
    CHECK(smb(i)["filename"] == "reports\\q3.txt");
    CHECK(smb(i)["share"] == "\\\\srv\\docs");
    CHECK(smb(i)["fuid"] == "44332211-6655-8877-99aa-bbccddeeff01");
  }
  CHECK(smb(4)["command"] == "SMB2_COMMAND_WRITE");
  CHECK(smb(5)["command"] == "SMB2_COMMAND_READ");
  CHECK(smb(6)["command"] == "SMB2_COMMAND_CLOSE");
  CHECK(smb(7)["named_pipe"] == "\\\\srv\\IPC$");
  CHECK(smb(7)["share_type"] == "PIPE");
  CHECK(d[7].buf(BufferId::kSmbNamedPipe) == "\\\\srv\\IPC$");
  for (size_t i = 0; i < d.size(); ++i) CHECK(smb(i)["id"] == i);
}

}  // namespace

TEST_CASE("smb: detection from the NetBIOS framing and the SMB magic", "[app][smb]") {
  auto p = [](std::string_view s, uint16_t port = 4445) {
    return detect_tcp(B(s), Dir::kToServer, 40000, port);
  };
  CHECK(p(nb(negotiate_req())).proto == AppProto::kSmb);
  CHECK(p(std::string("\x85\0\0\0", 4) + nb(negotiate_req())).proto == AppProto::kSmb);  // keep-alive first
  CHECK(p(nb("\xffSMB" + std::string(40, '\0'))).proto == AppProto::kSmb);
  CHECK(p(nb("\xfdSMB" + std::string(60, '\0'))).proto == AppProto::kSmb);
  auto more = p(std::string("\0\0\0\x40\xfeS", 6));
  CHECK(more.proto == AppProto::kUnknown);
  CHECK(more.need_more);
  CHECK(p(nb("\xfeSMX" + std::string(60, '\0'))).proto != AppProto::kSmb);
  CHECK(p(std::string("\x82\0\0\0", 4), 139).proto == AppProto::kSmb);
  CHECK(p(std::string("\x82\0\0\0", 4), 8139).proto != AppProto::kSmb);
  CHECK(p(std::string("\x81\0\0\x44\x20", 5) + std::string(67, 'A'), 139).proto == AppProto::kSmb);
}

TEST_CASE("smb: an SMB2 session split at every byte gives the same transactions", "[app][smb]") {
  for (size_t cut = 0; cut <= std::max(kClient.size(), kServer.size()); ++cut) {
    INFO("cut " << cut);
    Harness h(6, 40000, 4445);  // off the SMB ports: detected by content
    h.send_split(Dir::kToServer, kClient, std::min(cut, kClient.size()));
    h.send_split(Dir::kToClient, kServer, std::min(cut, kServer.size()));
    CHECK(h.flow.app_proto == AppProto::kSmb);
    h.end();
    check_session(h.rec.done);
    CHECK(h.counter("app_layer.tx.smb") == 8);
    CHECK(h.counter("app_layer.anomaly.smb.malformed_data") == 0);
    CHECK(h.counter("app_layer.anomaly.smb.unsolicited_response") == 0);
  }
  Harness h(6, 40000, 445);
  for (char ch : kClient) h.send(Dir::kToServer, std::string(1, ch));
  for (char ch : kServer) h.send(Dir::kToClient, std::string(1, ch));
  h.end();
  check_session(h.rec.done);
}

TEST_CASE("smb: compound requests, related file ids, pending and unanswered requests", "[app][smb]") {
  Harness h(6, 40000, 445);
  h.send(Dir::kToServer, kClient.substr(0, nb(negotiate_req()).size() + nb(setup_req()).size()));
  h.send(Dir::kToClient, nb(negotiate_resp()) + nb(setup_resp()));
  h.send(Dir::kToServer, nb(tree_req(2, "\\\\srv\\IPC$")));
  h.send(Dir::kToClient, nb(tree_resp(2, 9, 2)));
  // CREATE + READ + CLOSE in one record, the last two related (FileId all ones).
  std::string c1 = create_req(10, 9, "srvsvc", 136);  // 64 + 56 + 12 bytes, padded to 8
  REQUIRE(c1.size() == 132);
  c1.resize(136, '\0');
  std::string r1 = hdr(8, 11, kRelated, 0, ~0ULL, ~0U, 120) + le(49, 2) + '\0' + '\0' + le(100, 4) +
                   le(0, 8) + std::string(16, '\xff') + le(0, 4) + le(0, 4) + le(0, 4) + le(0, 2) + le(0, 2) +
                   '\0';
  REQUIRE(r1.size() == 113);
  r1.resize(120, '\0');
  std::string c3 =
      hdr(6, 12, kRelated, 0, ~0ULL, ~0U) + le(24, 2) + le(0, 2) + le(0, 4) + std::string(16, '\xff');
  h.send(Dir::kToServer, nb(c1 + r1 + c3));
  CHECK(h.rec.done.size() == 3);
  // An interim STATUS_PENDING for the read, then the answers.
  h.send(Dir::kToClient, nb(hdr(8, 11, kResp | kAsync, smb::kStatusPending, 0x1234)));
  CHECK(h.rec.done.size() == 3);
  h.send(Dir::kToClient, nb(create_resp(10, 9, 0)));
  h.send(Dir::kToClient,
         nb(hdr(8, 11, kResp | kAsync, 0xC00000B0, 0x1234) + le(9, 2) + std::string(7, '\0')));
  // A request that never gets its answer, and a CANCEL (which has none).
  h.send(Dir::kToServer, nb(write_req(20, 9, "x")) + nb(hdr(12, 21, 0, 0, 0x1234, 9) + le(4, 2) + le(0, 2)));
  h.end();
  auto& d = h.rec.done;
  REQUIRE(d.size() == 8);
  CHECK(d[3].eve["smb"]["command"] == "SMB2_COMMAND_CREATE");
  CHECK(d[3].eve["smb"]["filename"] == "srvsvc");
  CHECK(d[3].buf(BufferId::kSmbNamedPipe) == "srvsvc");  // a CREATE on a pipe tree
  CHECK(d[4].eve["smb"]["command"] == "SMB2_COMMAND_READ");
  CHECK(d[4].eve["smb"]["filename"] == "srvsvc");
  CHECK(d[4].eve["smb"]["status"] == "STATUS_PIPE_DISCONNECTED");
  CHECK(d[4].eve["smb"]["status_code"] == "0xc00000b0");
  CHECK(d[4].eve["smb"]["tree_id"] == 9);
  CHECK(d[5].eve["smb"]["command"] == "SMB2_COMMAND_CANCEL");
  CHECK(d[5].eve["smb"].count("status") == 0);
  CHECK(d[6].eve["smb"]["command"] == "SMB2_COMMAND_CLOSE");  // unanswered, reported at the end
  CHECK(d[6].eve["smb"].count("status") == 0);
  CHECK(d[7].eve["smb"]["command"] == "SMB2_COMMAND_WRITE");
  CHECK(h.counter("app_layer.tx.smb") == 8);
}

TEST_CASE("smb: SMB1 negotiate, session setup and tree connect", "[app][smb]") {
  auto smb1 = [](uint8_t cmd, bool resp, std::string words, std::string bytes, uint16_t mid,
                 uint16_t tid = 0) {
    std::string h = "\xffSMB";
    h += char(cmd) + le(0, 4) + char(resp ? 0x98 : 0x18) + le(0xC807, 2) + le(0, 2) + std::string(8, '\0') +
         le(0, 2) + le(tid, 2) + le(0xfeff, 2) + le(0x800, 2) + le(mid, 2);
    return nb(h + char(words.size() / 2) + words + le(bytes.size(), 2) + bytes);
  };
  std::string dialects = std::string("\x02PC NETWORK PROGRAM 1.0\0\x02NT LM 0.12\0", 36);
  std::string blob = ntlm_auth("LAB", "bob", "PC7");
  std::string path = u16("\\\\10.0.0.2\\IPC$") + std::string(2, '\0');
  Harness h(6, 40000, 139);
  h.send(Dir::kToServer, smb1(0x72, false, "", dialects, 1));
  h.send(Dir::kToClient, smb1(0x72, true, le(1, 2) + std::string(32, '\0'), "", 1));
  h.send(Dir::kToServer, smb1(0x73, false,
                              std::string("\xff\0", 2) + le(0, 2) + le(4356, 2) + le(2, 2) + le(0, 2) +
                                  le(0, 4) + le(blob.size(), 2) + le(0, 4) + le(0xa00000d4, 4),
                              blob, 2));
  h.send(Dir::kToClient, smb1(0x73, true, std::string("\xff\0", 2) + le(0, 2) + le(0, 2) + le(0, 2), "", 2));
  // A 1-byte password, then the UTF-16 path (at an even offset), then the service.
  h.send(Dir::kToServer, smb1(0x75, false, std::string("\xff\0", 2) + le(0, 2) + le(0, 2) + le(1, 2),
                              std::string(1, '\0') + path + "?????" + '\0', 3));
  h.send(Dir::kToClient,
         smb1(0x75, true, std::string("\xff\0", 2) + le(0, 2) + le(1, 2), std::string("IPC\0", 4), 3, 2048));
  h.end();
  auto& d = h.rec.done;
  REQUIRE(d.size() == 3);
  CHECK(d[0].eve["smb"]["command"] == "SMB1_COMMAND_NEGOTIATE_PROTOCOL");
  CHECK(d[0].eve["smb"]["dialect"] == "NT LM 0.12");
  CHECK(d[0].eve["smb"]["client_dialects"] ==
        nlohmann::json::array({"PC NETWORK PROGRAM 1.0", "NT LM 0.12"}));
  CHECK(d[1].eve["smb"]["command"] == "SMB1_COMMAND_SESSION_SETUP_ANDX");
  CHECK(d[1].eve["smb"]["ntlmssp"]["user"] == "bob");
  CHECK(d[1].buf(BufferId::kSmbNtlmsspDomain) == "LAB");
  CHECK(d[2].eve["smb"]["command"] == "SMB1_COMMAND_TREE_CONNECT_ANDX");
  CHECK(d[2].eve["smb"]["named_pipe"] == "\\\\10.0.0.2\\IPC$");
  CHECK(d[2].eve["smb"]["service"]["request"] == "?????");
  CHECK(d[2].eve["smb"]["service"]["response"] == "IPC");
  CHECK(d[2].eve["smb"]["tree_id"] == 2048);
  CHECK(d[2].buf(BufferId::kSmbNamedPipe) == "\\\\10.0.0.2\\IPC$");
}

TEST_CASE("smb: truncation, malformed and huge lengths, gaps", "[app][smb]") {
  SECTION("a record cut by the end of the flow is not parsed") {
    Harness h(6, 40000, 445);
    std::string r = nb(negotiate_req());
    h.send(Dir::kToServer, r.substr(0, r.size() - 3));
    h.end();
    CHECK(h.rec.done.empty());
  }
  SECTION("a huge write keeps its headers; the data past the kept part is skipped and counted") {
    Harness h(6, 40000, 445);
    std::string big(200000, 'W');
    h.send(Dir::kToServer, nb(write_req(1, 5, big)) + nb(read_req(2, 5)));
    h.end();
    REQUIRE(h.rec.done.size() == 2);
    CHECK(h.rec.done[0].eve["smb"]["command"] == "SMB2_COMMAND_WRITE");
    CHECK(h.rec.done[1].eve["smb"]["command"] == "SMB2_COMMAND_READ");
    CHECK(h.counter("app_layer.limit.smb.record") == 1);
  }
  SECTION("malformed: bad NextCommand, short header, a record that is not SMB, then resync") {
    Harness h(6, 40000, 445);
    h.send(Dir::kToServer, nb(negotiate_req()));
    h.send(Dir::kToServer, nb(hdr(3, 5, 0, 0, 0, 0, 12) + std::string(16, '\0')));  // next 12: not 8-aligned
    h.send(Dir::kToServer, nb(std::string("\xfeSMB", 4) + std::string(20, '\0')));  // 24-byte header
    h.send(Dir::kToServer, nb("GET / HTTP/1.1\r\n\r\n"));                           // not SMB: lost sync
    h.send(Dir::kToServer, "garbage" + nb(tree_req(6, "\\\\srv\\x")));
    h.end();
    REQUIRE(h.rec.done.size() == 2);
    CHECK(h.rec.done[1].eve["smb"]["share"] == "\\\\srv\\x");
    CHECK(h.counter("app_layer.anomaly.smb.malformed_data") == 2);
    CHECK(h.counter("app_layer.anomaly.smb.invalid_record") == 1);
    CHECK(h.counter("app_layer.smb.resync") == 1);
  }
  SECTION("a bad NetBIOS type, then nothing that looks like SMB: the direction stops") {
    Harness h(6, 40000, 445);
    h.send(Dir::kToServer, nb(negotiate_req()));
    h.send(Dir::kToServer, std::string("\x42\xff\xff\xff", 4));
    std::string junk(256 * 1024, 'j');
    for (int i = 0; i < 5; ++i) h.send(Dir::kToServer, junk);
    h.send(Dir::kToServer, nb(tree_req(6, "\\\\srv\\x")));
    h.end();
    CHECK(h.rec.done.size() == 1);
    CHECK(h.counter("app_layer.smb.stopped") == 1);
  }
  SECTION("a gap inside a record's skipped data keeps the framing; one between records resyncs") {
    Harness h(6, 40000, 445);
    std::string w = nb(write_req(1, 5, std::string(100000, 'W')));
    h.send(Dir::kToServer, w.substr(0, 80000));
    h.app.on_stream_gap(h.flow, Dir::kToServer, 10000, h.pkt);
    h.send(Dir::kToServer, w.substr(90000) + nb(read_req(2, 5)));
    h.app.on_stream_gap(h.flow, Dir::kToServer, 50, h.pkt);
    h.send(Dir::kToServer, std::string(13, 'x') + nb(close_req(3, 5)));
    h.end();
    REQUIRE(h.rec.done.size() == 3);
    CHECK(h.rec.done[0].eve["smb"]["command"] == "SMB2_COMMAND_WRITE");
    CHECK(h.rec.done[1].eve["smb"]["command"] == "SMB2_COMMAND_READ");
    CHECK(h.rec.done[2].eve["smb"]["command"] == "SMB2_COMMAND_CLOSE");
    CHECK(h.counter("app_layer.error.smb.gap") == 2);
  }
  SECTION("the largest length the framing allows is skipped, not kept") {
    Harness h(6, 40000, 445);
    h.send(Dir::kToServer, nb(negotiate_req()));
    std::string hugehdr("\x00\xff\xff\xff\xfeSMB", 8);
    h.send(Dir::kToServer, hugehdr + std::string(100000, '\0'));
    h.end();
    CHECK(h.rec.done.size() == 1);
    CHECK(h.counter("app_layer.limit.smb.record") == 1);
  }
}

TEST_CASE("smb: names and decoders", "[app][smb]") {
  CHECK(smb::utf16le_to_utf8(std::string("\x3d\xd8\x00\xde", 4)) == "\xf0\x9f\x98\x80");  // a surrogate pair
  CHECK(smb::utf16le_to_utf8(std::string("\x00\xd8x", 3)) == "\xef\xbf\xbd");             // lone, odd byte
  CHECK(smb::ntstatus_name(0xC0000022) == "STATUS_ACCESS_DENIED");
  CHECK(smb::ntstatus_name(0x12345678) == "305419896");
  CHECK(smb::smb2_command_name(99) == "99");
  CHECK(smb::smb1_command_name(0xa2) == "SMB1_COMMAND_NT_CREATE_ANDX");
  CHECK(smb::filetime_to_unix(0) == 0);
}

TEST_CASE(
    "smb: DCERPC over a pipe: BIND written, BIND_ACK read, a request by FSCTL_PIPE_TRANSCEIVE, rule data",
    "[app][smb]") {
  const std::string srvsvc("\xc8\x4f\x32\x4b\x70\x16\xd3\x01\x12\x78\x5a\x47\xbf\x6e\xe1\x88", 16);
  const std::string ndr =
      std::string("\x04\x5d\x88\x8a\xeb\x1c\xc9\x11\x9f\xe8\x08\x00\x2b\x10\x48\x60", 16) + le(2, 4);
  auto dce = [](uint8_t type, uint32_t call, const std::string& body) {
    return std::string("\x05\x00", 2) + char(type) + '\x03' + std::string("\x10\0\0\0", 4) +
           le(16 + body.size(), 2) + le(0, 2) + le(call, 4) + body;
  };
  std::string bind = dce(11, 2,
                         le(4280, 2) + le(4280, 2) + le(0, 4) + le(1, 4) + le(0, 2) + '\x01' + '\0' + srvsvc +
                             le(3, 2) + le(0, 2) + ndr);
  std::string sec("\\PIPE\\srvsvc\0", 13);
  std::string ack_body =
      le(4280, 2) + le(4280, 2) + le(0x12345, 4) + le(sec.size(), 2) + sec + '\0';  // pad to 4
  std::string ack = dce(12, 2, ack_body + le(1, 4) + le(0, 2) + le(0, 2) + ndr);
  std::string rq = dce(0, 3, le(8, 4) + le(0, 2) + le(15, 2) + std::string(8, 'a'));
  std::string rs = dce(2, 3, le(12, 4) + le(0, 2) + '\0' + '\0' + std::string(12, 'b'));
  Harness h(6, 40000, 445);
  h.send(Dir::kToServer, nb(tree_req(7, "\\\\srv\\IPC$")));
  h.send(Dir::kToClient, nb(tree_resp(7, 9, 2)));
  h.send(Dir::kToServer, nb(create_req(8, 9, "srvsvc")));
  h.send(Dir::kToClient, nb(create_resp(8, 9, 0)));
  h.send(Dir::kToServer, nb(write_req(9, 9, bind)));
  h.send(Dir::kToClient, nb(write_resp(9, 9, bind.size())));
  h.send(Dir::kToServer, nb(read_req(10, 9)));
  h.send(Dir::kToClient, nb(read_resp(10, 9, ack)));
  std::string io = hdr(11, 11, 0, 0, 0x1234, 9) + le(57, 2) + le(0, 2) + le(0x0011C017, 4) + kFid +
                   le(120, 4) + le(rq.size(), 4) + le(0, 4) + le(120, 4) + le(0, 4) + le(1024, 4) + le(1, 4) +
                   le(0, 4) + rq;
  std::string ior = hdr(11, 11, kResp, 0, 0x1234, 9) + le(49, 2) + le(0, 2) + le(0x0011C017, 4) + kFid +
                    le(112, 4) + le(0, 4) + le(112, 4) + le(rs.size(), 4) + le(0, 4) + le(0, 4) + rs;
  h.send(Dir::kToServer, nb(io));
  h.send(Dir::kToClient, nb(ior));
  // A REQUEST whose stub passes the kept 16 KiB of dcerpc.stub_data.
  std::string big = dce(0, 4, le(20000, 4) + le(0, 2) + le(15, 2) + std::string(20000, 'c'));
  h.send(Dir::kToServer, nb(write_req(12, 9, big)));
  h.send(Dir::kToClient, nb(write_resp(12, 9, big.size())));
  h.end();
  auto& d = h.rec.done;
  REQUIRE(d.size() == 6);
  CHECK(d[5].buf(BufferId::kDcerpcStubData) == std::string(16 * 1024, 'c'));
  CHECK(d[5].dcerpc_ifaces.size() == 1);
  CHECK(h.counter("app_layer.limit.smb.dcerpc_stub") == 20000 - 16 * 1024);
  auto w = d[2].eve["smb"]["dcerpc"];
  CHECK(w["request"] == "BIND");
  CHECK(w["response"] == "UNREPLIED");
  CHECK(w["call_id"] == 2);
  CHECK(w["interfaces"][0]["uuid"] == "4b324fc8-1670-01d3-1278-5a47bf6ee188");
  CHECK(w["interfaces"][0]["version"] == "3.0");
  CHECK(d[3].eve["smb"]["dcerpc"]["response"] == "BINDACK");
  auto r = d[4].eve["smb"]["dcerpc"];
  CHECK(r["request"] == "REQUEST");
  CHECK(r["response"] == "RESPONSE");
  CHECK(r["opnum"] == 15);
  CHECK(r["req"]["stub_data_size"] == 8);
  CHECK(r["res"]["stub_data_size"] == 12);
  CHECK(r["interfaces"][0]["uuid"] == "4b324fc8-1670-01d3-1278-5a47bf6ee188");
  // What rules see (dcerpc.iface / dcerpc.opnum / dcerpc.stub_data): the
  // REQUEST on the context the BIND_ACK accepted has that interface (major
  // version 3), its opnum and both directions' stub data; the BIND and the
  // BIND_ACK have none.
  CHECK(d[4].dcerpc_opnum == 15);
  REQUIRE(d[4].dcerpc_ifaces.size() == 1);
  CHECK(d[4].dcerpc_ifaces[0].first == "4b324fc8-1670-01d3-1278-5a47bf6ee188");
  CHECK(d[4].dcerpc_ifaces[0].second == 3);
  CHECK(d[4].buf(BufferId::kDcerpcStubData) == std::string(8, 'a'));
  CHECK(d[4].buf(BufferId::kDcerpcStubData, Dir::kToClient) == std::string(12, 'b'));
  // dcerpc.ptype / dcerpc.flags: each direction's PDU type and pfc_flags.
  CHECK(d[4].integer(TxInt::kDcerpcPtype, Dir::kToServer) == 0);
  CHECK(d[4].integer(TxInt::kDcerpcPtype, Dir::kToClient) == 2);
  CHECK(d[4].integer(TxInt::kDcerpcFlags, Dir::kToServer) == 3);
  CHECK(d[2].integer(TxInt::kDcerpcPtype, Dir::kToServer) == 11);
  CHECK(d[2].integer(TxInt::kDcerpcPtype, Dir::kToClient) == -1);  // BIND written, no PDU back on it
  for (int i : {2, 3}) {
    CHECK(d[i].dcerpc_opnum == -1);
    CHECK(d[i].dcerpc_ifaces.empty());
    CHECK(d[i].count(BufferId::kDcerpcStubData) == 0);
    CHECK(d[i].count(BufferId::kDcerpcStubData, Dir::kToClient) == 0);
  }
  // Every prefix of the request's record: nothing reads past what is there.
  for (size_t n = 0; n < io.size(); ++n) {
    Harness t(6, 40000, 445);
    t.send(Dir::kToServer, nb(io.substr(0, n)));
    t.end();
  }
}

// ---- READ/WRITE data as files

namespace {

std::string write_at(uint64_t mid, uint64_t off, const std::string& data, uint32_t tree = 5) {
  return hdr(9, mid, 0, 0, 0x1234, tree) + le(49, 2) + le(112, 2) + le(data.size(), 4) + le(off, 8) + kFid +
         le(0, 4) + le(0, 4) + le(0, 2) + le(0, 2) + le(0, 4) + data;
}
std::string write_fid(uint64_t mid, const std::string& fid, const std::string& data) {
  return hdr(9, mid, 0, 0, 0x1234, 5) + le(49, 2) + le(112, 2) + le(data.size(), 4) + le(0, 8) + fid +
         le(0, 4) + le(0, 4) + le(0, 2) + le(0, 2) + le(0, 4) + data;
}
std::string read_at(uint64_t mid, uint64_t off, uint32_t len) {
  return hdr(8, mid, 0, 0, 0x1234, 5) + le(49, 2) + '\0' + '\0' + le(len, 4) + le(off, 8) + kFid + le(0, 4) +
         le(0, 4) + le(0, 4) + le(0, 2) + le(0, 2) + '\0';
}
// Bytes that are not periodic, so a misplaced piece changes the hash.
std::string content(size_t n, uint32_t seed) {
  std::string s(n, '\0');
  uint32_t x = seed;
  for (auto& ch : s) {
    x = x * 1103515245u + 12345u;
    ch = char(x >> 23);
  }
  return s;
}
AppConfig files_on() {
  AppConfig cfg;
  cfg.files.enabled = true;
  return cfg;
}
// The session up to the CREATE of reports\\q3.txt on a disk tree (5).
const std::string kOpenC = nb(negotiate_req()) + nb(setup_req()) + nb(tree_req(2, "\\\\srv\\docs")) +
                           nb(create_req(3, 5, "reports\\q3.txt"));
const std::string kOpenS =
    nb(negotiate_resp()) + nb(setup_resp()) + nb(tree_resp(2, 5, 1)) + nb(create_resp(3, 5, 0));

std::vector<DoneTx> with_files(const std::vector<DoneTx>& d) {
  std::vector<DoneTx> r;
  for (auto& t : d)
    if (!t.files.empty()) r.push_back(t);
  return r;
}

}  // namespace

TEST_CASE("smb files: a WRITE of three records, the first past the kept part, split anywhere", "[app][smb]") {
  std::string a = content(70000, 1), b = content(1000, 2), c = content(5, 3);
  std::string whole = a + b + c;
  std::string cli =
      nb(write_at(4, 0, a)) + nb(write_at(5, 70000, b)) + nb(write_at(6, 71000, c)) + nb(close_req(7, 5));
  std::string srv = nb(write_resp(4, 5, a.size())) + nb(write_resp(5, 5, b.size())) +
                    nb(write_resp(6, 5, c.size())) + nb(close_resp(7, 5));
  for (size_t step : {size_t(1), size_t(3), size_t(113), size_t(1460), size_t(65536), cli.size()}) {
    INFO("step " << step);
    Harness h(6, 40000, 4445, files_on());
    h.send(Dir::kToServer, kOpenC);  // the tree is known (a disk) before the data comes
    h.send(Dir::kToClient, kOpenS);
    for (size_t o = 0; o < cli.size(); o += step)
      h.send(Dir::kToServer, std::string_view(cli).substr(o, step));
    h.send(Dir::kToClient, srv);
    h.end();
    auto f = with_files(h.rec.done);
    REQUIRE(f.size() == 1);
    auto fi = f[0].files[0]["fileinfo"];
    CHECK(f[0].files[0]["dir"] == "to_server");
    CHECK(fi["filename"] == "reports\\q3.txt");
    CHECK(fi["state"] == "CLOSED");
    CHECK(fi["gaps"] == false);
    CHECK(fi["size"] == whole.size());
    CHECK(fi["md5"] == md5_hex(whole));
    CHECK(fi["sha256"] == sha256_hex(whole));
    // The file's own transaction: an smb WRITE with name, share and fuid.
    CHECK(f[0].eve["smb"]["command"] == "SMB2_COMMAND_WRITE");
    CHECK(f[0].eve["smb"]["share"] == "\\\\srv\\docs");
    CHECK(f[0].eve["smb"]["fuid"] == "44332211-6655-8877-99aa-bbccddeeff01");
    CHECK(f[0].buf(BufferId::kFileName) == "reports\\q3.txt");
    CHECK(f[0].buf(BufferId::kFileMd5) == md5_hex(whole));
    CHECK(f[0].buf(BufferId::kFileData) == whole);  // 71005 bytes: under the file.data limit
    CHECK(f[0].integer(TxInt::kFileSize, Dir::kToServer) == int64_t(whole.size()));
    // The request/response transactions are logged as before: 4 + 3 WRITE + CLOSE.
    CHECK(h.rec.done.size() == 9);
  }
}

TEST_CASE("smb files: a READ larger than the kept part, offsets that overlap and jump", "[app][smb]") {
  std::string big = content(100000, 4);
  std::string cli = kOpenC + nb(read_at(4, 0, 100000)) + nb(read_at(5, 99990, 20)) +
                    nb(read_at(6, 100050, 10)) + nb(close_req(7, 5));
  std::string tail = content(30, 5);
  std::string srv = kOpenS + nb(read_resp(4, 5, big)) +
                    nb(read_resp(5, 5, big.substr(99990) + tail.substr(0, 10))) +
                    nb(read_resp(6, 5, tail.substr(20, 10))) + nb(close_resp(7, 5));
  Harness h(6, 40000, 4445, files_on());
  h.send(Dir::kToServer, cli);
  for (size_t o = 0; o < srv.size(); o += 1448) h.send(Dir::kToClient, std::string_view(srv).substr(o, 1448));
  h.end();
  auto f = with_files(h.rec.done);
  REQUIRE(f.size() == 1);
  auto fi = f[0].files[0]["fileinfo"];
  CHECK(f[0].files[0]["dir"] == "to_client");
  CHECK(f[0].eve["smb"]["command"] == "SMB2_COMMAND_READ");
  CHECK(fi["filename"] == "reports\\q3.txt");
  // 100000 + 10 new bytes of the overlapping READ, a 40-byte hole, 10 bytes.
  CHECK(fi["size"] == 100060);
  CHECK(fi["gaps"] == true);
  CHECK(fi["state"] == "TRUNCATED");
  CHECK(h.counter("app_layer.smb.file_overlap_bytes") == 10);

  // The same READ without the later ones: closed, hashes of the bytes.
  Harness h2(6, 40000, 4445, files_on());
  h2.send(Dir::kToServer, kOpenC + nb(read_at(4, 0, 100000)) + nb(close_req(7, 5)));
  h2.send(Dir::kToClient, kOpenS + nb(read_resp(4, 5, big)) + nb(close_resp(7, 5)));
  h2.end();
  f = with_files(h2.rec.done);
  REQUIRE(f.size() == 1);
  CHECK(f[0].files[0]["fileinfo"]["state"] == "CLOSED");
  CHECK(f[0].files[0]["fileinfo"]["sha256"] == sha256_hex(big));
  CHECK(h2.counter("app_layer.limit.smb.record") == 1);  // the READ response was past the kept part
}

TEST_CASE("smb files: CLOSE closes, the flow end or lost framing truncates, gaps, pipes make none",
          "[app][smb]") {
  std::string data = content(3000, 6);
  SECTION("no CLOSE: truncated at the flow end, no hashes") {
    Harness h(6, 40000, 4445, files_on());
    h.send(Dir::kToServer, kOpenC);
    h.send(Dir::kToClient, kOpenS);
    h.send(Dir::kToServer, nb(write_at(4, 0, data)));
    h.send(Dir::kToClient, nb(write_resp(4, 5, data.size())));
    CHECK(with_files(h.rec.done).empty());  // open until CLOSE or the flow's end
    h.end();
    auto f = with_files(h.rec.done);
    REQUIRE(f.size() == 1);
    CHECK(f[0].files[0]["fileinfo"]["state"] == "TRUNCATED");
    CHECK(f[0].files[0]["fileinfo"]["size"] == 3000);
    CHECK_FALSE(f[0].files[0]["fileinfo"].contains("md5"));
  }
  SECTION("a transport gap inside the data: a gap of the file") {
    Harness h(6, 40000, 4445, files_on());
    std::string rec = nb(write_at(4, 0, data));
    h.send(Dir::kToServer, kOpenC);
    h.send(Dir::kToClient, kOpenS);
    h.send(Dir::kToServer, rec.substr(0, 1000));
    h.app.on_stream_gap(h.flow, Dir::kToServer, 500, h.pkt);
    h.send(Dir::kToServer, rec.substr(1500) + nb(close_req(7, 5)));
    h.end();
    auto f = with_files(h.rec.done);
    REQUIRE(f.size() == 1);
    CHECK(f[0].files[0]["fileinfo"]["gaps"] == true);
    CHECK(f[0].files[0]["fileinfo"]["state"] == "TRUNCATED");
    CHECK(f[0].files[0]["fileinfo"]["size"] == 3000);
  }
  SECTION("framing lost: the direction's files are truncated at once") {
    Harness h(6, 40000, 4445, files_on());
    h.send(Dir::kToServer, kOpenC);
    h.send(Dir::kToClient, kOpenS);
    h.send(Dir::kToServer, nb(write_at(4, 0, data)) + std::string("\x42\x42\x42\x42", 4));
    auto f = with_files(h.rec.done);
    REQUIRE(f.size() == 1);
    CHECK(f[0].files[0]["fileinfo"]["state"] == "TRUNCATED");
  }
  SECTION("a pipe tree carries no file; files off: none either") {
    Harness h(6, 40000, 4445, files_on());
    h.send(Dir::kToServer, kOpenC + nb(tree_req(8, "\\\\srv\\IPC$")));
    h.send(Dir::kToClient, kOpenS + nb(tree_resp(8, 9, 2)));
    h.send(Dir::kToServer, nb(write_at(9, 0, data, 9)) + nb(write_at(10, 0, data)));
    Harness off(6, 40000, 4445);
    off.send(Dir::kToServer, kOpenC);
    off.send(Dir::kToClient, kOpenS);
    off.send(Dir::kToServer, nb(write_at(4, 0, data)) + nb(close_req(7, 5)));
    h.end();
    off.end();
    auto f = with_files(h.rec.done);
    REQUIRE(f.size() == 1);  // the WRITE on tree 5 only
    CHECK(f[0].eve["smb"]["tree_id"] == 5);
    CHECK(with_files(off.rec.done).empty());
  }
}

TEST_CASE("smb files: at most 32 open per flow, the next counted", "[app][smb]") {
  Harness h(6, 40000, 4445, files_on());
  h.send(Dir::kToServer, kOpenC);
  h.send(Dir::kToClient, kOpenS);
  for (int i = 0; i < 33; ++i)
    h.send(Dir::kToServer, nb(write_fid(10 + i, std::string(15, 'f') + char(i), "abc")));
  CHECK(h.counter("app_layer.limit.smb.files") == 1);
  h.end();
  auto f = with_files(h.rec.done);
  CHECK(f.size() == 32);
  CHECK(f[0].files[0]["fileinfo"]["filename"] == "<unknown>");  // no CREATE seen for these ids
}
