// The control plane without a daemon, for the benchmarks: a store, its registry, the informers
// and the controller manager on their threads, and the objects the benchmarks fill it with.
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <thread>

#include "bench/stats.h"
#include "lab/controllers/manager.h"
#include "lab/store/informer.h"
#include "lab/store/registry.h"
#include "lab/store/store.h"

namespace lab::bench {

using Json = nlohmann::json;
using Clock = std::chrono::steady_clock;

inline constexpr const char* kNs = "bench";

inline std::string pod_ip(int i) {  // 10.244.1.2, ... (250 a /24), all inside the pod CIDR
  return "10.244." + std::to_string(1 + i / 250) + "." + std::to_string(2 + i % 250);
}

inline Json service(const std::string& name, const std::string& app) {
  return {{"apiVersion", "v1"},
          {"kind", "Service"},
          {"metadata", {{"name", name}, {"namespace", kNs}}},
          {"spec",
           {{"type", "ClusterIP"},
            {"selector", {{"app", app}}},
            {"ports", Json::array({{{"name", "http"}, {"port", 80}, {"targetPort", 8080}, {"protocol", "TCP"}}})}}}};
}

inline Json pod(const std::string& name, const std::string& app) {
  return {{"apiVersion", "v1"},
          {"kind", "Pod"},
          {"metadata", {{"name", name}, {"namespace", kNs}, {"labels", {{"app", app}}}}},
          {"spec",
           {{"nodeName", "node-1"},
            {"containers", Json::array({{{"name", "web"}, {"image", "nginx"},
                                         {"ports", Json::array({{{"containerPort", 8080}}})}}})}}}};
}

inline Json running_status(const std::string& ip, bool ready) {
  return {{"phase", "Running"},
          {"hostIP", "172.18.0.2"},
          {"podIP", ip},
          {"podIPs", Json::array({{{"ip", ip}}})},
          {"conditions", Json::array({{{"type", "Ready"}, {"status", ready ? "True" : "False"}}})}};
}

inline bool fail(const std::string& what, const Error& e) {
  std::fprintf(stderr, "controller_bench: %s: %s\n", what.c_str(), e.what().c_str());
  return false;
}

// Creates a Service app-i selecting pod-i (and pods "extra" more pods pod-i-b, ... for the
// first `with_two` Services), each pod bound to node-1, Running and ready.
inline bool populate(store::Registry& reg, int services, int with_two) {
  int ip = 0;
  auto make_pod = [&](const std::string& name, const std::string& app) {
    auto p = reg.create(pod(name, app));
    if (!p) return fail("create pod " + name, p.error());
    Json obj = *p;
    obj["status"] = running_status(pod_ip(ip++), true);
    auto s = reg.update_status(obj);
    if (!s) return fail("status of pod " + name, s.error());
    return true;
  };
  for (int i = 0; i < services; ++i) {
    std::string app = "app-" + std::to_string(i);
    if (auto s = reg.create(service("svc-" + std::to_string(i), app)); !s) return fail("create service", s.error());
    if (!make_pod("pod-" + std::to_string(i), app)) return false;
    if (i < with_two && !make_pod("pod-" + std::to_string(i) + "-b", app)) return false;
  }
  return true;
}

// Polls cond every 50 us (a yield-spin would take a core from the threads being measured).
inline bool wait_for(const std::function<bool()>& cond, double timeout_ms) {
  auto t0 = Clock::now();
  while (!cond()) {
    if (ms_since(t0) > timeout_ms) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  return true;
}

struct Plane {
  explicit Plane(const net::Cidr& service_cidr)
      : registry(st, store::ServiceRanges{service_cidr}), informers(st),
        manager(registry, informers, controllers::ClusterInfo{{"node-1", "node-2"}, {}}) {}
  ~Plane() {
    manager.stop();
    informers.stop();
    st.shutdown();
  }
  store::Store st;
  store::Registry registry;
  store::InformerFactory informers;
  controllers::ControllerManager manager;
};

inline bool settle(Plane& p, double timeout_ms) {
  return wait_for([&] { return p.manager.settled(p.st.version()); }, timeout_ms);
}

}  // namespace lab::bench
