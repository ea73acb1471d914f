#include "common/file_io.h"

#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>

#include "common/encoding.h"

using namespace vigil;

TEST_CASE("read_file reads a whole binary file, and fails on a missing one") {
  auto path = std::filesystem::temp_directory_path() / ("vigil-file-io-" + std::to_string(getpid()));
  std::string data("a\0b\r\nc", 6);
  std::ofstream(path, std::ios::binary) << data;
  std::string out = "old";
  CHECK(read_file(path.string(), out));
  CHECK(out == data);
  std::filesystem::remove(path);
  CHECK_FALSE(read_file(path.string(), out));
  std::ofstream(path, std::ios::binary).close();
  CHECK(read_file(path.string(), out));
  CHECK(out.empty());
  std::filesystem::remove(path);
}

TEST_CASE("hexval: both cases, nothing else") {
  CHECK(hexval('0') == 0);
  CHECK(hexval('9') == 9);
  CHECK(hexval('a') == 10);
  CHECK(hexval('F') == 15);
  CHECK(hexval('g') == -1);
  CHECK(hexval(' ') == -1);
  CHECK(hexval('\xff') == -1);
}
