// stream_size reads the flow through common's FlowView (no agent types): the
// TCP stream positions the detection adapter copies from the session.
#include <catch2/catch.hpp>

#include "common/flow_view.h"
#include "rule_test_util.h"

using namespace vigil;
using namespace vigil::rules;
using vigil::rules::test::parse;

namespace {

bool matches(const std::string& opt, const FlowView& f) {
  auto r = parse("alert tcp any any -> any any (" + opt + " sid:1;)");
  REQUIRE(r);
  REQUIRE(r->pkt_opts.size() == 1);
  Packet p;
  p.ip_version = 4;
  p.l4 = L4::kTcp;
  PktCtx c{&p, &f, nullptr, true, false};
  return r->pkt_opts[0]->match(c);
}

}  // namespace

TEST_CASE("stream_size counts from the flow view as Suricata does") {
  FlowView f;
  f.proto = 6;
  f.tcp_view.tracked = true;
  f.tcp_view.initialized[0] = true;
  f.tcp_view.next_offset[0] = 99;                  // client sent 99 bytes after its SYN
  CHECK(matches("stream_size:client,=,100;", f));  // the SYN counts one
  CHECK(matches("stream_size:server,=,0;", f));    // no initial sequence seen yet
  CHECK(matches("stream_size:either,>,99;", f));
  CHECK_FALSE(matches("stream_size:both,>,99;", f));
  f.tcp_view.midstream = true;  // picked up without a SYN: nothing extra
  CHECK(matches("stream_size:client,=,99;", f));
  f.tcp_view.tracked = false;  // a flow without a TCP session never matches
  CHECK_FALSE(matches("stream_size:client,>=,0;", f));
}
