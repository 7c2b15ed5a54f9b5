#include <string>

#include "dispatch/discord_limits.hpp"
#include "dispatch/render/common.hpp"
#include "dispatch/render/families.hpp"

namespace dispatch::render {
namespace {

// Open work green, finished work purple (like a merge), paused orange, set aside grey.
int state_colour(std::string_view state) {
  if (state == "new" || state == "open") return colour::green;
  if (state == "resolved" || state == "closed") return colour::purple;
  if (state == "on hold") return colour::orange;
  return colour::grey;  // invalid, duplicate, wontfix, unknown
}

}  // namespace

ordered_json issue(std::string_view key, const json& payload) {
  const payload_view root(payload);
  const auto actor = root["actor"];
  const auto item = root["issue"];
  const auto verb = key.substr(key.find(':') + 1);
  const auto state = item["state"].str();

  std::string what = verb == "created"           ? "Issue opened"
                     : verb == "updated"         ? "Issue updated"
                     : verb == "comment_created" ? "New comment on issue"
                                                 : "Issue: " + std::string(verb);
  std::string title = title_prefix(repository_name(root["repository"])) + what;
  if (const auto id = item["id"].integer()) {
    title += ": #" + std::to_string(*id);
    if (const auto text = first_line(item["title"].str()); !text.empty()) title += " " + text;
  }

  std::string description;
  if (verb == "comment_created") {
    description = excerpt(root["comment"]["content"]["raw"].str(), 1500);
  } else if (verb == "updated") {
    // Which fields changed, old -> new, as Bitbucket lists them.
    const auto changes = root["changes"];
    for (const auto* name : {"status", "title", "kind", "priority", "assignee", "version", "milestone", "component"}) {
      const auto change = changes[name];
      if (!change.is_object()) continue;
      const auto before = first_string({change["old"], change["old"]["display_name"], change["old"]["name"]});
      const auto after = first_string({change["new"], change["new"]["display_name"], change["new"]["name"]});
      description += "**" + sentence_case(name) + "**: " + (before.empty() ? "none" : code_span(before)) +
                     " \xE2\x86\x92 " + (after.empty() ? "none" : code_span(after)) + "\n";
    }
    if (const auto comment = root["comment"]["content"]["raw"].str(); !trim(comment).empty()) {
      description += "\n" + excerpt(comment, 1000);
    }
    description = std::string(trim(description));
  } else {
    description = excerpt(item["content"]["raw"].str(), 1500);
  }

  ordered_json embed = ordered_json::object();
  if (auto author = author_line(actor); !author.is_null()) embed["author"] = std::move(author);
  embed["title"] = std::move(title);
  auto url = verb == "comment_created" ? html_link(root["comment"]) : std::string_view{};
  if (url.empty()) url = html_link(item);
  if (!url.empty()) embed["url"] = url;
  if (!description.empty()) embed["description"] = std::move(description);
  embed["color"] = verb == "comment_created" ? colour::slate : state_colour(state);

  ordered_json fields = ordered_json::array();
  append(fields, field("State", sentence_case(state)));
  append(fields, field("Kind", sentence_case(item["kind"].str())));
  append(fields, field("Priority", sentence_case(item["priority"].str())));
  if (const auto assignee = person_name(item["assignee"]); !assignee.empty()) {
    append(fields, field("Assignee", link(assignee, html_link(item["assignee"]))));
  }
  if (!fields.empty()) embed["fields"] = std::move(fields);
  const auto when = first_string({root["comment"]["created_on"], item["updated_on"], item["created_on"]});
  if (!when.empty()) embed["timestamp"] = when;
  return message(ordered_json::array({std::move(embed)}));
}

}  // namespace dispatch::render
