// The event type table: names round-trip, transaction logs follow the app
// protocol names EVE uses, and the router and masks honour exactly the
// configured names.
#include "agent/output/event_types.h"

#include <catch2/catch.hpp>
#include <string>

#include "agent/output/eve.h"

using namespace vigil;

TEST_CASE("every event type's name maps back to it - transaction logs are named like their protocol") {
  for (const EventTypeInfo& r : kEventTypes) {
    CHECK(event_type_from_name(r.name) == r.type);
    CHECK(event_type_name(r.type) == r.name);
    if (r.logger == EventLogger::kTransaction) {
      // Suricata names the ftp-data log "ftp_data" (an EVE key cannot hold '-').
      std::string proto(app_proto_name(r.tx_proto));
      if (r.tx_proto == AppProto::kFtpData) proto = "ftp_data";
      CHECK(proto == r.name);
      CHECK(tx_event_type(r.tx_proto) == r.type);
    }
  }
  CHECK(tx_event_type(AppProto::kHttp) == EventType::kHttp);
  CHECK(tx_event_type(AppProto::kSsh) == EventType::kSsh);
  CHECK(tx_event_type(AppProto::kSmb) == EventType::kSmb);
  CHECK(tx_event_type(AppProto::kFtpData) == EventType::kFtpData);
  CHECK_FALSE(event_type_from_name("anomaly"));
  CHECK(event_type_names() == "alert, flow, stats, http, dns, tls, ssh, smtp, ftp, fileinfo, ftp_data, smb");
}

TEST_CASE("an event mask holds the named types and reports unknown names") {
  std::vector<std::string> unknown;
  EventMask m = EventMask::from_names({"alert", "dns", "bogus"}, &unknown);
  CHECK(m.has(EventType::kAlert));
  CHECK(m.has(EventType::kDns));
  CHECK_FALSE(m.has(EventType::kFlow));
  CHECK_FALSE(m.has(EventType::kHttp));
  CHECK(unknown == std::vector<std::string>{"bogus"});
  CHECK(EventMask::from_names({}).empty());
}

namespace {
struct Capture : EventOutput {
  std::vector<std::string> types;
  void write(std::string_view type, const std::string&) override { types.emplace_back(type); }
};
}  // namespace

TEST_CASE("the router sends each type only to the outputs that take it") {
  EveOptions opt;
  opt.types = {"alert", "flow", "http"};
  EventRouter r(opt);
  Capture file, uplink;
  r.add_output(&file);               // the file's types
  r.add_output(&uplink, {"alert"});  // its own
  CHECK(r.wants(EventType::kAlert));
  CHECK(r.wants(EventType::kHttp));
  CHECK_FALSE(r.wants(EventType::kStats));
  CHECK_FALSE(r.wants(EventType::kDns));
  Json ev = {{"x", 1}};
  for (const EventTypeInfo& t : kEventTypes) r.emit(t.type, ev);
  CHECK(file.types == std::vector<std::string>{"alert", "flow", "http"});
  CHECK(uplink.types == std::vector<std::string>{"alert"});
}
