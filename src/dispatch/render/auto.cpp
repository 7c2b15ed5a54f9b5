#include "dispatch/events.hpp"
#include "dispatch/render/families.hpp"
#include "dispatch/render/generic.hpp"

namespace dispatch {
namespace {

// The repository family renders each of its keys its own way.
struct repository_route {
  std::string_view key;
  ordered_json (*render)(std::string_view key, const json& payload);
};

constexpr repository_route repository_routes[] = {
    {"repo:commit_comment_created", render::commit_comment},
    {"repo:fork", render::fork},
    {"repo:updated", render::repository_updated},
    {"repo:transfer", render::transfer},
};

}  // namespace

// The renderer is the one the event's family names in the catalogue (events.cpp).
ordered_json render_auto(std::string_view key, const json& payload) {
  switch (family_of(key)) {
    case event_family::push:
      return render::push(key, payload);
    case event_family::pull_request:
      return render::pull_request(key, payload);
    case event_family::issue:
      return render::issue(key, payload);
    case event_family::commit_status:
      return render::commit_status(key, payload);
    case event_family::repository:
      for (const auto& route : repository_routes) {
        if (route.key == key) return route.render(key, payload);
      }
      break;
    case event_family::generic:
      break;
  }
  return render_generic(key, find_event(key), payload);
}

}  // namespace dispatch
