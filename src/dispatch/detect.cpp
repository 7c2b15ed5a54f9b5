#include "dispatch/detect.hpp"

#include <cstdlib>
#include <optional>

#include "dispatch/payload_view.hpp"

namespace dispatch {
namespace {

// Returns the seconds since 1970 of an ISO 8601 time "YYYY-MM-DDTHH:MM:SS…" (fraction and offset
// ignored: both times compared come from the same payload), or nullopt if it does not start that way.
std::optional<std::int64_t> seconds_of(std::string_view text) {
  if (text.size() < 19) return std::nullopt;
  const auto number = [&](std::size_t at, std::size_t width) -> std::optional<std::int64_t> {
    std::int64_t value = 0;
    for (std::size_t i = at; i < at + width; ++i) {
      if (text[i] < '0' || text[i] > '9') return std::nullopt;
      value = value * 10 + (text[i] - '0');
    }
    return value;
  };
  const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || *month < 1 || *month > 12) return std::nullopt;
  // Days from the civil date (Howard Hinnant's algorithm), so that month and year boundaries count right.
  const std::int64_t y = *year - (*month <= 2 ? 1 : 0);
  const std::int64_t era = y / 400;
  const std::int64_t year_of_era = y - era * 400;
  const std::int64_t day_of_year = (153 * (*month + (*month > 2 ? -3 : 9)) + 2) / 5 + *day - 1;
  const std::int64_t day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  const std::int64_t days = era * 146097 + day_of_era - 719468;
  return days * 86400 + *hour * 3600 + *minute * 60 + *second;
}

// Returns true if the object was updated within a minute of its creation: what a new one looks like.
bool looks_new(payload_view object) {
  const auto created = seconds_of(object["created_on"].str());
  const auto updated = seconds_of(object["updated_on"].str());
  if (!created) return false;
  return !updated || std::llabs(*updated - *created) <= 60;
}

detection pull_request_comment(payload_view comment) {
  if (comment["deleted"].boolean().value_or(false)) {
    return {{"pullrequest:comment_deleted"}, "pullrequest and comment with deleted: true"};
  }
  constexpr std::string_view basis = "pullrequest and comment (created, edited, resolved and reopened look alike)";
  if (comment["resolution"].is_object()) {
    return {{"pullrequest:comment_resolved", "pullrequest:comment_reopened", "pullrequest:comment_updated",
             "pullrequest:comment_created"},
            basis};
  }
  if (looks_new(comment)) {
    return {{"pullrequest:comment_created", "pullrequest:comment_updated", "pullrequest:comment_reopened",
             "pullrequest:comment_resolved", "pullrequest:comment_deleted"},
            basis};
  }
  return {{"pullrequest:comment_updated", "pullrequest:comment_created", "pullrequest:comment_reopened",
           "pullrequest:comment_resolved", "pullrequest:comment_deleted"},
          basis};
}

// Returns the participant entry of the pull request for the user of `object` (an approval or a change
// request), matched by uuid or account_id; an absent view when the payload lists no such participant.
payload_view participant_of(payload_view root, payload_view object) {
  const auto user = object["user"];
  const auto uuid = user["uuid"].str();
  const auto account = user["account_id"].str();
  const auto participants = root["pullrequest"]["participants"];
  for (std::size_t i = 0; i < participants.size(); ++i) {
    const auto them = participants[i]["user"];
    if ((!uuid.empty() && them["uuid"].str() == uuid) || (!account.empty() && them["account_id"].str() == account)) {
      return participants[i];
    }
  }
  return {};
}

detection pull_request(payload_view root) {
  // The payload is the pull request after the event: the approver's participant entry says whether the
  // approval was given or taken back, the reviewer's state whether changes are requested.
  if (root["approval"].is_object()) {
    const auto approved = participant_of(root, root["approval"])["approved"].boolean();
    if (approved == true) return {{"pullrequest:approved"}, "pullrequest and approval, its participant approved"};
    if (approved == false) {
      return {{"pullrequest:unapproved"}, "pullrequest and approval, its participant not approved"};
    }
    return {{"pullrequest:approved", "pullrequest:unapproved"}, "pullrequest and approval"};
  }
  if (root["changes_request"].is_object()) {
    const auto state = participant_of(root, root["changes_request"])["state"];
    if (state.str() == "changes_requested") {
      return {{"pullrequest:changes_request_created"}, "pullrequest and changes_request, its participant requesting"};
    }
    if (state.present() || participant_of(root, root["changes_request"]).is_object()) {
      return {{"pullrequest:changes_request_removed"},
              "pullrequest and changes_request, its participant no longer requesting"};
    }
    return {{"pullrequest:changes_request_created", "pullrequest:changes_request_removed"},
            "pullrequest and changes_request"};
  }
  if (root["comment"].is_object()) return pull_request_comment(root["comment"]);
  const auto pr = root["pullrequest"];
  const auto state = pr["state"].str();
  if (state == "MERGED") return {{"pullrequest:fulfilled"}, "pullrequest in state MERGED"};
  if (state == "DECLINED" || state == "SUPERSEDED") return {{"pullrequest:rejected"}, "pullrequest in state DECLINED"};
  if (state == "OPEN") {
    constexpr std::string_view basis = "pullrequest in state OPEN (opened, updated and new commits look alike)";
    if (looks_new(pr)) return {{"pullrequest:created", "pullrequest:updated", "pullrequest:push"}, basis};
    return {{"pullrequest:updated", "pullrequest:push", "pullrequest:created"}, basis};
  }
  return {{"pullrequest:created", "pullrequest:updated", "pullrequest:push", "pullrequest:fulfilled",
           "pullrequest:rejected"},
          "pullrequest whose state is none of OPEN, MERGED, DECLINED"};
}

detection issue(payload_view root) {
  if (root["changes"].is_object()) return {{"issue:updated"}, "issue and changes"};
  if (root["comment"].is_object()) return {{"issue:comment_created"}, "issue and comment"};
  return {{"issue:created"}, "issue without changes or comment"};
}

}  // namespace

detection detect_event(const json& payload) {
  const payload_view root(payload);
  if (!root.is_object()) return {};
  if (root["push"].is_object()) return {{"repo:push"}, "push"};
  if (root["pullrequest"].is_object()) return pull_request(root);
  if (root["issue"].is_object()) return issue(root);
  if (root["commit_status"].is_object()) {
    constexpr std::string_view basis = "commit_status (a build's first report is created, later ones updated)";
    if (root["commit_status"]["state"].str() == "INPROGRESS") {
      return {{"repo:commit_status_created", "repo:commit_status_updated"}, basis};
    }
    return {{"repo:commit_status_updated", "repo:commit_status_created"}, basis};
  }
  if (root["comment"].is_object() && root["commit"].is_object()) {
    return {{"repo:commit_comment_created"}, "comment and commit"};
  }
  if (root["fork"].is_object()) return {{"repo:fork"}, "fork"};
  if (root["previous_owner"].is_object() || root["previous_workspace"].is_object()) {
    return {{"repo:transfer"}, "previous_owner"};
  }
  if (root["project"].is_object() && !root["repository"].is_object()) {
    return {{"project:updated"}, "project without repository"};
  }
  if (root["repository"].is_object()) {
    if (root["changes"].is_object()) return {{"repo:updated"}, "repository and changes"};
    return {{"repo:created", "repo:imported", "repo:deleted"}, "repository and actor only"};
  }
  return {};
}

}  // namespace dispatch
