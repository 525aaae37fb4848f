// The atomic writer (see atomic_writer.h), step for step as atomic_writer.go's Write: validate the
// payload, compare with what ..data shows, write a new timestamped directory, swap ..data to it
// with a rename, make the user-visible links, remove the names and the directory of the old one.
#include "lab/node/atomic_writer.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <ctime>
#include <filesystem>
#include <set>

#include "lab/base/unique_fd.h"

namespace lab::node {

namespace {

constexpr const char* kDataDir = "..data";
constexpr const char* kDataTmp = "..data_tmp";
constexpr size_t kMaxPath = 4096, kMaxName = 255;

std::string top_of(const std::string& path) { return path.substr(0, path.find('/')); }

// "..2026_12_01_19_20_00." as Go's time format "..2006_01_02_15_04_05." in UTC.
std::string timestamp_prefix() {
  std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  std::tm tm{};
  ::gmtime_r(&t, &tm);
  char buf[64];
  std::strftime(buf, sizeof buf, "..%Y_%m_%d_%H_%M_%S.", &tm);
  return buf;
}

Result<void> write_one(const std::string& dir, const std::string& rel, const FileProjection& f, gid_t gid) {
  // Parents inside the new directory (which nobody else knows yet).
  for (size_t slash = rel.find('/'); slash != std::string::npos; slash = rel.find('/', slash + 1)) {
    const std::string sub = dir + "/" + rel.substr(0, slash);
    if (::mkdir(sub.c_str(), 0755) != 0 && errno != EEXIST) return fail_errno("mkdir " + sub);
    if (gid != static_cast<gid_t>(-1) && ::chown(sub.c_str(), static_cast<uid_t>(-1), gid) != 0)
      return fail_errno("chown " + sub);
  }
  const std::string path = dir + "/" + rel;
  UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return fail_errno("create " + path);
  for (size_t done = 0; done < f.data.size();) {
    ssize_t n = ::write(fd.get(), f.data.data() + done, f.data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return fail_errno("write " + path);
    done += static_cast<size_t>(n);
  }
  if (gid != static_cast<gid_t>(-1) && ::fchown(fd.get(), static_cast<uid_t>(-1), gid) != 0)
    return fail_errno("chown " + path);
  // fchmod after the write: the umask does not apply, and the mode is exactly the asked one.
  if (::fchmod(fd.get(), f.mode & 07777) != 0) return fail_errno("chmod " + path);
  return {};
}

Result<void> read_tree(const std::string& root, const std::string& rel, Payload& out) {
  const std::string dir = rel.empty() ? root : root + "/" + rel;
  DIR* d = ::opendir(dir.c_str());
  if (!d) return fail_errno("read " + dir);
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(d);
  for (const auto& name : names) {
    const std::string child = rel.empty() ? name : rel + "/" + name;
    const std::string full = root + "/" + child;
    struct stat st{};
    if (::lstat(full.c_str(), &st) != 0) return fail_errno("stat " + full);
    if (S_ISDIR(st.st_mode)) {
      LAB_TRY(read_tree(root, child, out));
    } else if (S_ISREG(st.st_mode)) {
      auto text = read_file(full);
      if (!text) return std::unexpected(text.error());
      out[child] = FileProjection{std::move(*text), static_cast<mode_t>(st.st_mode & 07777)};
    }
  }
  return {};
}

// The timestamped directory ..data names, "" when there is none.
std::string current_dir(const std::string& dir) {
  char buf[256];
  ssize_t n = ::readlink((dir + "/" + kDataDir).c_str(), buf, sizeof buf - 1);
  if (n <= 0) return "";
  std::string target(buf, static_cast<size_t>(n));
  if (!target.starts_with("..") || target.find('/') != std::string::npos || target == kDataDir) return "";
  return target;
}

}  // namespace

std::string payload_path_problem(const std::string& path) {
  if (path.empty()) return "invalid path: must not be empty";
  if (path.starts_with('/')) return "invalid path: must be relative path: " + path;
  if (path.size() > kMaxPath) return "invalid path: must be less than or equal to 4096 characters";
  size_t start = 0;
  for (;;) {
    const size_t slash = path.find('/', start);
    const std::string item = path.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (item == "..") return "invalid path: must not contain '..': " + path;
    if (item.empty() || item == ".") return "invalid path: must not have empty or '.' elements: " + path;
    if (item.size() > kMaxName) return "invalid path: filenames must be less than or equal to 255 characters";
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  if (top_of(path).starts_with("..")) return "invalid path: must not start with '..': " + path;
  return "";
}

Result<Payload> AtomicWriter::read() const {
  Payload out;
  const std::string cur = current_dir(dir_);
  if (cur.empty()) return out;
  LAB_TRY(read_tree(dir_ + "/" + cur, "", out));
  return out;
}

Result<bool> AtomicWriter::write(const Payload& payload, const std::function<void()>& before_swap) {
  for (const auto& [path, f] : payload)
    if (std::string problem = payload_path_problem(path); !problem.empty()) return fail(problem);
  std::set<std::string> tops;
  for (const auto& [path, f] : payload) tops.insert(top_of(path));
  // A file and a directory of the same name ("a" and "a/b") cannot both be.
  for (const auto& [path, f] : payload)
    if (payload.contains(top_of(path)) && top_of(path) != path) return fail("invalid payload: " + path + " is under a file");

  const std::string old_dir = current_dir(dir_);
  auto old = read();
  if (!old) return std::unexpected(old.error());
  bool changed = false;
  std::string new_dir = old_dir;
  if (old_dir.empty() || *old != payload) {
    std::string tmpl = dir_ + "/" + timestamp_prefix() + "XXXXXX";
    if (!::mkdtemp(tmpl.data())) return fail_errno("mkdir " + tmpl);
    new_dir = tmpl.substr(dir_.size() + 1);
    auto written = [&]() -> Result<void> {
      if (::chmod(tmpl.c_str(), 0755) != 0) return fail_errno("chmod " + tmpl);
      if (gid_ != static_cast<gid_t>(-1) && ::chown(tmpl.c_str(), static_cast<uid_t>(-1), gid_) != 0)
        return fail_errno("chown " + tmpl);
      for (const auto& [path, f] : payload) LAB_TRY(write_one(tmpl, path, f, gid_));
      if (before_swap) before_swap();
      // The swap: a new link renamed over ..data, which is atomic.
      const std::string tmp_link = dir_ + "/" + kDataTmp, data = dir_ + "/" + kDataDir;
      (void)::unlink(tmp_link.c_str());  // left by a crash
      if (::symlink(new_dir.c_str(), tmp_link.c_str()) != 0) return fail_errno("symlink " + tmp_link);
      if (::rename(tmp_link.c_str(), data.c_str()) != 0) return fail_errno("rename " + tmp_link);
      return {};
    }();
    if (!written) {
      std::error_code ec;
      std::filesystem::remove_all(tmpl, ec);
      return std::unexpected(written.error());
    }
    changed = true;
  }

  // The user-visible names: a link through ..data for each top-level name.
  for (const auto& top : tops) {
    const std::string link = dir_ + "/" + top;
    struct stat st{};
    if (::lstat(link.c_str(), &st) == 0) continue;
    if (::symlink((std::string(kDataDir) + "/" + top).c_str(), link.c_str()) != 0) return fail_errno("symlink " + link);
    changed = true;
  }
  // Names the old content had and the new one has not; then the old directory, and any a crash
  // left behind (every ..-name but ..data and the current one).
  for (const auto& [path, f] : *old) {
    const std::string top = top_of(path);
    if (tops.contains(top)) continue;
    const std::string link = dir_ + "/" + top;
    struct stat st{};
    if (::lstat(link.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) (void)::unlink(link.c_str());
  }
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir_, ec)) {
    const std::string name = entry.path().filename();
    if (name.starts_with("..") && name != kDataDir && name != new_dir && name != kDataTmp)
      std::filesystem::remove_all(entry.path(), ec);
  }
  return changed;
}

}  // namespace lab::node
