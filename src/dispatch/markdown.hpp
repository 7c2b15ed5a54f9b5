#pragma once
// Discord markdown: escaping user text that lands where Discord renders markdown.

#include <string>
#include <string_view>

namespace dispatch {

// Returns `text` with Discord markdown's special characters backslash-escaped (# and - only at a line's start), for
// user text that lands where Discord renders markdown (descriptions, field values).
std::string escape_markdown(std::string_view text);

}  // namespace dispatch
