#include <string>

#include "dispatch/discord_limits.hpp"
#include "dispatch/render/common.hpp"
#include "dispatch/render/families.hpp"

namespace dispatch::render {

namespace {

// What every repository event's embed says: who, which repository, where it links.
struct frame {
  payload_view root;
  payload_view actor;
  std::string_view repository;
  std::string who;        // the actor in bold, or "Someone"
  std::string repo_text;  // the repository in bold, or "a repository"

  explicit frame(const json& payload)
      : root(payload),
        actor(root["actor"]),
        repository(repository_name(root["repository"])),
        who(person_name(actor).empty() ? std::string("Someone") : "**" + escape_markdown(person_name(actor)) + "**"),
        repo_text(repository.empty() ? std::string("a repository") : "**" + escape_markdown(repository) + "**") {}

  // The message: one embed with the actor as author, and `url` (the repository's page when empty).
  ordered_json embed(std::string title, std::string description, std::string_view url, int colour) const {
    ordered_json out = ordered_json::object();
    if (auto author = author_line(actor); !author.is_null()) out["author"] = std::move(author);
    out["title"] = std::move(title);
    if (url.empty()) url = html_link(root["repository"]);
    if (!url.empty()) out["url"] = url;
    if (!description.empty()) out["description"] = std::move(description);
    out["color"] = colour;
    return message(ordered_json::array({std::move(out)}));
  }
};

}  // namespace

ordered_json commit_comment(std::string_view, const json& payload) {
  const frame at(payload);
  const auto commit = at.root["commit"];
  auto description = excerpt(at.root["comment"]["content"]["raw"].str(), 1500);
  if (const auto path = at.root["comment"]["inline"]["path"].str(); !path.empty()) {
    description += "\n\xE2\x80\x94 on " + code_span(path);
    if (const auto line = at.root["comment"]["inline"]["to"].integer()) description += " line " + std::to_string(*line);
  }
  const auto url = html_link(at.root["comment"]).empty() ? html_link(commit) : html_link(at.root["comment"]);
  return at.embed(title_prefix(at.repository) + "New comment on commit " + short_hash(commit["hash"].str()),
                  std::move(description), url, colour::slate);
}

ordered_json fork(std::string_view, const json& payload) {
  const frame at(payload);
  const auto fork = repository_name(at.root["fork"]);
  return at.embed(
      title_prefix(at.repository) + "Forked" + (fork.empty() ? "" : " to " + std::string(fork)),
      at.who + " forked " + at.repo_text + (fork.empty() ? "" : " to " + link(fork, html_link(at.root["fork"]))),
      html_link(at.root["fork"]), colour::grey);
}

ordered_json repository_updated(std::string_view, const json& payload) {
  const frame at(payload);
  std::string description;
  const auto changes = at.root["changes"];
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
      description.empty() ? at.who + " updated the settings of " + at.repo_text + "." : std::string(trim(description));
  return at.embed(title_prefix(at.repository) + "Repository settings updated", std::move(description), {},
                  colour::grey);
}

ordered_json transfer(std::string_view, const json& payload) {
  const frame at(payload);
  const auto previous = person_name(at.root["previous_owner"]);
  return at.embed(title_prefix(at.repository) + "Repository transferred",
                  at.who + " accepted the transfer of " + at.repo_text +
                      (previous.empty() ? "" : " from **" + escape_markdown(previous) + "**") + ".",
                  {}, colour::grey);
}

}  // namespace dispatch::render
