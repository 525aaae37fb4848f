// An image's root: the directory every container of the image sees as its /usr. It holds the
// image's own programs, the libraries they load (elf_deps.h), busybox (the applets of /bin link to
// /usr/bin/busybox) and the image's data files: nothing else of the host's /usr, so no compiler,
// interpreter or host tool is visible in a pod. Built once per lab, under /run/lab/<lab>/images.
#pragma once

#include <string>
#include <vector>

#include "lab/base/result.h"
#include "runtime/elf_deps.h"
#include "runtime/image.h"

namespace lab::runtime {

// Debian's busybox lacks the printenv applet that upstream busybox (the busybox image) has, and
// the tutorial runs `exec POD -- printenv` in nginx (whose Debian base has coreutils'): coreutils'
// printenv is in every image, with busybox.
inline constexpr const char* kPrintenv = "/usr/bin/printenv";

// The image's directory name under the images directory: its name with every character other
// than [A-Za-z0-9._-] made '_' ("radial/busyboxplus:curl" -> "radial_busyboxplus_curl").
std::string image_root_name(const Image& image);

// Where a file the container reads at an absolute path lives in a root mounted at /usr, relative
// to that root: "/usr/lib/x" and, through Debian's merged-/usr links, "/lib/x" -> "lib/x",
// "/lib64/x" -> "lib64/x". An error for any other path (it would not be visible in the container).
Result<std::string> usr_relative(const std::string& container_path);

// One file of the root: copied from host (symlinks followed) to dest, relative to the root.
struct ImageFile {
  std::string host;
  std::string dest;
  bool operator==(const ImageFile&) const = default;
};

// The files of the image's root, besides its data directories: busybox, printenv, the image's host binaries,
// and the libraries of those and of lab_binary (a lab executable shown at the entrypoint, itself
// bound in, not copied). Reads through read (pure given it).
Result<std::vector<ImageFile>> image_files(const Image& image, const std::string& lab_binary,
                                           const LibrarySearch& search, const ReadBytes& read);

// The host's library search: the defaults plus the directories of /etc/ld.so.conf.d/*.conf.
LibrarySearch host_library_search();

// Makes dir (unless it is there) as the image's root, whole or not at all: built beside it and
// renamed into place, so that two node agents starting pods at once and a crash leave no partial
// one. lab_binary is the host path of image.lab_binary ("" when the image has none).
Result<void> make_image_root(const std::string& dir, const Image& image, const std::string& lab_binary);

}  // namespace lab::runtime
