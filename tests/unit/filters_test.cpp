#include <catch2/catch.hpp>

#include <string>

#include "dispatch/answers.hpp"
#include "dispatch/filters.hpp"
#include "dispatch/signature.hpp"
#include "dispatch/text.hpp"
#include "dispatch/threads.hpp"
#include "test_support.hpp"

using namespace dispatch;

namespace {

filter_set filters_of(std::string_view text) {
  auto parsed = parse_filters(json::parse(text));
  REQUIRE(parsed.ok());
  return std::move(parsed).value();
}

// A push whose changes are (type, new name or "" for a deletion, old name).
json push_of(std::vector<std::tuple<std::string, std::string, std::string>> changes, json actor = json::object()) {
  json list = json::array();
  for (const auto& [type, new_name, old_name] : changes) {
    json change = {{"new", nullptr}, {"old", nullptr}};
    if (!new_name.empty()) change["new"] = {{"type", type}, {"name", new_name}};
    if (!old_name.empty()) change["old"] = {{"type", type}, {"name", old_name}};
    list.push_back(change);
  }
  return {{"actor", actor}, {"push", {{"changes", list}}}};
}

}  // namespace

TEST_CASE("globs match whole names: * within a segment, ** across, ? one character", "[filters]") {
  CHECK(glob_matches("main", "main"));
  CHECK_FALSE(glob_matches("main", "maintenance"));  // Zulip's substring match would take it
  CHECK_FALSE(glob_matches("main", "Main"));         // case-sensitive, as git refs are
  CHECK_FALSE(glob_matches("main", "x/main"));

  CHECK(glob_matches("release/*", "release/1.0"));
  CHECK_FALSE(glob_matches("release/*", "release/1.0/hotfix"));
  CHECK_FALSE(glob_matches("release/*", "release"));
  CHECK(glob_matches("release/**", "release/1.0/hotfix"));
  CHECK(glob_matches("feature-*", "feature-login"));
  CHECK_FALSE(glob_matches("feature-*", "feature-login/part"));

  CHECK(glob_matches("**", "any/thing/at/all"));
  CHECK(glob_matches("a/**/b", "a/b"));
  CHECK(glob_matches("a/**/b", "a/x/b"));
  CHECK(glob_matches("a/**/b", "a/x/y/b"));
  CHECK_FALSE(glob_matches("a/**/b", "a/xb"));
  CHECK(glob_matches("**/hotfix", "hotfix"));
  CHECK(glob_matches("**/hotfix", "team/a/hotfix"));
  CHECK_FALSE(glob_matches("**/hotfix", "team/a/hotfix2"));

  CHECK(glob_matches("v?", "v1"));
  CHECK(glob_matches("v?", "v\xC3\xA9"));  // one character, two bytes
  CHECK_FALSE(glob_matches("v?", "v12"));
  CHECK_FALSE(glob_matches("v?", "v/"));
  CHECK(glob_matches("*", ""));
  CHECK_FALSE(glob_matches("?", ""));
}

TEST_CASE("regex characters in a pattern stand for themselves", "[filters]") {
  CHECK(glob_matches("release/1.0+build", "release/1.0+build"));
  CHECK_FALSE(glob_matches("release/1.0+build", "release/100+build"));
  CHECK_FALSE(glob_matches("release/1.0+build", "release/1.00build"));
  CHECK(glob_matches("fix/[abc](x)^$|{y}", "fix/[abc](x)^$|{y}"));
  CHECK_FALSE(glob_matches("fix/[abc]", "fix/a"));
  CHECK(glob_matches("team\\*", "team\\x"));  // a backslash is a character, not an escape
}

TEST_CASE("a long name and a pattern of many stars do not blow up", "[filters]") {
  const std::string name(100000, 'a');
  CHECK_FALSE(glob_matches("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", name));
  CHECK(glob_matches("**a**a**a", name));
}

