// The lab's read-only API: a second Unix socket of the daemon (/run/lab/<lab>/api-read/api.sock)
// served by the same API code, for the cluster DNS pods, which mount its directory. It answers
// what CoreDNS's ClusterRole `system:coredns` (plus `system:discovery`) lets its service account
// do: get, list and watch of services, endpointslices, pods and namespaces. Anything else is
// kube-apiserver's 403 for that user, so a pod can never reach the write side of the API.
#pragma once

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"
#include "lab/server/api_server.h"
#include "lab/server/http.h"
#include "lab/server/http_server.h"
#include "lab/store/registry.h"

namespace lab::server {

// The user the DNS pods act as, in the 403s.
inline constexpr const char* kCorednsUser = "system:serviceaccount:kube-system:coredns";

// nullopt when `system:coredns` may make this request; otherwise the Forbidden Status to answer
// (`services "x" is forbidden: User "..." cannot create resource "services" in API group "" in
// the namespace "default"`).
std::optional<HttpResponse> forbid_unless_coredns_may(const HttpRequest& req);

class ReadOnlyApi {
 public:
  // Listens on cluster::read_socket_path(lab) (making its directory) and serves on a thread of
  // its own until stop(). Start it before the pods: the DNS pods list at once.
  static Result<std::unique_ptr<ReadOnlyApi>> start(store::Registry& reg, const std::string& lab);
  ~ReadOnlyApi();
  ReadOnlyApi(const ReadOnlyApi&) = delete;
  ReadOnlyApi& operator=(const ReadOnlyApi&) = delete;
  // Ends the watches and requests in flight and the serving thread. Idempotent.
  void stop();

 private:
  ReadOnlyApi(store::Registry& reg, const std::string& lab, UniqueFd listener, UniqueFd wake);
  store::Store& store_;
  ApiServer api_;
  UniqueFd listener_, wake_;  // wake_: an eventfd that ends HttpServer::run
  std::atomic<bool> stopping_{false};
  HttpServer http_;
  std::thread thread_;
};

}  // namespace lab::server
