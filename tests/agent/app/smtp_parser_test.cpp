#include <catch2/catch.hpp>

#include "agent/app/mime.h"
#include "common/encoding.h"
#include "tests/agent/app/app_test_util.h"
#include "tests/agent/app/tls_test_bytes.h"

using namespace vigil;
using vigil::test::Harness;
using namespace vigil::test;

namespace {

const Dir kC = Dir::kToServer;
const Dir kS = Dir::kToClient;

std::string attachment_bytes() {
  std::string a = "%PDF-1.4\n";
  a += std::string("\0\x01\xff\xfe", 4);
  a += "secret-attachment-marker";
  for (int i = 0; i < 300; ++i) a.push_back(static_cast<char>(i * 7));
  return a;
}

std::string b64_lines(const std::string& bytes) {
  std::string e = base64_encode({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  std::string out;
  for (size_t i = 0; i < e.size(); i += 76) out += e.substr(i, 76) + "\r\n";
  return out;
}

// The message as written into DATA (dot-stuffed).
std::string message() {
  return "From: \"Alice\" <alice@example.com>\r\n"
         "To: bob@example.org, \"Carol C\" <carol@example.net>\r\n"
         "Cc: dave@example.com\r\n"
         "Subject: Quarterly\r\n report\r\n"
         "Date: Mon, 14 May 2024 13:30:00 +0000\r\n"
         "Message-ID: <1234@example.com>\r\n"
         "X-Mailer: VigilTest 1.0\r\n"
         "MIME-Version: 1.0\r\n"
         "Content-Type: multipart/mixed; boundary=\"XXBOUND\"\r\n"
         "\r\n"
         "This is a multi-part message in MIME format.\r\n"
         "--XXBOUND\r\n"
         "Content-Type: text/plain; charset=utf-8\r\n"
         "Content-Transfer-Encoding: quoted-printable\r\n"
         "\r\n"
         "Hello Bob, caf=C3=A9 =3D coffee. A long line that is soft=\r\n"
         " broken.\r\n"
         "..leading dot\r\n"
         "--XXBOUND\r\n"
         "Content-Type: application/pdf; name=\"report.pdf\"\r\n"
         "Content-Disposition: attachment; filename=\"report.pdf\"\r\n"
         "Content-Transfer-Encoding: base64\r\n"
         "\r\n" +
         b64_lines(attachment_bytes()) +
         "--XXBOUND--\r\n"
         "epilogue\r\n";
}

const std::string kText = "Hello Bob, caf\xc3\xa9 = coffee. A long line that is soft broken.\r\n.leading dot";

std::string client_stream() {
  return "EHLO client.example.com\r\n"
         "MAIL FROM:<alice@example.com> SIZE=1000\r\n"
         "RCPT TO:<bob@example.org>\r\n"
         "RCPT TO: <carol@example.net>\r\n"
         "DATA\r\n" +
         message() + ".\r\nQUIT\r\n";
}

const std::string kGreeting = "220 mx.example.org ESMTP Postfix\r\n";
const std::string kReplies =
    "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n"
    "250 2.1.0 Ok\r\n250 2.1.5 Ok\r\n250 2.1.5 Ok\r\n"
    "354 End data with <CR><LF>.<CR><LF>\r\n"
    "250 2.0.0 Ok: queued as 12345\r\n221 2.0.0 Bye\r\n";

void check_mail(const DoneTx& t) {
  CHECK(t.proto == AppProto::kSmtp);
  CHECK(t.buf(BufferId::kSmtpHelo) == "client.example.com");
  CHECK(t.buf(BufferId::kSmtpMailFrom) == "<alice@example.com>");
  REQUIRE(t.count(BufferId::kSmtpRcptTo) == 2);
  CHECK(t.buf(BufferId::kSmtpRcptTo, kC, 0) == "<bob@example.org>");
  CHECK(t.buf(BufferId::kSmtpRcptTo, kC, 1) == "<carol@example.net>");
  CHECK(t.buf(BufferId::kEmailFrom) == "\"Alice\" <alice@example.com>");
  CHECK(t.buf(BufferId::kEmailTo) == "bob@example.org, \"Carol C\" <carol@example.net>");
  CHECK(t.buf(BufferId::kEmailCc) == "dave@example.com");
  CHECK(t.buf(BufferId::kEmailSubject) == "Quarterly report");
  CHECK(t.buf(BufferId::kEmailDate) == "Mon, 14 May 2024 13:30:00 +0000");
  CHECK(t.buf(BufferId::kEmailMessageId) == "<1234@example.com>");
  CHECK(t.buf(BufferId::kEmailXMailer) == "VigilTest 1.0");
  REQUIRE(t.count(BufferId::kFileData) == 2);
  CHECK(t.buf(BufferId::kFileData, kC, 0) == kText);
  CHECK(t.buf(BufferId::kFileData, kC, 1) == attachment_bytes());
  auto want = nlohmann::ordered_json::parse(R"({
    "smtp": {"helo": "client.example.com", "mail_from": "<alice@example.com>",
             "rcpt_to": ["<bob@example.org>", "<carol@example.net>"]},
    "email": {"status": "PARSE_DONE", "from": "\"Alice\" <alice@example.com>",
              "to": ["bob@example.org", "\"Carol C\" <carol@example.net>"], "cc": ["dave@example.com"],
              "attachment": ["report.pdf"]}})");
  CHECK(t.eve == want);
}

}  // namespace

TEST_CASE("smtp: a whole session split at every byte, both directions", "[app][smtp]") {
  std::string cli = client_stream();
  for (size_t cut = 0; cut <= cli.size(); ++cut) {
    INFO("cut " << cut);
    Harness h(6, 40000, 25);
    h.send(kS, kGreeting);
    REQUIRE(h.flow.app_proto == AppProto::kSmtp);
    h.send_split(kC, cli, cut);
    CHECK(h.rec.done.empty());  // the end of DATA has no reply yet
    h.send_split(kS, kReplies, cut % (kReplies.size() + 1));
    REQUIRE(h.rec.done.size() == 1);
    check_mail(h.rec.done[0]);
    h.end();
    CHECK(h.rec.done.size() == 1);
  }
  // And one byte at a time.
  Harness h(6, 40000, 25);
  for (char ch : kGreeting) h.send(kS, std::string(1, ch));
  for (char ch : cli) h.send(kC, std::string(1, ch));
  for (char ch : kReplies) h.send(kS, std::string(1, ch));
  REQUIRE(h.rec.done.size() == 1);
  check_mail(h.rec.done[0]);
  CHECK(h.counter("app_layer.flow.smtp") == 1);
  CHECK(h.counter("app_layer.tx.smtp") == 1);
  CHECK(h.counter("app_layer.anomaly.smtp.unsolicited_reply") == 0);
}

TEST_CASE("smtp: pipelined mails, multi-line replies, one transaction each", "[app][smtp]") {
  Harness h(6, 40000, 25);
  h.send(kS, "220-mx.example.org ESMTP\r\n220-second line\r\n220 ready\r\n");
  h.send(kC, "EHLO a\r\n");
  h.send(kS, "250-mx\r\n250-PIPELINING\r\n250 CHUNKING\r\n");
  h.send(kC,
         "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nSubject: one\r\n\r\nfirst\r\n.\r\n"
         "MAIL FROM:<c@x>\r\nRCPT TO:<d@y>\r\nRCPT TO:<e@y>\r\nDATA\r\nSubject: two\r\n\r\nsecond\r\n.\r\n");
  CHECK(h.rec.done.empty());
  h.send(kS, "250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n");
  REQUIRE(h.rec.done.size() == 1);
  h.send(kS, "250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n");
  REQUIRE(h.rec.done.size() == 2);
  CHECK(h.rec.done[0].id == 0);
  CHECK(h.rec.done[1].id == 1);
  CHECK(h.rec.done[0].buf(BufferId::kSmtpMailFrom) == "<a@x>");
  CHECK(h.rec.done[0].buf(BufferId::kSmtpHelo) == "a");
  CHECK(h.rec.done[1].buf(BufferId::kSmtpHelo) == "a");
  CHECK(h.rec.done[1].count(BufferId::kSmtpRcptTo) == 2);
  CHECK(h.rec.done[1].buf(BufferId::kEmailSubject) == "two");
  CHECK(h.rec.done[1].buf(BufferId::kFileData) == "second");
  CHECK(h.rec.done[1].eve["email"] == nlohmann::ordered_json::parse(R"({"status":"PARSE_DONE"})"));
  CHECK(h.counter("app_layer.anomaly.smtp.unsolicited_reply") == 0);
  // A reply nobody asked for is counted.
  h.send(kS, "250 what\r\n");
  CHECK(h.counter("app_layer.anomaly.smtp.unsolicited_reply") == 1);
  h.send(kS, "garbage\r\n");
  CHECK(h.counter("app_layer.anomaly.smtp.invalid_reply") == 1);
}

TEST_CASE("smtp: dot-stuffing, the final dot, a refused DATA and RSET", "[app][smtp]") {
  Harness h(6, 40000, 25);
  h.send(kC, "HELO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\n");
  REQUIRE(h.flow.app_proto == AppProto::kSmtp);
  h.send(kC, "\r\n..\r\n...x\r\n. \r\n.\r\n");
  h.send(kS, "220 mx ESMTP\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n250 ok\r\n");
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.done[0].buf(BufferId::kFileData) == ".\r\n..x\r\n ");
  // DATA refused: the next lines are commands again, not a message.
  Harness g(6, 40000, 25);
  g.send(kS, "220 mx ESMTP\r\n");
  g.send(kC, "EHLO me\r\nMAIL FROM:<a@x>\r\nDATA\r\n");
  g.send(kS, "250 ok\r\n250 ok\r\n554 no valid recipients\r\n");
  g.send(kC, "RSET\r\nMAIL FROM:<z@x>\r\n");
  REQUIRE(g.rec.done.size() == 1);  // RSET ended the first mail
  CHECK(g.rec.done[0].buf(BufferId::kSmtpMailFrom) == "<a@x>");
  CHECK(g.rec.done[0].eve.find("email") == g.rec.done[0].eve.end());
  g.end();
  REQUIRE(g.rec.done.size() == 2);
  CHECK(g.rec.done[1].buf(BufferId::kSmtpMailFrom) == "<z@x>");
}

