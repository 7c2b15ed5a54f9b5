#pragma once
// An endpoint's settings as the core reads them (secrets, the event selection, the templates), and the
// request headers it is given.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dispatch/events.hpp"
#include "dispatch/filters.hpp"
#include "dispatch/json_in.hpp"
#include "dispatch/message_template.hpp"
#include "dispatch/result.hpp"

namespace dispatch {

// What the core needs to know of an endpoint.
struct endpoint_settings {
  std::vector<std::string> secrets;  // any of them verifies (after a rotation, the previous one too)
  event_selection events;
  template_set templates;  // empty: the auto-formatted embeds
  filter_set filters = {};  // empty: every selected event passes
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

}  // namespace dispatch
