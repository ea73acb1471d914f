// The collector's forwarding (collector/forward/README.md): every alert that
// ingest newly stored (after the store's commit, never again for a resent
// batch) goes to each configured output's own bounded queue.
#pragma once

#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "collector/forward/output.h"
#include "collector/store/store.h"

namespace vigil::collector::forward {

class Forwarder {
 public:
  explicit Forwarder(std::vector<std::unique_ptr<Output>> outputs);
  ~Forwarder();
  // Outputs for `configs`, dead-letter files under DATA_DIR/forward/ (made
  // 0700); null + *error when one cannot be set up. Threads start with start().
  static std::unique_ptr<Forwarder> create(const std::vector<OutputConfig>& configs,
                                           const std::string& data_dir, std::string* error);
  void start();
  void stop();  // drains briefly; the rest goes to the dead-letter files
  bool empty() const { return outputs_.empty(); }

  // From ingest, after the commit: the alerts among `events` whose index is in
  // `stored` (IngestResult::stored_index). `store` names the agent's host.
  void submit(Store& store, const std::string& agent_id, const std::vector<IngestEvent>& events,
              const std::vector<uint32_t>& stored);

  // f("forward.<name>.<counter>", value) for every output's counters.
  template <class F>
  void visit(F&& f) const {
    for (const auto& o : outputs_) {
      std::string prefix = "forward." + o->name() + ".";
      o->counters().visit([&](const char* n, uint64_t v) { f(prefix + n, v); });
    }
  }
  void add_to(nlohmann::json& out) const {
    visit([&](const std::string& n, uint64_t v) { out[n] = v; });
  }
  const std::vector<std::unique_ptr<Output>>& outputs() const { return outputs_; }

 private:
  std::string hostname_of(Store& store, const std::string& agent_id);

  std::vector<std::unique_ptr<Output>> outputs_;
  std::mutex host_mu_;
  std::unordered_map<std::string, std::string> hosts_;
};

}  // namespace vigil::collector::forward
