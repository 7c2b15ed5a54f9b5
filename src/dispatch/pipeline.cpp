#include "dispatch/pipeline.hpp"

#include <algorithm>

#include "dispatch/detect.hpp"
#include "dispatch/discord_limits.hpp"
#include "dispatch/render/families.hpp"
#include "dispatch/signature.hpp"
#include "dispatch/threads.hpp"

namespace dispatch {
namespace {}  // namespace

outcome refuse(int status, const error& failure, std::string event) {
  return outcome{verdict::reject,  status,      failure.code, failure.message + position_suffix(failure),
                 std::move(event), std::nullopt};
}

std::string_view verdict_name(verdict value) {
  switch (value) {
    case verdict::deliver:
      return "deliver";
    case verdict::ignore:
      return "ignore";
    case verdict::reject:
      return "reject";
  }
  return "reject";
}

error body_too_large(std::size_t size) {
  return make_error(codes::body_too_large,
                    "body is " + std::to_string(size) + " bytes; the limit is " + std::to_string(max_body_bytes));
}

namespace {

// What a payload is about, by the member that only its events carry: events with the same subject look
// alike closely enough (a pull request's state may move between the event and the payload) that only a
// different subject proves a key wrong. Events of the repository itself share one.
std::string_view subject_of(std::string_view key) {
  const auto family = key.substr(0, key.find(':'));
  if (family == "pullrequest" || family == "issue") return family;
  if (key == "repo:push" || key == "repo:fork") return key.substr(5);
  if (key.rfind("repo:commit_status_", 0) == 0) return "commit_status";
  if (key == "repo:commit_comment_created") return "commit_comment";
  return "repository";
}

}  // namespace

error event_key_invalid() {
  return make_error(codes::event_key_invalid,
                    "X-Event-Key is not of the form category:action (lowercase letters, digits, _)");
}

// Parses bytes received as JSON; a fault becomes `body_not_json` or `body_too_deep`, its message naming
// `what` ("body", "request") and keeping the position.
result<json> parse_input(std::span<const std::uint8_t> bytes, std::string_view what) {
  auto parsed = parse_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (parsed.ok()) return parsed;
  auto failure = parsed.error();
  const bool too_deep = failure.code == codes::json_too_deep;
  failure.code = too_deep ? codes::body_too_deep : codes::body_not_json;
  // json_io says "JSON nests deeper than …": keep what follows "JSON".
  failure.message = std::string(what) + (too_deep ? failure.message.substr(4) : " is not JSON: " + failure.message);
  return failure;
}

// Parses the body as the JSON object a payload must be; errors carry a position when there is one.
result<json> parse_payload(std::span<const std::uint8_t> body) {
  auto payload = parse_input(body, "body");
  if (!payload.ok()) return payload.error();
  if (!payload.value().is_object()) return make_error(codes::body_not_object, "body is JSON but not an object");
  return payload;
}

ordered_json render_message(std::string_view key, const json& payload, std::vector<cut>* cuts) {
  return finalize_message(render_auto(key, payload), cuts);
}

namespace {

rendered_message render_custom(std::string_view key, const json& payload, const message_template& custom,
                               std::vector<cut>* cuts = nullptr) {
  auto automatic = render_message(key, payload);
  auto message = render_template(custom, template_context(key, payload, automatic));
  if (!message.ok()) return {std::move(automatic), message.error()};
  return {finalize_message(std::move(message).value(), cuts), std::nullopt};
}

}  // namespace

// The preview's message: with a template, that template's result, or its fault rather than quietly the auto
// embed a delivery would fall back to.
result<ordered_json> render_preview(std::string_view key, const json& payload, const message_template* custom,
                                    std::vector<cut>* cuts) {
  if (custom == nullptr) return render_message(key, payload, cuts);
  auto rendered = render_custom(key, payload, *custom, cuts);
  if (rendered.fallback) return *rendered.fallback;
  return std::move(rendered.message);
}

rendered_message render_with(std::string_view key, const json& payload, const template_set& templates) {
  const auto* custom = templates.find(key);
  if (custom == nullptr) return {render_message(key, payload), std::nullopt};
  return render_custom(key, payload, *custom);
}

outcome handle(const endpoint_settings& endpoint, const header_map& headers, std::span<const std::uint8_t> body,
               json* parsed) {
  const std::string event(headers.find("X-Event-Key").value_or(""));

  if (body.size() > max_body_bytes) return refuse(413, body_too_large(body.size()));
  // Verify before anything else reads the body or trusts a header.
  const auto signature = headers.find("X-Hub-Signature");
  if (!signature) {
    return refuse(401, make_error(codes::signature_missing, "X-Hub-Signature header is missing"));
  }
  const auto verified = verify_signature_any(*signature, endpoint.secrets, body);
  if (!verified.ok()) return refuse(401, verified.error());

  if (event.empty()) return refuse(400, make_error(codes::event_key_missing, "X-Event-Key header is missing"));
  return handle_verified(endpoint, event, body, parsed);
}

outcome handle_verified(const endpoint_settings& endpoint, const std::string& event, std::span<const std::uint8_t> body,
                        json* parsed) {
  if (body.size() > max_body_bytes) return refuse(413, body_too_large(body.size()));
  if (!is_well_formed_event_key(event)) return refuse(400, event_key_invalid());
  if (!endpoint.events.selects(event)) {
    return outcome{verdict::ignore, 200,         codes::event_not_selected, "event " + event + " not selected",
                   event,           std::nullopt};
  }

  auto read = parse_payload(body);
  if (!read.ok()) return refuse(400, read.error(), event);
  json own;
  json& payload = parsed != nullptr ? *parsed : own;
  payload = std::move(read).value();
  // Bitbucket signs the body, not X-Event-Key: a signed body replayed under another key of the catalogue
  // is refused when its shape says otherwise (a push posted as "pull request merged"). Within the pull
  // request and issue families the body tells more (a state MERGED or DECLINED, an approval given or taken
  // back, an issue's changes or comment), and the key must be one the body can be.
  if (find_event(event) != nullptr) {
    const auto shape = detect_event(payload);
    const auto subject = subject_of(event);
    const bool exact = subject == "pullrequest" || subject == "issue";
    const auto fits = [&](std::string_view key) { return exact ? key == event : subject_of(key) == subject; };
    if (!shape.keys.empty() && std::none_of(shape.keys.begin(), shape.keys.end(), fits)) {
      std::string keys;
      for (const auto key : shape.keys) keys += (keys.empty() ? "" : ", ") + std::string(key);
      return refuse(400,
                    make_error(codes::event_key_mismatch, "X-Event-Key is " + event + " but the body is shaped like " +
                                                              keys + " (" + std::string(shape.basis) + ")"),
                    event);
    }
  }
  const auto filtered = apply_filters(endpoint.filters, event, payload);
  if (!filtered.code.empty()) {
    return outcome{verdict::ignore, 200, filtered.code, filtered.reason, event, std::nullopt};
  }
  // A push of which only some changes pass goes on with those alone.
  const json kept = filtered.kept_changes.empty() ? json() : with_kept_changes(payload, filtered);
  const json& subject = filtered.kept_changes.empty() ? payload : kept;
  const auto kept_note = kept_changes_note(filtered);
  const auto filter_note = kept_note.empty() ? kept_note : ": " + kept_note;

  auto rendered = render_with(event, subject, endpoint.templates);
  auto thread = endpoint.pull_request_threads ? pull_request_thread(event, subject) : std::nullopt;
  if (rendered.fallback) {
    return outcome{verdict::deliver,
                   202,
                   codes::template_fallback,
                   "event " + event + " accepted" + filter_note + "; the template was not used (" +
                       rendered.fallback->message + "), so the auto-formatted embed is sent",
                   event,
                   std::move(rendered.message),
                   std::move(thread)};
  }
  std::string reason = find_event(event) != nullptr
                           ? "event " + event + " accepted" + filter_note
                           : "event " + event + " accepted (not in Bitbucket's catalogue: generic embed)" + filter_note;
  return outcome{verdict::deliver, 202, codes::accepted, std::move(reason), event, std::move(rendered.message),
                 std::move(thread)};
}

json with_kept_changes(const json& payload, const filter_verdict& verdict) {
  json kept = payload;
  auto& changes = kept["push"]["changes"];
  json passing = json::array();
  for (const auto index : verdict.kept_changes) passing.push_back(std::move(changes[index]));
  changes = std::move(passing);
  return kept;
}

result<ordered_json> preview(std::string_view key, std::span<const std::uint8_t> body, const message_template* custom,
                             std::vector<cut>* cuts, const filter_set* filters) {
  if (body.size() > max_body_bytes) return body_too_large(body.size());
  if (!is_well_formed_event_key(key)) return event_key_invalid();
  auto payload = parse_payload(body);
  if (!payload.ok()) return payload.error();
  if (filters != nullptr) {
    const auto filtered = apply_filters(*filters, key, payload.value());
    if (filtered.code.empty() && !filtered.kept_changes.empty()) {
      return render_preview(key, with_kept_changes(payload.value(), filtered), custom, cuts);
    }
  }
  return render_preview(key, payload.value(), custom, cuts);
}

ordered_json outcome_json(outcome result) {
  ordered_json out = {{"verdict", verdict_name(result.verdict)},
                      {"status", result.status},
                      {"code", std::move(result.code)},
                      {"reason", std::move(result.reason)}};
  if (!result.event.empty()) out["event"] = std::move(result.event);
  if (result.message) out["message"] = std::move(*result.message);
  if (result.thread) out["thread"] = std::move(*result.thread);
  return out;
}

}  // namespace dispatch
