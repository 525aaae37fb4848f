// The read-only API's authorizer (RBAC's verdict for system:coredns, worded as
// kube-apiserver's) and its listener: a small HttpServer of its own on a thread of its own, so
// the pods' watches never take the main API's stream slots.
#include "lab/server/read_only_api.h"

#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cstring>
#include <sstream>
#include <vector>

#include "lab/base/log.h"
#include "lab/cluster/lab_record.h"
#include "lab/server/auth.h"

namespace lab::server {
namespace {

// system:coredns: list and watch of endpoints, services, pods, namespaces (core) and
// endpointslices (discovery.k8s.io); get as well, which its informers' relists may use.
bool coredns_may(const RequestAttributes& a) {
  if (a.verb != "get" && a.verb != "list" && a.verb != "watch") return false;
  if (!a.subresource.empty()) return false;  // pods/log, pods/exec, services/status ...
  if (a.group.empty())
    for (const char* r : {"services", "endpoints", "pods", "namespaces"})
      if (a.resource == r) return true;
  return a.group == "discovery.k8s.io" && a.resource == "endpointslices";
}

}  // namespace

// The request attributes, the discovery paths and the 403's wording are kube-apiserver's, shared
// with the TLS listener's authorizer (lab/server/auth.h).
std::optional<HttpResponse> forbid_unless_coredns_may(const HttpRequest& req) {
  auto attrs = request_attributes(req);
  if (!attrs) {
    if ((req.method == "GET" || req.method == "HEAD") && discovery_path(req.path)) return std::nullopt;
  } else if (coredns_may(*attrs)) {
    return std::nullopt;
  }
  return forbidden_response(kCorednsUser, req);
}

ReadOnlyApi::ReadOnlyApi(store::Registry& reg, const std::string& lab, UniqueFd listener, UniqueFd wake)
    : store_(reg.store()),
      api_(reg, lab),
      listener_(std::move(listener)),
      wake_(std::move(wake)),
      // Two DNS pods hold three watches each; a replacement briefly adds its own.
      http_(ServerLimits{.workers = 2, .queue = 64, .streams = 32},
            [this](Connection& conn, const Result<HttpRequest>& req) {
              if (!req) {
                send_or_log(conn, error_status(req.error()));
              } else if (auto refused = forbid_unless_coredns_may(*req)) {
                send_or_log(conn, *refused);
              } else {
                api_.serve(conn, *req, stopping_);
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
      log_line("read-only api: " + r.error().what());
  });
  return api;
}

void ReadOnlyApi::stop() {
  if (stopping_.exchange(true)) return;
  store_.wake_watchers();  // its watches end now, not at their next 500 ms timeout
  uint64_t one = 1;
  if (::write(wake_.get(), &one, sizeof one) < 0) log_line(std::string("read-only api: wake: ") + std::strerror(errno));
  if (thread_.joinable()) thread_.join();
  if (size_t left = http_.stop(); left > 0)
    log_line("read-only api: " + std::to_string(left) + " streams had not ended at the stop");
}

ReadOnlyApi::~ReadOnlyApi() { stop(); }

}  // namespace lab::server
