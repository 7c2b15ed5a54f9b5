#pragma once
// Bitbucket Cloud's repository event keys, and an endpoint's choice among them.

#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/result.hpp"

namespace dispatch {

// Which renderer an event's message comes from (render/auto.cpp); the family also says where the event's
// branch lives and whether it belongs to a pull request's thread.
enum class event_family { push, pull_request, issue, commit_status, repository, generic };

// Where an event's payload names the branch the branch filters read (filters.cpp).
enum class branch_place {
  none,                      // no branch: the branch filter passes the event
  push_changes,              // each of push.changes, by its new (or, for a deletion, old) ref
  pull_request_destination,  // pullrequest.destination.branch.name
  commit_status_refname,     // commit_status.refname
};

// One entry of the catalogue, as `GET /2.0/hook_events/repository` describes it, plus `verb`: what the
// actor did, as a phrase that follows the actor's name ("pushed to", "forked"), and its `family`.
struct event_info {
  std::string_view key;
  std::string_view category;
  std::string_view label;
  std::string_view description;
  std::string_view verb;
  event_family family = event_family::generic;

  // True for a pull request's events: those that go to its thread with `threads: "pull_request"`.
  bool pull_request() const { return family == event_family::pull_request; }
  // Where the branch filters find this event's branch.
  branch_place branch() const;
};

// Returns every event key a repository webhook can send, in Bitbucket's order.
std::span<const event_info> event_catalogue();

// Returns the catalogue entry for `key`, or nullptr if Bitbucket does not (yet) document it.
const event_info* find_event(std::string_view key);

// Returns the family of `key`: its catalogue entry's; for a key the catalogue lacks, that of its category when
// the whole category is one family ("pullrequest:", "issue:"), else generic.
event_family family_of(std::string_view key);

// Returns where the branch filters find the branch of an event with `key` (by family_of).
branch_place branch_of(std::string_view key);

// Returns the family's name as the catalogue answer spells it ("pull_request"), and the branch place's
// ("pullrequest.destination.branch.name"; "" for none).
std::string_view family_name(event_family family);
std::string_view branch_place_name(branch_place place);

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
  // Returns the catalogue's keys this selection takes, in the catalogue's order.
  std::vector<std::string_view> selected_keys() const;
};

// Builds a selection from a mode name ("push", "all", "custom") and, for custom, the keys chosen. Returns
// an error with code `selection_invalid` naming the unknown mode, the unknown key, or an empty
// custom list.
result<event_selection> make_selection(std::string_view mode, const std::vector<std::string>& custom);

// Returns the mode's name as make_selection takes it.
std::string_view mode_name(selection_mode mode);

}  // namespace dispatch
