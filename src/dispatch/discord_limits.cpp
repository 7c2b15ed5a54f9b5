#include "dispatch/discord_limits.hpp"

#include "dispatch/cold.hpp"
#include "dispatch/text.hpp"

#include <algorithm>
#include <cstdint>
#include <vector>

namespace dispatch {
namespace {

constexpr std::string_view ellipsis = "\xE2\x80\xA6";  // U+2026
constexpr std::size_t max_url = 2048;                  // Discord's longest link

// Notes the changes finalize_message makes, when its caller asked for them; paths are built only then.
struct recorder {
  std::vector<cut>* cuts = nullptr;

  void note(std::string_view at, std::string_view key, std::string_view rule, std::size_t limit, std::size_t length,
            bool removed = false) const {
    if (cuts == nullptr) return;
    std::string path(at);
    if (!key.empty()) path.append(path.empty() ? "" : ".").append(key);
    cuts->push_back({std::move(path), rule, limit, length, removed});
  }
};

// Returns the path "at.member" when cuts are being recorded, and "" otherwise (the delivery path pays nothing).
std::string member_path(const recorder& notes, std::string_view at, std::string_view member) {
  if (notes.cuts == nullptr) return {};
  return std::string(at).append(".").append(member);
}

std::string indexed(std::string_view at, std::string_view member, std::size_t index) {
  std::string path(at);
  if (!path.empty()) path += '.';
  return path.append(member).append("[").append(std::to_string(index)).append("]");
}

// Cuts the (already cleaned) string at `key` of `object`, if there is one; returns its length in characters.
std::size_t limit_member(ordered_json& object, std::string_view key, std::size_t limit, std::string_view rule,
                         const recorder& notes, std::string_view at) {
  if (!object.is_object()) return 0;
  const auto it = object.find(key);
  if (it == object.end() || !it->is_string()) return 0;
  const auto before = count_chars(it->get_ref<const std::string&>());
  if (before <= limit) return before;
  notes.note(at, key, rule, limit, before);
  *it = truncate_chars(it->get_ref<const std::string&>(), limit);
  return count_chars(it->get_ref<const std::string&>());
}

// Cleans every string in a value, however it got there (a renderer, a template).
void clean_all(ordered_json& value) {
  if (value.is_string()) {
    // Most strings are clean already: leave them where they are.
    if (!is_clean_text(value.get_ref<const std::string&>())) value = clean_text(value.get_ref<const std::string&>());
  } else if (value.is_structured()) {
    for (auto& child : value) clean_all(child);
  }
}

// Returns true if Discord would take `text` as a link: http(s), no whitespace or controls, not too long.
bool acceptable_url(std::string_view text) {
  const bool scheme = text.rfind("https://", 0) == 0 || text.rfind("http://", 0) == 0;
  if (!scheme || text.size() > max_url) return false;
  return std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<std::uint8_t>(c);
    return byte <= 0x20 || byte == 0x7F;
  });
}

// Removes the link at `key` of `object` unless it is one Discord accepts: a bad link fails the whole message.
void keep_valid_url(ordered_json& object, std::string_view key, const recorder& notes, std::string_view at) {
  if (!object.is_object()) return;
  const auto it = object.find(key);
  if (it == object.end() || (it->is_string() && acceptable_url(it->get_ref<const std::string&>()))) return;
  notes.note(at, key, "url", max_url, it->is_string() ? count_chars(it->get_ref<const std::string&>()) : 0, true);
  object.erase(it);
}

// Returns true if `object[key]` is missing or an empty string.
bool blank(const ordered_json& object, std::string_view key) {
  const auto it = object.find(key);
  return it == object.end() || (it->is_string() && it->get_ref<const std::string&>().empty());
}

// Discord refuses empty text where it requires some: drop an empty title or description, an author or
// footer without text, and give an empty field name or value a zero-width space.
void fill_or_drop_empty(ordered_json& embed) {
  for (const auto* key : {"title", "description"}) {
    if (embed.contains(key) && blank(embed, key)) embed.erase(key);
  }
  if (embed.contains("author") && blank(embed["author"], "name")) embed.erase("author");
  if (embed.contains("footer") && blank(embed["footer"], "text")) embed.erase("footer");
  if (auto it = embed.find("fields"); it != embed.end() && it->is_array()) {
    for (auto& field : *it) {
      if (!field.is_object()) field = ordered_json::object();
      for (const auto* key : {"name", "value"}) {
        if (blank(field, key)) field[key] = "\u200B";
      }
    }
  }
}

