// xbits (host and host-pair bits shared across flows, with expiry),
// stream_size and tag parsing.
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>

#include "rule_test_util.h"
#include "rules/engine.h"

using namespace vigil;
using namespace vigil::rules;
using vigil::rules::test::parse;

namespace {

using Collect = test::CollectSids;

std::shared_ptr<const Engine> engine_of(const std::string& name, const std::string& text) {
  auto dir = std::filesystem::temp_directory_path() / ("vigil-rules-tests-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  auto path = (dir / name).string();
  std::ofstream(path) << text;
  LoadOptions o;
  o.files = {path};
  LoadReport r;
  auto e = build_engine(o, r);
  REQUIRE(e);
  REQUIRE(r.rules_failed == 0);
  return e;
}

struct Pkt {
  std::string payload;
  Packet p;
  Pkt(const char* src, const char* dst, std::string data, int64_t sec) : payload(std::move(data)) {
    p.ip_version = 4;
    p.src = *IpAddr::parse(src);
    p.dst = *IpAddr::parse(dst);
    p.ip_proto = 17;
    p.l4 = L4::kUdp;
    p.sp = 1000;
    p.dp = 2000;
    p.ts.sec = sec;
    p.payload = Bytes(reinterpret_cast<const uint8_t*>(payload.data()), payload.size());
  }
};

std::vector<uint32_t> run(const Engine& e, WorkerState& w, const char* src, const char* dst, const char* data,
                          int64_t sec) {
  Pkt k(src, dst, data, sec);
  Collect c;
  e.inspect_packet(w, k.p, c);
  e.end_packet(w);
  return c.sids;
}

}  // namespace

TEST_CASE("xbits: parse errors") {
  std::string err;
  CHECK(parse("alert ip any any -> any any (xbits:set,a,track ip_src,expire 5; sid:1;)"));
  CHECK_FALSE(parse("alert ip any any -> any any (xbits:set,a; sid:1;)", &err));
  CHECK(err == "xbits: xbits needs command, name and track");
  CHECK_FALSE(parse("alert ip any any -> any any (xbits:set,a,expire 5; sid:1;)", &err));
  CHECK(err == "xbits: xbits needs track ip_src, ip_dst or ip_pair");
  CHECK_FALSE(parse("alert ip any any -> any any (xbits:flip,a,track ip_src; sid:1;)", &err));
  CHECK(err == "xbits: invalid xbits command 'flip'");
  CHECK_FALSE(parse("alert ip any any -> any any (xbits:set,a,track by_src; sid:1;)", &err));
  CHECK(err == "xbits: invalid xbits track 'by_src'");
  CHECK_FALSE(parse("alert ip any any -> any any (xbits:set,a,track ip_src,expire 0; sid:1;)", &err));
  CHECK(err == "xbits: invalid xbits expire '0'");
}

TEST_CASE("xbits: set by one host's packet, seen by a later packet of the same host until expiry") {
  auto e2 =
      engine_of("xbits-src2.rules",
                "alert udp any any -> any any (msg:\"chk\"; content:\"data\"; xbits:isset,seen,track ip_src; "
                "sid:2;)\n"
                "alert udp any any -> any any (msg:\"set\"; content:\"login\"; xbits:set,seen,track ip_src,"
                "expire 10; noalert; sid:1;)\n"
                "alert udp any any -> any any (msg:\"unset\"; content:\"logout\"; xbits:unset,seen,track "
                "ip_src; noalert; sid:3;)\n");
  auto w = e2->new_worker();
  CHECK(run(*e2, *w, "10.0.0.1", "10.0.0.9", "data", 100).empty());
  CHECK(run(*e2, *w, "10.0.0.1", "10.0.0.9", "login", 101).empty());                     // noalert setter
  CHECK(run(*e2, *w, "10.0.0.1", "10.0.0.8", "data", 102) == std::vector<uint32_t>{2});  // another flow
  CHECK(run(*e2, *w, "10.0.0.2", "10.0.0.9", "data", 102).empty());                      // another host
  CHECK(run(*e2, *w, "10.0.0.1", "10.0.0.9", "data", 111).empty());                      // expired
  CHECK(run(*e2, *w, "10.0.0.1", "10.0.0.9", "login", 120).empty());
  CHECK(run(*e2, *w, "10.0.0.1", "10.0.0.9", "logout", 121).empty());
  CHECK(run(*e2, *w, "10.0.0.1", "10.0.0.9", "data", 122).empty());  // unset
}

TEST_CASE("xbits: setter before checker in one packet - ip_pair is direction-independent") {
  // The checker comes first in the file: setters are evaluated first all the same.
  auto e = engine_of(
      "xbits-pair.rules",
      "alert udp any any -> any any (msg:\"chk\"; content:\"x\"; xbits:isset,p,track ip_pair; "
      "sid:2;)\n"
      "alert udp any any -> any any (msg:\"set\"; content:\"x\"; xbits:set,p,track ip_pair; sid:1;)\n");
  auto w = e->new_worker();
  auto first = run(*e, *w, "10.0.0.1", "10.0.0.2", "x", 100);
  CHECK(first == std::vector<uint32_t>{1, 2});
  auto e2 =
      engine_of("xbits-pair2.rules",
                "alert udp any any -> any any (msg:\"chk\"; content:\"reply\"; xbits:isset,p,track ip_pair; "
                "sid:2;)\n"
                "alert udp any any -> any any (msg:\"set\"; content:\"ask\"; xbits:set,p,track ip_pair; "
                "sid:1;)\n");
  auto w2 = e2->new_worker();
  CHECK(run(*e2, *w2, "10.0.0.1", "10.0.0.2", "ask", 100) == std::vector<uint32_t>{1});
  CHECK(run(*e2, *w2, "10.0.0.2", "10.0.0.1", "reply", 101) == std::vector<uint32_t>{2});
  CHECK(run(*e2, *w2, "10.0.0.3", "10.0.0.1", "reply", 101).empty());
}

TEST_CASE("stream_size and tag: parse and validation") {
  std::string err;
  CHECK(parse("alert tcp any any -> any any (stream_size:client,<,100; sid:1;)"));
  CHECK(parse("alert tcp any any -> any any (stream_size: either,>=,5; sid:1;)"));
  CHECK_FALSE(parse("alert tcp any any -> any any (stream_size:client,~,1; sid:1;)", &err));
  CHECK(err == "stream_size: invalid stream_size operator '~'");
  CHECK_FALSE(parse("alert tcp any any -> any any (stream_size:middle,<,1; sid:1;)", &err));
  CHECK(err == "stream_size: invalid stream_size side 'middle'");
  CHECK_FALSE(parse("alert udp any any -> any any (stream_size:client,<,1; sid:1;)", &err));
  CHECK(err == "stream_size: stream_size on a non-TCP rule");
  CHECK(parse("alert tcp any any -> any any (tag:session,5,packets; sid:1;)"));
  CHECK(parse("alert tcp any any -> any any (tag: session, 20, packets; sid:1;)"));
  CHECK(parse("alert tcp any any -> any any (tag:host,300,seconds,src; sid:1;)"));
  CHECK_FALSE(parse("alert tcp any any -> any any (tag:flow,5,packets; sid:1;)", &err));
  CHECK(err == "tag: tag type must be session or host");
  CHECK_FALSE(parse("alert tcp any any -> any any (tag:session,5,lines; sid:1;)", &err));
  CHECK(err == "tag: invalid tag metric 'lines'");
}

TEST_CASE("stream_size does not match packets without a TCP session") {
  auto r = parse("alert tcp any any -> any any (stream_size:client,>=,0; sid:1;)");
  REQUIRE(r);
  Packet p;
  p.ip_version = 4;
  p.l4 = L4::kTcp;
  PktCtx c{&p, nullptr, nullptr, true, false};
  REQUIRE(r->pkt_opts.size() == 1);
  CHECK_FALSE(r->pkt_opts[0]->match(c));
}

TEST_CASE("bufferlen (Snort 3): inclusive and exclusive ranges, comparisons, relative") {
  using vigil::rules::test::payload_matches;
  CHECK(payload_matches("bufferlen:5<=>14;", "12345"));
  CHECK(payload_matches("bufferlen:5<=>14;", "12345678901234"));
  CHECK_FALSE(payload_matches("bufferlen:5<=>14;", "1234"));
  CHECK_FALSE(payload_matches("bufferlen:5<=>14;", "123456789012345"));
  CHECK_FALSE(payload_matches("bufferlen:5<>14;", "12345"));
  CHECK(payload_matches("bufferlen:<10;", "123456789"));
  CHECK_FALSE(payload_matches("bufferlen:>10;", "123456789"));
  // 3 bytes after the last "ab"; the first "ab" leaves 8 and fails, backtracking finds the second.
  CHECK(payload_matches("content:\"ab\"; bufferlen:3,relative;", "ab123456ab123"));
  CHECK_FALSE(payload_matches("content:\"ab\"; bufferlen:3,relative;", "ab12345"));
  std::string err;
  CHECK_FALSE(parse("alert tcp any any -> any any (bufferlen:14<=>5; sid:1;)", &err));
  CHECK(err == "bufferlen: invalid buffer size '14<=>5'");
  CHECK_FALSE(parse("alert tcp any any -> any any (bufferlen:5,absolute; sid:1;)", &err));
  CHECK(err == "bufferlen: invalid bufferlen option 'absolute'");
}

TEST_CASE("base64_decode + base64_data: offset, bytes, relative, stop at non-base64") {
  using vigil::rules::test::payload_matches;
  // "aGVsbG8gd29ybGQ=" is "hello world".
  CHECK(payload_matches("base64_decode; base64_data; content:\"hello\";", "aGVsbG8gd29ybGQ="));
  CHECK(payload_matches("base64_decode:offset 4; base64_data; content:\"hello\";", "xxx:aGVsbG8gd29ybGQ="));
  CHECK_FALSE(
      payload_matches("base64_decode:offset 3; base64_data; content:\"hello\";", "xxx:aGVsbG8gd29ybGQ="));
  CHECK(payload_matches("content:\"b64=\"; base64_decode:relative; base64_data; content:\"world\";",
                        "zz b64=aGVsbG8gd29ybGQ= zz"));
  // 8 base64 bytes decode to "hello " only.
  CHECK_FALSE(payload_matches("base64_decode:bytes 8; base64_data; content:\"world\";", "aGVsbG8gd29ybGQ="));
  CHECK(payload_matches("base64_decode:bytes 8; base64_data; content:\"hello \"; endswith;",
                        "aGVsbG8gd29ybGQ="));
  // Decoding stops at the first byte that is not base64.
  CHECK_FALSE(payload_matches("base64_decode; base64_data; content:\"world\";", "aGVsbG8g*d29ybGQ="));
  CHECK(payload_matches("base64_decode; base64_data; content:\"llo\"; pcre:\"/^ w/R\";", "aGVsbG8gd29ybGQ="));
  std::string err;
  CHECK_FALSE(parse("alert tcp any any -> any any (base64_data; content:\"x\"; sid:1;)", &err));
  CHECK(err == "base64_data: base64_data without a preceding base64_decode");
  CHECK_FALSE(parse("alert tcp any any -> any any (base64_decode:bits 3; sid:1;)", &err));
  CHECK(err == "base64_decode: invalid base64_decode option 'bits 3'");
}

TEST_CASE("dataset: isset/isnotset from a loaded file, set alerts once per new value, md5 hex or raw") {
  auto dir = std::filesystem::temp_directory_path() / ("vigil-rules-tests-" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  // "evil.example" and "bad.example", base64 per line.
  std::ofstream(dir / "names.lst") << "ZXZpbC5leGFtcGxl\nYmFkLmV4YW1wbGU=\n";
  std::ofstream(dir / "hashes.lst") << "0123456789abcdef0123456789abcdef\n";
  std::filesystem::remove(dir / "seen-state.lst");  // written back by an earlier run
  auto e = engine_of(
      "datasets.rules",
      "alert udp any any -> any any (msg:\"in\"; dataset:isset,names,type string,load names.lst; "
      "sid:1;)\n"
      "alert udp any any -> any any (msg:\"out\"; dsize:<13; dataset:isnotset,names; sid:2;)\n"
      "alert udp any any -> any any (msg:\"new\"; dsize:20<>30; dataset:set,seen,type string,state "
      "seen-state.lst; sid:3;)\n"
      "alert udp any any -> any any (msg:\"md5\"; dataset:isset,h,type md5,load hashes.lst; sid:4;)\n");
  auto w = e->new_worker();
  CHECK(run(*e, *w, "10.0.0.1", "10.0.0.2", "evil.example", 1) == std::vector<uint32_t>{1});
  CHECK(run(*e, *w, "10.0.0.1", "10.0.0.2", "bad.example", 1) == std::vector<uint32_t>{1});
  CHECK(run(*e, *w, "10.0.0.1", "10.0.0.2", "good.example", 1) == std::vector<uint32_t>{2});
  CHECK(run(*e, *w, "10.0.0.1", "10.0.0.2", "a new value, long enough", 1) == std::vector<uint32_t>{3});
  CHECK(run(*e, *w, "10.0.0.1", "10.0.0.2", "a new value, long enough", 2).empty());
  CHECK(run(*e, *w, "10.0.0.1", "10.0.0.2", "0123456789ABCDEF0123456789ABCDEF", 1) ==
        std::vector<uint32_t>{4});
  std::string raw("\x01\x23\x45\x67\x89\xab\xcd\xef\x01\x23\x45\x67\x89\xab\xcd\xef", 16);
  CHECK(run(*e, *w, "10.0.0.1", "10.0.0.2", raw.c_str(), 1) == std::vector<uint32_t>{4});

  std::string err;
  CHECK_FALSE(parse("alert udp any any -> any any (dataset:isset,ips,type ipv6,load x; sid:1;)", &err));
  CHECK(err == "dataset: invalid dataset type 'ipv6'");
  CHECK_FALSE(parse("alert udp any any -> any any (dataset:isset,nothere; sid:1;)", &err));
  CHECK(err == "dataset: dataset 'nothere' used before a type was given");
  CHECK_FALSE(parse("alert udp any any -> any any (dataset:check,x,type string; sid:1;)", &err));
  CHECK(err == "dataset: invalid dataset command 'check'");
  CHECK_FALSE(parse(
      "alert udp any any -> any any (dataset:isset,x,type string,load /nonexistent/x.lst; sid:1;)", &err));
  CHECK(err == "dataset: cannot read dataset file /nonexistent/x.lst");
}
