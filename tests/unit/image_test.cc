// The image catalog and how a container's argv and environment come out of image + spec.
#include "runtime/image.h"

#include <gtest/gtest.h>

#include "runtime/command.h"

namespace lab::runtime {
namespace {

std::string name_of(const std::string& ref) {
  auto image = find_image(ref);
  return image ? (*image)->name : "error: " + image.error().what();
}

TEST(FindImage, AcceptsDockerReferenceForms) {
  EXPECT_EQ(name_of("nginx"), "nginx");
  EXPECT_EQ(name_of("nginx:1.25"), "nginx");
  EXPECT_EQ(name_of("docker.io/library/nginx"), "nginx");
  EXPECT_EQ(name_of("docker.io/library/nginx:1.25@sha256:0123"), "nginx");
  EXPECT_EQ(name_of("localhost:5000/nginx:1"), "nginx");
  EXPECT_EQ(name_of("library/busybox:latest"), "busybox");
  EXPECT_EQ(name_of("busybox:1.36"), "busybox");
}

TEST(FindImage, BusyboxplusTagIsItsFlavour) {
  EXPECT_EQ(name_of("radial/busyboxplus:curl"), "radial/busyboxplus:curl");
  EXPECT_EQ(name_of("radial/busyboxplus"), "radial/busyboxplus:curl");
  EXPECT_EQ(name_of("docker.io/radial/busyboxplus:curl"), "radial/busyboxplus:curl");
  EXPECT_FALSE(find_image("radial/busyboxplus:latest"));
}

TEST(FindImage, UnknownImageListsKnownOnes) {
  auto image = find_image("foo");
  ASSERT_FALSE(image);
  EXPECT_EQ(image.error().what(),
            "unknown image \"foo\" (known images: busybox, nginx, radial/busyboxplus:curl)");
  EXPECT_FALSE(find_image("someone/nginx"));
}

TEST(FindImage, CatalogEntries) {
  const Image* nginx = *find_image("nginx");
  EXPECT_TRUE(nginx->nginx);
  EXPECT_EQ(nginx->cmd, (std::vector<std::string>{"nginx", "-g", "daemon off;"}));
  const Image* curl = *find_image("radial/busyboxplus:curl");
  EXPECT_FALSE(curl->nginx);
  EXPECT_NE(std::ranges::find(curl->host_binaries, "/usr/bin/curl"), curl->host_binaries.end());
  EXPECT_EQ(known_images(),
            (std::vector<std::string>{"busybox", "nginx", "radial/busyboxplus:curl"}));
}

Image test_image() {
  Image i;
  i.name = "test";
  i.entrypoint = {"/entry"};
  i.cmd = {"serve", "--port=80"};
  i.env = {"PATH=/usr/bin:/bin", "MODE=image"};
  return i;
}

std::vector<std::string> argv_of(const std::vector<std::string>& command,
                                 const std::vector<std::string>& args) {
  ContainerSpec c;
  c.name = "c";
  c.command = command;
  c.args = args;
  return resolve_process(test_image(), c, "pod")->argv;
}

TEST(ResolveProcess, KubernetesCommandAndArgsRules) {
  using V = std::vector<std::string>;
  EXPECT_EQ(argv_of({}, {}), (V{"/entry", "serve", "--port=80"}));
  EXPECT_EQ(argv_of({}, {"other"}), (V{"/entry", "other"}));
  EXPECT_EQ(argv_of({"sh"}, {}), (V{"sh"}));  // command drops CMD
  EXPECT_EQ(argv_of({"sh", "-c"}, {"exit 3"}), (V{"sh", "-c", "exit 3"}));
}

TEST(ResolveProcess, EnvImageThenSpecLaterWins) {
  ContainerSpec c;
  c.name = "c";
  c.env = {{"MODE", "spec"}, {"EXTRA", "1"}, {"EXTRA", "2"}};
  auto p = resolve_process(test_image(), c, "web-1");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->env, (std::vector<std::string>{"HOSTNAME=web-1", "PATH=/usr/bin:/bin", "MODE=spec",
                                              "EXTRA=2"}));
  EXPECT_EQ(env_get(p->env, "MODE"), "spec");
  EXPECT_EQ(env_get(p->env, "MISSING"), "");
}

TEST(ResolveProcess, NoCommandAtAllIsAnError) {
  Image empty;
  empty.name = "empty";
  ContainerSpec c;
  c.name = "c";
  auto p = resolve_process(empty, c, "pod");
  ASSERT_FALSE(p);
  EXPECT_NE(p.error().what().find("container c"), std::string::npos);
}

TEST(LookupExecutable, SearchesTheGivenPath) {
  // /bin/sh exists on every host these tests run on.
  auto sh = lookup_executable("sh", {"PATH=/nonexistent:/bin"});
  ASSERT_TRUE(sh);
  EXPECT_EQ(*sh, "/bin/sh");
  EXPECT_EQ(*lookup_executable("/bin/sh", {}), "/bin/sh");
  auto missing = lookup_executable("no-such-program-xyz", {"PATH=/bin"});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().what(), "exec no-such-program-xyz: No such file or directory");
}

}  // namespace
}  // namespace lab::runtime
