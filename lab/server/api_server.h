// The API server's request handling: Kubernetes-shaped REST paths over the object store,
// lists with labelSelector, errors as Status objects.
#pragma once

#include <nlohmann/json.hpp>

#include "lab/server/http.h"
#include "lab/store/store.h"

namespace lab::server {

// A Kubernetes Status object: {"kind":"Status","status":"Failure","reason":"NotFound","code":404,...}
nlohmann::json status_object(int code, const std::string& reason, const std::string& message);

class ApiServer {
 public:
  explicit ApiServer(store::Store& st) : store_(st) {}
  HttpResponse handle(const HttpRequest& req);

 private:
  store::Store& store_;
};

}  // namespace lab::server
