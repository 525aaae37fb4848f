// `lab attach` and the attached session `lab run -i` opens: the caller's stdio joined to a
// container's through its pod init's attach socket (runtime/attach.h), with kubectl's messages.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/base/result.h"
#include "runtime/attach.h"

namespace lab::cli {

int cmd_attach(const std::vector<std::string>& args);

struct PodSession {
  std::string lab, ns, pod, container;
  bool stdin = false;
  bool tty = false;  // asked for; used only when the container has one and stdin is a terminal
};

// Attaches as kubectl attach does (its warnings when a TTY or stdin cannot be used, "If you
// don't see a command prompt, try pressing enter." for a terminal). raw_tty is set when the
// session ran with the caller's terminal in raw mode.
Result<runtime::AttachStatus> attach_to_pod(const PodSession& s, const nlohmann::json& pod, bool& raw_tty);

}  // namespace lab::cli
