#include "dispatch/render/generic.hpp"

#include <string>

#include "dispatch/markdown.hpp"
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
  const auto actor_name = render::person_name(actor);
  const auto repository_name = render::repository_name(repository);
  // "Push" needs no category; "Created" does ("Pull Request: Created").
  std::string label(key);
  if (info != nullptr) {
    label = info->category == "Repository" ? std::string(info->label)
                                           : std::string(info->category) + ": " + std::string(info->label);
  }

  std::string description = actor_name.empty() ? "Someone" : "**" + escape_markdown(actor_name) + "**";
  if (info != nullptr) {
    description += " " + std::string(info->verb);
  } else {
    description += " sent `" + std::string(key) + "` for";
  }
  description += repository_name.empty() ? " a repository" : " **" + escape_markdown(repository_name) + "**";

  ordered_json embed = ordered_json::object();
  if (auto author = render::author_line(actor); !author.is_null()) embed["author"] = std::move(author);
  embed["title"] = render::title_prefix(repository_name) + label;
  if (const auto url = render::html_link(repository); !url.empty()) embed["url"] = url;
  embed["description"] = std::move(description);
  embed["color"] = category_colour(info != nullptr ? info->category : std::string_view{});
  embed["footer"] = {{"text", "Bitbucket \xC2\xB7 " + std::string(key)}};
  return render::message(ordered_json::array({std::move(embed)}));
}

}  // namespace dispatch
