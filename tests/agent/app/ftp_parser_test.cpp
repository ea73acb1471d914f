// FTP command channel from bytes: a whole session split at every byte,
// multi-line and preliminary replies, pipelining, PORT/EPRT/PASV/EPSV, an
// over-long line, truncation, AUTH TLS (the hand-off to TLS), detection both ways.
#include <catch2/catch.hpp>

#include "agent/app/proto_detect.h"
#include "tests/agent/app/app_test_util.h"
#include "tests/agent/app/tls_test_bytes.h"

using namespace vigil;
using vigil::test::B;
using vigil::test::DoneTx;
using vigil::test::Harness;

namespace {

const std::string kServer =
    "220-Welcome to the vsFTPd test server\r\n"
    "220 (vsFTPd 3.0.3)\r\n"
    "331 Please specify the password.\r\n"
    "230 Login successful.\r\n"
    "227 Entering Passive Mode (10,0,0,2,195,80).\r\n"
    "150 Here comes the directory listing.\r\n"
    "226 Directory send OK.\r\n"
    "221 Goodbye.\r\n";
const std::string kClient =
    "USER anonymous\r\n"
    "PASS secret@example.com\r\n"
    "PASV\r\n"
    "LIST -la /pub\r\n"
    "QUIT\r\n";

void addrs(Harness& h) {
  h.flow.client = *IpAddr::parse("10.0.0.1");
  h.flow.server = *IpAddr::parse("10.0.0.2");
}

void check_session(const std::vector<DoneTx>& d) {
  REQUIRE(d.size() == 6);
  // The greeting: no command, one multi-line reply.
  CHECK(d[0].eve["ftp"].count("command") == 0);
  CHECK(d[0].eve["ftp"]["completion_code"] == nlohmann::json::array({"220", "220"}));
  CHECK(d[0].eve["ftp"]["reply"] ==
        nlohmann::json::array({"Welcome to the vsFTPd test server", "(vsFTPd 3.0.3)"}));
  CHECK(d[1].eve["ftp"]["command"] == "USER");
  CHECK(d[1].eve["ftp"]["command_data"] == "anonymous");
  CHECK(d[1].eve["ftp"]["command_truncated"] == false);
  CHECK(d[1].eve["ftp"]["reply_received"] == "yes");
  CHECK(d[1].buf(BufferId::kFtpCommand) == "USER");
  CHECK(d[1].buf(BufferId::kFtpCommandData) == "anonymous");
  CHECK(d[2].buf(BufferId::kFtpCommandData) == "secret@example.com");
  CHECK(d[3].eve["ftp"]["command"] == "PASV");
  CHECK(d[3].eve["ftp"].count("command_data") == 0);
  CHECK(d[3].count(BufferId::kFtpCommandData) == 0);
  CHECK(d[3].eve["ftp"]["dynamic_port"] == 195 * 256 + 80);
  CHECK(d[3].eve["ftp"]["mode"] == "passive");
  // 150 is preliminary: LIST has both replies.
  CHECK(d[4].eve["ftp"]["completion_code"] == nlohmann::json::array({"150", "226"}));
  CHECK(d[4].buf(BufferId::kFtpCommandData) == "-la /pub");
  CHECK(d[5].eve["ftp"]["command"] == "QUIT");
  CHECK(d[5].eve["ftp"]["reply"] == nlohmann::json::array({"Goodbye."}));
  CHECK(d[5].eve["ftp"]["reply_truncated"] == false);
}

}  // namespace

TEST_CASE("ftp: detection from the greeting, the client's commands and the port", "[app][ftp]") {
  CHECK(detect_tcp(B("220 (vsFTPd 3.0.3)\r\n"), Dir::kToClient, 40000, 2121).proto == AppProto::kFtp);
  CHECK(detect_tcp(B("220-ProFTPD Server\r\n"), Dir::kToClient, 40000, 2121).proto == AppProto::kFtp);
  auto more = detect_tcp(B("220 (vsF"), Dir::kToClient, 40000, 2121);
  CHECK(more.proto == AppProto::kUnknown);
  CHECK(more.need_more);
  // An SMTP greeting is no FTP greeting off port 21.
  auto smtp = detect_tcp(B("220 mail.example.com ESMTP Postfix\r\n"), Dir::kToClient, 40000, 25);
  CHECK(smtp.proto != AppProto::kFtp);
  CHECK(detect_tcp(B("220 hello\r\n"), Dir::kToClient, 40000, 21).proto == AppProto::kFtp);
  CHECK(detect_tcp(B("user bob\r\n"), Dir::kToServer, 40000, 2121).proto == AppProto::kFtp);
  CHECK(detect_tcp(B("AUTH TLS\r\n"), Dir::kToServer, 40000, 990).proto == AppProto::kFtp);
  CHECK(detect_tcp(B("FEAT\r\n"), Dir::kToServer, 40000, 2121).proto == AppProto::kFtp);
  CHECK(detect_tcp(B("AUTH LOGIN\r\n"), Dir::kToServer, 40000, 587).proto != AppProto::kFtp);
  CHECK(detect_tcp(B("NOOP\r\n"), Dir::kToServer, 40000, 2121).proto != AppProto::kFtp);
  CHECK(detect_tcp(B("NOOP\r\n"), Dir::kToServer, 40000, 21).proto == AppProto::kFtp);
  CHECK(detect_tcp(B("\x16\x03\x01"), Dir::kToServer, 40000, 21).proto != AppProto::kFtp);
}

