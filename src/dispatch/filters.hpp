#pragma once
// Branch, tag and actor filters: which of a selected event's changes an endpoint wants. Patterns are globs
// (`*` within a path segment, `**` across `/`, `?` one character), matched against the whole name,
// case-sensitive as git refs are; a leading `!` excludes.

#include <string>
#include <string_view>
#include <vector>

#include "dispatch/json_io.hpp"
#include "dispatch/result.hpp"

namespace dispatch {

// At most this many patterns in one list, each at most max_pattern_chars characters.
inline constexpr std::size_t max_patterns = 50;
inline constexpr std::size_t max_pattern_chars = 200;

// Returns true if `name` matches the glob `pattern` (without its `!`) as a whole. `*` matches any run of
// characters but `/`; `**` any run, `/` included, and `**/` also none at all (`a/**/b` matches `a/b`); `?` one
// character (a code point) but `/`. Every other character stands for itself.
bool glob_matches(std::string_view pattern, std::string_view name);

// One list of patterns: those that include and those that exclude (`!`).
class pattern_list {
 public:
  // True when the list says nothing (no pattern at all): every value passes.
  bool empty() const { return include_.empty() && exclude_.empty(); }
  // Returns "" if a value with these names passes (a name an include pattern matches, when there is one,
  // and none an exclude pattern matches); otherwise why not, e.g. "matches none of main, release/*" or
  // "matches !wip/*". `names` are the value's names (an actor has several); the first is the one a reason
  // quotes, with the name that matched after it when that was another ("Dependabot (dependabot-bot)").
  std::string refusal(const std::vector<std::string_view>& names) const;

  // Reads a JSON array of patterns; `field` names it in errors ("filters.branches").
  static result<pattern_list> parse(const json& list, const std::string& field);

 private:
  std::vector<std::string> include_;
  std::vector<std::string> exclude_;  // without their `!`
};

// An endpoint's filters. Every list empty: no filter.
struct filter_set {
  pattern_list branches;
  pattern_list tags;  // empty: tags pass
  pattern_list actors;

  bool empty() const { return branches.empty() && tags.empty() && actors.empty(); }
};

// Reads an endpoint's `filters` member: null, or {branches?, tags?, actors?}. Errors are `endpoint_invalid`
// with `field` (`filters`, `filters.branches`, …) and a message that starts with it.
result<filter_set> parse_filters(const json& filters);

// What the filters make of one event's payload.
struct filter_verdict {
  std::string code;    // "" (passes), "branch_filtered" or "actor_filtered"
  std::string reason;  // why it was stopped; for a push of which some changes pass, which were left out
  // A push of which some changes pass: the indices of push.changes kept (in order). Empty when all or none.
  std::vector<std::size_t> kept_changes;
  std::size_t total_changes = 0;
};

// "1 of 3 changes pass the filters (branch x matches none of main)" for a push of which some changes pass;
// "" otherwise. The delivery's reason and the filter verdict say it in the same words.
std::string kept_changes_note(const filter_verdict& verdict);

// Applies the filters to a selected event `key` and its parsed payload. Events without a branch (or without
// an actor) pass the branch (actor) filter.
filter_verdict apply_filters(const filter_set& filters, std::string_view key, const json& payload);

// The Sources page's "would this pass?": one value, as typed. `envelope` is {"filters":{…},"branch"|"tag"|
// "actor":"<name>"}. Returns {"code":"passes","reason"}, {"code":"branch_filtered"|"actor_filtered",
// "reason"}, or {"code":"endpoint_invalid","reason","field"} for bad filters, or `envelope_invalid`.
ordered_json filter_check_json(std::string_view envelope);

}  // namespace dispatch
