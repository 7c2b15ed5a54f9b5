#pragma once
// One renderer per event family. Each returns a Discord message (finalize_message applies the limits
// after); a field missing from the payload makes the embed say less, never fail.

#include <string_view>

#include "dispatch/json_io.hpp"

namespace dispatch::render {

// repo:push: one embed per change, the commits as linked lines, branch and tag creation, deletion, force.
ordered_json push(std::string_view key, const json& payload);

// pullrequest:*: `#id title`, branches, author, reviewers and their state; the comment or approval acted on.
ordered_json pull_request(std::string_view key, const json& payload);

// The card that heads a pull request's thread: where the pull request stands now (state and its colour,
// approvals, changes requested, branches, reviewers), from the payload's `pullrequest` alone.
ordered_json pull_request_card(const json& payload);

// issue:*: `#id title`, state, kind, priority, assignee, the text or the comment.
ordered_json issue(std::string_view key, const json& payload);

// repo:commit_status_*: the build's name, state, commit and branch, linked to the build.
ordered_json commit_status(std::string_view key, const json& payload);

// repo:commit_comment_created: the comment, the file and line it is on, linked to the commit.
ordered_json commit_comment(std::string_view key, const json& payload);

// repo:fork: from which repository to which.
ordered_json fork(std::string_view key, const json& payload);

// repo:updated: each setting that changed, old and new.
ordered_json repository_updated(std::string_view key, const json& payload);

// repo:transfer: who accepted it, from whom.
ordered_json transfer(std::string_view key, const json& payload);

}  // namespace dispatch::render

namespace dispatch {

// Returns the auto-formatted message for an event (before finalize_message): the renderer the table in
// catalogue names for its key's family (render/auto.cpp), or the generic embed for a key no renderer claims.
ordered_json render_auto(std::string_view key, const json& payload);

}  // namespace dispatch