TEST_CASE("ftp: a session split at every byte of each direction gives the same transactions", "[app][ftp]") {
  for (size_t cut = 0; cut <= std::max(kServer.size(), kClient.size()); ++cut) {
    INFO("cut " << cut);
    Harness h(6, 40000, 2121);
    addrs(h);  // detection by content, not by port
    // Server first (the greeting), then the client, each in two pieces; the
    // replies are matched in order whatever the interleaving.
    h.send_split(Dir::kToClient, kServer.substr(0, 60), std::min<size_t>(cut, 60));
    h.send_split(Dir::kToServer, kClient, std::min(cut, kClient.size()));
    h.send_split(Dir::kToClient, kServer.substr(60), std::min(cut, kServer.size() - 60));
    CHECK(h.flow.app_proto == AppProto::kFtp);
    h.end();
    check_session(h.rec.done);
    CHECK(h.counter("app_layer.tx.ftp") == 6);
    CHECK(h.counter("app_layer.anomaly.ftp.invalid_reply") == 0);
  }
  // Byte by byte, both directions.
  Harness h(6, 40000, 21);
  addrs(h);
  for (char ch : kServer.substr(0, 60)) h.send(Dir::kToClient, std::string(1, ch));
  for (char ch : kClient) h.send(Dir::kToServer, std::string(1, ch));
  for (char ch : kServer.substr(60)) h.send(Dir::kToClient, std::string(1, ch));
  h.end();
  check_session(h.rec.done);
}

TEST_CASE("ftp: pipelined commands, active mode, bounce, unanswered commands", "[app][ftp]") {
  Harness h(6, 40000, 21);
  addrs(h);
  h.send(Dir::kToClient, "220 ftp ready\r\n");
  h.send(Dir::kToServer,
         "USER a\r\nPASS b\r\nPORT 10,0,0,1,4,1\r\nEPRT |1|192.0.2.7|6275|\r\nEPRT |2|::1|7000|\r\n"
         "PORT 1,2,3\r\nEPSV\r\nRETR x\r\n");
  CHECK(h.rec.done.size() == 1);  // only the greeting so far
  h.send(Dir::kToClient,
         "331 ok\r\n230 ok\r\n200 PORT ok\r\n200 EPRT ok\r\n522 no\r\n501 bad\r\n"
         "229 Entering Extended Passive Mode (|||6446|)\r\n");
  h.end();
  auto& d = h.rec.done;
  REQUIRE(d.size() == 9);
  CHECK(d[3].eve["ftp"]["command"] == "PORT");
  CHECK(d[3].eve["ftp"]["dynamic_port"] == 1025);
  CHECK(d[3].eve["ftp"]["mode"] == "active");
  CHECK(d[3].integer(TxInt::kFtpBounce, Dir::kToServer) == 0);
  CHECK(d[4].eve["ftp"]["dynamic_port"] == 6275);
  CHECK(d[4].integer(TxInt::kFtpBounce, Dir::kToServer) == 1);   // not the client's address
  CHECK(d[5].integer(TxInt::kFtpBounce, Dir::kToServer) == -1);  // IPv6 on an IPv4 flow: no answer
  CHECK(d[6].eve["ftp"].count("dynamic_port") == 0);
  CHECK(h.counter("app_layer.anomaly.ftp.invalid_port") == 1);
  CHECK(d[7].eve["ftp"]["dynamic_port"] == 6446);
  CHECK(d[7].eve["ftp"]["mode"] == "passive");
  CHECK(d[8].eve["ftp"]["command"] == "RETR");
  CHECK(d[8].eve["ftp"]["reply_received"] == "no");
  CHECK(d[8].eve["ftp"].count("reply") == 0);
}

