// The auto-formatted embeds: every shared fixture renders within Discord's limits with the facts a reader
// needs, and the stress cases (huge messages, emoji at every cut, 30 changes, a 100 KB description) hold.

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "dispatch/discord_limits.hpp"
#include "dispatch/message_template.hpp"
#include "dispatch/pipeline.hpp"
#include "dispatch/signature.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace dispatch;
using dispatch::testing::read_all;

namespace {

std::size_t chars_at(const ordered_json& object, const char* key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? count_chars(it->get<std::string>()) : 0;
}

// Checks every Discord limit; returns all the message's text, for looking facts up.
std::string check_limits(const ordered_json& message) {
  REQUIRE(message.at("allowed_mentions") == ordered_json({{"parse", ordered_json::array()}}));
  CHECK(chars_at(message, "content") <= discord_limits::content);
  const auto& embeds = message.at("embeds");
  CHECK(embeds.size() >= 1);
  CHECK(embeds.size() <= discord_limits::embeds);
  std::size_t total = 0;
  std::string text;
  for (const auto& embed : embeds) {
    CHECK(chars_at(embed, "title") <= discord_limits::title);
    CHECK(chars_at(embed, "description") <= discord_limits::description);
    total += chars_at(embed, "title") + chars_at(embed, "description");
    text += embed.value("title", "") + "\n" + embed.value("description", "") + "\n";
    if (embed.contains("author")) {
      CHECK(chars_at(embed["author"], "name") <= discord_limits::author_name);
      total += chars_at(embed["author"], "name");
    }
    if (embed.contains("footer")) {
      CHECK(chars_at(embed["footer"], "text") <= discord_limits::footer_text);
      total += chars_at(embed["footer"], "text");
    }
    if (embed.contains("fields")) {
      CHECK(embed["fields"].size() <= discord_limits::fields);
      for (const auto& field : embed["fields"]) {
        CHECK(chars_at(field, "name") <= discord_limits::field_name);
        CHECK(chars_at(field, "value") <= discord_limits::field_value);
        total += chars_at(field, "name") + chars_at(field, "value");
        text += field.value("value", "") + "\n";
      }
    }
  }
  CHECK(total <= discord_limits::embeds_total);
  CHECK(clean_text(dump_json(message)) == dump_json(message));
  return text;
}

ordered_json render(std::string_view key, const std::string& body) {
  const auto result = preview(key, as_bytes(body));
  REQUIRE(result.ok());
  return result.value();
}

}  // namespace

TEST_CASE("names in code spans are shown as written, not escaped", "[render][regression]") {
  // Discord shows inline code literally, so an escape would show its backslash.
  const auto message =
      render("repo:push", R"({"actor":{"display_name":"Zoë"},"repository":{"full_name":"acme/relay-api"},
    "push":{"changes":[{"new":{"type":"branch","name":"feature/my_branch-`x`"},"old":null,"created":true,"commits":[]}]}})");
  const auto description = dump_json(message["embeds"][0]["description"]);
  CHECK(description.find("`feature/my_branch-\xCB\x8Bx\xCB\x8B`") != std::string::npos);
}

