#include "collector/rule_disable.h"

#include <cctype>
#include <optional>
#include <vector>

namespace vigil::collector {
namespace {

bool space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

// The sid option of a rule's text ("sid:2001;", spaces allowed), if any.
std::optional<int64_t> rule_sid(std::string_view rule) {
  size_t open = rule.find('(');
  if (open == std::string_view::npos) return std::nullopt;
  size_t pos = open;
  while ((pos = rule.find("sid", pos + 1)) != std::string_view::npos) {
    // The option name starts after '(' or ';' (and spaces), and is not "gid"/"...sid" of another word.
    size_t b = pos;
    while (b > open + 1 && space(rule[b - 1])) --b;
    if (rule[b - 1] != '(' && rule[b - 1] != ';') continue;
    size_t i = pos + 3;
    while (i < rule.size() && space(rule[i])) ++i;
    if (i >= rule.size() || rule[i] != ':') continue;
    ++i;
    while (i < rule.size() && space(rule[i])) ++i;
    int64_t v = 0;
    size_t digits = 0;
    while (i < rule.size() && std::isdigit(static_cast<unsigned char>(rule[i])) && digits < 12) {
      v = v * 10 + (rule[i] - '0');
      ++i, ++digits;
    }
    if (digits) return v;
  }
  return std::nullopt;
}

// Calls f(first_line, last_line, rule_text, commented) for each rule of
// `lines`; a rule continues over lines ending with a backslash.
template <typename F>
void each_rule(const std::vector<std::string_view>& lines, F f) {
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view l = lines[i];
    size_t s = 0;
    while (s < l.size() && space(l[s])) ++s;
    if (s == l.size()) continue;
    bool commented = l[s] == '#';
    std::string rule;
    size_t j = i;
    for (;; ++j) {
      std::string_view x = lines[j];
      while (!x.empty() && space(x.back())) x.remove_suffix(1);
      bool more = !x.empty() && x.back() == '\\' && j + 1 < lines.size();
      if (more) x.remove_suffix(1);
      rule += x;
      if (!more) break;
    }
    f(i, j, rule, commented);
    i = j;
  }
}

std::vector<std::string_view> split_lines(std::string_view text) {
  std::vector<std::string_view> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    if (nl == std::string_view::npos) nl = text.size();
    out.push_back(text.substr(start, nl - start));
    start = nl + 1;
  }
  return out;
}

}  // namespace

std::string apply_disabled_sids(std::string_view text, const std::set<int64_t>& disabled) {
  if (disabled.empty()) return std::string(text);
  auto lines = split_lines(text);
  std::vector<bool> comment(lines.size(), false);
  each_rule(lines, [&](size_t a, size_t b, const std::string& rule, bool commented) {
    if (commented) return;
    auto sid = rule_sid(rule);
    if (sid && disabled.count(*sid))
      for (size_t k = a; k <= b; ++k) comment[k] = true;
  });
  std::string out;
  out.reserve(text.size() + 64);
  for (size_t k = 0; k < lines.size(); ++k) {
    if (comment[k]) out += "# ";
    out += lines[k];
    if (k + 1 < lines.size() || (!text.empty() && text.back() == '\n')) out += '\n';
  }
  return out;
}

bool ruleset_has_sid(std::string_view text, int64_t sid) {
  bool found = false;
  each_rule(split_lines(text), [&](size_t, size_t, const std::string& rule, bool) {
    if (!found && rule_sid(rule) == sid) found = true;
  });
  return found;
}

}  // namespace vigil::collector
