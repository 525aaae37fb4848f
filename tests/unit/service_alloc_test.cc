// ClusterIP allocation: the static and dynamic bands (ServiceIPStaticSubrange) and the
// `kubernetes` Service's reserved address.
#include "lab/store/service_alloc.h"

#include <gtest/gtest.h>

#include <set>

namespace lab::store {
namespace {

using Json = nlohmann::json;

net::Cidr cidr(const char* text) { return *net::Cidr::parse(text); }

Json service(const std::string& ns, const std::string& name, const std::string& cluster_ip = "") {
  Json svc = {{"apiVersion", "v1"},
              {"kind", "Service"},
              {"metadata", {{"name", name}, {"namespace", ns}}},
              {"spec", {{"ports", Json::array({{{"port", 80}}})}}}};
  if (!cluster_ip.empty()) svc["spec"]["clusterIP"] = cluster_ip;
  return svc;
}

TEST(ServiceAlloc, StaticBandSize) {
  // min(max(16, size/16), 256); none for a range of 16 addresses or fewer.
  EXPECT_EQ(static_band_size(cidr("10.96.0.0/12")), 256u);
  EXPECT_EQ(static_band_size(cidr("10.96.0.0/16")), 256u);
  EXPECT_EQ(static_band_size(cidr("10.96.0.0/20")), 256u);
  EXPECT_EQ(static_band_size(cidr("10.96.0.0/21")), 128u);
  EXPECT_EQ(static_band_size(cidr("10.96.0.0/24")), 16u);
  EXPECT_EQ(static_band_size(cidr("10.96.0.0/27")), 16u);
  EXPECT_EQ(static_band_size(cidr("10.96.0.0/28")), 0u);
  EXPECT_EQ(kubernetes_service_ip(cidr("10.96.0.0/12")).str(), "10.96.0.1");
}

TEST(ServiceAlloc, DynamicPicksComeFromAboveTheStaticBand) {
  const auto range = cidr("10.96.0.0/12");
  const uint32_t band_top = range.at(256).value;  // offsets 1..256 are the static band
  for (int i = 0; i < 2000; ++i) {
    auto ip = pick_cluster_ip(range, [](uint32_t) { return false; });
    ASSERT_TRUE(ip);
    EXPECT_GT(ip->value, band_top) << ip->str();
    EXPECT_LT(ip->value, range.last().value) << ip->str();  // never the broadcast address
  }
  // A small range: the dynamic band fills first, then the static band is used.
  const auto small = cidr("10.96.0.0/24");  // static band 10.96.0.1-10.96.0.16
  std::set<uint32_t> taken;
  auto is_taken = [&](uint32_t v) { return taken.contains(v); };
  for (int i = 0; i < 254 - 16; ++i) {
    auto ip = pick_cluster_ip(small, is_taken);
    ASSERT_TRUE(ip);
    EXPECT_GT(ip->value, small.at(16).value) << ip->str();
    taken.insert(ip->value);
  }
  for (int i = 0; i < 16; ++i) {
    auto ip = pick_cluster_ip(small, is_taken);
    ASSERT_TRUE(ip);
    EXPECT_LE(ip->value, small.at(16).value) << ip->str();
    EXPECT_GE(ip->value, small.at(1).value) << ip->str();
    taken.insert(ip->value);
  }
  EXPECT_FALSE(pick_cluster_ip(small, is_taken));
}

TEST(ServiceAlloc, TheKubernetesServiceAddressIsReserved) {
  ServiceRanges ranges{cidr("10.96.0.0/28")};  // no bands: every address is a candidate
  ServiceAllocations none;
  // Only default/kubernetes may ask for .1, even while no Service holds it.
  auto master = allocate_service(none, service("default", "kubernetes", "10.96.0.1"), nullptr, ranges);
  ASSERT_TRUE(master) << master.error().what();
  EXPECT_EQ((*master)["spec"]["clusterIPs"], Json::array({"10.96.0.1"}));
  for (auto [ns, name] : {std::pair{"default", "web"}, std::pair{"other", "kubernetes"}}) {
    auto r = allocate_service(none, service(ns, name, "10.96.0.1"), nullptr, ranges);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().what(), "The Service \"" + std::string(name) +
                                    "\" is invalid: spec.clusterIPs: Invalid value: []string{\"10.96.0.1\"}: "
                                    "failed to allocate IP 10.96.0.1: provided IP is already allocated");
  }
  // ... and is never handed out: fill the whole /28 dynamically.
  ServiceAllocations taken;
  for (int i = 0; i < 13; ++i) {
    auto r = allocate_service(taken, service("default", "s" + std::to_string(i)), nullptr, ranges);
    ASSERT_TRUE(r) << r.error().what();
    EXPECT_NE((*r)["spec"]["clusterIP"], "10.96.0.1");
    taken.add(*r);
  }
  auto full = allocate_service(taken, service("default", "last"), nullptr, ranges);
  ASSERT_FALSE(full);
  EXPECT_EQ(full.error().what(), "Internal error occurred: failed to allocate a serviceIP: range is full");
}


// A NodePort Service with the given ports: {name, port, protocol, nodePort (0: none)}.
struct P {
  const char* name;
  int port;
  const char* protocol;
  int node_port = 0;
};
Json node_port_service(const std::string& name, std::initializer_list<P> ports) {
  Json svc = service("default", name);
  svc["spec"]["type"] = "NodePort";
  svc["spec"]["ports"] = Json::array();
  for (const auto& p : ports) {
    Json j = {{"name", p.name}, {"port", p.port}, {"protocol", p.protocol}, {"targetPort", p.port}};
    if (p.node_port) j["nodePort"] = p.node_port;
    svc["spec"]["ports"].push_back(j);
  }
  return svc;
}

TEST(ServiceAlloc, OneNodePortServesBothProtocolsOfAPortOnCreate) {
  ServiceRanges ranges{cidr("10.96.0.0/12")};
  ServiceAllocations taken;
  // initNodePorts: 80/TCP and 80/UDP share one number, allocated once; 81 gets its own.
  auto r = allocate_service(taken, node_port_service("dns", {{"tcp", 80, "TCP"}, {"udp", 80, "UDP"}, {"x", 81, "TCP"}}),
                            nullptr, ranges);
  ASSERT_TRUE(r) << r.error().what();
  const Json& ports = (*r)["spec"]["ports"];
  EXPECT_EQ(ports[0]["nodePort"], ports[1]["nodePort"]);
  EXPECT_NE(ports[0]["nodePort"], ports[2]["nodePort"]);
  // A number given for either protocol is the other's too.
  auto given = allocate_service(taken, node_port_service("given", {{"tcp", 53, "TCP"}, {"udp", 53, "UDP", 30053}}),
                                nullptr, ranges);
  ASSERT_TRUE(given) << given.error().what();
  EXPECT_EQ((*given)["spec"]["ports"][0]["nodePort"], 30053);
  EXPECT_EQ((*given)["spec"]["ports"][1]["nodePort"], 30053);
  taken.add(*given);
  // Another Service may not have it, whatever the protocol (the allocator holds numbers).
  for (const char* proto : {"TCP", "UDP"}) {
    auto other = allocate_service(taken, node_port_service("other", {{"a", 80, proto, 30053}}), nullptr, ranges);
    ASSERT_FALSE(other);
    EXPECT_EQ(other.error().what(),
              "The Service \"other\" is invalid: spec.ports[0].nodePort: Invalid value: 30053: provided port is already allocated");
  }
  // Two different port numbers asking for one node port: the second allocation fails.
  auto twice = allocate_service(taken, node_port_service("twice", {{"a", 80, "TCP", 30100}, {"b", 81, "UDP", 30100}}),
                                nullptr, ranges);
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().what().find("spec.ports[1].nodePort: Invalid value: 30100: provided port is already allocated"),
            std::string::npos);
}