TEST_CASE("a value passes when an include pattern matches (if any) and no ! pattern does", "[filters]") {
  const auto set = filters_of(R"({"branches":["main","release/*","!release/old*"]})");
  CHECK(set.branches.refusal({"main"}).empty());
  CHECK(set.branches.refusal({"release/2.0"}).empty());
  CHECK(set.branches.refusal({"release/old-1"}) == "release/old-1 matches !release/old*");
  CHECK(set.branches.refusal({"feature/x"}) == "feature/x matches none of main, release/*");

  const auto only_excludes = filters_of(R"({"branches":["!wip/**"]})");
  CHECK(only_excludes.branches.refusal({"anything"}).empty());
  CHECK(only_excludes.branches.refusal({"wip/a/b"}) == "wip/a/b matches !wip/**");
  CHECK(filters_of("null").empty());
  CHECK(filters_of(R"({"branches":[]})").empty());
}

TEST_CASE("bad filters are refused by field", "[filters]") {
  const auto fault = [](std::string_view text) { return parse_filters(json::parse(text)).error(); };
  CHECK(fault(R"({"branches":["main",""]})").field == "filters.branches");
  CHECK(fault(R"({"branches":["main",""]})").message == "filters.branches holds an empty pattern (pattern 2)");
  CHECK(fault(R"({"actors":["!"]})").field == "filters.actors");
  CHECK(fault(R"({"actors":["!"]})").message ==
        "filters.actors holds a lone \"!\" (pattern 1); write the pattern to exclude after it");
  CHECK(fault(R"({"tags":"v*"})").field == "filters.tags");
  CHECK(fault(R"({"tags":[1]})").message == "filters.tags must hold only strings (pattern 1)");
  CHECK(fault(R"({"branch":["main"]})").field == "filters.branch");
  CHECK(fault(R"([])").field == "filters");
  json many = json::array();
  for (int i = 0; i < 51; ++i) many.push_back("b" + std::to_string(i));
  CHECK(parse_filters(json{{"branches", many}}).error().message == "filters.branches has 51 patterns; the limit is 50");
  many.erase(many.begin());
  CHECK(parse_filters(json{{"branches", many}}).ok());
  CHECK(fault(R"({"branches":[")" + std::string(201, 'x') + R"("]})").field == "filters.branches");
}

TEST_CASE("a push keeps the changes that pass, a deletion is judged by its old name, tags pass unless filtered",
          "[filters]") {
  const auto set = filters_of(R"({"branches":["main","release/*"]})");
  const auto push = push_of({{"branch", "feature/x", "feature/x"},
                             {"branch", "", "release/1.0+build"},
                             {"tag", "v2.0", ""},
                             {"branch", "wip", ""}});
  const auto verdict = apply_filters(set, "repo:push", push);
  CHECK(verdict.code.empty());
  CHECK(verdict.kept_changes == std::vector<std::size_t>{1, 2});
  CHECK(verdict.total_changes == 4);
  CHECK(verdict.reason ==
        "branch feature/x matches none of main, release/*; branch wip matches none of main, release/*");

  const auto tagged = filters_of(R"({"branches":["main"],"tags":["v1.*"]})");
  const auto none = apply_filters(tagged, "repo:push", push_of({{"tag", "v2.0", ""}, {"branch", "dev", ""}}));
  CHECK(none.code == "branch_filtered");
  CHECK(none.reason == "no change passes the filters: tag v2.0 matches none of v1.*; branch dev matches none of main");
  const auto one = apply_filters(tagged, "repo:push", push_of({{"branch", "dev", ""}}));
  CHECK(one.reason == "branch dev matches none of main");

  // Every change passing, or none to judge: the push goes on whole.
  CHECK(apply_filters(set, "repo:push", push_of({{"branch", "main", "main"}})).kept_changes.empty());
  CHECK(apply_filters(set, "repo:push", push_of({})).code.empty());
}

TEST_CASE("a pull request is judged by its destination, a build by its refname, others pass", "[filters]") {
  const auto set = filters_of(R"({"branches":["main"]})");
  const json pr = {
      {"pullrequest",
       {{"destination", {{"branch", {{"name", "develop"}}}}}, {"source", {{"branch", {{"name", "main"}}}}}}}};
  const auto verdict = apply_filters(set, "pullrequest:created", pr);
  CHECK(verdict.code == "branch_filtered");
  CHECK(verdict.reason == "destination branch develop matches none of main");
  const json status = {{"commit_status", {{"refname", "feature/y"}}}};
  CHECK(apply_filters(set, "repo:commit_status_created", status).reason == "branch feature/y matches none of main");
  CHECK(apply_filters(set, "repo:commit_status_created", json{{"commit_status", {{"refname", nullptr}}}}).code.empty());
  CHECK(apply_filters(set, "issue:created", json::object()).code.empty());
  CHECK(apply_filters(set, "repo:fork", json::object()).code.empty());
}

TEST_CASE("an actor is matched by display name, nickname or uuid", "[filters]") {
  const json actor = {{"display_name", "Dependabot"}, {"nickname", "dependabot-bot"}, {"uuid", "{1234}"}};
  const auto push = push_of({{"branch", "main", "main"}}, actor);
  CHECK(apply_filters(filters_of(R"({"actors":["!dependabot*"]})"), "repo:push", push).reason ==
        "actor Dependabot (dependabot-bot) matches !dependabot*");
  CHECK(apply_filters(filters_of(R"({"actors":["!{1234}"]})"), "repo:push", push).code == "actor_filtered");
  CHECK(apply_filters(filters_of(R"({"actors":["Dependabot"]})"), "repo:push", push).code.empty());
  const auto only = apply_filters(filters_of(R"({"actors":["alice","bob"]})"), "repo:push", push);
  CHECK(only.code == "actor_filtered");
  CHECK(only.reason == "actor Dependabot matches none of alice, bob");
  // The actor filter comes first: a bot's push to a filtered branch says why in the bot's terms.
  const auto both = filters_of(R"({"actors":["!Dependabot"],"branches":["release/*"]})");
  CHECK(apply_filters(both, "repo:push", push).code == "actor_filtered");
  // A payload without an actor passes the actor filter.
  CHECK(apply_filters(filters_of(R"({"actors":["alice"]})"), "repo:fork", json::object()).code.empty());
}

TEST_CASE("the pipeline ignores a filtered event with 200 and delivers a push's passing changes", "[filters]") {
  auto settings = parse_endpoint(
      json::parse(R"({"secret":"s","events":{"mode":"all"},"filters":{"branches":["main"],"actors":["!ci-*"]}})"));
  REQUIRE(settings.ok());
  const auto send = [&](std::string_view key, const json& payload) {
    const auto body = payload.dump();
    header_map headers;
    headers.add("X-Event-Key", key);
    headers.add("X-Hub-Signature", "sha256=" + to_hex(hmac_sha256(as_bytes("s"), as_bytes(body))));
    return handle(settings.value(), headers, as_bytes(body));
  };
  const auto ignored = send("repo:push", push_of({{"branch", "dev", "dev"}}));
  CHECK(ignored.verdict == verdict::ignore);
  CHECK(ignored.status == 200);
  CHECK(ignored.code == "branch_filtered");
  CHECK(ignored.reason == "branch dev matches none of main");

  const auto bot = send("repo:push", push_of({{"branch", "main", "main"}}, {{"nickname", "ci-runner"}}));
  CHECK(bot.code == "actor_filtered");

  const auto partial = send("repo:push", push_of({{"branch", "dev", "dev"}, {"branch", "main", "main"}}));
  CHECK(partial.verdict == verdict::deliver);
  CHECK(partial.reason ==
        "event repo:push accepted: 1 of 2 changes pass the filters (branch dev matches none of main)");
  REQUIRE(partial.message);
  CHECK(partial.message->at("embeds").size() == 1);
  CHECK(partial.message->at("embeds")[0].at("title").get<std::string>().find("main") != std::string::npos);
}

TEST_CASE("threads are off unless asked for, and an unknown setting is refused", "[filters]") {
  const auto with = [](std::string_view threads) {
    return parse_endpoint(
        json::parse(std::string(R"({"secret":"s","events":{"mode":"all"},"threads":)") + std::string(threads) + "}"));
  };
  CHECK(with("\"pull_request\"").value().pull_request_threads);
  CHECK_FALSE(with("\"off\"").value().pull_request_threads);
  CHECK_FALSE(with("null").value().pull_request_threads);
  CHECK(with("\"yes\"").error().field == "threads");
  CHECK(with("true").error().field == "threads");
}

TEST_CASE("timestamps read as Bitbucket writes them, in microseconds", "[threads]") {
  CHECK(timestamp_us("2023-05-16T10:33:04.281505+00:00") == 1684233184281505);
  CHECK(timestamp_us("1970-01-01T00:00:00Z") == 0);
  CHECK(timestamp_us("1970-01-01T01:00:00+01:00") == 0);
  CHECK(timestamp_us("1969-12-31T23:00:00-01:00") == 0);
  CHECK(timestamp_us("2024-02-29T12:00:00.5Z") == 1709208000500000);
  CHECK(timestamp_us("2024-02-29T12:00:00.1234567Z") == 1709208000123456);
  CHECK_FALSE(timestamp_us("2024-13-01T00:00:00Z"));
  CHECK_FALSE(timestamp_us("yesterday"));
  CHECK_FALSE(timestamp_us("2024-01-01T00:00:00+00:00 trailing"));
  CHECK_FALSE(timestamp_us(""));
}

TEST_CASE("a pull request event names its thread and carries the card", "[threads]") {
  const json payload = {
      {"repository", {{"uuid", "{r1}"}, {"full_name", "acme/api"}}},
      {"pullrequest",
       {{"id", 42},
        {"title", "Add login " + std::string(120, 'x') + "\nsecond line"},
        {"state", "OPEN"},
        {"updated_on", "2023-05-16T10:33:04.281505+00:00"},
        {"participants",
         json::array({{{"user", {{"display_name", "Ann"}}}, {"approved", true}, {"state", "approved"}},
                      {{"user", {{"display_name", "Bob"}}}, {"approved", false}, {"state", "changes_requested"}}})}}}};
  const auto thread = pull_request_thread("pullrequest:approved", payload);
  REQUIRE(thread);
  CHECK(thread->at("key") == "{r1}#42");
  const auto name = thread->at("name").get<std::string>();
  CHECK(name.rfind("#42 Add login", 0) == 0);
  CHECK(name.find('\n') == std::string::npos);
  CHECK(count_chars(name) == max_thread_name_chars);
  CHECK(thread->at("updated_us") == 1684233184281505);
  CHECK(thread->at("state") == "OPEN");
  const auto& embed = thread->at("card").at("embeds")[0];
  CHECK(embed.at("color") == 0xFF8B00);  // changes requested
  CHECK(embed.at("fields")[0].at("value") == "Open \xC2\xB7 1 approval \xC2\xB7 changes requested by Bob");

  CHECK_FALSE(pull_request_thread("repo:push", payload));
  CHECK_FALSE(pull_request_thread("pullrequest:created", json{{"pullrequest", json::object()}}));
}
