#include "agent/app/http_body.h"

#include <zlib.h>

#include <algorithm>

namespace vigil::http {
namespace {

// Bytes held back for passthrough while a body has decoded to nothing; past
// this a body that never decodes is counted as an error and not shown.
constexpr size_t kMaxHeldRaw = 64 * 1024;
// A gzip header with all optional fields longer than this is not waited for.
constexpr size_t kMaxGzipHeader = 4096;

uint8_t u8(std::string_view s, size_t i) {
  return static_cast<uint8_t>(s[i]);
}

// Length of the gzip header at the start of `p` (lenient: reserved flag bits
// and the header CRC are not checked, as browsers do); 0 when more bytes are
// needed.
size_t gzip_header_len(std::string_view p) {
  if (p.size() < 10) return 0;
  uint8_t flg = u8(p, 3);
  size_t o = 10;
  if (flg & 4) {
    if (o + 2 > p.size()) return 0;
    o += 2 + (size_t{u8(p, o)} | (size_t{u8(p, o + 1)} << 8));
  }
  for (uint8_t bit : {uint8_t{8}, uint8_t{16}}) {
    if (!(flg & bit)) continue;
    if (o >= p.size()) return 0;
    size_t z = p.find('\0', o);
    if (z == std::string_view::npos) return 0;
    o = z + 1;
  }
  if (flg & 2) o += 2;
  return o > p.size() ? 0 : o;
}

}  // namespace

struct Inflater::Z {
  z_stream s{};
  bool init = false;
  ~Z() {
    if (init) inflateEnd(&s);
  }
};

Inflater::Inflater(uint64_t output_cap) : z_(std::make_unique<Z>()), cap_(output_cap) {}
Inflater::~Inflater() = default;

void Inflater::pass(std::string_view in, std::string& out, uint64_t keep) {
  out.append(in.substr(0, static_cast<size_t>(std::min<uint64_t>(keep, in.size()))));
}

Inflater::Result Inflater::feed(std::string_view in, std::string& out, uint64_t keep) {
  if (state_ != Result::kOk || in.empty()) return state_;
  consumed_ += in.size();
  if (passthrough_) {
    pass(in, out, keep);
    return state_;
  }
  if (produced_ == 0 && raw_.size() < kMaxHeldRaw) raw_.append(in);
  if (phase_ == Phase::kHeader) {
    pending_.append(in);
    return start(out, keep);
  }
  if (phase_ == Phase::kTrailing) return state_;
  auto r = inflate_some(in, out, keep);
  if (r == Result::kError && produced_ == 0 && raw_.size() < kMaxHeldRaw) {
    // Not compressed after all (a coding listed twice, a mislabelled body):
    // what the client shows is the bytes as they are.
    passthrough_ = true;
    state_ = Result::kOk;
    pass(raw_, out, keep);
    raw_ = std::string();
    return state_;
  }
  if (produced_ > 0 && !raw_.empty()) raw_ = std::string();
  return r;
}

// Reads the container format from the first bytes and starts the stream.
Inflater::Result Inflater::start(std::string& out, uint64_t keep) {
  if (pending_.size() < 2) return state_;
  std::string_view p = pending_;
  size_t skip = 0;
  int wbits = -15;  // raw deflate unless a header says otherwise
  if (u8(p, 0) == 0x1f && u8(p, 1) == 0x8b) {
    skip = gzip_header_len(p);
    gzip_ = true;
    if (skip == 0) {
      if (pending_.size() <= kMaxGzipHeader) return state_;  // wait for the rest of the header
      wbits = 0;                                             // never ends: not gzip after all
    }
  } else if ((u8(p, 0) & 0x0F) == 8 && ((u8(p, 0) << 8) | u8(p, 1)) % 31 == 0) {
    wbits = 15;  // zlib wrapper
  }
  phase_ = Phase::kStream;
  members_ = 1;
  std::string first = std::move(pending_);
  pending_ = std::string();
  Result r = Result::kError;
  if (wbits != 0 && inflateInit2(&z_->s, wbits) == Z_OK) {
    z_->init = true;
    r = inflate_some(std::string_view(first).substr(skip), out, keep);
  } else {
    state_ = Result::kError;
  }
  if (r == Result::kError && produced_ == 0) {
    passthrough_ = true;
    state_ = Result::kOk;
    pass(raw_, out, keep);
    raw_ = std::string();
    return state_;
  }
  return r;
}

Inflater::Result Inflater::inflate_some(std::string_view in, std::string& out, uint64_t& keep) {
  unsigned char buf[16384];
  while (!in.empty()) {
    if (phase_ == Phase::kTrailing) return state_;
    if (phase_ == Phase::kBetween) {
      // After a gzip member: its 8-byte trailer when zlib did not read it,
      // then another member, or trailing bytes to ignore.
      size_t skip = std::min<size_t>(skip_, in.size());
      skip_ -= skip;
      in.remove_prefix(skip);
      if (in.empty()) return state_;
      size_t n = std::min(2 - pending_.size(), in.size());
      pending_.append(in.substr(0, n));
      in.remove_prefix(n);
      bool magic = gzip_ && u8(pending_, 0) == 0x1f;
      if (magic && pending_.size() < 2) return state_;
      if (magic && u8(pending_, 1) == 0x8b && inflateReset2(&z_->s, 16 + 15) == Z_OK) {
        ++members_;
        phase_ = Phase::kStream;
        std::string head = std::move(pending_);
        pending_ = std::string();
        if (auto r = inflate_some(head, out, keep); r != Result::kOk) return r;
        continue;
      }
      trailing_ = true;
      phase_ = Phase::kTrailing;
      return state_;
    }
    z_->s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_->s.avail_in = static_cast<uInt>(in.size());
    bool ended = false;
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
        ended = true;
        break;
      }
      if (rc != Z_OK && rc != Z_BUF_ERROR) return state_ = Result::kError;
      if (rc == Z_BUF_ERROR && got == 0) break;
    }
    size_t used = in.size() - z_->s.avail_in;
    in.remove_prefix(used);
    if (!ended) return state_;
    // The first gzip member is inflated raw (its header read here), so its
    // trailer is still in the input; later members are read by zlib whole.
    skip_ = gzip_ && members_ == 1 ? 8 : 0;
    phase_ = Phase::kBetween;
    pending_.clear();
  }
  return state_;
}

void Inflater::finish(std::string& out, uint64_t keep) {
  if (passthrough_ || state_ == Result::kBomb) return;
  if (produced_ == 0 && !raw_.empty() && raw_.size() < kMaxHeldRaw) {
    passthrough_ = true;
    state_ = Result::kOk;
    pass(raw_, out, keep);
    raw_ = std::string();
  }
}

}  // namespace vigil::http
