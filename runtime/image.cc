// The image catalog: the few images the tutorials use, each mapped onto binaries the host
// already has. Reference parsing follows Docker's (registry/namespace/name:tag) loosely.
#include "runtime/image.h"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>

#include "lab/base/parse.h"
#include "runtime/lab_binaries.h"

namespace lab::runtime {
namespace {

const std::vector<std::string> kDefaultEnv = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};

// Docker's nginx image: the generated nginx.conf and its stock conf.d/default.conf, the
// welcome page in /usr/share/nginx/html.
Image nginx_image(std::string name) {
  return Image{std::move(name),
               {},
               {"nginx", "-g", "daemon off;"},
               kDefaultEnv,
               true,
               {"/usr/bin/busybox", "/usr/sbin/nginx"},
               "",
               false,
               {"/usr/share/nginx/html"}};
}

// The host's kubectl for the kubectl image: beside the kubectl on PATH (resolved: the Cloud SDK's
// dispatcher keeps kubectl.1.NN next to itself), the one of the minor the lab's API reports
// (lab/api/version.h: 32, or LAB_KUBE_MINOR's), else that kubectl itself. All are static Go
// programs (no libraries to bring). "/usr/local/bin/kubectl" when there is none, which the
// image's bind then names as missing.
std::string host_kubectl() {
  std::string minor = "32";
  if (const char* env = std::getenv("LAB_KUBE_MINOR"); env && *env)
    if (auto n = parse_int(env, 29, 33)) minor = std::to_string(*n);
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  for (size_t start = 0; start <= dirs.size();) {
    size_t colon = dirs.find(':', start);
    if (colon == std::string::npos) colon = dirs.size();
    const std::string dir = dirs.substr(start, colon - start);
    start = colon + 1;
    if (dir.empty() || dir[0] != '/') continue;
    std::error_code ec;
    auto real = std::filesystem::canonical(dir + "/kubectl", ec);
    if (ec || ::access(real.c_str(), X_OK) != 0) continue;
    auto versioned = real.parent_path() / ("kubectl.1." + minor);
    if (::access(versioned.c_str(), X_OK) == 0) return versioned.string();
    return real.string();
  }
  return "/usr/local/bin/kubectl";
}

const std::array<Image, 6>& catalog() {
  static const std::array<Image, 6> images = {
      Image{"busybox", {}, {"sh"}, kDefaultEnv, false, {"/usr/bin/busybox"}, "", false},
      nginx_image("nginx"),
      Image{"radial/busyboxplus:curl",
            {},
            {"sh"},
            kDefaultEnv,
            false,
            {"/usr/bin/busybox", "/usr/bin/curl"},
            "",
            false},
      // CoreDNS's image (registry.k8s.io/coredns/coredns, ENTRYPOINT ["/coredns"]): the lab's
      // DNS server, which reads the defaults of its flags (API socket, ports, zone) as CoreDNS
      // reads its Corefile.
      Image{"coredns/coredns", {"/coredns"}, {}, kDefaultEnv, false, {}, "lab-dns", true},
      // The tutorial's HTTPS nginx (kubernetes/examples staging/https-nginx): the nginx image,
      // whose stock conf.d/default.conf the tutorial's ConfigMap replaces with one serving 80
      // and 443 with the certificate of a Secret volume at /etc/nginx/ssl.
      nginx_image("bprashanth/nginxhttps"),
      // bitnami/kubectl (ENTRYPOINT ["kubectl"], CMD ["--help"], kubectl in
      // /opt/bitnami/kubectl/bin on PATH): the host's kubectl, shown read-only there. In a pod it
      // uses the in-cluster config (KUBERNETES_SERVICE_HOST and the ServiceAccount's files).
      Image{"bitnami/kubectl",
            {"/opt/bitnami/kubectl/bin/kubectl"},
            {"--help"},
            {"PATH=/opt/bitnami/kubectl/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
            false,
            {},
            host_kubectl(),
            false},
  };
  return images;
}

// Splits "docker.io/library/nginx:1.25@sha256:..." into repository "nginx" and tag "1.25".
// The first path component is a registry only if it looks like a host (has '.' or ':', or is
// "localhost"), as in Docker's reference grammar.
void split_ref(std::string ref, std::string& repo, std::string& tag) {
  if (auto at = ref.find('@'); at != std::string::npos) ref.resize(at);
  if (auto slash = ref.find('/'); slash != std::string::npos) {
    std::string first = ref.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos || first == "localhost")
      ref = ref.substr(slash + 1);
  }
  auto colon = ref.rfind(':');
  if (colon != std::string::npos && ref.find('/', colon) == std::string::npos) {
    tag = ref.substr(colon + 1);
    ref.resize(colon);
  } else {
    tag.clear();
  }
  if (ref.starts_with("library/")) ref = ref.substr(8);
  repo = ref;
}

}  // namespace

Result<const Image*> find_image(const std::string& ref) {
  std::string repo, tag;
  split_ref(ref, repo, tag);
  // busyboxplus exists only as its "curl" flavour; the tag names the flavour, not a version.
  if (repo == "radial/busyboxplus" && (tag.empty() || tag == "curl")) repo += ":curl";
  for (const auto& image : catalog())
    if (image.name == repo) return &image;
  std::string known;
  for (const auto& name : known_images()) known += (known.empty() ? "" : ", ") + name;
  return fail("unknown image \"" + ref + "\" (known images: " + known + ")");
}

Result<std::vector<BindMount>> image_binds(const Image& image, const std::string& api_socket_dir) {
  std::vector<BindMount> binds;
  if (!image.lab_binary.empty()) {
    if (image.entrypoint.empty()) return fail("image " + image.name + ": no entrypoint for " + image.lab_binary);
    std::string self = self_exe();
    std::string path = sibling_binary(self, image.lab_binary);
    if (path.empty() && image.lab_binary.starts_with('/'))
      return fail("image " + image.name + " needs " + image.lab_binary + " on the host");
    if (path.empty())
      return fail("image " + image.name + " needs " + image.lab_binary + " beside " + self +
                  " (build or install it with lab)");
    binds.push_back({path, image.entrypoint.front()});
  }
  if (image.reads_api) {
    if (api_socket_dir.empty()) return fail("image " + image.name + " reads the API, and the pod has no API socket");
    binds.push_back({api_socket_dir, "/run/lab"});
  }
  return binds;
}

std::vector<std::string> known_images() {
  std::vector<std::string> names;
  for (const auto& image : catalog()) names.push_back(image.name);
  return names;
}

}  // namespace lab::runtime
