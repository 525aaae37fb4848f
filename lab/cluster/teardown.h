// Removing a lab from the machine: its pods' processes, its namespaces and links, its record.
// Works from the record alone, so it cleans up after a daemon that died.
#pragma once

#include <functional>
#include <string>

#include "lab/base/result.h"
#include "lab/cluster/lab_record.h"

namespace lab::cluster {

// Removes the fabric, node netns and host link (first: see teardown.cc), then the pods: those
// `kill_known` kills (the daemon's kubelet, all at once), then every pod init and starter of
// the lab still running (which takes their containers and pod netns with them), then the
// pods' cgroups and, meanwhile, /run/lab/<lab>. Keeps going past errors and returns the first.
// Does not touch the daemon. `done` is told each step as it ends ("network", "known pods",
// "pod processes", "files", "cgroups"), so that a caller can time them: the daemon logs them
// (its log is in the directory "files" removes, so the lines after it are not kept).
Result<void> teardown_lab(const LabRecord& rec, const std::function<void(const char* step)>& done = {},
                          const std::function<void()>& kill_known = {});

// Removes /run/lab (and an empty /run/netns) when no lab is left. Nothing to do, or another lab
// command holding the registry (it tidies after itself): done. A failure names what is left.
Result<void> tidy_run_dir();

}  // namespace lab::cluster
