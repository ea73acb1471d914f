// The agent-collector contract: what one side encodes the other decodes to
// the same values, and every way a batch can break the contract is refused
// with a reason that names the field or the event.
#include "common/wire.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

using namespace vigil;
using namespace vigil::wire;
using nlohmann::json;

namespace {

std::string uid(int i) {
  std::string u = std::to_string(i);
  return std::string(64 - u.size(), 'a') + u;
}

const char* kEve =
    R"({"timestamp":"2026-01-01T00:00:01.000002+0000","flow_id":18446744073709551000,"event_type":"alert",)"
    R"("src_ip":"10.0.0.1","src_port":1024,"dest_ip":"10.0.0.2","dest_port":80,"proto":"TCP",)"
    R"("app_proto":"http","alert":{"signature_id":2001,"gid":1,"rev":3,"signature":"t \"q\"",)"
    R"("category":"c","severity":2},"http":{"url":"/\u00e9"}})";

// A batch body with one event whose `eve` text is given verbatim.
std::string with_eve(const std::string& eve) {
  return R"({"agent_id":"ag-1","batch_seq":1,"events":[{"uid":")" + uid(1) + R"(","eve":)" + eve + "}]}";
}

std::string refusal(const std::string& body) {
  Batch b;
  std::string why;
  if (decode_batch(body, &b, &why)) return "accepted";
  return why;
}

}  // namespace

TEST_CASE("a batch round-trips: the eve text as sent, the indexed fields read in the same pass") {
  std::vector<std::string> uids = {uid(1), uid(2)};
  std::string other = R"({"event_type":"flow","timestamp":"2026-01-01T00:00:00+0000"})";
  std::vector<EventRef> evs = {{uids[0], kEve}, {uids[1], other}};
  std::string body = encode_batch("ag-\"x", 42, evs);
  size_t predicted = batch_envelope_bytes("ag-\"x", 42);
  for (const auto& e : evs) predicted += batch_event_bytes(e.uid, e.eve);
  CHECK(body.size() + 1 == predicted);  // no comma after the last event

  Batch b;
  std::string why;
  REQUIRE(decode_batch(body, &b, &why));
  CHECK(b.agent_id == "ag-\"x");
  CHECK(b.batch_seq == 42);
  REQUIRE(b.events.size() == 2);
  CHECK(b.events[0].uid == uids[0]);
  CHECK(b.events[0].eve == kEve);
  CHECK(b.events[1].eve == other);
  const EveFields& f = b.events[0].fields;
  CHECK(f.event_type == "alert");
  CHECK(f.ts_us == 1767225601000002);
  CHECK(f.sid == 2001);
  CHECK(f.gid == 1);
  CHECK(f.rev == 3);
  CHECK(f.severity == 2);
  CHECK(f.signature == "t \"q\"");
  CHECK(f.category == "c");
  CHECK(f.src_ip == "10.0.0.1");
  CHECK(f.dest_ip == "10.0.0.2");
  CHECK(f.src_port == 1024);
  CHECK(f.dest_port == 80);
  CHECK(f.proto == "TCP");
  CHECK(f.app_proto == "http");
  CHECK(f.flow_id == static_cast<int64_t>(18446744073709551000ull));
  // The DOM reader (CLI, tests) gives the same fields.
  EveFields g = eve_fields_from_json(json::parse(kEve));
  CHECK(g.sid == f.sid);
  CHECK(g.flow_id == f.flow_id);
  CHECK(g.ts_us == f.ts_us);
  CHECK(g.signature == f.signature);
  CHECK(b.events[1].fields.event_type == "flow");
  CHECK_FALSE(b.events[1].fields.sid);

  // An empty batch is a valid batch.
  REQUIRE(decode_batch(encode_batch("ag-1", 1, {}), &b, &why));
  CHECK(b.events.empty());
}

