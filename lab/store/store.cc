// In-memory object store with Kubernetes metadata bookkeeping. Mutex-guarded so API handlers
// and controllers may run on different threads.
#include "lab/store/store.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "lab/api/resources.h"

namespace lab::store {

std::string now_rfc3339() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string new_uid() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t a = rng(), b = rng();
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-%04x-%012llx", static_cast<unsigned>(a >> 32),
                static_cast<unsigned>((a >> 16) & 0xffff), static_cast<unsigned>(a & 0xfff),
                static_cast<unsigned>(0x8000 | ((b >> 48) & 0x3fff)),
                static_cast<unsigned long long>(b & 0xffffffffffffULL));
  return buf;
}

std::string Store::key(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + "/" + ns + "/" + name;
}

static std::string ns_of(const Json& obj) {
  return obj["metadata"].value("namespace", std::string());
}

Result<Json> Store::create(Json obj) {
  std::string kind = obj.value("kind", "");
  auto type = api::find_resource_by_kind(kind);
  if (!type) return fail("unknown kind \"" + kind + "\"");
  auto& meta = obj["metadata"];
  if (type->namespaced && !meta.contains("namespace")) meta["namespace"] = "default";
  if (!type->namespaced) meta.erase("namespace");
  std::string name = meta.value("name", "");
  std::lock_guard lock(mu_);
  std::string k = key(kind, ns_of(obj), name);
  if (objects_.contains(k))
    return fail(type->plural + " \"" + name + "\" already exists", kAlreadyExists);
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = now_rfc3339();
  meta["resourceVersion"] = std::to_string(++version_);
  objects_[k] = obj;
  return obj;
}

Result<Json> Store::update(Json obj) {
  std::string kind = obj.value("kind", "");
  std::string name = obj["metadata"].value("name", "");
  std::lock_guard lock(mu_);
  auto it = objects_.find(key(kind, ns_of(obj), name));
  if (it == objects_.end()) return fail(kind + " \"" + name + "\" not found", kNotFound);
  obj["metadata"]["uid"] = it->second["metadata"]["uid"];
  obj["metadata"]["creationTimestamp"] = it->second["metadata"]["creationTimestamp"];
  obj["metadata"]["resourceVersion"] = std::to_string(++version_);
  it->second = obj;
  return obj;
}

Result<Json> Store::get(const std::string& kind, const std::string& ns,
                        const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key(kind, ns, name));
  if (it == objects_.end()) {
    auto type = api::find_resource_by_kind(kind);
    return fail((type ? type->plural : kind) + " \"" + name + "\" not found", kNotFound);
  }
  return it->second;
}

std::vector<Json> Store::list(const std::string& kind, const std::string& ns,
                              const api::Selector& selector) const {
  std::vector<Json> out;
  std::lock_guard lock(mu_);
  std::string prefix = kind + "/";
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    const Json& obj = it->second;
    if (!ns.empty() && ns_of(obj) != ns) continue;
    if (!selector.matches(obj["metadata"].value("labels", Json::object()))) continue;
    out.push_back(obj);
  }
  return out;
}

Result<void> Store::remove(const std::string& kind, const std::string& ns,
                           const std::string& name) {
  std::lock_guard lock(mu_);
  if (objects_.erase(key(kind, ns, name)) == 0)
    return fail(kind + " \"" + name + "\" not found", kNotFound);
  ++version_;
  return {};
}

std::string Store::resource_version() const {
  std::lock_guard lock(mu_);
  return std::to_string(version_);
}

}  // namespace lab::store
