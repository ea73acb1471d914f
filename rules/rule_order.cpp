#include "rules/rule_order.h"

#include <algorithm>

namespace vigil::rules {

namespace {

int action_rank(Action a) {
  switch (a) {
    case Action::kPass:
      return 0;
    case Action::kDrop:
      return 1;
    case Action::kReject:
      return 2;
    default:
      return 3;
  }
}

// Flowbit setters before readers.
int bits_rank(const Rule& r) {
  bool sets = r.sets_bits, reads = false;
  for (auto& b : r.flowbits) reads = reads || b.is_condition();
  for (auto& x : r.xbits) reads = reads || x.is_condition();
  for (auto& i : r.flowints) reads = reads || i.is_condition();
  if (sets && !reads) return 0;
  if (sets && reads) return 1;
  if (reads) return 2;
  return 3;
}

}  // namespace

void order_rules(std::vector<std::unique_ptr<Rule>>& rules) {
  std::stable_sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) {
    int aa = action_rank(a->action), ab = action_rank(b->action);
    if (aa != ab) return aa < ab;
    int ba = bits_rank(*a), bb = bits_rank(*b);
    if (ba != bb) return ba < bb;
    return a->priority < b->priority;
  });
  for (size_t i = 0; i < rules.size(); ++i) rules[i]->index = uint32_t(i);
}

}  // namespace vigil::rules
