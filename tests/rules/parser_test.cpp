#include <catch2/catch.hpp>

#include "rule_test_util.h"

using namespace vigil;
using namespace vigil::rules;
using namespace vigil::rules::test;

TEST_CASE("header: action, protocol, addresses, ports, direction") {
  auto r = parse("alert tcp $HOME_NET [1024:,!2000] -> !10.0.0.0/8 $HTTP_PORTS (msg:\"m\"; sid:5; rev:2;)");
  REQUIRE(r);
  CHECK(r->action == Action::kAlert);
  CHECK(r->proto == ProtoSel::kTcp);
  CHECK(r->src.contains(*IpAddr::parse("192.168.1.1")));
  CHECK_FALSE(r->src.contains(*IpAddr::parse("8.8.8.8")));
  CHECK(r->sp.contains(1024));
  CHECK(r->sp.contains(65535));
  CHECK_FALSE(r->sp.contains(2000));
  CHECK_FALSE(r->sp.contains(80));
  CHECK_FALSE(r->dst.contains(*IpAddr::parse("10.1.2.3")));
  CHECK(r->dst.contains(*IpAddr::parse("2001:db8::1")));
  CHECK(r->dp.contains(80));
  CHECK_FALSE(r->dp.contains(81));
  CHECK(r->sid == 5);
  CHECK(r->rev == 2);
  CHECK_FALSE(r->bidir);
  auto b = parse("pass udp any any <> [1.2.3.4,5.6.7.0/24] 53 (sid:6;)");
  REQUIRE(b);
  CHECK(b->bidir);
  CHECK(b->action == Action::kPass);
  CHECK(b->dst.contains(*IpAddr::parse("5.6.7.99")));
}

TEST_CASE("header: app-layer protocol implies the app proto") {
  auto r = parse("alert http any any -> any any (sid:1;)");
  REQUIRE(r);
  // http matches HTTP/1 and HTTP/2 flows (Suricata's AppProtoEquals); http1 only HTTP/1.
  CHECK(r->app_mask == ((1u << unsigned(AppProto::kHttp)) | (1u << unsigned(AppProto::kHttp2))));
  auto r1 = parse("alert http1 any any -> any any (sid:1;)");
  REQUIRE(r1);
  CHECK(r1->app_mask == (1u << unsigned(AppProto::kHttp)));
  auto r2 = parse("alert http2 any any -> any any (sid:1;)");
  REQUIRE(r2);
  CHECK(r2->app_mask == ((1u << unsigned(AppProto::kHttp2)) | (1u << unsigned(AppProto::kDoh2))));
  CHECK_FALSE(r->tx_rule);  // no app-layer buffer: a packet rule on HTTP flows, as in Suricata
  auto s = parse("alert tcp-pkt any any -> any any (content:\"x\"; sid:1;)");
  REQUIRE(s);
  CHECK(s->stream == StreamSel::kPacketOnly);
}

TEST_CASE("app-layer-protocol: distinct negations or modes load, overlapping negations in one mode fail") {
  CHECK(parse("alert tcp any any -> any any (app-layer-protocol:!http; app-layer-protocol:!tls; sid:1;)"));
  CHECK(parse(
      "alert tcp any any -> any any (app-layer-protocol:!http; app-layer-protocol:!http,final; sid:1;)"));
  CHECK_FALSE(
      parse("alert tcp any any -> any any (app-layer-protocol:!tls|dns; app-layer-protocol:!dns; sid:1;)"));
}

TEST_CASE("options: quoting and escaping in content and msg") {
  auto r = parse(R"(alert tcp any any -> any any (msg:"a \"q\" \; b"; content:"a|3B 0d|b\"\;"; sid:1;))");
  REQUIRE(r);
  CHECK(r->msg == "a \"q\" ; b");
  auto& c = static_cast<const ContentOp&>(*r->list_for(kSlotPayload)->ops[0]);
  CHECK(c.pattern == std::string("a;\rb\";"));
}

TEST_CASE("options split on unescaped semicolons, quotes ignored, pcre with quotes") {
  auto r = parse(R"(alert tcp any any -> any any (pcre:"/a\x22b[^\x3b]+"c/i"; sid:1;))");
  REQUIRE(r);
}

TEST_CASE("multi-line rules, comments and disabled rules") {
  FileParse fp;
  parse_text(
      "# comment\n#alert tcp any any -> any any (sid:9;)\nalert tcp any any -> any any (content:\"x\"; \\\n "
      "sid:1;)\n\n",
      "f.rules", test_ctx(), fp);
  REQUIRE(fp.rules.size() == 1);
  CHECK(fp.rules[0]->line == 3);
  CHECK(fp.disabled == 1);
  CHECK(fp.failures.empty());
}

