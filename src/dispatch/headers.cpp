#include "dispatch/headers.hpp"

namespace dispatch {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

void header_map::add(std::string_view name, std::string_view value) {
  auto key = lowercase(name);
  if (!find(key)) entries_.emplace_back(std::move(key), std::string(value));
}

std::optional<std::string_view> header_map::find(std::string_view name) const {
  const auto key = lowercase(name);
  for (const auto& [entry_name, value] : entries_) {
    if (entry_name == key) return std::string_view(value);
  }
  return std::nullopt;
}

result<header_map> parse_headers(const json& headers) {
  if (!headers.is_object()) return make_error(codes::headers_invalid, "headers must be a JSON object of name -> value");
  header_map map;
  for (const auto& [name, value] : headers.items()) {
    if (!value.is_string()) {
      return make_error(codes::headers_invalid, "header \"" + name + "\" must have a string value");
    }
    if (map.find(name)) {
      return make_error(codes::headers_invalid, "header \"" + name + "\" is given twice (names ignore case)");
    }
    map.add(name, value.get_ref<const std::string&>());
  }
  return map;
}

}  // namespace dispatch
