// The image catalog: the few images the tutorials use, each mapped onto binaries the host
// already has. Reference parsing follows Docker's (registry/namespace/name:tag) loosely.
#include "runtime/image.h"

#include <array>

namespace lab::runtime {
namespace {

const std::vector<std::string> kDefaultEnv = {
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"};

const std::array<Image, 3>& catalog() {
  static const std::array<Image, 3> images = {
      Image{"busybox", {}, {"sh"}, kDefaultEnv, false, {"/usr/bin/busybox"}},
      Image{"nginx",
            {},
            {"nginx", "-g", "daemon off;"},
            kDefaultEnv,
            true,
            {"/usr/bin/busybox", "/usr/sbin/nginx"}},
      Image{"radial/busyboxplus:curl",
            {},
            {"sh"},
            kDefaultEnv,
            false,
            {"/usr/bin/busybox", "/usr/bin/curl"}},
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

std::vector<std::string> known_images() {
  std::vector<std::string> names;
  for (const auto& image : catalog()) names.push_back(image.name);
  return names;
}

}  // namespace lab::runtime
