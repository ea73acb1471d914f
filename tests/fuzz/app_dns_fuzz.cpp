// libFuzzer target: the DNS parser, over UDP (each chunk one datagram) or TCP
// (length-prefixed stream with gaps) as the first input byte chooses (input
// format in tests/agent/app/fuzz_harness.h).
#include "tests/agent/app/fuzz_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  bool tcp = (data[0] & 1) != 0;
  vigil::fuzz::run(vigil::make_dns_parser(tcp), data + 1, size - 1, !tcp);
  return 0;
}
