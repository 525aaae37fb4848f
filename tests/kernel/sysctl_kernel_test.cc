// Kernel test for per-netns sysctls (root): the write lands in the target netns only, a misspelt
// key is an error naming it, and the private proc instance the writes go through leaves no mount.
#include <gtest/gtest.h>

#include <string>

#include "lab/base/unique_fd.h"
#include "netns/netns.h"
#include "netns/sysctl.h"

namespace lab::net {
namespace {

std::string read_in(const Netns& ns, const std::string& key) {
  auto in = NetnsSwitch::enter(ns);
  EXPECT_TRUE(in.has_value());
  auto text = read_file("/proc/sys/" + key);
  EXPECT_TRUE(text.has_value()) << key;
  return text ? *text : std::string();
}

TEST(Sysctl, WritesLandInTheTargetNetnsOnly) {
  const std::string key = "net/ipv4/ip_unprivileged_port_start";
  auto host_before = read_file("/proc/sys/" + key);
  ASSERT_TRUE(host_before.has_value());
  auto mounts_before = read_file("/proc/self/mountinfo");
  ASSERT_TRUE(mounts_before.has_value());
  auto a = Netns::create_anonymous(), b = Netns::create_anonymous();
  ASSERT_TRUE(a && b);
  ASSERT_TRUE(set_sysctls(*a, {{key, "0"}, {"net/ipv6/conf/default/disable_ipv6", "1"}}));
  ASSERT_TRUE(set_sysctl(*b, key, "77"));
  EXPECT_EQ(read_in(*a, key), "0\n");
  EXPECT_EQ(read_in(*a, "net/ipv6/conf/default/disable_ipv6"), "1\n");
  EXPECT_EQ(read_in(*b, key), "77\n");
  EXPECT_EQ(read_in(*b, "net/ipv6/conf/default/disable_ipv6"), "0\n");
  EXPECT_EQ(read_file("/proc/sys/" + key).value_or(""), *host_before);
  EXPECT_EQ(read_file("/proc/self/mountinfo").value_or(""), *mounts_before);
}

TEST(Sysctl, AMisspeltKeyIsAnErrorNamingIt) {
  auto ns = Netns::create_anonymous();
  ASSERT_TRUE(ns);
  auto r = set_sysctl(*ns, "net/ipv4/ip_frowarding", "1");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, ENOENT);
  EXPECT_NE(r.error().what().find("net/ipv4/ip_frowarding"), std::string::npos) << r.error().what();
  EXPECT_EQ(set_sysctl(*ns, "../../etc/passwd", "x").error().code, EINVAL);
}

}  // namespace
}  // namespace lab::net