TEST_CASE("smtp: BDAT chunks (RFC 3030)", "[app][smtp]") {
  Harness h(6, 40000, 25);
  std::string part1 = "Subject: chunked\r\n\r\nfirst ";
  std::string part2 = "half\r\nBDAT 99 not a command";
  h.send(kS, "220 mx ESMTP\r\n");
  h.send(kC, "EHLO me\r\nMAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nBDAT " + std::to_string(part1.size()) + "\r\n" +
                 part1 + "BDAT " + std::to_string(part2.size()) + " LAST\r\n" + part2 + "QUIT\r\n");
  h.send(kS, "250 ok\r\n250 ok\r\n250 ok\r\n250 ok chunk\r\n250 ok last\r\n221 bye\r\n");
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.done[0].buf(BufferId::kEmailSubject) == "chunked");
  CHECK(h.rec.done[0].buf(BufferId::kFileData) == "first half\r\nBDAT 99 not a command");
  CHECK(h.rec.done[0].eve["email"]["status"] == "PARSE_DONE");
  Harness g(6, 40000, 25);
  g.send(kC, "EHLO me\r\nBDAT x\r\n");
  CHECK(g.counter("app_layer.anomaly.smtp.invalid_bdat") == 1);
}

TEST_CASE("mime: nested multipart, encoded file names, malformed encodings", "[app][smtp][mime]") {
  AppCounters ctr;
  MimeParser m(1024);
  std::string msg =
      "Content-Type: multipart/mixed; boundary=outer\r\n"
      "\r\n"
      "--outer\r\n"
      "Content-Type: multipart/alternative; boundary=\"inner\"\r\n"
      "\r\n"
      "--inner\r\n"
      "Content-Type: text/plain\r\n"
      "\r\n"
      "plain text\r\n"
      "--inner\r\n"
      "Content-Type: text/html\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "PGI+aGk8L2I+\r\n"
      "--inner--\r\n"
      "--outer\r\n"
      "Content-Type: application/octet-stream;\r\n"
      "\tname*=utf-8''na%C3%AFve%20file.exe\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "SGVs!!bG8=\r\n"
      "--outer\r\n"
      "Content-Type: text/plain; name=\"=?UTF-8?B?w6l0w6k=?= =?UTF-8?Q?_r=C3=A9sum=C3=A9?=.txt\"\r\n"
      "Content-Transfer-Encoding: quoted-printable\r\n"
      "\r\n"
      "bad =ZZ escape\r\n"
      "--outer\r\n"
      "Content-Disposition: attachment; filename*0=\"part\"; filename*1=\"ed.zip\"\r\n"
      "Content-Transfer-Encoding: base64\r\n"
      "\r\n"
      "QUJD\r\n"
      "RA\r\n"
      "--outer--\r\n";
  size_t o = 0;
  while (o < msg.size()) {
    size_t nl = msg.find("\r\n", o);
    m.line(std::string_view(msg).substr(o, nl - o), ctr);
    o = nl + 2;
  }
  m.end();
  REQUIRE(m.parts().size() == 5);
  CHECK(m.parts()[0].data == "plain text");
  CHECK(m.parts()[1].data == "<b>hi</b>");
  CHECK(m.parts()[2].data == "Hello");
  CHECK(m.parts()[2].filename == "na\xc3\xafve file.exe");
  CHECK(m.parts()[2].attachment);
  CHECK(m.parts()[3].filename == "\xc3\xa9t\xc3\xa9 r\xc3\xa9sum\xc3\xa9.txt");
  CHECK(m.parts()[3].data == "bad =ZZ escape");
  CHECK(m.parts()[4].filename == "parted.zip");
  CHECK(m.parts()[4].data == "ABCD");
  CHECK_FALSE(m.parts()[0].attachment);
  CHECK(ctr.mime_bad_base64 == 1);
  CHECK(ctr.mime_bad_qp == 1);
  CHECK(m.status_name() == "PARSE_DONE");
  CHECK(mime_decode_words("plain") == "plain");
}