TEST(ServiceAlloc, AddingAUdpPortOnUpdateIsAccepted) {
  // The reproduction: {udp-port, 80, UDP} added to a NodePort Service with 80/TCP.
  ServiceRanges ranges{cidr("10.96.0.0/12")};
  ServiceAllocations taken;
  auto created = allocate_service(taken, node_port_service("web", {{"http", 80, "TCP"}}), nullptr, ranges);
  ASSERT_TRUE(created);
  taken.add(*created);
  const int tcp = (*created)["spec"]["ports"][0]["nodePort"];
  Json next = *created;
  next["spec"]["ports"].push_back({{"name", "udp-port"}, {"port", 80}, {"protocol", "UDP"}, {"targetPort", 80}});
  auto updated = allocate_service(taken, next, *created, ranges);
  ASSERT_TRUE(updated) << updated.error().what();
  EXPECT_EQ((*updated)["spec"]["ports"][0]["nodePort"], tcp);
  EXPECT_GE((*updated)["spec"]["ports"][1]["nodePort"].get<int>(), 30000);
  // Given the TCP port's number, the UDP port shares it (the number is the Service's own).
  next["spec"]["ports"][1]["nodePort"] = tcp;
  auto shared = allocate_service(taken, next, *created, ranges);
  ASSERT_TRUE(shared) << shared.error().what();
  EXPECT_EQ((*shared)["spec"]["ports"][1]["nodePort"], tcp);
}

