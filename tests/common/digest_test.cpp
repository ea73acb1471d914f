#include "common/digest.h"

#include <catch2/catch.hpp>

using namespace vigil;

TEST_CASE("digests as lower-case hex (FIPS 180-2 / RFC 1321 vectors)") {
  CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
}
