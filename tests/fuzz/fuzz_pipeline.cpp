// libFuzzer target over the untrusted inputs: the X-Hub-Signature value, the headers, the body, the
// wasm envelope. Half the inputs are signed correctly so the fuzzer reaches parsing and rendering.
//
//   cmake --preset fuzz && cmake --build --preset fuzz && build/fuzz/dispatch_fuzz tests/fuzz/corpus

#include <fuzzer/FuzzedDataProvider.h>

#include <cassert>
#include <cstdint>
#include <string>
#include <string_view>

#include "dispatch/answers.hpp"
#include "dispatch/cli.hpp"
#include "dispatch/discord_limits.hpp"
#include "dispatch/json_io.hpp"
#include "dispatch/message_template.hpp"
#include "dispatch/mustache/ast.hpp"
#include "dispatch/signature.hpp"
#include "dispatch/text.hpp"
#include "dispatch/threads.hpp"
#include "json_oracle.hpp"

using namespace dispatch;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fuzzing::check_reader(std::string_view(reinterpret_cast<const char*>(data), size));
  FuzzedDataProvider input(data, size);
  const auto signature_value = input.ConsumeRandomLengthString(96);
  const auto event_key = input.ConsumeRandomLengthString(48);
  const auto mode = input.ConsumeIntegralInRange<int>(0, 2);
  const bool sign = input.ConsumeBool();
  const auto envelope = input.ConsumeRandomLengthString(256);
  const auto body = input.ConsumeRemainingBytesAsString();
  const auto bytes = as_bytes(body);
  fuzzing::check_reader(body);
  fuzzing::check_reader(envelope);

  const auto parsed = parse_signature(signature_value);
  if (parsed.ok()) assert(to_hex(parsed.value().digest).size() == 64);

  // Two secrets, as after a rotation: both are checked on every delivery.
  endpoint_settings endpoint{{"fuzz-secret", "fuzz-previous-secret"},
                             make_selection(mode == 0   ? "push"
                                            : mode == 1 ? "all"
                                                        : "custom",
                                            mode == 2 ? std::vector<std::string>{"repo:push", "pullrequest:created"}
                                                      : std::vector<std::string>{})
                                 .value()};
  // Filters and threads on a third of the inputs each (chosen by the body's length, so the corpus keeps its
  // meaning): a push's changes dropped, pull requests given their thread and card.
  if (body.size() % 3 == 1) {
    endpoint.filters =
        parse_filters(json::parse(R"({"branches":["main","release/**","!wip*"],"tags":["v?.*"],"actors":["!bot*"]})"))
            .value();
  }
  endpoint.pull_request_threads = body.size() % 3 == 2;
  // The envelope as a pattern, against the event key as a name: linear, and never a fault.
  (void)glob_matches(envelope, event_key);
  const auto checked = filter_check_json(envelope);
  assert(checked.contains("code"));

  header_map headers;
  headers.add("X-Event-Key", event_key);
  headers.add("X-Hub-Signature",
              sign ? "sha256=" + to_hex(hmac_sha256(as_bytes(endpoint.secrets.front()), bytes)) : signature_value);
  const auto result = handle(endpoint, headers, bytes);
  assert(result.status == 200 || result.status == 202 || result.status == 400 || result.status == 401 ||
         result.status == 413);
  assert(result.message.has_value() == (result.verdict == verdict::deliver));
  if (result.message) {
    const auto text = dump_json(*result.message);
    assert(clean_text(text) == text);
    for (const auto& embed : (*result.message)["embeds"]) {
      assert(count_chars(embed.value("title", std::string())) <= discord_limits::title);
      assert(count_chars(embed.value("description", std::string())) <= discord_limits::description);
    }
  }
  if (result.thread) {
    assert(count_chars((*result.thread)["name"].get<std::string>()) <= max_thread_name_chars);
    const auto card = dump_json((*result.thread)["card"]);
    assert(clean_text(card) == card);
  }
  assert(!dump_json(outcome_json(result)).empty());

  const auto from_envelope = handle_envelope(envelope, bytes);
  assert(from_envelope.status >= 200);

  // The envelope bytes double as a user's template: parsing and rendering never fail hard, against the body
  // when it is JSON and with the body as a partial that may include itself.
  const auto tree = mustache::parse(envelope);
  if (tree.ok()) {
    const auto data = parse_json(body);
    const mustache::partial_map partials = {{"p", body}};
    const auto text = mustache::render(tree.value(), data.ok() ? data.value() : json::object(), partials,
                                       mustache::escaping::discord);
    assert(text.ok() || text.error().code == "template_too_large" || text.error().code == "template_too_deep");
  } else {
    assert((tree.error().code == "template_syntax" || tree.error().code == "template_too_deep") &&
           tree.error().line >= 1 && tree.error().column >= 1);
  }

  // The same bytes as a message template: compiled, then rendered against the body's payload and finalized.
  const auto compiled = compile_template(envelope);
  if (compiled.ok()) {
    const auto data = parse_json(body);
    const json payload = data.ok() && data.value().is_object() ? data.value() : json::object();
    const auto key = is_well_formed_event_key(event_key) ? event_key : std::string("repo:push");
    const auto message =
        render_template(compiled.value(), template_context(key, payload, render_message(key, payload)));
    if (message.ok()) assert(finalize_message(message.value())["allowed_mentions"]["parse"].empty());
  } else {
    assert(compiled.error().line >= 1 && compiled.error().column >= 1);
  }

  // Strings cut anywhere stay valid UTF-8 and within their limit.
  const auto limit = static_cast<std::size_t>(size % 300);
  const auto cut = truncate_chars(clean_text(body), limit);
  assert(count_chars(cut) <= limit);
  assert(clean_text(cut) == cut);
  return 0;
}
