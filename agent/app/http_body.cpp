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
  if (passthrough_) {
    out.append(in.substr(0, static_cast<size_t>(std::min<uint64_t>(keep, in.size()))));
    return state_;
  }
  if (!started_) {
    pending_.append(in);
    size_t skip = 0;
    int wbits = -15;  // raw deflate unless a header says otherwise
    auto u = [&](size_t i) { return static_cast<uint8_t>(pending_[i]); };
    if (pending_.size() < 2) return state_;
    if (u(0) == 0x1f && u(1) == 0x8b) {
      // gzip header parsed here, leniently: reserved flag bits and a bad
      // header CRC are ignored, as browsers do.
      if (pending_.size() < 10) return pending_.size() > 1024 ? (state_ = Result::kError) : state_;
      uint8_t flg = u(3);
      size_t o = 10;
      bool complete = true;
      if (flg & 4) {
        if (o + 2 > pending_.size()) {
          complete = false;
        } else {
          o += 2 + (size_t{u(o)} | (size_t{u(o + 1)} << 8));
        }
      }
      for (uint8_t bit : {uint8_t{8}, uint8_t{16}}) {
        if (!complete || !(flg & bit)) continue;
        size_t z = o < pending_.size() ? pending_.find('\0', o) : std::string::npos;
        if (z == std::string::npos) {
          complete = false;
        } else {
          o = z + 1;
        }
      }
      if (complete && (flg & 2)) o += 2;
      if (!complete || o > pending_.size()) {
        if (pending_.size() > 4096) return state_ = Result::kError;
        return state_;
      }
      skip = o;
    } else if ((u(0) & 0x0F) == 8 && ((u(0) << 8) | u(1)) % 31 == 0) {
      wbits = 15;  // zlib wrapper
    }
    started_ = true;
    (void)kind_;
    if (inflateInit2(&z_->s, wbits) != Z_OK) return state_ = Result::kError;
    z_->init = true;
    std::string first = std::move(pending_);
    pending_ = std::string();
    auto r = feed_started(std::string_view(first).substr(skip), out, keep);
    if (r == Result::kError && produced_ == 0) {
      // Not compressed after all (a coding listed twice, a mislabelled
      // body): what the client shows is the bytes as they are.
      passthrough_ = true;
      state_ = Result::kOk;
      out.append(
          std::string_view(first).substr(0, static_cast<size_t>(std::min<uint64_t>(keep, first.size()))));
      return state_;
    }
    return r;
  }
  return feed_started(in, out, keep);
}

Inflater::Result Inflater::feed_started(std::string_view in, std::string& out, uint64_t keep) {
  if (in.empty()) return state_;
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