TEST_CASE("ftp: an over-long line is cut and counted, a truncated stream still logs", "[app][ftp]") {
  Harness h(6, 40000, 21);
  addrs(h);
  h.send(Dir::kToClient, "220 ftp\r\n");
  h.send(Dir::kToServer, "STOR " + std::string(10000, 'a') + "\r\nNOOP\r\n");
  h.send(Dir::kToClient, "553 " + std::string(5000, 'n') + "\r\n200 ok\r\n");
  h.end();
  auto& d = h.rec.done;
  REQUIRE(d.size() == 3);
  CHECK(d[1].eve["ftp"]["command_truncated"] == true);
  CHECK(d[1].buf(BufferId::kFtpCommandData).size() == 4096 - 5);
  CHECK(d[1].eve["ftp"]["reply_truncated"] == true);
  CHECK(d[2].eve["ftp"]["command"] == "NOOP");
  CHECK(h.counter("app_layer.anomaly.ftp.line_too_long") == 2);

  // Every prefix of a session: nothing crashes, every command seen is logged.
  std::string c = "USER x\r\nPASS y\r\nCWD /a b\r\n";
  for (size_t n = 0; n <= c.size(); ++n) {
    Harness t(6, 40000, 21);
    addrs(t);
    t.send(Dir::kToClient, "220 ftp\r\n");
    t.send(Dir::kToServer, c.substr(0, n));
    t.app.on_stream_end(t.flow, Dir::kToServer, &t.pkt);
    t.end();
    size_t cmds = n == 0 ? 0 : 1 + (n > 8) + (n > 16);
    INFO("prefix " << n);
    CHECK(t.rec.done.size() == 1 + cmds);
  }
  // Replies without a code and replies nobody asked for are counted.
  Harness g(6, 40000, 21);
  addrs(g);
  g.send(Dir::kToClient, "220 ftp\r\nhello\r\n");
  g.end();
  CHECK(g.counter("app_layer.anomaly.ftp.invalid_reply") == 1);
  CHECK(g.counter("app_layer.anomaly.ftp.unsolicited_reply") == 1);
}

TEST_CASE("ftp: AUTH TLS accepted hands the flow to TLS, refused it hands the held commands back",
          "[app][ftp][tls]") {
  // The client's TLS bytes (a ClientHello with SNI) may arrive before the
  // server's 234, in any split; what follows the 234 is TLS too.
  std::string hello = test::sni_hello("files.example.org");
  for (size_t cut = 0; cut <= 12; ++cut) {
    Harness h(6, 40000, 21);
    addrs(h);
    h.send(Dir::kToClient, "220 ftp\r\n");
    h.send_split(Dir::kToServer, "AUTH TLS\r\n" + hello, 10 + cut);
    h.send(Dir::kToClient, "234 Proceed with negotiation.\r\n" + std::string(5, '\x16'));
    INFO("cut " << cut);
    CHECK(h.flow.app_proto == AppProto::kTls);
    CHECK(h.flow.app_proto_orig == AppProto::kFtp);
    h.send(Dir::kToServer, "USER not-a-command\r\n");  // encrypted, never an FTP command
    h.end();
    REQUIRE(h.rec.done.size() == 3);
    CHECK(h.rec.done[1].eve["ftp"]["command"] == "AUTH");
    CHECK(h.rec.done[1].eve["ftp"]["completion_code"] == nlohmann::json::array({"234"}));
    CHECK(h.rec.done[2].proto == AppProto::kTls);
    CHECK(h.rec.done[2].buf(BufferId::kTlsSni) == "files.example.org");
    CHECK(h.counter("app_layer.tx.ftp") == 2);
    CHECK(h.counter("app_layer.ftp.encrypted_bytes") == 0);
  }
  Harness h(6, 40000, 21);
  addrs(h);
  h.send(Dir::kToClient, "220 ftp\r\n");
  h.send(Dir::kToServer, "AUTH TLS\r\nUSER bob\r\n");
  h.send(Dir::kToClient, "530 not now\r\n331 ok\r\n");
  h.end();
  REQUIRE(h.rec.done.size() == 3);
  CHECK(h.rec.done[2].buf(BufferId::kFtpCommandData) == "bob");
  CHECK(h.counter("app_layer.ftp.encrypted_bytes") == 0);
}

TEST_CASE("ftp: a gap drops the cut line, parsing goes on at the next line", "[app][ftp]") {
  Harness h(6, 40000, 21);
  addrs(h);
  h.send(Dir::kToClient, "220 ftp\r\n");
  h.send(Dir::kToServer, "USER a\r\nRETR lost");
  h.app.on_stream_gap(h.flow, Dir::kToServer, 100, h.pkt);
  h.send(Dir::kToServer, "tail\r\nQUIT\r\n");
  h.send(Dir::kToClient, "331 ok\r\n221 bye\r\n");
  h.end();
  auto& d = h.rec.done;
  REQUIRE(d.size() == 3);
  CHECK(d[1].buf(BufferId::kFtpCommand) == "USER");
  CHECK(d[2].buf(BufferId::kFtpCommand) == "QUIT");
  CHECK(h.counter("app_layer.error.ftp.gap") == 1);
}

