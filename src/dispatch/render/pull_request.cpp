#include <string>
#include <tuple>
#include <vector>

#include "dispatch/cold.hpp"
#include "dispatch/discord_limits.hpp"
#include "dispatch/render/common.hpp"
#include "dispatch/render/families.hpp"

namespace dispatch::render {
namespace {

constexpr std::size_t max_reviewers_shown = 10;

struct action {
  std::string_view name;   // the key's action, e.g. "fulfilled"
  std::string_view title;  // what the title says happened
  int colour;
};

// Colours follow the seed (created green, merged purple, declined red) and extend it: approval green,
// changes requested orange, everything else slate.
constexpr action actions[] = {
    {"created", "Pull request opened", colour::green},
    {"updated", "Pull request updated", colour::slate},
    {"approved", "Pull request approved", colour::green},
    {"unapproved", "Approval removed", colour::grey},
    {"changes_request_created", "Changes requested", colour::orange},
    {"changes_request_removed", "Changes request removed", colour::slate},
    {"fulfilled", "Pull request merged", colour::purple},
    {"rejected", "Pull request declined", colour::red},
    {"comment_created", "New comment on pull request", colour::slate},
    {"comment_updated", "Comment edited on pull request", colour::slate},
    {"comment_deleted", "Comment deleted on pull request", colour::grey},
    {"comment_resolved", "Comment resolved on pull request", colour::green},
    {"comment_reopened", "Comment reopened on pull request", colour::orange},
    {"push", "New commits on pull request", colour::blue},
};

bool same_person(payload_view a, payload_view b) {
  const auto a_id = first_string({a["uuid"], a["account_id"]});
  const auto b_id = first_string({b["uuid"], b["account_id"]});
  if (!a_id.empty() && !b_id.empty()) return a_id == b_id;
  return !person_name(a).empty() && person_name(a) == person_name(b);
}

// "✅ Ann, 🟧 Bob, ⬜ Cy": every reviewer with their state, then anyone else who approved.
std::string reviewers_value(payload_view pr) {
  const auto reviewers = pr["reviewers"];
  const auto participants = pr["participants"];
  const auto state_of = [&](payload_view person) -> std::string_view {
    for (std::size_t i = 0; i < participants.size(); ++i) {
      const auto participant = participants[i];
      if (!same_person(participant["user"], person)) continue;
      if (participant["state"].str() == "changes_requested") return "\xF0\x9F\x9F\xA7";  // 🟧
      if (participant["approved"].boolean().value_or(false)) return "\xE2\x9C\x85";      // ✅
    }
    return "\xE2\xAC\x9C";  // ⬜ pending
  };
  std::vector<std::string> entries;
  for (std::size_t i = 0; i < reviewers.size(); ++i) {
    entries.push_back(std::string(state_of(reviewers[i])) + " " + escape_markdown(person_name(reviewers[i])));
  }
  for (std::size_t i = 0; i < participants.size(); ++i) {
    const auto participant = participants[i];
    bool is_reviewer = false;
    for (std::size_t k = 0; k < reviewers.size(); ++k)
      is_reviewer = is_reviewer || same_person(reviewers[k], participant["user"]);
    if (!is_reviewer && participant["approved"].boolean().value_or(false)) {
      entries.push_back("\xE2\x9C\x85 " + escape_markdown(person_name(participant["user"])));
    }
  }
  std::string value;
  for (std::size_t i = 0; i < entries.size() && i < max_reviewers_shown; ++i) value += (i ? ", " : "") + entries[i];
  if (entries.size() > max_reviewers_shown) {
    value += " and " + std::to_string(entries.size() - max_reviewers_shown) + " more";
  }
  return value;
}

std::string branch(payload_view end, payload_view other) {
  const auto name = end["branch"]["name"].str();
  if (name.empty()) return {};
  // A branch from a fork names its repository.
  const auto repository = repository_name(end["repository"]);
  const bool fork = !repository.empty() && repository != repository_name(other["repository"]);
  return code_span((fork ? std::string(repository) + ":" : "") + std::string(name));
}

std::string comment_place(payload_view comment) {
  const auto inline_at = comment["inline"];
  const auto path = inline_at["path"].str();
  if (path.empty()) return {};
  std::string place = code_span(path);
  const auto line = inline_at["to"].integer() ? inline_at["to"].integer() : inline_at["from"].integer();
  if (line) place += " line " + std::to_string(*line);
  return place;
}

// The card's colour says where the pull request stands: merged purple, declined red, superseded grey; an open
// one orange while changes are requested, green once approved, else slate.
int card_colour(payload_view pr, std::size_t approvals, std::size_t changes_requested) {
  const auto state = pr["state"].str();
  if (state == "MERGED") return colour::purple;
  if (state == "DECLINED") return colour::red;
  if (state == "SUPERSEDED") return colour::grey;
  if (changes_requested > 0) return colour::orange;
  return approvals > 0 ? colour::green : colour::slate;
}

// "Open · 2 approvals · changes requested by Bob"
std::string card_state(payload_view pr, std::size_t approvals, const std::vector<std::string>& requesters) {
  std::string text = sentence_case(pr["state"].str().empty() ? std::string_view("OPEN") : pr["state"].str());
  if (approvals > 0) text += " \xC2\xB7 " + std::to_string(approvals) + (approvals == 1 ? " approval" : " approvals");
  if (!requesters.empty()) {
    text += " \xC2\xB7 changes requested by ";
    for (std::size_t i = 0; i < requesters.size(); ++i) text += (i ? ", " : "") + requesters[i];
  }
  return text;
}

}  // namespace

DISPATCH_COLD ordered_json pull_request_card(const json& payload) {
  const payload_view root(payload);
  const auto pr = root["pullrequest"];
  std::size_t approvals = 0;
  std::vector<std::string> requesters;
  const auto participants = pr["participants"];
  for (std::size_t i = 0; i < participants.size(); ++i) {
    if (participants[i]["approved"].boolean().value_or(false)) ++approvals;
    if (participants[i]["state"].str() == "changes_requested") {
      requesters.push_back(escape_markdown(person_name(participants[i]["user"])));
    }
  }

  ordered_json embed = ordered_json::object();
  if (auto author = author_line(pr["author"]); !author.is_null()) embed["author"] = std::move(author);
  std::string title = "#" + std::to_string(pr["id"].integer().value_or(0));
  if (const auto pr_title = first_line(pr["title"].str()); !pr_title.empty()) title += " " + pr_title;
  embed["title"] = std::move(title);
  if (const auto url = html_link(pr); !url.empty()) embed["url"] = url;
  const auto text = first_string({pr["rendered"]["description"]["raw"], pr["description"], pr["summary"]["raw"]});
  if (const auto description = excerpt(text, 600, html_link(pr)); !description.empty()) {
    embed["description"] = description;
  }
  embed["color"] = card_colour(pr, approvals, requesters.size());

  ordered_json fields = ordered_json::array();
  append(fields, field("State", card_state(pr, approvals, requesters), false));
  const auto source = branch(pr["source"], pr["destination"]);
  const auto destination = branch(pr["destination"], pr["source"]);
  if (!source.empty() || !destination.empty()) {
    append(fields, field("Branches", (source.empty() ? "?" : source) + " \xE2\x86\x92 " +
                                         (destination.empty() ? "?" : destination)));
  }
  if (const auto repository = repository_name(root["repository"]); !repository.empty()) {
    append(fields, field("Repository", link(repository, html_link(root["repository"]))));
  }
  append(fields, field("Reviewers", reviewers_value(pr), false));
  embed["fields"] = std::move(fields);
  embed["footer"] = {{"text", "dispatch keeps this card current"}};
  if (const auto when = first_string({pr["updated_on"], pr["created_on"]}); !when.empty()) embed["timestamp"] = when;
  auto out = message(ordered_json::array({std::move(embed)}));
  note_excerpt(out, "embeds[0].description", text, 600);
  return out;
}

ordered_json pull_request(std::string_view key, const json& payload) {
  const payload_view root(payload);
  const auto actor = root["actor"];
  const auto pr = root["pullrequest"];
  const auto comment = root["comment"];
  const auto verb = key.substr(key.find(':') + 1);

  action what{verb, "", colour::slate};
  std::string fallback_title;
  bool known = false;
  for (const auto& candidate : actions) {
    if (candidate.name == verb) {
      what = candidate;
      known = true;
    }
  }
  if (!known) fallback_title = "Pull request: " + std::string(verb);

  const auto repository = repository_name(root["repository"]).empty() ? repository_name(pr["destination"]["repository"])
                                                                      : repository_name(root["repository"]);
  std::string title = title_prefix(repository) + (known ? std::string(what.title) : fallback_title);
  if (const auto id = pr["id"].integer()) {
    title += ": #" + std::to_string(*id);
    if (const auto pr_title = first_line(pr["title"].str()); !pr_title.empty()) title += " " + pr_title;
  }

  const auto who =
      person_name(actor).empty() ? std::string("Someone") : "**" + escape_markdown(person_name(actor)) + "**";
  const auto source = branch(pr["source"], pr["destination"]);
  const auto destination = branch(pr["destination"], pr["source"]);
  std::string description;
  std::string_view shortened;  // the text cut to an excerpt, if any
  std::size_t shown = 0;       // and how many characters of it are shown
  const bool about_comment = verb.rfind("comment_", 0) == 0;
  if (about_comment) {
    const bool deleted = comment["deleted"].boolean().value_or(false) || verb == "comment_deleted";
    const auto text = comment["content"]["raw"].str();
    description = deleted || text.empty() ? who + (deleted ? " deleted a comment." : " commented.")
                                          : excerpt(text, 1500, html_link(comment));
    if (!deleted) std::tie(shortened, shown) = std::pair(text, std::size_t{1500});
  } else if (verb == "created" || verb == "updated") {
    const auto text = first_string({pr["rendered"]["description"]["raw"], pr["description"], pr["summary"]["raw"]});
    // An update repeats the description: a shorter excerpt, since the reader saw it when it was opened.
    shown = verb == "created" ? 1500 : 600;
    shortened = text;
    description = excerpt(text, shown, html_link(pr));
  } else if (verb == "approved") {
    description = who + " approved this pull request.";
  } else if (verb == "unapproved") {
    description = who + " removed their approval.";
  } else if (verb == "changes_request_created") {
    description = who + " requested changes.";
  } else if (verb == "changes_request_removed") {
    description = who + " removed their request for changes.";
  } else if (verb == "fulfilled") {
    description = who + " merged " + (source.empty() ? std::string("this pull request") : source) +
                  (destination.empty() ? "" : " into " + destination);
    if (const auto hash = pr["merge_commit"]["hash"].str(); !hash.empty()) {
      const auto url = html_link(pr["merge_commit"]);
      description += " as " + code_link(short_hash(hash), url);
    }
    description += ".";
  } else if (verb == "rejected") {
    description = who + " declined this pull request.";
    if (const auto reason = trim(pr["reason"].str()); !reason.empty())
      description += "\n> " + escape_markdown(first_line(reason));
  } else if (verb == "push") {
    description = who + " pushed to " + (source.empty() ? std::string("the source branch") : source) + ".";
    if (const auto hash = pr["source"]["commit"]["hash"].str(); !hash.empty()) {
      const auto url = html_link(pr["source"]["commit"]);
      description += " Head is now " + code_link(short_hash(hash, 12), url) + ".";
    }
  }

  ordered_json embed = ordered_json::object();
  if (auto author = author_line(actor); !author.is_null()) embed["author"] = std::move(author);
  embed["title"] = std::move(title);
  auto url = about_comment ? html_link(comment) : std::string_view{};
  if (url.empty()) url = html_link(pr);
  if (!url.empty()) embed["url"] = url;
  if (!description.empty()) embed["description"] = std::move(description);
  embed["color"] = what.colour;

  ordered_json fields = ordered_json::array();
  if (!source.empty() || !destination.empty()) {
    append(fields, field("Branches", (source.empty() ? "?" : source) + " \xE2\x86\x92 " +
                                         (destination.empty() ? "?" : destination)));
  }
  if (const auto author = person_name(pr["author"]); !author.empty()) {
    append(fields, field("Author", link(author, html_link(pr["author"]))));
  }
  if (about_comment) {
    append(fields, field("File", comment_place(comment)));
  } else {
    append(fields, field("State", sentence_case(pr["state"].str())));
    append(fields, field("Reviewers", reviewers_value(pr), false));
  }
  if (!fields.empty()) embed["fields"] = std::move(fields);

  const auto when = first_string({root["approval"]["date"], root["changes_request"]["date"], comment["updated_on"],
                                  comment["created_on"], pr["updated_on"], pr["created_on"]});
  if (!when.empty()) embed["timestamp"] = when;
  auto out = message(ordered_json::array({std::move(embed)}));
  note_excerpt(out, "embeds[0].description", shortened, shown);
  return out;
}

}  // namespace dispatch::render
