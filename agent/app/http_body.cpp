#include "agent/app/http_body.h"

#include <zlib.h>

#include <algorithm>

namespace vigil::http {

struct Inflater::Z {
  z_stream s{};
  bool init = false;
  ~Z() {
    if (init) inflateEnd(&s);
  }
};

Inflater::Inflater(Kind k, uint64_t output_cap) : z_(std::make_unique<Z>()), kind_(k), cap_(output_cap) {}
Inflater::~Inflater() = default;

Inflater::Result Inflater::feed(std::string_view in, std::string& out, uint64_t keep) {
  if (state_ != Result::kOk || in.empty()) return state_;
  if (!started_) {
    started_ = true;
    int wbits = 15 + 32;  // gzip or zlib, auto-detected
    if (kind_ == Kind::kDeflate) {
      // "deflate" is meant to be zlib-wrapped, but many servers send raw deflate.
      auto b0 = static_cast<uint8_t>(in[0]);
      bool zlib_hdr =
          in.size() >= 2 && (b0 & 0x0F) == 8 && ((b0 << 8) | static_cast<uint8_t>(in[1])) % 31 == 0;
      wbits = zlib_hdr ? 15 : -15;
    }
    if (inflateInit2(&z_->s, wbits) != Z_OK) return state_ = Result::kError;
    z_->init = true;
  }
  unsigned char buf[16384];
  z_->s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z_->s.avail_in = static_cast<uInt>(in.size());
  while (z_->s.avail_in > 0) {
    z_->s.next_out = buf;
    z_->s.avail_out = sizeof(buf);
    int rc = inflate(&z_->s, Z_NO_FLUSH);
    size_t got = sizeof(buf) - z_->s.avail_out;
    uint64_t room = cap_ > produced_ ? cap_ - produced_ : 0;
    size_t take = static_cast<size_t>(std::min<uint64_t>({got, keep, room}));
    out.append(reinterpret_cast<const char*>(buf), take);
    keep -= take;
    produced_ += got;
    if (produced_ > cap_) return state_ = Result::kBomb;
    if (rc == Z_STREAM_END) {
      // Trailing bytes after the stream (or a second gzip member) are ignored.
      state_ = Result::kOk;
      z_->s.avail_in = 0;
      break;
    }
    if (rc != Z_OK && rc != Z_BUF_ERROR) return state_ = Result::kError;
    if (rc == Z_BUF_ERROR && got == 0) break;
  }
  return state_;
}

}  // namespace vigil::http
