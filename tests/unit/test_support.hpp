#pragma once
// Helpers the native test files share (test code may read files; the core may not).

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace dispatch::testing {

// Returns the bytes of a file, or "" if it cannot be read.
inline std::string read_all(const std::filesystem::path& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << file.rdbuf();
  return buffer.str();
}

// The shared data beside the repository (fixtures, the Mustache spec): ../shared, or $DISPATCH_SHARED.
inline std::filesystem::path shared_dir() {
  const char* given = std::getenv("DISPATCH_SHARED");
  return given != nullptr ? std::filesystem::path(given) : std::filesystem::path(DISPATCH_SOURCE_DIR) / "../shared";
}

// The exit status ctest counts as skipped (SKIP_RETURN_CODE in CMakeLists.txt).
inline constexpr int skip_exit_code = 77;

// Stands a test case aside when `needed` (under shared_dir()) is not there: under ctest, which sets
// DISPATCH_SKIP_EXIT, the case's process prints why and exits 77, so it is counted as skipped, never as
// passed; run by hand, it warns. Returns true when the case must stop.
inline bool shared_missing(const std::filesystem::path& needed) {
  if (std::filesystem::exists(needed)) return false;
  const auto why =
      "skipped: " + needed.lexically_normal().string() + " is not here (../shared is not beside the repository)";
  if (std::getenv("DISPATCH_SKIP_EXIT") != nullptr) {
    std::cout << why << std::endl;
    std::exit(skip_exit_code);
  }
  WARN(why);
  return true;
}

}  // namespace dispatch::testing
