// Informer caches and the one thread that feeds them all from the store's event log.
#include "lab/store/informer.h"

#include "lab/api/json_access.h"
#include "lab/base/log.h"
#include "lab/base/parse.h"
#include "lab/base/thread_name.h"

namespace lab::store {

namespace {

uint64_t version_of(const Json& obj) {
  auto v = parse_uint64(api::string_at(api::metadata_of(obj), "resourceVersion"));
  return v ? *v : 0;
}

}  // namespace

std::string Informer::key_of(const Json& obj) {
  const Json& meta = api::metadata_of(obj);
  std::string ns = api::string_at(meta, "namespace");
  return ns.empty() ? api::string_at(meta, "name") : ns + "/" + api::string_at(meta, "name");
}

std::vector<std::string> index_by_namespace(const Json& obj) { return {api::string_at(api::metadata_of(obj), "namespace")}; }

std::vector<std::string> index_by_controller(const Json& obj) {
  auto refs = api::metadata_of(obj).find("ownerReferences");
  if (refs == api::metadata_of(obj).end() || !refs->is_array()) return {};
  for (const auto& ref : *refs)
    if (api::member(ref, "controller") == true) return {api::string_at(ref, "uid")};
  return {};
}

std::vector<std::string> index_by_uid(const Json& obj) { return {api::string_at(api::metadata_of(obj), "uid")}; }

std::vector<std::string> index_by_node(const Json& obj) {
  auto spec = obj.find("spec");
  if (spec == obj.end()) return {};
  std::string node = api::string_at(*spec, "nodeName");
  if (node.empty()) return {};
  return {node};
}

std::vector<std::string> index_by_controller_node(const Json& obj) {
  auto owner = index_by_controller(obj), node = index_by_node(obj);
  if (owner.empty() || node.empty()) return {};
  return {owner.front() + "/" + node.front()};
}

std::vector<std::string> index_by_labels(const Json& obj) {
  std::vector<std::string> out;
  const Json& meta = api::metadata_of(obj);
  auto labels = meta.find("labels");
  if (labels == meta.end() || !labels->is_object()) return out;
  std::string ns = api::string_at(meta, "namespace");
  for (const auto& [k, v] : labels->items())
    if (v.is_string()) out.push_back(ns + "/" + k + "=" + v.get<std::string>());
  return out;
}

void Informer::add_index(const std::string& name, IndexFunc f) {
  std::unique_lock lock(mu_);
  index_funcs_[name] = std::move(f);
  for (const auto& [key, obj] : items_) index_locked(key, *obj, true);
}

void Informer::add_handler(Handler h) {
  std::unique_lock lock(mu_);
  handlers_.push_back(std::move(h));
}

ObjPtr Informer::get(const std::string& ns, const std::string& name) const {
  return get(ns.empty() ? name : ns + "/" + name);
}

ObjPtr Informer::get(const std::string& key) const {
  std::shared_lock lock(mu_);
  auto it = items_.find(key);
  return it == items_.end() ? nullptr : it->second;
}

std::vector<ObjPtr> Informer::list(const std::string& ns) const {
  std::vector<ObjPtr> out;
  std::shared_lock lock(mu_);
  if (ns.empty()) {
    out.reserve(items_.size());
    for (const auto& [key, obj] : items_) out.push_back(obj);
    return out;
  }
  const std::string prefix = ns + "/";
  for (auto it = items_.lower_bound(prefix); it != items_.end() && it->first.starts_with(prefix); ++it)
    out.push_back(it->second);
  return out;
}

std::vector<ObjPtr> Informer::by_index(const std::string& index, const std::string& value) const {
  std::vector<ObjPtr> out;
  std::shared_lock lock(mu_);
  auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return out;
  auto keys = idx->second.find(value);
  if (keys == idx->second.end()) return out;
  out.reserve(keys->second.size());
  for (const auto& key : keys->second)
    if (auto it = items_.find(key); it != items_.end()) out.push_back(it->second);
  return out;
}

size_t Informer::count_index(const std::string& index, const std::string& value) const {
  std::shared_lock lock(mu_);
  auto idx = indexes_.find(index);
  if (idx == indexes_.end()) return 0;
  auto keys = idx->second.find(value);
  return keys == idx->second.end() ? 0 : keys->second.size();
}

size_t Informer::size() const {
  std::shared_lock lock(mu_);
  return items_.size();
}

void Informer::index_locked(const std::string& key, const Json& obj, bool add) {
  for (const auto& [name, f] : index_funcs_) {
    auto& index = indexes_[name];
    for (const auto& value : f(obj)) {
      if (add) {
        index[value].insert(key);
      } else if (auto it = index.find(value); it != index.end()) {
        it->second.erase(key);
        if (it->second.empty()) index.erase(it);
      }
    }
  }
}

void Informer::notify(const ObjPtr& old, const ObjPtr& cur) const {
  for (const auto& h : handlers_) h(old, cur);
}

void Informer::apply(const std::string& type, const ObjPtr& ptr) {
  const Json& obj = *ptr;
  const std::string key = key_of(obj);
  ObjPtr old, cur;
  {
    std::unique_lock lock(mu_);
    auto it = items_.find(key);
    if (it != items_.end()) old = it->second;
    if (type == "DELETED") {
      if (!old || version_of(*old) > version_of(obj)) return;
      index_locked(key, *old, false);
      items_.erase(it);
    } else {
      // Seen already (a relist raced the event), or older than what we hold.
      if (old && version_of(*old) >= version_of(obj)) return;
      cur = ptr;
      if (old) index_locked(key, *old, false);
      index_locked(key, *cur, true);
      items_[key] = cur;
    }
  }
  notify(old, cur);
}

void Informer::replace(const std::vector<Json>& objs) {
  std::map<std::string, ObjPtr> fresh;
  for (const auto& o : objs) fresh[key_of(o)] = std::make_shared<const Json>(o);
  std::vector<std::pair<ObjPtr, ObjPtr>> changes;
  {
    std::unique_lock lock(mu_);
    for (const auto& [key, old] : items_)
      if (!fresh.contains(key)) changes.emplace_back(old, nullptr);
    for (const auto& [key, cur] : fresh) {
      auto it = items_.find(key);
      ObjPtr old = it == items_.end() ? nullptr : it->second;
      if (!old || version_of(*old) != version_of(*cur)) changes.emplace_back(old, cur);
    }
    items_ = std::move(fresh);
    indexes_.clear();
    for (const auto& [key, obj] : items_) index_locked(key, *obj, true);
  }
  for (const auto& [old, cur] : changes) notify(old, cur);
}

Informer& InformerFactory::informer(const std::string& kind) {
  auto& slot = informers_[kind];
  if (!slot) slot = std::make_unique<Informer>(kind);
  return *slot;
}

void InformerFactory::relist() {
  uint64_t version = store_.version();
  for (auto& [kind, inf] : informers_) try {
      inf->replace(store_.list(kind, ""));
    } catch (const std::exception& e) {
      log_line("informers: relist of " + kind + ": " + e.what());
    }
  {
    std::lock_guard lock(sync_mu_);
    synced_ = std::max(synced_.load(), version);
  }
  synced_cv_.notify_all();
}

void InformerFactory::start() {
  relist();
  thread_ = std::thread([this] {
    name_this_thread("informers");
    run();
  });
}

void InformerFactory::stop() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
  synced_cv_.notify_all();
}

