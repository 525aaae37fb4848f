// The kubectl-like verbs of `lab`: each takes its arguments (after the verb) and returns the
// process exit code; errors are printed once, here, in the user's words.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "lab/api/resources.h"
#include "lab/base/result.h"

namespace lab::cli {

using Args = std::vector<std::string>;

int cmd_up(const Args& args, const std::string& self_exe);
int cmd_down(const Args& args);
int cmd_ls(const Args& args);
int cmd_get(const Args& args);
int cmd_exec(const Args& args);
int cmd_ssh(const Args& args);
int cmd_apply(const Args& args, bool create_only);  // apply -f / create -f
// create secret generic|tls NAME, create configmap|cm NAME (lab/cli/create_config.cc); else create -f.
int cmd_create(const Args& args);
int cmd_delete(const Args& args);  // lab/cli/delete.cc
// kubectl delete's grace period from --grace-period (-1: unset), --now and --force: -1 for the
// object's own, 0 only with --force (a bare 0 becomes 1), or the conflicting flags' error.
Result<int> grace_period(int grace, bool now, bool force);
int cmd_scale(const Args& args);
int cmd_describe(const Args& args);
int cmd_logs(const Args& args);
int cmd_rollout(const Args& args);
int cmd_expose(const Args& args);
int cmd_patch(const Args& args);
int cmd_edit(const Args& args);
int cmd_top(const Args& args);  // lab/cli/top.cc

// Prints "error: ..." to stderr as kubectl does and returns 1.
int report_error(const std::string& message);

// GET of a collection with -l / --field-selector (either may be ""), errors worded as kubectl's
// resource builder words them: `Unable to find "/v1, Resource=pods" that match label selector ...`.
Result<nlohmann::json> list_objects(const std::string& lab, const api::ResourceType& type, const std::string& ns,
                                    const std::string& label_selector, const std::string& field_selector);

// A lab's name: a DNS-1123 label of at most this many characters (it goes into the names of
// namespaces and links), and the rule in words, for the error.
inline constexpr size_t kMaxLabName = 40;
std::string lab_name_rules();

}  // namespace lab::cli
