#include "dispatch/text.hpp"

#include <algorithm>
#include <cstdint>

namespace dispatch {
namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";     // U+2026
constexpr std::string_view replacement = "\xEF\xBF\xBD";  // U+FFFD

// Returns the length of the well-formed UTF-8 sequence at text[i], or 0 if it is malformed.
std::size_t sequence_length(std::string_view text, std::size_t i) {
  const auto byte = [&](std::size_t k) { return static_cast<std::uint8_t>(text[k]); };
  const std::uint8_t lead = byte(i);
  std::size_t length;
  std::uint32_t code_point;
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
    code_point = lead & 0x1F;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    code_point = lead & 0x0F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    code_point = lead & 0x07;
  } else {
    return 0;
  }
  if (i + length > text.size()) return 0;
  for (std::size_t k = 1; k < length; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) return 0;
    code_point = code_point << 6 | (byte(i + k) & 0x3F);
  }
  const bool overlong = (length == 3 && code_point < 0x800) || (length == 4 && code_point < 0x10000);
  const bool surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
  if (overlong || surrogate || code_point > 0x10FFFF) return 0;
  return length;
}

}  // namespace

std::size_t count_chars(std::string_view text) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < text.size();) {
    i += std::max<std::size_t>(sequence_length(text, i), 1);
    ++count;
  }
  return count;
}

std::string truncate_chars(std::string_view text, std::size_t limit) {
  if (count_chars(text) <= limit) return std::string(text);
  if (limit == 0) return {};
  std::size_t i = 0;
  for (std::size_t kept = 0; kept + 1 < limit && i < text.size(); ++kept) {
    i += std::max<std::size_t>(sequence_length(text, i), 1);
  }
  std::string out(text.substr(0, i));
  // Whitespace just before the ellipsis reads as a gap; drop it.
  while (!out.empty() && (out.back() == ' ' || out.back() == '\n' || out.back() == '\t')) out.pop_back();
  return out.append(ellipsis);
}

namespace {

// Returns the offset of the first byte from `from` on that clean_text would not copy as it is (a control
// character to drop, a byte of invalid UTF-8), or text.size().
std::size_t next_unclean(std::string_view text, std::size_t from) {
  for (std::size_t i = from; i < text.size();) {
    const auto c = static_cast<std::uint8_t>(text[i]);
    if ((c >= 0x20 && c < 0x7F) || c == '\n' || c == '\t') {
      ++i;
      continue;
    }
    const auto length = sequence_length(text, i);
    // C1 controls (U+0080..U+009F) are encoded as C2 80..C2 9F.
    if (length <= 1 || (length == 2 && c == 0xC2 && static_cast<std::uint8_t>(text[i + 1]) < 0xA0)) return i;
    i += length;
  }
  return text.size();
}

}  // namespace

bool is_clean_text(std::string_view text) { return next_unclean(text, 0) == text.size(); }

std::string clean_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  // Copy what needs no change in runs, up to each byte that does.
  for (std::size_t i = 0; i < text.size();) {
    const auto end = next_unclean(text, i);
    out.append(text.substr(i, end - i));
    if (end == text.size()) break;
    const auto length = sequence_length(text, end);
    if (length == 0) {
      out.append(replacement);
      i = end + 1;
    } else {
      i = end + length;  // a control character, dropped
    }
  }
  return out;
}

}  // namespace dispatch
