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
