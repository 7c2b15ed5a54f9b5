#pragma once
// The fuzzers' oracle for the JSON reader: it takes exactly the documents nlohmann takes and builds
// the same tree; parse_json answers nlohmann's error, position included, for everything else.

#include <cassert>
#include <string>
#include <string_view>

#include "dispatch/json_io.hpp"

namespace dispatch::fuzzing {

// Asserts that the fast reader, parse_json and nlohmann's parse agree on `text`.
inline void check_reader(std::string_view text) {
  dispatch::json fast;
  const bool took = dispatch::detail::fast_parse(text, fast);
  const auto reference = dispatch::detail::reference_parse_json(text);
  const auto parsed = dispatch::parse_json(text);
  assert(took == reference.ok());
  assert(parsed.ok() == reference.ok());
  // The compact writer answers nlohmann's dump for any text as a string (invalid UTF-8 included)...
  const dispatch::ordered_json as_string = std::string(text);
  assert(dispatch::dump_json(as_string) == dispatch::detail::reference_dump_json(as_string));
  if (took) {
    assert(dispatch::detail::same_json(fast, reference.value()));
    assert(dispatch::detail::same_json(parsed.value(), reference.value()));
    // ...and for any document.
    const dispatch::ordered_json document = reference.value();
    assert(dispatch::dump_json(document) == dispatch::detail::reference_dump_json(document));
  } else {
    assert(parsed.error().code == reference.error().code);
    assert(parsed.error().message == reference.error().message);
    assert(parsed.error().line == reference.error().line && parsed.error().column == reference.error().column);
  }
}

}  // namespace dispatch::fuzzing
