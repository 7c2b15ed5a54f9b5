#pragma once
// The request headers the pipeline is given. Looked up on every delivery: built with the per-delivery path.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dispatch/json_io.hpp"
#include "dispatch/result.hpp"

namespace dispatch {

// Request headers, looked up by name without regard to case.
class header_map {
 public:
  // Adds a header; a name added twice keeps the first value.
  void add(std::string_view name, std::string_view value);
  // Returns the value of header `name`, or nullopt if it was not sent.
  std::optional<std::string_view> find(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;  // lowercase name, value
};

// Reads an object of header name -> string value. Returns the headers; otherwise an error with code
// `headers_invalid` (not an object, a value that is not a string, a name given twice in different case).
result<header_map> parse_headers(const json& headers);

}  // namespace dispatch
