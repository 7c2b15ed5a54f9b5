#include "dispatch/codes.hpp"

#include <algorithm>
#include <iterator>

namespace dispatch {
namespace {

// Meanings are one line of README's table: no `|`, no line break.
constexpr code_info registry[] = {
    // A delivery's outcomes: what the core answers for a request to a hook URL.
    {codes::accepted, 202, "the event is selected and passes the filters: its message is queued for Discord"},
    {codes::template_fallback, 202,
     "delivered with the auto-formatted embed because the endpoint's template rendered no valid message"},
    {codes::event_not_selected, 200, "the endpoint's event selection does not take this event key"},
    {codes::branch_filtered, 200, "the endpoint's branch or tag filters leave the event out"},
    {codes::actor_filtered, 200, "the endpoint's actor filter leaves the event out"},
    {codes::signature_missing, 401, "no X-Hub-Signature header, or an empty one"},
    {codes::signature_malformed, 401, "X-Hub-Signature is not sha256=<64 hex digits>"},
    {codes::algorithm_unsupported, 401, "X-Hub-Signature names an algorithm other than sha256"},
    {codes::signature_mismatch, 401,
     "the signature does not match the body and the endpoint's secret (the reason never holds the expected one)"},
    {codes::event_key_missing, 400, "no X-Event-Key header"},
    {codes::event_key_invalid, 400, "the event key is not category:action (lowercase letters, digits, _)"},
    {codes::event_key_mismatch, 400, "the body is shaped like another event of its family than X-Event-Key says"},
    {codes::body_not_json, 400, "the body (or request) is not JSON; with line and column"},
    {codes::body_too_deep, 400, "the body (or request) nests deeper than the parser allows"},
    {codes::body_not_object, 400, "the body is JSON but not an object"},
    {codes::body_too_large, 413, "the body (or request) is over the size limit, declared or sent"},
    {codes::endpoint_invalid, 500,
     "the endpoint's settings do not read (our configuration, not Bitbucket's request); `field` names the member"},
    {codes::headers_invalid, 500, "the headers handed to the core are not an object of name -> string"},
    {codes::envelope_invalid, 500, "the envelope handed to the core is not what the call takes"},
    // The hook URL's own answers (the Worker).
    {"endpoint_unknown", 404, "no endpoint has this hook URL"},
    {"endpoint_inactive", 410,
     "the endpoint was disconnected (410 at its hook URL; 409 for a redelivery or a test event)", 409},
    {"method_not_allowed", 405, "the path does not take this method; Allow lists those it does"},
    {"core_failed", 503, "the core trapped or ran out of memory; the refusal is recorded and Bitbucket retries"},
    {"replay", 200, "the same signed body came again inside REPLAY_WINDOW_SECONDS: not delivered again"},
    {"duplicate", 200, "the log's code for an X-Request-UUID already accepted (the answer says status duplicate)"},
    {"unavailable", 503, "D1 or the core failed while answering; nothing was recorded as accepted"},
    // The core's other answers: templates, the pages' checks, the wasm boundary.
    {codes::request_invalid, 400, "a request's body or parameter is refused; `field` names it"},
    {codes::template_syntax, 400, "a template's JSON or Mustache does not parse; with line and column"},
    {codes::template_invalid, 400, "a template is not shaped like a Discord message, or names an unknown selector"},
    {codes::template_too_large, 400, "a template, the templates, or what one rendered is over its size limit"},
    {codes::template_too_deep, 400, "a template nests JSON, sections or partials deeper than allowed"},
    {codes::template_empty, 400, "a template rendered a message with nothing Discord would show"},
    {codes::rendered, 0, "a preview's message, rendered"},
    {codes::valid, 0, "the settings, template or signature checked are valid"},
    {codes::selected, 0, "the endpoint would deliver the event (and its payload passes the filters)"},
    {codes::listed, 0, "the catalogue's event keys an endpoint's selection takes"},
    {codes::passes, 0, "the branch, tag or actor passes the filters"},
    {codes::detected, 0, "the event keys a payload's shape fits, most likely first"},
    {codes::shape_unknown, 0, "the payload's shape names no Bitbucket Cloud event"},
    {codes::checked, 0, "an endpoint's templates, checked against sample payloads: warnings, not errors"},
    {codes::secret_missing, 0, "the signature checker was given an empty secret"},
    {codes::opened, 0, "an endpoint's settings, read and kept under a handle"},
    {codes::closed, 0, "a kept endpoint, forgotten"},
    {codes::unknown_handle, 0, "no endpoint is kept under this handle"},
    {codes::selection_invalid, 0, "an event selection does not read (answered as endpoint_invalid)"},
    {codes::json_syntax, 0, "JSON that does not parse (answered as body_not_json or template_syntax)"},
    {codes::json_too_deep, 0, "JSON that nests too deep (answered as body_too_deep or template_too_deep)"},
    {codes::data_not_json, 0, "a Mustache template's data is not JSON"},
    // The admin API's answers (the Worker).
    {"not_found", 404, "no such route, endpoint, delivery or connection"},
    {"misconfigured", 500, "ADMIN_TOKEN is not set to a real token: no admin API without one"},
    {"unauthorized", 401, "no admin token or session, or a wrong token"},
    {"token_wrong", 401, "signing in with a wrong token"},
    {"too_many_attempts", 429, "too many wrong tokens; retry_after says when to try again"},
    {"csrf_failed", 403, "a change made with the session cookie without this session's header, or from another origin"},
    {"endpoint_changed", 409, "the endpoint kept changing while a change was applied"},
    {"destination_broken", 409, "the destination is marked broken: nothing would be sent"},
    {"destination_refused", 409, "the destination URL is one the relay refuses to send to"},
    {"not_redeliverable", 409, "the delivery was refused or ignored: only accepted ones are sent again"},
    {"body_expired", 410, "the delivery's body is no longer kept (retention), or never was (a refused request)"},
    {"not_waiting", 409, "the delivery is not waiting on a backoff"},
    {"source_exists", 409, "the repository already posts to this destination through another source"},
    {"source_connected", 409, "a connected source is disconnected before it is deleted"},
    {"bitbucket_not_configured", 409, "connecting Bitbucket is not configured"},
    {"connection_in_use", 409, "a connected source still uses this connection"},
    {"connection_needs_reconnect", 409, "the connection's token no longer works: connect the account again"},
    {"bitbucket_unavailable", 502, "Bitbucket could not be reached, or a token refresh took too long (503)", 503},
    {"bitbucket_rate_limited", 429, "Bitbucket's rate limit: try again later"},
    {"bitbucket_hook_limit", 409, "the repository has as many webhooks as Bitbucket allows"},
    {"bitbucket_refused", 502, "Bitbucket refused the request (400 when it named the fault)", 400},
    {"bitbucket_scope_missing", 403, "the connection lacks a scope the request needs"},
    {"bitbucket_not_admin", 403, "the account does not administer the repository"},
    {"bitbucket_repository_not_found", 404, "Bitbucket knows no such repository, or the account cannot see it"},
    // The pages' own.
    {"network", 0, "the page: the relay did not answer"},
};

}  // namespace

std::span<const code_info> code_registry() { return registry; }

const code_info* find_code(std::string_view code) {
  const auto it =
      std::find_if(std::begin(registry), std::end(registry), [&](const code_info& info) { return info.code == code; });
  return it == std::end(registry) ? nullptr : &*it;
}

}  // namespace dispatch
