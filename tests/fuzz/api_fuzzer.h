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
    std::string content_type;  // "" = none sent
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
    if (r.method == "GET" && pick(4) == 0) {
      // A list, paged with what a client might send: bad limits, bad or foreign continue tokens
      // ({"rv":-5,...} and an inconsistent {"rv":-1,"start":"default/zz\u0000"}).
      r.path = t.collection;
      static const char* limits[] = {"1", "-3", "x", "99999999999999999999", ""};
      static const char* tokens[] = {"", "%%%", "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTUsInN0YXJ0IjoiYSJ9",
                                     "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6LTEsInN0YXJ0IjoiZGVmYXVsdC96elx1MDAwMCJ9"};
      r.query["limit"] = limits[pick(std::size(limits))];
      r.query["continue"] = tokens[pick(std::size(tokens))];
    }
    r.body = r.method == "PATCH" ? body(mutate(Json{{"spec", t.object->value("spec", Json::object())},
                                                     {"metadata", {{"labels", {{"x", "y"}}}}}}))
                                  : body(mutate(*t.object));
    if (r.method == "PATCH") {
      // Every patch type kubectl sends, and ones the API does not take.
      static const char* types[] = {"", "application/merge-patch+json", "application/strategic-merge-patch+json",
                                    "application/json-patch+json", "application/apply-patch+yaml", "text/plain",
                                    "application/strategic-merge-patch+json; charset=utf-8"};
      r.content_type = types[pick(std::size(types))];
      if (r.content_type == "application/json-patch+json" && pick(4) != 0) r.body = body(json_patch(*t.object));
      if (r.content_type.starts_with("application/strategic") && pick(3) == 0) r.body = body(directives(*t.object));
    } else if (r.method == "POST" || r.method == "PUT") {
      if (pick(6) == 0) {
        r.content_type = "application/vnd.kubernetes.protobuf";
        r.body = protobuf();
      } else if (pick(6) == 0) {
        r.content_type = pick(2) ? "application/json" : "application/yaml";
      }
    }
    return r;
  }

  // RFC 6902 operations at paths of obj, some valid, some not.
  Json json_patch(const Json& obj) {
    static const char* ops[] = {"add", "remove", "replace", "move", "copy", "test", "explode"};
    static const char* paths[] = {"/spec/replicas", "/spec", "/metadata/name", "/metadata/labels/x", "/spec/ports/0/port",
                                  "/spec/containers/0/image", "/spec/template/spec/containers/-", "/nope/deeper", "",
                                  "/metadata", "/kind", "/spec/containers/99", "~bad"};
    Json out = Json::array();
    for (size_t i = 0, n = 1 + pick(3); i < n; ++i) {
      Json op = {{"op", ops[pick(std::size(ops))]}, {"path", paths[pick(std::size(paths))]}};
      if (pick(4) != 0) op["value"] = pick(3) ? value() : obj;
      if (pick(3) == 0) op["from"] = paths[pick(std::size(paths))];
      out.push_back(std::move(op));
    }
    return out;
  }

  // A strategic-merge patch with directives in the places kubectl puts them, and in others.
  Json directives(const Json& obj) {
    Json p = Json::object();
    switch (pick(6)) {
      case 0: p["spec"]["template"]["spec"]["containers"] = Json::array({{{"$patch", pick(2) ? "delete" : "bogus"}}}); break;
      case 1: p["spec"]["template"]["spec"]["$setElementOrder/containers"] = pick(2) ? Json(value()) : Json::array({{{"name", "web"}}}); break;
      case 2: p["spec"]["strategy"] = {{"$retainKeys", value()}, {"type", "Recreate"}}; break;
      case 3: p["metadata"]["$deleteFromPrimitiveList/finalizers"] = value(); break;
      case 4: p["spec"]["ports"] = Json::array({{{"name", "x"}}, {{"$patch", "replace"}}}); break;
      default: p = {{"$patch", pick(2) ? "delete" : "replace"}, {"spec", obj.value("spec", Json::object())}}; break;
    }
    return p;
  }

  // A Kubernetes protobuf body: the magic, then bytes that are sometimes an envelope.
  std::string protobuf() {
    std::string out = pick(5) ? std::string("k8s\0", 4) : std::string("k8s");
    if (pick(2)) {
      // TypeMeta {apiVersion v1, kind Secret|ConfigMap|Pod|Namespace|Service}, raw = random bytes.
      static const char* kinds[] = {"Secret", "ConfigMap", "Pod", "Namespace", "Service"};
      std::string kind = kinds[pick(std::size(kinds))];
      std::string tm = std::string("\x0a\x02v1\x12") + static_cast<char>(kind.size()) + kind;
      out += "\x0a" + std::string(1, static_cast<char>(tm.size())) + tm;
      std::string raw;
      for (size_t i = 0, n = pick(60); i < n; ++i) raw += static_cast<char>(pick(256));
      out += "\x12" + std::string(1, static_cast<char>(raw.size())) + raw;
    } else {
      for (size_t i = 0, n = pick(80); i < n; ++i) out += static_cast<char>(pick(256));
    }
    return out;
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