TEST_CASE("Snort 3 dialect: sticky http_uri, inline content modifiers, service, headerless") {
  const char* text =
      "alert tcp any any -> any $HTTP_PORTS ( msg:\"s3\"; flow:to_server,established; http_uri; "
      "content:\"/x.php\",fast_pattern,nocase; content:\"id=\",distance 0; service:http; sid:10; )\n"
      "alert http ( msg:\"h\"; http_header:field user-agent; content:\"evil\"; sid:11; )\n";
  CHECK(detect_dialect(text) == Dialect::kSnort3);
  FileParse fp;
  parse_text(text, "s.rules", test_ctx(), fp);
  REQUIRE(fp.rules.size() == 2);
  const Rule& r = *fp.rules[0];
  auto* l = r.list_for(int(BufferId::kHttpUri));
  REQUIRE(l);
  REQUIRE(l->ops.size() == 2);
  auto& c = static_cast<const ContentOp&>(*l->ops[0]);
  CHECK(c.nocase);
  CHECK(c.fast_pattern);
  CHECK(static_cast<const ContentOp&>(*l->ops[1]).has_distance);
  CHECK(r.app_mask ==
        ((1u << unsigned(AppProto::kHttp)) | (1u << unsigned(AppProto::kHttp2))));  // service:http
  CHECK(fp.rules[1]->list_for(int(BufferId::kHttpUserAgent)));
}

TEST_CASE("Suricata legacy content modifiers move the content to the buffer") {
  auto r =
      parse("alert tcp any any -> any any (content:\"GET\"; http_method; content:\"/a\"; http_uri; sid:1;)");
  REQUIRE(r);
  CHECK(r->list_for(int(BufferId::kHttpMethod)));
  CHECK(r->list_for(int(BufferId::kHttpUri)));
  CHECK_FALSE(r->list_for(kSlotPayload));
  CHECK(r->tx_rule);
  auto u = parse("alert tcp any any -> any any (uricontent:\"/b\"; sid:1;)");
  REQUIRE(u);
  CHECK(u->list_for(int(BufferId::kHttpUri)));
}

TEST_CASE("classtype sets category and priority - priority overrides") {
  auto r = parse("alert tcp any any -> any any (classtype:trojan-activity; sid:1;)");
  REQUIRE(r);
  CHECK(r->category == "A Network Trojan was detected");
  CHECK(r->priority == 1);
  auto p = parse("alert tcp any any -> any any (priority:4; classtype:trojan-activity; sid:1;)");
  REQUIRE(p);
  CHECK(p->priority == 4);
  auto m = parse("alert tcp any any -> any any (metadata:created_at 2020, former_category MALWARE; sid:1;)");
  REQUIRE(m);
  std::vector<std::pair<std::string, std::string>> md;
  m->metadata.each([&](std::string_view k, std::string_view v) { md.emplace_back(k, v); });
  CHECK(md == std::vector<std::pair<std::string, std::string>>{{"created_at", "2020"},
                                                               {"former_category", "MALWARE"}});
  auto twice =
      parse("alert tcp any any -> any any (metadata:tag a, other b, tag c, flag; metadata:tag d; sid:1;)");
  REQUIRE(twice);
  md.clear();
  twice->metadata.each([&](std::string_view k, std::string_view v) { md.emplace_back(k, v); });
  CHECK(md == std::vector<std::pair<std::string, std::string>>{
                  {"tag", "a"}, {"other", "b"}, {"tag", "c"}, {"flag", ""}, {"tag", "d"}});
}