TEST_CASE("every way a batch breaks the contract is refused, naming the field or event") {
  CHECK(refusal(with_eve(kEve)) == "accepted");
  // The finding of issue 9: a value simdjson's on-demand pass would skip.
  CHECK(refusal(with_eve(R"({"event_type":"alert","junk":tru})")) == "events[0].eve: not valid JSON");
  CHECK(refusal(with_eve(R"({"a":[1,2,}]})")) == "events[0].eve: not valid JSON");
  CHECK(refusal(with_eve(R"({"a":"\x"})")) == "events[0].eve: not valid JSON");
  CHECK(refusal(with_eve("{\"a\":\"\xff\"}")) != "accepted");  // not UTF-8
  CHECK(refusal(with_eve("[1]")) == "events[0].eve: must be a JSON object");
  CHECK(refusal(with_eve(R"("x")")) == "events[0].eve: must be a JSON object");

  // The index of the bad event, not just "bad".
  std::vector<std::string> u = {uid(1), uid(2), uid(3)};
  std::vector<EventRef> evs = {{u[0], kEve}, {u[1], kEve}, {u[2], R"({"x":nul})"}};
  CHECK(refusal(encode_batch("ag-1", 1, evs)) == "events[2].eve: not valid JSON");

  auto ev = [](const std::string& uid_json) {
    return R"({"agent_id":"ag-1","batch_seq":1,"events":[{"uid":)" + uid_json + R"(,"eve":{}}]})";
  };
  CHECK(refusal(ev("\"" + uid(1) + "\"")) == "accepted");
  CHECK(refusal(ev("\"" + std::string(63, 'a') + "\"")) ==
        "events[0].uid: must be 64 lowercase hex characters");
  CHECK(refusal(ev("\"" + std::string(65, 'a') + "\"")) ==
        "events[0].uid: must be 64 lowercase hex characters");
  CHECK(refusal(ev("\"" + std::string(64, 'A') + "\"")) ==
        "events[0].uid: must be 64 lowercase hex characters");
  CHECK(refusal(ev("\"" + std::string(63, 'a') + "g\"")) ==
        "events[0].uid: must be 64 lowercase hex characters");
  CHECK(refusal(ev("\"" + std::string(1 << 20, 'a') + "\"")) ==
        "events[0].uid: must be 64 lowercase hex characters");
  CHECK(refusal(ev("7")) == "events[0].uid: must be 64 lowercase hex characters");
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1,"events":[{"eve":{}}]})") == "events[0]: uid missing");
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1,"events":[{"uid":")" + uid(1) + R"("}]})") ==
        "events[0]: eve missing");
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1,"events":[{"uid":")" + uid(1) +
                R"(","eve":{},"x":1}]})") == "events[0]: unknown field \"x\"");
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1,"events":[7]})") == "events[0]: expected {uid, eve}");

  auto seq = [](const std::string& s) {
    return R"({"agent_id":"ag-1","batch_seq":)" + s + R"(,"events":[]})";
  };
  CHECK(refusal(seq("1")) == "accepted");
  CHECK(refusal(seq("9223372036854775807")) == "accepted");
  for (const char* bad : {"0", "-1", "1.5", "1e3", "\"1\"", "9223372036854775808", "18446744073709551615",
                          "99999999999999999999", "null", "true"}) {
    INFO(bad);
    CHECK(refusal(seq(bad)) == "batch_seq: must be an integer 1..2^63-1");
  }
  CHECK(refusal(R"({"agent_id":"ag-1","events":[]})") == "batch_seq: missing");
  CHECK(refusal(R"({"batch_seq":1,"events":[]})") == "agent_id: missing");
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1})") == "events: missing");
  CHECK(refusal(R"({"agent_id":7,"batch_seq":1,"events":[]})").rfind("agent_id: must be a string", 0) == 0);
  CHECK(refusal(R"({"agent_id":"","batch_seq":1,"events":[]})").rfind("agent_id: must be a string", 0) == 0);
  CHECK(refusal(R"({"agent_id":")" + std::string(129, 'a') + R"(","batch_seq":1,"events":[]})")
            .rfind("agent_id: must be a string", 0) == 0);
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1,"events":{}})") == "events: must be an array");
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1,"batch_seq":2,"events":[]})") ==
        "batch_seq: given twice");
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1,"events":[],"more":1})") ==
        "body: unknown field \"more\"");
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1,"events":[]} x)").rfind("body:", 0) == 0);
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1,"events":[]} {})").rfind("body:", 0) == 0);
  CHECK(refusal(R"({"agent_id":"ag-1","batch_seq":1,"events":[]}   )") == "accepted");
  CHECK(refusal("{not json").rfind("body:", 0) == 0);
  CHECK(refusal("[]").rfind("body: expected a JSON object", 0) == 0);
  CHECK(refusal("").rfind("body:", 0) == 0);

  // At most max_events events.
  std::vector<std::string> many;
  for (int i = 0; i < 4; ++i) many.push_back(uid(i));
  std::vector<EventRef> four;
  for (const auto& m : many) four.push_back({m, "{}"});
  Batch b;
  std::string why;
  CHECK(decode_batch(encode_batch("ag-1", 1, four), &b, &why, 4));
  CHECK_FALSE(decode_batch(encode_batch("ag-1", 1, four), &b, &why, 3));
  CHECK(why == "events: more than 3");
}

TEST_CASE("uids are exactly 64 lowercase hex characters") {
  CHECK(valid_uid(std::string(64, '0')));
  CHECK(valid_uid(std::string(32, 'f') + std::string(32, '9')));
  CHECK_FALSE(valid_uid(""));
  CHECK_FALSE(valid_uid(std::string(64, 'F')));
  CHECK_FALSE(valid_uid(std::string(63, 'a') + " "));
}

