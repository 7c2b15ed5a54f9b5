#include <string>

#include "dispatch/discord_limits.hpp"
#include "dispatch/render/common.hpp"
#include "dispatch/render/families.hpp"

namespace dispatch::render {

ordered_json commit_status(std::string_view, const json& payload) {
  const payload_view root(payload);
  const auto status = root["commit_status"];
  const auto state = status["state"].str();

  std::string_view outcome = "Build status";
  int colour = colour::grey;
  if (state == "SUCCESSFUL") {
    outcome = "Build passed";
    colour = colour::green;
  } else if (state == "FAILED") {
    outcome = "Build failed";
    colour = colour::red;
  } else if (state == "INPROGRESS") {
    outcome = "Build in progress";
    colour = colour::yellow;
  } else if (state == "STOPPED") {
    outcome = "Build stopped";
  }
  const auto refname = status["refname"].str();
  std::string title = title_prefix(repository_name(root["repository"]), refname) + std::string(outcome);
  if (const auto name = first_string({status["name"], status["key"]}); !name.empty()) title += ": " + first_line(name);

  const auto commit = status["commit"];
  const auto hash = commit["hash"].str();
  std::string commit_text;
  if (!hash.empty()) {
    commit_text = code_link(short_hash(hash), html_link(commit));
    if (const auto subject = first_line(commit["message"].str()); !subject.empty())
      commit_text += " " + escape_markdown(subject);
  }

  ordered_json embed = ordered_json::object();
  if (auto author = author_line(root["actor"]); !author.is_null()) embed["author"] = std::move(author);
  embed["title"] = std::move(title);
  if (const auto url = status["url"].str(); !url.empty()) embed["url"] = url;
  if (const auto text = trim(status["description"].str()); !text.empty())
    embed["description"] = escape_markdown(excerpt(text, 1000));
  embed["color"] = colour;
  ordered_json fields = ordered_json::array();
  append(fields, field("State", state.empty() ? std::string() : std::string(state)));
  append(fields, field("Branch", refname.empty() ? std::string() : code_span(refname)));
  append(fields, field("Commit", commit_text));
  if (!fields.empty()) embed["fields"] = std::move(fields);
  const auto when = first_string({status["updated_on"], status["created_on"]});
  if (!when.empty()) embed["timestamp"] = when;
  return message(ordered_json::array({std::move(embed)}));
}

}  // namespace dispatch::render
