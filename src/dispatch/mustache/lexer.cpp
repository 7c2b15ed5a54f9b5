#include <algorithm>

#include "dispatch/mustache/ast.hpp"

namespace dispatch::mustache {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t'; }

std::string_view trim(std::string_view text) {
  while (!text.empty() && (is_blank(text.front()) || text.front() == '\r' || text.front() == '\n'))
    text.remove_prefix(1);
  while (!text.empty() && (is_blank(text.back()) || text.back() == '\r' || text.back() == '\n')) text.remove_suffix(1);
  return text;
}

bool can_stand_alone(tag_kind kind) { return kind != tag_kind::variable && kind != tag_kind::unescaped; }

// Tracks line and column as the lexer moves through the source.
struct cursor {
  std::string_view source;
  std::size_t at = 0;
  int line = 1;
  int column = 1;

  void advance_to(std::size_t to) {
    for (; at < to; ++at) {
      if (source[at] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
  }
};

// Adds literal text, split so that every text token ends at a newline at the latest.
void add_text(std::vector<token>& tokens, std::string_view text, int line, int column) {
  while (!text.empty()) {
    const auto newline = text.find('\n');
    const auto length = newline == std::string_view::npos ? text.size() : newline + 1;
    tokens.push_back(
        token{true, tag_kind::variable, std::string(text.substr(0, length)), false, false, {}, line, column});
    text.remove_prefix(length);
    ++line;
    column = 1;
  }
}

// Applies the standalone rule: a line holding only tags that may stand alone (not interpolations) and blanks
// loses its blanks and its newline; the first tag keeps the leading blanks as its indentation.
void mark_standalone(std::vector<token>& tokens) {
  std::size_t start = 0;
  while (start < tokens.size()) {
    std::size_t end = start;  // one past the line's last token
    while (end < tokens.size() &&
           !(tokens[end].is_text && !tokens[end].text.empty() && tokens[end].text.back() == '\n'))
      ++end;
    const bool has_newline = end < tokens.size();
    if (has_newline) ++end;
    std::size_t tags = 0;
    std::size_t first_tag = 0;
    bool blank = true;
    for (std::size_t i = start; i < end; ++i) {
      if (tokens[i].is_text) {
        blank = blank && std::all_of(tokens[i].text.begin(), tokens[i].text.end(),
                                     [](char c) { return is_blank(c) || c == '\n' || c == '\r'; });
      } else {
        if (tags++ == 0) first_tag = i;
        blank = blank && can_stand_alone(tokens[i].kind);
      }
    }
    // One or more tags that may stand alone, and nothing else but blanks: the line goes, and the first tag
    // keeps the indentation (a partial or parent indents what it includes by it).
    if (tags > 0 && blank) {
      auto& tag = tokens[first_tag];
      tag.standalone = true;
      for (std::size_t i = start; i < first_tag; ++i) tag.indent += tokens[i].text;
      for (std::size_t i = start; i < end; ++i) {
        if (tokens[i].is_text) tokens[i].text.clear();
      }
    }
    start = end;
  }
  tokens.erase(std::remove_if(tokens.begin(), tokens.end(), [](const token& t) { return t.is_text && t.text.empty(); }),
               tokens.end());
}

}  // namespace

result<std::vector<token>> lex(std::string_view source) {
  std::vector<token> tokens;
  std::string open = "{{";
  std::string close = "}}";
  cursor at{source};
  const auto fail = [](std::string message, int line, int column) {
    return make_error(codes::template_syntax, std::move(message), line, column);
  };

  while (at.at < source.size()) {
    const auto start = source.find(open, at.at);
    if (start == std::string_view::npos) {
      add_text(tokens, source.substr(at.at), at.line, at.column);
      break;
    }
    add_text(tokens, source.substr(at.at, start - at.at), at.line, at.column);
    at.advance_to(start);
    const int line = at.line;
    const int column = at.column;

    std::size_t inner = start + open.size();
    tag_kind kind = tag_kind::variable;
    std::string closing = close;
    if (inner < source.size()) {
      switch (source[inner]) {
        case '{':
          kind = tag_kind::unescaped;
          closing = "}" + close;
          ++inner;
          break;
        case '&':
          kind = tag_kind::unescaped;
          ++inner;
          break;
        case '#':
          kind = tag_kind::section;
          ++inner;
          break;
        case '^':
          kind = tag_kind::inverted;
          ++inner;
          break;
        case '/':
          kind = tag_kind::close;
          ++inner;
          break;
        case '!':
          kind = tag_kind::comment;
          ++inner;
          break;
        case '>':
          kind = tag_kind::partial;
          ++inner;
          break;
        case '=':
          kind = tag_kind::delimiters;
          closing = "=" + close;
          ++inner;
          break;
        case '$':
          kind = tag_kind::block;
          ++inner;
          break;
        case '<':
          kind = tag_kind::parent;
          ++inner;
          break;
        default:
          break;
      }
    }
    const auto end = source.find(closing, inner);
    if (end == std::string_view::npos) {
      return fail("tag opened with \"" + open + "\" is never closed with \"" + closing + "\"", line, column);
    }
    auto name = trim(source.substr(inner, end - inner));
    at.advance_to(end + closing.size());

    token tag{false, kind, {}, false, false, {}, line, column};
    if (kind == tag_kind::delimiters) {
      const auto space = name.find_first_of(" \t");
      const auto second = space == std::string_view::npos ? std::string_view{} : trim(name.substr(space));
      const auto first = name.substr(0, space == std::string_view::npos ? 0 : space);
      if (first.empty() || second.empty() || second.find_first_of(" \t=") != std::string_view::npos ||
          first.find('=') != std::string_view::npos) {
        return fail("delimiter change needs two delimiters without spaces or '=', e.g. {{=<% %>=}}", line, column);
      }
      open = std::string(first);
      close = std::string(second);
    } else if (kind != tag_kind::comment) {
      if ((kind == tag_kind::partial || kind == tag_kind::parent) && !name.empty() && name.front() == '*') {
        tag.dynamic = true;
        name = trim(name.substr(1));
      }
      if (name.empty()) return fail("tag has no name", line, column);
      tag.text = std::string(name);
    }
    tokens.push_back(std::move(tag));
  }
  mark_standalone(tokens);
  return tokens;
}

}  // namespace dispatch::mustache
