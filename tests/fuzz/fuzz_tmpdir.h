// A private scratch directory for one fuzz process (the targets whose code
// under test writes files: the collector's SQLite store, rule-set validation,
// dataset files named by rules), under $TMPDIR (default /tmp), removed at exit.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>

namespace vigil::fuzz {

inline const std::string& tmpdir() {
  // On the heap and never freed: the exit handler below runs after the
  // destructors of statics made before it.
  static const std::string* dir = [] {
    const char* t = std::getenv("TMPDIR");
    std::string tmpl = std::string(t && *t ? t : "/tmp") + "/vigil-fuzz-XXXXXX";
    if (!mkdtemp(tmpl.data())) std::abort();
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(tmpdir(), ec);
    });
    return new std::string(tmpl);
  }();
  return *dir;
}

}  // namespace vigil::fuzz
