// HttpTx: one HTTP request/response pair and its inspection buffers.
//
// Built by the HTTP parser (http_parser.cpp) on the flow's worker thread.
// file.data aliases http.request_body (to_server) and http.response_body
// (to_client), so bodies are stored once. Views stay valid until the parser
// next changes this transaction.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "agent/app/file_tracker.h"
#include "agent/app/http_anomaly.h"
#include "agent/app/tx_base.h"

namespace vigil {

class HttpTx : public TxBase {
 public:
  // proto: kHttp, or kHttp2 for an HTTP/2 stream (http2_parser.cpp).
  explicit HttpTx(uint64_t id, AppProto proto = AppProto::kHttp) : TxBase(proto, id) {}

  size_t buffer_count(BufferId id, Dir d) const override { return TxBase::buffer_count(alias(id, d), d); }
  std::span<const uint8_t> buffer(BufferId id, Dir d, size_t i = 0) const override {
    return TxBase::buffer(alias(id, d), d, i);
  }
  bool buffer_version(BufferId id, Dir d, uint64_t* out) const override {
    return TxBase::buffer_version(alias(id, d), d, out);
  }
  bool integer(TxInt field, Dir d, int64_t* out) const override;
  void to_eve(nlohmann::ordered_json& out) const override;
  size_t file_count() const override { return (file[0] ? 1 : 0) + (file[1] ? 1 : 0); }
  void file_to_eve(nlohmann::ordered_json& out, size_t i, Dir* d) const override;
  void request_filestore(Dir d, uint32_t sid) const override {
    if (auto& f = file[static_cast<int>(d)]) f->request_store(sid);
  }
  // Publishes file.name (at open) and, once the file ended, file.magic and
  // the hash buffers of direction d's file.
  void file_buffers(Dir d);

  // Sets the per-direction header buffers (http.header, .raw, header_names,
  // http.request_header/response_header, http.start and the named values).
  // `line` is the request or status line without its line end.
  void set_headers(Dir d, std::string_view line, std::string_view raw_block,
                   const std::vector<std::pair<std::string, std::string>>& headers);

  // EVE and integer fields.
  bool has_request = false, has_response = false;
  bool request_done = false, response_done = false;
  bool head_request = false;
  std::optional<uint16_t> host_port;
  int status = -1;
  std::optional<uint64_t> content_len[2];
  uint64_t response_len = 0;  // response body bytes (dechunked, before decoding)
  uint64_t request_len = 0;
  // HttpAnomaly kinds seen in this transaction (bit = 1 << kind). Written to
  // EVE as a top-level "anomaly" object (Suricata 7's schema allows no extra
  // field inside "http"): {"app_proto":"http","type":"applayer",
  // "layer":"proto_parser","event":"kind1,kind2"}.
  uint32_t anomalies = 0;
  // The request body (to_server) and response body (to_client) as files,
  // when files are tracked (agent/app/file_tracker.h).
  std::unique_ptr<TrackedFile> file[2];
  // Sets kind a; true when it was not set before (the caller counts it once).
  bool add_anomaly(HttpAnomaly a) {
    uint32_t m = 1u << static_cast<int>(a);
    bool fresh = (anomalies & m) == 0;
    anomalies |= m;
    return fresh;
  }

 private:
  static BufferId alias(BufferId id, Dir d) {
    if (id != BufferId::kFileData) return id;
    return d == Dir::kToServer ? BufferId::kHttpRequestBody : BufferId::kHttpResponseBody;
  }
};

}  // namespace vigil
