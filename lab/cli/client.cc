// Lab selection and API calls for the CLI verbs.
// A dead daemon is reported with what to do about it.
#include "lab/cli/client.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>

#include "lab/base/unique_fd.h"
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

// Starts `lab __daemon` detached (own session, log in the lab dir) and waits for its verdict.
Result<void> start_daemon(const std::string& lab, const std::string& self_exe) {
  int pipefd[2];
  if (::pipe2(pipefd, O_CLOEXEC) != 0) return fail_errno("pipe");
  UniqueFd rd(pipefd[0]), wr(pipefd[1]);
  std::string log = cluster::lab_dir(lab) + "/daemon.log";
  std::string lab_arg = "--lab=" + lab;
  const char* argv[] = {"lab", "__daemon", lab_arg.c_str(), "--ready-fd=3", nullptr};
  pid_t pid = ::fork();
  if (pid < 0) return fail_errno("fork");
  if (pid == 0) {
    ::setsid();
    int devnull = ::open("/dev/null", O_RDONLY);
    int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (devnull < 0 || logfd < 0) ::_exit(127);
    ::dup2(devnull, 0);
    ::dup2(logfd, 1);
    ::dup2(logfd, 2);
    ::dup2(wr.get(), 3);  // dup2 clears CLOEXEC on the copy
    ::execv(self_exe.c_str(), const_cast<char* const*>(argv));
    ::_exit(127);
  }
  wr.reset();
  // Lines: "progress N/M" while pods start (shown on a terminal), then "ok" or "error ...".
  std::string verdict, pending;
  const bool tty = ::isatty(2);
  bool shown = false;
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
      std::string line = pending.substr(0, nl);
      if (verdict.starts_with("error ")) {  // an error may take several lines: all of them
        verdict += "\n" + line;
        continue;
      }
      if (line.starts_with("progress ")) {
        if (tty) std::fprintf(stderr, "\rpods %s running", line.substr(9).c_str()), shown = true;
        continue;
      }
      verdict = line;
    }
  }
  if (!pending.empty()) verdict += verdict.starts_with("error ") ? "\n" + pending : pending;
  if (shown) std::fprintf(stderr, "\n");
  if (verdict == "ok") return {};
  if (verdict.starts_with("error ")) return fail(verdict.substr(6));
  auto tail = read_file(log);
  return fail("the lab daemon died while starting" +
              (tail ? std::string(":\n") + *tail : std::string()));
}

std::string self_exe() {
  char buf[4096];
  ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/proc/self/exe";
}

Result<void> ensure_daemon(const std::string& lab) {
  if (cluster::daemon_pid(lab) != 0) return {};
  // A daemon that died (kill -9, OOM) is started again; it adopts the pods that kept running.
  auto lock = cluster::RegistryLock::acquire();
  if (!lock) return std::unexpected(lock.error());
  if (cluster::daemon_pid(lab) != 0) return {};
  if (!cluster::read_record(lab)) return fail("lab \"" + lab + "\" not found");
  auto r = start_daemon(lab, self_exe());
  if (!r) return std::unexpected(r.error().context("restart the daemon of lab \"" + lab + "\""));
  return {};
}

Result<server::HttpResponse> call_daemon(const std::string& lab, const std::string& method,
                                         const std::string& target, const std::string& body) {
  auto resp = server::http_call(cluster::socket_path(lab), method, target, body);
  if (!resp && cluster::daemon_pid(lab) == 0) {
    LAB_TRY(ensure_daemon(lab));
    resp = server::http_call(cluster::socket_path(lab), method, target, body);
  }
  return resp;
}

Result<nlohmann::json> api_call(const std::string& lab, const std::string& method,
                                const std::string& target, const nlohmann::json& body) {
  auto resp = call_daemon(lab, method, target, body.is_null() ? "" : body.dump());
  if (!resp) return std::unexpected(resp.error());
  auto j = nlohmann::json::parse(resp->body, nullptr, false);
  if (j.is_discarded()) return fail("malformed response from the lab daemon");
  if (resp->status >= 400 || (j.value("kind", "") == "Status" && j.value("status", "") == "Failure")) {
    // kubectl prints validation failures as the server words them ("The Service "x" is invalid: ...").
    if (j.value("reason", "") == "Invalid") return fail(j.value("message", std::string()));
    return fail("Error from server (" + j.value("reason", std::string("Unknown")) + "): " +
                j.value("message", std::string()));
  }
  return j;
}

Result<nlohmann::json> api_get(const std::string& lab, const std::string& target) {
  return api_call(lab, "GET", target, nullptr);
}

}  // namespace lab::cli
