#include "common/encoding.h"

#include <catch2/catch.hpp>
#include <string>

using namespace vigil;

TEST_CASE("base64 and printable renderings match EVE's") {
  auto b = [](const char* s) {
    return std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(s), std::char_traits<char>::length(s));
  };
  CHECK(base64_encode(b("")) == "");
  CHECK(base64_encode(b("f")) == "Zg==");
  CHECK(base64_encode(b("fo")) == "Zm8=");
  CHECK(base64_encode(b("foo")) == "Zm9v");
  CHECK(base64_encode(b("GET / HTTP/1.1")) == "R0VUIC8gSFRUUC8xLjE=");
  CHECK(hex_encode(b("\x01\xab")) == "01ab");
  CHECK(printable(b("a\x01\r\nb\xff")) == "a.\r\nb.");
}

TEST_CASE("base64 decoding takes either alphabet, stops at padding, refuses other bytes") {
  std::string out;
  CHECK(base64_decode("Zm9vYmFy", out));
  CHECK(out == "foobar");
  CHECK(base64_decode("Zg==", out));
  CHECK(out == "f");
  CHECK(base64_decode("Zg", out));  // unpadded, as RFC 8484 sends it
  CHECK(out == "f");
  CHECK(base64_decode("-_8", out));  // URL-safe alphabet
  CHECK(out == "\xfb\xff");
  CHECK(base64_decode("+/8=", out));
  CHECK(out == "\xfb\xff");
  CHECK(base64_decode("", out));
  CHECK(out.empty());
  CHECK_FALSE(base64_decode("Zm9v YmFy", out));
  CHECK_FALSE(base64_decode("Zm9v*", out));
}
