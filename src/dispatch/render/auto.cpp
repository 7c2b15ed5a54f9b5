#include "dispatch/events.hpp"
#include "dispatch/render/families.hpp"
#include "dispatch/render/generic.hpp"

namespace dispatch {

ordered_json render_auto(std::string_view key, const json& payload) {
  if (key == "repo:push") return render::push(payload);
  if (key.rfind("pullrequest:", 0) == 0) return render::pull_request(key, payload);
  if (key.rfind("issue:", 0) == 0) return render::issue(key, payload);
  if (key == "repo:commit_status_created" || key == "repo:commit_status_updated") {
    return render::commit_status(key, payload);
  }
  if (key == "repo:commit_comment_created" || key == "repo:fork" || key == "repo:updated" || key == "repo:transfer") {
    return render::repository_event(key, payload);
  }
  return render_generic(key, find_event(key), payload);
}

}  // namespace dispatch
