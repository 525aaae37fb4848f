// Lab selection and API calls for the CLI verbs.
// A dead daemon is reported with what to do about it.
#include "lab/cli/client.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include "lab/base/unique_fd.h"
#include "lab/cluster/lab_record.h"
#include "lab/server/http.h"
#include "runtime/lab_binaries.h"

namespace lab::cli {

Result<std::string> pick_lab(const std::string& requested) {
  auto found = cluster::find_labs();
  if (!found) return std::unexpected(found.error());
  const auto& labs = *found;
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

namespace {

// The child's side of start_daemon, between fork and exec: stdin from /dev/null, stdout and
// stderr to the log, the ready pipe as fd 3, and nothing else. Whatever else this process had
// open (a wrapper's flock, a shell's `exec 7>file`) would otherwise live as long as the daemon.
[[noreturn]] void exec_daemon(const std::string& self_exe, const char* const* argv, const std::string& log, int ready) {
  ::setsid();
  // Out of the way of 0..3 first: any of them may be the very fds being placed there.
  int devnull = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int logfd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (devnull < 0 || logfd < 0) ::_exit(127);
  devnull = ::fcntl(devnull, F_DUPFD_CLOEXEC, 10);
  logfd = ::fcntl(logfd, F_DUPFD_CLOEXEC, 10);
  ready = ::fcntl(ready, F_DUPFD_CLOEXEC, 10);
  if (devnull < 0 || logfd < 0 || ready < 0) ::_exit(127);
  // dup2 clears close-on-exec on the copies.
  if (::dup2(devnull, 0) < 0 || ::dup2(logfd, 1) < 0 || ::dup2(logfd, 2) < 0 || ::dup2(ready, 3) < 0) ::_exit(127);
  if (::close_range(4, ~0U, 0) != 0)
    for (int fd = 4; fd < 65536; ++fd) ::close(fd);  // a kernel before 5.9
  ::execv(self_exe.c_str(), const_cast<char* const*>(argv));
  ::_exit(127);
}

}  // namespace

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
  if (pid == 0) exec_daemon(self_exe, argv, log, wr.get());
  wr.reset();
  // Lines: "progress N/M" while pods start (shown on a terminal), then "ok" or "error ...".
  // "ok" is the end: the daemon closes the pipe after it, but a process it started meanwhile
  // might still hold a copy, and that must not keep `lab up` waiting.
  std::string verdict, pending;
  const bool tty = ::isatty(2);
  bool shown = false;
  char buf[4096];
  while (verdict != "ok") {
    ssize_t n = ::read(rd.get(), buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(buf, static_cast<size_t>(n));
    for (size_t nl; verdict != "ok" && (nl = pending.find('\n')) != std::string::npos; pending.erase(0, nl + 1)) {
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
  if (verdict != "ok" && !pending.empty()) verdict += verdict.starts_with("error ") ? "\n" + pending : pending;
  if (shown) std::fprintf(stderr, "\n");
  if (verdict == "ok") return {};
  if (verdict.starts_with("error ")) return fail(verdict.substr(6));
  auto tail = read_file(log);
  return fail("the lab daemon died while starting" +
              (tail ? std::string(":\n") + *tail : std::string()));
}

Result<void> ensure_daemon(const std::string& lab) {
  if (cluster::daemon_pid(lab) != 0) return {};
  // A daemon that died (kill -9, OOM) is started again; it adopts the pods that kept running.
  // No registry lock is held meanwhile: the daemon takes its lab's own lock, so of two CLIs
  // that race here one daemon wins and the other stops before it touches anything.
  if (!cluster::read_record(lab)) return fail("lab \"" + lab + "\" not found");
  auto r = start_daemon(lab, runtime::self_exe());
  if (r) return {};
  // Lost the race: the winner writes its pid just after it takes the lock.
  for (int i = 0; i < 50; ++i) {
    if (cluster::daemon_pid(lab) != 0) return {};
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return std::unexpected(r.error().context("restart the daemon of lab \"" + lab + "\""));
}

namespace {

// "T" for a process stopped by a signal (kill -STOP), from /proc/PID/stat.
char process_state(pid_t pid) {
  auto stat = read_file("/proc/" + std::to_string(pid) + "/stat");
  if (!stat) return '?';
  size_t paren = stat->rfind(')');  // the command name may hold spaces and parentheses
  return paren != std::string::npos && paren + 2 < stat->size() ? (*stat)[paren + 2] : '?';
}

// A timeout in kubectl's words, naming the lab and why its daemon may not answer.
Error no_answer(const std::string& lab, const Error& e) {
  if (e.code != ETIMEDOUT) return e;
  auto timeout = server::client_timeout();
  std::string msg = "Unable to connect to the server: the daemon of lab \"" + lab + "\" does not answer";
  char secs[32];
  std::snprintf(secs, sizeof secs, "%g", static_cast<double>(timeout.count()) / 1000);
  msg += std::string(" (Client.Timeout exceeded while awaiting headers, after ") + secs + "s)";
  if (pid_t pid = cluster::daemon_pid(lab)) {
    char state = process_state(pid);
    if (state == 'T' || state == 't')
      msg += ": its process " + std::to_string(pid) + " is stopped (resume it with kill -CONT " +
             std::to_string(pid) + ", or remove the lab with lab down --lab " + lab + ")";
    else
      msg += ": its process " + std::to_string(pid) + " is busy or stuck (see " + cluster::lab_dir(lab) +
             "/daemon.log); --request-timeout sets how long to wait";
  }
  return Error{0, msg};
}

}  // namespace

Result<server::HttpResponse> call_daemon(const std::string& lab, const std::string& method,
                                         const std::string& target, const std::string& body,
                                         const std::string& accept = "application/json",
                                         const std::string& content_type = "") {
  auto resp = server::http_call(cluster::socket_path(lab), method, target, body, accept, content_type);
  if (!resp && resp.error().code == EACCES)
    return fail("permission denied: the socket of lab \"" + lab + "\" is root's: only root controls a lab");
  if (!resp && resp.error().code != ETIMEDOUT && cluster::daemon_pid(lab) == 0) {
    LAB_TRY(ensure_daemon(lab));
    resp = server::http_call(cluster::socket_path(lab), method, target, body, accept, content_type);
  }
  // Too many requests at once: try again after the server's Retry-After (1 s), as client-go does.
  for (int retry = 0; retry < 10 && resp && resp->status == 429; ++retry) {
    std::this_thread::sleep_for(std::chrono::seconds(1));
    resp = server::http_call(cluster::socket_path(lab), method, target, body, accept, content_type);
  }
  if (!resp) return std::unexpected(no_answer(lab, resp.error()));
  return resp;
}

Result<nlohmann::json> api_call(const std::string& lab, const std::string& method,
                                const std::string& target, const nlohmann::json& body, const std::string& accept,
                                const std::string& content_type) {
  // As kubectl's --validate=strict (its default): a field the type does not have is refused, not
  // dropped with a warning (the API's default).
  std::string to = target;
  if ((method == "POST" || method == "PUT" || method == "PATCH") && to.find("fieldValidation=") == std::string::npos)
    to += (to.find('?') == std::string::npos ? "?" : "&") + std::string("fieldValidation=Strict");
  auto resp = call_daemon(lab, method, to, body.is_null() ? "" : body.dump(), accept, content_type);
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
