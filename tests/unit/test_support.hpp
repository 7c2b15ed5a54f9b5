#pragma once
// Helpers the native test files share (test code may read files; the core may not).

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace dispatch::testing {

// Returns the bytes of a file, or "" if it cannot be read.
inline std::string read_all(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

}  // namespace dispatch::testing
