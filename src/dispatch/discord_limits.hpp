#pragma once
// Discord's Execute Webhook limits and safety rules, enforced in one place after every renderer (the finalizer).

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "dispatch/json_io.hpp"
#include "dispatch/markdown.hpp"
#include "dispatch/text.hpp"

namespace dispatch {

// Discord's documented limits, in characters (Unicode code points).
struct discord_limits {
  static constexpr std::size_t content = 2000;
  static constexpr std::size_t embeds = 10;
  static constexpr std::size_t title = 256;
  static constexpr std::size_t description = 4096;
  static constexpr std::size_t fields = 25;
  static constexpr std::size_t field_name = 256;
  static constexpr std::size_t field_value = 1024;
  static constexpr std::size_t footer_text = 2048;
  static constexpr std::size_t author_name = 256;
  static constexpr std::size_t username = 80;
  static constexpr std::size_t embeds_total = 6000;
};

// One change finalize_message made to keep a limit: `path` names the place ("embeds[0].fields[3].value",
// "embeds[10]"), `rule` the limit (a discord_limits name, or "url" for a link Discord would refuse), `limit`
// its value, and `length` what was there before: characters, or a count for embeds and fields; for
// embeds_total, the characters of all embeds together.
struct cut {
  std::string path;
  std::string_view rule;
  std::size_t limit = 0;
  std::size_t length = 0;
  bool removed = false;  // dropped whole rather than shortened
};

// Returns the message with every string cleaned, every limit applied (each string cut, surplus embeds and
// fields dropped, the 6000-character total kept by shortening descriptions from the last embed back), every
// link Discord would refuse removed (not http(s), whitespace or controls, over 2048 characters), empty
// texts Discord would refuse dropped or filled (an empty field name or value becomes U+200B), and
// `allowed_mentions` set to mention nobody.
// When `cuts` is given, each change that shortened or removed something is appended to it, in message order.
ordered_json finalize_message(ordered_json message, std::vector<cut>* cuts = nullptr);

// Returns a sentence for people saying what was cut and why, e.g. "embeds[0].title was 295 characters; Discord
// takes 256, so it ends in …".
std::string describe_cut(const cut& item);

// Returns the cuts as JSON: [{"path","rule","limit","length","reason"}], `reason` as describe_cut words it.
ordered_json cuts_json(const std::vector<cut>& cuts);

// Returns how much of each of Discord's limits a (finalized) message uses, for the preview to draw:
// [{"path","rule","used","allowed","unit"}], the 6,000-character total first, then the content, the username,
// the number of embeds, and per embed its author, title, description, fields (their number, the longest
// name and value) and footer. `unit` is "characters", "embeds" or "fields".
ordered_json budget_json(const ordered_json& message);

}  // namespace dispatch