// Applies one embed's limits; `at` is its path ("embeds[2]"). Returns its characters toward the total.
std::size_t limit_embed(ordered_json& embed, const recorder& notes, std::string_view at) {
  std::size_t total = 0;
  if (!embed.is_object()) embed = ordered_json::object();
  fill_or_drop_empty(embed);
  total += limit_member(embed, "title", discord_limits::title, "title", notes, at);
  total += limit_member(embed, "description", discord_limits::description, "description", notes, at);
  keep_valid_url(embed, "url", notes, at);
  for (const auto* part : {"author", "footer", "thumbnail", "image"}) {
    if (auto it = embed.find(part); it != embed.end()) {
      const auto path = member_path(notes, at, part);
      keep_valid_url(*it, "url", notes, path);
      keep_valid_url(*it, "icon_url", notes, path);
    }
  }
  if (auto it = embed.find("footer"); it != embed.end()) {
    total +=
        limit_member(*it, "text", discord_limits::footer_text, "footer_text", notes, member_path(notes, at, "footer"));
  }
  if (auto it = embed.find("author"); it != embed.end()) {
    total +=
        limit_member(*it, "name", discord_limits::author_name, "author_name", notes, member_path(notes, at, "author"));
  }
  if (auto it = embed.find("fields"); it != embed.end() && it->is_array()) {
    if (it->size() > discord_limits::fields) {
      notes.note(indexed(at, "fields", discord_limits::fields), "", "fields", discord_limits::fields, it->size(), true);
      it->erase(it->begin() + discord_limits::fields, it->end());
    }
    for (std::size_t i = 0; i < it->size(); ++i) {
      auto& field = (*it)[i];
      const auto path = notes.cuts != nullptr ? indexed(at, "fields", i) : std::string();
      total += limit_member(field, "name", discord_limits::field_name, "field_name", notes, path);
      total += limit_member(field, "value", discord_limits::field_value, "field_value", notes, path);
    }
  }
  return total;
}

}  // namespace

ordered_json finalize_message(ordered_json message, std::vector<cut>* cuts) {
  const recorder notes{cuts};
  if (!message.is_object()) message = ordered_json::object();
  // What a renderer shortened on purpose is reported first, as it came first.
  if (const auto shortened = message.find("dispatch_shortened"); shortened != message.end()) {
    if (cuts != nullptr && shortened->is_array()) {
      for (const auto& note : *shortened) {
        cuts->push_back(cut{note.value("path", ""), "excerpt", note.value("limit", std::size_t{0}),
                            note.value("length", std::size_t{0}), false});
      }
    }
    message.erase(shortened);
  }
  clean_all(message);
  keep_valid_url(message, "avatar_url", notes, "");
  limit_member(message, "content", discord_limits::content, "content", notes, "");
  limit_member(message, "username", discord_limits::username, "username", notes, "");
  message["allowed_mentions"] = {{"parse", ordered_json::array()}};

  auto embeds = message.find("embeds");
  if (embeds == message.end()) return message;
  if (!embeds->is_array()) {
    message.erase(embeds);
    return message;
  }
  if (embeds->size() > discord_limits::embeds) {
    notes.note(indexed("", "embeds", discord_limits::embeds), "", "embeds", discord_limits::embeds, embeds->size(),
               true);
    embeds->erase(embeds->begin() + discord_limits::embeds, embeds->end());
  }
  std::vector<std::size_t> sizes;
  std::size_t total = 0;
  const auto embed_path = [&](std::size_t k) { return cuts != nullptr ? indexed("", "embeds", k) : std::string(); };
  for (std::size_t k = 0; k < embeds->size(); ++k) {
    sizes.push_back(limit_embed((*embeds)[k], notes, embed_path(k)));
    total += sizes.back();
  }
  // Over the shared budget: shorten descriptions from the last embed back, then drop whole embeds.
  for (std::size_t k = embeds->size(); k-- > 0 && total > discord_limits::embeds_total;) {
    auto& embed = (*embeds)[k];
    const auto it = embed.find("description");
    if (it == embed.end() || !it->is_string()) continue;
    const auto length = count_chars(it->get_ref<const std::string&>());
    const auto excess = total - discord_limits::embeds_total;
    const auto keep = length > excess ? length - excess : 0;
    notes.note(embed_path(k), "description", "embeds_total", discord_limits::embeds_total, total, keep == 0);
    if (keep == 0) {
      embed.erase(it);
    } else {
      *it = truncate_chars(it->get_ref<const std::string&>(), keep);
    }
    const auto after = limit_embed(embed, notes, embed_path(k));
    total = total - sizes[k] + after;
    sizes[k] = after;
  }
  for (std::size_t k = embeds->size(); k-- > 0 && total > discord_limits::embeds_total;) {
    auto& embed = (*embeds)[k];
    auto fields = embed.find("fields");
    while (fields != embed.end() && fields->is_array() && !fields->empty() && total > discord_limits::embeds_total) {
      notes.note(indexed(embed_path(k), "fields", fields->size() - 1), "", "embeds_total", discord_limits::embeds_total,
                 total, true);
      fields->erase(fields->end() - 1);
      const auto after = limit_embed(embed, notes, embed_path(k));
      total = total - sizes[k] + after;
      sizes[k] = after;
    }
  }
  while (total > discord_limits::embeds_total && embeds->size() > 1) {
    notes.note(embed_path(embeds->size() - 1), "", "embeds_total", discord_limits::embeds_total, total, true);
    total -= sizes.back();
    sizes.pop_back();
    embeds->erase(embeds->end() - 1);
  }
  return message;
}

