#pragma once
// Pieces every renderer shares: who, which repository, links, short hashes, colours and the text budget.

#include <string>
#include <string_view>
#include <vector>

#include "dispatch/json_io.hpp"
#include "dispatch/payload_view.hpp"

namespace dispatch::render {

// Colours, from Atlassian's palette so they read as Bitbucket's.
namespace colour {
inline constexpr int green = 0x36B37E;   // created, approved, successful
inline constexpr int purple = 0x6554C0;  // merged
inline constexpr int red = 0xDE350B;     // declined, deleted, failed
inline constexpr int orange = 0xFF8B00;  // changes requested, force-pushed
inline constexpr int blue = 0x0052CC;    // pushed
inline constexpr int yellow = 0xFFAB00;  // in progress
inline constexpr int slate = 0x5E6C84;   // updated, commented, anything else on a pull request
inline constexpr int grey = 0x97A0AF;    // stopped, neutral
}  // namespace colour

// Returns the name to show for a user or workspace: display_name, then nickname, then username.
std::string_view person_name(payload_view person);

// Returns the name of a commit's author: author.user's name, else the author's own (Atlassian's documented
// examples give the user object itself as the author), else the name part of author.raw "Name <email>";
// "" if none has one. A chat channel is no place for addresses.
std::string commit_author(payload_view commit);

// Returns {name, url, icon_url} for the embed's author line, or null when the actor has no name.
ordered_json author_line(payload_view actor);

// Returns the repository's full name ("workspace/slug"), or its name, or "".
std::string_view repository_name(payload_view repository);

// Returns "[repository:ref] " (or "[repository] " without a ref, or "" without a repository) for a title.
std::string title_prefix(std::string_view repository, std::string_view ref = {});

// Returns links.html.href of a resource, or "".
std::string_view html_link(payload_view resource);

// Returns the first line of a commit message or title, without trailing whitespace.
std::string first_line(std::string_view text);

// Returns the first `length` characters of a commit hash (Bitbucket's own short form is 7; PR payloads
// already carry 12).
std::string short_hash(std::string_view hash, std::size_t length = 7);

// Returns "[text](url)" with text escaped, or the escaped text alone when url is empty.
std::string link(std::string_view text, std::string_view url);

// Returns `text` as inline code: Discord shows code as written, so it is not markdown-escaped; a backtick in
// it (git allows one in a branch name) becomes U+02CB so it cannot close the span early.
std::string code_span(std::string_view text);

// Returns a commit hash as code, linked when url is given: "[`abc1234`](url)".
std::string code_link(std::string_view hash, std::string_view url);

// Returns "OPEN" or "on hold" as "Open" or "On hold": Bitbucket's states, as a sentence would write them.
std::string sentence_case(std::string_view text);

// Returns `text` trimmed of surrounding whitespace.
std::string_view trim(std::string_view text);

// Builds a description from whole lines: a line is kept only if it fits the budget together with room
// for the closing "and N more …" line, so lines are dropped whole; only a first line that cannot fit on
// its own is cut (with an ellipsis), since a cut line says more than none.
class line_budget {
 public:
  // `budget` is in characters; `reserve` is kept free for the closing line.
  line_budget(std::size_t budget, std::size_t reserve) : budget_(budget), reserve_(reserve) {}
  // Adds a line if it fits; otherwise counts it as left out and returns false.
  bool add(std::string_view line);
  // Counts items never offered as lines; `known` false when their number is unknown (a truncated push).
  void add_hidden(std::size_t count, bool known = true);
  // True once a line has been left out: every later one would be too, so a caller may count the rest with
  // add_hidden instead of building them.
  bool full() const { return left_out_ > 0; }
  // Returns the lines, then "and N more <plural>" (linked to `more_url` when given) if any were left out.
  std::string text(std::string_view singular, std::string_view plural, std::string_view more_url = {}) const;

 private:
  std::size_t budget_;
  std::size_t reserve_;
  std::size_t used_ = 0;
  std::size_t left_out_ = 0;
  bool unknown_more_ = false;
  std::string text_;
};

// Returns an inline field {name, value, inline:true}, or null when value is empty.
ordered_json field(std::string_view name, std::string value, bool inline_field = true);

// Appends `item` to the array `list` unless it is null.
void append(ordered_json& list, ordered_json item);

// Returns a Discord message with these embeds, sent as "Bitbucket".
ordered_json message(ordered_json embeds);

// Returns markdown `text` cut to `limit` characters at a paragraph or line break when one is near, else
// anywhere (on a code point), with an ellipsis when cut, and a code block left open by the cut closed. With
// `more_url`, a cut text ends in a link to read the rest there.
std::string excerpt(std::string_view text, std::size_t limit, std::string_view more_url = {});

// The member of a message where a renderer notes what it shortened on purpose (an excerpt of a long
// description); finalize_message reports each note with the limits' cuts (rule "excerpt") and removes it.
inline constexpr std::string_view shortened_member = "dispatch_shortened";

// Notes in `message` that the text at `path` was `length` characters and shows `limit`, when it was cut.
void note_excerpt(ordered_json& message, std::string path, std::string_view text, std::size_t limit);

}  // namespace dispatch::render
