// The image catalog: each known image name is a recipe over the host's own binaries
// (which binaries, default command, environment, data), since lab pulls nothing. The files
// an image's containers see are its root (image_root.h), mounted at /usr.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "runtime/rootfs.h"

namespace lab::runtime {

struct Image {
  std::string name;                      // "nginx", "busybox", "radial/busyboxplus:curl"
  std::vector<std::string> entrypoint;   // Docker ENTRYPOINT (may be empty)
  std::vector<std::string> cmd;          // Docker CMD
  std::vector<std::string> env;          // "KEY=value", image defaults (PATH ...)
  bool nginx = false;                    // needs the generated nginx config and dirs
  std::vector<std::string> host_binaries;  // must exist on the host for the image to work
  // A lab executable (found beside the running lab binary) shown read-only at entrypoint[0]:
  // the DNS server `lab-dns` is CoreDNS's /coredns.
  std::string lab_binary;
  // Gets the lab's read-only API socket at /var/run/lab/api.sock (GETs of services,
  // endpointslices, pods, namespaces: what CoreDNS's ClusterRole may read). No other image
  // reaches the API at all.
  bool reads_api = false;
  // Host directories copied into the image's root (image_root.h) beside its programs and their
  // libraries: nginx's document root.
  std::vector<std::string> data_dirs = {};
};

// Accepts "nginx", "nginx:latest", "docker.io/library/nginx:1.25" etc. (the tag is ignored,
// the repository must be known). Error lists the known images.
Result<const Image*> find_image(const std::string& ref);
std::vector<std::string> known_images();

// What the image's containers see of the host beyond the common root: its lab executable
// (beside the running binary: lab-pod-init and lab are installed together) and, for an image
// that reads the API, api_socket_dir (the daemon's read-only socket directory) at /run/lab, so
// that /var/run/lab/api.sock is the socket. An error when a needed path is missing.
Result<std::vector<BindMount>> image_binds(const Image& image, const std::string& api_socket_dir);

}  // namespace lab::runtime
