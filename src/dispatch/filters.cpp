#include "dispatch/filters.hpp"

#include <algorithm>

#include "dispatch/cold.hpp"
#include "dispatch/events.hpp"
#include "dispatch/payload_view.hpp"
#include "dispatch/text.hpp"

namespace dispatch {
namespace {

// A glob, read once: each token is a byte to match, or one of the wildcards.
enum class token_kind { byte, one, star, any, any_dirs };
struct token {
  token_kind kind;
  char byte = 0;
};

std::vector<token> tokenize(std::string_view pattern) {
  std::vector<token> tokens;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    const char c = pattern[i];
    if (c == '?') {
      tokens.push_back({token_kind::one});
    } else if (c != '*') {
      tokens.push_back({token_kind::byte, c});
    } else {
      std::size_t stars = 1;
      while (i + 1 < pattern.size() && pattern[i + 1] == '*') ++i, ++stars;
      if (stars == 1) {
        tokens.push_back({token_kind::star});
      } else if (i + 1 < pattern.size() && pattern[i + 1] == '/') {
        ++i;  // `**/`: any number of whole segments, none included
        tokens.push_back({token_kind::any_dirs});
      } else {
        tokens.push_back({token_kind::any});
      }
    }
  }
  return tokens;
}

// The length of the UTF-8 sequence that starts with `lead` (a malformed byte counts as one).
std::size_t sequence_length(unsigned char lead) {
  if (lead >= 0xF0 && lead < 0xF8) return 4;
  if (lead >= 0xE0) return lead < 0xF0 ? 3 : 1;
  if (lead >= 0xC0) return 2;
  return 1;
}

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : std::string(separator)) + item;
  return out;
}

}  // namespace

// Matching runs over the name once per token: `reach[j]` says whether the tokens so far can match the
// name's first j bytes. Linear in the name for each token, whatever the pattern: no backtracking to blow up.
bool glob_matches(std::string_view pattern, std::string_view name) {
  const auto n = name.size();
  std::vector<char> reach(n + 1, 0);
  std::vector<char> next(n + 1, 0);
  reach[0] = 1;
  for (const auto& step : tokenize(pattern)) {
    std::fill(next.begin(), next.end(), 0);
    bool run = false;
    for (std::size_t j = 0; j <= n; ++j) {
      switch (step.kind) {
        case token_kind::byte:
          if (reach[j] && j < n && name[j] == step.byte) next[j + 1] = 1;
          break;
        case token_kind::one:
          if (reach[j] && j < n && name[j] != '/') {
            const auto end = std::min(n, j + sequence_length(static_cast<unsigned char>(name[j])));
            next[end] = 1;
          }
          break;
        case token_kind::star:  // from any earlier reach with no `/` between
          if (j > 0 && name[j - 1] == '/') run = false;
          run = run || reach[j];
          next[j] = run;
          break;
        case token_kind::any:
          run = run || reach[j];
          next[j] = run;
          break;
        case token_kind::any_dirs:  // nothing, or any run that ends in `/`
          next[j] = reach[j] || (run && name[j - 1] == '/');
          run = run || reach[j];
          break;
      }
    }
    std::swap(reach, next);
  }
  return reach[n] != 0;
}

std::string pattern_list::refusal(const std::vector<std::string_view>& names) const {
  for (const auto& pattern : exclude_) {
    for (const auto name : names) {
      if (!glob_matches(pattern, name)) continue;
      // An actor matched by another name than the one people know it by says which.
      const auto who =
          name == names.front() ? std::string(name) : std::string(names.front()) + " (" + std::string(name) + ")";
      return who + " matches !" + pattern;
    }
  }
  if (include_.empty() || names.empty()) return {};
  for (const auto& pattern : include_) {
    for (const auto name : names) {
      if (glob_matches(pattern, name)) return {};
    }
  }
  return std::string(names.front()) + " matches none of " + join(include_, ", ");
}

