#include "dispatch/events.hpp"

#include <algorithm>
#include <array>

namespace dispatch {
namespace {

// Labels and descriptions follow Bitbucket's hook_events listing and its webhook trigger names. A family that
// is not generic names the renderer of render/auto.cpp; repository's renders each of its keys its own way.
constexpr std::array<event_info, 29> catalogue{{
    {"repo:push", "Repository", "Push", "Whenever a repository push occurs", "pushed to", event_family::push},
    {"repo:fork", "Repository", "Fork", "Whenever a repository fork occurs", "forked", event_family::repository},
    {"repo:updated", "Repository", "Updated", "Whenever a repository is updated", "updated", event_family::repository},
    {"repo:transfer", "Repository", "Transfer accepted", "Whenever a repository transfer is accepted",
     "accepted the transfer of", event_family::repository},
    {"repo:commit_comment_created", "Repository", "Commit comment created", "Whenever a commit comment is created",
     "commented on a commit in", event_family::repository},
    {"repo:commit_status_created", "Repository", "Build status created", "Whenever a build status is created",
     "reported a build status in", event_family::commit_status},
    {"repo:commit_status_updated", "Repository", "Build status updated", "Whenever a build status is updated",
     "updated a build status in", event_family::commit_status},
    {"repo:created", "Repository", "Created", "Whenever a repository is created", "created", event_family::generic},
    {"repo:deleted", "Repository", "Deleted", "Whenever a repository is deleted", "deleted", event_family::generic},
    {"repo:imported", "Repository", "Import", "Whenever a repository import occurs", "imported", event_family::generic},
    {"project:updated", "Project", "Updated", "Whenever a project is updated", "updated the project of",
     event_family::generic},
    {"issue:created", "Issue", "Created", "Whenever an issue is created", "created an issue in", event_family::issue},
    {"issue:updated", "Issue", "Updated", "Whenever an issue is updated", "updated an issue in", event_family::issue},
    {"issue:comment_created", "Issue", "Comment created", "Whenever an issue comment is created",
     "commented on an issue in", event_family::issue},
    {"pullrequest:created", "Pull Request", "Created", "Whenever a pull request is created", "opened a pull request in",
     event_family::pull_request},
    {"pullrequest:updated", "Pull Request", "Updated", "Whenever a pull request is updated",
     "updated a pull request in", event_family::pull_request},
    {"pullrequest:approved", "Pull Request", "Approved", "When someone has approved a pull request",
     "approved a pull request in", event_family::pull_request},
    {"pullrequest:unapproved", "Pull Request", "Approval removed",
     "When someone has removed an approval from a pull request", "removed an approval in", event_family::pull_request},
    {"pullrequest:fulfilled", "Pull Request", "Merged", "Whenever a pull request is merged", "merged a pull request in",
     event_family::pull_request},
    {"pullrequest:rejected", "Pull Request", "Declined", "Whenever a pull request is declined",
     "declined a pull request in", event_family::pull_request},
    {"pullrequest:comment_created", "Pull Request", "Comment created", "Whenever a pull request comment is created",
     "commented on a pull request in", event_family::pull_request},
    {"pullrequest:comment_updated", "Pull Request", "Comment updated", "Whenever a pull request comment is updated",
     "edited a pull request comment in", event_family::pull_request},
    {"pullrequest:comment_deleted", "Pull Request", "Comment deleted", "Whenever a pull request comment is deleted",
     "deleted a pull request comment in", event_family::pull_request},
    {"pullrequest:comment_resolved", "Pull Request", "Comment resolved", "Whenever a pull request comment is resolved",
     "resolved a pull request comment in", event_family::pull_request},
    {"pullrequest:comment_reopened", "Pull Request", "Comment reopened", "Whenever a pull request comment is reopened",
     "reopened a pull request comment in", event_family::pull_request},
    {"pullrequest:changes_request_created", "Pull Request", "Changes request created",
     "When someone has requested changes on a pull request", "requested changes on a pull request in",
     event_family::pull_request},
    {"pullrequest:changes_request_removed", "Pull Request", "Changes request removed",
     "When someone has removed a changes request from a pull request", "removed a changes request in",
     event_family::pull_request},
    {"pullrequest:push", "Pull Request", "Source branch pushed", "Whenever a pull request's source branch is pushed",
     "pushed to a pull request in", event_family::pull_request},
    {"pipeline:span_created", "Pipeline", "Span created", "Whenever a pipeline span is created",
     "ran a pipeline step in", event_family::generic},
}};

bool is_key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

}  // namespace

std::span<const event_info> event_catalogue() { return catalogue; }

const event_info* find_event(std::string_view key) {
  const auto it =
      std::find_if(catalogue.begin(), catalogue.end(), [&](const event_info& info) { return info.key == key; });
  return it == catalogue.end() ? nullptr : &*it;
}

event_family family_of(std::string_view key) {
  if (const auto* info = find_event(key)) return info->family;
  if (key.rfind("pullrequest:", 0) == 0) return event_family::pull_request;
  if (key.rfind("issue:", 0) == 0) return event_family::issue;
  return event_family::generic;
}

namespace {

branch_place branch_of_family(event_family family) {
  switch (family) {
    case event_family::push:
      return branch_place::push_changes;
    case event_family::pull_request:
      return branch_place::pull_request_destination;
    case event_family::commit_status:
      return branch_place::commit_status_refname;
    case event_family::issue:
    case event_family::repository:
    case event_family::generic:
      return branch_place::none;
  }
  return branch_place::none;
}

}  // namespace

branch_place event_info::branch() const { return branch_of_family(family); }

branch_place branch_of(std::string_view key) { return branch_of_family(family_of(key)); }

std::string_view family_name(event_family family) {
  switch (family) {
    case event_family::push:
      return "push";
    case event_family::pull_request:
      return "pull_request";
    case event_family::issue:
      return "issue";
    case event_family::commit_status:
      return "commit_status";
    case event_family::repository:
      return "repository";
    case event_family::generic:
      return "generic";
  }
  return "generic";
}

std::string_view branch_place_name(branch_place place) {
  switch (place) {
    case branch_place::push_changes:
      return "push.changes";
    case branch_place::pull_request_destination:
      return "pullrequest.destination.branch.name";
    case branch_place::commit_status_refname:
      return "commit_status.refname";
    case branch_place::none:
      return "";
  }
  return "";
}

bool is_well_formed_event_key(std::string_view key) {
  constexpr std::size_t max_length = 128;
  const auto colon = key.find(':');
  if (key.size() > max_length || colon == std::string_view::npos || colon == 0 || colon + 1 == key.size()) {
    return false;
  }
  const auto category = key.substr(0, colon);
  const auto action = key.substr(colon + 1);
  return std::all_of(category.begin(), category.end(), is_key_char) &&
         std::all_of(action.begin(), action.end(), is_key_char);
}

bool event_selection::selects(std::string_view key) const {
  switch (mode) {
    case selection_mode::push:
      return key == "repo:push";
    case selection_mode::all:
      return is_well_formed_event_key(key);
    case selection_mode::custom:
      return std::find(custom.begin(), custom.end(), key) != custom.end();
  }
  return false;
}

std::vector<std::string_view> event_selection::selected_keys() const {
  std::vector<std::string_view> keys;
  for (const auto& info : catalogue) {
    if (selects(info.key)) keys.push_back(info.key);
  }
  return keys;
}

result<event_selection> make_selection(std::string_view mode, const std::vector<std::string>& custom) {
  event_selection selection;
  if (mode == "push") {
    selection.mode = selection_mode::push;
  } else if (mode == "all") {
    selection.mode = selection_mode::all;
  } else if (mode == "custom") {
    selection.mode = selection_mode::custom;
  } else {
    return make_error(codes::selection_invalid,
                      "events.mode \"" + std::string(mode.substr(0, 32)) + "\" is not one of push, all, custom");
  }
  if (selection.mode != selection_mode::custom) {
    if (!custom.empty()) {
      return make_error(codes::selection_invalid,
                        "events.custom is given but events.mode is \"" + std::string(mode) + "\", not custom");
    }
    return selection;
  }
  if (custom.empty()) {
    return make_error(codes::selection_invalid, "events.custom must name at least one event key in mode custom");
  }
  for (const auto& key : custom) {
    if (find_event(key) == nullptr) {
      return make_error(codes::selection_invalid,
                        "events.custom names \"" + key.substr(0, 64) +
                            "\", which is not a Bitbucket repository event key (see `dispatch events`)");
    }
  }
  // A key named twice is harmless; keep each once.
  for (const auto& key : custom) {
    if (std::find(selection.custom.begin(), selection.custom.end(), key) == selection.custom.end()) {
      selection.custom.push_back(key);
    }
  }
  return selection;
}

std::string_view mode_name(selection_mode mode) {
  switch (mode) {
    case selection_mode::push:
      return "push";
    case selection_mode::all:
      return "all";
    case selection_mode::custom:
      return "custom";
  }
  return "push";
}

}  // namespace dispatch