TEST_CASE("mime: depth, parts and size limits are counted", "[app][smtp][mime]") {
  AppCounters ctr;
  MimeParser m(10);
  std::string msg;
  for (int i = 0; i < 12; ++i)
    msg += "Content-Type: multipart/mixed; boundary=b" + std::to_string(i) + "\r\n\r\n--b" +
           std::to_string(i) + "\r\n";
  msg += "\r\n0123456789abcdef\r\n";
  size_t o = 0;
  while (o < msg.size()) {
    size_t nl = msg.find("\r\n", o);
    m.line(std::string_view(msg).substr(o, nl - o), ctr);
    o = nl + 2;
  }
  m.end();
  CHECK(ctr.mime_depth_cut == 1);
  REQUIRE(m.parts().size() == 1);
  CHECK(m.parts()[0].data.size() == 10);
  CHECK(m.parts()[0].size > 10);
  CHECK(ctr.smtp_file_data_cut == 1);
  MimeParser many(100);
  many.line("Content-Type: multipart/mixed; boundary=z", ctr);
  many.line("", ctr);
  for (size_t i = 0; i < MimeParser::kMaxParts + 5; ++i) {
    many.line("--z", ctr);
    many.line("", ctr);
    many.line("x", ctr);
  }
  CHECK(many.parts().size() == MimeParser::kMaxParts);
  CHECK(ctr.mime_parts_cut == 5);
}