DISPATCH_COLD result<pattern_list> pattern_list::parse(const json& list, const std::string& field) {
  const auto invalid = [&](const std::string& message) {
    auto failure = make_error(codes::endpoint_invalid, field + " " + message);
    failure.field = field;
    return failure;
  };
  pattern_list patterns;
  if (list.is_null()) return patterns;
  if (!list.is_array()) return invalid("must be a list of patterns, such as [\"main\", \"release/*\", \"!wip/**\"]");
  if (list.size() > max_patterns) {
    return invalid("has " + std::to_string(list.size()) + " patterns; the limit is " + std::to_string(max_patterns));
  }
  for (std::size_t i = 0; i < list.size(); ++i) {
    const auto at = " (pattern " + std::to_string(i + 1) + ")";
    if (!list[i].is_string()) return invalid("must hold only strings" + at);
    const auto& pattern = list[i].get_ref<const std::string&>();
    if (pattern.empty()) return invalid("holds an empty pattern" + at);
    if (pattern == "!") return invalid("holds a lone \"!\"" + at + "; write the pattern to exclude after it");
    if (count_chars(pattern) > max_pattern_chars) {
      return invalid("holds a pattern over " + std::to_string(max_pattern_chars) + " characters" + at);
    }
    if (pattern.front() == '!') {
      patterns.exclude_.push_back(pattern.substr(1));
    } else {
      patterns.include_.push_back(pattern);
    }
  }
  return patterns;
}

DISPATCH_COLD result<filter_set> parse_filters(const json& filters) {
  filter_set set;
  if (filters.is_null()) return set;
  if (!filters.is_object()) {
    auto failure = make_error(codes::endpoint_invalid, "filters must be an object {branches?, tags?, actors?}");
    failure.field = "filters";
    return failure;
  }
  for (const auto& [name, value] : filters.items()) {
    pattern_list* target = name == "branches" ? &set.branches
                           : name == "tags"   ? &set.tags
                           : name == "actors" ? &set.actors
                                              : nullptr;
    const auto field = "filters." + name;
    if (target == nullptr) {
      auto failure =
          make_error(codes::endpoint_invalid, field + " is not a filter; the filters are branches, tags and actors");
      failure.field = field;
      return failure;
    }
    auto list = pattern_list::parse(value, field);
    if (!list.ok()) return list.error();
    *target = std::move(list).value();
  }
  return set;
}

namespace {

// An actor's names, the display name first: a pattern may name any of them.
std::vector<std::string_view> actor_names(payload_view actor) {
  std::vector<std::string_view> names;
  for (const auto member : {"display_name", "nickname", "username", "uuid"}) {
    if (const auto name = actor[member].str(); !name.empty()) names.push_back(name);
  }
  return names;
}

// A ref's filter: tags have their own list (empty: every tag passes); every other kind of ref is a branch.
struct ref_rule {
  const pattern_list* list;
  std::string_view label;
};
ref_rule rule_for(const filter_set& filters, std::string_view type) {
  if (type == "tag") return {&filters.tags, "tag"};
  return {&filters.branches, "branch"};
}

// Returns why one ref does not pass, or "".
std::string ref_refusal(const ref_rule& rule, std::string_view name) {
  if (name.empty() || rule.list->empty()) return {};
  const auto why = rule.list->refusal({name});
  return why.empty() ? why : std::string(rule.label) + " " + why;
}

filter_verdict stopped(std::string code, std::string reason) {
  filter_verdict verdict;
  verdict.code = std::move(code);
  verdict.reason = std::move(reason);
  return verdict;
}

filter_verdict filter_push(const filter_set& filters, payload_view changes) {
  filter_verdict verdict;
  verdict.total_changes = changes.size();
  std::vector<std::string> refusals;
  for (std::size_t i = 0; i < changes.size(); ++i) {
    // A deletion has no `new`: it is about the ref it removed.
    const auto side = changes[i]["new"].present() ? changes[i]["new"] : changes[i]["old"];
    const auto why = ref_refusal(rule_for(filters, side["type"].str()), side["name"].str());
    if (why.empty()) {
      verdict.kept_changes.push_back(i);
    } else {
      refusals.push_back(why);
    }
  }
  if (refusals.empty()) {
    verdict.kept_changes.clear();
    return verdict;
  }
  if (verdict.kept_changes.empty()) {
    return stopped(codes::branch_filtered,
                   refusals.size() == 1 ? refusals.front() : "no change passes the filters: " + join(refusals, "; "));
  }
  verdict.reason = join(refusals, "; ");
  return verdict;
}

}  // namespace

