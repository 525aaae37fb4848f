// The image catalog: each known image name is a recipe over the host's own binaries
// (which binaries, default command, environment), since lab pulls nothing.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"

namespace lab::runtime {

struct Image {
  std::string name;                      // "nginx", "busybox", "radial/busyboxplus:curl"
  std::vector<std::string> entrypoint;   // Docker ENTRYPOINT (may be empty)
  std::vector<std::string> cmd;          // Docker CMD
  std::vector<std::string> env;          // "KEY=value", image defaults (PATH ...)
  bool nginx = false;                    // needs the generated nginx config and dirs
  std::vector<std::string> host_binaries;  // must exist on the host for the image to work
};

// Accepts "nginx", "nginx:latest", "docker.io/library/nginx:1.25" etc. (the tag is ignored,
// the repository must be known). Error lists the known images.
Result<const Image*> find_image(const std::string& ref);
std::vector<std::string> known_images();

}  // namespace lab::runtime
