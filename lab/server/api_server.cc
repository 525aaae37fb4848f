// Routing of /api/v1/... and /apis/GROUP/VERSION/... to the store, with the API conventions a
// kubectl expects: generation bumps on spec changes, graceful pod deletion, watch event frames.
#include "lab/server/api_server.h"

#include <poll.h>
#include <sys/socket.h>

#include <sstream>
#include <thread>
#include <vector>

#include "lab/api/labels.h"
#include "lab/api/objects.h"
#include "lab/api/resources.h"
#include "lab/cluster/lab_record.h"
#include "lab/controllers/replicaset.h"

namespace lab::server {

using Json = nlohmann::json;

Json status_object(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"}, {"apiVersion", "v1"}, {"metadata", Json::object()},
          {"status", "Failure"}, {"message", message}, {"reason", reason}, {"code", code}};
}

namespace {

HttpResponse error_response(int code, const std::string& reason, const std::string& msg) {
  return {code, status_object(code, reason, msg).dump()};
}

HttpResponse from_error(const Error& e) {
  switch (e.reason) {
    case Reason::BadRequest: return error_response(400, "BadRequest", e.message);
    case Reason::NotFound: return error_response(404, "NotFound", e.message);
    case Reason::MethodNotAllowed: return error_response(405, "MethodNotAllowed", e.message);
    case Reason::AlreadyExists: return error_response(409, "AlreadyExists", e.message);
    case Reason::Conflict: return error_response(409, "Conflict", e.message);
    case Reason::Gone: return error_response(410, "Expired", e.message);
    case Reason::RequestEntityTooLarge: return error_response(413, "RequestEntityTooLarge", e.message);
    case Reason::Invalid: return error_response(422, "Invalid", e.message);
    case Reason::InternalError:
    case Reason::None: break;
  }
  return error_response(500, "InternalError", e.what());
}

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  std::string part;
  while (std::getline(ss, part, '/'))
    if (!part.empty()) parts.push_back(part);
  return parts;
}

struct Route {
  std::optional<api::ResourceType> type;
  std::string ns, name, subresource;
  bool ok = false;
  bool cluster_wide = false;
};

Route route(const std::string& path) {
  Route r;
  auto parts = split_path(path);
  size_t i;
  std::string group, version;
  if (parts.size() >= 2 && parts[0] == "api") {
    version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    group = parts[1];
    version = parts[2];
    i = 3;
  } else {
    return r;
  }
  if (i + 1 < parts.size() && parts[i] == "namespaces") {
    r.ns = parts[i + 1];
    i += 2;
  } else {
    r.cluster_wide = true;
  }
  if (i >= parts.size()) return r;
  auto type = api::find_resource(parts[i]);
  if (!type || type->plural != parts[i] || type->group != group || type->version != version) return r;
  r.type = type;
  if (i + 1 < parts.size()) r.name = parts[i + 1];
  if (i + 2 < parts.size()) r.subresource = parts[i + 2];
  if (!type->namespaced) r.ns.clear();
  r.ok = true;
  return r;
}

// Whether the client has gone away (a watch has nothing else to notice it by).
bool peer_closed(int fd) {
  pollfd p{fd, POLLRDHUP, 0};
  return ::poll(&p, 1, 0) == 1 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

// metadata.generation counts spec changes, so controllers and `rollout status` can tell an
// observed spec from a new one.
void bump_generation(Json& obj, const Json& old) {
  int gen = old["metadata"].value("generation", 1);
  obj["metadata"]["generation"] = obj.value("spec", Json()) != old.value("spec", Json()) ? gen + 1 : gen;
}

}  // namespace

