#include "dispatch/payload_view.hpp"

namespace dispatch {

payload_view payload_view::operator[](std::string_view key) const {
  if (!is_object()) return {};
  const auto it = node_->find(key);
  return it == node_->end() ? payload_view{} : payload_view{*it};
}

payload_view payload_view::operator[](std::size_t index) const {
  if (!is_array() || index >= node_->size()) return {};
  return payload_view{(*node_)[index]};
}

std::string_view payload_view::str(std::string_view fallback) const {
  if (node_ == nullptr || !node_->is_string()) return fallback;
  return node_->get_ref<const json::string_t&>();
}

std::optional<std::int64_t> payload_view::integer() const {
  if (node_ == nullptr) return std::nullopt;
  if (node_->is_number_integer() && !node_->is_number_unsigned()) return node_->get<std::int64_t>();
  if (node_->is_number_unsigned()) {
    const auto value = node_->get<std::uint64_t>();
    if (value <= static_cast<std::uint64_t>(INT64_MAX)) return static_cast<std::int64_t>(value);
  }
  return std::nullopt;
}

std::optional<bool> payload_view::boolean() const {
  if (node_ == nullptr || !node_->is_boolean()) return std::nullopt;
  return node_->get<bool>();
}

std::size_t payload_view::size() const { return is_array() ? node_->size() : 0; }

std::string_view first_string(std::initializer_list<payload_view> candidates) {
  for (const auto& candidate : candidates) {
    if (const auto text = candidate.str(); !text.empty()) return text;
  }
  return {};
}

}  // namespace dispatch
