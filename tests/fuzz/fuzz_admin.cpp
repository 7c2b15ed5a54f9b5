// libFuzzer target for what the admin API and the pages hand the core: an endpoint's settings as
// POST/PATCH /api/endpoints sends them, checked with and without the request's text (which places template
// faults by walking the text: the use-after-free of find_member lived there), and the envelopes of the preview,
// the filters' check, the template warnings, "would this pass?" and the pipeline. Objects are written with
// their members in an order the input chooses, repeated members included, with templates, filters and
// events as objects or as text, so every reader meets every field order.
//
//   cmake --preset fuzz && cmake --build --preset fuzz && build/fuzz/dispatch_fuzz_admin -dict=tests/fuzz/json.dict

#include <fuzzer/FuzzedDataProvider.h>

#include <cassert>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/answers.hpp"
#include "dispatch/filters.hpp"
#include "dispatch/json_io.hpp"
#include "dispatch/signature.hpp"

using namespace dispatch;

namespace {

// A JSON string literal of any bytes: quotes, backslashes and control characters escaped, everything else
// (invalid UTF-8 included) as it is, so the readers also meet text nlohmann would refuse.
std::string literal(std::string_view text) {
  std::string out = "\"";
  for (const char c : text) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      static constexpr char hex[] = "0123456789abcdef";
      out += "\\u00";
      out += hex[(c >> 4) & 0xf];
      out += hex[c & 0xf];
    } else {
      out += c;
    }
  }
  return out + "\"";
}

class writer {
 public:
  explicit writer(FuzzedDataProvider& input) : in_(input) {}

  std::string space() {
    switch (in_.ConsumeIntegralInRange<int>(0, 3)) {
      case 0:
        return "";
      case 1:
        return " ";
      case 2:
        return "\n  ";
      default:
        return "\r\n\t";
    }
  }

  // An object of `members` ({name, value text}) in an order the input picks; sometimes a member twice.
  std::string object(std::vector<std::pair<std::string, std::string>> members) {
    for (std::size_t i = members.size(); i > 1; --i) {
      std::swap(members[i - 1], members[in_.ConsumeIntegralInRange<std::size_t>(0, i - 1)]);
    }
    if (!members.empty() && in_.ConsumeIntegralInRange<int>(0, 7) == 0) {
      members.push_back(members[in_.ConsumeIntegralInRange<std::size_t>(0, members.size() - 1)]);
    }
    std::string out = "{" + space();
    for (std::size_t i = 0; i < members.size(); ++i) {
      if (i > 0) out += "," + space();
      out += literal(members[i].first) + space() + ":" + space() + members[i].second;
    }
    return out + space() + "}";
  }

  std::string array(const std::vector<std::string>& items) {
    std::string out = "[";
    for (std::size_t i = 0; i < items.size(); ++i) out += (i > 0 ? "," : "") + space() + items[i];
    return out + "]";
  }

  std::string word(std::initializer_list<std::string_view> choices) {
    if (in_.ConsumeIntegralInRange<int>(0, 5) == 0) return in_.ConsumeRandomLengthString(24);
    const auto at = in_.ConsumeIntegralInRange<std::size_t>(0, choices.size() - 1);
    return std::string(*(choices.begin() + static_cast<std::ptrdiff_t>(at)));
  }

  // Any JSON value, now and then, where a field wants a particular one.
  std::string stray() {
    switch (in_.ConsumeIntegralInRange<int>(0, 5)) {
      case 0:
        return "null";
      case 1:
        return std::to_string(in_.ConsumeIntegral<int>());
      case 2:
        return in_.ConsumeBool() ? "true" : "false";
      case 3:
        return "[]";
      case 4:
        return "{}";
      default:
        return literal(in_.ConsumeRandomLengthString(32));
    }
  }

