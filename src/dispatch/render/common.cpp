#include "dispatch/render/common.hpp"

#include "dispatch/discord_limits.hpp"

namespace dispatch::render {

std::string_view person_name(payload_view person) {
  return first_string({person["display_name"], person["nickname"], person["username"]});
}

std::string commit_author(payload_view commit) {
  const auto author = commit["author"];
  if (const auto user = person_name(author["user"]); !user.empty()) return std::string(user);
  if (const auto own = person_name(author); !own.empty()) return std::string(own);
  const auto raw = author["raw"].str();
  return std::string(trim(raw.substr(0, raw.find('<'))));
}

ordered_json author_line(payload_view actor) {
  const auto name = person_name(actor);
  if (name.empty()) return nullptr;
  ordered_json author = {{"name", name}};
  if (const auto url = html_link(actor); !url.empty()) author["url"] = url;
  if (const auto icon = actor["links"]["avatar"]["href"].str(); !icon.empty()) author["icon_url"] = icon;
  return author;
}

std::string_view repository_name(payload_view repository) {
  return first_string({repository["full_name"], repository["name"]});
}

std::string title_prefix(std::string_view repository, std::string_view ref) {
  if (repository.empty()) return ref.empty() ? std::string() : "[" + std::string(ref) + "] ";
  return "[" + std::string(repository) + (ref.empty() ? "" : ":" + std::string(ref)) + "] ";
}

std::string_view html_link(payload_view resource) { return resource["links"]["html"]["href"].str(); }

std::string_view trim(std::string_view text) {
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (!text.empty() && blank(text.front())) text.remove_prefix(1);
  while (!text.empty() && blank(text.back())) text.remove_suffix(1);
  return text;
}

std::string first_line(std::string_view text) {
  text = trim(text);
  return std::string(trim(text.substr(0, text.find('\n'))));
}

std::string short_hash(std::string_view hash, std::size_t length) { return std::string(hash.substr(0, length)); }

std::string link(std::string_view text, std::string_view url) {
  if (url.empty()) return escape_markdown(text);
  return "[" + escape_markdown(text) + "](" + std::string(url) + ")";
}

std::string code_span(std::string_view text) {
  std::string out = "`";
  for (const char c : text) {
    if (c == '`') {
      out += "\xCB\x8B";  // U+02CB MODIFIER LETTER GRAVE ACCENT
    } else {
      out += c;
    }
  }
  return out += '`';
}

std::string sentence_case(std::string_view text) {
  std::string out(text);
  for (std::size_t i = 0; i < out.size(); ++i) {
    const char c = out[i];
    if (i == 0 && c >= 'a' && c <= 'z') out[i] = static_cast<char>(c - 'a' + 'A');
    if (i > 0 && c >= 'A' && c <= 'Z') out[i] = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string code_link(std::string_view hash, std::string_view url) {
  const std::string code = "`" + std::string(hash) + "`";
  return url.empty() ? code : "[" + code + "](" + std::string(url) + ")";
}

bool line_budget::add(std::string_view line) {
  const auto length = count_chars(line) + (text_.empty() ? 0 : 1);
  if (text_.empty() && left_out_ == 0 && length + reserve_ > budget_ && budget_ > reserve_) {
    // Not even the first line fits: a cut line says more than none.
    text_ = truncate_chars(line, budget_ - reserve_);
    used_ = count_chars(text_);
    return true;
  }
  if (left_out_ > 0 || used_ + length + reserve_ > budget_) {
    ++left_out_;
    return false;
  }
  if (!text_.empty()) text_ += '\n';
  text_ += line;
  used_ += length;
  return true;
}

void line_budget::add_hidden(std::size_t count, bool known) {
  left_out_ += count;
  unknown_more_ = unknown_more_ || !known;
}

std::string line_budget::text(std::string_view singular, std::string_view plural, std::string_view more_url) const {
  if (left_out_ == 0 && !unknown_more_) return text_;
  std::string more =
      unknown_more_ ? "and more " + std::string(plural)
                    : "and " + std::to_string(left_out_) + " more " + std::string(left_out_ == 1 ? singular : plural);
  if (!more_url.empty()) more = "[" + more + "](" + std::string(more_url) + ")";
  return text_.empty() ? more : text_ + "\n" + more;
}

ordered_json field(std::string_view name, std::string value, bool inline_field) {
  if (value.empty()) return nullptr;
  return {{"name", name}, {"value", std::move(value)}, {"inline", inline_field}};
}

void append(ordered_json& list, ordered_json item) {
  if (!item.is_null()) list.push_back(std::move(item));
}

ordered_json message(ordered_json embeds) { return {{"username", "Bitbucket"}, {"embeds", std::move(embeds)}}; }

void note_excerpt(ordered_json& message, std::string path, std::string_view text, std::size_t limit) {
  const auto length = count_chars(trim(text));
  if (length <= limit) return;
  message[std::string(shortened_member)].push_back({{"path", std::move(path)}, {"limit", limit}, {"length", length}});
}

std::string excerpt(std::string_view text, std::size_t limit, std::string_view more_url) {
  constexpr std::string_view fence = "```";
  constexpr std::size_t room = 5;  // for "\n```", closing a code block the cut left open
  text = trim(text);
  if (count_chars(text) <= limit) return std::string(text);
  const auto cut = truncate_chars(text, limit > room ? limit - room : limit);  // ends in "…"
  auto body = std::string(std::string_view(cut).substr(0, cut.size() - 3));
  // Prefer to end at a paragraph, then at a line, if one is in the last third.
  bool at_break = false;
  for (const auto* mark : {"\n\n", "\n"}) {
    const auto at = body.rfind(mark);
    if (at != std::string::npos && at > body.size() * 2 / 3) {
      body = std::string(trim(std::string_view(body).substr(0, at)));
      at_break = true;
      break;
    }
  }
  std::size_t fences = 0;
  for (auto at = body.find(fence); at != std::string::npos; at = body.find(fence, at + fence.size())) ++fences;
  body += at_break ? "\n\xE2\x80\xA6" : "\xE2\x80\xA6";
  if (fences % 2 == 1) body += "\n```";
  return more_url.empty() ? body : body + "\n[Read the rest](" + std::string(more_url) + ")";
}

}  // namespace dispatch::render
