#include "dispatch/message_template.hpp"

#include <algorithm>
#include <cctype>

#include "dispatch/cold.hpp"
#include "dispatch/events.hpp"
#include "dispatch/json_source.hpp"
#include "dispatch/payload_view.hpp"
#include "dispatch/render/common.hpp"

namespace dispatch {
namespace {

using part = message_template::part;

// The members Discord's Execute Webhook takes, by where they may appear ("" is the message itself).
bool known_member(std::string_view where, std::string_view key) {
  static constexpr std::pair<std::string_view, std::string_view> known[] = {
      {"", "content"},          {"", "username"},       {"", "avatar_url"},     {"", "embeds"},
      {"", "allowed_mentions"}, {"embed", "title"},     {"embed", "url"},       {"embed", "description"},
      {"embed", "color"},       {"embed", "fields"},    {"embed", "author"},    {"embed", "footer"},
      {"embed", "timestamp"},   {"embed", "thumbnail"}, {"embed", "image"},     {"field", "name"},
      {"field", "value"},       {"field", "inline"},    {"author", "name"},     {"author", "url"},
      {"author", "icon_url"},   {"footer", "text"},     {"footer", "icon_url"}, {"thumbnail", "url"},
      {"image", "url"},
  };
  return std::any_of(std::begin(known), std::end(known),
                     [&](const auto& entry) { return entry.first == where && entry.second == key; });
}

// Whether Discord renders markdown in a member's text: content, an embed's title and description, a field's
// name and value. Elsewhere (username, author.name, footer.text, URLs, timestamps) text is shown or used as
// it is, so escaping would show the backslashes or break the link.
bool renders_markdown(std::string_view where, std::string_view key) {
  return (where.empty() && key == "content") || (where == "embed" && (key == "title" || key == "description")) ||
         (where == "field" && (key == "name" || key == "value"));
}

// What kind of object a member holds, for checking its members in turn.
std::string_view child_context(std::string_view where, std::string_view key) {
  if (where.empty() && key == "embeds") return "embed";
  if (where == "embed" && key == "fields") return "field";
  if (where == "embed" && (key == "author" || key == "footer" || key == "thumbnail" || key == "image")) return key;
  return "opaque";  // allowed_mentions: replaced by finalize anyway
}

// The text a template was written in, to place its faults: the whole document (a request body, or the
// template's own text) and its lines.
struct source_text {
  std::string_view document;
  line_index lines;
};

const json_span no_span{};

error placed(std::string code, std::string message, const source_text& source, std::size_t offset) {
  const auto [line, column] = source.lines.position(offset);
  return make_error(std::move(code), std::move(message), line, column);
}

result<part> compile_part(const ordered_json& value, const json_span& span, std::string_view where,
                          const std::string& path, const source_text& source, int depth, bool markdown = false) {
  part out;
  if (value.is_structured() && depth >= max_template_depth) {
    return placed(codes::template_too_deep,
                  (path.empty() ? std::string("the template") : path) + " nests deeper than a Discord message does (" +
                      std::to_string(max_template_depth) + " levels)",
                  source, span.begin);
  }
  if (value.is_object()) {
    out.type = part::kind::object;
    if (span.keys.size() != value.size()) {
      // The parser kept one of a repeated member: which was meant is anybody's guess.
      for (std::size_t i = 1; i < span.keys.size(); ++i) {
        const auto name = [&](std::size_t k) {
          return source.document.substr(span.keys[k].first, span.keys[k].second - span.keys[k].first);
        };
        for (std::size_t j = 0; j < i; ++j) {
          if (name(i) == name(j)) {
            return placed(codes::template_invalid,
                          (path.empty() ? std::string() : path + ".") + std::string(name(i)) + " is given twice",
                          source, span.keys[i].first);
          }
        }
      }
    }
    std::size_t index = 0;
    for (const auto& [key, member] : value.items()) {
      // The map and the parsed document agree; should they ever not, positions are lost, never memory.
      const auto key_span = index < span.keys.size() ? span.keys[index] : std::pair<std::size_t, std::size_t>{};
      const auto& member_span = index < span.items.size() ? span.items[index] : no_span;
      ++index;
      const auto member_path = path + (path.empty() ? "" : ".") + key;
      if (where != "opaque" && !known_member(where, key)) {
        return placed(codes::template_invalid,
                      member_path + " is not a member Discord takes" +
                          (where.empty() ? " (a message has content, username, avatar_url, embeds)" : ""),
                      source, key_span.first);
      }
      auto compiled = compile_part(member, member_span, child_context(where, key), member_path, source, depth + 1,
                                   renders_markdown(where, key));
      if (!compiled.ok()) return compiled.error();
      out.keys.push_back(key);
      out.items.push_back(std::move(compiled).value());
    }
  } else if (value.is_array()) {
    out.type = part::kind::array;
    for (std::size_t i = 0; i < value.size(); ++i) {
      auto compiled = compile_part(value[i], i < span.items.size() ? span.items[i] : no_span, where,
                                   path + "[" + std::to_string(i) + "]", source, depth + 1);
      if (!compiled.ok()) return compiled.error();
      out.items.push_back(std::move(compiled).value());
    }
  } else if (value.is_string()) {
    const auto& text = value.get_ref<const std::string&>();
    auto tree = mustache::parse(text);
    if (!tree.ok()) {
      // Place the fault in the document: found in the string as written, escapes and all.
      const auto& fault = tree.error();
      const auto literal = source.document.substr(std::min(span.begin, source.document.size()),
                                                  span.end > span.begin ? span.end - span.begin : 0);
      const auto offset = literal_offset(literal, offset_of(text, fault.line, fault.column));
      return placed(fault.code, path + ": " + fault.message, source, span.begin + offset);
    }
    out.type = part::kind::text;
    out.tree = std::move(tree).value();
    out.escape = markdown ? mustache::escaping::discord : mustache::escaping::none;
    if (out.tree.size() == 1 && !out.tree[0].is_text &&
        (out.tree[0].kind == mustache::tag_kind::variable || out.tree[0].kind == mustache::tag_kind::unescaped)) {
      out.single_tag = out.tree[0].text;
    }
  } else {
    out.literal = value;
  }
  return out;
}

// Renders one value of the document, spending from `spend`; sets `fault` and stops when it runs out.
ordered_json render_part(const part& item, const json& context, mustache::budget& spend, std::optional<error>& fault) {
  if (fault) return nullptr;
  switch (item.type) {
    case part::kind::object: {
      ordered_json out = ordered_json::object();
      for (std::size_t i = 0; i < item.keys.size() && !fault; ++i) {
        out[item.keys[i]] = render_part(item.items[i], context, spend, fault);
      }
      return out;
    }
    case part::kind::array: {
      ordered_json out = ordered_json::array();
      for (const auto& element : item.items) {
        if (fault) break;
        out.push_back(render_part(element, context, spend, fault));
      }
      return out;
    }
    case part::kind::text: {
      if (!item.single_tag.empty()) {
        const auto* value = mustache::find_value(context, item.single_tag);
        // Numbers and booleans keep their type ("color"), and so do objects and arrays, so that a template
        // can place the auto-formatted embeds ("embeds": "{{dispatch.auto.embeds}}"). A copy costs a step
        // per node.
        if (value != nullptr && !value->is_string() && !value->is_null()) {
          const auto nodes = mustache::count_nodes(*value, spend.steps);
          if (nodes > spend.steps) {
            fault = make_error(codes::template_too_large,
                               "rendering stopped: the template copies more of the payload than its budget allows");
            return nullptr;
          }
          spend.steps -= nodes;
          return ordered_json(*value);
        }
      }
      auto text = mustache::render(item.tree, context, {}, item.escape, spend);
      if (!text.ok()) {
        fault = text.error();
        return nullptr;
      }
      return std::move(text).value();
    }
    case part::kind::literal:
      return item.literal;
  }
  return nullptr;
}

// "#36B37E" or "3584894" written as text becomes the number Discord wants; anything else is dropped.
void normalise_colour(ordered_json& embed) {
  const auto it = embed.find("color");
  if (it == embed.end() || it->is_number_integer()) return;
  if (it->is_string()) {
    const auto& text = it->get_ref<const std::string&>();
    const bool hex = text.size() == 7 && text[0] == '#' && std::all_of(text.begin() + 1, text.end(), [](char c) {
                       return std::isxdigit(static_cast<unsigned char>(c));
                     });
    const bool decimal = !text.empty() && text.size() <= 8 &&
                         std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (hex || decimal) {
      // Checked above to be 6 hex or at most 8 decimal digits: no overflow, nothing to throw.
      int value = 0;
      for (const char c : std::string_view(text).substr(hex ? 1 : 0)) {
        const int digit = c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
        value = value * (hex ? 16 : 10) + digit;
      }
      *it = value;
      return;
    }
  }
  embed.erase(it);
}

bool has_text(const ordered_json& object, std::string_view key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() && !render::trim(it->get_ref<const std::string&>()).empty();
}

}  // namespace

DISPATCH_COLD result<message_template> compile_template_in(std::string_view document, std::size_t begin,
                                                           std::size_t end) {
  const source_text source{document, line_index(document)};
  const auto text = document.substr(begin, end - begin);
  auto parsed = parse_ordered_json(text);
  if (!parsed.ok()) {
    const auto& fault = parsed.error();
    return placed(fault.code == codes::json_too_deep ? codes::template_too_deep : codes::template_syntax,
                  "template is not JSON: " + fault.message, source, begin + offset_of(text, fault.line, fault.column));
  }
  if (!parsed.value().is_object()) {
    return placed(codes::template_invalid, "a template is a JSON object shaped like a Discord message", source, begin);
  }
  auto span = map_json(text, max_template_depth + 1);
  const auto shift = [begin](json_span& node, const auto& self) -> void {
    node.begin += begin;
    node.end += begin;
    for (auto& key : node.keys) {
      key.first += begin;
      key.second += begin;
    }
    for (auto& item : node.items) self(item, self);
  };
  shift(span, shift);
  auto root = compile_part(parsed.value(), span, "", "", source, 0);
  if (!root.ok()) return root.error();
  return message_template{std::move(root).value()};
}

namespace {

// Refuses a template longer than max_template_bytes: as written for text, written compactly for an object.
std::optional<error> too_large(const json& value) {
  const auto size = value.is_string() ? value.get_ref<const std::string&>().size() : dump_json(value).size();
  if (size <= max_template_bytes) return std::nullopt;
  return make_error(codes::template_too_large, "the template is " + std::to_string(size) + " bytes; the limit is " +
                                                   std::to_string(max_template_bytes));
}

}  // namespace

result<message_template> compile_template(std::string_view source) {
  if (source.size() > max_template_bytes) return *too_large(json(std::string(source)));
  return compile_template_in(source, 0, source.size());
}

result<message_template> compile_template_value(const json& value) {
  if (value.is_string()) return compile_template(value.get_ref<const std::string&>());
  if (!value.is_object())
    return make_error(codes::template_invalid, "a template is a template object or its JSON text");
  if (auto fault = too_large(value)) return *fault;
  return compile_template(dump_json_pretty(ordered_json(value)));
}

json template_context(std::string_view key, const json& payload, const ordered_json& auto_message) {
  json context = payload.is_object() ? payload : json::object();
  const payload_view root(payload);
  const auto* info = find_event(key);
  json derived = {{"event", key},
                  {"category", info != nullptr ? info->category : std::string_view("Other")},
                  {"label", info != nullptr ? info->label : key},
                  {"action", key.substr(key.find(':') + 1)},
                  {"repository", render::repository_name(root["repository"])},
                  {"actor", render::person_name(root["actor"])}};
  if (auto_message.contains("embeds") && !auto_message["embeds"].empty() &&
      auto_message["embeds"][0].contains("color")) {
    derived["color"] = auto_message["embeds"][0]["color"];
  }
  json commits = json::array();
  const auto changes = root["push"]["changes"];
  for (std::size_t c = 0; c < changes.size(); ++c) {
    const auto change = changes[c];
    const auto ref = change["new"].present() ? change["new"] : change["old"];
    if (c == 0) derived["branch"] = ref["name"].str();
    const auto list = change["commits"];
    for (std::size_t i = 0; i < list.size(); ++i) {
      const auto commit = list[i];
      const auto hash = commit["hash"].str();
      const auto author = render::commit_author(commit);
      commits.push_back({{"hash", hash},
                         {"short_hash", render::short_hash(hash)},
                         {"subject", render::first_line(commit["message"].str())},
                         {"message", commit["message"].str()},
                         {"author", author},
                         {"url", render::html_link(commit)},
                         {"branch", ref["name"].str()}});
    }
  }
  derived["commit_count"] = commits.size();
  derived["commits"] = std::move(commits);
  if (const auto pr = root["pullrequest"]; pr.is_object()) {
    derived["source_branch"] = pr["source"]["branch"]["name"].str();
    derived["destination_branch"] = pr["destination"]["branch"]["name"].str();
    if (!derived.contains("branch")) derived["branch"] = pr["source"]["branch"]["name"].str();
  }
  if (const auto status = root["commit_status"]; status.is_object() && !derived.contains("branch")) {
    derived["branch"] = status["refname"].str();
  }
  derived["auto"] = json(auto_message);
  context["dispatch"] = std::move(derived);
  return context;
}

namespace {

void visit_part(const part& item, const json& context,
                const std::function<void(const std::string&, const std::string&, bool, bool)>& seen) {
  if (item.type == part::kind::text) mustache::visit_names(item.tree, context, seen);
  for (const auto& child : item.items) visit_part(child, context, seen);
}

}  // namespace

void visit_template_names(
    const message_template& compiled, const json& context,
    const std::function<void(const std::string& name, const std::string& where, bool found, bool section)>& seen) {
  visit_part(compiled.root, context, seen);
}

result<ordered_json> render_template(const message_template& compiled, const json& context) {
  mustache::budget spend;
  std::optional<error> fault;
  auto message = render_part(compiled.root, context, spend, fault);
  if (fault) return *fault;
  bool has_something = has_text(message, "content");
  if (auto embeds = message.find("embeds"); embeds != message.end() && embeds->is_array()) {
    for (auto& embed : *embeds) {
      if (!embed.is_object()) continue;
      normalise_colour(embed);
      if (auto fields = embed.find("fields"); fields != embed.end() && fields->is_array()) {
        for (auto& field : *fields) {
          if (field.is_object() && field.contains("inline") && field["inline"].is_string()) {
            field["inline"] = field["inline"] == "true";
          }
        }
      }
      has_something = has_something || has_text(embed, "title") || has_text(embed, "description") ||
                      (embed.contains("fields") && embed["fields"].is_array() && !embed["fields"].empty());
    }
  }
  if (!has_something) {
    return make_error(codes::template_empty,
                      "the template rendered an empty message (no content, and no embed with a title, description or "
                      "fields)");
  }
  return message;
}

const message_template* template_set::find(std::string_view key) const {
  if (const auto exact = by_selector.find(key); exact != by_selector.end()) return &exact->second;
  const auto family = std::string(key.substr(0, key.find(':'))) + ":*";
  if (const auto wide = by_selector.find(family); wide != by_selector.end()) return &wide->second;
  if (const auto fallback = by_selector.find("default"); fallback != by_selector.end()) return &fallback->second;
  return nullptr;
}

result<template_set> parse_template_set(const json& templates, const template_origin* origin) {
  if (!templates.is_object()) {
    return make_error(codes::template_invalid,
                      "templates must be an object {\"default\"?: T, \"<event key>\" or \"<family>:*\": T}");
  }
  template_set set;
  std::size_t total = 0;
  for (const auto& item : templates.items()) {
    // Named copies: lambdas below may not capture structured bindings in every compiler we build with.
    const std::string selector = item.key();
    const auto& value = item.value();
    const bool family = selector.size() > 2 && selector.compare(selector.size() - 2, 2, ":*") == 0;
    const bool known =
        selector == "default" || find_event(selector) != nullptr ||
        (family && std::any_of(event_catalogue().begin(), event_catalogue().end(), [&](const event_info& e) {
           return e.key.substr(0, e.key.find(':') + 1) == std::string_view(selector).substr(0, selector.size() - 1);
         }));
    if (!known) {
      return make_error(codes::template_invalid,
                        "templates names \"" + selector.substr(0, 64) +
                            "\", which is not default, an event key or a family such as pullrequest:*");
    }
    if (!value.is_string() && !value.is_object()) {
      return make_error(codes::template_invalid,
                        "templates[\"" + selector + "\"] must be a template object or its JSON text");
    }
    total += value.is_string() ? value.get_ref<const std::string&>().size() : dump_json(value).size();
    if (total > max_templates_bytes) {
      return make_error(codes::template_too_large, "templates[\"" + selector +
                                                       "\"]: an endpoint's templates together may be " +
                                                       std::to_string(max_templates_bytes) + " bytes");
    }
    // Written as an object inside a request: compiled from the request's own text, so faults point there.
    const auto span = origin != nullptr && value.is_object() ? origin->locate(selector) : json_span{};
    auto compiled = span.end > span.begin
                        ? (too_large(value) ? result<message_template>(*too_large(value))
                                            : compile_template_in(origin->document, span.begin, span.end))
                        : compile_template_value(value);
    if (!compiled.ok()) {
      auto failure = compiled.error();
      failure.message = "templates[\"" + selector + "\"]: " + failure.message;
      return failure;
    }
    set.by_selector.emplace(selector, std::move(compiled).value());
  }
  return set;
}

}  // namespace dispatch
