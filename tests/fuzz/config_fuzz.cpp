// libFuzzer target: the agent's and the collector's configuration loaders
// over arbitrary YAML text. The first byte picks the loader (bit 0: agent,
// else collector) and whether the text's last line is also given as a --set
// KEY=VALUE (bit 1, agent only). What it holds the loaders to: no exception
// escapes and nothing crashes, whatever the file; and a configuration that
// loads is dumped to text that loads back to the same values.
#include <cstdlib>
#include <string>

#include "agent/config.h"
#include "collector/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string text(reinterpret_cast<const char*>(data + 1), size - 1);
  if (mode & 1) {
    std::vector<std::string> sets;
    if (mode & 2) {
      size_t nl = text.rfind('\n');
      sets.push_back(nl == std::string::npos ? text : text.substr(nl + 1));
    }
    auto r = vigil::load_config_text("fuzz.yaml", text, sets);
    if (r.ok) {
      auto back = vigil::load_config_text("dump.yaml", vigil::dump_config(r), {});
      if (!back.ok || back.values.all() != r.values.all()) std::abort();
    }
  } else {
    vigil::collector::CollectorConfig cfg;
    std::string err;
    if (vigil::collector::load_collector_config_text("fuzz.yaml", text, &cfg, &err)) {
      vigil::collector::CollectorConfig back;
      if (!vigil::collector::load_collector_config_text(
              "dump.yaml", vigil::collector::dump_collector_config(cfg), &back, &err) ||
          back.values.all() != cfg.values.all()) {
        std::abort();
      }
    }
  }
  return 0;
}
