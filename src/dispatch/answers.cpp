#include "dispatch/answers.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "dispatch/codes.hpp"
#include "dispatch/cold.hpp"
#include "dispatch/detect.hpp"
#include "dispatch/json_source.hpp"
#include "dispatch/mustache/ast.hpp"
#include "dispatch/signature.hpp"

namespace dispatch {
namespace {

ordered_json preview_answer(const ordered_json& message) { return {{"code", codes::rendered}, {"message", message}}; }

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

namespace {

// The preview's answer for a rendered message, with what the limits cut when they cut anything.
ordered_json preview_answer(const result<ordered_json>& message, const std::vector<cut>& cuts) {
  if (!message.ok()) return preview_answer(message.error());
  auto answer = preview_answer(message.value());
  if (!cuts.empty()) answer["cuts"] = cuts_json(cuts);
  return answer;
}

}  // namespace

DISPATCH_COLD ordered_json detect_json(std::span<const std::uint8_t> body) {
  if (body.size() > max_body_bytes) return preview_answer(body_too_large(body.size()));
  const auto payload = parse_payload(body);
  if (!payload.ok()) return preview_answer(payload.error());
  const auto found = detect_event(payload.value());
  if (found.keys.empty()) {
    const auto server_key = payload.value().find("eventKey");
    if (server_key != payload.value().end() && server_key->is_string()) {
      return {{"code", codes::shape_unknown},
              {"reason", "this is a Bitbucket Server or Data Center payload (eventKey \"" +
                             server_key->get_ref<const std::string&>().substr(0, 64) +
                             "\"); dispatch relays Bitbucket Cloud"}};
    }
    return {{"code", codes::shape_unknown},
            {"reason",
             "no member names a Bitbucket Cloud event (push, pullrequest, issue, commit_status, comment, fork, "
             "repository): choose the event key"}};
  }
  return {{"code", codes::detected}, {"keys", found.keys}, {"basis", found.basis}};
}

ordered_json preview_json(std::string_view key, std::span<const std::uint8_t> body,
                          std::optional<std::string_view> template_source, const filter_set* filters) {
  std::optional<message_template> custom;
  if (template_source) {
    auto compiled = compile_template(*template_source);
    if (!compiled.ok()) return preview_answer(compiled.error());
    custom = std::move(compiled).value();
  }
  std::vector<cut> cuts;
  const auto message = preview(key, body, custom ? &*custom : nullptr, &cuts, filters);
  return preview_answer(message, cuts);
}

DISPATCH_COLD ordered_json preview_request_json(std::span<const std::uint8_t> request) {
  if (request.size() > 2 * max_body_bytes) return preview_answer(body_too_large(request.size()));
  const auto parsed = parse_input(request, "request");
  if (!parsed.ok()) return preview_answer(parsed.error());
  const auto invalid = [](std::string message) {
    return preview_answer(make_error(codes::request_invalid, std::move(message)));
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

DISPATCH_COLD ordered_json signature_check_json(std::string_view envelope, std::span<const std::uint8_t> body) {
  const auto parsed = parse_json(envelope);
  const auto member = [&](std::string_view key) -> const std::string* {
    if (!parsed.ok() || !parsed.value().is_object()) return nullptr;
    const auto it = parsed.value().find(key);
    return it != parsed.value().end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
  };
  const auto* secret = member("secret");
  const auto* header = member("signature");
  if (secret == nullptr || header == nullptr) {
    return preview_answer(
        make_error(codes::envelope_invalid, "envelope must be {\"secret\":\"…\",\"signature\":\"…\"}"));
  }
  if (secret->empty())
    return preview_answer(make_error(codes::secret_missing, "the secret is empty: enter the webhook's secret"));
  const auto verified = verify_signature(*header, as_bytes(*secret), body);
  if (!verified.ok()) return preview_answer(verified.error());
  return {{"code", codes::valid},
          {"reason", "the signature matches these " + std::to_string(body.size()) + " bytes and this secret"}};
}

DISPATCH_COLD ordered_json catalogue_json() {
  ordered_json list = ordered_json::array();
  for (const auto& info : event_catalogue()) {
    const auto branch = branch_place_name(info.branch());
    list.push_back({{"key", info.key},
                    {"category", info.category},
                    {"label", info.label},
                    {"description", info.description},
                    {"family", family_name(info.family)},
                    {"pull_request", info.pull_request()},
                    {"branch", branch.empty() ? ordered_json(nullptr) : ordered_json(branch)}});
  }
  return list;
}

DISPATCH_COLD ordered_json codes_json() {
  ordered_json list = ordered_json::array();
  for (const auto& info : code_registry()) {
    ordered_json entry = {{"code", info.code}, {"status", info.status}, {"meaning", info.meaning}};
    if (info.also_status != 0) entry["also_status"] = info.also_status;
    list.push_back(std::move(entry));
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
    return make_error(codes::envelope_invalid, "envelope must be a JSON object {" + std::string(members) + "}");
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
    return refuse(500, make_error(codes::envelope_invalid, "envelope.event must be the recorded event key"));
  }
  return handle_verified(parsed.value().endpoint, event->get<std::string>(), body);
}

DISPATCH_COLD ordered_json endpoint_check_json(std::string_view endpoint, std::string_view request) {
  const auto parsed = parse_json(endpoint);
  if (!parsed.ok()) return preview_answer(make_error(codes::endpoint_invalid, "endpoint must be a JSON object"));
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
  return {{"code", codes::valid}};
}

DISPATCH_COLD ordered_json selects_json(std::string_view envelope, std::span<const std::uint8_t> body) {
  // Only the selection and the filters are read: no secret or template plays a part.
  const auto parsed = parse_json(envelope);
  const auto member = [&](std::string_view key) {
    if (!parsed.ok() || !parsed.value().is_object()) return json();
    const auto it = parsed.value().find(key);
    return it == parsed.value().end() ? json() : *it;
  };
  const auto endpoint = member("endpoint");
  const auto setting = [&](std::string_view key) {
    return endpoint.is_object() && endpoint.contains(key) ? endpoint[key] : json();
  };
  const auto selection = parse_selection(setting("events"));
  if (!selection.ok()) return preview_answer(selection.error());
  const auto filters = parse_filters(setting("filters"));
  if (!filters.ok()) return preview_answer(filters.error());
  const auto event = member("event");
  if (!event.is_string())
    return preview_answer(make_error(codes::envelope_invalid, "envelope.event must be an event key"));
  const auto& key = event.get_ref<const std::string&>();
  if (!is_well_formed_event_key(key)) return preview_answer(event_key_invalid());
  if (!selection.value().selects(key)) {
    return {{"code", codes::event_not_selected}, {"reason", "event " + key + " not selected"}};
  }
  if (body.empty() || filters.value().empty())
    return {{"code", codes::selected}, {"reason", "event " + key + " is selected"}};
  const auto payload = parse_payload(body);
  if (!payload.ok()) return preview_answer(payload.error());
  const auto filtered = apply_filters(filters.value(), key, payload.value());
  if (!filtered.code.empty()) return {{"code", filtered.code}, {"reason", filtered.reason}};
  if (filtered.kept_changes.empty())
    return {{"code", codes::selected}, {"reason", "event " + key + " is selected and passes the filters"}};
  return {{"code", codes::selected},
          {"reason", "event " + key + " is selected; " + kept_changes_note(filtered)},
          {"changes", {{"kept", filtered.kept_changes.size()}, {"total", filtered.total_changes}}},
          {"left_out", filtered.reason}};
}

DISPATCH_COLD ordered_json selected_keys_json(std::string_view envelope) {
  const auto parsed = parse_json(envelope);
  if (!parsed.ok() || !parsed.value().is_object()) {
    return preview_answer(make_error(codes::envelope_invalid, "envelope must be {\"events\":{mode, custom?}}"));
  }
  const auto events = parsed.value().find("events");
  const auto selection = parse_selection(events == parsed.value().end() ? json() : *events);
  if (!selection.ok()) return preview_answer(selection.error());
  return {{"code", codes::listed}, {"keys", selection.value().selected_keys()}};
}

DISPATCH_COLD ordered_json template_warnings_json(std::string_view envelope) {
  const auto parsed = parse_json(envelope);
  if (!parsed.ok() || !parsed.value().is_object()) {
    return preview_answer(make_error(codes::envelope_invalid, "envelope must be {\"endpoint\":{…},\"samples\":[…]}"));
  }
  const auto& root = parsed.value();
  auto settings_json = root.contains("endpoint") ? root.at("endpoint") : json();
  if (settings_json.is_object() && !settings_json.contains("secret") && !settings_json.contains("secrets")) {
    settings_json["secret"] = "unused";  // the secret plays no part here
  }
  const auto settings = parse_endpoint(settings_json);
  if (!settings.ok()) return preview_answer(settings.error());
  const auto& templates = settings.value().templates;

  // (selector, where, name) -> the events where it says something, and those where it does not.
  struct sightings {
    std::vector<std::string> found;
    std::vector<std::string> missing;
    bool section = false;
  };
  std::map<std::tuple<std::string, std::string, std::string>, sightings> names;
  std::vector<std::string> checked;
  const auto samples = root.find("samples");
  for (const auto& sample : samples != root.end() && samples->is_array() ? *samples : json::array()) {
    if (!sample.is_object() || !sample.contains("event") || !sample["event"].is_string() || !sample.contains("body") ||
        !sample["body"].is_string()) {
      continue;
    }
    const auto& key = sample["event"].get_ref<const std::string&>();
    if (!settings.value().events.selects(key)) continue;
    const auto* custom = templates.find(key);
    if (custom == nullptr) continue;
    std::string selector;
    for (const auto& [name, compiled] : templates.by_selector) {
      if (&compiled == custom) selector = name;
    }
    const auto payload = parse_json(sample["body"].get_ref<const std::string&>());
    if (!payload.ok() || !payload.value().is_object()) continue;
    checked.push_back(key);
    const auto context = template_context(key, payload.value(), render_message(key, payload.value()));
    visit_template_names(*custom, context,
                         [&](const std::string& name, const std::string& where, bool found, bool section) {
                           auto& seen = names[{selector, where, name}];
                           seen.section = section;
                           auto& list = found ? seen.found : seen.missing;
                           if (std::find(list.begin(), list.end(), key) == list.end()) list.push_back(key);
                         });
  }
  ordered_json warnings = ordered_json::array();
  for (const auto& [at, seen] : names) {
    const auto& [selector, where, name] = at;
    // A section missing for some events is the template choosing what to show; only one no sample has is a
    // mistake.
    if (seen.missing.empty() || (seen.section && !seen.found.empty())) continue;
    std::string events;
    for (const auto& key : seen.missing) events += (events.empty() ? "" : ", ") + key;
    const auto tag = "{{" + name + "}}" + (where.empty() ? "" : " (inside {{#" + where + "}})");
    std::string reason;
    if (seen.found.empty()) {
      reason = tag + " is in no sample payload of the events this template applies to (" + events +
               "): it renders empty. Check the name against the preview's JSON.";
    } else {
      std::string found;
      for (const auto& key : seen.found) found += (found.empty() ? "" : ", ") + key;
      reason = tag + " says nothing for " + events + " (it does for " + found +
               "): give those events their own template, or choose only the events this one was written for.";
    }
    ordered_json warning = {{"selector", selector}, {"name", name}};
    if (!where.empty()) warning["where"] = where;
    warning["missing_for"] = seen.missing;
    warning["found_for"] = seen.found;
    warning["reason"] = std::move(reason);
    warnings.push_back(std::move(warning));
  }
  return {{"code", codes::checked}, {"checked", checked}, {"warnings", std::move(warnings)}};
}

DISPATCH_COLD ordered_json limits_json() {
  return {{"max_body_bytes", max_body_bytes},
          {"max_template_bytes", max_template_bytes},
          {"max_templates_bytes", max_templates_bytes},
          {"max_template_depth", max_template_depth},
          {"max_section_nesting", mustache::max_nesting}};
}

}  // namespace dispatch
