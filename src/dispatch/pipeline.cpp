#include "dispatch/pipeline.hpp"

#include "dispatch/detect.hpp"
#include "dispatch/discord_limits.hpp"
#include "dispatch/json_source.hpp"
#include "dispatch/render/families.hpp"
#include "dispatch/signature.hpp"

#include <algorithm>

namespace dispatch {
namespace {

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

outcome refuse(int status, const error& failure, std::string event = {}) {
  return outcome{"reject",         status,      failure.code, failure.message + position_suffix(failure),
                 std::move(event), std::nullopt};
}

error body_too_large(std::size_t size) {
  return make_error("body_too_large",
                    "body is " + std::to_string(size) + " bytes; the limit is " + std::to_string(max_body_bytes));
}

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

error event_key_invalid() {
  return make_error("event_key_invalid",
                    "X-Event-Key is not of the form category:action (lowercase letters, digits, _)");
}

// Parses bytes received as JSON; a fault becomes `body_not_json` or `body_too_deep`, its message naming
// `what` ("body", "request") and keeping the position.
result<json> parse_input(std::span<const std::uint8_t> bytes, std::string_view what) {
  auto parsed = parse_json(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  if (parsed.ok()) return parsed;
  auto failure = parsed.error();
  const bool too_deep = failure.code == "json_too_deep";
  failure.code = too_deep ? "body_too_deep" : "body_not_json";
  // json_in says "JSON nests deeper than …": keep what follows "JSON".
  failure.message = std::string(what) + (too_deep ? failure.message.substr(4) : " is not JSON: " + failure.message);
  return failure;
}

// Parses the body as the JSON object a payload must be; errors carry a position when there is one.
result<json> parse_payload(std::span<const std::uint8_t> body) {
  auto payload = parse_input(body, "body");
  if (!payload.ok()) return payload.error();
  if (!payload.value().is_object()) return make_error("body_not_object", "body is JSON but not an object");
  return payload;
}

ordered_json preview_answer(const ordered_json& message) { return {{"code", "rendered"}, {"message", message}}; }

ordered_json preview_answer(const error& failure) {
  ordered_json out = {{"code", failure.code}, {"reason", failure.message}};
  if (!failure.field.empty()) out["field"] = failure.field;
  if (failure.line > 0) {
    out["line"] = failure.line;
    out["column"] = failure.column;
  }
  return out;
}

}  // namespace

result<endpoint_settings> parse_endpoint(const json& endpoint, std::string_view request) {
  const auto invalid = [](std::string field, std::string message) {
    auto failure = make_error("endpoint_invalid", "endpoint." + field + std::move(message));
    failure.field = std::move(field);
    return failure;
  };
  if (!endpoint.is_object()) return make_error("endpoint_invalid", "endpoint must be a JSON object");
  std::vector<std::string> secrets;
  const auto secret = endpoint.find("secret");
  const auto secret_list = endpoint.find("secrets");
  if (secret != endpoint.end() && secret_list != endpoint.end()) {
    return invalid("secret", " and endpoint.secrets are both given; keep one");
  }
  if (secret_list != endpoint.end()) {
    constexpr std::size_t max_secrets = 4;
    const auto list_fault = [&] { return invalid("secrets", " must be a list of 1 to 4 non-empty strings"); };
    if (!secret_list->is_array() || secret_list->empty() || secret_list->size() > max_secrets) return list_fault();
    for (const auto& item : *secret_list) {
      if (!item.is_string() || item.get_ref<const std::string&>().empty()) return list_fault();
      secrets.push_back(item.get<std::string>());
    }
  } else if (secret == endpoint.end() || !secret->is_string() || secret->get_ref<const std::string&>().empty()) {
    return invalid("secret", " must be a non-empty string");
  } else {
    secrets.push_back(secret->get<std::string>());
  }
  const auto events = endpoint.find("events");
  if (events == endpoint.end() || !events->is_object()) return invalid("events", " must be an object {mode, custom?}");
  const auto mode = events->find("mode");
  if (mode == events->end() || !mode->is_string()) {
    return invalid("events.mode", " must be one of \"push\", \"all\", \"custom\"");
  }
  std::vector<std::string> custom;
  if (const auto list = events->find("custom"); list != events->end() && !list->is_null()) {
    if (!list->is_array()) return invalid("events.custom", " must be an array of event keys");
    for (const auto& key : *list) {
      if (!key.is_string()) return invalid("events.custom", " must be an array of event keys");
      custom.push_back(key.get<std::string>());
    }
  }
  auto selection = make_selection(mode->get_ref<const std::string&>(), custom);
  if (!selection.ok()) {
    // make_selection words its fault from "events." on.
    auto failure = make_error("endpoint_invalid", "endpoint." + selection.error().message);
    failure.field = selection.error().message.rfind("events.custom", 0) == 0 ? "events.custom" : "events.mode";
    return failure;
  }
  json templates = json::object();
  if (const auto it = endpoint.find("templates"); it != endpoint.end() && !it->is_null()) templates = *it;
  const auto single = endpoint.find("template");
  const bool has_single = single != endpoint.end() && !single->is_null();
  if (has_single) {
    if (templates.is_object() && templates.contains("default")) {
      return invalid("template", " and endpoint.templates.default are both given; keep one");
    }
    if (templates.is_object()) templates["default"] = *single;
  }
  // Templates that came as objects in a request are placed in its text.
  const template_origin origin{request, [&](std::string_view selector) {
                                 if (has_single && selector == "default") return find_member(request, {"template"});
                                 return find_member(request, {"templates", selector});
                               }};
  auto set = parse_template_set(templates, request.empty() ? nullptr : &origin);
  if (!set.ok()) {
    auto failure = set.error();
    const bool from_single = has_single && failure.message.rfind("templates[\"default\"]", 0) == 0;
    if (from_single) failure.message.replace(0, std::string_view("templates[\"default\"]").size(), "template");
    failure.message = "endpoint." + failure.message;
    failure.code = "endpoint_invalid";
    failure.field = from_single ? "template" : "templates";
    return failure;
  }
  return endpoint_settings{std::move(secrets), std::move(selection).value(), std::move(set).value()};
}

void header_map::add(std::string_view name, std::string_view value) {
  auto key = lowercase(name);
  if (!find(key)) entries_.emplace_back(std::move(key), std::string(value));
}

std::optional<std::string_view> header_map::find(std::string_view name) const {
  const auto key = lowercase(name);
  for (const auto& [entry_name, value] : entries_) {
    if (entry_name == key) return std::string_view(value);
  }
  return std::nullopt;
}

result<header_map> parse_headers(const json& headers) {
  if (!headers.is_object()) return make_error("headers_invalid", "headers must be a JSON object of name -> value");
  header_map map;
  for (const auto& [name, value] : headers.items()) {
    if (!value.is_string()) {
      return make_error("headers_invalid", "header \"" + name + "\" must have a string value");
    }
    if (map.find(name)) {
      return make_error("headers_invalid", "header \"" + name + "\" is given twice (names ignore case)");
    }
    map.add(name, value.get_ref<const std::string&>());
  }
  return map;
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
                                    std::vector<cut>* cuts = nullptr) {
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

outcome handle(const endpoint_settings& endpoint, const header_map& headers, std::span<const std::uint8_t> body) {
  const std::string event(headers.find("X-Event-Key").value_or(""));

  if (body.size() > max_body_bytes) return refuse(413, body_too_large(body.size()));
  // Verify before anything else reads the body or trusts a header.
  const auto signature = headers.find("X-Hub-Signature");
  if (!signature) {
    return refuse(401, make_error("signature_missing", "X-Hub-Signature header is missing"));
  }
  const auto verified = verify_signature_any(*signature, endpoint.secrets, body);
  if (!verified.ok()) return refuse(401, verified.error());

  if (event.empty()) return refuse(400, make_error("event_key_missing", "X-Event-Key header is missing"));
  return handle_verified(endpoint, event, body);
}

outcome handle_verified(const endpoint_settings& endpoint, const std::string& event,
                        std::span<const std::uint8_t> body) {
  if (body.size() > max_body_bytes) return refuse(413, body_too_large(body.size()));
  if (!is_well_formed_event_key(event)) return refuse(400, event_key_invalid());
  if (!endpoint.events.selects(event)) {
    return outcome{"ignore", 200, "event_not_selected", "event " + event + " not selected", event, std::nullopt};
  }

  auto payload = parse_payload(body);
  if (!payload.ok()) return refuse(400, payload.error(), event);
  // Bitbucket signs the body, not X-Event-Key: a signed body replayed under another key of the catalogue
  // is refused when its shape says otherwise (a push posted as "pull request merged").
  if (find_event(event) != nullptr) {
    const auto shape = detect_event(payload.value());
    const auto fits = [&](std::string_view key) { return subject_of(key) == subject_of(event); };
    if (!shape.keys.empty() && std::none_of(shape.keys.begin(), shape.keys.end(), fits)) {
      std::string keys;
      for (const auto key : shape.keys) keys += (keys.empty() ? "" : ", ") + std::string(key);
      return refuse(400,
                    make_error("event_key_mismatch", "X-Event-Key is " + event + " but the body is shaped like " +
                                                         keys + " (" + std::string(shape.basis) + ")"),
                    event);
    }
  }
  auto rendered = render_with(event, payload.value(), endpoint.templates);
  if (rendered.fallback) {
    return outcome{"deliver",
                   202,
                   "template_fallback",
                   "event " + event + " accepted; the template was not used (" + rendered.fallback->message +
                       "), so the auto-formatted embed is sent",
                   event,
                   std::move(rendered.message)};
  }
  std::string reason = find_event(event) != nullptr
                           ? "event " + event + " accepted"
                           : "event " + event + " accepted (not in Bitbucket's catalogue: generic embed)";
  return outcome{"deliver", 202, "accepted", std::move(reason), event, std::move(rendered.message)};
}

result<ordered_json> preview(std::string_view key, std::span<const std::uint8_t> body, const message_template* custom,
                             std::vector<cut>* cuts) {
  if (body.size() > max_body_bytes) return body_too_large(body.size());
  if (!is_well_formed_event_key(key)) return event_key_invalid();
  auto payload = parse_payload(body);
  if (!payload.ok()) return payload.error();
  return render_preview(key, payload.value(), custom, cuts);
}

namespace {

// The preview's answer for a rendered message, with what the limits cut when they cut anything.
ordered_json preview_answer(const result<ordered_json>& message, const std::vector<cut>& cuts) {
  if (!message.ok()) return preview_answer(message.error());
  auto answer = preview_answer(message.value());
  if (!cuts.empty()) answer["cuts"] = cuts_json(cuts);
  return answer;
}

}  // namespace

ordered_json preview_json(std::string_view key, std::span<const std::uint8_t> body, const message_template* custom) {
  std::vector<cut> cuts;
  const auto message = preview(key, body, custom, &cuts);
  return preview_answer(message, cuts);
}

ordered_json detect_json(std::span<const std::uint8_t> body) {
  if (body.size() > max_body_bytes) return preview_answer(body_too_large(body.size()));
  const auto payload = parse_payload(body);
  if (!payload.ok()) return preview_answer(payload.error());
  const auto found = detect_event(payload.value());
  if (found.keys.empty()) {
    const auto server_key = payload.value().find("eventKey");
    if (server_key != payload.value().end() && server_key->is_string()) {
      return {{"code", "shape_unknown"},
              {"reason", "this is a Bitbucket Server or Data Center payload (eventKey \"" +
                             server_key->get_ref<const std::string&>().substr(0, 64) +
                             "\"); dispatch relays Bitbucket Cloud"}};
    }
    return {{"code", "shape_unknown"},
            {"reason",
             "no member names a Bitbucket Cloud event (push, pullrequest, issue, commit_status, comment, fork, "
             "repository): choose the event key"}};
  }
  return {{"code", "detected"}, {"keys", found.keys}, {"basis", found.basis}};
}

ordered_json preview_json(std::string_view key, std::span<const std::uint8_t> body, std::string_view template_source) {
  const auto compiled = compile_template(template_source);
  if (!compiled.ok()) return preview_answer(compiled.error());
  return preview_json(key, body, &compiled.value());
}

ordered_json preview_request_json(std::span<const std::uint8_t> request) {
  if (request.size() > 2 * max_body_bytes) return preview_answer(body_too_large(request.size()));
  const auto parsed = parse_input(request, "request");
  if (!parsed.ok()) return preview_answer(parsed.error());
  const auto invalid = [](std::string message) {
    return preview_answer(make_error("request_invalid", std::move(message)));
  };
  const auto& root = parsed.value();
  if (!root.is_object()) return invalid("request must be a JSON object {event, payload}");
  const auto event = root.find("event");
  if (event == root.end() || !event->is_string()) return invalid("event must be a string, e.g. \"repo:push\"");
  const auto& key = event->get_ref<const std::string&>();
  if (!is_well_formed_event_key(key)) return invalid("event \"" + key.substr(0, 64) + "\" is not category:action");
  const auto payload = root.find("payload");
  if (payload == root.end() || !payload->is_object()) return invalid("payload must be the JSON object Bitbucket sent");
  std::optional<message_template> custom;
  if (const auto tmpl = root.find("template"); tmpl != root.end() && !tmpl->is_null()) {
    if (!tmpl->is_string() && !tmpl->is_object()) return invalid("template must be a template object or its JSON text");
    // A template object is compiled from the request's own text, so its faults point at what was sent.
    const std::string_view text(reinterpret_cast<const char*>(request.data()), request.size());
    const auto span = tmpl->is_object() ? find_member(text, {"template"}) : json_span{};
    auto compiled = span.end > span.begin && dump_json(*tmpl).size() <= max_template_bytes
                        ? compile_template_in(text, span.begin, span.end)
                        : compile_template_value(*tmpl);
    if (!compiled.ok()) {
      auto failure = compiled.error();
      failure.field = "template";
      if (failure.line > 0) {
        failure.message += span.end > span.begin ? " (line and column in the request body)"
                                                 : " (line and column in the template's text)";
      }
      return preview_answer(failure);
    }
    custom = std::move(compiled).value();
  }
  std::vector<cut> cuts;
  const auto message = render_preview(key, *payload, custom ? &*custom : nullptr, &cuts);
  return preview_answer(message, cuts);
}

ordered_json signature_check_json(std::string_view envelope, std::span<const std::uint8_t> body) {
  const auto parsed = parse_json(envelope);
  const auto member = [&](std::string_view key) -> const std::string* {
    if (!parsed.ok() || !parsed.value().is_object()) return nullptr;
    const auto it = parsed.value().find(key);
    return it != parsed.value().end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  const auto* secret = member("secret");
  const auto* header = member("signature");
  if (secret == nullptr || header == nullptr) {
    return preview_answer(make_error("envelope_invalid", "envelope must be {\"secret\":\"…\",\"signature\":\"…\"}"));
  }
  if (secret->empty())
    return preview_answer(make_error("secret_missing", "the secret is empty: enter the webhook's secret"));
  const auto verified = verify_signature(*header, as_bytes(*secret), body);
  if (!verified.ok()) return preview_answer(verified.error());
  return {{"code", "valid"},
          {"reason", "the signature matches these " + std::to_string(body.size()) + " bytes and this secret"}};
}

ordered_json catalogue_json() {
  ordered_json list = ordered_json::array();
  for (const auto& info : event_catalogue()) {
    list.push_back(
        {{"key", info.key}, {"category", info.category}, {"label", info.label}, {"description", info.description}});
  }
  return list;
}

namespace {

// An envelope from the wasm boundary or the CLI, parsed, with its endpoint's settings read.
struct endpoint_envelope {
  json root;
  endpoint_settings endpoint;
};

// Parses `{"endpoint":{…}, …}`; `members` names them all for the error. Returns the envelope; otherwise
// `envelope_invalid` or the endpoint's error.
result<endpoint_envelope> parse_endpoint_envelope(std::string_view envelope, std::string_view members) {
  auto parsed = parse_json(envelope);
  if (!parsed.ok() || !parsed.value().is_object()) {
    return make_error("envelope_invalid", "envelope must be a JSON object {" + std::string(members) + "}");
  }
  const auto& root = parsed.value();
  const auto node = root.find("endpoint");
  auto endpoint = parse_endpoint(node == root.end() ? json() : *node);
  if (!endpoint.ok()) return endpoint.error();
  return endpoint_envelope{std::move(parsed).value(), std::move(endpoint).value()};
}

}  // namespace

outcome handle_envelope(std::string_view envelope, std::span<const std::uint8_t> body) {
  const auto parsed = parse_endpoint_envelope(envelope, "endpoint, headers");
  if (!parsed.ok()) return refuse(500, parsed.error());
  const auto& root = parsed.value().root;
  const auto headers_node = root.find("headers");
  const auto headers = parse_headers(headers_node == root.end() ? json() : *headers_node);
  if (!headers.ok()) return refuse(500, headers.error());
  return handle(parsed.value().endpoint, headers.value(), body);
}

outcome redeliver_envelope(std::string_view envelope, std::span<const std::uint8_t> body) {
  const auto parsed = parse_endpoint_envelope(envelope, "endpoint, event");
  if (!parsed.ok()) return refuse(500, parsed.error());
  const auto& root = parsed.value().root;
  const auto event = root.find("event");
  if (event == root.end() || !event->is_string()) {
    return refuse(500, make_error("envelope_invalid", "envelope.event must be the recorded event key"));
  }
  return handle_verified(parsed.value().endpoint, event->get<std::string>(), body);
}

ordered_json endpoint_check_json(std::string_view endpoint, std::string_view request) {
  const auto parsed = parse_json(endpoint);
  if (!parsed.ok()) return preview_answer(make_error("endpoint_invalid", "endpoint must be a JSON object"));
  // The request's text places template faults only when it is JSON (the admin API has parsed it already).
  const bool placeable = !request.empty() && parse_json(request).ok();
  auto settings = parse_endpoint(parsed.value(), placeable ? request : std::string_view());
  if (!settings.ok()) {
    auto failure = settings.error();
    if (failure.line > 0 && (failure.field == "template" || failure.field == "templates")) {
      const bool in_request = placeable && [&] {
        const auto member = find_member(request, {failure.field});
        return member.end > member.begin && request[member.begin] == '{';
      }();
      failure.message +=
          in_request ? " (line and column in the request body)" : " (line and column in the template's text)";
    }
    return preview_answer(failure);
  }
  return {{"code", "valid"}};
}

ordered_json selects_json(std::string_view envelope) {
  const auto parsed = parse_endpoint_envelope(envelope, "endpoint, event");
  if (!parsed.ok()) return preview_answer(parsed.error());
  const auto& root = parsed.value().root;
  const auto event = root.find("event");
  if (event == root.end() || !event->is_string()) {
    return preview_answer(make_error("envelope_invalid", "envelope.event must be an event key"));
  }
  const auto& key = event->get_ref<const std::string&>();
  if (!is_well_formed_event_key(key)) return preview_answer(event_key_invalid());
  if (!parsed.value().endpoint.events.selects(key)) {
    return {{"code", "event_not_selected"}, {"reason", "event " + key + " not selected"}};
  }
  return {{"code", "selected"}, {"reason", "event " + key + " is selected"}};
}

ordered_json limits_json() {
  return {{"max_body_bytes", max_body_bytes},
          {"max_template_bytes", max_template_bytes},
          {"max_templates_bytes", max_templates_bytes},
          {"max_template_depth", max_template_depth},
          {"max_section_nesting", mustache::max_nesting}};
}

ordered_json outcome_json(const outcome& result) {
  ordered_json out = {
      {"verdict", result.verdict}, {"status", result.status}, {"code", result.code}, {"reason", result.reason}};
  if (!result.event.empty()) out["event"] = result.event;
  if (result.message) out["message"] = *result.message;
  return out;
}

}  // namespace dispatch
