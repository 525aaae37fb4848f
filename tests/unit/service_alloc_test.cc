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

}  // namespace
}  // namespace lab::store
