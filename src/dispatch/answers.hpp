#pragma once
// The JSON answers the wasm ABI and the command line serve: each takes what crosses the boundary (JSON text
// envelopes and raw bytes) and returns what goes back, errors included, never throwing.

#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "dispatch/json_io.hpp"
#include "dispatch/pipeline.hpp"

namespace dispatch {

// Runs the pipeline from a JSON envelope `{"endpoint":{…},"headers":{…}}` and the body bytes. A bad envelope
// is an outcome with status 500 and code `endpoint_invalid`, `headers_invalid` or `envelope_invalid`.
outcome handle_envelope(std::string_view envelope, std::span<const std::uint8_t> body);

// Runs handle_verified from a JSON envelope `{"endpoint":{…},"event":"<key>"}` and the recorded body. A bad
// envelope is an outcome with status 500, as in handle_envelope.
outcome redeliver_envelope(std::string_view envelope, std::span<const std::uint8_t> body);

// Checks endpoint settings as the admin API receives them (`{secret, events, template?, templates?}`).
// Returns {"code":"valid"}, or {"code":"endpoint_invalid","reason":"<field> …","field","line"?,
// "column"?}. With `request`, the admin request's text: templates it holds as objects are placed there.
ordered_json endpoint_check_json(std::string_view endpoint, std::string_view request = {});

// Answers "would this endpoint deliver event K?" for `{"endpoint":{events, filters?},"event":"<key>"}`:
// {"code":"selected" | "event_not_selected","reason"}, or the envelope's error. With the event's payload in
// `body`, the filters apply too: "branch_filtered" or "actor_filtered" with the reason a delivery would log;
// a push of which only some changes pass is "selected" with "changes":{"kept","total"} and "left_out" (why the
// others do not pass).
ordered_json selects_json(std::string_view envelope, std::span<const std::uint8_t> body = {});

// Answers "which of the catalogue's events does this selection take?" for `{"events":{mode, custom?}}`:
// {"code":"listed","keys":[…]} in the catalogue's order (mode all: every key), or {"code":"endpoint_invalid",
// "reason","field"} for a selection that would not save, or `envelope_invalid`.
ordered_json selected_keys_json(std::string_view envelope);

// Checks an endpoint's templates against sample payloads of the events they apply to, for warnings (not
// errors) at save and in the previews. `envelope` is {"endpoint":{events, template?, templates?},
// "samples":[{"event":"<key>","body":"<payload JSON text>"}]}. Returns {"code":"checked","checked":[keys],
// "warnings":[{"selector","name","where"?,"missing_for":[keys],"found_for":[keys],"reason"}]}: a name no
// sample has (a typo, {{dispatch.nonexistant}}), or one that says nothing for some of the events the
// template applies to (a push template under mode "all": "pushed 0" for a pull request). Or the envelope's
// error.
ordered_json template_warnings_json(std::string_view envelope);

// The limits the core applies, for the shim and the pages: {max_body_bytes, max_template_bytes, …}.
ordered_json limits_json();

// The preview: the message a payload would produce under event `key`, without verifying or filtering, with
// the template whose source text is given, else the auto embed. Returns {"code":"rendered","message":{…},
// "cuts"?:[…]} (`cuts` only when the limits shortened or removed something, as cuts_json writes them) or
// {"code":"<error code>","reason":"…","field"?,"line"?,"column"?}: `event_key_invalid`, `body_too_large`,
// `body_not_json`, `body_too_deep`, `body_not_object`, or the template's error.
// With `filters`, a push shows only the changes that pass them (preview's rule).
ordered_json preview_json(std::string_view key, std::span<const std::uint8_t> body,
                          std::optional<std::string_view> template_source = std::nullopt,
                          const filter_set* filters = nullptr);

// Answers POST /api/preview: `request` is the raw body {"event":"<key>","payload":{…},"template"?:T}. Returns
// what preview_json returns for that event and payload, or {"code":"request_invalid","reason":…} naming the
// field at fault (or "body_not_json" with line and column). A template object's faults are placed in the
// request's text.
ordered_json preview_request_json(std::span<const std::uint8_t> request);

// Answers "which event is this?" for a payload that came without its X-Event-Key: {"code":"detected",
// "keys":[…],"basis":"…"} (most likely first; several when Bitbucket sends the same shape for each),
// {"code":"shape_unknown","reason":"…"}, or the body's error as preview_json words it.
ordered_json detect_json(std::span<const std::uint8_t> body);

// The signature checker: `envelope` is {"secret":"…","signature":"<X-Hub-Signature value>"}, `body` the exact
// bytes Bitbucket signed. Returns {"code":"valid","reason":"…"}; otherwise the error verify_signature gives,
// `secret_missing` for an empty secret, or `envelope_invalid`.
ordered_json signature_check_json(std::string_view envelope, std::span<const std::uint8_t> body);

// Returns the event catalogue as [{key, category, label, description, family, pull_request, branch}], as GET
// /api/events serves it: `family` names the renderer (push, pull_request, issue, commit_status, repository,
// generic), `pull_request` says whether the event goes to a pull request's thread, `branch` where the branch
// filters find its branch ("push.changes", "pullrequest.destination.branch.name", "commit_status.refname") or
// null.
ordered_json catalogue_json();

// Returns the registry of codes (codes.hpp) as [{code, status, meaning, also_status?}], in its order.
ordered_json codes_json();

}  // namespace dispatch
