#pragma once
// The embed for any event: who did what to which repository, with links.

#include <string_view>

#include "dispatch/events.hpp"
#include "dispatch/json_io.hpp"

namespace dispatch {

// Returns a Discord message (not yet finalized) for an event with `key` whose payload is `payload`. `info`
// is the catalogue entry, or nullptr for a key Bitbucket has not documented; missing payload fields make
// the embed say less, never fail.
ordered_json render_generic(std::string_view key, const event_info* info, const json& payload);

// Returns the embed colour for an event category ("Repository", "Pull Request", ...).
int category_colour(std::string_view category);

}  // namespace dispatch
