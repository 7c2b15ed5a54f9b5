#pragma once
// Bitbucket Cloud's repository event keys, and an endpoint's choice among them.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/result.hpp"

namespace dispatch {

// One entry of the catalogue, as `GET /2.0/hook_events/repository` describes it, plus `verb`: what the
// actor did, as a phrase that follows the actor's name ("pushed to", "forked").
struct event_info {
  std::string_view key;
  std::string_view category;
  std::string_view label;
  std::string_view description;
  std::string_view verb;
};

// Returns every event key a repository webhook can send, in Bitbucket's order.
std::span<const event_info> event_catalogue();

// Returns the catalogue entry for `key`, or nullptr if Bitbucket does not (yet) document it.
const event_info* find_event(std::string_view key);

// Returns true if `key` has the shape of a Bitbucket event key: `category:action`, lowercase ASCII letters,
// digits and underscores on each side.
bool is_well_formed_event_key(std::string_view key);

// The seed's three modes of event selection.
enum class selection_mode { push, all, custom };

// Which events an endpoint wants.
struct event_selection {
  selection_mode mode = selection_mode::push;
  std::vector<std::string> custom;  // the keys chosen, in mode custom

  // Returns true if an event with `key` is to be delivered. An unknown key is selected only in mode all.
  bool selects(std::string_view key) const;
};

// Builds a selection from a mode name ("push", "all", "custom") and, for custom, the keys chosen. Returns
// an error with code `selection_invalid` naming the unknown mode, the unknown key, or an empty
// custom list.
result<event_selection> make_selection(std::string_view mode, const std::vector<std::string>& custom);

// Returns the mode's name as make_selection takes it.
std::string_view mode_name(selection_mode mode);

}  // namespace dispatch