std::string describe_cut(const cut& item) {
  const auto limit = std::to_string(item.limit);
  const auto length = std::to_string(item.length);
  if (item.rule == "excerpt") {
    return item.path + " was " + length + " characters; dispatch shows the first " + limit +
           " and links to the rest (Discord's limit is higher: the message stays readable in a channel)";
  }
  if (item.rule == "url") {
    return item.path + " was removed: Discord refuses a link that is not http(s), holds spaces or controls, or is " +
           "longer than " + limit + " characters, and would refuse the whole message";
  }
  if (item.rule == "embeds" || item.rule == "fields") {
    return item.path + " and after were dropped: " + length + " " + std::string(item.rule) + ", Discord takes " + limit;
  }
  if (item.rule == "embeds_total") {
    return item.path + (item.removed ? " was dropped" : " was shortened") + ": all embeds together held " + length +
           " characters, Discord takes " + limit;
  }
  return item.path + " was " + length + " characters; Discord takes " + limit + ", so it ends in " +
         std::string(ellipsis);
}

ordered_json cuts_json(const std::vector<cut>& cuts) {
  ordered_json list = ordered_json::array();
  for (const auto& item : cuts) {
    list.push_back({{"path", item.path},
                    {"rule", item.rule},
                    {"limit", item.limit},
                    {"length", item.length},
                    {"reason", describe_cut(item)}});
  }
  return list;
}

}  // namespace dispatch

namespace dispatch {
namespace {

std::size_t chars_of(const ordered_json& object, std::string_view key) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? count_chars(it->get_ref<const std::string&>()) : 0;
}

const ordered_json* member(const ordered_json& object, std::string_view key) {
  if (!object.is_object()) return nullptr;
  const auto it = object.find(key);
  return it == object.end() ? nullptr : &*it;
}

}  // namespace

DISPATCH_COLD ordered_json budget_json(const ordered_json& message) {
  ordered_json rows = ordered_json::array();
  const auto add = [&](std::string path, std::string_view rule, std::size_t used, std::size_t allowed,
                       std::string_view unit = "characters") {
    rows.push_back({{"path", std::move(path)}, {"rule", rule}, {"used", used}, {"allowed", allowed}, {"unit", unit}});
  };
  const auto* embeds = member(message, "embeds");
  const auto count = embeds != nullptr && embeds->is_array() ? embeds->size() : 0;
  std::size_t total = 0;
  for (std::size_t k = 0; k < count; ++k) {
    const auto& embed = (*embeds)[k];
    if (!embed.is_object()) continue;
    total += chars_of(embed, "title") + chars_of(embed, "description");
    if (const auto* footer = member(embed, "footer")) total += chars_of(*footer, "text");
    if (const auto* author = member(embed, "author")) total += chars_of(*author, "name");
    if (const auto* fields = member(embed, "fields"); fields != nullptr && fields->is_array()) {
      for (const auto& field : *fields) total += chars_of(field, "name") + chars_of(field, "value");
    }
  }
  add("embeds", "embeds_total", total, discord_limits::embeds_total);
  if (message.contains("content")) add("content", "content", chars_of(message, "content"), discord_limits::content);
  if (message.contains("username")) {
    add("username", "username", chars_of(message, "username"), discord_limits::username);
  }
  add("embeds", "embeds", count, discord_limits::embeds, "embeds");
  for (std::size_t k = 0; k < count; ++k) {
    const auto& embed = (*embeds)[k];
    const auto at = "embeds[" + std::to_string(k) + "]";
    if (const auto* author = member(embed, "author"); author != nullptr && author->contains("name")) {
      add(at + ".author.name", "author_name", chars_of(*author, "name"), discord_limits::author_name);
    }
    if (embed.contains("title")) add(at + ".title", "title", chars_of(embed, "title"), discord_limits::title);
    if (embed.contains("description")) {
      add(at + ".description", "description", chars_of(embed, "description"), discord_limits::description);
    }
    if (const auto* fields = member(embed, "fields"); fields != nullptr && fields->is_array() && !fields->empty()) {
      add(at + ".fields", "fields", fields->size(), discord_limits::fields, "fields");
      std::size_t name = 0;
      std::size_t value = 0;
      for (const auto& field : *fields) {
        name = std::max(name, chars_of(field, "name"));
        value = std::max(value, chars_of(field, "value"));
      }
      add(at + ".fields[].name", "field_name", name, discord_limits::field_name);
      add(at + ".fields[].value", "field_value", value, discord_limits::field_value);
    }
    if (const auto* footer = member(embed, "footer"); footer != nullptr && footer->contains("text")) {
      add(at + ".footer.text", "footer_text", chars_of(*footer, "text"), discord_limits::footer_text);
    }
  }
  return rows;
}

}  // namespace dispatch
