// libFuzzer target: the SMB parser (NetBIOS framing, SMB2/3 and SMB1) over
// arbitrary two-way streams, gaps included (input format in
// tests/agent/app/fuzz_harness.h).
#include "tests/agent/app/fuzz_harness.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  vigil::fuzz::run(vigil::make_smb_parser(), data, size, false);
  return 0;
}