TEST_CASE("smtp: truncated at every byte, the flow end reports what was seen", "[app][smtp]") {
  std::string cli = client_stream();
  for (size_t n = 0; n <= cli.size(); n += 7) {
    INFO("n " << n);
    Harness h(6, 40000, 25);
    h.send(kS, kGreeting);
    h.send(kC, cli.substr(0, n));
    h.end();
    if (n < cli.find("\r\n") + 2) {  // no whole command yet
      CHECK(h.rec.done.empty());
      continue;
    }
    REQUIRE(h.rec.done.size() == 1);
    const auto& e = h.rec.done[0].eve;
    size_t data_at = cli.find("DATA\r\n") + 6;
    size_t end_at = cli.find("\r\n.\r\n") + 5;
    if (n < data_at) {
      CHECK(e.find("email") == e.end());
    } else if (n >= end_at) {
      CHECK(e["email"]["status"] == "PARSE_DONE");
    } else {
      CHECK(e["email"]["status"] != "PARSE_DONE");
    }
  }
  // Lines past the bound are cut and counted; a gap ends the client side.
  Harness h(6, 40000, 25);
  h.send(kS, kGreeting);
  h.send(kC, "EHLO " + std::string(10000, 'a') + "\r\nMAIL FROM:<a@b>\r\n");
  CHECK(h.counter("app_layer.limit.smtp.line") == 1);
  h.app.on_stream_gap(h.flow, kC, 100, h.pkt);
  h.send(kC, "MAIL FROM:<c@d>\r\n");
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.done[0].buf(BufferId::kSmtpMailFrom) == "<a@b>");
  CHECK(h.counter("app_layer.error.smtp.gap") == 1);
}

