// Object store with Kubernetes metadata bookkeeping, an event log for watches and SQLite
// write-through. Mutex-guarded so API handlers and controllers may run on different threads.
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
  persist(k, &obj);
  record("ADDED", obj);
  return obj;
}

Result<Json> Store::update(Json obj, bool check_version) {
  std::string kind = obj.value("kind", "");
  std::string name = obj["metadata"].value("name", "");
  std::lock_guard lock(mu_);
  std::string k = key(kind, ns_of(obj), name);
  auto it = objects_.find(k);
  if (it == objects_.end()) {
    auto type = api::find_resource_by_kind(kind);
    return fail((type ? type->plural : kind) + " \"" + name + "\" not found", kNotFound);
  }
  if (check_version && obj["metadata"].contains("resourceVersion") &&
      obj["metadata"]["resourceVersion"] != it->second["metadata"]["resourceVersion"]) {
    auto type = api::find_resource_by_kind(kind);
    return fail("Operation cannot be fulfilled on " + (type ? type->plural : kind) + " \"" + name +
                    "\": the object has been modified; please apply your changes to the latest "
                    "version and try again",
                kConflict);
  }
  obj["metadata"]["uid"] = it->second["metadata"]["uid"];
  obj["metadata"]["creationTimestamp"] = it->second["metadata"]["creationTimestamp"];
  obj["metadata"]["resourceVersion"] = std::to_string(++version_);
  it->second = obj;
  persist(k, &obj);
  record("MODIFIED", obj);
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

Result<Json> Store::remove(const std::string& kind, const std::string& ns,
                           const std::string& name) {
  std::lock_guard lock(mu_);
  std::string k = key(kind, ns, name);
  auto it = objects_.find(k);
  if (it == objects_.end()) {
    auto type = api::find_resource_by_kind(kind);
    return fail((type ? type->plural : kind) + " \"" + name + "\" not found", kNotFound);
  }
  Json obj = std::move(it->second);
  objects_.erase(it);
  obj["metadata"]["resourceVersion"] = std::to_string(++version_);
  persist(k, nullptr);
  record("DELETED", obj);
  return obj;
}

uint64_t Store::version() const {
  std::lock_guard lock(mu_);
  return version_;
}

// The log keeps enough history for a watcher that reconnects after a short pause.
static constexpr size_t kEventLogSize = 4096;

void Store::record(const std::string& type, const Json& obj) {
  log_.push_back({type, obj, version_});
  if (log_.size() > kEventLogSize) log_.pop_front();
  changed_.notify_all();
}

std::vector<Event> Store::events_since(uint64_t since, int timeout_ms, bool* expired) const {
  std::unique_lock lock(mu_);
  if (expired) *expired = !log_.empty() && log_.front().version > since + 1 && since < version_;
  changed_.wait_for(lock, std::chrono::milliseconds(timeout_ms), [&] {
    return shutting_down_ || (version_ > since && !log_.empty() && log_.back().version > since);
  });
  std::vector<Event> out;
  for (const auto& e : log_)
    if (e.version > since) out.push_back(e);
  return out;
}

void Store::shutdown() {
  std::lock_guard lock(mu_);
  shutting_down_ = true;
  changed_.notify_all();
}

Store::~Store() {
  if (db_) sqlite3_close(db_);
}

static bool exec_sql(sqlite3* db, const char* sql) {
  return sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK;
}

Result<void> Store::open_file(const std::string& path) {
  std::lock_guard lock(mu_);
  sqlite3* db = nullptr;
  if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
    std::string msg = db ? sqlite3_errmsg(db) : "out of memory";
    if (db) sqlite3_close(db);
    return fail("open store " + path + ": " + msg);
  }
  // WAL + NORMAL: a crash of the daemon loses nothing that was committed; only a power loss
  // could lose the last transactions, and a power loss ends every lab anyway.
  if (!exec_sql(db, "PRAGMA journal_mode=WAL") || !exec_sql(db, "PRAGMA synchronous=NORMAL") ||
      !exec_sql(db, "CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, version INTEGER, "
                    "body TEXT NOT NULL)")) {
    std::string msg = sqlite3_errmsg(db);
    sqlite3_close(db);
    return fail("prepare store " + path + ": " + msg);
  }
  sqlite3_stmt* st = nullptr;
  sqlite3_prepare_v2(db, "SELECT key, version, body FROM objects", -1, &st, nullptr);
  while (st && sqlite3_step(st) == SQLITE_ROW) {
    std::string k = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    uint64_t v = static_cast<uint64_t>(sqlite3_column_int64(st, 1));
    Json body = Json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 2)), nullptr, false);
    if (body.is_discarded()) continue;
    objects_[k] = std::move(body);
    version_ = std::max(version_, v);
  }
  sqlite3_finalize(st);
  db_ = db;
  return {};
}

void Store::persist(const std::string& k, const Json* obj) {
  if (!db_) return;
  sqlite3_stmt* st = nullptr;
  if (obj) {
    sqlite3_prepare_v2(db_, "INSERT OR REPLACE INTO objects (key, version, body) VALUES (?, ?, ?)",
                       -1, &st, nullptr);
    std::string body = obj->dump();
    sqlite3_bind_text(st, 1, k.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, static_cast<sqlite3_int64>(version_));
    sqlite3_bind_text(st, 3, body.c_str(), -1, SQLITE_TRANSIENT);
  } else {
    sqlite3_prepare_v2(db_, "DELETE FROM objects WHERE key = ?", -1, &st, nullptr);
    sqlite3_bind_text(st, 1, k.c_str(), -1, SQLITE_TRANSIENT);
  }
  sqlite3_step(st);
  sqlite3_finalize(st);
}

}  // namespace lab::store
