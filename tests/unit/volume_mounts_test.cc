// A volume's subPath is resolved inside the volume whatever symlinks the container planted in it
// (the subPath escape, CVE-2017-1002101): an absolute link or a chain of `..` lands inside the
// volume, and a missing sub-path is made there, never on the host.
#include "runtime/volume_mounts.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

using namespace lab;
using namespace lab::runtime;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/volume-mounts-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string where(const UniqueFd& fd) {
  std::error_code ec;
  return std::filesystem::read_symlink("/proc/self/fd/" + std::to_string(fd.get()), ec).string();
}

}  // namespace

TEST(VolumeMounts, SubPathsStayInsideTheVolume) {
  TempDir d;
  const std::string vol = d.path + "/vol";
  std::filesystem::create_directory(vol);
  std::filesystem::create_directory_symlink("/", vol + "/esc");
  std::filesystem::create_directory_symlink("../../../../..", vol + "/up");
  ASSERT_TRUE(write_file(vol + "/f", "x"));
  std::filesystem::create_symlink("..data/f", vol + "/key");  // a configMap volume's name
  std::filesystem::create_directory(vol + "/..data");
  ASSERT_TRUE(write_file(vol + "/..data/f", "y"));

  auto fds = open_volume_sources({{vol, "/a", false, "esc/etc"},
                                  {vol, "/b", false, "up/tmp/x"},
                                  {vol, "/c", false, "f"},
                                  {vol, "/d", false, "key"},
                                  {vol, "/e", true, ""}});
  ASSERT_TRUE(fds) << fds.error().what();
  ASSERT_EQ(fds->size(), 5u);
  EXPECT_EQ(where((*fds)[0]), vol + "/etc");  // made in the volume, not the host's /etc
  EXPECT_EQ(where((*fds)[1]), vol + "/tmp/x");
  EXPECT_EQ(where((*fds)[2]), vol + "/f");
  EXPECT_EQ(where((*fds)[3]), vol + "/..data/f");
  EXPECT_EQ(where((*fds)[4]), vol);
  EXPECT_TRUE(std::filesystem::is_directory(vol + "/etc"));
  EXPECT_FALSE(std::filesystem::exists(d.path + "/tmp"));
}

TEST(VolumeMounts, DirectoriesMadeInARoot) {
  TempDir d;
  std::filesystem::create_directory(d.path + "/root");
  std::filesystem::create_directory(d.path + "/root/run");
  std::filesystem::create_directory_symlink("/run", d.path + "/root/varrun");  // as /var/run -> /run
  std::filesystem::create_directory_symlink("/nowhere", d.path + "/root/dangling");
  auto root = UniqueFd::open(d.path + "/root", O_PATH | O_DIRECTORY);
  ASSERT_TRUE(root);
  auto fd = open_dirs_in(root->get(), "varrun/secrets/x");
  ASSERT_TRUE(fd) << fd.error().what();
  EXPECT_EQ(where(*fd), d.path + "/root/run/secrets/x");  // the root's /run, not the host's
  EXPECT_FALSE(open_dirs_in(root->get(), "a/../../b"));
  // A link to nothing is an error, never a directory made wherever it points.
  EXPECT_FALSE(open_dirs_in(root->get(), "dangling/x"));
  EXPECT_FALSE(std::filesystem::exists("/nowhere"));
}
