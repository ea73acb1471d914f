#include "rules/rule_file_scope.h"

#include <filesystem>
#include <system_error>

namespace vigil::rules {

namespace fs = std::filesystem;

namespace {

// True when `p` is `dir` or below it (both already canonical).
bool is_under(const fs::path& p, const fs::path& dir) {
  auto d = dir.begin(), e = dir.end();
  auto i = p.begin();
  for (; d != e; ++d, ++i) {
    if (d->empty()) continue;  // a trailing separator
    if (i == p.end() || *i != *d) return false;
  }
  return true;
}

}  // namespace

std::string resolve_rule_file(std::string_view name, std::string_view rule_dir, const RuleFileScope& scope,
                              bool must_exist, std::string* path) {
  std::string quoted = "'" + std::string(name) + "'";
  if (name.empty()) return "file name is empty";
  fs::path p{std::string(name)};
  if (scope.confine_dir.empty()) {
    if (p.is_relative() && !rule_dir.empty()) p = fs::path(std::string(rule_dir)) / p;
    *path = p.string();
    return "";
  }
  if (name.find('\0') != std::string_view::npos) return "file name with a NUL byte";
  if (p.is_absolute() || p.has_root_name() || p.has_root_directory())
    return "file " + quoted + ": absolute paths are refused (name a file in the rule-file directory)";
  for (const auto& part : p) {
    if (part == "..") return "file " + quoted + ": '..' is refused (name a file in the rule-file directory)";
  }
  std::error_code ec;
  fs::path dir = fs::weakly_canonical(scope.confine_dir, ec);
  if (ec) return "file " + quoted + ": the rule-file directory cannot be resolved";
  fs::path full = dir / p;
  // Symlinks inside the directory are followed to where they lead: that must
  // still be under it.
  fs::path real = fs::weakly_canonical(full, ec);
  if (ec) return "file " + quoted + ": cannot be resolved (" + ec.message() + ")";
  if (!is_under(real, dir)) return "file " + quoted + ": resolves outside the rule-file directory";
  auto st = fs::status(real, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) return "file " + quoted + ": " + ec.message();
  if (st.type() == fs::file_type::not_found) {
    if (must_exist) return "file " + quoted + ": no such file in the rule-file directory";
  } else if (st.type() != fs::file_type::regular) {
    return "file " + quoted + ": not a regular file";
  }
  *path = real.string();
  return "";
}

}  // namespace vigil::rules
