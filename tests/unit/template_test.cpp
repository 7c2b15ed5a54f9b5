// Custom templates: compile errors with their place in the document, rendering against the payload and the
// derived values, overrides per event and family, and the fallback to the auto embed.

#include <catch2/catch.hpp>

#include "dispatch/answers.hpp"
#include "dispatch/message_template.hpp"
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
  CHECK(endpoint.error().message == "templates[\"repo:push\"]: content: {{/x}} closes a section that was never opened");
  CHECK(endpoint.error().line == 2);
  CHECK(endpoint.error().column == 13);
}

namespace {

// A push of `count` commits, each with a short message.
std::string push_of(int count) {
  std::string commits;
  for (int i = 0; i < count; ++i) {
    commits += std::string(i == 0 ? "" : ",") + R"({"hash":"7a1f3c2b9d8e4f6a5b0c1d2e3f4a5b6c7d8e9f0)" +
               std::to_string(i % 10) + R"(","message":"m)" + std::to_string(i) + R"(","author":{"raw":"a <a@x>"}})";
  }
  return R"({"actor":{"display_name":"Zoë"},"repository":{"full_name":"acme/relay_api"},"push":{"changes":[)"
         R"({"new":{"type":"branch","name":"main"},"commits":[)" +
         commits + "]}]}}";
}

// A template whose content nests `depth` sections over the commits, writing `text` innermost.
std::string nested_commits(int depth, std::string_view text) {
  std::string content;
  for (int i = 0; i < depth; ++i) content += "{{#dispatch.commits}}";
  content += text;
  for (int i = 0; i < depth; ++i) content += "{{/dispatch.commits}}";
  return R"({"content":")" + content + R"("})";
}

}  // namespace

