// The Kubernetes version the lab reports, and its test-only override LAB_KUBE_MINOR
// (lab/api/version.h): /version and the nodes follow it; bad values are refused with a clear error.
#include <gtest/gtest.h>

#include <cstdlib>

#include "lab/api/version.h"
#include "lab/server/discovery.h"

using namespace lab;

namespace {

// Sets LAB_KUBE_MINOR for one test and puts the process back to 1.32 afterwards.
struct MinorEnv {
  explicit MinorEnv(const char* v) { ::setenv(api::kMinorEnv, v, 1); }
  ~MinorEnv() {
    ::unsetenv(api::kMinorEnv);
    (void)api::set_kube_minor_from_env();
  }
};

}  // namespace

TEST(KubeMinor, DefaultIs32) {
  EXPECT_EQ(*api::parse_kube_minor(nullptr), 32);
  EXPECT_EQ(*api::parse_kube_minor(""), 32);
  EXPECT_EQ(api::version_minor(), "32");
  EXPECT_EQ(api::git_version(), "v1.32.0-lab");
  EXPECT_EQ(api::major_minor(), "1.32");
}

TEST(KubeMinor, AcceptsTheServedRange) {
  for (int m = api::kMinMinor; m <= api::kMaxMinor; ++m) {
    auto n = api::parse_kube_minor(std::to_string(m).c_str());
    ASSERT_TRUE(n) << m;
    EXPECT_EQ(*n, m);
  }
}

TEST(KubeMinor, RefusesAnythingElseByName) {
  for (const char* bad : {"28", "34", "0", "-29", "29.0", " 29", "29 ", "v1.29", "1.29", "abc", "99999999999999999999"}) {
    auto n = api::parse_kube_minor(bad);
    ASSERT_FALSE(n) << bad;
    EXPECT_NE(n.error().what().find("LAB_KUBE_MINOR"), std::string::npos) << n.error().what();
    EXPECT_NE(n.error().what().find("29 to 33"), std::string::npos) << n.error().what();
  }
  // Control characters from the environment are not echoed raw.
  auto n = api::parse_kube_minor("3\x1b[2J");
  ASSERT_FALSE(n);
  EXPECT_EQ(n.error().what().find('\x1b'), std::string::npos);
}

TEST(KubeMinor, VersionInfoFollowsTheOverride) {
  MinorEnv env("29");
  ASSERT_TRUE(api::set_kube_minor_from_env());
  auto v = server::version_info();
  EXPECT_EQ(v["major"], "1");
  EXPECT_EQ(v["minor"], "29");
  EXPECT_EQ(v["gitVersion"], "v1.29.0-lab");
  EXPECT_EQ(api::major_minor(), "1.29");
}

TEST(KubeMinor, BadOverrideLeavesTheVersion) {
  MinorEnv env("40");
  EXPECT_FALSE(api::set_kube_minor_from_env());
  EXPECT_EQ(api::version_minor(), "32");
}
