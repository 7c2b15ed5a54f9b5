#pragma once
// Where values stand in a JSON text: for errors that point at what the user wrote. Works on text already
// known to be one valid JSON document (parse it first); never reads past the end of it.

#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

namespace dispatch {

// A value of a JSON text and, for objects and arrays, where each member or element stands. Offsets are
// bytes from the start of the text; `end` is one past the value's last byte.
struct json_span {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::vector<std::pair<std::size_t, std::size_t>> keys;  // an object's member names, quotes included
  std::vector<json_span> items;                           // an object's member values or an array's elements
};

// Maps the values of a valid JSON text, `max_depth` levels deep (deeper values are mapped as a whole).
json_span map_json(std::string_view text, int max_depth);

// Finds the value at `path` (member names) in a valid JSON text. Returns its span; an empty one ({0, 0})
// when a member is missing or a value on the way is not an object.
json_span find_member(std::string_view text, const std::vector<std::string_view>& path);

// Turns byte offsets of one text into 1-based lines and columns (bytes), in O(log lines) each.
class line_index {
 public:
  explicit line_index(std::string_view text);
  std::pair<int, int> position(std::size_t offset) const;

 private:
  std::vector<std::size_t> starts_;  // the offset at which each line starts
};

// Given a JSON string literal as written (quotes included), returns the offset within it of the source text
// that decodes to byte `decoded` of the string's value: escapes (\n, \", \uXXXX, surrogate pairs) are
// counted as what they were written as.
std::size_t literal_offset(std::string_view literal, std::size_t decoded);

// Returns the byte offset of 1-based `line` and `column` (bytes) in `text`, or text.size() past its end.
std::size_t offset_of(std::string_view text, int line, int column);

}  // namespace dispatch