TEST_CASE("answers round-trip: ack, 409 conflict, {error, detail}") {
  IngestAck a{7, 5, 2, true}, a2;
  REQUIRE(decode_ingest_ack(encode_ingest_ack(a), &a2));
  CHECK(a2.acked_seq == 7);
  CHECK(a2.stored == 5);
  CHECK(a2.duplicates == 2);
  CHECK(a2.duplicate_batch);
  CHECK_FALSE(decode_ingest_ack(R"({"stored":1})", &a2));
  CHECK_FALSE(decode_ingest_ack("not json", &a2));
  // Fields of the wrong type are ignored, never thrown on.
  REQUIRE(decode_ingest_ack(R"({"acked_seq":3,"stored":"x","duplicate_batch":1})", &a2));
  CHECK(a2.stored == 0);
  CHECK_FALSE(a2.duplicate_batch);

  Conflict c{"batch 3 reused", 41}, c2;
  std::string body = encode_conflict(c);
  CHECK(json::parse(body)["error"] == "batch_seq reused");
  REQUIRE(decode_conflict(body, &c2));
  CHECK(c2.highest_seq == 41);
  CHECK(c2.detail == "batch 3 reused");
  CHECK_FALSE(decode_conflict(encode_error("bad batch", "x"), &c2));
  CHECK_FALSE(decode_conflict(R"({"error":"batch_seq reused","highest_seq":"4"})", &c2));

  ErrorAnswer e = decode_error(encode_error("bad batch", "events[3].eve: not valid \"JSON\"\n"));
  CHECK(e.error == "bad batch");
  CHECK(e.detail == "events[3].eve: not valid \"JSON\"\n");
  CHECK(decode_error("<html>").error == "<html>");
  CHECK(decode_error(R"({"error":5})").error.empty());
}

TEST_CASE("heartbeat and its reply round-trip - oversized or mistyped heartbeats are refused") {
  json fields = {
      {"hostname", "h1"}, {"agent_version", "0.1.0"}, {"ruleset_version", "3-abc"}, {"packets", 42}};
  Heartbeat hb;
  std::string why;
  REQUIRE(decode_heartbeat(encode_heartbeat(fields), &hb, &why));
  CHECK(hb.fields == fields);
  CHECK(hb.hostname == "h1");
  CHECK(hb.agent_version == "0.1.0");
  CHECK(hb.ruleset_version == "3-abc");
  REQUIRE(decode_heartbeat("{}", &hb, &why));
  CHECK(encode_heartbeat(json::array()) == "{}");

  Heartbeat h2;
  CHECK_FALSE(decode_heartbeat(R"({"hostname":7})", &h2, &why));
  CHECK(why.rfind("hostname: must be a string", 0) == 0);
  CHECK_FALSE(decode_heartbeat(json{{"hostname", std::string(256, 'h')}}.dump(), &h2, &why));
  CHECK(why.rfind("hostname:", 0) == 0);
  CHECK_FALSE(decode_heartbeat(json{{"ruleset_version", std::string(129, 'v')}}.dump(), &h2, &why));
  CHECK_FALSE(decode_heartbeat(json{{"pad", std::string(64 * 1024, 'x')}}.dump(), &h2, &why));
  CHECK(why == "heartbeat: larger than 65536 bytes");
  CHECK_FALSE(decode_heartbeat("[1]", &h2, &why));
  CHECK_FALSE(decode_heartbeat("{", &h2, &why));

  HeartbeatReply r{"4-def", 7, 99}, r2;
  REQUIRE(decode_heartbeat_reply(encode_heartbeat_reply(r), &r2));
  CHECK(r2.ruleset_version == "4-def");
  CHECK(r2.heartbeat_interval_s == 7);
  CHECK(r2.highest_seq == 99);
  HeartbeatReply old;  // a collector from before highest_seq
  REQUIRE(decode_heartbeat_reply(R"({"ruleset_version":"","heartbeat_interval_s":5})", &old));
  CHECK(old.highest_seq == 0);
  CHECK_FALSE(decode_heartbeat_reply("nope", &old));
}

TEST_CASE("enrolment request and answer round-trip - a bad request is refused before the token is used") {
  EnrollRequest q{"vt_abc", "host-1"}, q2;
  std::string why;
  REQUIRE(decode_enroll_request(encode_enroll_request(q), &q2, &why));
  CHECK(q2.token == "vt_abc");
  CHECK(q2.hostname == "host-1");
  REQUIRE(decode_enroll_request(R"({"token":"t"})", &q2, &why));
  CHECK(q2.hostname.empty());
  CHECK_FALSE(decode_enroll_request(R"({"token":"t","hostname":5})", &q2, &why));
  CHECK(why.rfind("hostname:", 0) == 0);
  CHECK_FALSE(
      decode_enroll_request(json{{"token", "t"}, {"hostname", std::string(256, 'h')}}.dump(), &q2, &why));
  CHECK_FALSE(decode_enroll_request(R"({"token":7})", &q2, &why));
  CHECK(why.rfind("token:", 0) == 0);
  CHECK_FALSE(decode_enroll_request(R"({"hostname":"h"})", &q2, &why));
  CHECK_FALSE(decode_enroll_request("[]", &q2, &why));

  EnrollAnswer a{"ag-1", "k", 9}, a2;
  REQUIRE(decode_enroll_answer(encode_enroll_answer(a), &a2));
  CHECK(a2.agent_id == "ag-1");
  CHECK(a2.key == "k");
  CHECK(a2.heartbeat_interval_s == 9);
  CHECK_FALSE(decode_enroll_answer(R"({"agent_id":"ag-1"})", &a2));
  CHECK_FALSE(decode_enroll_answer(R"({"agent_id":1,"key":"k"})", &a2));
}
