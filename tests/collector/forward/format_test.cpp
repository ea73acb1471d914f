#include "collector/forward/format.h"

#include <catch2/catch.hpp>

using namespace vigil::collector::forward;
using nlohmann::json;

namespace {
json sample() {
  return json::parse(R"({"timestamp":"2026-01-01T10:00:00.123456+0200","event_type":"alert",
    "src_ip":"10.0.0.1","src_port":1234,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP",
    "alert":{"action":"allowed","gid":1,"signature_id":2001,"rev":3,"severity":1,
             "signature":"ET|odd\\sig\nline","category":"a=b\\c"},
    "agent_id":"ag-1","agent_hostname":"sensor 1"})");
}
}  // namespace

TEST_CASE("forward format: rfc5424: PRI from facility and severity, UTC time, host made printable") {
  json a = sample();
  std::string m = rfc5424(a, 16, "MSG", 0);
  // local0 (16) * 8 + crit (2) for Suricata severity 1
  CHECK(m == "<130>1 2026-01-01T08:00:00.123456Z sensor_1 vigil - alert - MSG");
  a["alert"]["severity"] = 3;
  CHECK(rfc5424(a, 4, "x", 0).rfind("<36>1 ", 0) == 0);  // 4*8 + warning(4)
  a["alert"]["severity"] = 4;
  a.erase("timestamp");
  a["agent_hostname"] = "";
  CHECK(rfc5424(a, 0, "x", 1'000'000) == "<5>1 1970-01-01T00:00:01.000000Z - vigil - alert - x");
}

TEST_CASE("forward format: octet counting frames by the byte length") {
  CHECK(octet_counted("abc") == "3 abc");
  CHECK(octet_counted("\xc3\xa9") == "2 \xc3\xa9");
}

TEST_CASE("forward format: CEF escaping: header and extension rules differ") {
  CHECK(cef_escape_header("a|b\\c=d\ne") == "a\\|b\\\\c=d e");
  CHECK(cef_escape_extension("a|b\\c=d\ne\rf") == "a|b\\\\c\\=d\\ne\\rf");
}

TEST_CASE("forward format: CEF line: header fields and extensions") {
  std::string c = cef(sample());
  CHECK(c.rfind("CEF:0|Vigil|vigil-collector|" + std::string(kCollectorVersion) +
                    "|2001|ET\\|odd\\\\sig line|10|",
                0) == 0);
  std::string ext = c.substr(c.rfind('|') + 1);
  CHECK(ext.find("src=10.0.0.1 spt=1234 dst=10.0.0.2 dpt=80 proto=TCP rt=1767254400123") == 0);
  CHECK(ext.find("cs1Label=category cs1=a\\=b\\\\c") != std::string::npos);
  CHECK(ext.find("cs2=1:2001:3") != std::string::npos);
  CHECK(ext.find("cs3Label=agent cs3=ag-1 dvchost=sensor 1") != std::string::npos);
  CHECK(cef_severity(2) == 7);
  CHECK(syslog_severity(2) == 3);
}
