#include "collector/ingest_parse.h"

#include <simdjson.h>

namespace vigil::collector {
namespace {

namespace od = simdjson::ondemand;

// Integers only (EVE's numbers are): a float or a string leaves the column NULL.
std::optional<int64_t> get_int(od::value& v) {
  od::number_type nt;
  if (v.get_number_type().get(nt) != simdjson::SUCCESS) return std::nullopt;
  if (nt == od::number_type::signed_integer) {
    int64_t i;
    if (v.get_int64().get(i) == simdjson::SUCCESS) return i;
  } else if (nt == od::number_type::unsigned_integer) {
    uint64_t u;
    // flow_id is a u64: stored as its two's-complement int64, as before.
    if (v.get_uint64().get(u) == simdjson::SUCCESS) return static_cast<int64_t>(u);
  }
  return std::nullopt;
}

std::optional<std::string> get_string(od::value& v) {
  std::string_view s;
  if (v.get_string().get(s) != simdjson::SUCCESS) return std::nullopt;
  return std::string(s);
}

bool is_type(od::value& v, od::json_type t) {
  od::json_type got;
  return v.type().get(got) == simdjson::SUCCESS && got == t;
}

void alert_fields(od::object a, EveFields* f) {
  for (auto field : a) {
    std::string_view k;
    if (field.unescaped_key().get(k) != simdjson::SUCCESS) return;
    od::value v;
    if (field.value().get(v) != simdjson::SUCCESS) break;
    if (k == "signature_id")
      f->sid = get_int(v);
    else if (k == "gid")
      f->gid = get_int(v);
    else if (k == "rev")
      f->rev = get_int(v);
    else if (k == "severity")
      f->severity = get_int(v);
    else if (k == "signature")
      f->signature = get_string(v);
    else if (k == "category")
      f->category = get_string(v);
  }
}

// The indexed fields of one EVE object, in one pass over its keys.
bool eve_fields(od::object o, EveFields* f) {
  for (auto field : o) {
    std::string_view k;
    if (field.unescaped_key().get(k) != simdjson::SUCCESS) return false;
    od::value v;
    if (field.value().get(v) != simdjson::SUCCESS) break;
    if (k == "timestamp") {
      std::string_view ts;
      if (v.get_string().get(ts) == simdjson::SUCCESS) f->ts_us = parse_eve_time_us(ts);
    } else if (k == "event_type") {
      f->event_type = get_string(v).value_or("");
    } else if (k == "src_ip") {
      f->src_ip = get_string(v);
    } else if (k == "dest_ip") {
      f->dest_ip = get_string(v);
    } else if (k == "src_port") {
      f->src_port = get_int(v);
    } else if (k == "dest_port") {
      f->dest_port = get_int(v);
    } else if (k == "proto") {
      f->proto = get_string(v);
    } else if (k == "app_proto") {
      f->app_proto = get_string(v);
    } else if (k == "flow_id") {
      f->flow_id = get_int(v);
    } else if (k == "alert") {
      od::object a;
      if (v.get_object().get(a) == simdjson::SUCCESS) alert_fields(a, f);
    }
  }
  return true;
}

bool parse_event(od::object ev, IngestEvent* out, std::string* error) {
  bool have_uid = false, have_eve = false;
  for (auto field : ev) {
    std::string_view k;
    if (field.unescaped_key().get(k) != simdjson::SUCCESS) break;
    od::value v;
    if (field.value().get(v) != simdjson::SUCCESS) break;
    if (k == "uid") {
      std::string_view uid;
      if (v.get_string().get(uid) != simdjson::SUCCESS) break;
      out->event_uid = std::string(uid);
      have_uid = true;
    } else if (k == "eve") {
      od::object o;
      if (v.get_object().get(o) != simdjson::SUCCESS) break;
      std::string_view raw;
      if (o.raw_json().get(raw) != simdjson::SUCCESS) break;
      while (!raw.empty() &&
             (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\r' || raw.back() == '\t'))
        raw.remove_suffix(1);
      out->text = std::string(raw);
      // raw_json() consumed the object: rewind it to read the fields.
      bool rewound = false;
      if (o.reset().get(rewound) != simdjson::SUCCESS) break;
      EveFields f;
      if (!eve_fields(o, &f)) break;
      out->fields = std::move(f);
      have_eve = true;
    }
  }
  if (!have_uid || !have_eve) {
    *error = "each event needs {uid, eve}";
    return false;
  }
  return true;
}

}  // namespace

bool parse_ingest_body(std::string_view body, IngestBody* out, std::string* error) {
  thread_local od::parser parser;
  simdjson::padded_string padded(body);
  od::document doc;
  od::object root;
  if (parser.iterate(padded).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(root) != simdjson::SUCCESS) {
    *error = "expected {agent_id, batch_seq, events[]}";
    return false;
  }
  bool have_seq = false, have_events = false;
  for (auto field : root) {
    std::string_view k;
    if (field.unescaped_key().get(k) != simdjson::SUCCESS) break;
    od::value v;
    if (field.value().get(v) != simdjson::SUCCESS) break;
    if (k == "agent_id") {
      std::string_view id;
      if (v.get_string().get(id) == simdjson::SUCCESS) out->agent_id = std::string(id);
    } else if (k == "batch_seq") {
      if (!is_type(v, od::json_type::number) || v.get_uint64().get(out->batch_seq) != simdjson::SUCCESS)
        break;
      have_seq = true;
    } else if (k == "events") {
      od::array arr;
      if (v.get_array().get(arr) != simdjson::SUCCESS) break;
      for (auto elem : arr) {
        od::object ev;
        if (elem.get_object().get(ev) != simdjson::SUCCESS) {
          *error = "each event needs {uid, eve}";
          return false;
        }
        IngestEvent e;
        if (!parse_event(ev, &e, error)) return false;
        out->events.push_back(std::move(e));
      }
      have_events = true;
    }
  }
  if (!have_seq || !have_events) {
    *error = "expected {agent_id, batch_seq, events[]}";
    return false;
  }
  return true;
}

}  // namespace vigil::collector
