#include "lab/controllers/namespace.h"

#include <algorithm>

#include "lab/api/json_access.h"
#include "lab/api/objects.h"
#include "lab/api/resources.h"
#include "lab/base/clock.h"

namespace lab::controllers {

namespace {

// The finalizer the namespace controller owns (spec.finalizers, FinalizerKubernetes).
constexpr const char* kFinalizer = "kubernetes";

bool terminating(const ObjPtr& ns) { return ns && api::is_terminating(*ns); }

Json condition(const std::string& type, bool status, const std::string& reason, const std::string& message) {
  return {{"type", type}, {"status", status ? "True" : "False"}, {"reason", reason}, {"message", message}};
}

// "a, b" of "key<sep>count<suffix>" for each entry.
std::string listing(const std::map<std::string, int>& counts, const std::string& sep, const std::string& suffix) {
  std::string out;
  for (const auto& [key, n] : counts) out += (out.empty() ? "" : ", ") + key + sep + std::to_string(n) + suffix;
  return out;
}

}  // namespace

Json namespace_deletion_conditions(const std::map<std::string, int>& remaining,
                                   const std::map<std::string, int>& finalizers,
                                   const std::vector<std::string>& failures, const Json& had,
                                   const std::string& now) {
  std::string failed;
  for (const auto& f : failures) failed += (failed.empty() ? "" : ", ") + f;
  Json out = Json::array({
      condition("NamespaceDeletionDiscoveryFailure", false, "ResourcesDiscovered", "All resources successfully discovered"),
      condition("NamespaceDeletionGroupVersionParsingFailure", false, "ParsedGroupVersions",
                "All legacy kube types successfully parsed"),
      failures.empty()
          ? condition("NamespaceDeletionContentFailure", false, "ContentDeleted",
                      "All content successfully deleted, may be waiting on finalization")
          : condition("NamespaceDeletionContentFailure", true, "ContentDeletionFailed",
                      "Failed to delete all resource types, " + std::to_string(failures.size()) +
                          " remaining: " + failed),
      remaining.empty()
          ? condition("NamespaceContentRemaining", false, "ContentRemoved", "All content successfully removed")
          : condition("NamespaceContentRemaining", true, "SomeResourcesRemain",
                      "Some resources are remaining: " + listing(remaining, " has ", " resource instances")),
      finalizers.empty()
          ? condition("NamespaceFinalizersRemaining", false, "ContentHasNoFinalizers",
                      "All content-preserving finalizers finished")
          : condition("NamespaceFinalizersRemaining", true, "SomeFinalizersRemain",
                      "Some content in the namespace has finalizers remaining: " +
                          listing(finalizers, " in ", " resource instances")),
  });
  for (auto& c : out) {
    c["lastTransitionTime"] = now;
    if (!had.is_array()) continue;
    for (const auto& old : had)
      if (api::member(old, "type") == c["type"] && api::member(old, "status") == c["status"] &&
          api::member(old, "lastTransitionTime").is_string())
        c["lastTransitionTime"] = old["lastTransitionTime"];
  }
  return out;
}

NamespaceController::NamespaceController(Context& ctx)
    : Controller("namespace-controller", ctx), namespaces_(ctx.informers.informer("Namespace")) {
  namespaces_.add_handler([this](const ObjPtr&, const ObjPtr& cur) {
    if (terminating(cur)) queue_.add(api::string_at(api::metadata_of(*cur), "name"));
  });
  // What it waits for: an object of a namespace being deleted going (a pod after its grace
  // period), or changing while being deleted itself (a finalizer removed).
  for (const auto& t : api::resource_types()) {
    if (!t.namespaced) continue;
    ctx.informers.informer(t.kind).add_handler([this](const ObjPtr& old, const ObjPtr& cur) {
      if (cur && !api::is_terminating(*cur)) return;
      const std::string ns = api::string_at(api::metadata_of(cur ? *cur : *old), "namespace");
      if (terminating(namespaces_.get(ns))) queue_.add(ns);
    });
  }
}

std::vector<std::string> NamespaceController::all_keys() const {
  return keys_of(namespaces_, [](const Json& ns) { return api::is_terminating(ns); });
}

Result<void> NamespaceController::sync(const std::string& name) {
  auto ns = namespaces_.get(name);
  const auto held = terminating(ns) ? api::spec_finalizers_of(*ns) : std::vector<std::string>();
  if (std::find(held.begin(), held.end(), kFinalizer) == held.end()) return {};
  auto& st = ctx_.registry.store();
  // Deleted through the registry as the API would: workloads first, then everything else.
  std::vector<std::string> failures;
  for (bool owners : {true, false})
    for (const auto& t : api::resource_types()) {
      if (!t.namespaced || owners != (t.kind == "Deployment" || t.kind == "ReplicaSet")) continue;
      for (const auto& obj : st.list(t.kind, name)) {
        if (api::is_terminating(obj)) continue;
        const Json& meta = api::metadata_of(obj);
        auto r = ctx_.registry.remove(t.kind, name, api::string_at(meta, "name"),
                                      {.grace_seconds = std::nullopt, .uid = api::string_at(meta, "uid")});
        if (!r && r.error().reason != Reason::NotFound && r.error().reason != Reason::Conflict)
          failures.push_back(r.error().message);
      }
    }
  // What is left: pods in their grace period, objects waiting for their finalizers.
  std::map<std::string, int> remaining, finalizers;
  for (const auto& t : api::resource_types()) {
    if (!t.namespaced) continue;
    for (const auto& obj : st.list(t.kind, name)) {
      remaining[t.plural + "." + t.group]++;
      for (const auto& f : api::finalizers_of(obj)) finalizers[f]++;
    }
  }
  const Json& status = api::member(*ns, "status");
  Json conditions = namespace_deletion_conditions(remaining, finalizers, failures,
                                                  api::member(status, "conditions"), now_rfc3339());
  Json current = *ns;
  if (api::member(status, "conditions") != conditions) {
    current["status"]["conditions"] = std::move(conditions);
    auto written = ctx_.registry.update_status(std::move(current));
    if (!written) return std::unexpected(written.error());
    current = std::move(*written);
  }
  if (!failures.empty()) return fail("delete the content of namespace " + name + ": " + failures.front(), EIO);
  if (!remaining.empty()) return {};  // their informers' handlers wake it again
  // Empty: our finalizer goes, and with it the namespace (when it was the last one).
  Json kept = Json::array();
  for (const auto& f : held)
    if (f != kFinalizer) kept.push_back(f);
  current["spec"]["finalizers"] = std::move(kept);
  auto r = ctx_.registry.finalize_namespace(std::move(current));
  if (!r && r.error().reason != Reason::NotFound) return std::unexpected(r.error());
  return {};
}

}  // namespace lab::controllers
