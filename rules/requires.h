// The `requires` rule option (Suricata 7.0.3+): a rule states the engine
// version and features it needs, and an engine that lacks them skips the
// rule instead of failing it, so newer rules load quietly on older engines.
//
//   requires: feature ja3, version >= 7.0.3 < 8 | >= 8.0.1;
//
// Requirements are comma-separated and must all hold. A version requirement
// is alternatives separated by '|', each a list of "OP VERSION" conditions
// that must all hold (OP one of < <= > >= =; VERSION "8", "8.0" or "8.0.1",
// missing parts 0). Vigil compares against the Suricata version whose rule
// language it implements (kRequiresVersion). Features Vigil has: ja3, ja4.
// An unknown requirement kind counts as not met.
#pragma once

#include <string>
#include <string_view>

namespace vigil::rules {

inline constexpr int kRequiresVersion[3] = {9, 0, 0};

struct RequiresCheck {
  bool invalid = false;  // syntax error: the rule fails
  bool met = true;       // all requirements hold
  std::string why;       // the error, or the first requirement not met
};

RequiresCheck check_requires(std::string_view value);

}  // namespace vigil::rules
