#pragma once
// Custom templates: a JSON document shaped like the Discord message whose every string is a Mustache
// template, rendered against the payload and a few derived values.

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/json_io.hpp"
#include "dispatch/json_source.hpp"
#include "dispatch/mustache/ast.hpp"
#include "dispatch/result.hpp"

namespace dispatch {

// A template document, checked and with each string parsed.
struct message_template {
  // One value of the document: an object's members or an array's items, a parsed string, or a literal.
  struct part {
    enum class kind { object, array, text, literal } type = kind::literal;
    std::vector<std::string> keys;     // an object's member names, in order; `items` holds their values
    std::vector<part> items;           // an object's member values or an array's elements
    std::vector<mustache::node> tree;  // for text
    std::string single_tag;            // for text that is exactly one interpolation: its name
    mustache::escaping escape = mustache::escaping::discord;  // none where Discord shows text as it is
    ordered_json literal;
  };
  part root;
};

// A template's text may be this long (a Discord message is at most about 8,000 characters), and a message
// nests objects and arrays this deep (message, embeds, embed, fields, field).
inline constexpr std::size_t max_template_bytes = 16 * 1024;
inline constexpr int max_template_depth = 8;
// An endpoint's templates together.
inline constexpr std::size_t max_templates_bytes = 64 * 1024;

// Checks and compiles a template document. Returns it; otherwise an error whose position is the line and
// column in `source`: `template_syntax` (invalid JSON, or a Mustache fault in one of its strings, named by
// its path), `template_invalid` (not an object, a member Discord does not know or given twice),
// `template_too_large` (over max_template_bytes) or `template_too_deep` (past max_template_depth, or a
// section nested past mustache::max_nesting).
result<message_template> compile_template(std::string_view source);

// As compile_template for the template written at [begin, end) of `document` (a request body that holds it
// as an object): positions are the document's.
result<message_template> compile_template_in(std::string_view document, std::size_t begin, std::size_t end);

// Compiles a template given inside another document: its JSON source text (a string), or the template object
// itself (positions then refer to that object written out with two-space indentation).
result<message_template> compile_template_value(const json& value);

// Returns the context a template renders against: the payload as Bitbucket sent it, plus `dispatch`,
// the derived values (event, category, label, action, color, repository, actor, branch, commits and
// commit_count, the pull request's source_branch and destination_branch, and `auto`, the auto-formatted
// message).
json template_context(std::string_view key, const json& payload, const ordered_json& auto_message);

// Renders a template. A string that is exactly one tag whose value is a number, boolean, object or array
// keeps that type (so "{{dispatch.color}}" is a number and "{{dispatch.auto.embeds}}" the auto embeds);
// everything else is text, its values escaped for Discord markdown where Discord renders markdown (not in
// username, author.name or footer.text, which Discord shows as they are). Returns the message (not yet finalized);
// otherwise `template_empty` when it has neither content nor an embed with something in it.
result<ordered_json> render_template(const message_template& compiled, const json& context);

// Calls `seen` (as mustache::visit_names does) for every name the template's strings look up in `context`.
void visit_template_names(
    const message_template& compiled, const json& context,
    const std::function<void(const std::string& name, const std::string& where, bool found, bool section)>& seen);

// An endpoint's templates: a default and overrides per event key ("repo:push") or family ("pullrequest:*").
struct template_set {
  std::map<std::string, message_template, std::less<>> by_selector;  // "default", a key, or "family:*"

  // Returns the most specific template for `key` (key, then family, then default), or nullptr for the auto
  // embed.
  const message_template* find(std::string_view key) const;
};

// Where an endpoint's templates were written when they came inside a request: the request's text, and
// where in it the template of each selector stands (an empty span when it is not there).
struct template_origin {
  std::string_view document;
  std::function<json_span(std::string_view selector)> locate;
};

// Reads an endpoint's `templates`: {"default"?: T, "<key>"|"<family>:*": T, …}, each T a template document
// (an object) or its source text (a string). With `origin`, a template written as an object is placed in
// the request's text. Returns the set; otherwise the first template's error with its selector named
// (`template_too_large` past max_template_bytes each or max_templates_bytes together).
result<template_set> parse_template_set(const json& templates, const template_origin* origin = nullptr);

}  // namespace dispatch
