// Whole-file reads for load-time code (rule files, lists, configs, cached
// databases): one read into a string of the file's size, no stream copy.
//
// Any thread; never on the packet path.
#pragma once

#include <string>

namespace vigil {

// Reads the file at path into out (binary, whole). False when it cannot be
// opened or read; out is then unspecified.
bool read_file(const std::string& path, std::string& out);

}  // namespace vigil
