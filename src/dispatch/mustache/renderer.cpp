#include <map>
#include <optional>

#include "dispatch/markdown.hpp"
#include "dispatch/mustache/ast.hpp"

namespace dispatch::mustache {
namespace {

constexpr int max_partial_depth = 64;

std::string escape_html(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

bool truthy(const json* value) {
  if (value == nullptr || value->is_null()) return false;
  if (value->is_boolean()) return value->get<bool>();
  if (value->is_array()) return !value->empty();
  return true;
}

// Prefixes every line of `text` with `indent` (not after a final newline).
std::string indent_lines(std::string_view text, std::string_view indent) {
  std::string out;
  bool line_start = true;
  for (const char c : text) {
    if (line_start) out += indent;
    out += c;
    line_start = c == '\n';
  }
  return out;
}

// Resolves a name: "." is the top of the stack; otherwise the first part is looked up from the top down, and
// the rest within what it found.
const json* lookup_in(const std::vector<const json*>& stack, std::string_view name) {
  if (name == ".") return stack.back();
  std::string_view rest = name;
  const auto next_part = [&rest]() {
    const auto dot = rest.find('.');
    const auto part = rest.substr(0, dot);
    rest = dot == std::string_view::npos ? std::string_view{} : rest.substr(dot + 1);
    return part;
  };
  const auto first = next_part();
  const json* found = nullptr;
  for (auto it = stack.rbegin(); it != stack.rend() && found == nullptr; ++it) {
    if ((*it)->is_object()) {
      const auto member = (*it)->find(first);
      if (member != (*it)->end()) found = &*member;
    }
  }
  while (found != nullptr && !rest.empty()) {
    const auto part = next_part();
    if (!found->is_object()) return nullptr;
    const auto member = found->find(part);
    found = member == found->end() ? nullptr : &*member;
  }
  return found;
}

class renderer {
 public:
  renderer(const partial_map& partials, escaping mode, budget& spend)
      : partials_(partials), mode_(mode), spend_(spend) {}

  // Renders `tree`; returns false when the budget ran out or nesting went too deep (`fault` says which).
  bool run(const std::vector<node>& tree, const json& data) {
    stack_.push_back(&data);
    render_nodes(tree);
    return !fault_;
  }

  std::string take() { return std::move(out_); }
  error fault() const { return *fault_; }

 private:
  const json* lookup(std::string_view name) const { return lookup_in(stack_, name); }

  // Takes one step; false (and the fault set) once the budget is spent.
  bool step() {
    if (fault_) return false;
    if (spend_.steps == 0) {
      fault_ = make_error(codes::template_too_large,
                          "rendering stopped: the template took more than its budget of steps (nested sections repeat "
                          "their content for every item of every list)");
      return false;
    }
    --spend_.steps;
    return true;
  }

  void out_of_output() {
    if (!fault_) {
      fault_ = make_error(codes::template_too_large, "rendering stopped: the template wrote more than " +
                                                         std::to_string(budget{}.output) + " bytes");
    }
  }

  void write(std::string_view text) {
    if (fault_) return;
    if (text.size() > spend_.output) return out_of_output();
    spend_.output -= text.size();
    out_ += text;
  }

  std::string text_of(const json* value) {
    if (value == nullptr || value->is_null()) return {};
    if (value->is_string()) return value->get<std::string>();
    // Written out whole: an object costs a step per node, as a copy would.
    const auto nodes = count_nodes(*value, spend_.steps);
    if (nodes > spend_.steps) {
      spend_.steps = 0;
      step();
      return {};
    }
    spend_.steps -= nodes;
    return dump_json(*value);
  }

  void interpolate(const node& item) {
    const auto text = text_of(lookup(item.text));
    if (item.kind == tag_kind::unescaped || mode_ == escaping::none) {
      write(text);
    } else if (mode_ == escaping::html) {
      write(escape_html(text));
    } else {
      write(escape_markdown(text));
    }
  }

  // Returns the parsed partial `name` indented by `indent`, or nullptr if there is no such partial or it
  // does not parse.
  const std::vector<node>* partial(const std::string& name, const std::string& indent) {
    const auto key = indent + '\0' + name;
    if (const auto cached = parsed_.find(key); cached != parsed_.end()) return &cached->second;
    const auto source = partials_.find(name);
    if (source == partials_.end()) return nullptr;
    // An indented copy of the partial is made for each new indentation: it is paid for as output.
    if (source->second.size() > spend_.output) {
      out_of_output();
      return nullptr;
    }
    spend_.output -= source->second.size();
    auto tree = parse(indent.empty() ? source->second : indent_lines(source->second, indent));
    if (!tree.ok()) return nullptr;
    return &parsed_.emplace(key, std::move(tree).value()).first->second;
  }

  std::string name_of(const node& item) const {
    if (!item.dynamic) return item.text;
    const auto* value = lookup(item.text);
    return value != nullptr && value->is_string() ? value->get<std::string>() : std::string();
  }

  // Enters one level of nesting (a section, a partial, a block); false (and the fault set) past the limit.
  bool enter() {
    if (++nesting_ <= 2 * max_nesting) return true;
    if (!fault_) {
      fault_ = make_error(codes::template_too_deep, "rendering stopped: sections and partials nest deeper than " +
                                                        std::to_string(2 * max_nesting) + " levels");
    }
    return false;
  }

  void render_children(const std::vector<node>& children) {
    if (enter()) render_nodes(children);
    --nesting_;
  }

  void render_partial(const node& item, const std::map<std::string, const node*, std::less<>>* overrides) {
    if (depth_ >= max_partial_depth) return;
    const auto* tree = partial(name_of(item), item.indent);
    if (tree == nullptr) return;
    ++depth_;
    if (overrides != nullptr) overrides_.push_back(*overrides);
    render_children(*tree);
    if (overrides != nullptr) overrides_.pop_back();
    --depth_;
  }

  void render_nodes(const std::vector<node>& tree) {
    for (const auto& item : tree) {
      if (!step()) return;
      if (item.is_text) {
        write(item.text);
        continue;
      }
      switch (item.kind) {
        case tag_kind::variable:
        case tag_kind::unescaped:
          interpolate(item);
          break;
        case tag_kind::section: {
          const auto* value = lookup(item.text);
          if (!truthy(value)) break;
          if (value->is_array()) {
            for (const auto& element : *value) {
              if (!step()) return;
              stack_.push_back(&element);
              render_children(item.children);
              stack_.pop_back();
            }
          } else {
            stack_.push_back(value);
            render_children(item.children);
            stack_.pop_back();
          }
          break;
        }
        case tag_kind::inverted:
          if (!truthy(lookup(item.text))) render_children(item.children);
          break;
        case tag_kind::partial:
          render_partial(item, nullptr);
          break;
        case tag_kind::parent: {
          // The blocks given inside {{<parent}} replace the parent's; text there is ignored.
          std::map<std::string, const node*, std::less<>> given;
          for (const auto& child : item.children) {
            if (!child.is_text && child.kind == tag_kind::block) given.emplace(child.text, &child);
          }
          render_partial(item, &given);
          break;
        }
        case tag_kind::block: {
          // The outermost template's block wins, as in class inheritance.
          const node* chosen = &item;
          for (const auto& level : overrides_) {
            if (const auto found = level.find(item.text); found != level.end()) {
              chosen = found->second;
              break;
            }
          }
          render_children(chosen->children);
          break;
        }
        default:
          break;
      }
    }
  }

  const partial_map& partials_;
  escaping mode_;
  budget& spend_;
  std::vector<const json*> stack_;
  std::vector<std::map<std::string, const node*, std::less<>>> overrides_;
  std::map<std::string, std::vector<node>> parsed_;
  std::string out_;
  std::optional<error> fault_;
  int depth_ = 0;
  int nesting_ = 0;
};

}  // namespace

std::size_t count_nodes(const json& value, std::size_t limit) {
  std::size_t count = 1;
  if (value.is_structured()) {
    for (const auto& element : value) {
      if (count > limit) break;
      count += count_nodes(element, limit - count);
    }
  }
  return count;
}

const json* find_value(const json& data, std::string_view name) { return lookup_in({&data}, name); }

namespace {

// Whether a value says nothing: absent, null, "", an empty list, or a count of 0 ("commit_count" of a pull
// request's event): what a template written for another kind of event shows.
bool says_nothing(const json* value, std::string_view name) {
  if (value == nullptr || value->is_null()) return true;
  if (value->is_string()) return value->get_ref<const std::string&>().empty();
  if (value->is_array()) return value->empty();
  const bool count = name.size() >= 5 && name.substr(name.size() - 5) == "count";
  return count && value->is_number() && value->get<double>() == 0;
}

void visit(const std::vector<node>& tree, std::vector<const json*>& stack, const std::string& where,
           const std::function<void(const std::string&, const std::string&, bool, bool)>& seen) {
  for (const auto& item : tree) {
    if (item.is_text || item.dynamic) continue;
    switch (item.kind) {
      case tag_kind::variable:
      case tag_kind::unescaped:
        seen(item.text, where, !says_nothing(lookup_in(stack, item.text), item.text), false);
        break;
      case tag_kind::section:
      case tag_kind::inverted: {
        const auto* value = lookup_in(stack, item.text);
        // A section is written for the case where its name may say nothing: it is reported as found when
        // the name exists at all. An inverted one is written for the case where it says nothing.
        if (item.kind == tag_kind::section) seen(item.text, where, value != nullptr, true);
        if (value == nullptr) break;
        const auto inner = where.empty() ? item.text : where + " > " + item.text;
        if (item.kind == tag_kind::inverted) {
          visit(item.children, stack, inner, seen);
          break;
        }
        if (value->is_array() && value->empty()) break;
        stack.push_back(value->is_array() ? &value->front() : value);
        visit(item.children, stack, inner, seen);
        stack.pop_back();
        break;
      }
      case tag_kind::block:
      case tag_kind::parent:
        visit(item.children, stack, where, seen);
        break;
      default:
        break;
    }
  }
}

}  // namespace

void visit_names(
    const std::vector<node>& tree, const json& data,
    const std::function<void(const std::string& name, const std::string& where, bool found, bool section)>& seen) {
  std::vector<const json*> stack{&data};
  visit(tree, stack, "", seen);
}

result<std::string> render(const std::vector<node>& tree, const json& data, const partial_map& partials, escaping mode,
                           budget& spend) {
  renderer engine(partials, mode, spend);
  if (!engine.run(tree, data)) return engine.fault();
  return engine.take();
}

result<std::string> render(const std::vector<node>& tree, const json& data, const partial_map& partials,
                           escaping mode) {
  budget spend;
  return render(tree, data, partials, mode, spend);
}

ordered_json render_text(std::string_view source, std::string_view data, const partial_map& partials, escaping mode) {
  const auto failed = [](const error& failure, std::string_view code) {
    ordered_json out = {{"code", code}, {"reason", failure.message}};
    if (failure.line > 0) {
      out["line"] = failure.line;
      out["column"] = failure.column;
    }
    return out;
  };
  const auto tree = parse(source);
  if (!tree.ok()) return failed(tree.error(), codes::template_syntax);
  const auto values = parse_json(data);
  if (!values.ok()) return failed(values.error(), codes::data_not_json);
  const auto text = render(tree.value(), values.value(), partials, mode);
  if (!text.ok()) return failed(text.error(), text.error().code);
  return {{"code", codes::rendered}, {"text", text.value()}};
}

}  // namespace dispatch::mustache
