// The file model (agent/app/file_tracker.h): hashes against published test
// vectors and against one-shot digests whatever the split, gaps and cuts give
// TRUNCATED files without hashes, libmagic's type, the file store (written
// once, capped, counted) and the HTTP parser's bodies as files (decoded,
// hashed past the inspection limit, named after the URI path), SMTP
// attachments (decoded, closed at their boundary, truncated when the message
// or the flow ends first) and FTP data connections (closed on FIN, truncated
// on RST, a gap or the flow's end).
#include "agent/app/file_tracker.h"

#include <unistd.h>
#include <zlib.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "common/digest.h"
#include "common/encoding.h"
#include "tests/agent/app/app_test_util.h"

using namespace vigil;
using vigil::test::Harness;

namespace {

std::filesystem::path temp_dir(const std::string& name) {
  auto p =
      std::filesystem::temp_directory_path() / ("vigil-file-tests-" + std::to_string(getpid()) + "-" + name);
  std::filesystem::remove_all(p);
  std::filesystem::create_directories(p);
  return p;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string gzip(std::string_view in) {
  z_stream z{};
  deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()) + 32, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Deterministic bytes that do not compress to nothing.
std::string body_of(size_t n) {
  std::string s(n, '\0');
  uint32_t x = 12345;
  for (auto& ch : s) {
    x = x * 1103515245u + 12345u;
    ch = char('a' + (x >> 16) % 26);
  }
  return s;
}

}  // namespace

TEST_CASE("file hashes: published vectors, and the same digests for every split of the input") {
  FileConfig cfg;
  FileContext ctx(cfg);
  {
    TrackedFile f(ctx, "abc.txt", Dir::kToClient, 3);
    f.append("ab");
    f.append("c");
    f.close();
    CHECK(f.state() == FileState::kClosed);
    CHECK(f.md5() == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(f.sha1() == "a9993e364706816aba3e25717850c26c9cd0d89d");
    CHECK(f.sha256() == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(f.size() == 3);
    nlohmann::ordered_json j;
    f.to_eve(j);
    auto& fi = j["fileinfo"];
    CHECK(fi["filename"] == "abc.txt");
    CHECK(fi["state"] == "CLOSED");
    CHECK(fi["gaps"] == false);
    CHECK(fi["stored"] == false);
    CHECK(fi["size"] == 3);
    CHECK(fi["tx_id"] == 3);
    CHECK(fi["sha256"] == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK_FALSE(fi.contains("magic"));  // force-magic is off
  }
  const std::string data = body_of(300);
  for (size_t cut1 = 0; cut1 <= data.size(); ++cut1) {
    size_t cut2 = (cut1 * 7) % (data.size() + 1);
    size_t a = std::min(cut1, cut2), b = std::max(cut1, cut2);
    TrackedFile f(ctx, "x", Dir::kToServer, 0);
    f.append(std::string_view(data).substr(0, a));
    f.append(std::string_view(data).substr(a, b - a));
    f.append(std::string_view(data).substr(b));
    f.close();
    REQUIRE(f.md5() == md5_hex(data));
    REQUIRE(f.sha256() == sha256_hex(data));
  }
  CHECK(ctx.ctr().file_opened == 302);
  CHECK(ctx.ctr().file_closed == 302);
  CHECK(ctx.ctr().file_hashed_bytes == 3 + 301 * 300);
}

TEST_CASE("a gap or a cut truncates the file: gaps flagged, no hashes, counted") {
  FileConfig cfg;
  FileContext ctx(cfg);
  TrackedFile g(ctx, "g", Dir::kToClient, 0);
  g.append("head");
  g.gap(10);
  g.append("tail");
  g.close();
  CHECK(g.state() == FileState::kTruncated);
  CHECK(g.gaps());
  CHECK(g.size() == 18);
  CHECK(g.md5().empty());
  CHECK(g.sha256().empty());
  nlohmann::ordered_json j;
  g.to_eve(j);
  CHECK(j["fileinfo"]["state"] == "TRUNCATED");
  CHECK(j["fileinfo"]["gaps"] == true);
  CHECK_FALSE(j["fileinfo"].contains("md5"));

  TrackedFile t(ctx, "t", Dir::kToClient, 1);
  t.append("part");
  t.truncate();
  t.append("ignored after the end");
  CHECK(t.state() == FileState::kTruncated);
  CHECK_FALSE(t.gaps());
  CHECK(t.size() == 4);
  CHECK(ctx.ctr().file_truncated == 2);
  CHECK(ctx.ctr().file_gaps == 1);
}

TEST_CASE("force-hash selects the hashes - force-magic gives libmagic's type") {
  FileConfig cfg;
  cfg.md5 = false;
  cfg.sha1 = false;
  cfg.magic = true;
  FileContext ctx(cfg);
  TrackedFile f(ctx, "doc.pdf", Dir::kToClient, 0);
  f.append("%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n");
  f.close();
  CHECK(f.md5().empty());
  CHECK(f.sha1().empty());
  CHECK(f.sha256().size() == 64);
  INFO(f.magic());
  CHECK(f.magic().find("PDF") != std::string::npos);
  nlohmann::ordered_json j;
  f.to_eve(j);
  CHECK(j["fileinfo"]["magic"] == f.magic());
  CHECK_FALSE(j["fileinfo"].contains("md5"));
  CHECK(ctx.ctr().file_magic_errors == 0);
}

TEST_CASE("filestore writes a closed file once under <dir>/<sha256[0:2]>/<sha256>, within the cap") {
  auto dir = temp_dir("store");
  FileConfig cfg;
  cfg.store_dir = dir.string();
  cfg.store_cap = 100;  // bytes: the 200-byte file below does not fit
  FileContext ctx(cfg);
  const std::string content = "stored content";
  const std::string sha = sha256_hex(content);
  auto path = dir / sha.substr(0, 2) / sha;
  {
    TrackedFile f(ctx, "a", Dir::kToClient, 0);
    f.request_store();  // asked before the end: written at close
    f.append(content);
    CHECK_FALSE(std::filesystem::exists(path));
    f.close();
    CHECK(f.stored());
    CHECK(read_file(path) == content);
  }
  {
    TrackedFile f(ctx, "b", Dir::kToClient, 1);  // same content: already there
    f.append(content);
    f.close();
    f.request_store();  // asked after the end: stored now
    CHECK(f.stored());
  }
  const std::string later = "asked for after the end";
  {
    TrackedFile f(ctx, "c", Dir::kToClient, 5);
    f.append(later);
    f.close();
    f.request_store();
    CHECK(f.stored());
  }
  const std::string later_sha = sha256_hex(later);
  CHECK(read_file(dir / later_sha.substr(0, 2) / later_sha) == later);
  CHECK(ctx.ctr().file_stored == 2);
  CHECK(ctx.ctr().file_store_exists == 1);
  {
    TrackedFile f(ctx, "big", Dir::kToClient, 2);  // past the 100-byte cap
    f.append(std::string(200, 'x'));
    f.close();
    f.request_store();
    CHECK_FALSE(f.stored());
  }
  {
    TrackedFile f(ctx, "cut", Dir::kToClient, 3);  // truncated files are not stored
    f.append("abc");
    f.truncate();
    f.request_store();
    CHECK_FALSE(f.stored());
  }
  {
    TrackedFile f(ctx, "unasked", Dir::kToClient, 4);
    f.append("never asked for");
    f.close();
    CHECK_FALSE(f.stored());
  }
  CHECK(ctx.ctr().file_store_cap == 1);
  CHECK(ctx.ctr().file_store_not_closed == 1);
  size_t files = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) files += e.is_regular_file() ? 1 : 0;
  CHECK(files == 2);
  std::filesystem::remove_all(dir);
}

TEST_CASE("HTTP bodies are files: decoded, hashed whole past the body limit, named by the URI path") {
  AppConfig cfg;
  cfg.http_response_body_limit = 16;
  cfg.files.enabled = true;
  Harness h(6, 40000, 80, cfg);
  const std::string plain = body_of(5000);
  const std::string gz = gzip(plain);
  std::string chunked;
  for (size_t i = 0; i < gz.size(); i += 700) {
    auto part = gz.substr(i, 700);
    char hex[16];
    snprintf(hex, sizeof hex, "%zx", part.size());
    chunked += std::string(hex) + "\r\n" + part + "\r\n";
  }
  chunked += "0\r\n\r\n";
  std::string req = "GET /dl/%41pp.tar.gz?x=1 HTTP/1.1\r\nHost: a\r\n\r\n";
  std::string resp =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nContent-Encoding: gzip\r\n\r\n" + chunked;
  // Every split of the head and the first chunk, then the rest in one piece.
  for (size_t cut : {size_t(0), size_t(1), size_t(40), size_t(75), size_t(90), resp.size() - 3}) {
    h.send(Dir::kToServer, req);
    h.send_split(Dir::kToClient, resp, cut);
  }
  h.send(Dir::kToServer,
         "POST /up HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n\r\n" + std::string(10, 'p'));
  h.end();
  REQUIRE(h.rec.done.size() == 7);
  for (size_t i = 0; i < 6; ++i) {
    const auto& t = h.rec.done[i];
    CHECK(t.buf(BufferId::kFileData, Dir::kToClient) == plain.substr(0, 16));
    CHECK(t.buf(BufferId::kFileName, Dir::kToClient) == "/dl/App.tar.gz");
    CHECK(t.buf(BufferId::kFileSha256, Dir::kToClient) == sha256_hex(plain));
    CHECK(t.buf(BufferId::kFileMd5, Dir::kToClient) == md5_hex(plain));
    CHECK(t.integer(TxInt::kFileSize, Dir::kToClient) == 5000);
    CHECK(t.count(BufferId::kFileName, Dir::kToServer) == 0);  // a GET has no request body
  }
  // The POST's body ended with the connection, 90 bytes short.
  const auto& post = h.rec.done[6];
  CHECK(post.buf(BufferId::kFileName, Dir::kToServer) == "/up");
  CHECK(post.count(BufferId::kFileSha256, Dir::kToServer) == 0);
  CHECK(post.integer(TxInt::kFileSize, Dir::kToServer) == 10);
  CHECK(h.counter("app_layer.file.opened") == 7);
  CHECK(h.counter("app_layer.file.closed") == 6);
  CHECK(h.counter("app_layer.file.truncated") == 1);
}

TEST_CASE("files are not tracked unless enabled") {
  Harness h;
  h.send(Dir::kToServer, "GET /f HTTP/1.1\r\nHost: a\r\n\r\n");
  h.send(Dir::kToClient, "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc");
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  CHECK(h.rec.done[0].count(BufferId::kFileName, Dir::kToClient) == 0);
  CHECK(h.rec.done[0].buf(BufferId::kFileData, Dir::kToClient) == "abc");
  CHECK(h.counter("app_layer.file.opened") == 0);
}

namespace {

std::string b64_lines(std::string_view bytes) {
  std::string e = base64_encode({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()});
  std::string out;
  for (size_t i = 0; i < e.size(); i += 76) out += e.substr(i, 76) + "\r\n";
  return out;
}

const nlohmann::ordered_json& info(const vigil::test::DoneTx& t, size_t i) {
  return t.files.at(i).at("fileinfo");
}

}  // namespace

TEST_CASE("SMTP attachments are files: decoded, hashed whole, closed at the boundary, truncated when cut") {
  AppConfig cfg;
  cfg.files.enabled = true;
  cfg.smtp_file_data_limit = 16;  // file.data keeps 16 bytes; the hashes cover everything
  const std::string bin = body_of(5000);
  const std::string notes = "caf\xc3\xa9 = coffee\r\nline two";
  auto mail = [&](std::string_view end_of_message) {
    return "MAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n"
           "From: a@example.com\r\nSubject: files\r\nMIME-Version: 1.0\r\n"
           "Content-Type: multipart/mixed; boundary=\"BB\"\r\n\r\npreamble\r\n"
           "--BB\r\nContent-Type: text/plain\r\n\r\nno file here\r\n"
           "--BB\r\nContent-Type: application/octet-stream\r\n"
           "Content-Disposition: attachment; filename*=UTF-8''r%C3%A9sum%C3%A9.bin\r\n"
           "Content-Transfer-Encoding: base64\r\n\r\n" +
           b64_lines(bin) +
           "--BB\r\nContent-Type: text/plain; name=\"notes.txt\"\r\n"
           "Content-Transfer-Encoding: quoted-printable\r\n\r\n"
           "caf=C3=A9 =3D coffee\r\nline two\r\n" +
           std::string(end_of_message);
  };
  const std::string whole = mail("--BB--\r\n.\r\n");
  const std::string replies = "250 ok\r\n250 ok\r\n354 go\r\n250 queued\r\n";
  std::string bin_name = "r\xc3\xa9sum\xc3\xa9.bin";

  // Byte by byte, then in one piece: the same files.
  for (bool bytewise : {true, false}) {
    Harness h(6, 40000, 25, cfg);
    h.send(Dir::kToClient, "220 mx ESMTP\r\n");
    h.send(Dir::kToServer, "EHLO c\r\n");
    h.send(Dir::kToClient, "250 mx\r\n");
    if (bytewise) {
      for (char ch : whole) h.send(Dir::kToServer, std::string_view(&ch, 1));
    } else {
      h.send(Dir::kToServer, whole);
    }
    h.send(Dir::kToClient, replies);
    // A second mail: the message ends ("." line) inside the attachment, no closing boundary.
    h.send(Dir::kToServer, mail(".\r\n"));
    h.send(Dir::kToClient, replies);
    // A third: the flow ends in the middle of the base64 attachment.
    std::string third = mail("");
    h.send(Dir::kToServer, third.substr(0, third.find("--BB\r\nContent-Type: text/plain; name")));
    h.end();
    REQUIRE(h.rec.done.size() == 3);
    const auto& t = h.rec.done[0];
    REQUIRE(t.files.size() == 2);
    CHECK(info(t, 0)["filename"] == bin_name);
    CHECK(info(t, 0)["state"] == "CLOSED");
    CHECK(info(t, 0)["size"] == 5000);
    CHECK(info(t, 0)["md5"] == md5_hex(bin));
    CHECK(info(t, 0)["sha256"] == sha256_hex(bin));
    CHECK(t.files[0]["dir"] == "to_server");
    CHECK(info(t, 1)["filename"] == "notes.txt");
    CHECK(info(t, 1)["state"] == "CLOSED");
    CHECK(info(t, 1)["sha256"] == sha256_hex(notes));
    // Rules see the names and hashes of every file; file.data keeps its limit.
    CHECK(t.count(BufferId::kFileName) == 2);
    CHECK(t.buf(BufferId::kFileName, Dir::kToServer, 1) == "notes.txt");
    CHECK(t.buf(BufferId::kFileMd5) == md5_hex(bin));
    CHECK(t.buf(BufferId::kFileData, Dir::kToServer, 1) == bin.substr(0, 16));
    CHECK(t.integer(TxInt::kFileSize, Dir::kToServer) == int64_t(notes.size()));
    CHECK(t.eve["email"]["attachment"] == nlohmann::json::array({bin_name, "notes.txt"}));
    // Mail 2: the attachment before the cut is whole, the last one lacks its boundary.
    const auto& t2 = h.rec.done[1];
    REQUIRE(t2.files.size() == 2);
    CHECK(info(t2, 0)["state"] == "CLOSED");
    CHECK(info(t2, 1)["state"] == "TRUNCATED");
    CHECK_FALSE(info(t2, 1).contains("sha256"));
    CHECK(t2.count(BufferId::kFileSha256) == 1);
    // Mail 3: cut inside the base64 part by the end of the flow.
    const auto& t3 = h.rec.done[2];
    REQUIRE(t3.files.size() == 1);
    CHECK(info(t3, 0)["state"] == "TRUNCATED");
    CHECK(info(t3, 0)["size"] == 5000);
    CHECK(h.counter("app_layer.file.opened") == 5);
    CHECK(h.counter("app_layer.file.closed") == 3);
    CHECK(h.counter("app_layer.file.truncated") == 2);
  }
}

TEST_CASE("SMTP: a gap in the message truncates the open attachment") {
  AppConfig cfg;
  cfg.files.enabled = true;
  Harness h(6, 40000, 25, cfg);
  h.send(Dir::kToClient, "220 mx ESMTP\r\n");
  h.send(Dir::kToServer,
         "MAIL FROM:<a@x>\r\nRCPT TO:<b@y>\r\nDATA\r\nContent-Type: application/zip; name=\"z.zip\"\r\n"
         "Content-Transfer-Encoding: base64\r\n\r\nUEsDBAoAAAAAAA==\r\n");
  h.app.on_stream_gap(h.flow, Dir::kToServer, 100, h.pkt);
  h.end();
  REQUIRE(h.rec.done.size() == 1);
  REQUIRE(h.rec.done[0].files.size() == 1);
  CHECK(info(h.rec.done[0], 0)["state"] == "TRUNCATED");
  CHECK(info(h.rec.done[0], 0)["gaps"] == true);
}

TEST_CASE("FTP data connections are files: closed on FIN, truncated on RST, a gap or the flow's end") {
  AppConfig cfg;
  cfg.files.enabled = true;
  Harness h(6, 40000, 21, cfg);
  h.flow.client = *IpAddr::parse("10.0.0.1");
  h.flow.server = *IpAddr::parse("10.0.0.2");
  h.send(Dir::kToClient, "220 ftp\r\n");
  // One data connection per transfer, each on its own PASV port.
  auto announce = [&](uint16_t port, const std::string& cmd) {
    h.send(Dir::kToServer, "PASV\r\n");
    h.send(Dir::kToClient, "227 Entering Passive Mode (10,0,0,2," + std::to_string(port >> 8) + "," +
                               std::to_string(port & 255) + ").\r\n");
    h.send(Dir::kToServer, cmd + "\r\n");
    h.send(Dir::kToClient, "150 ok\r\n226 done\r\n");
  };
  using vigil::test::B;
  const std::string big = body_of(300 * 1024);  // past ftp-data's file.data limit
  enum class End { kFin, kRst, kGap, kFlowEnd };
  auto transfer = [&](uint16_t port, Dir d, std::string_view bytes, End how) {
    Flow f;
    f.proto = 6;
    f.client = h.flow.client;
    f.server = h.flow.server;
    f.client_port = port + 1000;
    f.server_port = port;
    Packet p;
    p.flow = &f;
    for (size_t i = 0; i < bytes.size(); i += 1400) {
      if (how == End::kGap && i == 1400) {
        h.app.on_stream_gap(f, d, 1400, p);
        continue;
      }
      h.app.on_stream_data(f, d, B(bytes.substr(i, 1400)), p);
    }
    if (how == End::kFin || how == End::kRst) {
      p.tcp.flags = how == End::kFin ? (kTcpFin | kTcpAck) : kTcpRst;
      h.app.on_stream_end(f, d, &p);
    }
    h.app.on_flow_end(f);
  };
  announce(50000, "RETR /pub/big.bin");
  transfer(50000, Dir::kToClient, big, End::kFin);
  announce(50001, "STOR up.bin");
  transfer(50001, Dir::kToServer, big.substr(0, 5000), End::kRst);
  announce(50002, "APPE log.txt");
  transfer(50002, Dir::kToServer, big.substr(0, 5000), End::kGap);
  announce(50003, "RETR /pub/slow.bin");
  transfer(50003, Dir::kToClient, big.substr(0, 3000), End::kFlowEnd);
  announce(50004, "LIST /pub");
  transfer(50004, Dir::kToClient, "a listing\r\n", End::kFin);
  std::vector<const vigil::test::DoneTx*> data;
  for (const auto& t : h.rec.done)
    if (t.proto == AppProto::kFtpData) data.push_back(&t);
  REQUIRE(data.size() == 5);
  const auto& r = *data[0];
  REQUIRE(r.files.size() == 1);
  CHECK(info(r, 0)["filename"] == "/pub/big.bin");
  CHECK(info(r, 0)["state"] == "CLOSED");
  CHECK(info(r, 0)["size"] == big.size());
  CHECK(info(r, 0)["sha256"] == sha256_hex(big));
  CHECK(info(r, 0)["md5"] == md5_hex(big));
  CHECK(r.files[0]["dir"] == "to_client");
  CHECK(r.buf(BufferId::kFileName, Dir::kToClient) == "/pub/big.bin");
  CHECK(r.buf(BufferId::kFileSha256, Dir::kToClient) == sha256_hex(big));
  CHECK(r.integer(TxInt::kFileSize, Dir::kToClient) == int64_t(big.size()));
  CHECK(r.eve["ftp_data"]["command"] == "RETR");
  const auto& s = *data[1];
  REQUIRE(s.files.size() == 1);
  CHECK(s.files[0]["dir"] == "to_server");
  CHECK(info(s, 0)["filename"] == "up.bin");
  CHECK(info(s, 0)["state"] == "TRUNCATED");  // RST
  CHECK(info(*data[2], 0)["state"] == "TRUNCATED");
  CHECK(info(*data[2], 0)["gaps"] == true);
  CHECK(info(*data[3], 0)["state"] == "TRUNCATED");  // no FIN before the flow ended
  CHECK(data[4]->files.empty());                     // LIST moves no file
  CHECK(h.counter("app_layer.file.opened") == 4);
  CHECK(h.counter("app_layer.file.closed") == 1);
  CHECK(h.counter("app_layer.file.truncated") == 3);
}
