// A request body decoded as it arrives: identity or gzip (a streaming zlib
// inflate), kept in blocks whose total never grows past a cap (blocks, not one
// growing string: a reallocation would briefly hold twice the data). The server
// feeds it the body's bytes a buffer at a time as they come off the socket,
// so a gzip bomb costs at most the cap, never its inflated size, and is
// refused (kTooLarge) as soon as the cap is passed.
//
// One decoder per request, used by one thread at a time (the connection's).
#pragma once

#include <zlib.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil::collector {

enum class BodyEncoding { kIdentity, kGzip };

// The Content-Encoding header value to an encoding; nullopt for anything else
// (the server answers 415). Empty and "identity" are identity; case-insensitive.
std::optional<BodyEncoding> parse_content_encoding(std::string_view header);

// ASCII case-insensitive equality (header values: "gzip", "100-continue").
bool iequals(std::string_view a, std::string_view b);

class BodyDecoder {
 public:
  enum class Status { kOk, kTooLarge, kCorrupt };

  BodyDecoder(BodyEncoding enc, uint64_t max_decoded);
  ~BodyDecoder();
  BodyDecoder(const BodyDecoder&) = delete;
  BodyDecoder& operator=(const BodyDecoder&) = delete;

  // Consumes the next bytes of the body. After an error every call returns it again.
  Status feed(const void* data, size_t n);
  // The body has ended: kCorrupt when a gzip stream stopped short.
  Status finish();

  uint64_t size() const { return size_; }
  uint64_t max_decoded() const { return max_; }
  // The decoded body in one string (the blocks are freed as they are copied).
  std::string take();

 private:
  Status inflate_some(const unsigned char* in, size_t n);
  // Room at the end of the last block (a new block when it is full): at most
  // `want` bytes and never past the cap; *got is 0 when the cap is reached.
  // The room counts as written; give back what was not with unwrite().
  char* room(size_t want, size_t* got);
  void unwrite(size_t n);
  BodyEncoding enc_;
  uint64_t max_;
  uint64_t size_ = 0;
  std::vector<std::string> blocks_;
  z_stream z_{};
  bool z_open_ = false, member_done_ = false;
  Status err_ = Status::kOk;
};

}  // namespace vigil::collector
