#include "dispatch/render/generic.hpp"

#include <string>

#include "dispatch/discord_limits.hpp"
#include "dispatch/payload_view.hpp"
#include "dispatch/render/common.hpp"

namespace dispatch {

int category_colour(std::string_view category) {
  // The families' palette (render/common.hpp): the generic embed reads like the rest.
  if (category == "Repository") return render::colour::blue;
  if (category == "Pull Request") return render::colour::slate;
  if (category == "Issue") return render::colour::yellow;
  return render::colour::grey;  // pipelines, projects, and keys we do not know
}

ordered_json render_generic(std::string_view key, const event_info* info, const json& payload) {
  const payload_view root(payload);
  const auto actor = root["actor"];
  const auto repository = root["repository"];
  const auto actor_name = first_string({actor["display_name"], actor["nickname"], actor["username"]});
  const auto repository_name = first_string({repository["full_name"], repository["name"]});
  // "Push" needs no category; "Created" does ("Pull Request: Created").
  std::string label(key);
  if (info != nullptr) {
    label = info->category == "Repository" ? std::string(info->label)
                                           : std::string(info->category) + ": " + std::string(info->label);
  }
  std::string title = repository_name.empty() ? label : "[" + std::string(repository_name) + "] " + label;

  std::string description = actor_name.empty() ? "Someone" : "**" + escape_markdown(actor_name) + "**";
  if (info != nullptr) {
    description += " " + std::string(info->verb);
  } else {
    description += " sent `" + std::string(key) + "` for";
  }
  description += repository_name.empty() ? " a repository" : " **" + escape_markdown(repository_name) + "**";

  ordered_json embed = ordered_json::object();
  if (!actor_name.empty()) {
    ordered_json author = {{"name", actor_name}};
    if (const auto url = actor["links"]["html"]["href"].str(); !url.empty()) author["url"] = url;
    if (const auto icon = actor["links"]["avatar"]["href"].str(); !icon.empty()) author["icon_url"] = icon;
    embed["author"] = std::move(author);
  }
  embed["title"] = std::move(title);
  if (const auto url = repository["links"]["html"]["href"].str(); !url.empty()) embed["url"] = url;
  embed["description"] = std::move(description);
  embed["color"] = category_colour(info != nullptr ? info->category : std::string_view{});
  embed["footer"] = {{"text", "Bitbucket \xC2\xB7 " + std::string(key)}};

  return {{"username", "Bitbucket"}, {"embeds", ordered_json::array({std::move(embed)})}};
}

}  // namespace dispatch