  std::string text_of_template() {
    return word({"{{dispatch.event}}", "{{#pullrequest}}{{title}}{{/pullrequest}}", "{{#a}}", "{{/a}}", "{{>p}}",
                 "{{{actor.display_name}}}", "{{=<% %>=}}<%x%>", "{{^push}}none{{/push}}", "{{color}}", "plain"});
  }

  // A template: a Discord-shaped object whose strings are Mustache, or its JSON text as a string.
  std::string message_template() {
    if (in_.ConsumeIntegralInRange<int>(0, 9) == 0) return stray();
    std::vector<std::pair<std::string, std::string>> embed{{"title", literal(text_of_template())}};
    if (in_.ConsumeBool()) embed.emplace_back("description", literal(text_of_template()));
    if (in_.ConsumeBool()) embed.emplace_back("color", in_.ConsumeBool() ? literal("{{color}}") : "3066993");
    std::vector<std::pair<std::string, std::string>> message{{"content", literal(text_of_template())}};
    if (in_.ConsumeBool()) message.emplace_back("embeds", array({object(embed)}));
    if (in_.ConsumeBool())
      message.emplace_back(word({"username", "avatar_url", "nonsense"}), literal(text_of_template()));
    const auto text = object(std::move(message));
    return in_.ConsumeIntegralInRange<int>(0, 3) == 0 ? literal(text) : text;
  }

  std::string templates() {
    std::vector<std::pair<std::string, std::string>> members;
    const auto count = in_.ConsumeIntegralInRange<int>(0, 4);
    for (int i = 0; i < count; ++i) {
      members.emplace_back(word({"default", "pullrequest:*", "repo:push", "issue:*", "pullrequest:created", "*"}),
                           message_template());
    }
    return object(std::move(members));
  }

  std::string events() {
    if (in_.ConsumeIntegralInRange<int>(0, 9) == 0) return stray();
    std::vector<std::pair<std::string, std::string>> members{{"mode", literal(word({"push", "all", "custom"}))}};
    if (in_.ConsumeBool()) {
      std::vector<std::string> keys;
      const auto count = in_.ConsumeIntegralInRange<int>(0, 3);
      for (int i = 0; i < count; ++i) {
        keys.push_back(literal(word({"repo:push", "pullrequest:created", "issue:created", "repo:fork", "nope"})));
      }
      members.emplace_back("custom", array(keys));
    }
    return object(std::move(members));
  }

  std::string filters() {
    if (in_.ConsumeIntegralInRange<int>(0, 9) == 0) return stray();
    std::vector<std::pair<std::string, std::string>> members;
    for (const auto* name : {"branches", "tags", "actors"}) {
      if (!in_.ConsumeBool()) continue;
      std::vector<std::string> patterns;
      const auto count = in_.ConsumeIntegralInRange<int>(0, 3);
      for (int i = 0; i < count; ++i) patterns.push_back(literal(word({"main", "release/**", "!wip*", "v?.*", "**"})));
      members.emplace_back(name, array(patterns));
    }
    return object(std::move(members));
  }

  // The settings of POST/PATCH /api/endpoints, each field present or not, in any order.
  std::string endpoint() {
    std::vector<std::pair<std::string, std::string>> members;
    if (in_.ConsumeBool()) members.emplace_back("secret", literal(word({"s", "relay-demo-secret", ""})));
    if (in_.ConsumeBool()) members.emplace_back("events", events());
    if (in_.ConsumeBool()) members.emplace_back("template", message_template());
    if (in_.ConsumeBool()) members.emplace_back("templates", templates());
    if (in_.ConsumeBool()) members.emplace_back("filters", filters());
    if (in_.ConsumeBool()) members.emplace_back("threads", literal(word({"pull_request", "off"})));
    if (in_.ConsumeBool()) members.emplace_back("name", literal(in_.ConsumeRandomLengthString(16)));
    if (in_.ConsumeBool()) members.emplace_back(in_.ConsumeRandomLengthString(8), stray());
    return object(std::move(members));
  }

