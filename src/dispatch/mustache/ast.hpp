#pragma once
// Mustache templates: tokens, the syntax tree, and the entry points of each stage (lexer -> parser ->
// renderer). Pure: partials are looked up through a map the caller provides.

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/json_io.hpp"
#include "dispatch/result.hpp"

namespace dispatch::mustache {

// What a tag is, by its sigil: {{name}}, {{{name}}} or {{&name}}, {{#s}}, {{^s}}, {{/s}}, {{!c}}, {{>p}},
// {{=<% %>=}}, {{$block}}, {{<parent}}.
enum class tag_kind { variable, unescaped, section, inverted, close, comment, partial, delimiters, block, parent };

// One piece of a template: literal text, or a tag with its name. Positions are 1-based.
struct token {
  bool is_text = true;
  tag_kind kind = tag_kind::variable;
  std::string text;         // the literal text, or the tag's name
  bool dynamic = false;     // {{>*name}}, {{<*name}}: the name is looked up in the data
  bool standalone = false;  // alone on its line: the line is removed, its indentation kept in `indent`
  std::string indent;
  int line = 0;
  int column = 0;
};

// Splits a template into tokens, applying delimiter changes and the standalone-line rule. Returns the
// tokens; otherwise a `template_syntax` error (unclosed tag, empty name, bad delimiter change) with position.
result<std::vector<token>> lex(std::string_view source);

// A node of the syntax tree.
struct node {
  bool is_text = true;
  tag_kind kind = tag_kind::variable;  // variable, unescaped, section, inverted, partial, block or parent
  std::string text;
  bool dynamic = false;
  std::string indent;
  std::vector<node> children;  // of sections, inverted sections, blocks and parents
  int line = 0;
  int column = 0;
};

// Sections, inverted sections, blocks and parents may nest this deep in one template, far above any real
// template; rendering stops at twice this across partials.
inline constexpr int max_nesting = 64;

// Builds the tree. Returns it; otherwise a `template_syntax` error for a section never closed or a close
// tag that does not match, or `template_too_deep` for a section opened past max_nesting, with the position
// of the tag at fault.
result<std::vector<node>> parse(std::string_view source);

// Returns a compact printed form of a tree, for tests: text "…" (newlines as \n), var(x), raw(x),
// sec(x){…}, inv(x){…}, partial(x), block(x){…}, parent(x){…}.
std::string print(const std::vector<node>& tree);

// How interpolated values are escaped: HTML (the spec's rule), Discord markdown, or not at all.
enum class escaping { html, discord, none };

using partial_map = std::map<std::string, std::string, std::less<>>;

// Resolves `name` ("." , "a", "a.b.c") against `data` as a template would at its top level. Returns the
// value, or nullptr when there is none.
const json* find_value(const json& data, std::string_view name);

// What rendering may spend, shared by every string of one message: bytes written, and steps taken (a text,
// a tag, an item of a section, a node of a value copied whole). Nested sections multiply their content by
// the items of each list, so without a bound a few hundred bytes of template can ask for gigabytes.
struct budget {
  std::size_t output = 64 * 1024;  // Discord takes at most 6,000 characters of embeds and 2,000 of content
  std::size_t steps = 100'000;     // a real template over a real payload takes a few thousand
};

// Renders a parsed template against `data`, spending from `spend` (what is left is written back). Partials
// are parsed when first used; a missing partial renders as nothing, and recursion deeper than 64 partials
// stops there. Returns the text; otherwise `template_too_large` when the budget runs out, or
// `template_too_deep` when sections and partials together nest past twice max_nesting.
result<std::string> render(const std::vector<node>& tree, const json& data, const partial_map& partials, escaping mode,
                           budget& spend);

// Calls `seen(name, where, found)` for every name a template looks up (variables, sections, inverted
// sections), as a render against `data` would resolve it: `where` is the chain of enclosing sections
// ("dispatch.commits" for {{subject}} inside {{#dispatch.commits}}), `found` whether it resolves to
// something that says anything (not null, "", an empty list, or a count of 0); for a section (`section`
// true), which is written for the case where it may be empty, whether the name exists at all. A section
// over a list is followed into its first item; one that resolves to nothing is not followed. Partials are not
// followed (message templates have none).
void visit_names(
    const std::vector<node>& tree, const json& data,
    const std::function<void(const std::string& name, const std::string& where, bool found, bool section)>& seen);

// Counts the nodes of `value` (itself included), stopping once past `limit`: what copying it costs.
std::size_t count_nodes(const json& value, std::size_t limit);

// As above with a fresh budget.
result<std::string> render(const std::vector<node>& tree, const json& data, const partial_map& partials, escaping mode);

// Renders a Mustache text template against JSON data given as text: {"code":"rendered","text":…}, or
// {"code":…,"reason":…,"line":L,"column":C} for a template that does not parse (template_syntax) or data that
// is not JSON (data_not_json). For the preview's template editor and for benchmarks.
ordered_json render_text(std::string_view source, std::string_view data, const partial_map& partials, escaping mode);

}  // namespace dispatch::mustache
