// validate_object against a few thousand mutations of valid objects (a fixed seed, so a failure
// replays): wrong types, nulls, huge numbers and strings, deep nesting, missing and unknown fields.
// It never throws; what it accepts validates again unchanged; what it refuses names a field.
#include <gtest/gtest.h>

#include <chrono>
#include <random>

#include "lab/api/scenario.h"
#include "lab/api/validate.h"
#include "lab/base/parse.h"

namespace lab::api {
namespace {

using Json = nlohmann::json;

const std::string kSource = LAB_SOURCE_DIR;

Json stored(Json obj) {
  auto& m = obj["metadata"];
  m["uid"] = "0b3f9c2e-5d1a-4c7b-9e8f-1a2b3c4d5e6f";
  m["creationTimestamp"] = "2026-11-26T09:40:00Z";
  m["resourceVersion"] = "42";
  m["generation"] = 1;
  return obj;
}

// Valid objects of the kinds users write most, with what the system adds.
std::vector<Json> seeds() {
  std::vector<Json> out;
  auto tutorial = load_scenario(kSource + "/scenarios/tutorial.yaml");
  auto svc = load_scenario(kSource + "/tests/fixtures/service-nginx-secure.yaml");
  if (!tutorial || !svc) return out;
  Json d = stored(tutorial->objects[0]);
  d["status"] = {{"observedGeneration", 1}, {"replicas", 2}, {"readyReplicas", 2},
                 {"conditions", Json::array({{{"type", "Available"}, {"status", "True"}}})}};
  out.push_back(d);

  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata", {{"name", "web-x7k2p"}, {"labels", {{"run", "web"}}}}},
              {"spec", d["spec"]["template"]["spec"]}};
  pod["spec"]["nodeName"] = "node-1";
  pod["spec"]["containers"][0]["readinessProbe"] = {{"httpGet", {{"port", 80}}}};
  pod["spec"]["containers"][0]["env"] = Json::array({{{"name", "A"}, {"value", "1"}}});
  pod["spec"]["containers"][0]["resources"] = {{"limits", {{"cpu", "500m"}, {"memory", "128Mi"}}}};
  pod = stored(pod);
  pod["status"] = {{"phase", "Running"},
                   {"podIP", "10.244.1.5"},
                   {"podIPs", Json::array({{{"ip", "10.244.1.5"}}})},
                   {"conditions", Json::array({{{"type", "Ready"}, {"status", "True"},
                                                {"lastTransitionTime", "2026-11-26T09:40:00Z"}}})},
                   {"containerStatuses", Json::array({{{"name", "my-nginx"}, {"ready", true}, {"restartCount", 0},
                                                       {"state", {{"running", {{"startedAt", "2026-11-26T09:40:00Z"}}}}}}})}};
  out.push_back(pod);

  Json s = stored(svc->objects[0]);
  s["spec"]["clusterIP"] = "10.96.0.20";
  s["spec"]["clusterIPs"] = Json::array({"10.96.0.20"});
  s["spec"]["ports"][0]["nodePort"] = 30080;
  s["status"] = {{"loadBalancer", Json::object()}};
  out.push_back(s);

  out.push_back(stored({{"apiVersion", "discovery.k8s.io/v1"},
                        {"kind", "EndpointSlice"},
                        {"metadata",
                         {{"name", "my-nginx-abcde"},
                          {"labels", {{"kubernetes.io/service-name", "my-nginx"}}},
                          {"ownerReferences", Json::array({{{"apiVersion", "v1"}, {"kind", "Service"}, {"name", "my-nginx"},
                                                            {"uid", "u1"}, {"controller", true}}})}}},
                        {"addressType", "IPv4"},
                        {"endpoints", Json::array({{{"addresses", Json::array({"10.244.1.5"})},
                                                    {"conditions", {{"ready", true}}},
                                                    {"nodeName", "node-1"},
                                                    {"targetRef", {{"kind", "Pod"}, {"name", "web"}, {"uid", "u2"}}}}})},
                        {"ports", Json::array({{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}}})}}));
  return out;
}

class Mutator {
 public:
  explicit Mutator(uint32_t seed) : rng_(seed) {}

  size_t below(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }

  // Every value below the root, as a JSON pointer.
  static std::vector<Json::json_pointer> paths(const Json& root) {
    std::vector<Json::json_pointer> out, todo{Json::json_pointer()};
    while (!todo.empty()) {
      auto p = todo.back();
      todo.pop_back();
      const Json& v = root.at(p);
      if (v.is_object())
        for (auto it = v.begin(); it != v.end(); ++it) todo.push_back(p / it.key());
      else if (v.is_array())
        for (size_t i = 0; i < v.size(); ++i) todo.push_back(p / i);
      if (!p.empty()) out.push_back(p);
    }
    return out;
  }

  Json value() {
    switch (below(16)) {
      case 0: return nullptr;
      case 1: return "2";
      case 2: return "";
      case 3: return std::string(20000 + below(1000), 'a');
      case 4: return int64_t{1} << 40;
      case 5: return -(int64_t{1} << 40);
      case 6: return std::numeric_limits<uint64_t>::max();
      case 7: return 1.5;
      case 8: return 1e300;
      case 9: return true;
      case 10: return Json::object();
      case 11: return Json::array();
      case 12: return Json{{"x", 1}};
      case 13: return Json::array({1, "a", nullptr});
      case 14: {
        Json deep = 1;
        for (size_t i = 0, n = 10 + below(100); i < n; ++i) deep = Json::array({std::move(deep)});
        return deep;
      }
      default: return -1;
    }
  }

  void mutate(Json& obj) {
    auto all = paths(obj);
    if (all.empty()) return;
    const auto p = all[below(all.size())];
    Json& parent = obj.at(p.parent_pointer());
    switch (below(4)) {
      case 0:  // delete it (a required field, an array item)
        if (parent.is_object()) parent.erase(p.back());
        else parent.erase(parse_number<size_t>(p.back()).value());
        break;
      case 1:  // a field the object does not have
        if (obj.at(p).is_object()) obj.at(p)["zz" + std::to_string(below(1000))] = value();
        else obj.at(p) = value();
        break;
      default:  // the wrong type, or a value out of range
        obj.at(p) = value();
    }
  }

 private:
  std::mt19937 rng_;
};

TEST(ValidateFuzz, MutatedObjects) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<Json> valid = seeds();
  ASSERT_EQ(valid.size(), 4u);
  for (const Json& seed : valid) {
    Json copy = seed;
    auto v = validate_object(copy);
    ASSERT_TRUE(v.errors.empty()) << seed["kind"] << ": " << (v.errors.empty() ? "" : v.errors[0].detail);
  }
  Mutator m(20261126);
  int accepted = 0, refused = 0;
  for (int i = 0; i < 4000; ++i) {
    Json obj = valid[static_cast<size_t>(i) % valid.size()];
    for (size_t n = 1 + m.below(3); n > 0; --n) m.mutate(obj);
    const Json input = obj;
    Validation v;
    ASSERT_NO_THROW(v = validate_object(obj)) << input.dump().substr(0, 500);
    bool decoding = false;
    for (const auto& e : v.errors) {
      EXPECT_FALSE(e.field.empty()) << e.detail << " for " << input.dump().substr(0, 300);
      EXPECT_FALSE(e.detail.empty()) << e.field;
      EXPECT_EQ(e.detail.find("Internal error"), std::string::npos) << e.detail << " for " << input.dump().substr(0, 300);
      EXPECT_LT(e.detail.size(), 2000u) << e.field;
      decoding = decoding || e.decoding;
    }
    EXPECT_EQ(v.bad_request, decoding);
    if (!v.errors.empty()) {
      ++refused;
      std::string message;
      ASSERT_NO_THROW(message = invalid_message(obj, v.errors));
      EXPECT_FALSE(message.empty());
      continue;
    }
    ++accepted;
    Json again = obj;
    auto w = validate_object(again);
    EXPECT_TRUE(w.errors.empty()) << w.errors[0].field << ": " << w.errors[0].detail << " for " << input.dump();
    EXPECT_EQ(again, obj) << "not idempotent for " << input.dump();
  }
  EXPECT_GT(accepted, 100) << "the mutations should leave some objects valid";
  EXPECT_GT(refused, 2000);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

}  // namespace
}  // namespace lab::api
