// The kubectl-like verbs of `lab`: each takes its arguments (after the verb) and returns the
// process exit code; errors are printed once, here, in the user's words.
#pragma once

#include <string>
#include <vector>

namespace lab::cli {

using Args = std::vector<std::string>;

int cmd_up(const Args& args, const std::string& self_exe);
int cmd_down(const Args& args);
int cmd_ls(const Args& args);
int cmd_get(const Args& args);
int cmd_exec(const Args& args);
int cmd_ssh(const Args& args);
int cmd_apply(const Args& args, bool create_only);  // apply -f / create -f
int cmd_delete(const Args& args);
int cmd_scale(const Args& args);
int cmd_describe(const Args& args);
int cmd_logs(const Args& args);
int cmd_rollout(const Args& args);
int cmd_expose(const Args& args);
int cmd_patch(const Args& args);
int cmd_edit(const Args& args);

// Prints "error: ..." to stderr as kubectl does and returns 1.
int report_error(const std::string& message);

}  // namespace lab::cli
