// The kubelet's atomic writer: content and modes, the `..data` link swapped with a rename (a
// reader sees the old files, whole, until the swap; a file it opened stays readable after it),
// items in subdirectories, names that went away, and payload paths it refuses.
#include "lab/node/atomic_writer.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>

#include "lab/base/unique_fd.h"

using namespace lab;
using namespace lab::node;

namespace {

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = std::filesystem::temp_directory_path().string() + "/atomic-writer-XXXXXX";
    path = ::mkdtemp(tmpl.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

std::string read(const std::string& path) {
  auto text = read_file(path);
  return text ? *text : "<" + text.error().what() + ">";
}

mode_t mode_of(const std::string& path) {
  struct stat st{};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return st.st_mode & 07777;
}

std::string link_of(const std::string& path) {
  std::error_code ec;
  auto target = std::filesystem::read_symlink(path, ec);
  return ec ? "" : target.string();
}

// Entries of dir whose names start with "..2" (the timestamped directories).
int timestamped_dirs(const std::string& dir) {
  int n = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().filename().string().starts_with("..2")) ++n;
  return n;
}

}  // namespace

TEST(AtomicWriter, WritesContentModesAndLinksThroughData) {
  TempDir d;
  AtomicWriter w(d.path);
  auto r = w.write({{"username", {"admin", 0644}}, {"password", {"s3cr3t\n", 0400}}, {"conf/app.ini", {"x=1\n", 0600}}});
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_TRUE(*r);
  EXPECT_EQ(read(d.path + "/username"), "admin");
  EXPECT_EQ(read(d.path + "/password"), "s3cr3t\n");
  EXPECT_EQ(read(d.path + "/conf/app.ini"), "x=1\n");
  // Modes exactly as asked, whatever the umask.
  EXPECT_EQ(mode_of(d.path + "/username"), 0644u);
  EXPECT_EQ(mode_of(d.path + "/password"), 0400u);
  EXPECT_EQ(mode_of(d.path + "/conf/app.ini"), 0600u);
  // The user-visible names are links through ..data, which names a timestamped directory.
  EXPECT_EQ(link_of(d.path + "/username"), "..data/username");
  EXPECT_EQ(link_of(d.path + "/conf"), "..data/conf");
  const std::string data = link_of(d.path + "/..data");
  EXPECT_TRUE(data.starts_with("..2")) << data;
  EXPECT_EQ(mode_of(d.path + "/" + data), 0755u);
  EXPECT_EQ(timestamped_dirs(d.path), 1);
  // Read back as written.
  auto back = w.read();
  ASSERT_TRUE(back);
  EXPECT_EQ(back->size(), 3u);
  EXPECT_EQ(back->at("password"), (FileProjection{"s3cr3t\n", 0400}));
}

TEST(AtomicWriter, TheSameContentTouchesNothing) {
  TempDir d;
  AtomicWriter w(d.path);
  Payload p = {{"a", {"1", 0644}}};
  ASSERT_TRUE(w.write(p));
  const std::string before = link_of(d.path + "/..data");
  auto again = w.write(p);
  ASSERT_TRUE(again);
  EXPECT_FALSE(*again);
  EXPECT_EQ(link_of(d.path + "/..data"), before);
  // A mode change is a change.
  p["a"].mode = 0600;
  auto changed = w.write(p);
  ASSERT_TRUE(changed);
  EXPECT_TRUE(*changed);
  EXPECT_EQ(mode_of(d.path + "/a"), 0600u);
}

TEST(AtomicWriter, OldFilesStayWholeUntilTheSwap) {
  TempDir d;
  AtomicWriter w(d.path);
  ASSERT_TRUE(w.write({{"a", {"old a", 0644}}, {"b", {"old b", 0644}}}));
  auto held = UniqueFd::open(d.path + "/a", O_RDONLY);  // a reader that opened it before
  ASSERT_TRUE(held);
  bool looked = false;
  auto r = w.write({{"a", {"new a", 0644}}, {"b", {"new b", 0644}}}, [&] {
    // The new directory is complete, ..data not yet moved: readers still see the old set, whole.
    looked = true;
    EXPECT_EQ(read(d.path + "/a"), "old a");
    EXPECT_EQ(read(d.path + "/b"), "old b");
    EXPECT_EQ(timestamped_dirs(d.path), 2);
  });
  ASSERT_TRUE(r) << r.error().what();
  EXPECT_TRUE(looked);
  EXPECT_EQ(read(d.path + "/a"), "new a");
  EXPECT_EQ(read(d.path + "/b"), "new b");
  // The file opened before the swap still reads the old content; the old directory is gone.
  char buf[16] = {};
  ASSERT_EQ(::pread(held->get(), buf, sizeof buf, 0), 5);
  EXPECT_EQ(std::string(buf), "old a");
  EXPECT_EQ(timestamped_dirs(d.path), 1);
  EXPECT_FALSE(std::filesystem::exists(d.path + "/..data_tmp"));
}

TEST(AtomicWriter, NamesThatWentAwayAreRemoved) {
  TempDir d;
  AtomicWriter w(d.path);
  ASSERT_TRUE(w.write({{"keep", {"1", 0644}}, {"gone", {"2", 0644}}, {"dir/x", {"3", 0644}}}));
  ASSERT_TRUE(w.write({{"keep", {"1b", 0644}}, {"new", {"4", 0644}}}));
  EXPECT_EQ(read(d.path + "/keep"), "1b");
  EXPECT_EQ(read(d.path + "/new"), "4");
  std::error_code ec;
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(d.path + "/gone", ec)));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(d.path + "/dir", ec)));
  // An empty payload empties the volume (an optional object that went).
  ASSERT_TRUE(w.write({}));
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(d.path + "/keep", ec)));
  EXPECT_TRUE(std::filesystem::is_symlink(d.path + "/..data"));
}

TEST(AtomicWriter, LeftoversOfACrashAreCleared) {
  TempDir d;
  AtomicWriter w(d.path);
  ASSERT_TRUE(w.write({{"a", {"1", 0644}}}));
  std::filesystem::create_directory(d.path + "/..2020_01_01_00_00_00.abcdef");  // written, never swapped
  ASSERT_EQ(::symlink("nowhere", (d.path + "/..data_tmp").c_str()), 0);
  ASSERT_TRUE(w.write({{"a", {"2", 0644}}}));
  EXPECT_EQ(read(d.path + "/a"), "2");
  EXPECT_EQ(timestamped_dirs(d.path), 1);
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(d.path + "/..data_tmp")));
}

TEST(AtomicWriter, RefusesPathsThatLeaveTheVolume) {
  TempDir d;
  const std::string vol = d.path + "/vol";
  std::filesystem::create_directory(vol);
  AtomicWriter w(vol);
  for (const char* bad : {"/etc/passwd", "../x", "a/../../x", "..data", "..x/y", "", "a//b", "./a"}) {
    auto r = w.write({{bad, {"x", 0644}}});
    EXPECT_FALSE(r) << bad;
  }
  EXPECT_EQ(payload_path_problem("../x"), "invalid path: must not contain '..': ../x");
  EXPECT_EQ(payload_path_problem("/x"), "invalid path: must be relative path: /x");
  EXPECT_EQ(payload_path_problem("..x"), "invalid path: must not start with '..': ..x");
  EXPECT_EQ(payload_path_problem("a/b.c"), "");
  // Nothing was written by the refused payloads.
  EXPECT_FALSE(std::filesystem::exists(std::filesystem::symlink_status(vol + "/..data")));
  EXPECT_FALSE(std::filesystem::exists(d.path + "/x"));
}
