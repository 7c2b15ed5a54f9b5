#pragma once
// Which event keys a payload's shape fits, for a payload that arrived without its X-Event-Key (the preview).

#include <string_view>
#include <vector>

#include "dispatch/json_io.hpp"

namespace dispatch {

// The event keys a payload could have been sent with, most likely first, and what in the payload says so.
// Several keys means Bitbucket sends the same shape for each (approved and unapproved, say); none means
// the shape is not one Bitbucket Cloud sends.
struct detection {
  std::vector<std::string_view> keys;
  std::string_view basis;  // for people: the members the guess rests on
};

// Returns the keys `payload` (a parsed body) fits. The order breaks ties by the payload's own facts: a
// pull request whose `updated_on` is within a minute of `created_on` is more likely new than updated.
detection detect_event(const json& payload);

}  // namespace dispatch
