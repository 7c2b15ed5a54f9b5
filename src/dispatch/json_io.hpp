#pragma once
// The only place that parses or writes JSON. Both directions are non-throwing on untrusted data.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "dispatch/result.hpp"

namespace dispatch {

using json = nlohmann::json;
using ordered_json = nlohmann::ordered_json;

// Nesting deeper than this is refused: Bitbucket payloads nest about ten levels.
inline constexpr int max_json_depth = 128;

// Parses one JSON document (UTF-8, nothing after it; a leading BOM is skipped). Returns the value; otherwise an error
// with code `json_syntax` or `json_too_deep`, the reason, and the 1-based line and column of the fault (for too deep,
// the bracket that goes one level past the limit).
result<json> parse_json(std::string_view text);

// As parse_json, keeping objects' members in document order (for templates, whose order is the output's).
// Reads with nlohmann's parser alone.
result<ordered_json> parse_ordered_json(std::string_view text);

namespace detail {

// The fast reader alone: returns true and sets `out` when `text` is one valid JSON document within
// max_json_depth, exactly as nlohmann would read it; otherwise false (parse_json then asks nlohmann, which
// places the fault). Exposed for the differential tests and the fuzzer.
bool fast_parse(std::string_view text, json& out);

// nlohmann's own parse with our depth limit and error positions: what parse_json answers for any input.
result<json> reference_parse_json(std::string_view text);

// Returns true if `a` and `b` are the same tree: same types (unsigned, integer and float told apart), same
// values (the sign of zero included).
bool same_json(const json& a, const json& b);

// nlohmann's own compact dump with invalid UTF-8 replaced: what dump_json writes, byte for byte. For the
// differential tests and the fuzzer.
std::string reference_dump_json(const ordered_json& value);

}  // namespace detail

// Writes `value` compactly, replacing invalid UTF-8 with U+FFFD instead of failing.
std::string dump_json(const ordered_json& value);

// Writes `value` with two-space indentation, for people.
std::string dump_json_pretty(const ordered_json& value);

}  // namespace dispatch