TEST_CASE("a commit author given as the user object itself is named", "[render][regression]") {
  // Atlassian's documented push (the go-playground capture) gives `author` as the user, with no `raw` and no
  // `user`; the two shapes real deliveries use must still read as before.
  const std::string body =
      R"({"repository":{"full_name":"a/b"},"push":{"changes":[{"old":{"type":"branch","name":"main"},
    "new":{"type":"branch","name":"main"},"commits":[
      {"hash":"03f4a7270240708834de475bcf21532d6134777e","message":"documented shape\n",
       "author":{"type":"user","display_name":"Emma","nickname":"emmap1"}},
      {"hash":"1e65c05c1d5171631d92438a13901ca7dae9618c","message":"linked account",
       "author":{"raw":"Zoë Ortega <zoe@example.com>","user":{"display_name":"Zoë"}}},
      {"hash":"7a1f3c2b9d8e4f6a5b0c1d2e3f4a5b6c7d8e9f01","message":"no account",
       "author":{"raw":"ci-bot <ci@example.com>"}},
      {"hash":"3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d","message":"nothing at all","author":{}}]}]}})";
  const auto description = render("repo:push", body)["embeds"][0]["description"].get<std::string>();
  CHECK(description ==
        "`03f4a72` documented shape \xE2\x80\x94 Emma\n"
        "`1e65c05` linked account \xE2\x80\x94 Zoë\n"
        "`7a1f3c2` no account \xE2\x80\x94 ci-bot\n"
        "`3c4d5e6` nothing at all \xE2\x80\x94 unknown author");
  // A template's dispatch.commits[].author reads the same shapes.
  const auto authors = compile_template(R"({"content":"{{#dispatch.commits}}{{author}};{{/dispatch.commits}}"})");
  REQUIRE(authors.ok());
  const auto templated = preview("repo:push", as_bytes(body), &authors.value());
  REQUIRE(templated.ok());
  CHECK(templated.value()["content"] == "Emma;Zoë;ci-bot;;");
}

TEST_CASE("every shared fixture renders within limits with its facts", "[render][fixtures]") {
  const fs::path dir = testing::shared_dir() / "fixtures/bitbucket-cloud";
  if (testing::shared_missing(dir / "index.json")) return;
  int rendered = 0;
  for (const auto& entry : json::parse(read_all(dir / "index.json"))) {
    const auto file = entry.at("file").get<std::string>();
    const auto key = entry.at("event_key").get<std::string>();
    INFO(file << " as " << key);
    const auto body = read_all(dir / file);
    const auto payload = json::parse(body);
    const auto message = render(key, body);
    const auto text = check_limits(message);
    ++rendered;

    if (payload.contains("repository") && payload["repository"].contains("full_name")) {
      CHECK(text.find(payload["repository"]["full_name"].get<std::string>()) != std::string::npos);
    }
    if (key == "repo:push") {
      for (const auto& change : payload["push"]["changes"]) {
        const auto& ref = change["new"].is_null() ? change["old"] : change["new"];
        CHECK(text.find(ref["name"].get<std::string>()) != std::string::npos);
        for (const auto& commit : change.value("commits", json::array())) {
          CHECK(text.find("`" + commit["hash"].get<std::string>().substr(0, 7) + "`") != std::string::npos);
        }
      }
    } else if (key.rfind("pullrequest:", 0) == 0) {
      const auto& pr = payload["pullrequest"];
      const auto title = message["embeds"][0]["title"].get<std::string>();
      CHECK(title.find("#" + std::to_string(pr["id"].get<int>())) != std::string::npos);
      const auto pr_title = pr["title"].get<std::string>();
      CHECK(title.find(pr_title.substr(0, pr_title.find('\n')).substr(0, 40)) != std::string::npos);
    } else if (key.rfind("repo:commit_status_", 0) == 0) {
      CHECK(text.find(payload["commit_status"]["state"].get<std::string>()) != std::string::npos);
    } else if (key.rfind("issue:", 0) == 0) {
      CHECK(message["embeds"][0]["title"].get<std::string>().find(
                "#" + std::to_string(payload["issue"]["id"].get<int>())) != std::string::npos);
    }
  }
  CHECK(rendered > 50);
}

namespace {

// A push payload with `changes` changes on branches b0, b1, …, each with `commits` commits whose message is
// `message`.
std::string push_payload(int changes, int commits, const std::string& message) {
  ordered_json list = ordered_json::array();
  for (int c = 0; c < changes; ++c) {
    ordered_json commit_list = ordered_json::array();
    for (int k = 0; k < commits; ++k) {
      const auto hash = to_hex(hmac_sha256(as_bytes("hash"), as_bytes(std::to_string(c * 100 + k))));
      commit_list.push_back(
          {{"hash", hash.substr(0, 40)},
           {"message", message},
           {"author", {{"raw", "Dev <dev@example.com>"}}},
           {"links", {{"html", {{"href", "https://bitbucket.org/a/b/commits/" + hash.substr(0, 40)}}}}}});
    }
    list.push_back({{"old", {{"type", "branch"}, {"name", "b" + std::to_string(c)}}},
                    {"new", {{"type", "branch"}, {"name", "b" + std::to_string(c)}}},
                    {"commits", commit_list},
                    {"truncated", false},
                    {"links", {{"html", {{"href", "https://bitbucket.org/a/b/branches/compare/x..y"}}}}}});
  }
  const ordered_json payload = {
      {"actor", {{"display_name", "Dev"}}}, {"repository", {{"full_name", "a/b"}}}, {"push", {{"changes", list}}}};
  return dump_json(payload);
}

const std::string rocket = "\xF0\x9F\x9A\x80";  // four bytes

}  // namespace

TEST_CASE("stress: a 10,000-character commit message", "[render][stress]") {
  const auto message = render("repo:push", push_payload(1, 5, std::string(10000, 'x')));
  check_limits(message);
  const auto description = message["embeds"][0]["description"].get<std::string>();
  // Whole lines are dropped and counted, and the first is cut rather than lost.
  CHECK(description.find("more commits") != std::string::npos);
  CHECK(description.rfind("[`", 0) == 0);
}

TEST_CASE("stress: 4-byte emoji at every cut point", "[render][stress]") {
  for (int prefix = 0; prefix < 4; ++prefix) {
    INFO("prefix " << prefix);
    std::string emoji_text(prefix, 'a');
    for (int i = 0; i < 3000; ++i) emoji_text += rocket;
    check_limits(render("repo:push", push_payload(1, 5, emoji_text)));
    const ordered_json pr = {{"repository", {{"full_name", "a/b"}}},
                             {"pullrequest", {{"id", 1}, {"title", emoji_text}, {"description", emoji_text}}}};
    const auto message = render("pullrequest:created", dump_json(pr));
    check_limits(message);
    CHECK(count_chars(message["embeds"][0]["title"].get<std::string>()) == discord_limits::title);
  }
}

TEST_CASE("stress: 30 changes in one push", "[render][stress]") {
  const auto message = render("repo:push", push_payload(30, 5, "Fix the thing\nbody"));
  const auto text = check_limits(message);
  REQUIRE(message["embeds"].size() == 10);
  for (int c = 0; c < 9; ++c) CHECK(message["embeds"][c]["title"] == "[a/b:b" + std::to_string(c) + "] 5 new commits");
  CHECK(message["embeds"][9]["title"] == "[a/b] and 21 more refs in this push");
  CHECK(text.find("updated branch `b29`") != std::string::npos);
}

TEST_CASE("stress: a pull request description of 100 KB", "[render][stress]") {
  std::string description = "Intro\n\n```\n";
  while (description.size() < 100 * 1024) description += "a line of code inside a fence\n";
  const ordered_json pr = {{"repository", {{"full_name", "a/b"}}},
                           {"pullrequest", {{"id", 9}, {"title", "Big"}, {"description", description}}}};
  const auto message = render("pullrequest:created", dump_json(pr));
  check_limits(message);
  const auto text = message["embeds"][0]["description"].get<std::string>();
  CHECK(count_chars(text) <= 1500);
  CHECK(text.substr(text.size() - 4) == "\n```");  // the fence the cut left open is closed
}

TEST_CASE("graceful with missing data: every family renders an empty payload", "[render]") {
  for (const auto& info : event_catalogue()) {
    INFO(info.key);
    const auto message = render(info.key, "{}");
    check_limits(message);
    CHECK_FALSE(message["embeds"][0]["title"].get<std::string>().empty());
  }
  // Wrong types where objects are expected.
  check_limits(render("repo:push", R"({"push":{"changes":[null,1,"x",{"new":5,"commits":{}}]},"actor":[]})"));
  check_limits(render("pullrequest:approved", R"({"pullrequest":{"id":"7","reviewers":{},"participants":[1]}})"));
}

TEST_CASE("a long pull request description is shown as an excerpt that says so and links to the rest", "[render]") {
  const std::string description(2000, 'x');
  const std::string body = R"({"pullrequest":{"id":7,"title":"T","state":"OPEN","description":")" + description +
                           R"(","links":{"html":{"href":"https://bitbucket.org/a/b/pull-requests/7"}}},)"
                           R"("repository":{"full_name":"a/b"},"actor":{"display_name":"Ann"}})";
  for (const auto& [key, shown] : {std::pair{"pullrequest:created", 1500}, std::pair{"pullrequest:updated", 600}}) {
    std::vector<cut> cuts;
    const auto message = preview(key, as_bytes(body), nullptr, &cuts);
    REQUIRE(message.ok());
    const auto text = message.value()["embeds"][0]["description"].get<std::string>();
    CHECK(text.find("\xE2\x80\xA6\n[Read the rest](https://bitbucket.org/a/b/pull-requests/7)") != std::string::npos);
    REQUIRE(cuts.size() == 1);
    CHECK(cuts[0].rule == "excerpt");
    CHECK(cuts[0].limit == static_cast<std::size_t>(shown));
    CHECK(cuts[0].length == 2000);
    CHECK(describe_cut(cuts[0]).find("dispatch shows the first") != std::string::npos);
    CHECK_FALSE(message.value().contains("dispatch_shortened"));
  }
}
