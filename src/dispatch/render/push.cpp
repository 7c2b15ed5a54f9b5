#include <string>

#include "dispatch/discord_limits.hpp"
#include "dispatch/render/common.hpp"
#include "dispatch/render/families.hpp"

namespace dispatch::render {
namespace {

// Discord shows at most 10 embeds; past that, the last one summarises the rest.
constexpr std::size_t max_change_embeds = 9;

std::string plural(std::size_t n, std::string_view one, std::string_view many) {
  return std::string(n == 1 ? one : many);
}

std::string commit_line(payload_view commit) {
  const auto hash = commit["hash"].str();
  const auto author = commit_author(commit);
  std::string line = code_link(short_hash(hash), html_link(commit)) + " ";
  line += escape_markdown(first_line(commit["message"].str()));
  return line + " \xE2\x80\x94 " + escape_markdown(author.empty() ? "unknown author" : author);
}

struct change_view {
  payload_view change;
  payload_view ref;  // new, or old when the ref was deleted
  bool created = false;
  bool deleted = false;
  bool forced = false;
  bool tag = false;
  std::string name;
};

change_view read_change(payload_view change) {
  change_view view;
  view.change = change;
  view.ref = change["new"].present() ? change["new"] : change["old"];
  view.deleted = change["closed"].boolean().value_or(false) || !change["new"].present();
  view.created = !view.deleted && (change["created"].boolean().value_or(false) || !change["old"].present());
  view.forced = change["forced"].boolean().value_or(false);
  view.tag = view.ref["type"].str() == "tag";
  view.name = std::string(view.ref["name"].str("(unnamed)"));
  return view;
}

// The embed for one change, without its description (which needs the budget of all embeds).
ordered_json change_embed(const change_view& view, std::string_view repository, payload_view actor) {
  const auto commits = view.change["commits"].size();
  const bool truncated = view.change["truncated"].boolean().value_or(false);
  const std::string kind = view.tag ? "tag" : "branch";
  std::string title;
  int colour = colour::blue;
  if (view.deleted) {
    title = title_prefix(repository) + (view.tag ? "Tag" : "Branch") + " deleted: " + view.name;
    colour = colour::red;
  } else if (view.created) {
    title = title_prefix(repository) + "New " + kind + ": " + view.name;
    colour = colour::green;
  } else {
    const auto count = truncated ? std::to_string(commits) + "+" : std::to_string(commits);
    title = title_prefix(repository, view.name) +
            (view.forced ? "Force-pushed " + count + plural(commits, " commit", " commits")
                         : count + plural(commits, " new commit", " new commits"));
    colour = view.forced ? colour::orange : colour::blue;
  }
  ordered_json embed = ordered_json::object();
  if (auto author = author_line(actor); !author.is_null()) embed["author"] = std::move(author);
  embed["title"] = std::move(title);
  auto url = html_link(view.change);
  if (url.empty()) url = html_link(view.ref);
  if (!url.empty()) embed["url"] = url;
  embed["description"] = "";  // filled in once the budget of all embeds is known
  embed["color"] = colour;
  if (const auto date = view.ref["target"]["date"].str(); !date.empty()) embed["timestamp"] = date;
  return embed;
}

std::string change_description(const change_view& view, payload_view actor, std::size_t budget) {
  const auto who =
      person_name(actor).empty() ? std::string("Someone") : "**" + escape_markdown(person_name(actor)) + "**";
  const auto target = view.ref["target"];
  const auto target_line = [&](std::string_view verb) {
    std::string line = who + " " + std::string(verb) + " " + (view.tag ? "tag" : "branch") + " " + code_span(view.name);
    if (const auto hash = target["hash"].str(); !hash.empty()) {
      line += view.deleted ? " (was at " : " at ";
      line += code_link(short_hash(hash), html_link(target));
      if (view.deleted) line += ")";
      if (const auto subject = first_line(target["message"].str()); !subject.empty() && !view.deleted) {
        line += ": " + escape_markdown(subject);
      }
    }
    return excerpt(line, budget);
  };
  if (view.deleted) return target_line("deleted");
  if (view.tag) return target_line("created");

  const auto commits = view.change["commits"];
  const auto compare = html_link(view.change);
  line_budget lines(budget, 48 + compare.size());
  if (view.created && commits.size() == 0) return target_line("created");
  for (std::size_t i = 0; i < commits.size(); ++i) {
    if (lines.full()) {
      lines.add_hidden(commits.size() - i);
      break;
    }
    lines.add(commit_line(commits[i]));
  }
  if (view.change["truncated"].boolean().value_or(false)) lines.add_hidden(0, false);
  return lines.text("commit", "commits", compare);
}

}  // namespace

ordered_json push(std::string_view, const json& payload) {
  const payload_view root(payload);
  const auto actor = root["actor"];
  const auto repository = repository_name(root["repository"]);
  const auto changes = root["push"]["changes"];

  if (changes.size() == 0) {
    ordered_json embed = ordered_json::object();
    if (auto author = author_line(actor); !author.is_null()) embed["author"] = std::move(author);
    embed["title"] = title_prefix(repository) + "Push";
    if (const auto url = html_link(root["repository"]); !url.empty()) embed["url"] = url;
    embed["description"] = "Bitbucket reported a push with no branch or tag changes.";
    embed["color"] = colour::blue;
    return message(ordered_json::array({std::move(embed)}));
  }

  std::vector<change_view> views;
  for (std::size_t i = 0; i < changes.size(); ++i) views.push_back(read_change(changes[i]));
  const auto shown = views.size() > max_change_embeds + 1 ? max_change_embeds : views.size();

  ordered_json embeds = ordered_json::array();
  std::size_t fixed = 0;  // characters already spent on titles, author names and the summary
  for (std::size_t i = 0; i < shown; ++i) {
    embeds.push_back(change_embed(views[i], repository, actor));
    fixed += count_chars(embeds.back()["title"].get<std::string>()) + count_chars(person_name(actor));
  }
  if (shown < views.size()) {
    line_budget rest(1500, 32);
    for (std::size_t i = shown; i < views.size(); ++i) {
      rest.add((views[i].deleted   ? "deleted "
                : views[i].created ? "created "
                                   : "updated ") +
               std::string(views[i].tag ? "tag" : "branch") + " " + code_span(views[i].name));
    }
    const auto count = views.size() - shown;
    ordered_json summary = {{"title", title_prefix(repository) + "and " + std::to_string(count) + " more " +
                                          plural(count, "ref", "refs") + " in this push"},
                            {"description", rest.text("ref", "refs")},
                            {"color", colour::blue}};
    if (const auto url = html_link(root["repository"]); !url.empty()) summary["url"] = url;
    fixed += count_chars(summary["title"].get<std::string>()) + count_chars(summary["description"].get<std::string>());
    embeds.push_back(std::move(summary));
  }
  // The 6000-character budget of all embeds, shared equally among the change descriptions.
  const auto remaining = discord_limits::embeds_total > fixed ? discord_limits::embeds_total - fixed : 0;
  const auto budget = std::min(discord_limits::description, remaining / shown);
  for (std::size_t i = 0; i < shown; ++i) embeds[i]["description"] = change_description(views[i], actor, budget);
  return message(std::move(embeds));
}

}  // namespace dispatch::render
