// The API server over an in-memory store, as the unit tests of the API drive it: requests as a
// client sends them (method, path, body, headers), answers as it reads them.
#pragma once

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "lab/server/api_server.h"
#include "lab/server/http.h"
#include "lab/store/registry.h"

namespace lab::testing {

struct TestApi {
  store::Store st;
  store::Registry registry{st, store::ServiceRanges{*net::Cidr::parse("10.96.0.0/12")}};
  server::ApiServer api{registry, "unit"};

  server::HttpResponse call(const std::string& method, const std::string& path, const std::string& body = "",
                            std::map<std::string, std::string> headers = {}) {
    server::HttpRequest req{method, path, {}, body};
    // A query in the path is the server's to read, as from the wire.
    if (auto parsed = server::parse_target(path, req); !parsed) return {400, parsed.error().message};
    req.headers = std::move(headers);
    return api.handle(req);
  }
  server::HttpResponse get(const std::string& path, const std::string& accept = "application/json, */*") {
    return call("GET", path, "", {{"accept", accept}});
  }
  // A write with a JSON body (or a patch's, by its content type).
  server::HttpResponse send(const std::string& method, const std::string& path, const nlohmann::json& body,
                            const std::string& type = "application/json") {
    return call(method, path, body.dump(), {{"content-type", type}});
  }
};

inline nlohmann::json body_of(const server::HttpResponse& r) { return nlohmann::json::parse(r.body, nullptr, false); }

}  // namespace lab::testing
