// Event recording with client-go's correlation: same object, reason and message -> count + 1.
// Events are ordinary store objects, so `get events` and `describe` read them like any other.
#include "lab/controllers/events.h"

#include <cstdio>

#include "lab/base/clock.h"

namespace lab::controllers {

void record_event(store::Store& st, const nlohmann::json& object, const std::string& type,
                  const std::string& reason, const std::string& message,
                  const std::string& component, const std::string& host) {
  const auto& meta = object["metadata"];
  std::string ns = meta.value("namespace", "default");
  std::string uid = meta.value("uid", "");
  std::string now = now_rfc3339();
  // The name is derived from what correlates events (object, reason, message), so a repeat is a
  // lookup, not a scan of every event.
  uint64_t h = 1469598103934665603ull;
  for (const std::string* part : std::initializer_list<const std::string*>{&uid, &reason, &message})
    for (unsigned char c : *part + "\x1f") h = (h ^ c) * 1099511628211ull;
  char suffix[20];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(h));
  std::string name = meta.value("name", "") + "." + suffix;
  if (auto ev = st.get("Event", ns, name)) {
    (*ev)["count"] = ev->value("count", 1) + 1;
    (*ev)["lastTimestamp"] = now;
    (void)st.update(*ev);
    return;
  }
  nlohmann::json source = {{"component", component}};
  if (!host.empty()) source["host"] = host;
  nlohmann::json ev = {
      {"apiVersion", "v1"},
      {"kind", "Event"},
      {"metadata", {{"name", name}, {"namespace", ns}}},
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
