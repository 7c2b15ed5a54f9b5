#include "dispatch/events.hpp"

#include <algorithm>
#include <array>

namespace dispatch {
namespace {

// Labels and descriptions follow Bitbucket's hook_events listing and its webhook trigger names.
constexpr std::array<event_info, 29> catalogue{{
    {"repo:push", "Repository", "Push", "Whenever a repository push occurs", "pushed to"},
    {"repo:fork", "Repository", "Fork", "Whenever a repository fork occurs", "forked"},
    {"repo:updated", "Repository", "Updated", "Whenever a repository is updated", "updated"},
    {"repo:transfer", "Repository", "Transfer accepted", "Whenever a repository transfer is accepted",
     "accepted the transfer of"},
    {"repo:commit_comment_created", "Repository", "Commit comment created", "Whenever a commit comment is created",
     "commented on a commit in"},
    {"repo:commit_status_created", "Repository", "Build status created", "Whenever a build status is created",
     "reported a build status in"},
    {"repo:commit_status_updated", "Repository", "Build status updated", "Whenever a build status is updated",
     "updated a build status in"},
    {"repo:created", "Repository", "Created", "Whenever a repository is created", "created"},
    {"repo:deleted", "Repository", "Deleted", "Whenever a repository is deleted", "deleted"},
    {"repo:imported", "Repository", "Import", "Whenever a repository import occurs", "imported"},
    {"project:updated", "Project", "Updated", "Whenever a project is updated", "updated the project of"},
    {"issue:created", "Issue", "Created", "Whenever an issue is created", "created an issue in"},
    {"issue:updated", "Issue", "Updated", "Whenever an issue is updated", "updated an issue in"},
    {"issue:comment_created", "Issue", "Comment created", "Whenever an issue comment is created",
     "commented on an issue in"},
    {"pullrequest:created", "Pull Request", "Created", "Whenever a pull request is created",
     "opened a pull request in"},
    {"pullrequest:updated", "Pull Request", "Updated", "Whenever a pull request is updated",
     "updated a pull request in"},
    {"pullrequest:approved", "Pull Request", "Approved", "When someone has approved a pull request",
     "approved a pull request in"},
    {"pullrequest:unapproved", "Pull Request", "Approval removed",
     "When someone has removed an approval from a pull request", "removed an approval in"},
    {"pullrequest:fulfilled", "Pull Request", "Merged", "Whenever a pull request is merged",
     "merged a pull request in"},
    {"pullrequest:rejected", "Pull Request", "Declined", "Whenever a pull request is declined",
     "declined a pull request in"},
    {"pullrequest:comment_created", "Pull Request", "Comment created", "Whenever a pull request comment is created",
     "commented on a pull request in"},
    {"pullrequest:comment_updated", "Pull Request", "Comment updated", "Whenever a pull request comment is updated",
     "edited a pull request comment in"},
    {"pullrequest:comment_deleted", "Pull Request", "Comment deleted", "Whenever a pull request comment is deleted",
     "deleted a pull request comment in"},
    {"pullrequest:comment_resolved", "Pull Request", "Comment resolved", "Whenever a pull request comment is resolved",
     "resolved a pull request comment in"},
    {"pullrequest:comment_reopened", "Pull Request", "Comment reopened", "Whenever a pull request comment is reopened",
     "reopened a pull request comment in"},
    {"pullrequest:changes_request_created", "Pull Request", "Changes request created",
     "When someone has requested changes on a pull request", "requested changes on a pull request in"},
    {"pullrequest:changes_request_removed", "Pull Request", "Changes request removed",
     "When someone has removed a changes request from a pull request", "removed a changes request in"},
    {"pullrequest:push", "Pull Request", "Source branch pushed", "Whenever a pull request's source branch is pushed",
     "pushed to a pull request in"},
    {"pipeline:span_created", "Pipeline", "Span created", "Whenever a pipeline span is created",
     "ran a pipeline step in"},
}};

bool is_key_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; }

}  // namespace

std::span<const event_info> event_catalogue() { return catalogue; }

const event_info* find_event(std::string_view key) {
  const auto it =
      std::find_if(catalogue.begin(), catalogue.end(), [&](const event_info& info) { return info.key == key; });
  return it == catalogue.end() ? nullptr : &*it;
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
