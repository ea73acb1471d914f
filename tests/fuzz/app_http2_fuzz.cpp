// libFuzzer target: the HTTP/2 parser (frames, HPACK through libnghttp2,
// streams) over arbitrary two-way streams, gaps included (input format in
// tests/agent/app/fuzz_harness.h).
#include "tests/agent/app/fuzz_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::fuzz::run(vigil::make_http2_parser(), data, size, false);
  return 0;
}
