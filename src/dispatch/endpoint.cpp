#include "dispatch/endpoint.hpp"

#include "dispatch/cold.hpp"
#include "dispatch/json_source.hpp"

namespace dispatch {

DISPATCH_COLD result<event_selection> parse_selection(const json& events) {
  const auto invalid = [](std::string field, std::string message) {
    auto failure = make_error(codes::endpoint_invalid, field + std::move(message));
    failure.field = std::move(field);
    return failure;
  };
  if (!events.is_object()) return invalid("events", " must be an object {mode, custom?}");
  const auto mode = events.find("mode");
  if (mode == events.end() || !mode->is_string()) {
    return invalid("events.mode", " must be one of \"push\", \"all\", \"custom\"");
  }
  std::vector<std::string> custom;
  if (const auto list = events.find("custom"); list != events.end() && !list->is_null()) {
    if (!list->is_array()) return invalid("events.custom", " must be an array of event keys");
    for (const auto& key : *list) {
      if (!key.is_string()) return invalid("events.custom", " must be an array of event keys");
      custom.push_back(key.get<std::string>());
    }
  }
  auto selection = make_selection(mode->get_ref<const std::string&>(), custom);
  if (!selection.ok()) {
    // make_selection words its fault from "events." on, as every reason here names its field first.
    auto failure = make_error(codes::endpoint_invalid, selection.error().message);
    failure.field = selection.error().message.rfind("events.custom", 0) == 0 ? "events.custom" : "events.mode";
    return failure;
  }
  return selection;
}

DISPATCH_COLD result<endpoint_settings> parse_endpoint(const json& endpoint, std::string_view request) {
  const auto invalid = [](std::string field, std::string message) {
    auto failure = make_error(codes::endpoint_invalid, field + std::move(message));
    failure.field = std::move(field);
    return failure;
  };
  if (!endpoint.is_object()) return make_error(codes::endpoint_invalid, "endpoint must be a JSON object");
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
  auto selection = parse_selection(events == endpoint.end() ? json() : *events);
  if (!selection.ok()) return selection.error();
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
    failure.code = codes::endpoint_invalid;
    failure.field = from_single ? "template" : "templates";
    return failure;
  }
  auto filters = parse_filters(endpoint.contains("filters") ? endpoint["filters"] : json());
  if (!filters.ok()) return filters.error();
  bool threads = false;
  if (const auto it = endpoint.find("threads"); it != endpoint.end() && !it->is_null()) {
    if (!it->is_string() || (*it != "off" && *it != "pull_request")) {
      return invalid("threads", " must be \"pull_request\" (one live thread per pull request) or \"off\"");
    }
    threads = *it == "pull_request";
  }
  return endpoint_settings{std::move(secrets), std::move(selection).value(), std::move(set).value(),
                           std::move(filters).value(), threads};
}

}  // namespace dispatch
