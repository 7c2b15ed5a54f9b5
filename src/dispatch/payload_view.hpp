#pragma once
// Null-safe, type-checked reads over a parsed payload: a missing key, a null or a wrong type reads as
// absent, never as an exception.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dispatch/json_io.hpp"

namespace dispatch {

// A possibly-absent node of a JSON document. Copying is cheap; the document must outlive the view.
class payload_view {
 public:
  payload_view() = default;
  explicit payload_view(const json& node) : node_(&node) {}

  // Returns the member `key` of an object, or an absent view.
  payload_view operator[](std::string_view key) const;
  // Returns the element `index` of an array, or an absent view.
  payload_view operator[](std::size_t index) const;

  // Returns true if the node exists and is not null.
  bool present() const { return node_ != nullptr && !node_->is_null(); }
  bool is_object() const { return node_ != nullptr && node_->is_object(); }
  bool is_array() const { return node_ != nullptr && node_->is_array(); }

  // Returns the string if this is a string; otherwise `fallback`.
  std::string_view str(std::string_view fallback = {}) const;
  // Returns the integer if this is an integral number.
  std::optional<std::int64_t> integer() const;
  // Returns the boolean if this is a boolean.
  std::optional<bool> boolean() const;
  // Returns the number of elements of an array; 0 otherwise.
  std::size_t size() const;

 private:
  const json* node_ = nullptr;
};

// Returns the first non-empty string among the views, or "" if none is.
std::string_view first_string(std::initializer_list<payload_view> candidates);

}  // namespace dispatch
