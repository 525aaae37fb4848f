// Object store with Kubernetes metadata bookkeeping, an event log for watches and SQLite
// write-through. Mutex-guarded so API handlers and controllers may run on different threads.
#include "lab/store/store.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>

#include "lab/base/clock.h"
#include "lab/base/ids.h"
#include "lab/api/json_access.h"
#include "lab/api/resources.h"

namespace lab::store {

std::string Store::key(const std::string& kind, const std::string& ns, const std::string& name) {
  return kind + "/" + ns + "/" + name;
}

// Objects reach the store from code and from SQLite; neither may make a lookup throw.
static std::string ns_of(const Json& obj) { return api::string_at(api::metadata_of(obj), "namespace"); }

namespace {

std::string not_found(const std::string& kind, const std::string& name) {
  auto type = api::find_resource_by_kind(kind);
  return (type ? type->group_resource() : kind) + " \"" + name + "\" not found";
}

}  // namespace

std::string conflict_message(const std::string& kind, const std::string& name) {
  auto type = api::find_resource_by_kind(kind);
  return "Operation cannot be fulfilled on " + (type ? type->group_resource() : kind) + " \"" + name +
         "\": the object has been modified; please apply your changes to the latest version and "
         "try again";
}

Result<Json> Store::create(Json obj, bool dry_run) {
  std::string kind = api::string_at(obj, "kind");
  auto type = api::find_resource_by_kind(kind);
  if (!type) return fail_api(Reason::BadRequest, "unknown kind \"" + kind + "\"");
  if (!obj.contains("metadata") || !obj["metadata"].is_object()) obj["metadata"] = Json::object();
  auto& meta = obj["metadata"];
  if (type->namespaced && api::string_at(meta, "namespace").empty()) meta["namespace"] = "default";
  if (!type->namespaced) meta.erase("namespace");
  std::string name = api::string_at(meta, "name");
  std::unique_lock lock(mu_);
  std::string k = key(kind, ns_of(obj), name);
  if (objects_.contains(k))
    return fail_api(Reason::AlreadyExists, type->group_resource() + " \"" + name + "\" already exists");
  meta["uid"] = new_uid();
  meta["creationTimestamp"] = now_rfc3339();
  if (dry_run) return obj;  // as stored, but for the version: nothing is
  meta["resourceVersion"] = std::to_string(version_ + 1);
  LAB_TRY(persist(k, version_ + 1, &obj));
  ++version_;
  auto stored = std::make_shared<const Json>(std::move(obj));
  objects_[k] = stored;
  Wake wake = record("ADDED", stored);
  lock.unlock();
  wake.fire();
  return *stored;
}

Result<Json> Store::update(Json obj) {
  std::string kind = api::string_at(obj, "kind");
  if (!obj.contains("metadata") || !obj["metadata"].is_object())
    return fail_api(Reason::BadRequest, "metadata: Required value");
  std::string name = api::string_at(obj["metadata"], "name");
  std::unique_lock lock(mu_);
  std::string k = key(kind, ns_of(obj), name);
  auto it = objects_.find(k);
  if (it == objects_.end()) return fail_api(Reason::NotFound, not_found(kind, name));
  const Json& meta = obj["metadata"];
  if (auto rv = meta.find("resourceVersion");
      rv != meta.end() && !(rv->is_string() && rv->get<std::string>().empty()) &&
      *rv != api::member(api::metadata_of(*it->second), "resourceVersion"))
    return fail_api(Reason::Conflict, conflict_message(kind, name));
  const Json& stored_meta = api::metadata_of(*it->second);
  obj["metadata"]["uid"] = api::member(stored_meta, "uid");
  obj["metadata"]["creationTimestamp"] = api::member(stored_meta, "creationTimestamp");
  obj["metadata"]["resourceVersion"] = std::to_string(version_ + 1);
  LAB_TRY(persist(k, version_ + 1, &obj));
  ++version_;
  auto stored = std::make_shared<const Json>(std::move(obj));
  it->second = stored;
  Wake wake = record("MODIFIED", stored);
  lock.unlock();
  wake.fire();
  return *stored;
}

Result<Json> Store::get(const std::string& kind, const std::string& ns,
                        const std::string& name) const {
  auto found = find(kind, ns, name);
  if (!found) return std::unexpected(found.error());
  return **found;
}

Result<ObjPtr> Store::find(const std::string& kind, const std::string& ns, const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = objects_.find(key(kind, ns, name));
  if (it == objects_.end()) return fail_api(Reason::NotFound, not_found(kind, name));
  return it->second;
}

std::vector<Json> Store::list(const std::string& kind, const std::string& ns,
                              const api::Selector& selector) const {
  const View v = view(kind, ns, selector);
  std::vector<Json> out;
  out.reserve(v.objects.size());
  for (const auto& obj : v.objects) out.push_back(*obj);  // copied outside mu_
  return out;
}

Store::View Store::view(const std::string& kind, const std::string& ns, const api::Selector& selector) const {
  View out;
  std::lock_guard lock(mu_);
  out.version = version_;
  std::string prefix = kind + "/";
  for (auto it = objects_.lower_bound(prefix); it != objects_.end(); ++it) {
    if (it->first.compare(0, prefix.size(), prefix) != 0) break;
    const Json& obj = *it->second;
    if (!ns.empty() && ns_of(obj) != ns) continue;
    if (!selector.matches(api::member(api::metadata_of(obj), "labels"))) continue;
    out.objects.push_back(it->second);
  }
  return out;
}

Result<Json> Store::remove(const std::string& kind, const std::string& ns,
                           const std::string& name, const std::string& uid) {
  std::unique_lock lock(mu_);
  std::string k = key(kind, ns, name);
  auto it = objects_.find(k);
  if (it == objects_.end()) return fail_api(Reason::NotFound, not_found(kind, name));
  if (!uid.empty() && api::string_at(api::metadata_of(*it->second), "uid") != uid)
    return fail_api(Reason::Conflict, conflict_message(kind, name));
  LAB_TRY(persist(k, version_ + 1, nullptr));
  ++version_;
  Json obj = *it->second;
  objects_.erase(it);
  obj["metadata"]["resourceVersion"] = std::to_string(version_);
  auto gone = std::make_shared<const Json>(std::move(obj));
  Wake wake = record("DELETED", gone);
  lock.unlock();
  wake.fire();
  return *gone;
}

uint64_t Store::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

// The log keeps enough history for a watcher that reconnects after a short pause.
static constexpr size_t kEventLogSize = 4096;

namespace {
thread_local uint64_t t_last_write = 0;
}  // namespace

uint64_t Store::last_write_on_this_thread() { return t_last_write; }

Store::Wake Store::record(const std::string& type, ObjPtr obj) {
  Wake wake;
  t_last_write = version_;
  const std::string kind = api::string_at(*obj, "kind");
  log_.push_back({type, std::move(obj), version_});
  if (log_.size() > kEventLogSize) {
    wake.evicted = std::move(log_.front());
    log_.pop_front();
  }
  kind_version_[kind] = version_;
  wake.all = &changed_;
  // The map's nodes stay put (never erased), so the pointer outlives the lock.
  if (auto it = kind_changed_.find(kind); it != kind_changed_.end()) wake.kind = &it->second;
  return wake;
}

void Store::Wake::fire() {
  if (all) all->notify_all();
  if (kind) kind->notify_all();
  evicted.reset();
}

// True when changes after since are no longer all in the log (the watcher must relist).
static bool aged_out(const std::deque<Event>& log, uint64_t since, uint64_t version) {
  return !log.empty() && log.front().version > since + 1 && since < version;
}

std::deque<Event>::const_iterator Store::first_after(uint64_t since) const {
  return std::partition_point(log_.begin(), log_.end(), [&](const Event& e) { return e.version <= since; });
}

std::vector<Event> Store::events_since(uint64_t since, int timeout_ms, bool* expired) const {
  std::unique_lock lock(mu_);
  if (expired) *expired = aged_out(log_, since, version_);
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return shutting_down_ || (version_ > since && !log_.empty() && log_.back().version > since);
  });
  return std::vector<Event>(first_after(since), log_.end());
}

