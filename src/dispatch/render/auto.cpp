#include "dispatch/events.hpp"
#include "dispatch/render/families.hpp"
#include "dispatch/render/generic.hpp"

namespace dispatch {
namespace {

// Which renderer takes which event keys: the one place that says so. `prefix` matches a family of keys.
struct route {
  std::string_view key;
  bool prefix;
  ordered_json (*render)(std::string_view key, const json& payload);
};

constexpr route routes[] = {
    {"repo:push", false, render::push},
    {"pullrequest:", true, render::pull_request},
    {"issue:", true, render::issue},
    {"repo:commit_status_created", false, render::commit_status},
    {"repo:commit_status_updated", false, render::commit_status},
    {"repo:commit_comment_created", false, render::commit_comment},
    {"repo:fork", false, render::fork},
    {"repo:updated", false, render::repository_updated},
    {"repo:transfer", false, render::transfer},
};

}  // namespace

ordered_json render_auto(std::string_view key, const json& payload) {
  for (const auto& entry : routes) {
    if (entry.prefix ? key.rfind(entry.key, 0) == 0 : key == entry.key) return entry.render(key, payload);
  }
  return render_generic(key, find_event(key), payload);
}

}  // namespace dispatch