HttpResponse ApiServer::handle(const HttpRequest& req) {
  if (req.path == "/version")
    return {200, Json{{"major", "1"}, {"minor", "31"}, {"gitVersion", "v1.31.0-lab"},
                      {"platform", "linux/amd64"}}.dump()};
  if (req.path == "/healthz" || req.path == "/readyz") return {200, "ok", "text/plain"};
  Route r = route(req.path);
  if (!r.ok)
    return error_response(404, "NotFound", "the server could not find the requested resource");
  const auto& type = *r.type;

  if (req.method == "GET" && r.name.empty()) {
    api::Selector selector;
    if (auto it = req.query.find("labelSelector"); it != req.query.end()) {
      auto sel = api::Selector::parse(it->second);
      if (!sel) return error_response(400, "BadRequest", sel.error().message);
      selector = std::move(*sel);
    }
    Json items = Json::array();
    for (auto& obj : store_.list(type.kind, r.ns, selector)) items.push_back(std::move(obj));
    return {200, Json{{"apiVersion", type.api_version()},
                      {"kind", type.kind + "List"},
                      {"metadata", {{"resourceVersion", store_.resource_version()}}},
                      {"items", items}}.dump()};
  }
  if (req.method == "GET") {
    auto obj = store_.get(type.kind, r.ns, r.name);
    return obj ? HttpResponse{200, obj->dump()} : from_error(obj.error());
  }
  if (req.method == "POST" && r.name.empty()) {
    Json obj = Json::parse(req.body, nullptr, false);
    if (!obj.is_object()) return error_response(400, "BadRequest", "request body is not a JSON object");
    obj["kind"] = type.kind;
    obj["apiVersion"] = type.api_version();
    if (type.namespaced) obj["metadata"]["namespace"] = r.ns.empty() ? "default" : r.ns;
    if (obj["metadata"].value("name", "").empty())
      return error_response(422, "Invalid", type.kind + " \"\" is invalid: metadata.name: Required value: name is required");
    obj["metadata"]["generation"] = 1;
    obj["metadata"].erase("uid");
    obj["metadata"].erase("resourceVersion");
    if (type.kind == "Pod") obj["status"] = {{"phase", "Pending"}};
    std::unique_lock alloc(alloc_mu_, std::defer_lock);
    if (type.kind == "Service") {
      alloc.lock();
      auto allocated = allocate_service(store_, obj, nullptr, ranges_);
      if (!allocated) return from_error(allocated.error());
      obj = std::move(*allocated);
      obj["status"] = {{"loadBalancer", Json::object()}};
    }
    auto created = store_.create(obj);
    return created ? HttpResponse{201, created->dump()} : from_error(created.error());
  }
  if ((req.method == "PUT" || req.method == "PATCH") && !r.name.empty()) {
    auto old = store_.get(type.kind, r.ns, r.name);
    if (!old) return from_error(old.error());
    Json body = Json::parse(req.body, nullptr, false);
    if (body.is_discarded()) return error_response(400, "BadRequest", "request body is not JSON");
    Json obj;
    if (req.method == "PATCH") {
      obj = *old;
      obj.merge_patch(body);  // RFC 7386, what `kubectl patch --type merge` sends
    } else {
      obj = body;
      obj["kind"] = type.kind;
      obj["apiVersion"] = type.api_version();
      // Replacing the spec keeps what the server owns: identity and status.
      for (const char* k : {"uid", "creationTimestamp", "ownerReferences", "generateName"})
        if ((*old)["metadata"].contains(k) && !obj["metadata"].contains(k)) obj["metadata"][k] = (*old)["metadata"][k];
      if (!obj.contains("status") && old->contains("status")) obj["status"] = (*old)["status"];
    }
    obj["metadata"]["name"] = r.name;
    if (type.namespaced) obj["metadata"]["namespace"] = r.ns;
    bump_generation(obj, *old);
    std::unique_lock alloc(alloc_mu_, std::defer_lock);
    if (type.kind == "Service") {
      alloc.lock();
      auto allocated = allocate_service(store_, obj, *old, ranges_);
      if (!allocated) return from_error(allocated.error());
      obj = std::move(*allocated);
    }
    auto updated = store_.update(obj);
    return updated ? HttpResponse{200, updated->dump()} : from_error(updated.error());
  }
  if (req.method == "DELETE" && !r.name.empty()) {
    auto obj = store_.get(type.kind, r.ns, r.name);
    if (!obj) return from_error(obj.error());
    if (type.kind == "Pod") {
      // Graceful: the kubelet stops the pod and removes the object when it is gone.
      int grace = -1;
      if (auto it = req.query.find("gracePeriodSeconds"); it != req.query.end()) grace = std::atoi(it->second.c_str());
      auto marked = controllers::mark_pod_deleted(store_, *obj, grace);
      return marked ? HttpResponse{200, marked->dump()} : from_error(marked.error());
    }
    auto removed = store_.remove(type.kind, r.ns, r.name);
    if (!removed) return from_error(removed.error());
    return {200, Json{{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Success"},
                      {"details", {{"name", r.name}, {"kind", type.plural}, {"uid", (*obj)["metadata"]["uid"]}}}}.dump()};
  }
  return error_response(405, "MethodNotAllowed", "the server does not allow this method on the requested resource");
}

void ApiServer::serve(int fd, const HttpRequest& req, const std::atomic<bool>& stop) {
  Route r = route(req.path);
  auto q = [&](const char* k) {
    auto it = req.query.find(k);
    return it == req.query.end() ? std::string() : it->second;
  };
  if (req.method == "GET" && r.ok && r.name.empty() && (q("watch") == "true" || q("watch") == "1")) {
    watch(fd, r.type->kind, r.ns, req, stop);
    return;
  }
  if (req.method == "GET" && r.ok && r.type->kind == "Pod" && r.subresource == "log") {
    logs(fd, r.ns, r.name, req, stop);
    return;
  }
  (void)write_response(fd, handle(req));
}

void ApiServer::watch(int fd, const std::string& kind, const std::string& ns, const HttpRequest& req,
                      const std::atomic<bool>& stop) {
  api::Selector selector;
  if (auto it = req.query.find("labelSelector"); it != req.query.end()) {
    auto sel = api::Selector::parse(it->second);
    if (!sel) {
      (void)write_response(fd, error_response(400, "BadRequest", sel.error().message));
      return;
    }
    selector = std::move(*sel);
  }
  uint64_t since = store_.version();
  if (auto it = req.query.find("resourceVersion"); it != req.query.end() && !it->second.empty())
    since = std::stoull(it->second);
  if (!write_stream_head(fd, 200, "application/json")) return;
  while (!stop && !peer_closed(fd)) {
    bool expired = false;
    auto events = store_.events_since(since, 500, &expired);
    if (expired) {
      // The changes since that version are no longer kept: say so, as the API server's 410, so
      // the client relists instead of silently missing them.
      (void)write_chunk(fd, Json{{"type", "ERROR"},
                                 {"object", status_object(410, "Expired", "too old resource version: " +
                                                                              std::to_string(since))}}.dump() + "\n");
      break;
    }
    for (const auto& e : events) {
      since = std::max(since, e.version);
      if (e.object.value("kind", "") != kind) continue;
      if (!ns.empty() && e.object["metadata"].value("namespace", "") != ns) continue;
      if (!selector.matches(e.object["metadata"].value("labels", Json::object()))) continue;
      if (!write_chunk(fd, Json{{"type", e.type}, {"object", e.object}}.dump() + "\n")) return;
    }
  }
  (void)write_chunk(fd, "");
}

void ApiServer::logs(int fd, const std::string& ns, const std::string& pod, const HttpRequest& req,
                     const std::atomic<bool>& stop) {
  auto obj = store_.get("Pod", ns, pod);
  if (!obj) {
    (void)write_response(fd, from_error(obj.error()));
    return;
  }
  std::string container;
  if (auto it = req.query.find("container"); it != req.query.end()) container = it->second;
  const auto& containers = (*obj)["spec"]["containers"];
  if (container.empty()) {
    if (containers.size() > 1) {
      std::string names;
      for (const auto& c : containers) names += (names.empty() ? "" : " ") + c.value("name", "");
      (void)write_response(fd, error_response(400, "BadRequest",
                                              "a container name must be specified for pod " + pod +
                                                  ", choose one of: [" + names + "]"));
      return;
    }
    container = containers[0].value("name", "");
  }
  bool previous = req.query.contains("previous") && req.query.at("previous") == "true";
  bool follow = req.query.contains("follow") && req.query.at("follow") == "true";
  std::string path = cluster::pod_dir(lab_, ns, pod) + "/" + container + ".log" + (previous ? ".previous" : "");
  auto file = UniqueFd::open(path, O_RDONLY);
  if (!file) {
    std::string msg = previous ? "previous terminated container \"" + container + "\" in pod \"" + pod + "\" not found"
                               : "container \"" + container + "\" in pod \"" + pod + "\" is not available";
    (void)write_response(fd, error_response(400, "BadRequest", msg));
    return;
  }
  if (!write_stream_head(fd, 200, "text/plain")) return;
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(file->get(), buf, sizeof buf);
    if (n > 0) {
      if (!write_chunk(fd, std::string(buf, static_cast<size_t>(n)))) return;
      continue;
    }
    if (!follow || stop || peer_closed(fd) || !store_.get("Pod", ns, pod)) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  (void)write_chunk(fd, "");
}

}  // namespace lab::server