TEST_CASE("smtp: STARTTLS hands the flow to the TLS parser", "[app][smtp][tls]") {
  std::string hello = sni_hello("mail.example.org");
  for (bool early : {false, true}) {
    INFO("client hello before the 220: " << early);
    Harness h(6, 40000, 587);
    h.send(kS, "220 mx ESMTP\r\n");
    h.send(kC, "EHLO c\r\n");
    h.send(kS, "250-mx\r\n250 STARTTLS\r\n");
    if (early) {
      h.send(kC, "STARTTLS\r\n" + hello);
      h.send(kS, "220 2.0.0 Ready to start TLS\r\n");
    } else {
      h.send(kC, "STARTTLS\r\n");
      h.send(kS, "220 2.0.0 Ready to start TLS\r\n");
      CHECK(h.flow.app_proto == AppProto::kTls);
      h.send(kC, hello);
    }
    CHECK(h.flow.app_proto == AppProto::kTls);
    CHECK(h.counter("app_layer.smtp.starttls") == 1);
    h.end();
    REQUIRE(h.rec.done.size() == 2);
    CHECK(h.rec.done[0].proto == AppProto::kSmtp);
    CHECK(h.rec.done[0].eve["smtp"]["helo"] == "c");
    CHECK(h.rec.done[1].proto == AppProto::kTls);
    CHECK(h.rec.done[1].buf(BufferId::kTlsSni) == "mail.example.org");
  }
  // Refused: the held bytes are commands.
  Harness h(6, 40000, 25);
  h.send(kS, "220 mx ESMTP\r\n");
  h.send(kC, "EHLO c\r\nSTARTTLS\r\nMAIL FROM:<a@b>\r\n");
  h.send(kS, "250 mx\r\n454 TLS not available\r\n");
  CHECK(h.flow.app_proto == AppProto::kSmtp);
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.done[0].buf(BufferId::kSmtpMailFrom) == "<a@b>");
}

TEST_CASE("smtp: detection from the greeting or the client, not from an FTP banner", "[app][smtp]") {
  Harness ftp(6, 40000, 21);
  ftp.send(kS, "220 ProFTPD Server ready\r\n");
  CHECK(ftp.flow.app_proto != AppProto::kSmtp);
  ftp.send(kC, "USER anonymous\r\n");
  CHECK(ftp.flow.app_proto != AppProto::kSmtp);
  Harness h(6, 40000, 2525);
  h.send(kS, "220 mail.example.org Service ready\r\n");
  CHECK(h.flow.app_proto == AppProto::kUnknown);
  h.send(kC, "ehlo me\r\n");
  CHECK(h.flow.app_proto == AppProto::kSmtp);
  h.send(kS, "250 ok\r\n");
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.counter("app_layer.anomaly.smtp.unsolicited_reply") == 0);
}
