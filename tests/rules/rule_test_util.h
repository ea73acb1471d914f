// Helpers for the rules tests: parse one rule, run its payload list, build
// packets by hand.
#pragma once

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "rules/engine.h"
#include "rules/match_buffer.h"
#include "rules/parser.h"

namespace vigil::rules::test {

inline const ClassMap& test_classes() {
  static const ClassMap m = {{"trojan-activity", {"A Network Trojan was detected", 1}},
                             {"misc-activity", {"Misc activity", 3}}};
  return m;
}

inline ParseContext test_ctx() {
  ParseContext c;
  c.addr_vars = default_address_vars();
  c.port_vars = default_port_vars();
  c.classes = &test_classes();
  return c;
}

inline std::unique_ptr<Rule> parse(const std::string& text, std::string* err = nullptr,
                                   Dialect d = Dialect::kSuricata) {
  ParseFailure f;
  auto r = parse_rule(text, d, test_ctx(), f);
  if (err) *err = f.reason;
  return r;
}

// Parses "alert tcp any any -> any any (OPTS sid:1;)" and runs the payload list on data.
inline bool payload_matches(const std::string& opts, const std::string& data) {
  auto r = parse("alert tcp any any -> any any (" + opts + " sid:1;)");
  if (!r) return false;
  const BufferList* l = r->list_for(kSlotPayload);
  if (!l) return false;
  BufCtx c;
  c.data = reinterpret_cast<const uint8_t*>(data.data());
  c.len = data.size();
  return match_list(*l, c);
}

// Builds an engine from rule text (written to a temporary rules file, as
// the agent loads them); r gets the load report.
inline std::shared_ptr<const Engine> load_text(const std::string& text, LoadReport& r) {
  auto path =
      (std::filesystem::temp_directory_path() / ("vigil-rules-test-" + std::to_string(getpid()) + ".rules"))
          .string();
  std::ofstream(path) << text;
  LoadOptions o;
  o.files = {path};
  auto e = build_engine(o, r);
  std::filesystem::remove(path);
  return e;
}

// An engine from rule text that must load whole (every failure shown).
inline std::shared_ptr<const Engine> load_all(const std::string& text) {
  LoadReport r;
  auto e = load_text(text, r);
  REQUIRE(e);
  for (auto& err : r.errors) INFO(err);
  REQUIRE(r.rules_failed == 0);
  return e;
}

// The sids an engine alerts with, in order.
struct CollectSids : AlertSink {
  std::vector<uint32_t> sids;
  void alert(const AlertEvent& a) override { sids.push_back(a.sid); }
};

}  // namespace vigil::rules::test
