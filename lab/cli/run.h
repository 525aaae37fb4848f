// `lab run NAME --image=IMAGE [-i] [-t] [--rm] [--restart=...] [-- ARGS...]`: kubectl run.
#pragma once

#include <string>
#include <vector>

namespace lab::cli {

int cmd_run(const std::vector<std::string>& args);

}  // namespace lab::cli
