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

 private:
  struct Z;
  std::unique_ptr<Z> z_;
  Kind kind_;
  uint64_t cap_;
  uint64_t produced_ = 0;
  bool started_ = false;
  Result state_ = Result::kOk;
};

}  // namespace vigil::http
