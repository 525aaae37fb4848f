// Dependents found by the owner-uid index of each dependent kind; owners by the uid index of each
// owner kind. Events of objects that are gone expire after the API server's event TTL (1 h).
#include "lab/controllers/garbage_collector.h"

#include <ctime>

#include "lab/api/json_access.h"
#include "lab/base/clock.h"
#include "lab/base/log.h"

namespace lab::controllers {

GarbageCollector::GarbageCollector(Context& ctx) : Controller("garbage-collector", ctx) {
  // An owner's delete concerns its dependents.
  for (auto* owners : {&ctx.deployments, &ctx.replicasets, &ctx.services})
    owners->add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
      if (old && !cur) queue_.add(api::string_at(api::metadata_of(*old), "uid"));
    });
  // A dependent that appears after its owner went (or at start) is checked too.
  for (auto* dependents : {&ctx.replicasets, &ctx.pods, &ctx.slices})
    dependents->add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
      if (!cur || old) return;
      auto uid = store::index_by_controller(*cur);
      if (!uid.empty() && !uid[0].empty()) queue_.add(uid[0]);
    });
}

std::vector<std::string> GarbageCollector::all_keys() const {
  std::vector<std::string> keys;
  for (const auto* dependents : {&ctx_.replicasets, &ctx_.pods, &ctx_.slices})
    for (const auto& obj : dependents->list()) {
      auto uid = store::index_by_controller(*obj);
      if (!uid.empty() && !uid[0].empty()) keys.push_back(uid[0]);
    }
  return keys;
}

bool GarbageCollector::owner_exists(const std::string& uid) const {
  for (const auto* owners : {&ctx_.deployments, &ctx_.replicasets, &ctx_.services})
    if (owners->count_index(store::kByUid, uid) > 0) return true;
  return false;
}

Result<void> GarbageCollector::sync(const std::string& owner_uid) {
  sweep_events();
  if (owner_uid.empty() || owner_exists(owner_uid)) return {};
  for (auto* dependents : {&ctx_.replicasets, &ctx_.slices, &ctx_.pods}) {
    for (const auto& obj : dependents->by_index(store::kByController, owner_uid)) {
      const Json& meta = api::metadata_of(*obj);
      auto r = ctx_.registry.remove(dependents->kind(), api::string_at(meta, "namespace", "default"),
                                    api::string_at(meta, "name"),
                                    {.grace_seconds = std::nullopt, .uid = api::string_at(meta, "uid")});
      if (!r && r.error().reason != Reason::NotFound && r.error().reason != Reason::Conflict)
        return std::unexpected(r.error());
    }
  }
  return {};
}

void GarbageCollector::sweep_events() {
  // Once a minute at most, since it reads every event.
  auto now = std::chrono::steady_clock::now();
  if (now < next_event_sweep_) return;
  next_event_sweep_ = now + std::chrono::minutes(1);
  const std::string cutoff = rfc3339(std::time(nullptr) - 3600);  // the event TTL
  for (const auto& ev : ctx_.events.list()) {
    const std::string uid = api::string_at(api::member(*ev, "involvedObject"), "uid");
    bool live = owner_exists(uid) || ctx_.pods.count_index(store::kByUid, uid) > 0;
    if (live || api::string_at(*ev, "lastTimestamp") >= cutoff) continue;
    const Json& meta = api::metadata_of(*ev);
    auto r = ctx_.registry.remove("Event", api::string_at(meta, "namespace", "default"), api::string_at(meta, "name"));
    if (!r && r.error().reason != Reason::NotFound)
      log_line("garbage-collector: event " + api::string_at(meta, "name") + ": " + r.error().what());
  }
}

}  // namespace lab::controllers
