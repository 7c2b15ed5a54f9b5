// The C ABI of the wasm build: the only functions JavaScript calls (wasm/exports.txt lists them).
//
// Every call takes a JSON envelope and a byte buffer, both in wasm memory that the caller allocated with
// dispatch_alloc, and returns a NUL-terminated JSON answer that the caller frees with dispatch_free. Errors
// are answers, never traps: the core does not throw, and this file is built without exceptions.

#include <malloc.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "call_arena.hpp"
#include "dispatch/answers.hpp"
#include "dispatch/cli.hpp"
#include "dispatch/cold.hpp"
#include "dispatch/discord_limits.hpp"
#include "dispatch/json_io.hpp"
#include "dispatch/mustache/ast.hpp"
#include "dispatch/threads.hpp"

namespace {

char* answer(const std::string& text) {
  auto* out = static_cast<char*>(std::malloc(text.size() + 1));
  if (out == nullptr) return nullptr;
  std::memcpy(out, text.data(), text.size());
  out[text.size()] = '\0';
  return out;
}

std::string_view view(const char* data, std::size_t size) { return {data == nullptr ? "" : data, size}; }

std::span<const std::uint8_t> bytes(const std::uint8_t* data, std::size_t size) {
  return {data, data == nullptr ? 0 : size};
}

// Endpoints read once and kept for the calls that follow (dispatch_endpoint_open): the only state of this
// module, owned by the caller, which closes what it opened. The core itself stays free of it.
std::map<std::uint32_t, dispatch::endpoint_settings>& prepared() {
  static std::map<std::uint32_t, dispatch::endpoint_settings> endpoints;
  return endpoints;
}

// Returns the "handle" member of an envelope, or 0 (never a handle) when there is none.
std::uint32_t handle_of(const dispatch::result<dispatch::json>& envelope) {
  if (!envelope.ok() || !envelope.value().is_object()) return 0;
  const auto it = envelope.value().find("handle");
  if (it == envelope.value().end() || !it->is_number_unsigned() || it->get<std::uint64_t>() > UINT32_MAX) return 0;
  return static_cast<std::uint32_t>(it->get<std::uint64_t>());
}

}  // namespace

