// The kubelet's AtomicWriter (k8s pkg/volume/util/atomic_writer.go): the content of a secret,
// configMap, downwardAPI or projected volume, replaced as one. The files live in a timestamped
// directory (`..2026_12_01_19_20_00.123456`); `..data` is a symlink to it, swapped with a rename;
// each user-visible name is a symlink through `..data` (`key -> ..data/key`). A reader sees the
// old set or the new one, never a mix, and a file it opened stays readable.
#pragma once

#include <sys/types.h>

#include <functional>
#include <map>
#include <string>

#include "lab/base/result.h"

namespace lab::node {

struct FileProjection {
  std::string data;
  mode_t mode = 0644;
  bool operator==(const FileProjection&) const = default;
};

// By relative path ("key", "dir/key").
using Payload = std::map<std::string, FileProjection>;

// "" when path may name a file of a payload, else why not (the writer's validatePath).
std::string payload_path_problem(const std::string& path);

class AtomicWriter {
 public:
  // target_dir: the volume's directory, which must exist (the writer owns what is in it).
  // gid: the group of the files and directories (fsGroup), -1 = root's.
  explicit AtomicWriter(std::string target_dir, gid_t gid = static_cast<gid_t>(-1))
      : dir_(std::move(target_dir)), gid_(gid) {}

  // Makes the volume hold exactly payload. Returns whether anything changed (false: the current
  // content already is payload, and nothing was touched). before_swap, when set, runs after the
  // new directory is complete and before `..data` moves to it (tests look at the old state there).
  Result<bool> write(const Payload& payload, const std::function<void()>& before_swap = {});

  // The payload the volume holds now (empty when it holds none).
  Result<Payload> read() const;

 private:
  std::string dir_;
  gid_t gid_;
};

}  // namespace lab::node
