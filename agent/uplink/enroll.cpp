// `vigil-agent enroll`: trades a one-time token for this agent's credentials.
// Enrolment states, in order: check options -> prepare the state directory
// (0700, CA copied in) -> ask the collector -> save agent.json (0600).
#include <httplib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "agent/uplink/agent_state.h"
#include "agent/uplink/uplink.h"
#include "common/wire.h"

namespace vigil {

bool is_enrolled(const std::string& state_dir) {
  AgentState st;
  std::string err;
  return !state_dir.empty() && load_agent_state(state_dir, &st, &err);
}

int run_enroll(const EnrollOptions& o) {
  namespace fs = std::filesystem;
  auto fail = [](const std::string& msg) {
    std::fprintf(stderr, "vigil-agent enroll: %s\n", msg.c_str());
    return 1;
  };
  if (o.collector_url.empty() || o.token.empty() || o.state_dir.empty()) {
    return fail("--collector, --token and --state-dir are required");
  }
  if (o.ca_file.empty() == o.pin.empty()) return fail("give exactly one of --ca-file and --pin");
  if (is_enrolled(o.state_dir)) {
    return fail("already enrolled (" + o.state_dir + "/agent.json); remove it to enrol again");
  }
  std::error_code ec;
  fs::create_directories(o.state_dir, ec);
  if (ec) return fail("cannot create " + o.state_dir + ": " + ec.message());
  chmod(o.state_dir.c_str(), 0700);

  AgentState st;
  st.collector_url = o.collector_url;
  st.pin = o.pin;
  if (!o.ca_file.empty()) {
    // A copy, so that the agent keeps working if the original moves.
    st.ca_file = fs::absolute(fs::path(o.state_dir) / "collector-ca.pem").string();
    fs::copy_file(o.ca_file, st.ca_file, fs::copy_options::overwrite_existing, ec);
    if (ec) return fail("cannot copy " + o.ca_file + ": " + ec.message());
  }
  std::string err;
  auto cli = make_collector_client(st.collector_url, st.ca_file, st.pin, &err);
  if (!cli) return fail(err);
  std::string host = o.hostname;
  if (host.empty()) {
    char hn[256] = {0};
    gethostname(hn, sizeof hn - 1);
    host = hn;
  }
  st.hostname = host;
  auto res = cli->Post(wire::kEnrollPath, wire::encode_enroll_request({o.token, host}), "application/json");
  if (!res) {
    return fail("cannot reach " + st.collector_url + ": " + httplib::to_string(res.error()) +
                (res.error() == httplib::Error::SSLServerVerification ? " (certificate not trusted)" : ""));
  }
  if (res->status != 200) {
    wire::ErrorAnswer e = wire::decode_error(res->body);
    return fail("collector refused the token (" + std::to_string(res->status) + "): " + e.error +
                (e.detail.empty() ? "" : ": " + e.detail));
  }
  wire::EnrollAnswer answer;
  if (!wire::decode_enroll_answer(res->body, &answer)) return fail("unexpected answer from the collector");
  st.agent_id = answer.agent_id;
  st.key = answer.key;
  if (!save_agent_state(o.state_dir, st, &err)) return fail(err);
  std::printf("enrolled as %s with %s; credentials in %s/agent.json\n", st.agent_id.c_str(),
              st.collector_url.c_str(), o.state_dir.c_str());
  return 0;
}

}  // namespace vigil
