#pragma once
// One delivery, start to finish: verify, filter, parse, render. The HTTP status table of DESIGN.md lives here.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dispatch/discord_limits.hpp"
#include "dispatch/events.hpp"
#include "dispatch/json_in.hpp"
#include "dispatch/message_template.hpp"
#include "dispatch/result.hpp"

namespace dispatch {

// Bodies larger than this are refused with 413 (Bitbucket's own cap is 256 KB).
inline constexpr std::size_t max_body_bytes = 1024 * 1024;

// What the core needs to know of an endpoint.
struct endpoint_settings {
  std::vector<std::string> secrets;  // any of them verifies (after a rotation, the previous one too)
  event_selection events;
  template_set templates;  // empty: the auto-formatted embeds
};

// Reads `{secret | secrets, events:{mode, custom?}, template?, templates?}` (other members, such as name
// or destination_url, are ignored). `secrets` lists 1 to 4 secrets that each verify (a rotation's window).
// `template` is the default template; `templates` maps "default", event keys and families ("pullrequest:*")
// to templates. Returns the settings; otherwise an error with code `endpoint_invalid` whose message names
// the field (and, for a template, the line and column).
// With `request` (the text of the admin request the settings came in), a template written there as an
// object is placed in that text. Errors name the member at fault in `field`.
result<endpoint_settings> parse_endpoint(const json& endpoint, std::string_view request = {});

// Request headers, looked up by name without regard to case.
class header_map {
 public:
  // Adds a header; a name added twice keeps the first value.
  void add(std::string_view name, std::string_view value);
  // Returns the value of header `name`, or nullopt if it was not sent.
  std::optional<std::string_view> find(std::string_view name) const;

 private:
  std::vector<std::pair<std::string, std::string>> entries_;  // lowercase name, value
};

// Reads an object of header name -> string value. Returns the headers; otherwise an error with code
// `headers_invalid` (not an object, a value that is not a string, a name given twice in different case).
result<header_map> parse_headers(const json& headers);

// What to do with a delivery. `message` is set only when `verdict` is "deliver".
struct outcome {
  std::string verdict;  // "deliver", "ignore" or "reject"
  int status = 0;       // the HTTP status to answer Bitbucket with
  std::string code;     // stable snake_case id of the case
  std::string reason;   // for people; never holds the expected signature
  std::string event;    // the X-Event-Key, when there was one
  std::optional<ordered_json> message;
};

// Runs the pipeline over the exact bytes received. Never throws; every refusal is an outcome.
outcome handle(const endpoint_settings& endpoint, const header_map& headers, std::span<const std::uint8_t> body);

// The pipeline after the signature: for a body whose signature was verified when it was received (a
// redelivery re-renders the recorded body with the endpoint's current selection and templates).
outcome handle_verified(const endpoint_settings& endpoint, const std::string& event,
                        std::span<const std::uint8_t> body);

// Runs handle_verified from a JSON envelope `{"endpoint":{…},"event":"<key>"}` and the recorded body. A bad
// envelope is an outcome with status 500, as in handle_envelope.
outcome redeliver_envelope(std::string_view envelope, std::span<const std::uint8_t> body);

// Checks endpoint settings as the admin API receives them (`{secret, events, template?, templates?}`).
// Returns {"code":"valid"}, or {"code":"endpoint_invalid","reason":"endpoint.<field> …","field","line"?,
// "column"?}. With `request`, the admin request's text: templates it holds as objects are placed there.
ordered_json endpoint_check_json(std::string_view endpoint, std::string_view request = {});

// Answers "would this endpoint deliver event K?" for `{"endpoint":{…},"event":"<key>"}`: {"code":"selected"
// | "event_not_selected","reason"}, or the envelope's error.
ordered_json selects_json(std::string_view envelope);

// The limits the core applies, for the shim and the pages: {max_body_bytes, max_template_bytes, …}.
ordered_json limits_json();

// Runs the pipeline from a JSON envelope `{"endpoint":{…},"headers":{…}}` and the body bytes, as the wasm
// boundary and the CLI receive them. A bad envelope is an outcome with status 500 and code
// `endpoint_invalid`, `headers_invalid` or `envelope_invalid`.
outcome handle_envelope(std::string_view envelope, std::span<const std::uint8_t> body);

// Returns the outcome as DESIGN.md spells it: {verdict, status, code, reason, event?, message?}.
ordered_json outcome_json(const outcome& result);

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
result<ordered_json> preview(std::string_view key, std::span<const std::uint8_t> body,
                             const message_template* custom = nullptr, std::vector<cut>* cuts = nullptr);

// Returns the preview's answer as JSON: {"code":"rendered","message":{…},"cuts"?:[…]} (`cuts` only when the
// limits shortened or removed something, as cuts_json writes them) or
// {"code":"<error code>","reason":"…","line":L,"column":C} (line and column only where known).
ordered_json preview_json(std::string_view key, std::span<const std::uint8_t> body,
                          const message_template* custom = nullptr);

// As preview_json, with the template given as its source text: a template that does not compile is
// answered with its error (`template_syntax` or `template_invalid`, with line and column).
ordered_json preview_json(std::string_view key, std::span<const std::uint8_t> body, std::string_view template_source);

// Answers POST /api/preview: `request` is the raw body {"event":"<key>","payload":{…},"template"?:T}. Returns what
// preview_json returns for that event and payload, or {"code":"request_invalid","reason":…} naming the field
// at fault (or "body_not_json" with line and column).
ordered_json preview_request_json(std::span<const std::uint8_t> request);

// Answers "which event is this?" for a payload that came without its X-Event-Key: {"code":"detected",
// "keys":[…],"basis":"…"} (most likely first; several when Bitbucket sends the same shape for each),
// {"code":"shape_unknown","reason":"…"}, or the body's error as preview_json words it.
ordered_json detect_json(std::span<const std::uint8_t> body);

// The signature checker: `envelope` is {"secret":"…","signature":"<X-Hub-Signature value>"}, `body` the exact
// bytes Bitbucket signed. Returns {"code":"valid","reason":"…"}; otherwise the error verify_signature gives,
// `secret_missing` for an empty secret, or `envelope_invalid`.
ordered_json signature_check_json(std::string_view envelope, std::span<const std::uint8_t> body);

// Returns the event catalogue as [{key, category, label, description}], as GET /api/events serves it.
ordered_json catalogue_json();

}  // namespace dispatch
