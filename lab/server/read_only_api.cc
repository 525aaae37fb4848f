// The read-only API's authorizer (RBAC's verdict for system:coredns, worded as
// kube-apiserver's) and its listener: a small HttpServer of its own on a thread of its own, so
// the pods' watches never take the main API's stream slots.
#include "lab/server/read_only_api.h"

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <sstream>
#include <vector>

#include "lab/cluster/lab_record.h"

namespace lab::server {
namespace {

using Json = nlohmann::json;

std::vector<std::string> path_parts(const std::string& path) {
  std::vector<std::string> parts;
  std::stringstream ss(path);
  for (std::string part; std::getline(ss, part, '/');)
    if (!part.empty()) parts.push_back(part);
  return parts;
}

// What RBAC sees of a resource request: verb, API group, resource[/subresource], namespace, name.
struct Attributes {
  std::string verb, group, resource, subresource, ns, name;
};

// kube-apiserver's request info (k8s.io/apiserver/pkg/endpoints/request): /api/v1/... and
// /apis/GROUP/VERSION/..., namespaced or not. nullopt for a non-resource path.
std::optional<Attributes> resource_attributes(const HttpRequest& req) {
  auto parts = path_parts(req.path);
  Attributes a;
  size_t i;
  if (parts.size() >= 3 && parts[0] == "api") {
    i = 2;
  } else if (parts.size() >= 4 && parts[0] == "apis") {
    a.group = parts[1];
    i = 3;
  } else {
    return std::nullopt;
  }
  // /api/v1/namespaces and /api/v1/namespaces/NAME are the namespaces resource itself.
  if (parts[i] == "namespaces" && parts.size() > i + 2) {
    a.ns = parts[i + 1];
    i += 2;
  }
  a.resource = parts[i];
  if (i + 1 < parts.size()) a.name = parts[i + 1];
  if (i + 2 < parts.size()) a.subresource = parts[i + 2];
  auto watch = req.query.find("watch");
  const bool watching = watch != req.query.end() && (watch->second == "true" || watch->second == "1");
  if (req.method == "GET" || req.method == "HEAD") a.verb = watching ? "watch" : a.name.empty() ? "list" : "get";
  else if (req.method == "POST") a.verb = "create";
  else if (req.method == "PUT") a.verb = "update";
  else if (req.method == "PATCH") a.verb = "patch";
  else if (req.method == "DELETE") a.verb = a.name.empty() ? "deletecollection" : "delete";
  else {
    a.verb = req.method;
    for (auto& c : a.verb) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return a;
}

// system:coredns: list and watch of endpoints, services, pods, namespaces (core) and
// endpointslices (discovery.k8s.io); get as well, which its informers' relists may use.
bool coredns_may(const Attributes& a) {
  if (a.verb != "get" && a.verb != "list" && a.verb != "watch") return false;
  if (!a.subresource.empty()) return false;  // pods/log, pods/exec, services/status ...
  if (a.group.empty())
    for (const char* r : {"services", "endpoints", "pods", "namespaces"})
      if (a.resource == r) return true;
  return a.group == "discovery.k8s.io" && a.resource == "endpointslices";
}

// system:discovery, which every authenticated user has: GETs of the discovery and health paths.
bool discovery_path(const std::string& path) {
  static const std::array<const char*, 6> exact = {"/version", "/healthz", "/readyz", "/livez", "/api", "/apis"};
  for (const char* p : exact)
    if (path == p || path == std::string(p) + "/") return true;
  auto parts = path_parts(path);
  return (parts.size() == 2 && parts[0] == "api") || ((parts.size() == 2 || parts.size() == 3) && parts[0] == "apis");
}

HttpResponse forbidden(const std::string& message, Json details) {
  Json status = status_object(403, "Forbidden", message);
  if (!details.empty()) status["details"] = std::move(details);
  return {403, status.dump(-1, ' ', false, Json::error_handler_t::replace)};
}

}  // namespace

std::optional<HttpResponse> forbid_unless_coredns_may(const HttpRequest& req) {
  const std::string user = std::string("User \"") + kCorednsUser + "\"";
  auto attrs = resource_attributes(req);
  if (!attrs) {
    if ((req.method == "GET" || req.method == "HEAD") && discovery_path(req.path)) return std::nullopt;
    std::string verb = req.method == "GET" ? "get" : req.method == "POST" ? "post" : req.method == "PUT" ? "put"
                     : req.method == "PATCH" ? "patch" : req.method == "DELETE" ? "delete" : req.method;
    return forbidden("forbidden: " + user + " cannot " + verb + " path \"" + req.path + "\"", Json::object());
  }
  if (coredns_may(*attrs)) return std::nullopt;
  const Attributes& a = *attrs;
  std::string resource = a.subresource.empty() ? a.resource : a.resource + "/" + a.subresource;
  std::string qualified = a.group.empty() ? a.resource : a.resource + "." + a.group;
  std::string message = qualified + (a.name.empty() ? "" : " \"" + a.name + "\"") + " is forbidden: " + user +
                        " cannot " + a.verb + " resource \"" + resource + "\" in API group \"" + a.group + "\"" +
                        (a.ns.empty() ? " at the cluster scope" : " in the namespace \"" + a.ns + "\"");
  Json details = {{"kind", a.resource}};
  if (!a.name.empty()) details["name"] = a.name;
  if (!a.group.empty()) details["group"] = a.group;
  return forbidden(message, details);
}

ReadOnlyApi::ReadOnlyApi(store::Registry& reg, const std::string& lab, UniqueFd listener, UniqueFd wake)
    : api_(reg, lab),
      listener_(std::move(listener)),
      wake_(std::move(wake)),
      // Two DNS pods hold three watches each; a replacement briefly adds its own.
      http_(ServerLimits{.workers = 2, .queue = 64, .streams = 32},
            [this](int fd, const Result<HttpRequest>& req) {
              if (!req) {
                (void)write_response(fd, error_status(req.error()));
              } else if (auto refused = forbid_unless_coredns_may(*req)) {
                (void)write_response(fd, *refused);
              } else {
                api_.serve(fd, *req, stopping_);
              }
            }) {}

Result<std::unique_ptr<ReadOnlyApi>> ReadOnlyApi::start(store::Registry& reg, const std::string& lab) {
  const std::string dir = cluster::read_socket_dir(lab);
  if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("mkdir " + dir);
  auto listener = listen_unix(cluster::read_socket_path(lab));
  if (!listener) return std::unexpected(listener.error().context("the read-only API"));
  UniqueFd wake(::eventfd(0, EFD_CLOEXEC));
  if (!wake) return fail_errno("eventfd");
  std::unique_ptr<ReadOnlyApi> api(new ReadOnlyApi(reg, lab, std::move(*listener), std::move(wake)));
  api->thread_ = std::thread([a = api.get()] {
    if (auto r = a->http_.run(a->listener_.get(), a->wake_.get()); !r)
      std::fprintf(stderr, "read-only api: %s\n", r.error().what().c_str());
  });
  return api;
}

void ReadOnlyApi::stop() {
  if (stopping_.exchange(true)) return;
  uint64_t one = 1;
  if (::write(wake_.get(), &one, sizeof one) < 0) std::perror("read-only api: wake");
  if (thread_.joinable()) thread_.join();
  (void)http_.stop();
}

ReadOnlyApi::~ReadOnlyApi() { stop(); }

}  // namespace lab::server
