#include "collector/http/body_decoder.h"

#include <algorithm>
#include <cctype>

namespace vigil::collector {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

constexpr uint64_t kFirstBlock = 16 << 10;  // most bodies (heartbeats, enrolments) fit in it
constexpr uint64_t kBlock = 1 << 20;
constexpr size_t kWindow = 64 << 10;  // inflate output per call

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::optional<BodyEncoding> parse_content_encoding(std::string_view header) {
  std::string_view v = trim(header);
  if (v.empty() || iequals(v, "identity")) return BodyEncoding::kIdentity;
  if (iequals(v, "gzip") || iequals(v, "x-gzip")) return BodyEncoding::kGzip;
  return std::nullopt;
}

BodyDecoder::BodyDecoder(BodyEncoding enc, uint64_t max_decoded) : enc_(enc), max_(max_decoded) {
  if (enc_ == BodyEncoding::kGzip) {
    // 15 + 16: gzip framing only (a zlib or raw deflate stream is corrupt here).
    if (inflateInit2(&z_, 15 + 16) == Z_OK) {
      z_open_ = true;
    } else {
      err_ = Status::kCorrupt;
    }
  }
}

BodyDecoder::~BodyDecoder() {
  if (z_open_) inflateEnd(&z_);
}

char* BodyDecoder::room(size_t want, size_t* got) {
  uint64_t left = max_ - size_;
  *got = 0;
  if (left == 0 || want == 0) return nullptr;
  if (blocks_.empty() || blocks_.back().size() == blocks_.back().capacity()) {
    blocks_.emplace_back();
    blocks_.back().reserve(static_cast<size_t>(std::min(blocks_.size() == 1 ? kFirstBlock : kBlock, left)));
  }
  std::string& b = blocks_.back();
  uint64_t n = std::min<uint64_t>({want, b.capacity() - b.size(), left});
  size_t old = b.size();
  b.resize(old + static_cast<size_t>(n));  // within the capacity: never reallocates
  size_ += n;
  *got = static_cast<size_t>(n);
  return b.data() + old;
}

void BodyDecoder::unwrite(size_t n) {
  std::string& b = blocks_.back();
  b.resize(b.size() - n);
  size_ -= n;
}

BodyDecoder::Status BodyDecoder::feed(const void* data, size_t n) {
  if (err_ != Status::kOk || n == 0) return err_;
  const auto* p = static_cast<const unsigned char*>(data);
  if (enc_ == BodyEncoding::kGzip) return err_ = inflate_some(p, n);
  if (size_ + n > max_) return err_ = Status::kTooLarge;
  while (n > 0) {
    size_t got = 0;
    char* dst = room(n, &got);
    std::copy(p, p + got, dst);
    p += got;
    n -= got;
  }
  return err_;
}

BodyDecoder::Status BodyDecoder::inflate_some(const unsigned char* in, size_t n) {
  z_.next_in = const_cast<unsigned char*>(in);
  z_.avail_in = static_cast<uInt>(n);
  bool output_full = false;  // inflate may hold more output even when the input is used up
  while (z_.avail_in > 0 || output_full) {
    if (member_done_) {
      if (z_.avail_in == 0) break;
      // Concatenated gzip members (RFC 1952 allows them) decode as one body.
      if (inflateReset(&z_) != Z_OK) return Status::kCorrupt;
      member_done_ = false;
    }
    size_t got = 0;
    char* dst = room(kWindow, &got);
    unsigned char probe;
    if (got == 0) {
      // The cap is reached: one more byte of output passes it; a probe tells.
      dst = reinterpret_cast<char*>(&probe);
      got = 1;
    }
    z_.next_out = reinterpret_cast<unsigned char*>(dst);
    z_.avail_out = static_cast<uInt>(got);
    int rc = inflate(&z_, Z_NO_FLUSH);
    size_t unused = z_.avail_out;
    output_full = unused == 0;
    if (dst == reinterpret_cast<char*>(&probe)) {
      if (unused == 0) return Status::kTooLarge;
    } else {
      unwrite(unused);
    }
    if (rc == Z_STREAM_END) {
      member_done_ = true;
      output_full = false;
    } else if (rc == Z_BUF_ERROR) {
      // No progress with input and output room left: cannot happen for a
      // sound stream, and must not loop.
      if (z_.avail_in > 0 && unused > 0) return Status::kCorrupt;
    } else if (rc != Z_OK) {
      return Status::kCorrupt;
    }
  }
  return Status::kOk;
}

BodyDecoder::Status BodyDecoder::finish() {
  if (err_ != Status::kOk) return err_;
  if (enc_ == BodyEncoding::kGzip && !member_done_) return err_ = Status::kCorrupt;
  return Status::kOk;
}

std::string BodyDecoder::take() {
  if (blocks_.size() == 1) {
    std::string s = std::move(blocks_.front());
    blocks_.clear();
    size_ = 0;
    return s;
  }
  std::string out;
  out.reserve(static_cast<size_t>(size_));
  for (auto& b : blocks_) {
    out.append(b);
    std::string().swap(b);
  }
  blocks_.clear();
  size_ = 0;
  return out;
}

}  // namespace vigil::collector