TEST(ServiceAlloc, AnUpdateKeepsANodePortByPortName) {
  ServiceRanges ranges{cidr("10.96.0.0/12")};
  ServiceAllocations taken;
  auto created = allocate_service(taken, node_port_service("web", {{"http", 80, "TCP"}, {"https", 443, "TCP"}}), nullptr, ranges);
  ASSERT_TRUE(created);
  taken.add(*created);
  const Json& was = (*created)["spec"]["ports"];
  // patchAllocatedValues: the port's number changes, its nodePort is not sent: kept by name.
  auto next = node_port_service("web", {{"http", 8080, "TCP"}, {"https", 443, "TCP"}});
  auto updated = allocate_service(taken, next, *created, ranges);
  ASSERT_TRUE(updated) << updated.error().what();
  EXPECT_EQ((*updated)["spec"]["ports"][0]["nodePort"], was[0]["nodePort"]);
  EXPECT_EQ((*updated)["spec"]["ports"][1]["nodePort"], was[1]["nodePort"]);
  // Renamed: a new number.
  auto renamed = allocate_service(taken, node_port_service("web", {{"web", 80, "TCP"}, {"https", 443, "TCP"}}), *created, ranges);
  ASSERT_TRUE(renamed);
  EXPECT_NE((*renamed)["spec"]["ports"][0]["nodePort"], was[0]["nodePort"]);
  // A number another port of the update took is not patched in twice.
  Json ports = Json::array({{{"name", "http"}, {"port", 80}, {"protocol", "TCP"}},
                            {{"name", "https"}, {"port", 443}, {"protocol", "TCP"}, {"nodePort", was[0]["nodePort"]}}});
  patch_node_ports(ports, was);
  EXPECT_FALSE(ports[0].contains("nodePort"));
}

// allocateLoadBalancerNodePorts: false: a LoadBalancer gets no nodePort it did not ask for, keeps
// one it names (allocated, so no one else gets it), and keeps those it held on an update.
TEST(ServiceAlloc, ALoadBalancerMayGoWithoutNodePorts) {
  ServiceRanges ranges{cidr("10.96.0.0/12")};
  ServiceAllocations taken;
  Json lb = node_port_service("lb", {{"http", 80, "TCP"}, {"dns", 53, "UDP"}, {"given", 81, "TCP", 30081}});
  lb["spec"]["type"] = "LoadBalancer";
  lb["spec"]["allocateLoadBalancerNodePorts"] = false;
  auto r = allocate_service(taken, lb, nullptr, ranges);
  ASSERT_TRUE(r) << r.error().what();
  const Json& ports = (*r)["spec"]["ports"];
  EXPECT_FALSE(ports[0].contains("nodePort"));
  EXPECT_FALSE(ports[1].contains("nodePort"));
  EXPECT_EQ(ports[2]["nodePort"], 30081);
  taken.add(*r);
  auto other = allocate_service(taken, node_port_service("other", {{"a", 80, "TCP", 30081}}), nullptr, ranges);
  ASSERT_FALSE(other.has_value());
  EXPECT_NE(other.error().what().find("provided port is already allocated"), std::string::npos);
  // Allocating again (true) gives the ports without one a number; turning it off keeps them.
  Json on = *r;
  on["spec"]["allocateLoadBalancerNodePorts"] = true;
  auto with = allocate_service(taken, on, *r, ranges);
  ASSERT_TRUE(with) << with.error().what();
  EXPECT_GT((*with)["spec"]["ports"][0].value("nodePort", 0), 0);
  EXPECT_GT((*with)["spec"]["ports"][1].value("nodePort", 0), 0);
  taken.remove(*r);
  taken.add(*with);
  Json off = *with;
  off["spec"]["allocateLoadBalancerNodePorts"] = false;
  for (auto& p : off["spec"]["ports"]) p.erase("nodePort");  // an apply that does not name them
  auto kept = allocate_service(taken, off, *with, ranges);
  ASSERT_TRUE(kept) << kept.error().what();
  EXPECT_EQ((*kept)["spec"]["ports"], (*with)["spec"]["ports"]);
}

}  // namespace
}  // namespace lab::store
