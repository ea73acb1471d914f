// libFuzzer target: the FTP command-channel parser, then the ftp-data parser,
// over arbitrary two-way streams, gaps included (input format in
// tests/agent/app/fuzz_harness.h).
#include "agent/app/ftp_data.h"
#include "tests/agent/app/fuzz_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::fuzz::run(vigil::make_ftp_parser(), data, size, false);
  vigil::fuzz::run(vigil::make_ftp_data_parser({}), data, size, false);
  return 0;
}
