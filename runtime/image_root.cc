// Assembling an image's root from the host's files: the list is computed first (image_files, from
// ELF headers), then copied into a fresh directory that is renamed into place, as
// make_applets_dir does for /bin. Copies, not binds or hard links: a container must never hold
// an inode of the host's /usr.
#include "runtime/image_root.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <set>

#include "lab/base/unique_fd.h"
#include "runtime/rootfs.h"

namespace lab::runtime {
namespace {

Result<void> mkdir_parents(const std::string& root, const std::string& rel) {
  for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
    std::string dir = root + "/" + rel.substr(0, slash);
    if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("mkdir " + dir);
  }
  return {};
}

// Copies the file host names (its final target, when a symlink) to root/rel with the target's
// permission bits, less set-id bits: the root is mounted nosuid anyway.
Result<void> copy_in(const std::string& host, const std::string& root, const std::string& rel) {
  LAB_TRY(mkdir_parents(root, rel));
  struct stat st{};
  if (::stat(host.c_str(), &st) != 0) return fail_errno("stat " + host);
  if (!S_ISREG(st.st_mode)) return fail(host + " is not a regular file");
  std::string dest = root + "/" + rel;
  std::error_code ec;
  if (!std::filesystem::copy_file(host, dest, std::filesystem::copy_options::skip_existing, ec) && ec)
    return fail("copy " + host + " to " + dest + ": " + ec.message(), ec.value());
  if (::chmod(dest.c_str(), st.st_mode & 0777) != 0) return fail_errno("chmod " + dest);
  return {};
}

// A data directory of the image (nginx's html), copied whole: files, subdirectories, and symlinks
// that stay inside it.
Result<void> copy_tree(const std::string& host_dir, const std::string& root, const std::string& rel) {
  LAB_TRY(mkdir_parents(root, rel + "/"));
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(host_dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    std::string sub = it->path().string().substr(host_dir.size());
    std::string dest = rel + sub;
    if (it->is_symlink(ec)) {
      // Followed only to a file within the tree; a link out of it would copy host files in.
      auto target = std::filesystem::canonical(it->path(), ec);
      if (ec || !target.string().starts_with(host_dir + "/")) { ec.clear(); continue; }
      if (std::filesystem::is_regular_file(target)) LAB_TRY(copy_in(target.string(), root, dest));
    } else if (it->is_directory(ec)) {
      LAB_TRY(mkdir_parents(root, dest + "/"));
    } else if (it->is_regular_file(ec)) {
      LAB_TRY(copy_in(it->path().string(), root, dest));
    }
  }
  if (ec) return fail("read " + host_dir + ": " + ec.message(), ec.value());
  return {};
}

}  // namespace

std::string image_root_name(const Image& image) {
  std::string name = image.name;
  for (char& c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
      c = '_';
  if (name.empty() || name == "." || name == "..") name = "_" + name;
  return name;
}

Result<std::string> usr_relative(const std::string& container_path) {
  if (container_path.find("/../") != std::string::npos || container_path.ends_with("/..") ||
      container_path.find("/./") != std::string::npos)
    return fail(container_path + " is not a plain absolute path");
  for (const char* prefix : {"/usr/", "/lib/", "/lib64/"}) {
    std::string p = prefix;
    if (!container_path.starts_with(p) || container_path.size() == p.size()) continue;
    return p == "/usr/" ? container_path.substr(5) : container_path.substr(1);
  }
  return fail(container_path + " is outside /usr, /lib and /lib64, which the image root provides");
}

Result<std::vector<ImageFile>> image_files(const Image& image, const std::string& lab_binary,
                                           const LibrarySearch& search, const ReadBytes& read) {
  std::vector<ImageFile> files;
  std::set<std::string> dests;
  auto add = [&](const std::string& host, const std::string& container_path) -> Result<void> {
    auto rel = usr_relative(container_path);
    if (!rel) return std::unexpected(rel.error().context("image " + image.name));
    if (dests.insert(*rel).second) files.push_back({host, *rel});
    return {};
  };
  std::vector<std::string> programs = {kBusybox, kPrintenv};
  for (const auto& bin : image.host_binaries)
    if (std::find(programs.begin(), programs.end(), bin) == programs.end()) programs.push_back(bin);
  for (const auto& bin : programs) LAB_TRY(add(bin, bin));
  if (!image.lab_binary.empty()) {
    if (lab_binary.empty()) return fail("image " + image.name + " needs " + image.lab_binary);
    programs.push_back(lab_binary);
  }
  auto deps = elf_dependencies(programs, search, read);
  if (!deps) return std::unexpected(deps.error().context("image " + image.name));
  for (const auto& dep : *deps) LAB_TRY(add(dep.host_path, dep.root_path));
  return files;
}

LibrarySearch host_library_search() {
  LibrarySearch search = default_library_search();
  std::vector<std::string> confs;
  if (DIR* d = ::opendir("/etc/ld.so.conf.d")) {
    while (dirent* e = ::readdir(d)) {
      std::string name = e->d_name;
      if (name.ends_with(".conf")) confs.push_back("/etc/ld.so.conf.d/" + name);
    }
    ::closedir(d);
  }
  std::sort(confs.begin(), confs.end());  // glob(3) order, as ldconfig reads them
  for (const auto& conf : confs) {
    auto text = read_file(conf);
    if (!text) continue;
    for (auto& dir : parse_ld_so_conf(*text)) search.conf_dirs.push_back(std::move(dir));
  }
  return search;
}

Result<void> make_image_root(const std::string& dir, const Image& image, const std::string& lab_binary) {
  if (auto slash = dir.rfind('/'); slash != std::string::npos && slash > 0) {
    std::error_code ec;
    std::filesystem::create_directories(dir.substr(0, slash), ec);
    if (ec) return fail("mkdir " + dir.substr(0, slash) + ": " + ec.message(), ec.value());
  }
  auto built = make_dir_once(dir, [&](const std::string& tmp) -> Result<void> {
    auto files = image_files(image, lab_binary, host_library_search(),
                             [](const std::string& path) { return read_file(path); });
    if (!files) return std::unexpected(files.error());
    // Debian's usual dirs, so that a PATH entry or `ls /usr/bin` finds a directory.
    for (const char* sub : {"bin", "sbin", "lib", "share"}) LAB_TRY(mkdir_parents(tmp, std::string(sub) + "/"));
    for (const auto& f : *files) LAB_TRY(copy_in(f.host, tmp, f.dest));
    for (const auto& data : image.data_dirs) {
      auto rel = usr_relative(data);
      if (!rel) return std::unexpected(rel.error());
      LAB_TRY(copy_tree(data, tmp, *rel));
    }
    return {};
  });
  if (!built) return std::unexpected(built.error().context("image root of " + image.name));
  return built;
}

}  // namespace lab::runtime
