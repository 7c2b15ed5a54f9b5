#include "dispatch/json_in.hpp"

#include <algorithm>

namespace dispatch {
namespace {

// Builds the DOM like nlohmann's own parser, but records where and why parsing failed and refuses
// nesting past max_json_depth.
template <class Json>
class recording_parser {
 public:
  using number_integer_t = typename Json::number_integer_t;
  using number_unsigned_t = typename Json::number_unsigned_t;
  using number_float_t = typename Json::number_float_t;
  using string_t = typename Json::string_t;
  using binary_t = typename Json::binary_t;

  explicit recording_parser(Json& root) : dom_(root, false) {}

  bool null() { return dom_.null(); }
  bool boolean(bool value) { return dom_.boolean(value); }
  bool number_integer(number_integer_t value) { return dom_.number_integer(value); }
  bool number_unsigned(number_unsigned_t value) { return dom_.number_unsigned(value); }
  bool number_float(number_float_t value, const string_t& text) { return dom_.number_float(value, text); }
  bool string(string_t& value) { return dom_.string(value); }
  bool binary(binary_t& value) { return dom_.binary(value); }
  bool start_object(std::size_t size) { return deeper() && dom_.start_object(size); }
  bool key(string_t& value) { return dom_.key(value); }
  bool end_object() {
    --depth_;
    return dom_.end_object();
  }
  bool start_array(std::size_t size) { return deeper() && dom_.start_array(size); }
  bool end_array() {
    --depth_;
    return dom_.end_array();
  }
  bool parse_error(std::size_t position, const std::string&, const nlohmann::detail::exception& failure) {
    position_ = position;
    reason_ = failure.what();
    // nlohmann's text is "[json.exception.parse_error.101] parse error at line 1, column 2: <why>";
    // keep <why>, since the position is reported separately.
    if (const auto colon = reason_.find(": "); colon != std::string::npos) reason_.erase(0, colon + 2);
    return false;
  }

  bool too_deep() const { return too_deep_; }
  std::size_t position() const { return position_; }
  const std::string& reason() const { return reason_; }

 private:
  bool deeper() {
    if (++depth_ > max_json_depth) {
      too_deep_ = true;
      return false;
    }
    return true;
  }

  nlohmann::detail::json_sax_dom_parser<Json> dom_;
  int depth_ = 0;
  bool too_deep_ = false;
  std::size_t position_ = 0;
  std::string reason_;
};

// Turns a byte offset (nlohmann counts the byte that failed as read) into a 1-based line and column.
std::pair<int, int> line_and_column(std::string_view text, std::size_t position) {
  const std::size_t end = std::min(position, text.size());
  int line = 1;
  std::size_t line_start = 0;
  for (std::size_t i = 0; i < end; ++i) {
    if (text[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  const auto column = static_cast<int>(end - line_start) + (position > text.size() ? 1 : 0);
  return {line, std::max(column, 1)};
}

// Returns the offset of the bracket that nests past max_json_depth (outside strings), or text.size().
std::size_t too_deep_at(std::string_view text) {
  int depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > max_json_depth) return i;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return text.size();
}

template <class Json>
result<Json> parse_document(std::string_view text) {
  Json root;
  recording_parser<Json> handler(root);
  const bool parsed = Json::sax_parse(text.begin(), text.end(), &handler, Json::input_format_t::json, true);
  if (parsed) return root;
  if (handler.too_deep()) {
    const auto [line, column] = line_and_column(text, too_deep_at(text) + 1);
    return make_error("json_too_deep", "JSON nests deeper than " + std::to_string(max_json_depth) + " levels", line,
                      column);
  }
  const auto [line, column] = line_and_column(text, handler.position());
  return make_error("json_syntax", handler.reason(), line, column);
}

}  // namespace

result<json> parse_json(std::string_view text) { return parse_document<json>(text); }

result<ordered_json> parse_ordered_json(std::string_view text) { return parse_document<ordered_json>(text); }

std::string dump_json(const ordered_json& value) {
  return value.dump(-1, ' ', false, ordered_json::error_handler_t::replace);
}

std::string dump_json_pretty(const ordered_json& value) {
  return value.dump(2, ' ', false, ordered_json::error_handler_t::replace);
}

}  // namespace dispatch
