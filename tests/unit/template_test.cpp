// Custom templates: compile errors with their place in the document, rendering against the payload and the
// derived values, overrides per event and family, and the fallback to the auto embed.

#include <catch2/catch.hpp>

#include "dispatch/message_template.hpp"
#include "dispatch/pipeline.hpp"
#include "dispatch/signature.hpp"

using namespace dispatch;

namespace {

error compile_error(std::string_view source) {
  const auto compiled = compile_template(source);
  REQUIRE_FALSE(compiled.ok());
  return compiled.error();
}

const char* push_payload = R"({
  "actor": {"display_name": "Zoë *Ortega*"},
  "repository": {"full_name": "acme/relay-api"},
  "push": {"changes": [{"old": {"type": "branch", "name": "main"}, "new": {"type": "branch", "name": "main"}, "commits": [
    {"hash": "7a1f3c2b9d8e4f6a5b0c1d2e3f4a5b6c7d8e9f01", "message": "Fix retries\n\nbody",
     "author": {"raw": "Zoë Ortega <zoe@example.com>"}, "links": {"html": {"href": "https://bitbucket.org/c/7a1f"}}},
    {"hash": "3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d", "message": "Docs", "author": {"raw": "ci <ci@x>"}}]}]}
})";

ordered_json rendered(std::string_view key, std::string_view payload_text, std::string_view template_text) {
  const auto compiled = compile_template(template_text);
  REQUIRE(compiled.ok());
  const auto result = preview(key, as_bytes(payload_text), &compiled.value());
  REQUIRE(result.ok());
  return result.value();
}

}  // namespace

