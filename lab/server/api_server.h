// The API server's request handling: Kubernetes-shaped REST paths over the object store —
// list, get, create, replace, merge-patch, delete, watch — with errors as Status objects, and
// pod logs from the node agent's files.
#pragma once

#include <atomic>
#include <mutex>
#include <optional>
#include <nlohmann/json.hpp>
#include <string>

#include "lab/api/resources.h"
#include "lab/server/connection.h"
#include "lab/server/http.h"
#include "lab/server/list_pages.h"
#include "lab/store/registry.h"

namespace lab::server {

// A Kubernetes Status object: {"kind":"Status","status":"Failure","reason":"NotFound","code":404,...}
nlohmann::json status_object(int code, const std::string& reason, const std::string& message);
// That Status as an answer with its code.
HttpResponse status_response(int code, const std::string& reason, const std::string& message);
// The Status answer for an error: its Reason picks the code (400, 404, 409, 413, 422, ...); an
// error without one is a 500.
HttpResponse error_status(const Error& e);

// Where a REST path points (/api/v1/namespaces/NS/pods/NAME/SUBRESOURCE and the like); ok when
// it names a resource type the API serves.
struct Route {
  std::optional<api::ResourceType> type;
  std::string ns, name, subresource;
  bool ok = false;
  bool cluster_wide = false;
};
Route route(const std::string& path);

class ApiServer {
 public:
  ApiServer(store::Registry& reg, std::string lab)
      : registry_(reg), store_(reg.store()), lab_(std::move(lab)) {}
  // Answers one request on conn: whole responses, or streams for ?watch=true and log?follow=true.
  void serve(Connection& conn, const HttpRequest& req, const std::atomic<bool>& stop);
  // The non-streaming part, for tests and for serve(). Never throws: a request that still
  // meets an exception answers 500 and the daemon goes on.
  HttpResponse handle(const HttpRequest& req);

 private:
  void watch(Connection& conn, const std::string& kind, const std::string& ns, const HttpRequest& req,
             const std::atomic<bool>& stop);
  void logs(Connection& conn, const std::string& ns, const std::string& pod, const HttpRequest& req,
            const std::atomic<bool>& stop);
  HttpResponse handle_unchecked(const HttpRequest& req);
  HttpResponse list(const api::ResourceType& type, const std::string& ns, const HttpRequest& req);
  store::Registry& registry_;
  store::Store& store_;
  std::string lab_;
  ListPages pages_;  // the views of paged lists, until their last page (or a minute) is read
};

}  // namespace lab::server
