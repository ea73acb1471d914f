#include "agent/app/http_tx.h"

#include <nlohmann/json.hpp>

#include "agent/app/http_util.h"

namespace vigil {

void HttpTx::set_headers(Dir d, std::string_view line, std::string_view raw_block,
                         const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string norm, names = "\r\n";
  for (const auto& [n, v] : headers) {
    bool cookie = d == Dir::kToServer ? http::iequals(n, "Cookie") : http::iequals(n, "Set-Cookie");
    names.append(n).append("\r\n");
    bufs.add(d == Dir::kToServer ? BufferId::kHttpRequestHeader : BufferId::kHttpResponseHeader, d,
             n + ": " + v);
    // Cookies have their own buffer; Suricata leaves them out of http.header.
    if (!cookie) norm.append(n).append(": ").append(v).append("\r\n");
  }
  names.append("\r\n");
  bufs.set(BufferId::kHttpHeader, d, norm);
  bufs.set(BufferId::kHttpHeaderRaw, d, raw_block);
  bufs.set(BufferId::kHttpHeaderNames, d, names);
  std::string start(line);
  start.append("\r\n").append(raw_block);
  bufs.set(BufferId::kHttpStart, d, start);

  struct Named {
    std::string_view header;
    BufferId id;
    bool request_only, response_only;
  };
  static constexpr Named kNamed[] = {
      {"User-Agent", BufferId::kHttpUserAgent, true, false},
      {"Cookie", BufferId::kHttpCookie, true, false},
      {"Set-Cookie", BufferId::kHttpCookie, false, true},
      {"Referer", BufferId::kHttpReferer, true, false},
      {"Content-Type", BufferId::kHttpContentType, false, false},
      {"Content-Length", BufferId::kHttpContentLen, false, false},
      {"Accept", BufferId::kHttpAccept, true, false},
      {"Accept-Encoding", BufferId::kHttpAcceptEnc, true, false},
      {"Accept-Language", BufferId::kHttpAcceptLang, true, false},
      {"Connection", BufferId::kHttpConnection, false, false},
      {"Server", BufferId::kHttpServer, false, true},
      {"Location", BufferId::kHttpLocation, false, true},
  };
  for (const auto& [n, v] : headers) {
    for (const auto& k : kNamed) {
      if ((k.request_only && d != Dir::kToServer) || (k.response_only && d != Dir::kToClient)) continue;
      if (http::iequals(n, k.header)) bufs.set(k.id, d, v);
    }
    if (d == Dir::kToServer && http::iequals(n, "Host")) {
      bufs.set(BufferId::kHttpHostRaw, d, v);
      if (bufs.count(BufferId::kHttpHost, d) == 0)
        bufs.set(BufferId::kHttpHost, d, http::normalize_host(v, &host_port));
    }
    if (http::iequals(n, "Content-Length")) content_len[static_cast<int>(d)] = http::parse_content_length(v);
  }
}

bool HttpTx::integer(TxInt field, Dir d, int64_t* out) const {
  switch (field) {
    case TxInt::kHttpStatCode:
      if (status < 0) return false;
      *out = status;
      return true;
    case TxInt::kHttpContentLen: {
      const auto& cl = content_len[static_cast<int>(d)];
      if (!cl) return false;
      *out = static_cast<int64_t>(*cl);
      return true;
    }
    case TxInt::kFileSize: {
      const auto& f = file[static_cast<int>(d)];
      if (!f || f->state() == FileState::kOpen) return false;
      *out = static_cast<int64_t>(f->size());
      return true;
    }
    default:
      return false;
  }
}

void HttpTx::file_to_eve(nlohmann::ordered_json& out, size_t i, Dir* d) const {
  for (int k = 0; k < 2; ++k) {
    if (!file[k]) continue;
    if (i-- != 0) continue;
    file[k]->to_eve(out);
    if (d != nullptr) *d = file[k]->dir();
    return;
  }
}

void HttpTx::file_buffers(Dir d) {
  if (const auto& f = file[static_cast<int>(d)]) set_file_buffers(bufs, *f);
}

void HttpTx::to_eve(nlohmann::ordered_json& out) const {
  auto s = [&](BufferId id, Dir d) { return eve_string(bufs.get(id, d)); };
  nlohmann::ordered_json h = nlohmann::ordered_json::object();
  if (bufs.count(BufferId::kHttpHost, Dir::kToServer)) h["hostname"] = s(BufferId::kHttpHost, Dir::kToServer);
  if (host_port) h["http_port"] = *host_port;
  if (bufs.count(BufferId::kHttpUriRaw, Dir::kToServer)) h["url"] = s(BufferId::kHttpUriRaw, Dir::kToServer);
  if (bufs.count(BufferId::kHttpUserAgent, Dir::kToServer))
    h["http_user_agent"] = s(BufferId::kHttpUserAgent, Dir::kToServer);
  if (bufs.count(BufferId::kHttpContentType, Dir::kToClient)) {
    auto ct = bufs.get(BufferId::kHttpContentType, Dir::kToClient);
    h["http_content_type"] = eve_string(http::trim(ct.substr(0, ct.find(';'))));
  }
  if (bufs.count(BufferId::kHttpReferer, Dir::kToServer))
    h["http_refer"] = s(BufferId::kHttpReferer, Dir::kToServer);
  if (bufs.count(BufferId::kHttpMethod, Dir::kToServer))
    h["http_method"] = s(BufferId::kHttpMethod, Dir::kToServer);
  if (bufs.count(BufferId::kHttpProtocol, Dir::kToServer))
    h["protocol"] = s(BufferId::kHttpProtocol, Dir::kToServer);
  else if (bufs.count(BufferId::kHttpProtocol, Dir::kToClient))
    h["protocol"] = s(BufferId::kHttpProtocol, Dir::kToClient);
  if (status >= 0) h["status"] = status;
  if (bufs.count(BufferId::kHttpLocation, Dir::kToClient))
    h["redirect"] = s(BufferId::kHttpLocation, Dir::kToClient);
  h["length"] = response_len;
  out["http"] = std::move(h);
  if (anomalies != 0) {
    std::string names;
    for (int i = 0; i < static_cast<int>(HttpAnomaly::kCount); ++i) {
      if (!(anomalies & (1u << i))) continue;
      if (!names.empty()) names.push_back(',');
      names.append(http_anomaly_name(static_cast<HttpAnomaly>(i)));
    }
    out["anomaly"] = {
        {"app_proto", "http"}, {"type", "applayer"}, {"layer", "proto_parser"}, {"event", names}};
  }
}

}  // namespace vigil