TEST_CASE("template errors name the line and column in the document", "[template]") {
  const auto not_json = compile_error("{\n  \"content\": \"x\",\n}");
  CHECK(not_json.code == "template_syntax");
  CHECK(not_json.message ==
        "template is not JSON: syntax error while parsing object key - unexpected '}'; expected string literal");
  CHECK(not_json.line == 3);
  CHECK(not_json.column == 1);

  const auto unclosed = compile_error("{\n  \"embeds\": [{\n    \"title\": \"Push to {{#branch}}{{branch}}\"\n  }]\n}");
  CHECK(unclosed.code == "template_syntax");
  CHECK(unclosed.message == "embeds[0].title: {{#branch}} is never closed with {{/branch}}");
  CHECK(unclosed.line == 3);
  CHECK(unclosed.column == 23);

  const auto mismatch = compile_error(R"({"content": "{{#a}}x{{/b}}"})");
  CHECK(mismatch.message == "content: {{/b}} does not match {{#a}} (opened at line 1, column 1)");
  CHECK(mismatch.column == 21);

  const auto delimiters = compile_error(R"({"content": "{{=<%>=}}"})");
  CHECK(delimiters.message == "content: delimiter change needs two delimiters without spaces or '=', e.g. {{=<% %>=}}");

  const auto unknown = compile_error("{\n  \"embeds\": [{\"colour\": 5}]\n}");
  CHECK(unknown.code == "template_invalid");
  CHECK(unknown.message == "embeds[0].colour is not a member Discord takes");
  CHECK(unknown.line == 2);
  CHECK(unknown.column == 15);

  CHECK(compile_error("[]").message == "a template is a JSON object shaped like a Discord message");
}

TEST_CASE("templates render against the payload and the derived values", "[template]") {
  const auto message = rendered("repo:push", push_payload, R"({
    "content": "{{dispatch.actor}} pushed {{#dispatch.commits}}{{short_hash}} {{/dispatch.commits}}to {{dispatch.branch}}",
    "embeds": [{"title": "{{repository.full_name}} · {{dispatch.label}}", "color": "{{dispatch.color}}",
                "fields": [{"name": "first", "value": "{{dispatch.commits.0.subject}}", "inline": "true"}]}]
  })");
  CHECK(message["content"] == "Zoë \\*Ortega\\* pushed 7a1f3c2 3c4d5e6 to main");
  CHECK(message["embeds"][0]["title"] == "acme/relay-api · Push");
  CHECK(message["embeds"][0]["color"] == 0x0052CC);  // the auto renderer's push blue, as a number
  CHECK(message["embeds"][0]["fields"][0]["inline"] == true);
  CHECK(message["allowed_mentions"]["parse"].empty());
}

TEST_CASE("a template can wrap the auto-formatted embeds", "[template]") {
  const auto message =
      rendered("repo:push", push_payload, R"({"content": "Deploy train", "embeds": "{{dispatch.auto.embeds}}"})");
  CHECK(message["content"] == "Deploy train");
  REQUIRE(message["embeds"].is_array());
  CHECK(message["embeds"][0]["title"] == "[acme/relay-api:main] 2 new commits");
}

TEST_CASE("colours written as text become numbers", "[template]") {
  const auto message = rendered("repo:push", push_payload,
                                R"({"embeds": [{"title": "a", "color": "#36B37E"}, {"title": "b", "color": "red"}]})");
  CHECK(message["embeds"][0]["color"] == 0x36B37E);
  CHECK_FALSE(message["embeds"][1].contains("color"));
}

TEST_CASE("the most specific template wins", "[template]") {
  const auto set = parse_template_set(json::parse(R"({
    "default": {"content": "default"},
    "pullrequest:*": {"content": "family"},
    "pullrequest:fulfilled": {"content": "merged"}
  })"));
  REQUIRE(set.ok());
  const auto content = [&](std::string_view key) {
    const auto* chosen = set.value().find(key);
    REQUIRE(chosen != nullptr);
    return render_template(*chosen, json::object()).value()["content"].get<std::string>();
  };
  CHECK(content("pullrequest:fulfilled") == "merged");
  CHECK(content("pullrequest:created") == "family");
  CHECK(content("repo:push") == "default");
  CHECK(parse_template_set(json::object()).value().find("repo:push") == nullptr);

  const auto bad = parse_template_set(json::parse(R"({"pullrequests:*": {"content": "x"}})"));
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().message ==
        "templates names \"pullrequests:*\", which is not default, an event key or a family such as pullrequest:*");
  const auto broken = parse_template_set(json::parse(R"({"repo:push": "{\"content\": \"{{#x}}\"}"})"));
  REQUIRE_FALSE(broken.ok());
  CHECK(broken.error().message == "templates[\"repo:push\"]: content: {{#x}} is never closed with {{/x}}");
}

TEST_CASE("a template that renders nothing falls back to the auto embed, and says so", "[template]") {
  const std::string body = push_payload;
  const auto endpoint = parse_endpoint(json::parse(
      R"({"secret": "s", "events": {"mode": "all"}, "template": {"content": "{{#nothing}}x{{/nothing}}"}})"));
  REQUIRE(endpoint.ok());
  header_map headers;
  headers.add("X-Event-Key", "repo:push");
  headers.add("X-Hub-Signature", "sha256=" + to_hex(hmac_sha256(as_bytes("s"), as_bytes(body))));
  const auto result = handle(endpoint.value(), headers, as_bytes(body));
  CHECK(result.status == 202);
  CHECK(result.code == "template_fallback");
  CHECK(result.reason ==
        "event repo:push accepted; the template was not used (the template rendered an empty message (no content, and "
        "no embed with a title, description or fields)), so the auto-formatted embed is sent");
  REQUIRE(result.message);
  CHECK((*result.message)["embeds"][0]["title"] == "[acme/relay-api:main] 2 new commits");
}

TEST_CASE("an endpoint's broken template is a configuration error with its place", "[template]") {
  const auto endpoint = parse_endpoint(json::parse(
      R"({"secret": "s", "events": {"mode": "all"}, "templates": {"repo:push": "{\n\"content\": \"{{/x}}\"}"}})"));
  REQUIRE_FALSE(endpoint.ok());
  CHECK(endpoint.error().code == "endpoint_invalid");
  CHECK(endpoint.error().message ==
        "endpoint.templates[\"repo:push\"]: content: {{/x}} closes a section that was never opened");
  CHECK(endpoint.error().line == 2);
  CHECK(endpoint.error().column == 13);
}
