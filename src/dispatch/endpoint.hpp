#pragma once
// An endpoint's settings as the core reads them: secrets, the event selection, the templates, the filters.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dispatch/events.hpp"
#include "dispatch/filters.hpp"
#include "dispatch/headers.hpp"
#include "dispatch/json_io.hpp"
#include "dispatch/message_template.hpp"
#include "dispatch/result.hpp"

namespace dispatch {

// What the core needs to know of an endpoint.
struct endpoint_settings {
  std::vector<std::string> secrets;  // any of them verifies (after a rotation, the previous one too)
  event_selection events;
  template_set templates;             // empty: the auto-formatted embeds
  filter_set filters = {};            // empty: every selected event passes
  bool pull_request_threads = false;  // `threads: "pull_request"`: outcomes carry the PR's thread and card
};

// Reads an endpoint's `events` member {mode, custom?}. Returns the selection; otherwise `endpoint_invalid`
// naming the field (`events`, `events.mode`, `events.custom`).
result<event_selection> parse_selection(const json& events);

// Reads `{secret | secrets, events:{mode, custom?}, template?, templates?, filters?, threads?}` (other
// members, such as name or destination_url, are ignored). `filters` is parse_filters'; `threads` is null,
// "off" or "pull_request". `secrets` lists 1 to 4 secrets that each verify (a rotation's window).
// `template` is the default template; `templates` maps "default", event keys and families ("pullrequest:*")
// to templates. Returns the settings; otherwise an error with code `endpoint_invalid` whose message names
// the field (and, for a template, the line and column).
// With `request` (the text of the admin request the settings came in), a template written there as an
// object is placed in that text. Errors name the member at fault in `field`.
result<endpoint_settings> parse_endpoint(const json& endpoint, std::string_view request = {});

}  // namespace dispatch
