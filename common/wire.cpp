#include "common/wire.h"

#include <simdjson.h>

#include "common/time.h"

namespace vigil::wire {
namespace {

namespace od = simdjson::ondemand;
using nlohmann::json;

// JSON string literal for any bytes: never throws (nlohmann's dump throws on
// invalid UTF-8); control characters escaped.
void append_string(std::string& out, std::string_view s) {
  static const char* kHex = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
  out += '"';
}

// The size append_string() writes.
size_t string_bytes(std::string_view s) {
  size_t n = 2;
  for (char c : s) n += c == '"' || c == '\\' ? 2 : static_cast<unsigned char>(c) < 0x20 ? 6 : 1;
  return n;
}

std::string dump(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

json parse_object(std::string_view body) {
  json j = json::parse(body, nullptr, false);
  return j.is_object() ? j : json();
}

// json::value() throws when the field has another type; these do not.
uint64_t u64_or(const json& j, const char* key, uint64_t def) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_unsigned() ? it->get<uint64_t>() : def;
}

std::string str_or(const json& j, const char* key, std::string def = {}) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : def;
}

// The fields of one EVE object the store indexes, from its validated DOM.
std::optional<int64_t> dom_int(simdjson::dom::element v) {
  int64_t i;
  uint64_t u;
  if (v.is_int64() && v.get_int64().get(i) == simdjson::SUCCESS) return i;
  // flow_id is a u64: stored as its two's-complement int64.
  if (v.is_uint64() && v.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<int64_t>(u);
  return std::nullopt;
}

std::optional<std::string> dom_string(simdjson::dom::element v) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
  return std::string(s);
}

void dom_alert_fields(simdjson::dom::object a, EveFields* f) {
  for (auto [k, v] : a) {
    if (k == "signature_id")
      f->sid = dom_int(v);
    else if (k == "gid")
      f->gid = dom_int(v);
    else if (k == "rev")
      f->rev = dom_int(v);
    else if (k == "severity")
      f->severity = dom_int(v);
    else if (k == "signature")
      f->signature = dom_string(v);
    else if (k == "category")
      f->category = dom_string(v);
  }
}

void dom_eve_fields(simdjson::dom::object o, EveFields* f) {
  for (auto [k, v] : o) {
    if (k == "timestamp") {
      std::string_view ts;
      if (v.get_string().get(ts) == simdjson::SUCCESS) f->ts_us = parse_eve_time_us(ts);
    } else if (k == "event_type") {
      f->event_type = dom_string(v).value_or("");
    } else if (k == "src_ip") {
      f->src_ip = dom_string(v);
    } else if (k == "dest_ip") {
      f->dest_ip = dom_string(v);
    } else if (k == "src_port") {
      f->src_port = dom_int(v);
    } else if (k == "dest_port") {
      f->dest_port = dom_int(v);
    } else if (k == "proto") {
      f->proto = dom_string(v);
    } else if (k == "app_proto") {
      f->app_proto = dom_string(v);
    } else if (k == "flow_id") {
      f->flow_id = dom_int(v);
    } else if (k == "alert") {
      simdjson::dom::object a;
      if (v.get_object().get(a) == simdjson::SUCCESS) dom_alert_fields(a, f);
    }
  }
}

bool fail(std::string* error, std::string why) {
  *error = std::move(why);
  return false;
}

std::string at(size_t i) {
  return "events[" + std::to_string(i) + "]";
}

// One {uid, eve} element. `eve` is validated in full with a DOM parse of its
// slice of the (padded) body, which also yields the indexed fields.
bool decode_event(od::value elem, size_t i, DecodedEvent* out, std::string* error) {
  od::object ev;
  if (elem.get_object().get(ev) != simdjson::SUCCESS) return fail(error, at(i) + ": expected {uid, eve}");
  bool have_uid = false, have_eve = false;
  for (auto field : ev) {
    std::string_view k;
    od::value v;
    if (field.unescaped_key().get(k) != simdjson::SUCCESS || field.value().get(v) != simdjson::SUCCESS)
      return fail(error, at(i) + ": not valid JSON");
    if (k == "uid") {
      std::string_view uid;
      if (have_uid) return fail(error, at(i) + ".uid: given twice");
      if (v.get_string().get(uid) != simdjson::SUCCESS || !valid_uid(uid))
        return fail(error, at(i) + ".uid: must be 64 lowercase hex characters");
      out->uid = std::string(uid);
      have_uid = true;
    } else if (k == "eve") {
      if (have_eve) return fail(error, at(i) + ".eve: given twice");
      od::object o;
      std::string_view raw;
      if (v.get_object().get(o) != simdjson::SUCCESS || o.raw_json().get(raw) != simdjson::SUCCESS)
        return fail(error, at(i) + ".eve: must be a JSON object");
      while (!raw.empty() &&
             (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
        raw.remove_suffix(1);
      // The slice lies inside the padded body, so the bytes after it are
      // readable padding for simdjson: no copy needed.
      thread_local simdjson::dom::parser dom;
      simdjson::dom::element e;
      simdjson::dom::object obj;
      if (dom.parse(raw.data(), raw.size(), false).get(e) != simdjson::SUCCESS ||
          e.get_object().get(obj) != simdjson::SUCCESS)
        return fail(error, at(i) + ".eve: not valid JSON");
      dom_eve_fields(obj, &out->fields);
      out->eve = std::string(raw);
      have_eve = true;
    } else {
      return fail(error, at(i) + ": unknown field \"" + std::string(k) + "\"");
    }
  }
  if (!have_uid) return fail(error, at(i) + ": uid missing");
  if (!have_eve) return fail(error, at(i) + ": eve missing");
  return true;
}

}  // namespace

bool valid_uid(std::string_view uid) {
  if (uid.size() != kUidHexChars) return false;
  for (char c : uid) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

size_t batch_envelope_bytes(std::string_view agent_id, uint64_t batch_seq) {
  // {"agent_id":"ID","batch_seq":N,"events":[]}
  return 38 + string_bytes(agent_id) + std::to_string(batch_seq).size();
}

size_t batch_event_bytes(std::string_view uid, std::string_view eve) {
  // {"uid":"UID","eve":EVE}, plus the separating comma
  return 16 + string_bytes(uid) + eve.size();
}

std::string encode_batch(std::string_view agent_id, uint64_t batch_seq, std::span<const EventRef> events) {
  std::string body;
  size_t n = batch_envelope_bytes(agent_id, batch_seq);
  for (const auto& e : events) n += batch_event_bytes(e.uid, e.eve);
  body.reserve(n);
  body += R"({"agent_id":)";
  append_string(body, agent_id);
  body += R"(,"batch_seq":)";
  body += std::to_string(batch_seq);
  body += R"(,"events":[)";
  for (size_t i = 0; i < events.size(); ++i) {
    if (i) body += ',';
    body += R"({"uid":)";
    append_string(body, events[i].uid);
    body += R"(,"eve":)";
    body += events[i].eve;
    body += '}';
  }
  body += "]}";
  return body;
}

EveFields eve_fields_from_json(const json& j) {
  EveFields f;
  if (!j.is_object()) return f;
  auto str = [](const json& o, const char* k) -> std::optional<std::string> {
    auto it = o.find(k);
    if (it == o.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
  };
  auto num = [](const json& o, const char* k) -> std::optional<int64_t> {
    auto it = o.find(k);
    if (it == o.end()) return std::nullopt;
    if (it->is_number_unsigned()) return static_cast<int64_t>(it->get<uint64_t>());
    if (it->is_number_integer()) return it->get<int64_t>();
    return std::nullopt;
  };
  static const json kEmpty = json::object();
  auto ait = j.find("alert");
  const json& a = (ait != j.end() && ait->is_object()) ? *ait : kEmpty;
  f.event_type = str(j, "event_type").value_or("");
  if (auto ts = str(j, "timestamp")) f.ts_us = parse_eve_time_us(*ts);
  f.sid = num(a, "signature_id");
  f.gid = num(a, "gid");
  f.rev = num(a, "rev");
  f.severity = num(a, "severity");
  f.signature = str(a, "signature");
  f.category = str(a, "category");
  f.src_ip = str(j, "src_ip");
  f.dest_ip = str(j, "dest_ip");
  f.src_port = num(j, "src_port");
  f.dest_port = num(j, "dest_port");
  f.proto = str(j, "proto");
  f.app_proto = str(j, "app_proto");
  f.flow_id = num(j, "flow_id");
  return f;
}

bool decode_batch(std::string_view body, Batch* out, std::string* error, size_t max_events) {
  *out = {};
  thread_local od::parser parser;
  simdjson::padded_string padded(body);
  od::document doc;
  od::object root;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS || doc.get_object().get(root) != simdjson::SUCCESS)
    return fail(error, "body: expected a JSON object {agent_id, batch_seq, events[]}");
  bool have_id = false, have_seq = false, have_events = false;
  for (auto field : root) {
    std::string_view k;
    od::value v;
    if (field.unescaped_key().get(k) != simdjson::SUCCESS || field.value().get(v) != simdjson::SUCCESS)
      return fail(error, "body: not valid JSON");
    if (k == "agent_id") {
      std::string_view id;
      if (have_id) return fail(error, "agent_id: given twice");
      if (v.get_string().get(id) != simdjson::SUCCESS || id.empty() || id.size() > kMaxAgentIdBytes)
        return fail(error, "agent_id: must be a string of 1.." + std::to_string(kMaxAgentIdBytes) + " bytes");
      out->agent_id = std::string(id);
      have_id = true;
    } else if (k == "batch_seq") {
      od::number_type nt;
      uint64_t seq = 0;
      if (have_seq) return fail(error, "batch_seq: given twice");
      if (v.get_number_type().get(nt) != simdjson::SUCCESS || nt == od::number_type::floating_point_number ||
          v.get_uint64().get(seq) != simdjson::SUCCESS || seq == 0 || seq > kMaxBatchSeq)
        return fail(error, "batch_seq: must be an integer 1..2^63-1");
      out->batch_seq = seq;
      have_seq = true;
    } else if (k == "events") {
      od::array arr;
      if (have_events) return fail(error, "events: given twice");
      if (v.get_array().get(arr) != simdjson::SUCCESS) return fail(error, "events: must be an array");
      size_t i = 0;
      for (auto elem : arr) {
        od::value ev;
        if (elem.get(ev) != simdjson::SUCCESS) return fail(error, at(i) + ": not valid JSON");
        if (i >= max_events) return fail(error, "events: more than " + std::to_string(max_events));
        DecodedEvent d;
        if (!decode_event(ev, i, &d, error)) return false;
        out->events.push_back(std::move(d));
        ++i;
      }
      have_events = true;
    } else {
      return fail(error, "body: unknown field \"" + std::string(k) + "\"");
    }
  }
  const char* rest = nullptr;
  if (doc.current_location().get(rest) != simdjson::OUT_OF_BOUNDS)
    return fail(error, "body: trailing content after the object");
  if (!have_id) return fail(error, "agent_id: missing");
  if (!have_seq) return fail(error, "batch_seq: missing");
  if (!have_events) return fail(error, "events: missing");
  return true;
}

std::string encode_ingest_ack(const IngestAck& a) {
  return dump(json{{"acked_seq", a.acked_seq},
                   {"stored", a.stored},
                   {"duplicates", a.duplicates},
                   {"duplicate_batch", a.duplicate_batch}});
}

bool decode_ingest_ack(std::string_view body, IngestAck* out) {
  json j = parse_object(body);
  if (!j.is_object() || !j.contains("acked_seq") || !j["acked_seq"].is_number_unsigned()) return false;
  out->acked_seq = j["acked_seq"].get<uint64_t>();
  out->stored = u64_or(j, "stored", 0);
  out->duplicates = u64_or(j, "duplicates", 0);
  auto dup = j.find("duplicate_batch");
  out->duplicate_batch = dup != j.end() && dup->is_boolean() && dup->get<bool>();
  return true;
}

std::string encode_conflict(const Conflict& c) {
  return dump(json{{"error", kBatchSeqReused}, {"detail", c.detail}, {"highest_seq", c.highest_seq}});
}

bool decode_conflict(std::string_view body, Conflict* out) {
  json j = parse_object(body);
  if (!j.is_object() || str_or(j, "error") != kBatchSeqReused || !j.contains("highest_seq") ||
      !j["highest_seq"].is_number_unsigned())
    return false;
  out->highest_seq = j["highest_seq"].get<uint64_t>();
  out->detail = str_or(j, "detail");
  return true;
}

std::string encode_error(std::string_view error, std::string_view detail) {
  std::string out = R"({"error":)";
  append_string(out, error);
  out += R"(,"detail":)";
  append_string(out, detail);
  out += '}';
  return out;
}

ErrorAnswer decode_error(std::string_view body) {
  ErrorAnswer a;
  json j = parse_object(body);
  if (j.is_object()) {
    a.error = str_or(j, "error");
    a.detail = str_or(j, "detail");
  } else {
    a.error = std::string(body.substr(0, 200));
  }
  return a;
}

std::string encode_heartbeat(const json& fields) {
  return dump(fields.is_object() ? fields : json::object());
}

bool decode_heartbeat(std::string_view body, Heartbeat* out, std::string* error) {
  if (body.size() > kMaxHeartbeatBytes)
    return fail(error, "heartbeat: larger than " + std::to_string(kMaxHeartbeatBytes) + " bytes");
  json j = parse_object(body);
  if (!j.is_object()) return fail(error, "heartbeat: expected a JSON object");
  auto text = [&](const char* key, size_t cap, std::optional<std::string>* dst) {
    auto it = j.find(key);
    if (it == j.end()) return true;
    if (!it->is_string() || it->get_ref<const std::string&>().size() > cap)
      return fail(error,
                  std::string(key) + ": must be a string of at most " + std::to_string(cap) + " bytes");
    *dst = it->get<std::string>();
    return true;
  };
  if (!text("hostname", kMaxHostnameBytes, &out->hostname) ||
      !text("agent_version", kMaxVersionBytes, &out->agent_version) ||
      !text("ruleset_version", kMaxVersionBytes, &out->ruleset_version))
    return false;
  out->fields = std::move(j);
  return true;
}

std::string encode_heartbeat_reply(const HeartbeatReply& r) {
  return dump(json{{"ruleset_version", r.ruleset_version},
                   {"heartbeat_interval_s", r.heartbeat_interval_s},
                   {"highest_seq", r.highest_seq}});
}

bool decode_heartbeat_reply(std::string_view body, HeartbeatReply* out) {
  json j = parse_object(body);
  if (!j.is_object()) return false;
  out->ruleset_version = str_or(j, "ruleset_version");
  auto iv = j.find("heartbeat_interval_s");
  if (iv != j.end() && iv->is_number_integer()) out->heartbeat_interval_s = iv->get<int>();
  out->highest_seq = u64_or(j, "highest_seq", 0);
  return true;
}

std::string encode_enroll_request(const EnrollRequest& r) {
  return dump(json{{"token", r.token}, {"hostname", r.hostname}});
}

bool decode_enroll_request(std::string_view body, EnrollRequest* out, std::string* error) {
  json j = parse_object(body);
  if (!j.is_object()) return fail(error, "expected {token, hostname}");
  auto tok = j.find("token");
  if (tok == j.end() || !tok->is_string() || tok->get_ref<const std::string&>().empty() ||
      tok->get_ref<const std::string&>().size() > kMaxTokenBytes)
    return fail(error, "token: must be a string of 1.." + std::to_string(kMaxTokenBytes) + " bytes");
  out->token = tok->get<std::string>();
  out->hostname.clear();
  auto host = j.find("hostname");
  if (host != j.end()) {
    if (!host->is_string() || host->get_ref<const std::string&>().size() > kMaxHostnameBytes)
      return fail(error,
                  "hostname: must be a string of at most " + std::to_string(kMaxHostnameBytes) + " bytes");
    out->hostname = host->get<std::string>();
  }
  return true;
}

std::string encode_enroll_answer(const EnrollAnswer& a) {
  return dump(
      json{{"agent_id", a.agent_id}, {"key", a.key}, {"heartbeat_interval_s", a.heartbeat_interval_s}});
}

bool decode_enroll_answer(std::string_view body, EnrollAnswer* out) {
  json j = parse_object(body);
  out->agent_id = str_or(j, "agent_id");
  out->key = str_or(j, "key");
  if (out->agent_id.empty() || out->key.empty()) return false;
  auto iv = j.find("heartbeat_interval_s");
  if (iv != j.end() && iv->is_number_integer()) out->heartbeat_interval_s = iv->get<int>();
  return true;
}

}  // namespace vigil::wire
