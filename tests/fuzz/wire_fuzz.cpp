// libFuzzer target: every decoder of the agent-collector contract over
// arbitrary bytes (a collector receives them from any client). A batch that
// decodes must re-encode to a body that decodes to the same events.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "common/wire.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace vigil::wire;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  std::string why;
  Batch b;
  if (decode_batch(in, &b, &why)) {
    std::vector<EventRef> refs;
    for (const auto& e : b.events) refs.push_back({e.uid, e.eve});
    Batch again;
    if (!decode_batch(encode_batch(b.agent_id, b.batch_seq, refs), &again, &why)) std::abort();
    if (again.events.size() != b.events.size() || again.batch_seq != b.batch_seq) std::abort();
  }
  Heartbeat hb;
  decode_heartbeat(in, &hb, &why);
  EnrollRequest er;
  decode_enroll_request(in, &er, &why);
  IngestAck ack;
  decode_ingest_ack(in, &ack);
  Conflict c;
  decode_conflict(in, &c);
  decode_error(in);
  HeartbeatReply hr;
  decode_heartbeat_reply(in, &hr);
  EnrollAnswer ea;
  decode_enroll_answer(in, &ea);
  return 0;
}
