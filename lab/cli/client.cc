// Lab selection and API calls for the CLI verbs.
// A dead daemon is reported with what to do about it.
#include "lab/cli/client.h"

#include "lab/cluster/lab_record.h"
#include "lab/server/http.h"

namespace lab::cli {

Result<std::string> pick_lab(const std::string& requested) {
  auto labs = cluster::list_labs();
  if (!requested.empty()) {
    if (std::find(labs.begin(), labs.end(), requested) == labs.end())
      return fail("lab \"" + requested + "\" not found" +
                  (labs.empty() ? std::string(" (no lab is running)") : ""));
    return requested;
  }
  if (labs.empty()) return fail("no lab is running (start one with: lab up SCENARIO.yaml)");
  if (labs.size() > 1) {
    std::string names;
    for (const auto& l : labs) names += (names.empty() ? "" : ", ") + l;
    return fail("several labs are running (" + names + "): choose one with --lab NAME");
  }
  return labs.front();
}

Result<nlohmann::json> api_get(const std::string& lab, const std::string& target) {
  auto resp = server::http_call(cluster::socket_path(lab), "GET", target);
  if (!resp) {
    if (cluster::daemon_pid(lab) == 0)
      return fail("the daemon of lab \"" + lab + "\" is not running (`lab down --lab " + lab +
                  "` cleans up what is left)");
    return std::unexpected(resp.error());
  }
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (j.is_discarded()) return fail("malformed response from the lab daemon");
  if (resp->status >= 400 || j.value("kind", "") == "Status")
    return fail("Error from server (" + j.value("reason", std::string("Unknown")) +
                    "): " + j.value("message", std::string()),
                resp->status);
  return j;
}

}  // namespace lab::cli