Store::KindEvents Store::events_of_kind(const std::string& kind, uint64_t since, int timeout_ms,
                                        const std::atomic<bool>* cancel) const {
  std::unique_lock lock(mu_);
  KindEvents out;
  out.expired = aged_out(log_, since, version_);
  kind_changed_[kind].wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    auto v = kind_version_.find(kind);
    return shutting_down_ || (cancel && cancel->load()) || (v != kind_version_.end() && v->second > since);
  });
  for (auto it = first_after(since); it != log_.end(); ++it)
    if (api::string_at(*it->object, "kind") == kind) out.events.push_back(*it);
  out.through = std::max(since, version_);
  return out;
}

void Store::wake_watchers() const {
  // Under mu_: a waiter has either seen its flag already or is waiting and gets this.
  std::lock_guard lock(mu_);
  for (auto& [kind, cv] : kind_changed_) cv.notify_all();
}

void Store::shutdown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  changed_.notify_all();
  for (auto& [kind, cv] : kind_changed_) cv.notify_all();
}

static bool exec_sql(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

Result<void> Store::open_file(const std::string& path) {
  std::lock_guard lock(mu_);
  sqlite3* raw = nullptr;
  const int opened = sqlite3_open(path.c_str(), &raw);
  std::unique_ptr<sqlite3, CloseDb> db(raw);  // sqlite3_open may hand back a handle even on failure
  if (opened != SQLITE_OK) return fail("open store " + path + ": " + (db ? sqlite3_errmsg(db.get()) : "out of memory"));
  // WAL + NORMAL: a crash of the daemon loses nothing that was committed; only a power loss
  // could lose the last transactions, and a power loss ends every lab anyway.
  if (!exec_sql(db.get(), "PRAGMA journal_mode=WAL") || !exec_sql(db.get(), "PRAGMA synchronous=NORMAL") ||
      !exec_sql(db.get(), "CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, version INTEGER, "
                          "body TEXT NOT NULL)"))
    return fail("prepare store " + path + ": " + sqlite3_errmsg(db.get()));
  auto prepare = [&](const char* sql) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db.get(), sql, -1, &st, nullptr) != SQLITE_OK) sqlite3_finalize(st), st = nullptr;
    return Statement(st);
  };
  // An upsert updates the row in place; INSERT OR REPLACE deleted and reinserted it (73 against
  // 29 us a slice-sized write, measured on /run).
  Statement upsert = prepare(
      "INSERT INTO objects (key, version, body) VALUES (?, ?, ?) "
      "ON CONFLICT(key) DO UPDATE SET version = excluded.version, body = excluded.body");
  Statement erase = prepare("DELETE FROM objects WHERE key = ?");
  Statement select = prepare("SELECT key, version, body FROM objects");
  if (!upsert || !erase || !select) return fail("prepare store " + path + ": " + sqlite3_errmsg(db.get()));
  while (sqlite3_step(select.get()) == SQLITE_ROW) {
    const auto* key_text = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 0));
    const auto* body_text = reinterpret_cast<const char*>(sqlite3_column_text(select.get(), 2));
    if (!key_text || !body_text) continue;
    std::string k = key_text;
    uint64_t v = static_cast<uint64_t>(sqlite3_column_int64(select.get(), 1));
    Json body = Json::parse(body_text, nullptr, false);
    if (!body.is_object() || !body.contains("metadata") || !body["metadata"].is_object()) continue;
    objects_[k] = std::make_shared<const Json>(std::move(body));
    version_ = std::max(version_, v);
  }
  select.reset();
  // Statements before the database: a reopen finalizes the old ones while their database lives.
  upsert_.reset();
  erase_.reset();
  db_ = std::move(db);
  upsert_ = std::move(upsert);
  erase_ = std::move(erase);
  return {};
}

Result<void> Store::persist(const std::string& k, uint64_t version, const Json* obj) {
  if (!db_) return {};
  sqlite3_stmt* st = obj ? upsert_.get() : erase_.get();
  std::string body = obj ? obj->dump(-1, ' ', false, Json::error_handler_t::replace) : "";
  // SQLITE_STATIC: the key and body outlive the step; the bindings are cleared after it.
  int rc = sqlite3_bind_text(st, 1, k.c_str(), static_cast<int>(k.size()), SQLITE_STATIC);
  if (obj && rc == SQLITE_OK) rc = sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(version));
  if (obj && rc == SQLITE_OK) rc = sqlite3_bind_text(st, 3, body.c_str(), static_cast<int>(body.size()), SQLITE_STATIC);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc != SQLITE_DONE)
    return fail_api(Reason::InternalError, std::string("store: write ") + k + ": " + sqlite3_errmsg(db_.get()));
  return {};
}

}  // namespace lab::store
