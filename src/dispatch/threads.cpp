#include "dispatch/threads.hpp"

#include <charconv>
#include <string>

#include "dispatch/cold.hpp"
#include "dispatch/discord_limits.hpp"
#include "dispatch/events.hpp"
#include "dispatch/payload_view.hpp"
#include "dispatch/render/common.hpp"
#include "dispatch/render/families.hpp"
#include "dispatch/text.hpp"

namespace dispatch {
namespace {

// Days from 1970-01-01 to a civil date (proleptic Gregorian; Howard Hinnant's days_from_civil).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto year_of_era = static_cast<unsigned>(year - era * 400);
  const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
  const unsigned day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
  return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

// Reads exactly `width` digits at `at` into `out`.
bool digits(std::string_view text, std::size_t at, std::size_t width, int& out) {
  if (at + width > text.size()) return false;
  for (std::size_t i = at; i < at + width; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
  }
  return std::from_chars(text.data() + at, text.data() + at + width, out).ec == std::errc{};
}

}  // namespace

DISPATCH_COLD std::optional<std::int64_t> timestamp_us(std::string_view text) {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!digits(text, 0, 4, year) || text.size() < 19 || text[4] != '-' || !digits(text, 5, 2, month) || text[7] != '-' ||
      !digits(text, 8, 2, day) || (text[10] != 'T' && text[10] != ' ') || !digits(text, 11, 2, hour) ||
      text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' || !digits(text, 17, 2, second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return std::nullopt;
  std::size_t at = 19;
  std::int64_t micros = 0;
  if (at < text.size() && text[at] == '.') {
    std::int64_t scale = 100000;
    for (++at; at < text.size() && text[at] >= '0' && text[at] <= '9'; ++at) {
      micros += (text[at] - '0') * scale;  // digits past the sixth are below a microsecond
      scale /= 10;
    }
  }
  std::int64_t offset_minutes = 0;
  if (at < text.size() && text[at] == 'Z') {
    ++at;
  } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
    int offset_hours = 0, offset_mins = 0;
    const bool colon = at + 3 < text.size() && text[at + 3] == ':';
    if (!digits(text, at + 1, 2, offset_hours) || !digits(text, at + (colon ? 4 : 3), 2, offset_mins)) {
      return std::nullopt;
    }
    offset_minutes = (text[at] == '-' ? -1 : 1) * (offset_hours * 60 + offset_mins);
    at += colon ? 6 : 5;
  }
  if (at != text.size()) return std::nullopt;
  const auto days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  const auto seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_minutes * 60;
  return seconds * 1000000 + micros;
}

DISPATCH_COLD std::optional<ordered_json> pull_request_thread(std::string_view key, const json& payload) {
  if (family_of(key) != event_family::pull_request) return std::nullopt;
  const payload_view root(payload);
  const auto pr = root["pullrequest"];
  const auto id = pr["id"].integer();
  if (!id) return std::nullopt;
  // The repository's uuid outlives a rename; the full name is the fallback of payloads without one.
  auto repository =
      first_string({root["repository"]["uuid"], root["repository"]["full_name"],
                    pr["destination"]["repository"]["uuid"], pr["destination"]["repository"]["full_name"]});
  std::string name = "#" + std::to_string(*id);
  if (const auto title = clean_text(render::first_line(pr["title"].str())); !title.empty()) name += " " + title;
  const auto updated = timestamp_us(pr["updated_on"].str());
  const auto state = pr["state"].str();
  return ordered_json{{"key", std::string(repository) + "#" + std::to_string(*id)},
                      {"name", truncate_chars(name, max_thread_name_chars)},
                      {"updated_us", updated ? ordered_json(*updated) : ordered_json(nullptr)},
                      {"state", state.empty() ? std::string_view("OPEN") : state},
                      {"card", finalize_message(render::pull_request_card(payload))}};
}

}  // namespace dispatch