TEST_CASE("parse errors name their reason") {
  struct Case {
    const char* rule;
    const char* reason;
  } cases[] = {
      {"alert tcp any any -> any any (content:\"x\";)", "rule has no sid"},
      {"alert tcp any any -> any any (foo:1; sid:1;)", "unsupported keyword 'foo'"},
      {"alert tcp any any -> any any (nocase; sid:1;)", "nocase: nocase needs a preceding content"},
      {"alert tcp any any -> any any (content:\"a|4|\"; sid:1;)",
       "content: odd number of hex digits in content"},
      {"alert tcp any any -> any any (content:\"a|zz|\"; sid:1;)",
       "content: invalid hex character 'z' in content"},
      {"alert tcp any any -> any any (content:x; sid:1;)", "content: content must be a quoted string"},
      {"alert tcp any any -> any any (content:\"ab\"; depth:1; sid:1;)",
       "depth: depth smaller than content length"},
      {"alert tcp any any -> any any (content:\"a\"; offset:1; distance:2; sid:1;)",
       "distance: can't mix distance with offset/depth on one content"},
      {"alert tcp any any -> any any (pcre:\"/(/\"; sid:1;)",
       "pcre: pcre compile error at offset 1: missing closing parenthesis"},
      {"alert tcp any any -> any any (pcre:\"/a/q\"; sid:1;)", "pcre: unknown pcre flag 'q'"},
      {"alert tcp any any -> any any (byte_test:9,=,1,0; sid:1;)",
       "byte_test: byte_test: number of bytes must be 1..8"},
      {"alert tcp any any -> any any (flow:to_server,to_client; sid:1;)",
       "flow: flow: to_server and to_client together"},
      {"alert tcp any any -> any any (classtype:nope; sid:1;)", "classtype: unknown classtype 'nope'"},
      {"alert tcp $NOPE any -> any any (sid:1;)", "source: unknown variable $NOPE"},
      {"alert tcp any 70000 -> any any (sid:1;)", "source port: invalid port '70000'"},
      {"alert tcp any any => any any (sid:1;)", "invalid direction '=>'"},
      {"alert foo any any -> any any (sid:1;)", "unsupported protocol 'foo'"},
      {"hello tcp any any -> any any (sid:1;)", "invalid action 'hello'"},
      {"alert tcp any any -> any any sid:1;", "rule options must be enclosed in ( )"},
      {"alert tcp any any -> any any (threshold:type limit; sid:1;)",
       "threshold: threshold needs type, track, count and seconds"},
      {"alert tcp any any -> any any (content:\"a\"; distance:nope; sid:1;)",
       "distance: invalid distance value 'nope'"},
      {"alert tcp any any -> any any (app-layer-protocol:!http; app-layer-protocol:!http|tls; sid:1;)",
       "app-layer-protocol: duplicate or overlapping negated entries under the same mode"},
  };
  for (auto& c : cases) {
    std::string err;
    INFO(c.rule);
    CHECK_FALSE(parse(c.rule, &err));
    CHECK(err == c.reason);
  }
}

TEST_CASE("file parse reports file:line and sid for each failure") {
  FileParse fp;
  parse_text("alert tcp any any -> any any (sid:1;)\nalert tcp any any -> any any (bogus; sid:77;)\n",
             "x.rules", test_ctx(), fp);
  REQUIRE(fp.failures.size() == 1);
  CHECK(fp.failures[0].first == 2);
  CHECK(fp.failures[0].second.sid == 77);
  CHECK(fp.failures[0].second.unsupported);
  CHECK(fp.failures[0].second.keyword == "bogus");
}

TEST_CASE("dialect detection: each Snort 3 sign on its own, Suricata legacy modifiers are not one") {
  CHECK(detect_dialect("alert tcp any any -> any any (msg:\"a\"; service : http; sid:1;)\n") ==
        Dialect::kSnort3);
  CHECK(detect_dialect("alert tcp any any -> any any (msg:\"a\"; content: !\"x\" , depth 4; sid:1;)\n") ==
        Dialect::kSnort3);
  CHECK(detect_dialect(
            "alert tcp any any -> any any (msg:\"a\"; flow:established; http_cookie ; content:\"x\"; "
            "sid:1;)\n") == Dialect::kSnort3);
  // Suricata: legacy modifier after the content, sticky buffers with dots, a "service" inside a word.
  CHECK(detect_dialect(
            "alert tcp any any -> any any (msg:\"a\"; flow:established; content:\"x\"; http_uri; "
            "content:\"y\"; http_uri; sid:1;)\n"
            "alert http any any -> any any (msg:\"b\"; flow:established; http.method; content:\"GET\"; "
            "content:\"urn:ROUTER:service:x\"; sid:2;)\n"
            "# alert tcp any any -> any any (service:http; sid:3;)\n") == Dialect::kSuricata);
  // A legacy modifier right after the content that follows msg (bug-814's rule) is Suricata's form.
  CHECK(detect_dialect("alert http any any -> any any (msg:\"TEST\"; content:\"GET\"; http_method; "
                       "content:\"/cgi-bin/cart32.exe\"; http_raw_uri; sid:1; rev:1;)\n") ==
        Dialect::kSuricata);
}
