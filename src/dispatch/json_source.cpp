#include "dispatch/json_source.hpp"

#include <algorithm>

namespace dispatch {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

class mapper {
 public:
  explicit mapper(std::string_view text) : text_(text) {}

  void skip(std::size_t count) { at_ += count; }

  json_span value(int depth) {
    skip_space();
    json_span out;
    out.begin = at_;
    if (at_ >= text_.size()) {
      out.end = at_;
      return out;
    }
    const char c = text_[at_];
    if (c == '"') {
      skip_string();
    } else if ((c == '{' || c == '[') && depth <= 0) {
      skip_nested();
    } else if (c == '{') {
      ++at_;
      skip_space();
      while (at_ < text_.size() && text_[at_] != '}') {
        const auto key_begin = at_;
        skip_string();
        out.keys.emplace_back(key_begin, at_);
        skip_space();
        ++at_;  // ':'
        out.items.push_back(value(depth - 1));
        skip_space();
        if (at_ < text_.size() && text_[at_] == ',') ++at_;
        skip_space();
      }
      ++at_;
    } else if (c == '[') {
      ++at_;
      skip_space();
      while (at_ < text_.size() && text_[at_] != ']') {
        out.items.push_back(value(depth - 1));
        skip_space();
        if (at_ < text_.size() && text_[at_] == ',') ++at_;
        skip_space();
      }
      ++at_;
    } else {
      while (at_ < text_.size() && !is_space(text_[at_]) && text_[at_] != ',' && text_[at_] != '}' && text_[at_] != ']')
        ++at_;
    }
    out.end = std::min(at_, text_.size());
    return out;
  }

 private:
  void skip_space() {
    while (at_ < text_.size() && is_space(text_[at_])) ++at_;
  }

  void skip_string() {
    ++at_;  // the opening quote
    while (at_ < text_.size() && text_[at_] != '"') at_ += text_[at_] == '\\' ? 2 : 1;
    ++at_;
  }

  // Skips an object or array without mapping it (strings may hold brackets).
  void skip_nested() {
    int open = 0;
    do {
      const char c = text_[at_];
      if (c == '"') {
        skip_string();
        continue;
      }
      if (c == '{' || c == '[') ++open;
      if (c == '}' || c == ']') --open;
      ++at_;
    } while (open > 0 && at_ < text_.size());
  }

  std::string_view text_;
  std::size_t at_ = 0;
};

int hex_value(std::string_view digits) {
  int value = 0;
  for (const char c : digits) value = value * 16 + (c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
  return value;
}

}  // namespace

json_span map_json(std::string_view text, int max_depth) {
  // A UTF-8 byte order mark before the document is skipped, as the parser skips it.
  mapper reader(text);
  if (text.substr(0, 3) == "\xEF\xBB\xBF") reader.skip(3);
  return reader.value(max_depth);
}

json_span find_member(std::string_view text, const std::vector<std::string_view>& path) {
  auto span = map_json(text, static_cast<int>(path.size()));
  for (const auto name : path) {
    if (span.begin >= text.size() || text[span.begin] != '{') return {};
    // The last of repeated members is the one a JSON parser keeps. Member names of the admin API and the
    // preview are plain ASCII: compared as written.
    std::size_t found = span.keys.size();
    for (std::size_t i = 0; i < span.keys.size(); ++i) {
      const auto [begin, end] = span.keys[i];
      if (text.substr(begin + 1, end - begin - 2) == name) found = i;
    }
    if (found == span.keys.size()) return {};
    // The child is taken out before it replaces its parent: moving it straight into `span` would free the
    // parent's items (and so the child) while the child is still being read, as libc++ does.
    json_span child = std::move(span.items[found]);
    span = std::move(child);
  }
  return span;
}

line_index::line_index(std::string_view text) {
  starts_.push_back(0);
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') starts_.push_back(i + 1);
  }
}

std::pair<int, int> line_index::position(std::size_t offset) const {
  const auto line = std::upper_bound(starts_.begin(), starts_.end(), offset) - starts_.begin();
  return {static_cast<int>(line), static_cast<int>(offset - starts_[static_cast<std::size_t>(line) - 1]) + 1};
}

std::size_t literal_offset(std::string_view literal, std::size_t decoded) {
  std::size_t at = 1;  // after the opening quote
  std::size_t produced = 0;
  while (at + 1 < literal.size() && produced < decoded) {
    if (literal[at] != '\\') {
      ++at;
      ++produced;
      continue;
    }
    if (literal[at + 1] != 'u' || at + 6 > literal.size()) {
      at += 2;
      ++produced;
      continue;
    }
    const int unit = hex_value(literal.substr(at + 2, 4));
    const bool pair = unit >= 0xD800 && unit <= 0xDBFF && at + 12 <= literal.size() && literal[at + 6] == '\\' &&
                      literal[at + 7] == 'u';
    at += pair ? 12 : 6;
    produced += pair ? 4 : unit < 0x80 ? 1 : unit < 0x800 ? 2 : 3;
  }
  return at;
}

std::size_t offset_of(std::string_view text, int line, int column) {
  std::size_t at = 0;
  for (int current = 1; current < line && at < text.size(); ++at) {
    if (text[at] == '\n') ++current;
  }
  return std::min(text.size(), at + static_cast<std::size_t>(std::max(column, 1) - 1));
}

}  // namespace dispatch
