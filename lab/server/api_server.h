// The API server's request handling: Kubernetes-shaped REST paths over the object store —
// list, get, create, replace, merge-patch, delete, watch — with errors as Status objects, and
// pod logs from the node agent's files.
#pragma once

#include <atomic>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "lab/server/http.h"
#include "lab/server/service_alloc.h"
#include "lab/store/store.h"

namespace lab::server {

// A Kubernetes Status object: {"kind":"Status","status":"Failure","reason":"NotFound","code":404,...}
nlohmann::json status_object(int code, const std::string& reason, const std::string& message);

class ApiServer {
 public:
  ApiServer(store::Store& st, std::string lab, ServiceRanges ranges = {})
      : store_(st), lab_(std::move(lab)), ranges_(ranges) {}
  // Answers one request on fd: whole responses, or streams for ?watch=true and log?follow=true.
  void serve(int fd, const HttpRequest& req, const std::atomic<bool>& stop);
  // The non-streaming part, for tests and for serve().
  HttpResponse handle(const HttpRequest& req);

 private:
  void watch(int fd, const std::string& kind, const std::string& ns, const HttpRequest& req,
             const std::atomic<bool>& stop);
  void logs(int fd, const std::string& ns, const std::string& pod, const HttpRequest& req,
            const std::atomic<bool>& stop);
  store::Store& store_;
  std::string lab_;
  ServiceRanges ranges_;
  std::mutex alloc_mu_;  // Service writes allocate from shared ranges: one at a time
};

}  // namespace lab::server