// The exports a delivery does not call (page actions, endpoint settings, the command line) are
// DISPATCH_COLD: built for size.
extern "C" {

// Returns `size` bytes of wasm memory for the caller to fill, or 0 if memory is exhausted.
void* dispatch_alloc(std::size_t size) { return std::malloc(size == 0 ? 1 : size); }

// Releases memory from dispatch_alloc or an answer.
void dispatch_free(void* pointer) { std::free(pointer); }

// Runs the pipeline. `envelope` is {"endpoint":{…},"headers":{…}}; `body` the exact bytes received.
// Returns the outcome JSON.
char* dispatch_handle(const char* envelope, std::size_t envelope_size, const std::uint8_t* body,
                      std::size_t body_size) {
  const dispatch::wasm::call_scope scope;
  auto result = dispatch::handle_envelope(view(envelope, envelope_size), bytes(body, body_size));
  return answer(dispatch::dump_json(
      dispatch::wasm::left_to_arena<dispatch::ordered_json>(dispatch::outcome_json(std::move(result)))));
}

// Reads and compiles an endpoint's settings once (`envelope`, the endpoint JSON; `body` unused), for
// dispatch_handle_prepared. Returns {"code":"opened","handle":N}, or the error parse_endpoint gives.
DISPATCH_COLD char* dispatch_endpoint_open(const char* envelope, std::size_t envelope_size, const std::uint8_t*,
                                           std::size_t) {
  const auto parsed = dispatch::parse_json(view(envelope, envelope_size));
  auto settings = parsed.ok() ? dispatch::parse_endpoint(parsed.value())
                              : dispatch::result<dispatch::endpoint_settings>(dispatch::make_error(
                                    dispatch::codes::endpoint_invalid, "endpoint must be a JSON object"));
  if (!settings.ok()) {
    return answer(dispatch::dump_json({{"code", settings.error().code}, {"reason", settings.error().message}}));
  }
  static std::uint32_t next = 0;
  const auto handle = ++next;
  prepared().emplace(handle, std::move(settings).value());
  return answer(dispatch::dump_json({{"code", dispatch::codes::opened}, {"handle", handle}}));
}

// Forgets an endpoint opened with dispatch_endpoint_open (`envelope`, {"handle":N}). Returns {"code":"closed"}
// or {"code":"unknown_handle"}.
DISPATCH_COLD char* dispatch_endpoint_close(const char* envelope, std::size_t envelope_size, const std::uint8_t*,
                                            std::size_t) {
  const auto parsed = dispatch::parse_json(view(envelope, envelope_size));
  const auto handle = handle_of(parsed);
  const bool closed = prepared().erase(handle) == 1;
  return answer(dispatch::dump_json({{"code", closed ? dispatch::codes::closed : dispatch::codes::unknown_handle}}));
}

// dispatch_handle for an endpoint opened with dispatch_endpoint_open: `envelope` is {"handle":N,
// "headers":{…}}. An unknown handle is an outcome with status 500 and code `envelope_invalid`.
char* dispatch_handle_prepared(const char* envelope, std::size_t envelope_size, const std::uint8_t* body,
                               std::size_t body_size) {
  const dispatch::wasm::call_scope scope;
  const auto refused = [](std::string reason) {
    return answer(dispatch::dump_json(dispatch::outcome_json(
        {dispatch::verdict::reject, 500, dispatch::codes::envelope_invalid, std::move(reason), {}, std::nullopt})));
  };
  const auto parsed = dispatch::parse_json(view(envelope, envelope_size));
  if (!parsed.ok() || !parsed.value().is_object()) return refused("envelope must be {\"handle\":N,\"headers\":{…}}");
  const auto& root = parsed.value();
  const auto handle = handle_of(parsed);
  const auto endpoint = prepared().find(handle);
  if (endpoint == prepared().end()) return refused("no endpoint is open with handle " + std::to_string(handle));
  const auto headers_node = root.find("headers");
  const auto headers = dispatch::parse_headers(headers_node == root.end() ? dispatch::json() : *headers_node);
  if (!headers.ok()) return refused(headers.error().message);
  auto result = dispatch::handle(endpoint->second, headers.value(), bytes(body, body_size),
                                 &dispatch::wasm::left_to_arena<dispatch::json>());
  return answer(dispatch::dump_json(
      dispatch::wasm::left_to_arena<dispatch::ordered_json>(dispatch::outcome_json(std::move(result)))));
}

// Runs the pipeline after the signature on a recorded body, for a redelivery. `envelope` is
// {"endpoint":{…},"event":"<key>"}. Returns the outcome JSON.
char* dispatch_redeliver(const char* envelope, std::size_t envelope_size, const std::uint8_t* body,
                         std::size_t body_size) {
  const dispatch::wasm::call_scope scope;
  auto result = dispatch::redeliver_envelope(view(envelope, envelope_size), bytes(body, body_size));
  return answer(dispatch::dump_json(
      dispatch::wasm::left_to_arena<dispatch::ordered_json>(dispatch::outcome_json(std::move(result)))));
}

// Checks endpoint settings (`envelope`, the endpoint JSON; `body`, when not empty, the text of the admin
// request they came in, where templates given as objects are placed). Returns
// dispatch::endpoint_check_json's answer.
DISPATCH_COLD char* dispatch_endpoint_check(const char* envelope, std::size_t envelope_size, const std::uint8_t* body,
                                            std::size_t body_size) {
  const std::string_view request(reinterpret_cast<const char*>(body), body == nullptr ? 0 : body_size);
  return answer(dispatch::dump_json(dispatch::endpoint_check_json(view(envelope, envelope_size), request)));
}

// Answers whether an endpoint would deliver an event: `envelope` is {"endpoint":{events, filters?},
// "event":"<key>"}; `body`, when not empty, the event's payload (the filters apply to it). Returns
// dispatch::selects_json's answer.
DISPATCH_COLD char* dispatch_selects(const char* envelope, std::size_t envelope_size, const std::uint8_t* body,
                                     std::size_t body_size) {
  return answer(dispatch::dump_json(dispatch::selects_json(view(envelope, envelope_size), bytes(body, body_size))));
}

// Lists the catalogue's keys an event selection takes: `envelope` is {"events":{mode, custom?}}; `body` unused.
// Returns dispatch::selected_keys_json's answer.
DISPATCH_COLD char* dispatch_selected_keys(const char* envelope, std::size_t envelope_size, const std::uint8_t*,
                                           std::size_t) {
  return answer(dispatch::dump_json(dispatch::selected_keys_json(view(envelope, envelope_size))));
}

// Answers whether one branch, tag or actor name passes an endpoint's filters: `envelope` is {"filters":{…},
// "branch"|"tag"|"actor":"<name>"}; `body` unused. Returns dispatch::filter_check_json's answer.
DISPATCH_COLD char* dispatch_filter_check(const char* envelope, std::size_t envelope_size, const std::uint8_t*,
                                          std::size_t) {
  return answer(dispatch::dump_json(dispatch::filter_check_json(view(envelope, envelope_size))));
}

// Checks an endpoint's templates against sample payloads for warnings: `envelope` is {"endpoint":{…},
// "samples":[{event, body}]}; `body` unused. Returns dispatch::template_warnings_json's answer.
DISPATCH_COLD char* dispatch_template_warnings(const char* envelope, std::size_t envelope_size, const std::uint8_t*,
                                               std::size_t) {
  return answer(dispatch::dump_json(dispatch::template_warnings_json(view(envelope, envelope_size))));
}

// Returns the core's limits (dispatch::limits_json); the arguments are unused.
DISPATCH_COLD char* dispatch_limits(const char*, std::size_t, const std::uint8_t*, std::size_t) {
  return answer(dispatch::dump_json(dispatch::limits_json()));
}

// Renders the message for a payload without verifying or filtering (the preview). `envelope` is
// {"event":"<key>","template"?:"<template source>","filters"?:{…},"budget"?:true,"thread"?:true}; `body` the
// payload bytes.
// Returns dispatch::preview_json's answer (with "budget", dispatch::budget_json of its message; with "thread",
// the pull request's thread as dispatch::pull_request_thread gives it).
DISPATCH_COLD char* dispatch_render(const char* envelope, std::size_t envelope_size, const std::uint8_t* body,
                                    std::size_t body_size) {
  const auto parsed = dispatch::parse_json(view(envelope, envelope_size));
  const dispatch::json* event = nullptr;
  if (parsed.ok() && parsed.value().is_object()) {
    const auto it = parsed.value().find("event");
    if (it != parsed.value().end() && it->is_string()) event = &*it;
  }
  if (event == nullptr) {
    return answer(dispatch::dump_json(
        {{"code", dispatch::codes::envelope_invalid}, {"reason", "envelope must be {\"event\":\"<key>\"}"}}));
  }
  const auto& key = event->get_ref<const std::string&>();
  // With "filters", a push shows only the changes that pass them, as it would be delivered.
  const auto filters_node = parsed.value().find("filters");
  auto filters = dispatch::parse_filters(filters_node == parsed.value().end() ? dispatch::json() : *filters_node);
  if (!filters.ok()) {
    return answer(dispatch::dump_json(
        {{"code", filters.error().code}, {"reason", filters.error().message}, {"field", filters.error().field}}));
  }
  const auto source = parsed.value().find("template");
  const auto template_source = source != parsed.value().end() && source->is_string()
                                   ? std::optional<std::string_view>(source->get_ref<const std::string&>())
                                   : std::nullopt;
  auto rendered = dispatch::preview_json(key, bytes(body, body_size), template_source, &filters.value());
  // With "budget": true, how much of each of Discord's limits the message uses, for the preview to draw.
  const auto budget = parsed.value().find("budget");
  if (budget != parsed.value().end() && budget->is_boolean() && budget->get<bool>() &&
      rendered["code"] == dispatch::codes::rendered) {
    rendered["budget"] = dispatch::budget_json(rendered["message"]);
  }
  // With "thread": true, a pull request event's thread (name, state, card), as threads: "pull_request" sends it.
  const auto thread = parsed.value().find("thread");
  if (thread != parsed.value().end() && *thread == true && rendered["code"] == dispatch::codes::rendered) {
    const auto payload = dispatch::parse_payload(bytes(body, body_size));
    if (auto found = payload.ok() ? dispatch::pull_request_thread(key, payload.value()) : std::nullopt) {
      rendered["thread"] = std::move(*found);
    }
  }
  return answer(dispatch::dump_json(rendered));
}

// Answers POST /api/preview from its raw request body {event, payload} (`body`); `envelope` is unused.
// Returns dispatch::preview_request_json's answer, with "budget" when it rendered.
DISPATCH_COLD char* dispatch_preview(const char*, std::size_t, const std::uint8_t* body, std::size_t body_size) {
  auto rendered = dispatch::preview_request_json(bytes(body, body_size));
  if (rendered["code"] == dispatch::codes::rendered) rendered["budget"] = dispatch::budget_json(rendered["message"]);
  return answer(dispatch::dump_json(rendered));
}

// Renders a Mustache text template. `envelope` is {"template":"…","partials"?:{name:"…"},"escaping"?:
// "html"|"discord"|"none"} (default discord); `body` the data as JSON text. Returns
// dispatch::mustache::render_text's answer.
DISPATCH_COLD char* dispatch_mustache(const char* envelope, std::size_t envelope_size, const std::uint8_t* body,
                                      std::size_t body_size) {
  const auto parsed = dispatch::parse_json(view(envelope, envelope_size));
  if (!parsed.ok() || !parsed.value().is_object() || !parsed.value().contains("template") ||
      !parsed.value()["template"].is_string()) {
    return answer(dispatch::dump_json(
        {{"code", dispatch::codes::envelope_invalid}, {"reason", "envelope must be {\"template\":\"…\"}"}}));
  }
  const auto& root = parsed.value();
  dispatch::mustache::partial_map partials;
  if (const auto it = root.find("partials"); it != root.end() && it->is_object()) {
    for (const auto& item : it->items()) {
      if (item.value().is_string()) partials.emplace(item.key(), item.value().get<std::string>());
    }
  }
  auto mode = dispatch::mustache::escaping::discord;
  if (const auto it = root.find("escaping"); it != root.end() && it->is_string()) {
    if (*it == "html") mode = dispatch::mustache::escaping::html;
    if (*it == "none") mode = dispatch::mustache::escaping::none;
  }
  const std::string_view data(reinterpret_cast<const char*>(body), body == nullptr ? 0 : body_size);
  return answer(dispatch::dump_json(
      dispatch::mustache::render_text(root["template"].get_ref<const std::string&>(), data, partials, mode)));
}

// Says which event keys a payload's shape fits (`body`, the payload bytes; `envelope` unused). Returns
// dispatch::detect_json's answer.
DISPATCH_COLD char* dispatch_detect(const char*, std::size_t, const std::uint8_t* body, std::size_t body_size) {
  return answer(dispatch::dump_json(dispatch::detect_json(bytes(body, body_size))));
}

// Checks a signature: `envelope` is {"secret":"…","signature":"…"}, `body` the signed bytes. Returns
// dispatch::signature_check_json's answer.
DISPATCH_COLD char* dispatch_verify(const char* envelope, std::size_t envelope_size, const std::uint8_t* body,
                                    std::size_t body_size) {
  return answer(
      dispatch::dump_json(dispatch::signature_check_json(view(envelope, envelope_size), bytes(body, body_size))));
}

// Returns the event catalogue [{key, category, label, description}]; the arguments are unused.
DISPATCH_COLD char* dispatch_events(const char*, std::size_t, const std::uint8_t*, std::size_t) {
  return answer(dispatch::dump_json(dispatch::catalogue_json()));
}

// Returns the registry of codes [{code, status, meaning, also_status?}]; the arguments are unused.
DISPATCH_COLD char* dispatch_codes(const char*, std::size_t, const std::uint8_t*, std::size_t) {
  return answer(dispatch::dump_json(dispatch::codes_json()));
}

// Runs one `dispatch` command line. `envelope` is {"argv":[…]} to plan, {"argv":[…],"sizes":[…]} to run
// with the planned files' bytes back to back in `files`, {"argv":[…],"read_error":{path, why}} to word a
// file that could not be read (why: not_found, permission_denied, is_directory, other), or
// {"argv":[…],"answer":{url, timeout_seconds, uuid, status, failure, detail}} with the answer's body in
// `files` to word what came of `send`'s request (failure: as dispatch::send_failure is named, "" for none).
// Returns {"files":[…]} (a plan) or {"out","err","exit"} (with "request":{url, headers, timeout_seconds} when
// the edge is to make one).
DISPATCH_COLD char* dispatch_cli(const char* envelope, std::size_t envelope_size, const std::uint8_t* files,
                                 std::size_t files_size) {
  const auto fail = [](std::string message) {
    dispatch::ordered_json out = {{"out", ""}, {"err", "dispatch: " + message + "\n"}, {"exit", 2}};
    return answer(dispatch::dump_json(out));
  };
  const auto parsed = dispatch::parse_json(view(envelope, envelope_size));
  if (!parsed.ok() || !parsed.value().is_object()) return fail("internal: bad cli envelope");
  const auto& root = parsed.value();
  std::vector<std::string> args;
  const auto argv = root.find("argv");
  if (argv == root.end() || !argv->is_array()) return fail("internal: cli envelope has no argv");
  for (const auto& arg : *argv) {
    if (!arg.is_string()) return fail("internal: argv holds a non-string");
    args.push_back(arg.get<std::string>());
  }
  if (const auto failure = root.find("read_error"); failure != root.end()) {
    const auto path = failure->find("path");
    const auto why = failure->find("why");
    if (!failure->is_object() || path == failure->end() || !path->is_string() || why == failure->end()) {
      return fail("internal: read_error needs {path, why}");
    }
    const auto reason = why->is_string() ? why->get<std::string>() : "";
    auto kind = dispatch::read_failure::other;
    if (reason == "not_found") kind = dispatch::read_failure::not_found;
    if (reason == "permission_denied") kind = dispatch::read_failure::permission_denied;
    if (reason == "is_directory") kind = dispatch::read_failure::is_directory;
    const auto output = dispatch::cli_read_error(path->get<std::string>(), kind);
    return answer(dispatch::dump_json({{"out", output.out}, {"err", output.err}, {"exit", output.exit_code}}));
  }
  if (const auto sent = root.find("answer"); sent != root.end()) {
    if (!sent->is_object()) return fail("internal: answer must be an object");
    const auto text = [&](const char* name) {
      const auto it = sent->find(name);
      return it != sent->end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const auto number = [&](const char* name, int otherwise) {
      const auto it = sent->find(name);
      return it != sent->end() && it->is_number_integer() ? it->get<int>() : otherwise;
    };
    dispatch::cli_request request;
    request.url = text("url");
    request.timeout_seconds = number("timeout_seconds", request.timeout_seconds);
    dispatch::cli_answer result;
    result.request_uuid = text("uuid");
    result.status = number("status", 0);
    result.body.assign(reinterpret_cast<const char*>(files), files_size);
    result.detail = text("detail");
    const auto failure = text("failure");
    using dispatch::send_failure;
    for (const auto& [name, kind] :
         {std::pair{"refused", send_failure::refused}, std::pair{"timed_out", send_failure::timed_out},
          std::pair{"dns_not_found", send_failure::dns_not_found}, std::pair{"dns_failed", send_failure::dns_failed},
          std::pair{"unreachable", send_failure::unreachable}, std::pair{"closed", send_failure::closed},
          std::pair{"not_http", send_failure::not_http}, std::pair{"tls", send_failure::tls},
          std::pair{"other", send_failure::other}}) {
      if (failure == name) result.failure = kind;
    }
    const auto output = dispatch::cli_send_answer(request, result);
    return answer(dispatch::dump_json({{"out", output.out}, {"err", output.err}, {"exit", output.exit_code}}));
  }
  const auto sizes = root.find("sizes");
  if (sizes == root.end()) {
    const auto plan = dispatch::plan_cli(args);
    dispatch::ordered_json out;
    if (plan.done) {
      out = {{"out", plan.output.out}, {"err", plan.output.err}, {"exit", plan.output.exit_code}};
    } else {
      out = {{"files", plan.files}};
    }
    return answer(dispatch::dump_json(out));
  }
  if (!sizes->is_array()) return fail("internal: sizes must be an array");
  std::vector<std::string> contents;
  std::size_t offset = 0;
  const auto all = bytes(files, files_size);
  for (const auto& size : *sizes) {
    if (!size.is_number_unsigned() || size.get<std::size_t>() > all.size() - offset) {
      return fail("internal: file sizes do not match the buffer");
    }
    const auto length = size.get<std::size_t>();
    contents.emplace_back(reinterpret_cast<const char*>(all.data()) + offset, length);
    offset += length;
  }
  const auto output = dispatch::run_cli(args, contents);
  dispatch::ordered_json out = {{"out", output.out}, {"err", output.err}, {"exit", output.exit_code}};
  if (output.request) {
    // The body to send is the last file, which the caller holds already.
    out["request"] = {{"url", output.request->url},
                      {"headers", output.request->headers},
                      {"timeout_seconds", output.request->timeout_seconds}};
  }
  return answer(dispatch::dump_json(out));
}

// Returns the bytes of heap allocated and not yet freed, for watching a long-lived instance.
std::size_t dispatch_heap_in_use() { return static_cast<std::size_t>(mallinfo().uordblks); }

}  // extern "C"