 private:
  FuzzedDataProvider& in_;
};

const std::string_view pull_request_body =
    R"({"pullrequest":{"id":7,"title":"Add retries","state":"OPEN","source":{"branch":{"name":"main"}}},)"
    R"("repository":{"full_name":"acme/api"},"actor":{"display_name":"Ana"}})";
const std::string_view push_body =
    R"({"push":{"changes":[{"new":{"type":"branch","name":"main"},"commits":[]}]},"repository":{"full_name":"acme/api"},)"
    R"("actor":{"display_name":"Ana"}})";

// Every answer is an object with a code, that dumps; positions, when given, are 1-based.
void check_answer(const ordered_json& answer) {
  assert(answer.is_object() && answer.contains("code") && answer["code"].is_string());
  (void)dump_json(answer);
  if (answer.contains("line")) assert(answer["line"].get<int>() >= 1 && answer["column"].get<int>() >= 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider input(data, size);
  writer write(input);
  const auto endpoint = write.endpoint();

  // The admin API checks a request's settings with its text (templates placed there) and without.
  const auto placed = endpoint_check_json(endpoint, endpoint);
  const auto plain = endpoint_check_json(endpoint);
  check_answer(placed);
  check_answer(plain);
  // Only the text shows a member written twice (parsed, the last one stands): that alone may tell them apart,
  // and what the parsed settings are then checked for after the templates.
  const bool twice = placed.value("reason", std::string()).find("is given twice") != std::string::npos;
  const bool agree = twice || (placed["code"] == plain["code"] &&
                               placed.value("field", std::string()) == plain.value("field", std::string()));
  if (!agree) {
    std::fprintf(stderr, "endpoint: %s\nwith its text: %s\nwithout: %s\n", endpoint.c_str(), dump_json(placed).c_str(),
                 dump_json(plain).c_str());
  }
  assert(agree);

  // The same settings inside the envelopes the Worker and the pages send.
  const auto key = write.word({"repo:push", "pullrequest:created", "pullrequest:fulfilled", "issue:created"});
  const auto body = key == "repo:push" ? push_body : pull_request_body;
  const auto signature = literal("sha256=" + to_hex(hmac_sha256(as_bytes(std::string_view("s")), as_bytes(body))));
  const auto headers = write.object({{"X-Event-Key", literal(key)}, {"X-Hub-Signature", signature}});
  const auto handled = handle_envelope(write.object({{"endpoint", endpoint}, {"headers", headers}}), as_bytes(body));
  assert(handled.message.has_value() == (handled.verdict == verdict::deliver));
  if (plain["code"] == "valid") assert(handled.code != "endpoint_invalid");
  (void)redeliver_envelope(write.object({{"endpoint", endpoint}, {"event", literal(key)}}), as_bytes(body));

  check_answer(selects_json(write.object({{"endpoint", endpoint}, {"event", literal(key)}}), as_bytes(body)));
  check_answer(template_warnings_json(
      write.object({{"endpoint", endpoint},
                    {"samples", write.array({write.object({{"event", literal(key)}, {"body", literal(body)}})})}})));
  check_answer(filter_check_json(write.object({{"filters", write.filters()}, {"event", literal(key)}})));

  // POST /api/preview, its template as an object (placed in the request's text) or as text.
  const auto preview =
      write.object({{"event", literal(key)}, {"payload", std::string(body)}, {"template", write.message_template()}});
  check_answer(preview_request_json(as_bytes(preview)));

  // And whatever bytes are left, as each of those texts.
  const auto rest = input.ConsumeRemainingBytesAsString();
  check_answer(endpoint_check_json(rest, rest));
  check_answer(preview_request_json(as_bytes(rest)));
  check_answer(template_warnings_json(rest));
  check_answer(filter_check_json(rest));
  (void)handle_envelope(rest, as_bytes(body));
  return 0;
}
