// Content-Encoding decoding of HTTP bodies (gzip, x-gzip, deflate) as a
// streaming decoder with an output cap: a body that inflates past the cap is
// cut and reported as a decompression bomb instead of growing without bound.
//
// One Inflater per coding layer of a body, used by the worker owning the flow.
// It decodes what browsers decode: gzip with any header flags (a bad header
// CRC or reserved bits are ignored), several gzip members one after another,
// bytes after the end of the stream (ignored), zlib-wrapped and raw deflate
// under either name. A body that does not decode from its first byte is passed
// through as sent (a mislabelled response is shown as it is), also when that
// only shows later or at the end of the body (finish()).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace vigil::http {

class Inflater {
 public:
  enum class Result { kOk, kError, kBomb };

  explicit Inflater(uint64_t output_cap);
  ~Inflater();
  Inflater(const Inflater&) = delete;
  Inflater& operator=(const Inflater&) = delete;

  // Decodes `in`, appending at most `keep` more bytes to `out` (the rest of
  // the output is counted, not kept). After kError or kBomb, later calls do
  // nothing and return the same result.
  Result feed(std::string_view in, std::string& out, uint64_t keep);
  // The body ended: when nothing decoded from it, what was held back is
  // passed through as sent.
  void finish(std::string& out, uint64_t keep);

  uint64_t produced() const { return produced_; }
  uint64_t consumed() const { return consumed_; }
  // The body did not decode and is passed through as sent.
  bool passthrough() const { return passthrough_; }
  // A second gzip member followed the first (decoded too).
  bool multi_member() const { return members_ > 1; }
  // Bytes followed the end of the compressed stream (ignored).
  bool trailing_data() const { return trailing_; }

 private:
  enum class Phase : uint8_t { kHeader, kStream, kBetween, kTrailing };
  Result start(std::string& out, uint64_t keep);
  Result inflate_some(std::string_view in, std::string& out, uint64_t& keep);
  void pass(std::string_view in, std::string& out, uint64_t keep);
  struct Z;
  std::unique_ptr<Z> z_;
  uint64_t cap_;
  uint64_t produced_ = 0;
  uint64_t consumed_ = 0;
  Phase phase_ = Phase::kHeader;
  bool passthrough_ = false;
  bool trailing_ = false;
  bool gzip_ = false;  // the container is gzip: members may follow
  size_t skip_ = 0;    // trailer bytes of the first member still to skip
  int members_ = 0;
  std::string pending_;  // first bytes, until the container format is known
  std::string raw_;      // bytes fed while nothing has come out (for passthrough)
  Result state_ = Result::kOk;
};

}  // namespace vigil::http
