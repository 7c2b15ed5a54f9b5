// libFuzzer target for the JSON reader alone: any bytes must get the same answer from the fast reader and
// from nlohmann. Much faster than the pipeline target, so it goes deeper into the reader.
//
//   cmake --preset fuzz && cmake --build --preset fuzz && build/fuzz/dispatch_fuzz_json -dict=tests/fuzz/json.dict

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "json_oracle.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  dispatch::fuzzing::check_reader(text);
  return 0;
}