TEST_CASE("a template cannot multiply its way past the render budget", "[template][budget]") {
  const auto payload = push_of(10);
  // Seven sections over ten commits ask for 10^7 copies of the text: stopped, and the auto embed is sent.
  const auto compiled = compile_template(nested_commits(7, "0123456789abcdef"));
  REQUIRE(compiled.ok());
  const auto refused = preview("repo:push", as_bytes(payload), &compiled.value());
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == "template_too_large");
  template_set set;
  set.by_selector.emplace("default", compiled.value());
  const auto delivered =
      handle_verified(endpoint_settings{{"s"}, make_selection("all", {}).value(), set}, "repo:push", as_bytes(payload));
  CHECK(delivered.code == "template_fallback");
  CHECK(delivered.reason.find("rendering stopped") != std::string::npos);
  // Writing nothing does not help: the steps run out as well.
  const auto silent = compile_template(nested_commits(7, ""));
  REQUIRE(silent.ok());
  CHECK(preview("repo:push", as_bytes(payload), &silent.value()).error().code == "template_too_large");
  // Copying the payload whole in many places is paid for too.
  std::string copies = R"({"content":"x","embeds":[)";
  for (int i = 0; i < 400; ++i) copies += std::string(i == 0 ? "" : ",") + R"({"title":"t","fields":"{{push}}"})";
  const auto copying = compile_template(copies + "]}");
  REQUIRE(copying.ok());
  CHECK(preview("repo:push", as_bytes(push_of(100)), &copying.value()).error().code == "template_too_large");
  // A real template over a large push is well within it.
  const auto listing =
      compile_template(R"({"content":"{{#dispatch.commits}}`{{short_hash}}` {{subject}}\n{{/dispatch.commits}}"})");
  REQUIRE(listing.ok());
  CHECK(preview("repo:push", as_bytes(push_of(100)), &listing.value()).ok());
}

TEST_CASE("sections nest at most 64 deep, refused where the 65th opens", "[template][budget]") {
  CHECK(compile_template(nested_commits(64, "x")).ok());
  const auto deep = compile_error(nested_commits(65, "x"));
  CHECK(deep.code == "template_too_deep");
  CHECK(deep.line == 1);
  CHECK(deep.column == 13 + 64 * 21);  // {"content":" is 12 bytes; each {{#dispatch.commits}} 21
  std::string five_thousand;
  for (int i = 0; i < 5000; ++i) five_thousand += "{{#a}}";
  CHECK(mustache::parse(five_thousand).error().code == "template_too_deep");
  // A message nests eight levels at most.
  CHECK(compile_error(R"({"embeds":[{"fields":[{"name":"a","value":{"a":{"b":{"c":{"d":1}}}}}]}]})").code ==
        "template_too_deep");
  // Partials recurse at most 64 deep, sections and partials together 128: stopped, not overflowed.
  const auto looping = mustache::parse("{{#a}}{{>p}}{{/a}}");
  REQUIRE(looping.ok());
  const auto data = json::parse(R"({"a":true})");
  const auto text =
      mustache::render(looping.value(), data, {{"p", "{{#a}}{{#a}}{{>p}}{{/a}}{{/a}}"}}, mustache::escaping::none);
  REQUIRE_FALSE(text.ok());
  CHECK(text.error().code == "template_too_deep");
}

TEST_CASE("templates are limited in size, each and together", "[template][budget]") {
  const std::string big = R"({"content":")" + std::string(max_template_bytes, 'x') + R"("})";
  CHECK(compile_error(big).code == "template_too_large");
  json templates = json::object();
  for (const auto* key : {"default", "repo:push", "repo:fork", "issue:*", "pullrequest:*"}) {
    templates[key] = R"({"content":")" + std::string(max_template_bytes - 20, 'x') + R"("})";
  }
  const auto set = parse_template_set(templates);
  REQUIRE_FALSE(set.ok());
  CHECK(set.error().code == "template_too_large");
  CHECK(set.error().message.find("together") != std::string::npos);
}

TEST_CASE("a fault is placed where it is written, escapes and all", "[template][positions]") {
  // The section opens on line 2 of the string, but the template is one line: \n is two bytes there.
  const std::string escaped = R"({"content":"line one\nline two {{#open}}"})";
  const auto fault = compile_error(escaped);
  CHECK(fault.line == 1);
  CHECK(fault.column == static_cast<int>(escaped.find("{{#open}}")) + 1);
  for (const std::string before : {R"(\u0041\"\\)", R"(\ud83d\ude00 é)", R"(\t\/)"}) {
    const std::string source = R"({"content":")" + before + R"( {{#open}}"})";
    INFO(source);
    CHECK(compile_error(source).column == static_cast<int>(source.find("{{#open}}")) + 1);
  }
  // Over several lines of the document.
  const std::string lines = "{\n  \"embeds\": [{\n    \"title\": \"a\\\"b {{/x}}\"\n  }]\n}";
  const auto closing = compile_error(lines);
  CHECK(closing.line == 3);
  CHECK(closing.column == 20);
  // A repeated member is refused where it repeats.
  const auto twice = compile_error(R"({"content":"a","content":"b"})");
  CHECK(twice.code == "template_invalid");
  CHECK(twice.column == 16);
}

TEST_CASE("a template sent inside a request is placed in the request's text", "[template][positions]") {
  const std::string request =
      R"({"event":"repo:push","payload":{},"template":{"content":"{{#dispatch.commits}} oops"}})";
  const auto answer = preview_request_json(as_bytes(request));
  CHECK(answer.at("code") == "template_syntax");
  CHECK(answer.at("field") == "template");
  CHECK(answer.at("line") == 1);
  CHECK(answer.at("column") == static_cast<int>(request.find("{{#dispatch")) + 1);
  CHECK(answer.at("reason").get<std::string>().find("in the request body") != std::string::npos);
  // The admin API's check, given the request it received.
  const std::string body = "{\"name\":\"x\",\n \"templates\": {\"repo:push\": {\"content\": \"{{/x}}\"}}}";
  const auto checked = endpoint_check_json(
      R"({"secret":"s","events":{"mode":"all"},"templates":{"repo:push":{"content":"{{/x}}"}}})", body);
  CHECK(checked.at("field") == "templates");
  CHECK(checked.at("line") == 2);
  CHECK(checked.at("column") == static_cast<int>(body.find("{{/x}}") - body.find('\n')));
}

TEST_CASE("plain-text members are not markdown-escaped, markdown members are", "[template]") {
  const auto message =
      rendered("repo:push", push_of(1),
               R"({"username":"{{dispatch.repository}}","content":"{{dispatch.repository}}",)"
               R"("embeds":[{"title":"{{dispatch.actor}} *","description":"{{dispatch.repository}}",)"
               R"("author":{"name":"{{dispatch.actor}} [ops]","url":"https://x/{{dispatch.repository}}"},)"
               R"("footer":{"text":"{{dispatch.event}} {{dispatch.repository}}"}}]})");
  CHECK(message["username"] == "acme/relay_api");
  CHECK(message["content"] == "acme/relay\\_api");
  CHECK(message["embeds"][0]["description"] == "acme/relay\\_api");
  CHECK(message["embeds"][0]["author"]["name"] == "Zoë [ops]");
  CHECK(message["embeds"][0]["author"]["url"] == "https://x/acme/relay_api");
  CHECK(message["embeds"][0]["footer"]["text"] == "repo:push acme/relay_api");
}

TEST_CASE("a template text may begin with a byte order mark", "[template][positions]") {
  const std::string text = "\xEF\xBB\xBF{\"embeds\":[{\"title\":\"x\"}]}";
  CHECK(compile_template(text).ok());
  const auto request = R"({"event":"repo:push","payload":{},"template":")" + std::string("\xEF\xBB\xBF") +
                       R"({\"embeds\":[{\"title\":\"x {{/y}}\"}]}"})";
  const auto answer = preview_request_json(as_bytes(request));
  CHECK(answer.at("code") == "template_syntax");
  CHECK(answer.at("column") == 27);  // in bytes, the mark included, as every column is
}

namespace {

// The core's template warnings for one template `content` under events `mode`, checked against the push and
// pull request samples.
ordered_json warnings_for(std::string_view mode, std::string content) {
  const std::string pr = R"({"pullrequest":{"id":1,"title":"T","state":"OPEN"},"repository":{"full_name":"a/b"},)"
                         R"("actor":{"display_name":"Ann"}})";
  const ordered_json envelope = {
      {"endpoint", {{"events", {{"mode", mode}}}, {"template", {{"content", std::move(content)}}}}},
      {"samples",
       {{{"event", "repo:push"}, {"body", push_payload}}, {{"event", "pullrequest:created"}, {"body", pr}}}}};
  const auto answer = template_warnings_json(dump_json(envelope));
  REQUIRE(answer.at("code") == "checked");
  return answer;
}

}  // namespace

TEST_CASE("template warnings: a name no sample has, and one that says nothing for some events", "[template]") {
  const auto answer =
      warnings_for("all", "{{dispatch.actor}} pushed {{dispatch.commit_count}} {{dispatch.nonexistant}}");
  CHECK(answer.at("checked") == ordered_json({"repo:push", "pullrequest:created"}));
  const auto& warnings = answer.at("warnings");
  REQUIRE(warnings.size() == 2);
  CHECK(warnings[0].at("name") == "dispatch.commit_count");
  CHECK(warnings[0].at("missing_for") == ordered_json({"pullrequest:created"}));
  CHECK(warnings[0].at("found_for") == ordered_json({"repo:push"}));
  CHECK(warnings[1].at("name") == "dispatch.nonexistant");
  CHECK(warnings[1].at("reason").get<std::string>().find("is in no sample payload") != std::string::npos);
  // A template for push alone, over push alone (the pull request sample is not checked): nothing to say.
  const auto push_only = warnings_for("push", "{{#dispatch.commits}}{{subject}}{{/dispatch.commits}}");
  CHECK(push_only.at("checked") == ordered_json({"repo:push"}));
  CHECK(push_only.at("warnings").empty());
  // Names inside a section are named with it.
  const auto typo = warnings_for("push", "{{#dispatch.commits}}{{subjct}}{{/dispatch.commits}}").at("warnings");
  REQUIRE(typo.size() == 1);
  CHECK(typo[0].at("where") == "dispatch.commits");
}

TEST_CASE("template warnings: a section is the template choosing what to show, unless no sample has it", "[template]") {
  CHECK(
      warnings_for("all", "{{dispatch.actor}}{{#dispatch.commits}}{{subject}}{{/dispatch.commits}}{{#push}}x{{/push}}")
          .at("warnings")
          .empty());
  const auto typo =
      warnings_for("all", "{{dispatch.actor}}{{#dispatch.comits}}{{subject}}{{/dispatch.comits}}").at("warnings");
  REQUIRE(typo.size() == 1);
  CHECK(typo[0].at("name") == "dispatch.comits");
}

TEST_CASE("selects_json reads the selection alone: no secret or template is needed", "[template]") {
  CHECK(selects_json(R"({"endpoint":{"events":{"mode":"push"}},"event":"repo:push"})").at("code") == "selected");
  CHECK(selects_json(R"({"endpoint":{"events":{"mode":"custom","custom":["repo:fork"]}},"event":"repo:push"})")
            .at("code") == "event_not_selected");
  const auto bad = selects_json(R"({"endpoint":{"events":{"mode":"some"}},"event":"repo:push"})");
  CHECK(bad.at("code") == "endpoint_invalid");
  CHECK(bad.at("field") == "events.mode");
  CHECK(selects_json(R"({"endpoint":{"events":{"mode":"all"}},"event":"Push"})").at("code") == "event_key_invalid");
  CHECK(selects_json(R"({"endpoint":{"events":{"mode":"all"}}})").at("code") == "envelope_invalid");
}
