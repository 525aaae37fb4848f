// Event recording with client-go's correlation: same object, reason and message -> count + 1.
// Events are ordinary store objects, so `get events` and `describe` read them like any other.
#include "lab/controllers/events.h"

#include <cstdio>
#include <random>

namespace lab::controllers {

void record_event(store::Store& st, const nlohmann::json& object, const std::string& type,
                  const std::string& reason, const std::string& message,
                  const std::string& component, const std::string& host) {
  const auto& meta = object["metadata"];
  std::string ns = meta.value("namespace", "default");
  std::string uid = meta.value("uid", "");
  std::string now = store::now_rfc3339();
  for (auto ev : st.list("Event", ns)) {
    if (ev["involvedObject"].value("uid", "") == uid && ev.value("reason", "") == reason &&
        ev.value("message", "") == message) {
      ev["count"] = ev.value("count", 1) + 1;
      ev["lastTimestamp"] = now;
      (void)st.update(ev);
      return;
    }
  }
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(rng()));
  nlohmann::json source = {{"component", component}};
  if (!host.empty()) source["host"] = host;
  nlohmann::json ev = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", meta.value("name", "") + "." + suffix}, {"namespace", ns}}},
      {"involvedObject",
       {{"kind", object.value("kind", "")},
        {"apiVersion", object.value("apiVersion", "v1")},
        {"name", meta.value("name", "")},
        {"namespace", ns},
        {"uid", uid}}},
      {"reason", reason},
      {"message", message},
      {"type", type},
      {"count", 1},
      {"firstTimestamp", now},
      {"lastTimestamp", now},
      {"source", source},
      {"reportingComponent", component}};
  (void)st.create(ev);
}

}  // namespace lab::controllers
