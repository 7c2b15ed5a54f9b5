#pragma once
// A value or an error, never both. Untrusted input is answered with a result, not an exception.

#include <string>
#include <utility>
#include <variant>

#include "dispatch/codes.hpp"

namespace dispatch {

// What went wrong: a stable snake_case `code` for programs, a human `message`, and where (1-based line and
// column) when the input has positions; 0 when it does not. `field` names the member of a request or
// setting at fault ("events.mode", "templates"), when there is one.
struct error {
  std::string code;
  std::string message;
  int line = 0;
  int column = 0;
  std::string field = {};
};

// Holds either a T or an error. ok() says which; value() and error() may be called only on the matching side.
template <class T>
class result {
 public:
  result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
  result(dispatch::error failure) : state_(std::in_place_index<1>, std::move(failure)) {}

  bool ok() const { return state_.index() == 0; }
  const T& value() const& { return std::get<0>(state_); }
  T& value() & { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  const dispatch::error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, dispatch::error> state_;
};

// Returns an error with `code` and `message`, and a position when one is known.
inline error make_error(std::string code, std::string message, int line = 0, int column = 0) {
  return error{std::move(code), std::move(message), line, column, {}};
}

// Returns " (at line L, column C)" for an error with a position, or "" for one without.
inline std::string position_suffix(const error& failure) {
  if (failure.line == 0) return {};
  return " (at line " + std::to_string(failure.line) + ", column " + std::to_string(failure.column) + ")";
}

}  // namespace dispatch
