#pragma once
// UTF-8 text primitives: counting, cutting and cleaning code points. Nothing here knows about Discord.

#include <cstddef>
#include <string>
#include <string_view>

namespace dispatch {

// Returns the number of code points in UTF-8 text (a malformed byte counts as one).
std::size_t count_chars(std::string_view text);

// Returns `text` cut to at most `limit` code points on a code point boundary, ending in "…" when cut.
std::string truncate_chars(std::string_view text, std::size_t limit);

// Returns `text` with control characters other than newline and tab removed, and invalid UTF-8 replaced
// by U+FFFD, so that nothing invisible or undecodable reaches a message.
std::string clean_text(std::string_view text);

// Returns true if clean_text would return `text` as it is.
bool is_clean_text(std::string_view text);

}  // namespace dispatch
