#include "dispatch/mustache/ast.hpp"

#include "dispatch/cold.hpp"

namespace dispatch::mustache {
namespace {

bool opens(tag_kind kind) {
  return kind == tag_kind::section || kind == tag_kind::inverted || kind == tag_kind::block || kind == tag_kind::parent;
}

std::string where(const node& open) {
  return " (opened at line " + std::to_string(open.line) + ", column " + std::to_string(open.column) + ")";
}

std::string sigil(tag_kind kind) {
  switch (kind) {
    case tag_kind::section:
      return "#";
    case tag_kind::inverted:
      return "^";
    case tag_kind::block:
      return "$";
    case tag_kind::parent:
      return "<";
    default:
      return "";
  }
}

}  // namespace

DISPATCH_COLD result<std::vector<node>> parse(std::string_view source) {
  auto tokens = lex(source);
  if (!tokens.ok()) return tokens.error();

  std::vector<node> root;
  std::vector<node> open;  // sections not yet closed, innermost last
  const auto add = [&](node item) { (open.empty() ? root : open.back().children).push_back(std::move(item)); };

  for (auto& tok : tokens.value()) {
    if (tok.is_text) {
      add(node{true, tag_kind::variable, std::move(tok.text), false, {}, {}, tok.line, tok.column});
      continue;
    }
    switch (tok.kind) {
      case tag_kind::comment:
      case tag_kind::delimiters:
        break;
      case tag_kind::close: {
        if (open.empty()) {
          return make_error(codes::template_syntax, "{{/" + tok.text + "}} closes a section that was never opened",
                            tok.line, tok.column);
        }
        if (open.back().text != tok.text) {
          return make_error(codes::template_syntax,
                            "{{/" + tok.text + "}} does not match {{" + sigil(open.back().kind) + open.back().text +
                                "}}" + where(open.back()),
                            tok.line, tok.column);
        }
        auto done = std::move(open.back());
        open.pop_back();
        add(std::move(done));
        break;
      }
      default: {
        node item{false, tok.kind, std::move(tok.text), tok.dynamic, std::move(tok.indent), {}, tok.line, tok.column};
        if (opens(tok.kind)) {
          if (open.size() >= static_cast<std::size_t>(max_nesting)) {
            return make_error(codes::template_too_deep,
                              "{{" + sigil(tok.kind) + item.text + "}} nests sections deeper than " +
                                  std::to_string(max_nesting) + " levels",
                              tok.line, tok.column);
          }
          open.push_back(std::move(item));
        } else {
          add(std::move(item));
        }
      }
    }
  }
  if (!open.empty()) {
    const auto& unclosed = open.back();
    return make_error(
        codes::template_syntax,
        "{{" + sigil(unclosed.kind) + unclosed.text + "}} is never closed with {{/" + unclosed.text + "}}",
        unclosed.line, unclosed.column);
  }
  return root;
}

std::string print(const std::vector<node>& tree) {
  std::string out;
  for (const auto& item : tree) {
    if (item.is_text) {
      out += '"';
      for (const char c : item.text) out += c == '\n' ? std::string("\\n") : std::string(1, c);
      out += '"';
      continue;
    }
    const std::string name = (item.dynamic ? "*" : "") + item.text;
    switch (item.kind) {
      case tag_kind::variable:
        out += "var(" + name + ")";
        break;
      case tag_kind::unescaped:
        out += "raw(" + name + ")";
        break;
      case tag_kind::partial:
        out += "partial(" + name + ")";
        break;
      case tag_kind::section:
        out += "sec(" + name + "){" + print(item.children) + "}";
        break;
      case tag_kind::inverted:
        out += "inv(" + name + "){" + print(item.children) + "}";
        break;
      case tag_kind::block:
        out += "block(" + name + "){" + print(item.children) + "}";
        break;
      case tag_kind::parent:
        out += "parent(" + name + "){" + print(item.children) + "}";
        break;
      default:
        break;
    }
  }
  return out;
}

}  // namespace dispatch::mustache
