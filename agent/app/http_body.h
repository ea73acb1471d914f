// Content-Encoding decoding of HTTP bodies (gzip, x-gzip, deflate) with an
// output cap: a body that inflates past the cap is cut and reported as a
// decompression bomb instead of growing without bound.
//
// One Inflater per body being decoded, used by the worker owning the flow.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace vigil::http {

class Inflater {
 public:
  // Both kinds accept gzip, zlib and raw deflate data: the format is read
  // from the first bytes, since servers mislabel it (and evasions rely on it).
  enum class Kind { kGzip, kDeflate };
  enum class Result { kOk, kError, kBomb };

  Inflater(Kind k, uint64_t output_cap);
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Decodes `in`, appending at most `keep` more bytes to `out` (the rest of
  // the output is counted, not kept). After kError or kBomb, later calls do
  // nothing and return the same result.
  Result feed(std::string_view in, std::string& out, uint64_t keep);
  uint64_t produced() const { return produced_; }
  // The body did not decode from its first byte and is passed through as is.
  bool passthrough() const { return passthrough_; }

 private:
  Result feed_started(std::string_view in, std::string& out, uint64_t keep);
  struct Z;
  std::unique_ptr<Z> z_;
  Kind kind_;
  uint64_t cap_;
  uint64_t produced_ = 0;
  bool started_ = false;
  bool passthrough_ = false;  // data turned out not to be compressed
  std::string pending_;       // first bytes, until the container format is known
  Result state_ = Result::kOk;
};

}  // namespace vigil::http