void InformerFactory::run() {
  uint64_t seen = synced_.load();
  while (!stop_) {
    bool expired = false;
    auto events = store_.events_since(seen, 200, &expired);
    if (expired) {
      // The log moved past what we saw (a watcher's 410 Gone): start over from a list.
      log_line("informers: event log expired at " + std::to_string(seen) + ", relisting");
      relist();
      seen = synced_.load();
      continue;
    }
    for (const auto& e : events) {
      if (e.version <= seen) continue;
      auto it = informers_.find(api::string_at(*e.object, "kind"));
      // An index or handler that cannot read an object skips that change; it must not end the
      // thread every controller depends on.
      if (it != informers_.end()) try {
          it->second->apply(e.type, e.object);
        } catch (const std::exception& ex) {
          log_line("informers: skipped a change of " + Informer::key_of(*e.object) + ": " + ex.what());
        }
      seen = e.version;
    }
    {
      std::lock_guard lock(sync_mu_);
      synced_ = seen;
    }
    synced_cv_.notify_all();
  }
}

bool InformerFactory::wait_synced(uint64_t v, int timeout_ms) const {
  std::unique_lock lock(sync_mu_);
  return synced_cv_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                             [&] { return synced_.load() >= v || stop_.load(); }) &&
         synced_.load() >= v;
}

}  // namespace lab::store
