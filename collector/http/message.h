// Requests and responses as the collector's routes see them: plain values,
// free of the network library, so that routes, tests and the transport meet
// on a small surface.
//
// The transport fills a RequestHead once a request's header has been read
// (before its body), hands it to the routes on a handler thread, and writes
// back the Response they return. Everything here owns its strings.
#pragma once

#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil::collector {

struct RequestHead {
  std::string method;                                        // "GET", "POST", ... as sent
  std::string target;                                        // as sent: path and query
  std::string path;                                          // the target's path, percent-decoded
  std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string peer;                                          // client address
  std::optional<uint64_t> content_length;
  bool chunked = false;
  bool expect_continue = false;

  // First header of that (lower-case) name; nullptr when absent.
  const std::string* header(std::string_view lower_name) const;
  // First query parameter of that name; nullptr when absent.
  const std::string* param(std::string_view name) const;
  bool has_body() const { return chunked || content_length.value_or(0) > 0; }
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  bool close = false;  // close the connection after this response
  // Extra header fields (Set-Cookie, Content-Disposition, ...), sent as given.
  std::vector<std::pair<std::string, std::string>> headers;
  // A streamed body (then `body` is not sent): the transport calls it on a
  // handler thread for the next piece (appended to *piece), writes that piece
  // with chunked encoding, and only then asks for the next; false: this was
  // the last piece. A throw ends the connection without the final chunk, so
  // the client sees a truncated body, not a short complete one.
  std::function<bool(std::string* piece)> stream;

  static Response json(int status, const nlohmann::json& body);
  // {"error": reason, "detail": what to do}; reason is short and stable,
  // never an exception's text.
  static Response error(int status, std::string_view reason, std::string_view detail = {});
};

// Splits "path?query" and percent-decodes both ('+' is a space in the query).
// False when an escape is malformed (%zz, truncated) or the path is not
// absolute (the server answers 400).
bool parse_target(std::string_view target, std::string* path,
                  std::vector<std::pair<std::string, std::string>>* query);

}  // namespace vigil::collector
