#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "dispatch/events.hpp"

using namespace dispatch;

TEST_CASE("the catalogue holds Bitbucket's 29 repository event keys", "[events]") {
  const auto catalogue = event_catalogue();
  REQUIRE(catalogue.size() == 29);
  std::set<std::string_view> keys;
  for (const auto& info : catalogue) {
    INFO(info.key);
    CHECK(is_well_formed_event_key(info.key));
    CHECK_FALSE(info.category.empty());
    CHECK_FALSE(info.label.empty());
    CHECK_FALSE(info.description.empty());
    CHECK_FALSE(info.verb.empty());
    keys.insert(info.key);
  }
  CHECK(keys.size() == 29);
  for (const auto* key : {"repo:push",
                          "repo:fork",
                          "repo:updated",
                          "repo:transfer",
                          "repo:commit_comment_created",
                          "repo:commit_status_created",
                          "repo:commit_status_updated",
                          "repo:created",
                          "repo:deleted",
                          "repo:imported",
                          "project:updated",
                          "issue:created",
                          "issue:updated",
                          "issue:comment_created",
                          "pullrequest:created",
                          "pullrequest:updated",
                          "pullrequest:approved",
                          "pullrequest:unapproved",
                          "pullrequest:fulfilled",
                          "pullrequest:rejected",
                          "pullrequest:comment_created",
                          "pullrequest:comment_updated",
                          "pullrequest:comment_deleted",
                          "pullrequest:comment_resolved",
                          "pullrequest:comment_reopened",
                          "pullrequest:changes_request_created",
                          "pullrequest:changes_request_removed",
                          "pullrequest:push",
                          "pipeline:span_created"}) {
    INFO(key);
    CHECK(keys.count(key) == 1);
  }
  REQUIRE(find_event("pullrequest:fulfilled") != nullptr);
  CHECK(find_event("pullrequest:fulfilled")->label == "Merged");
  CHECK(find_event("pullrequest:fulfilled")->category == "Pull Request");
  CHECK(find_event("repo:pushed") == nullptr);
}

TEST_CASE("event keys are category:action", "[events]") {
  CHECK(is_well_formed_event_key("repo:push"));
  CHECK(is_well_formed_event_key("future_thing:done2"));
  CHECK_FALSE(is_well_formed_event_key(""));
  CHECK_FALSE(is_well_formed_event_key("repo"));
  CHECK_FALSE(is_well_formed_event_key(":push"));
  CHECK_FALSE(is_well_formed_event_key("repo:"));
  CHECK_FALSE(is_well_formed_event_key("Repo:Push"));
  CHECK_FALSE(is_well_formed_event_key("repo:push:extra"));
  CHECK_FALSE(is_well_formed_event_key("repo: push"));
  CHECK_FALSE(is_well_formed_event_key("repo:" + std::string(200, 'a')));
}

TEST_CASE("the three selection modes", "[events]") {
  SECTION("push only") {
    const auto selection = make_selection("push", {});
    REQUIRE(selection.ok());
    CHECK(selection.value().selects("repo:push"));
    CHECK_FALSE(selection.value().selects("repo:fork"));
    CHECK_FALSE(selection.value().selects("pullrequest:push"));
  }
  SECTION("all, including keys Bitbucket adds later") {
    const auto selection = make_selection("all", {});
    REQUIRE(selection.ok());
    for (const auto& info : event_catalogue()) CHECK(selection.value().selects(info.key));
    CHECK(selection.value().selects("repo:something_new"));
    CHECK_FALSE(selection.value().selects("not a key"));
  }
  SECTION("custom") {
    const auto selection = make_selection("custom", {"pullrequest:created", "repo:fork", "repo:fork"});
    REQUIRE(selection.ok());
    CHECK(selection.value().custom == std::vector<std::string>{"pullrequest:created", "repo:fork"});
    CHECK(selection.value().selects("repo:fork"));
    CHECK_FALSE(selection.value().selects("repo:push"));
    CHECK_FALSE(selection.value().selects("repo:something_new"));
  }
}

TEST_CASE("a selection lists the catalogue's keys it takes, in the catalogue's order", "[events]") {
  const auto keys = [](std::string_view mode, const std::vector<std::string>& custom) {
    const auto selection = make_selection(mode, custom);
    REQUIRE(selection.ok());
    return selection.value().selected_keys();
  };
  CHECK(keys("push", {}) == std::vector<std::string_view>{"repo:push"});
  CHECK(keys("all", {}).size() == event_catalogue().size());
  CHECK(keys("custom", {"pullrequest:created", "repo:fork", "repo:fork"}) ==
        std::vector<std::string_view>{"repo:fork", "pullrequest:created"});
}

TEST_CASE("each event's family names its renderer, its thread and where its branch lives", "[events]") {
  for (const auto& info : event_catalogue()) {
    INFO(info.key);
    const auto category = info.key.substr(0, info.key.find(':'));
    CHECK(info.pull_request() == (category == "pullrequest"));
    CHECK((info.family == event_family::issue) == (category == "issue"));
    CHECK(family_of(info.key) == info.family);
    CHECK(branch_of(info.key) == info.branch());
  }
  CHECK(find_event("repo:push")->family == event_family::push);
  CHECK(find_event("repo:push")->branch() == branch_place::push_changes);
  CHECK(find_event("repo:commit_status_updated")->family == event_family::commit_status);
  CHECK(find_event("repo:commit_status_updated")->branch() == branch_place::commit_status_refname);
  CHECK(find_event("pullrequest:push")->branch() == branch_place::pull_request_destination);
  CHECK(find_event("repo:fork")->family == event_family::repository);
  CHECK(find_event("repo:fork")->branch() == branch_place::none);
  CHECK(find_event("repo:deleted")->family == event_family::generic);
  // A key the catalogue lacks takes its category's family when the whole category is one.
  CHECK(family_of("pullrequest:merged") == event_family::pull_request);
  CHECK(family_of("issue:closed") == event_family::issue);
  CHECK(family_of("repo:archived") == event_family::generic);
  CHECK(branch_of("pullrequest:merged") == branch_place::pull_request_destination);
  CHECK(family_name(event_family::pull_request) == "pull_request");
  CHECK(branch_place_name(branch_place::pull_request_destination) == "pullrequest.destination.branch.name");
  CHECK(branch_place_name(branch_place::none).empty());
}

TEST_CASE("selection errors say what to fix", "[events]") {
  const auto message = [](std::string_view mode, const std::vector<std::string>& custom) {
    const auto selection = make_selection(mode, custom);
    REQUIRE_FALSE(selection.ok());
    CHECK(selection.error().code == "selection_invalid");
    return selection.error().message;
  };
  CHECK(message("some", {}) == "events.mode \"some\" is not one of push, all, custom");
  CHECK(message("custom", {}) == "events.custom must name at least one event key in mode custom");
  CHECK(message("custom", {"repo:push", "pullrequest:merged"}) ==
        "events.custom names \"pullrequest:merged\", which is not a Bitbucket repository event key (see `dispatch "
        "events`)");
  CHECK(message("push", {"repo:push"}) == "events.custom is given but events.mode is \"push\", not custom");
}
