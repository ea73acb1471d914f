// GET /api/v1/alerts/export?format=csv|json&<filter> (CollectorServer,
// collector/server.h): every alert the filter selects, newest first, streamed
// page by page from the store (the transport asks for the next page only once
// the previous one is written), as CSV with a fixed header or as one JSON
// array. Runs on handler threads.

#include <spdlog/spdlog.h>

#include <memory>
#include <stdexcept>

#include "collector/api/alert_filter.h"
#include "collector/server.h"

namespace vigil::collector {
namespace {

using nlohmann::json;

constexpr int kExportPage = 1000;

// The CSV columns, in order: a column is a top-level EVE key, or "alert.KEY".
constexpr const char* kCsvColumns[] = {"id",
                                       "timestamp",
                                       "agent_id",
                                       "alert.severity",
                                       "alert.signature_id",
                                       "alert.signature",
                                       "alert.category",
                                       "src_ip",
                                       "src_port",
                                       "dest_ip",
                                       "dest_port",
                                       "proto",
                                       "app_proto",
                                       "flow_id",
                                       "status",
                                       "assignee"};

// RFC 4180 quoting; a text cell starting with = + - @ (or tab, CR) gets a
// leading ' so that a spreadsheet never runs it as a formula.
void csv_cell(const json& v, std::string* out) {
  if (v.is_null()) return;
  if (v.is_number()) {
    out->append(v.dump());
    return;
  }
  std::string s = v.is_string() ? v.get<std::string>() : v.dump();
  if (!s.empty() &&
      (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r'))
    s.insert(s.begin(), '\'');
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    out->append(s);
    return;
  }
  out->push_back('"');
  for (char c : s) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

void csv_row(const json& a, std::string* out) {
  bool first = true;
  for (std::string_view col : kCsvColumns) {
    if (!first) out->push_back(',');
    first = false;
    const json* v = &a;
    if (col.substr(0, 6) == "alert.") {
      auto it = a.find("alert");
      if (it == a.end() || !it->is_object()) continue;
      v = &*it;
      col.remove_prefix(6);
    }
    auto it = v->find(std::string(col));
    if (it != v->end()) csv_cell(*it, out);
  }
  out->append("\r\n");
}

struct ExportState {
  AlertListQuery q;
  bool csv = true, started = false, any = false;
};

}  // namespace

Response CollectorServer::alerts_export(const Caller&, const RequestHead& h, std::string) {
  AlertListQuery q;
  if (auto e = parse_alert_query(h.query, &q, {"format"}))
    return Response::error(400, "bad " + e->param, e->detail);
  if (q.group) return Response::error(400, "bad group", "the export lists alerts; leave group out");
  const std::string* fmt = h.param("format");
  std::string format = fmt && !fmt->empty() ? *fmt : "csv";
  if (format != "csv" && format != "json") return Response::error(400, "bad format", "csv or json");
  auto st = std::make_shared<ExportState>();
  st->q = std::move(q);
  st->q.limit = kExportPage;
  st->q.want_total = false;
  st->csv = format == "csv";
  Response r;
  r.content_type = st->csv ? "text/csv; charset=utf-8" : "application/json";
  r.headers.push_back({"Content-Disposition", std::string("attachment; filename=\"alerts.") + format + "\""});
  r.stream = [this, st](std::string* piece) {
    if (!st->started) {
      st->started = true;
      if (st->csv) {
        for (size_t i = 0; i < std::size(kCsvColumns); ++i) {
          if (i) piece->push_back(',');
          std::string_view name = kCsvColumns[i];
          if (name == "alert.signature_id") name = "sid";
          if (name.substr(0, 6) == "alert.") name.remove_prefix(6);
          piece->append(name);
        }
        piece->append("\r\n");
      } else {
        piece->push_back('[');
      }
    }
    AlertListPage page;
    StoreStatus s = store_.list_alerts(st->q, &page);
    if (!s.ok) throw std::runtime_error("export query: " + s.message);  // ends the stream truncated
    for (const auto& a : page.alerts) {
      if (st->csv) {
        csv_row(a, piece);
      } else {
        if (st->any) piece->push_back(',');
        piece->append(a.dump(-1, ' ', false, json::error_handler_t::replace));
        piece->push_back('\n');
      }
      st->any = true;
    }
    if (!page.next_cursor) {
      if (!st->csv) piece->append("]\n");
      return false;
    }
    st->q.cursor = page.next_cursor;
    return true;
  };
  return r;
}

}  // namespace vigil::collector
