#include "agent/output/eve.h"

#include <catch2/catch.hpp>

using namespace vigil;

TEST_CASE("counters nest by dots, and a name that is also a section keeps its value under total") {
  CounterSnapshot c{
      {"decoder.pkts", 10}, {"decoder.ipv4", 7}, {"decoder.ipv4.fragments", 2}, {"flow.tcp", 3}};
  Json j = nest_counters(c);
  CHECK(j["decoder"]["pkts"] == 10);
  CHECK(j["decoder"]["ipv4"]["total"] == 7);
  CHECK(j["decoder"]["ipv4"]["fragments"] == 2);
  CHECK(j["flow"]["tcp"] == 3);
}

TEST_CASE("protocol names follow Suricata's EVE spelling") {
  CHECK(proto_name(6) == "TCP");
  CHECK(proto_name(17) == "UDP");
  CHECK(proto_name(1) == "ICMP");
  CHECK(proto_name(58) == "IPv6-ICMP");
  CHECK(proto_name(99) == "99");
}

TEST_CASE("alerts carry Suricata's alert object and the payload") {
  Packet p;
  p.ts = {1715693400, 5};
  p.pcap_cnt = 4;
  p.ip_version = 4;
  p.ip_proto = 6;
  p.l4 = L4::kTcp;
  p.src = *IpAddr::parse("10.0.0.1");
  p.dst = *IpAddr::parse("10.0.0.2");
  p.sp = 1234;
  p.dp = 80;
  static const uint8_t payload[] = {'G', 'E', 'T', 0x01};
  p.payload = Bytes(payload, 4);
  AlertEvent a;
  a.sid = 42;
  a.rev = 3;
  a.msg = "test <b>rule</b>";
  a.category = "Web Application Attack";
  a.severity = 1;
  a.packet = &p;
  RuleMetadata md;  // a key that comes back gathers its values, as Suricata writes them
  md.add("tag", "a");
  md.add("created_at", "2024_05_14");
  md.add("tag", "c");
  md.add("flag", "");
  a.metadata = &md;
  EveOptions opt;
  Json j = eve_alert(a, opt);
  CHECK(j["alert"]["metadata"].dump() == R"({"tag":["a","c"],"created_at":["2024_05_14"],"flag":[""]})");
  CHECK(j["timestamp"] == "2024-05-14T13:30:00.000005+0000");
  CHECK(j["event_type"] == "alert");
  CHECK(j["src_ip"] == "10.0.0.1");
  CHECK(j["dest_port"] == 80);
  CHECK(j["proto"] == "TCP");
  CHECK(j["alert"]["signature_id"] == 42);
  CHECK(j["alert"]["rev"] == 3);
  CHECK(j["alert"]["action"] == "allowed");
  CHECK(j["alert"]["signature"] == "test <b>rule</b>");
  CHECK(j["alert"]["severity"] == 1);
  CHECK(j["payload"] == "R0VUAQ==");
  CHECK(j["payload_printable"] == "GET.");
}
