#include "dispatch/markdown.hpp"

namespace dispatch {

std::string escape_markdown(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  bool line_start = true;
  bool line_digits = false;  // only digits since the line's start
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    switch (c) {
      case '\\':
      case '*':
      case '_':
      case '~':
      case '`':
      case '|':
      case '<':
      case '>':
      case '[':
      case ']':
        out += '\\';
        break;
      case '#':
      case '-':
        // Headings and list items only begin a line.
        if (line_start) out += '\\';
        break;
      case '.':
        // "1. " begins a numbered list only where the digits begin a line.
        if (line_digits && i + 1 < text.size() && text[i + 1] == ' ') out += '\\';
        break;
      default:
        break;
    }
    out += c;
    const bool digit = c >= '0' && c <= '9';
    line_digits = digit && (line_start || line_digits);
    line_start = c == '\n' || (line_start && c == ' ');
  }
  return out;
}

}  // namespace dispatch
