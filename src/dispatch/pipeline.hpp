#pragma once
// One delivery, start to finish: verify, filter, parse, render. The HTTP status of every case lives here.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/discord_limits.hpp"
#include "dispatch/endpoint.hpp"
#include "dispatch/json_io.hpp"
#include "dispatch/message_template.hpp"
#include "dispatch/result.hpp"

namespace dispatch {

// Bodies larger than this are refused with 413 (Bitbucket's own cap is 256 KB).
inline constexpr std::size_t max_body_bytes = 1024 * 1024;

// What to do with a delivery.
enum class verdict { deliver, ignore, reject };

// "deliver", "ignore" or "reject", as the answers spell it.
std::string_view verdict_name(verdict value);

// What to do with a delivery, and why. `message` is set only for verdict::deliver.
struct outcome {
  dispatch::verdict verdict = verdict::reject;
  int status = 0;      // the HTTP status to answer Bitbucket with
  std::string code;    // stable snake_case id of the case
  std::string reason;  // for people; never holds the expected signature
  std::string event;   // the X-Event-Key, when there was one
  std::optional<ordered_json> message;
  // With `threads: "pull_request"`, a delivered pull request event's thread (threads.hpp).
  std::optional<ordered_json> thread = std::nullopt;
};

// Returns the outcome as the contract spells it (docs/architecture.md): {verdict, status, code, reason, event?,
// message?, thread?}. Pass an outcome that is not needed after (std::move) and its message is moved, not copied.
ordered_json outcome_json(outcome result);

// Runs the pipeline over the exact bytes received. Never throws; every refusal is an outcome.
// With `parsed`, the body's payload, once parsed, is left there when the call returns instead of being taken
// apart with it: a caller that frees a call's memory all at once (the wasm exports' call arena) skips that work.
outcome handle(const endpoint_settings& endpoint, const header_map& headers, std::span<const std::uint8_t> body,
               json* parsed = nullptr);

// The pipeline after the signature: for a body whose signature was verified when it was received (a
// redelivery re-renders the recorded body with the endpoint's current selection and templates). `parsed` as
// for handle.
outcome handle_verified(const endpoint_settings& endpoint, const std::string& event, std::span<const std::uint8_t> body,
                        json* parsed = nullptr);

// Renders the message for an event whose payload is already parsed and verified. With `cuts`, what the limits
// shortened or removed is appended to it.
ordered_json render_message(std::string_view key, const json& payload, std::vector<cut>* cuts = nullptr);

// The message for an event: the endpoint's template when it has one for the key and it renders a valid
// message, else the auto-formatted embed. `fallback` says why a template was not used, when it was not.
struct rendered_message {
  ordered_json message;
  std::optional<error> fallback;
};

// Renders a parsed payload with `templates` (finalized either way).
rendered_message render_with(std::string_view key, const json& payload, const template_set& templates);

// Renders the message a payload would produce, without verifying or filtering: the preview. Returns the
// finalized message; otherwise an error with code `event_key_invalid`, `body_too_large`, `body_not_json`
// (with line and column), `body_too_deep`, `body_not_object`, or the template's error. With `cuts`, what
// Discord's limits shortened or removed is appended to it.
// With `filters`, a push renders only the changes that pass them, as a delivery would send it (an event the
// filters stop entirely still renders: the verdict, not the preview, says it would be ignored).
result<ordered_json> preview(std::string_view key, std::span<const std::uint8_t> body,
                             const message_template* custom = nullptr, std::vector<cut>* cuts = nullptr,
                             const filter_set* filters = nullptr);

// A push payload with only the changes the filters kept (verdict.kept_changes non-empty).
json with_kept_changes(const json& payload, const filter_verdict& verdict);

// The parsed-payload form of preview, for a payload that came inside a request (POST /api/preview).
result<ordered_json> render_preview(std::string_view key, const json& payload, const message_template* custom,
                                    std::vector<cut>* cuts = nullptr);

// Building blocks the answers share (answers.hpp).

// A refusal: verdict reject, `status`, the error's code, and its message with the position when known.
outcome refuse(int status, const error& failure, std::string event = {});

// The errors for a body past max_body_bytes and for a malformed X-Event-Key.
error body_too_large(std::size_t size);
error event_key_invalid();

// Parses bytes received as JSON; a fault becomes `body_not_json` or `body_too_deep`, its message naming
// `what` ("body", "request") and keeping the position.
result<json> parse_input(std::span<const std::uint8_t> bytes, std::string_view what);

// Parses a body as the JSON object a payload must be (`body_not_object` otherwise).
result<json> parse_payload(std::span<const std::uint8_t> body);

}  // namespace dispatch
