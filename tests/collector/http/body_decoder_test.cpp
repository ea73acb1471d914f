// The streaming body decoder: identity and gzip bodies come out whole; a gzip
// bomb is refused at the cap without ever holding more than the cap; corrupt
// and truncated streams are errors, not crashes.
#include "collector/http/body_decoder.h"

#include <zlib.h>

#include <catch2/catch.hpp>
#include <random>
#include <string>

using namespace vigil::collector;

namespace {

std::string gzip(const std::string& s, int level = Z_DEFAULT_COMPRESSION) {
  z_stream z{};
  REQUIRE(deflateInit2(&z, level, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
  std::string out(deflateBound(&z, s.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
  z.avail_in = static_cast<uInt>(s.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  REQUIRE(deflate(&z, Z_FINISH) == Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// Feeds `in` in pieces of `step` bytes; returns the first error or kOk.
BodyDecoder::Status feed_all(BodyDecoder& d, const std::string& in, size_t step) {
  for (size_t i = 0; i < in.size(); i += step) {
    auto st = d.feed(in.data() + i, std::min(step, in.size() - i));
    if (st != BodyDecoder::Status::kOk) return st;
  }
  return d.finish();
}

std::string random_text(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
  return s;
}

}  // namespace

TEST_CASE("content encodings: identity and gzip, anything else refused") {
  CHECK(parse_content_encoding("") == BodyEncoding::kIdentity);
  CHECK(parse_content_encoding("identity") == BodyEncoding::kIdentity);
  CHECK(parse_content_encoding(" GZip ") == BodyEncoding::kGzip);
  CHECK(parse_content_encoding("x-gzip") == BodyEncoding::kGzip);
  CHECK_FALSE(parse_content_encoding("br"));
  CHECK_FALSE(parse_content_encoding("deflate"));
  CHECK_FALSE(parse_content_encoding("gzip, gzip"));
}

TEST_CASE("identity bodies pass whole up to the cap, and not one byte past it") {
  std::string body = random_text(3 << 20, 1);  // spans several blocks
  BodyDecoder ok(BodyEncoding::kIdentity, body.size());
  REQUIRE(feed_all(ok, body, 7777) == BodyDecoder::Status::kOk);
  CHECK(ok.size() == body.size());
  CHECK(ok.take() == body);
  BodyDecoder over(BodyEncoding::kIdentity, body.size() - 1);
  CHECK(feed_all(over, body, 7777) == BodyDecoder::Status::kTooLarge);
  CHECK(over.size() <= body.size() - 1);
}

TEST_CASE("gzip bodies inflate whole, whatever the pieces they arrive in") {
  std::string body = random_text(2 << 20, 2) + std::string(1 << 20, 'x');
  std::string gz = gzip(body);
  for (size_t step : {size_t{1} << 20, size_t{4096}, size_t{13}}) {
    BodyDecoder d(BodyEncoding::kGzip, body.size());  // exactly at the cap is allowed
    REQUIRE(feed_all(d, gz, step) == BodyDecoder::Status::kOk);
    CHECK(d.take() == body);
  }
  // Two gzip members one after the other are one body (RFC 1952).
  BodyDecoder two(BodyEncoding::kGzip, 1 << 20);
  REQUIRE(feed_all(two, gzip("hello ") + gzip("world"), 5) == BodyDecoder::Status::kOk);
  CHECK(two.take() == "hello world");
}

TEST_CASE("a gzip bomb is refused at the cap and never holds more than the cap") {
  // 64 MiB of zeros compress to about 64 KiB.
  std::string bomb = gzip(std::string(64 << 20, '\0'), 9);
  REQUIRE(bomb.size() < (1 << 20));
  BodyDecoder d(BodyEncoding::kGzip, 1 << 20);
  CHECK(feed_all(d, bomb, 16 << 10) == BodyDecoder::Status::kTooLarge);
  CHECK(d.size() <= (1u << 20));
  // Once refused, it stays refused.
  CHECK(d.feed("x", 1) == BodyDecoder::Status::kTooLarge);
  // One byte over the cap is over.
  std::string exact(100000, 'a');
  BodyDecoder one(BodyEncoding::kGzip, exact.size() - 1);
  CHECK(feed_all(one, gzip(exact), 1000) == BodyDecoder::Status::kTooLarge);
}

TEST_CASE("corrupt and truncated gzip streams are errors") {
  std::string gz = gzip(random_text(100000, 3));
  BodyDecoder cut(BodyEncoding::kGzip, 1 << 20);
  CHECK(feed_all(cut, gz.substr(0, gz.size() / 2), 999) == BodyDecoder::Status::kCorrupt);
  std::string flipped = gz;
  flipped[flipped.size() / 2] ^= 0x55;
  flipped[flipped.size() - 6] ^= 0x55;  // and the CRC
  BodyDecoder bad(BodyEncoding::kGzip, 1 << 20);
  CHECK(feed_all(bad, flipped, 999) == BodyDecoder::Status::kCorrupt);
  BodyDecoder plain(BodyEncoding::kGzip, 1 << 20);
  CHECK(feed_all(plain, "{\"not\":\"gzip\"}", 4) == BodyDecoder::Status::kCorrupt);
  BodyDecoder trailing(BodyEncoding::kGzip, 1 << 20);
  CHECK(feed_all(trailing, gzip("ok") + "garbage", 3) == BodyDecoder::Status::kCorrupt);
  BodyDecoder empty(BodyEncoding::kGzip, 1 << 20);
  CHECK(empty.finish() == BodyDecoder::Status::kCorrupt);
}
