#include "common/file_io.h"

#include <fstream>

namespace vigil {

// One read into a string of the file's size (a stringstream copy cost ~10%
// of a warm ET Open load; reputation lists can be tens of MB).
bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return false;
  auto size = in.tellg();
  if (size < 0) return false;
  out.resize(size_t(size));
  in.seekg(0);
  in.read(out.data(), size);
  return bool(in) || in.eof();
}

}  // namespace vigil
