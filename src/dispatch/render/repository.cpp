#include <string>

#include "dispatch/discord_limits.hpp"
#include "dispatch/render/common.hpp"
#include "dispatch/render/families.hpp"

namespace dispatch::render {

ordered_json repository_event(std::string_view key, const json& payload) {
  const payload_view root(payload);
  const auto actor = root["actor"];
  const auto repository = repository_name(root["repository"]);
  const auto who =
      person_name(actor).empty() ? std::string("Someone") : "**" + escape_markdown(person_name(actor)) + "**";
  const auto repo_text = repository.empty() ? std::string("a repository") : "**" + escape_markdown(repository) + "**";

  std::string title;
  std::string description;
  std::string_view url = html_link(root["repository"]);
  int colour = colour::grey;
  if (key == "repo:commit_comment_created") {
    const auto commit = root["commit"];
    title = title_prefix(repository) + "New comment on commit " + short_hash(commit["hash"].str());
    description = excerpt(root["comment"]["content"]["raw"].str(), 1500);
    if (const auto path = root["comment"]["inline"]["path"].str(); !path.empty()) {
      description += "\n\xE2\x80\x94 on " + code_span(path);
      if (const auto line = root["comment"]["inline"]["to"].integer()) description += " line " + std::to_string(*line);
    }
    url = html_link(root["comment"]).empty() ? html_link(commit) : html_link(root["comment"]);
    colour = colour::slate;
  } else if (key == "repo:fork") {
    const auto fork = repository_name(root["fork"]);
    title = title_prefix(repository) + "Forked" + (fork.empty() ? "" : " to " + std::string(fork));
    description = who + " forked " + repo_text + (fork.empty() ? "" : " to " + link(fork, html_link(root["fork"])));
    if (!html_link(root["fork"]).empty()) url = html_link(root["fork"]);
  } else if (key == "repo:updated") {
    title = title_prefix(repository) + "Repository settings updated";
    const auto changes = root["changes"];
    for (const auto* name : {"name", "full_name", "description", "website", "language", "is_private"}) {
      const auto change = changes[name];
      if (!change.is_object()) continue;
      const auto show = [](payload_view value) {
        if (const auto flag = value.boolean()) return std::string(*flag ? "yes" : "no");
        const auto text = first_line(value.str());
        return text.empty() ? std::string("none") : code_span(text);
      };
      description +=
          "**" + std::string(name) + "**: " + show(change["old"]) + " \xE2\x86\x92 " + show(change["new"]) + "\n";
    }
    description =
        description.empty() ? who + " updated the settings of " + repo_text + "." : std::string(trim(description));
  } else {  // repo:transfer
    title = title_prefix(repository) + "Repository transferred";
    const auto previous = person_name(root["previous_owner"]);
    description = who + " accepted the transfer of " + repo_text +
                  (previous.empty() ? "" : " from **" + escape_markdown(previous) + "**") + ".";
  }

  ordered_json embed = ordered_json::object();
  if (auto author = author_line(actor); !author.is_null()) embed["author"] = std::move(author);
  embed["title"] = std::move(title);
  if (!url.empty()) embed["url"] = url;
  if (!description.empty()) embed["description"] = std::move(description);
  embed["color"] = colour;
  return message(ordered_json::array({std::move(embed)}));
}

}  // namespace dispatch::render
