// The container's seccomp program as the pod init and `lab exec` both choose it
// (runtime/container_process.h): none when Unconfined, the container's own precompiled program,
// Docker's profile compiled for other capabilities, else the pod's precompiled one.
#include <gtest/gtest.h>
#include <linux/capability.h>

#include "runtime/caps.h"
#include "runtime/container_process.h"
#include "runtime/pod_spec.h"
#include "runtime/seccomp.h"

namespace lab {
namespace {

using runtime::cap_bit;
using runtime::SeccompSource;
using runtime::SecuritySpec;

SecuritySpec with_caps(runtime::CapSet caps) {
  SecuritySpec s;
  s.capabilities = caps;
  return s;
}

TEST(ContainerSeccomp, SourceFollowsTheSecurityContext) {
  SecuritySpec plain;
  EXPECT_EQ(runtime::seccomp_source(plain, false), SeccompSource::Pod);
  EXPECT_EQ(runtime::seccomp_source(plain, true), SeccompSource::Own);
  auto capped = with_caps(cap_bit(CAP_NET_BIND_SERVICE));
  EXPECT_EQ(runtime::seccomp_source(capped, false), SeccompSource::Compiled);
  EXPECT_EQ(runtime::seccomp_source(capped, true), SeccompSource::Own);
  SecuritySpec unconfined;
  unconfined.seccomp_unconfined = true;
  EXPECT_EQ(runtime::seccomp_source(unconfined, false), SeccompSource::Unconfined);
  // Unconfined wins over any program the spec carries.
  EXPECT_EQ(runtime::seccomp_source(unconfined, true), SeccompSource::Unconfined);
  // A uid changes nothing: the filter depends on the capabilities alone.
  SecuritySpec user;
  user.run_as_user = 1000;
  EXPECT_EQ(runtime::seccomp_source(user, false), SeccompSource::Pod);
}

TEST(ContainerSeccomp, ProgramsFromTheSpec) {
  auto pod = runtime::SeccompFilter::container_profile();
  ASSERT_TRUE(pod);
  std::string pod_hex = pod->to_hex();
  SecuritySpec plain;
  auto f = runtime::container_seccomp(plain, "", pod_hex);
  ASSERT_TRUE(f) << f.error().what();
  ASSERT_TRUE(f->has_value());
  EXPECT_EQ((*f)->to_hex(), pod_hex);
  // Without a carried program the pod's is compiled, the same program.
  f = runtime::container_seccomp(plain, "", "");
  ASSERT_TRUE(f && f->has_value());
  EXPECT_EQ((*f)->to_hex(), pod_hex);

  auto admin = with_caps(runtime::default_caps() | cap_bit(CAP_SYS_ADMIN));
  auto own = runtime::SeccompFilter::docker_default(admin.capabilities);
  ASSERT_TRUE(own);
  f = runtime::container_seccomp(admin, "", pod_hex);
  ASSERT_TRUE(f && f->has_value());
  EXPECT_EQ((*f)->to_hex(), own->to_hex());
  EXPECT_NE((*f)->to_hex(), pod_hex);
  f = runtime::container_seccomp(admin, own->to_hex(), pod_hex);
  ASSERT_TRUE(f && f->has_value());
  EXPECT_EQ((*f)->to_hex(), own->to_hex());

  SecuritySpec unconfined;
  unconfined.seccomp_unconfined = true;
  f = runtime::container_seccomp(unconfined, own->to_hex(), pod_hex);
  ASSERT_TRUE(f);
  EXPECT_FALSE(f->has_value());
}

TEST(ContainerSeccomp, ACorruptProgramIsAnErrorNeverNoFilter) {
  SecuritySpec plain;
  auto f = runtime::container_seccomp(plain, "", "zz");
  ASSERT_FALSE(f);
  EXPECT_NE(f.error().what().find("seccomp"), std::string::npos);
  auto admin = with_caps(runtime::default_caps() | cap_bit(CAP_SYS_ADMIN));
  EXPECT_FALSE(runtime::container_seccomp(admin, "0123", ""));
}

TEST(ContainerProcess, RefusesWithoutSecuritySettings) {
  runtime::ContainerProcess p;
  auto r = runtime::become_container_process(p);
  EXPECT_FALSE(r);
}

}  // namespace
}  // namespace lab
