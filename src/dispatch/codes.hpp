#pragma once
// Every `code` dispatch answers with, in one registry: the core's outcomes and answers, the Worker's and the
// admin API's, and the pages' own. Each has the HTTP status it is answered with (0 where it is not an HTTP
// answer) and what it means. README's table of codes is this table; a test keeps the two, and every code
// the C++ and the JS emit, equal to it.

#include <span>
#include <string_view>

namespace dispatch {

// One code: `status` is the HTTP status it is answered with (0: not an HTTP answer); `also_status` a second
// one where the same code is answered with two (0: none).
struct code_info {
  std::string_view code;
  int status;
  std::string_view meaning;
  int also_status = 0;
};

// Returns every code, grouped as README lists them: a delivery's outcomes, the hook URL's own answers, the
// core's other answers, the admin API's, the pages'.
std::span<const code_info> code_registry();

// Returns the registry's entry for `code`, or nullptr if it has none.
const code_info* find_code(std::string_view code);

// The codes the C++ emits, by name: a typo is a compile error, not a new code.
namespace codes {
inline constexpr char accepted[] = "accepted";
inline constexpr char template_fallback[] = "template_fallback";
inline constexpr char event_not_selected[] = "event_not_selected";
inline constexpr char branch_filtered[] = "branch_filtered";
inline constexpr char actor_filtered[] = "actor_filtered";
inline constexpr char signature_missing[] = "signature_missing";
inline constexpr char signature_malformed[] = "signature_malformed";
inline constexpr char algorithm_unsupported[] = "algorithm_unsupported";
inline constexpr char signature_mismatch[] = "signature_mismatch";
inline constexpr char event_key_missing[] = "event_key_missing";
inline constexpr char event_key_invalid[] = "event_key_invalid";
inline constexpr char event_key_mismatch[] = "event_key_mismatch";
inline constexpr char body_not_json[] = "body_not_json";
inline constexpr char body_too_deep[] = "body_too_deep";
inline constexpr char body_not_object[] = "body_not_object";
inline constexpr char body_too_large[] = "body_too_large";
inline constexpr char endpoint_invalid[] = "endpoint_invalid";
inline constexpr char headers_invalid[] = "headers_invalid";
inline constexpr char envelope_invalid[] = "envelope_invalid";
inline constexpr char request_invalid[] = "request_invalid";
inline constexpr char template_syntax[] = "template_syntax";
inline constexpr char template_invalid[] = "template_invalid";
inline constexpr char template_too_large[] = "template_too_large";
inline constexpr char template_too_deep[] = "template_too_deep";
inline constexpr char template_empty[] = "template_empty";
inline constexpr char rendered[] = "rendered";
inline constexpr char valid[] = "valid";
inline constexpr char selected[] = "selected";
inline constexpr char listed[] = "listed";
inline constexpr char passes[] = "passes";
inline constexpr char detected[] = "detected";
inline constexpr char shape_unknown[] = "shape_unknown";
inline constexpr char checked[] = "checked";
inline constexpr char secret_missing[] = "secret_missing";
inline constexpr char opened[] = "opened";
inline constexpr char closed[] = "closed";
inline constexpr char unknown_handle[] = "unknown_handle";
inline constexpr char selection_invalid[] = "selection_invalid";
inline constexpr char json_syntax[] = "json_syntax";
inline constexpr char json_too_deep[] = "json_too_deep";
inline constexpr char data_not_json[] = "data_not_json";
}  // namespace codes

}  // namespace dispatch
