// The image catalog and how a container's argv and environment come out of image + spec.
#include "runtime/image.h"

#include <gtest/gtest.h>
#include <unistd.h>

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
            "unknown image \"foo\" (known images: busybox, nginx, radial/busyboxplus:curl, coredns/coredns, bprashanth/nginxhttps, bitnami/kubectl)");
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
            (std::vector<std::string>{"busybox", "nginx", "radial/busyboxplus:curl", "coredns/coredns",
                                      "bprashanth/nginxhttps", "bitnami/kubectl"}));
}

TEST(FindImage, KubectlImageIsTheHostsKubectl) {
  const Image* k = *find_image("docker.io/bitnami/kubectl:1.32");
  EXPECT_EQ(k->entrypoint, (std::vector<std::string>{"/opt/bitnami/kubectl/bin/kubectl"}));
  EXPECT_EQ(k->cmd, (std::vector<std::string>{"--help"}));
  EXPECT_FALSE(k->reads_api);  // it reaches the API as any pod does, through the kubernetes Service
  ASSERT_TRUE(k->lab_binary.starts_with("/")) << k->lab_binary;
  if (::access(k->lab_binary.c_str(), X_OK) == 0) {
    auto binds = image_binds(*k, "");
    ASSERT_TRUE(binds) << binds.error().what();
    ASSERT_EQ(binds->size(), 1u);
    EXPECT_EQ((*binds)[0].source, k->lab_binary);
    EXPECT_EQ((*binds)[0].target, "/opt/bitnami/kubectl/bin/kubectl");
  }
  Image gone = *k;
  gone.lab_binary = "/no/such/kubectl";
  auto r = image_binds(gone, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().what(), "image bitnami/kubectl needs /no/such/kubectl on the host");
}

TEST(FindImage, CorednsIsTheLabsDnsServer) {
  for (const char* ref : {"registry.k8s.io/coredns/coredns:v1.11.1", "registry.k8s.io/coredns/coredns",
                          "coredns/coredns", "coredns/coredns:1.11.1", "docker.io/coredns/coredns:latest"}) {
    auto image = find_image(ref);
    ASSERT_TRUE(image) << ref;
    EXPECT_EQ((*image)->name, "coredns/coredns") << ref;
  }
  EXPECT_FALSE(find_image("coredns"));
  const Image* dns = *find_image("registry.k8s.io/coredns/coredns:v1.11.1");
  EXPECT_EQ(dns->entrypoint, (std::vector<std::string>{"/coredns"}));
  EXPECT_EQ(dns->lab_binary, "lab-dns");
  EXPECT_TRUE(dns->reads_api);
  // Only the DNS image reads the API.
  for (const char* other : {"busybox", "nginx", "radial/busyboxplus:curl"}) {
    EXPECT_FALSE((*find_image(other))->reads_api) << other;
    EXPECT_TRUE((*find_image(other))->lab_binary.empty()) << other;
    auto binds = image_binds(**find_image(other), "/run/lab/x/api-read");
    ASSERT_TRUE(binds);
    EXPECT_TRUE(binds->empty()) << other;
  }
}

TEST(FindImage, DnsImageBindsTheApiDirectory) {
  Image reader;
  reader.name = "reader";
  reader.reads_api = true;
  auto binds = image_binds(reader, "/run/lab/x/api-read");
  ASSERT_TRUE(binds);
  ASSERT_EQ(binds->size(), 1u);
  EXPECT_EQ((*binds)[0].source, "/run/lab/x/api-read");
  EXPECT_EQ((*binds)[0].target, "/run/lab");
  EXPECT_FALSE(image_binds(reader, ""));  // a pod without the socket cannot run it
  Image missing;
  missing.name = "missing";
  missing.entrypoint = {"/x"};
  missing.lab_binary = "no-such-lab-binary";
  auto r = image_binds(missing, "");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().what().find("no-such-lab-binary"), std::string::npos);
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