std::string kept_changes_note(const filter_verdict& verdict) {
  if (verdict.kept_changes.empty()) return {};
  return std::to_string(verdict.kept_changes.size()) + " of " + std::to_string(verdict.total_changes) +
         " changes pass the filters (" + verdict.reason + ")";
}

filter_verdict apply_filters(const filter_set& filters, std::string_view key, const json& payload) {
  if (filters.empty()) return {};
  const payload_view root(payload);
  if (!filters.actors.empty()) {
    if (const auto why = filters.actors.refusal(actor_names(root["actor"])); !why.empty()) {
      return stopped(codes::actor_filtered, "actor " + why);
    }
  }
  // The catalogue says where each event's branch lives.
  std::string why;
  switch (branch_of(key)) {
    case branch_place::push_changes:
      return filter_push(filters, root["push"]["changes"]);
    case branch_place::pull_request_destination:
      why = ref_refusal({&filters.branches, "destination branch"},
                        root["pullrequest"]["destination"]["branch"]["name"].str());
      break;
    case branch_place::commit_status_refname:
      why = ref_refusal({&filters.branches, "branch"}, root["commit_status"]["refname"].str());
      break;
    case branch_place::none:
      break;
  }
  return why.empty() ? filter_verdict{} : stopped(codes::branch_filtered, why);
}

DISPATCH_COLD ordered_json filter_check_json(std::string_view envelope) {
  const auto refused = [](std::string code, std::string reason) {
    return ordered_json{{"code", std::move(code)}, {"reason", std::move(reason)}};
  };
  auto parsed = parse_json(envelope);
  if (!parsed.ok() || !parsed.value().is_object()) {
    return refused(codes::envelope_invalid,
                   "the check takes {\"filters\":{…},\"branch\"|\"tag\"|\"actor\":\"<name>\"}");
  }
  const auto& request = parsed.value();
  auto filters = parse_filters(request.contains("filters") ? request["filters"] : json());
  if (!filters.ok()) {
    auto answer = refused(filters.error().code, filters.error().message);
    answer["field"] = filters.error().field;
    return answer;
  }
  for (const auto kind : {"branch", "tag", "actor"}) {
    const auto value = request.find(kind);
    if (value == request.end()) continue;
    if (!value->is_string()) return refused(codes::envelope_invalid, std::string(kind) + " must be a string");
    const auto& name = value->get_ref<const std::string&>();
    const auto& set = filters.value();
    const auto& list = std::string_view(kind) == "actor" ? set.actors
                       : std::string_view(kind) == "tag" ? set.tags
                                                         : set.branches;
    const auto why = list.refusal({name});
    if (why.empty()) {
      const auto note = list.empty() ? std::string(" (no ") + kind + " filter)" : "";
      return refused(codes::passes, std::string(kind) + " " + name + " passes" + note);
    }
    return refused(std::string_view(kind) == "actor" ? codes::actor_filtered : codes::branch_filtered,
                   std::string(kind) + " " + why);
  }
  return refused(codes::envelope_invalid, "the check needs a \"branch\", \"tag\" or \"actor\" to try");
}

}  // namespace dispatch