TEST_CASE("ftp: RETR after PASV and STOR after PORT make their data connections ftp-data", "[app][ftp]") {
  Harness h(6, 40000, 21);
  addrs(h);
  h.send(Dir::kToClient, "220 ftp\r\n");
  h.send(Dir::kToServer, "PASV\r\n");
  h.send(Dir::kToClient, "227 Entering Passive Mode (10,0,0,2,195,80).\r\n");
  h.send(Dir::kToServer, "RETR /pub/a.txt\r\nPORT 10,0,0,1,4,1\r\n");
  h.send(Dir::kToClient, "150 ok\r\n226 done\r\n200 ok\r\n");
  h.send(Dir::kToServer, "STOR up.bin\r\n");

  auto data_flow = [&](IpAddr cli, uint16_t cport, IpAddr srv, uint16_t sport, Dir d,
                       std::string_view bytes) {
    Flow f;
    f.proto = 6;
    f.client = cli;
    f.server = srv;
    f.client_port = cport;
    f.server_port = sport;
    Packet p;
    p.flow = &f;
    h.app.on_stream_data(f, d, B(bytes), h.pkt);
    AppProto got = f.app_proto;
    h.app.on_flow_end(f);
    return got;
  };
  IpAddr c = h.flow.client, s = h.flow.server;
  // Not announced (other port, other connecting host): detection as usual.
  CHECK(data_flow(c, 41000, s, 50001, Dir::kToClient, "file bytes") != AppProto::kFtpData);
  CHECK(data_flow(*IpAddr::parse("10.9.9.9"), 41000, s, 50000, Dir::kToClient, "x") != AppProto::kFtpData);
  size_t before = h.rec.done.size();
  CHECK(data_flow(c, 41001, s, 50000, Dir::kToClient, "retrieved file bytes") == AppProto::kFtpData);
  // Active mode: the server connects to the PORT address.
  CHECK(data_flow(s, 20, c, 1025, Dir::kToServer, "stored file bytes") == AppProto::kFtpData);
  REQUIRE(h.rec.done.size() == before + 2);
  const auto& r = h.rec.done[before];
  CHECK(r.proto == AppProto::kFtpData);
  CHECK(r.eve["ftp_data"]["filename"] == "/pub/a.txt");
  CHECK(r.eve["ftp_data"]["command"] == "RETR");
  CHECK(r.buf(BufferId::kFileData, Dir::kToClient) == "retrieved file bytes");
  CHECK(r.integer(TxInt::kFtpDataCommand, Dir::kToClient) == 1);
  CHECK(h.rec.done[before + 1].integer(TxInt::kFtpDataCommand, Dir::kToServer) == 2);
  CHECK(h.rec.done[before + 1].eve["ftp_data"]["command"] == "STOR");
  CHECK(h.rec.done[before + 1].buf(BufferId::kFileData, Dir::kToServer) == "stored file bytes");
  // Each expectation is used once.
  CHECK(data_flow(c, 41002, s, 50000, Dir::kToClient, "again") != AppProto::kFtpData);
  CHECK(h.counter("app_layer.flow.ftp-data") == 2);
}

TEST_CASE("ftp: an expectation no data connection takes within 60 s of packet time expires, counted",
          "[app][ftp]") {
  Harness h(6, 40000, 21);
  addrs(h);
  h.pkt.ts = {1000, 0};
  h.send(Dir::kToClient, "220 ftp\r\n");
  h.send(Dir::kToServer, "PASV\r\n");
  h.send(Dir::kToClient, "227 Entering Passive Mode (10,0,0,2,195,80).\r\n");
  h.send(Dir::kToServer, "RETR /pub/late.txt\r\n");
  h.send(Dir::kToClient, "150 ok\r\n226 done\r\n");
  h.send(Dir::kToServer, "PASV\r\n");
  h.send(Dir::kToClient, "227 Entering Passive Mode (10,0,0,2,195,81).\r\n");
  h.send(Dir::kToServer, "RETR /pub/soon.txt\r\n");
  auto data_flow = [&](uint16_t sport, int64_t sec) {
    Flow f;
    f.proto = 6;
    f.client = h.flow.client;
    f.server = h.flow.server;
    f.client_port = 41000;
    f.server_port = sport;
    Packet p;
    p.flow = &f;
    p.ts = {sec, 0};
    h.app.on_stream_data(f, Dir::kToClient, B("bytes"), p);
    AppProto got = f.app_proto;
    h.app.on_flow_end(f);
    return got;
  };
  // 60 s later: still expected.
  CHECK(data_flow(50001, 1060) == AppProto::kFtpData);
  CHECK(h.counter("app_layer.ftp.expectations_expired") == 0);
  // 61 s after it was announced: gone, and counted.
  CHECK(data_flow(50000, 1061) != AppProto::kFtpData);
  CHECK(h.counter("app_layer.ftp.expectations_expired") == 1);
}
