// Hostile API input shared by the unit fuzz test (ApiServer::handle in memory) and the live one
// (a running daemon's socket): valid Pod, Deployment, Service and EndpointSlice objects with
// random fields set to wrong types, nulls, huge values, removed or added; truncated and
// undecodable bodies. Deterministic for a seed.
#pragma once

#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "lab/base/parse.h"

namespace lab::fuzz {

using Json = nlohmann::json;

inline const Json kPod = Json::parse(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","labels":{"app":"web"}},
  "spec":{"containers":[{"name":"c","image":"nginx","ports":[{"containerPort":80,"name":"http"}],
  "env":[{"name":"A","value":"b"}],"readinessProbe":{"httpGet":{"path":"/","port":80},"periodSeconds":1}}]}})");
inline const Json kDeployment = Json::parse(R"({"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web"},
  "spec":{"replicas":2,"selector":{"matchLabels":{"app":"web"}},"strategy":{"type":"RollingUpdate",
  "rollingUpdate":{"maxSurge":"25%","maxUnavailable":1}},"template":{"metadata":{"labels":{"app":"web"}},
  "spec":{"containers":[{"name":"web","image":"nginx","ports":[{"containerPort":80}]}]}}}})");
inline const Json kService = Json::parse(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
  "spec":{"type":"NodePort","selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":"http",
  "protocol":"TCP"}],"sessionAffinity":"None"}})");
inline const Json kSlice = Json::parse(R"({"apiVersion":"discovery.k8s.io/v1","kind":"EndpointSlice",
  "metadata":{"name":"manual-1","labels":{"kubernetes.io/service-name":"manual"}},"addressType":"IPv4",
  "endpoints":[{"addresses":["10.244.1.5"],"conditions":{"ready":true}}],
  "ports":[{"name":"http","port":80,"protocol":"TCP"}]})");

struct Target {
  const Json* object;
  std::string collection;
};
inline const Target kTargets[] = {
    {&kPod, "/api/v1/namespaces/default/pods"},
    {&kDeployment, "/apis/apps/v1/namespaces/default/deployments"},
    {&kService, "/api/v1/namespaces/default/services"},
    {&kSlice, "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices"},
};

class Fuzzer {
 public:
  explicit Fuzzer(uint32_t seed) : rng_(seed) {}

  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  Json value() {
    switch (pick(12)) {
      case 0: return nullptr;
      case 1: return "2";
      case 2: return std::string(pick(2) ? 70000 : 3, 'x');
      case 3: return -1;
      case 4: return 4294967296LL * 1024;
      case 5: return 1.5;
      case 6: return true;
      case 7: return Json::array({1, "a", nullptr});
      case 8: return Json::object({{"x", 1}});
      case 9: return 70000;
      case 10: return "";
      default: return "Ω\x01%zz";
    }
  }

  // Every path into obj, "" the object itself.
  static void paths(const Json& obj, const Json::json_pointer& at, std::vector<Json::json_pointer>& out) {
    out.push_back(at);
    if (obj.is_object())
      for (const auto& [k, v] : obj.items()) paths(v, at / k, out);
    else if (obj.is_array())
      for (size_t i = 0; i < obj.size(); ++i) paths(obj[i], at / i, out);
  }

  Json mutate(Json obj) {
    int n = 1 + static_cast<int>(pick(3));
    for (int i = 0; i < n; ++i) {
      std::vector<Json::json_pointer> all;
      paths(obj, Json::json_pointer(), all);
      auto at = all[pick(all.size())];
      if (at.empty()) continue;
      switch (pick(4)) {
        case 0: obj[at] = value(); break;
        case 1: {
          Json& parent = obj[at.parent_pointer()];
          if (parent.is_object()) parent.erase(at.back());
          else if (auto index = parse_uint64(at.back()); parent.is_array() && index) parent.erase(*index);
          break;
        }
        case 2:
          if (obj[at].is_object()) obj[at]["unknownField"] = value();
          else obj[at] = value();
          break;
        default: obj[at] = Json::array(); break;
      }
    }
    return obj;
  }

  struct Request {
    std::string method, path;
    std::map<std::string, std::string> query;
    std::string body;
  };
  // One hostile request at target t: a mutated object or patch, sometimes at a bad path or with
  // bad query parameters.
  Request request(const Target& t) {
    static const char* methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    Request r;
    std::string name = (*t.object)["metadata"]["name"];
    r.method = methods[pick(std::size(methods))];
    r.path = r.method == "POST" ? t.collection : t.collection + "/" + name;
    if (pick(8) == 0) r.path += pick(2) ? "/status" : "/bogus/x";
    if (pick(20) == 0) r.path = "/api/v1/namespaces//pods/%zz/../" + std::string(pick(2) ? 300 : 1, 'a');
    if (pick(6) == 0) r.query["gracePeriodSeconds"] = pick(2) ? "-5" : "9999999999999";
    if (pick(6) == 0) r.query["labelSelector"] = pick(2) ? "!!!" : "a in (b";
    r.body = r.method == "PATCH" ? body(mutate(Json{{"spec", t.object->value("spec", Json::object())},
                                                     {"metadata", {{"labels", {{"x", "y"}}}}}}))
                                  : body(mutate(*t.object));
    return r;
  }

  std::string body(const Json& obj) {
    std::string text = obj.dump();
    switch (pick(10)) {
      case 0: return text.substr(0, pick(text.size() + 1));  // truncated
      case 1: return "\xff\xfe{not json";
      case 2: return "[]";
      default: return text;
    }
  }

 private:
  std::mt19937 rng_;
};

}  // namespace lab::fuzz
