// Probe attempts: sockets are born in the node netns (a switch of this thread only), so they
// reach the pod IP as the kubelet on that node would; exec probes run in a child process.
#include "lab/node/probes.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <thread>

#include "lab/api/version.h"
#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"
#include "netns/netns.h"
#include "runtime/spawn.h"

namespace lab::node {
namespace {

int resolve_port(const Json& port, const Json& container) {
  if (port.is_number_integer()) return port.get<int>();
  if (port.is_string()) {
    for (const auto& p : container.value("ports", Json::array()))
      if (p.value("name", "") == port.get<std::string>()) return p.value("containerPort", 0);
    // A number written as a string ("8080"); anything else names no port and the probe fails.
    auto n = parse_int(port.get<std::string>(), 1, 65535);
    return n ? *n : 0;
  }
  return 0;
}


ProbeOutcome http_probe(const Json& h, const ProbeTarget& t, int timeout_ms) {
  int port = resolve_port(h.value("port", Json(80)), t.container);
  std::string err;
  UniqueFd fd = connect_from_node(t.node_netns_fd, t.pod_ip, port, timeout_ms, &err);
  if (!fd) return {false, err};
  std::string req = "GET " + h.value("path", std::string("/")) + " HTTP/1.1\r\nHost: " + t.pod_ip + ":" +
                    std::to_string(port) + "\r\nUser-Agent: kube-probe/" + api::major_minor() + "\r\nAccept: */*\r\nConnection: close\r\n\r\n";
  // A failed send needs no check of its own: the wait for the status line below then fails.
  (void)!::send(fd.get(), req.data(), req.size(), MSG_NOSIGNAL);
  std::string resp;
  char buf[512];
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (resp.find("\r\n") == std::string::npos) {
    int left = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now()).count());
    pollfd p{fd.get(), POLLIN, 0};
    if (left <= 0 || ::poll(&p, 1, left) != 1) return {false, "Get \"http://" + t.pod_ip + ":" + std::to_string(port) + h.value("path", std::string("/")) + "\": context deadline exceeded"};
    ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
    if (n <= 0) return {false, "HTTP probe failed: connection closed"};
    resp.append(buf, static_cast<size_t>(n));
  }
  // "HTTP/1.1 200 OK": the three digits after the first space.
  int code = 0;
  if (size_t sp = resp.find(' '); sp != std::string::npos) {
    auto parsed = parse_int(std::string_view(resp).substr(sp + 1, 3), 100, 999);
    if (parsed) code = *parsed;
  }
  if (code >= 200 && code < 400) return {true, ""};
  return {false, "HTTP probe failed with statuscode: " + std::to_string(code)};
}

// As the kubelet's: an exec in the container (runc exec). `lab __exec` is runtime's
// exec_in_container, so the command runs as the container's process: its cgroup, uid, gids,
// capabilities and seccomp filter; when those cannot be found it exits non-zero and the probe
// fails rather than running with more privilege.
ProbeOutcome exec_probe(const Json& e, const ProbeTarget& t, int timeout_ms) {
  std::vector<std::string> args = {"__exec", std::to_string(t.container_pid), "--"};
  for (const auto& a : e.value("command", Json::array()))
    if (a.is_string()) args.push_back(a.get<std::string>());  // validated on write: strings
  auto spawned = runtime::spawn_lab(t.self_exe, args);  // nothing of the daemon's reaches the probe
  if (!spawned) return {false, "exec probe: " + spawned.error().what()};
  const pid_t pid = *spawned;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  int status = 0;
  for (;;) {
    pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (std::chrono::steady_clock::now() > deadline) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      return {false, "command timed out"};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  if (code == 0) return {true, ""};
  return {false, "command exited with " + std::to_string(code)};
}

}  // namespace

UniqueFd connect_from_node(int node_netns_fd, const std::string& ip, int port, int timeout_ms, std::string* err) {
  UniqueFd fd;
  {
    auto sw = net::NetnsSwitch::enter(node_netns_fd);
    if (!sw) {
      if (err) *err = sw.error().what();
      return {};
    }
    fd = UniqueFd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 && errno != EINPROGRESS) {
    if (err) *err = "dial tcp " + ip + ":" + std::to_string(port) + ": connect: " + std::strerror(errno);
    return {};
  }
  pollfd p{fd.get(), POLLOUT, 0};
  int soerr = 0;
  socklen_t len = sizeof soerr;
  if (::poll(&p, 1, timeout_ms) != 1 || ::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &soerr, &len) != 0 || soerr != 0) {
    if (err) *err = "dial tcp " + ip + ":" + std::to_string(port) + ": connect: " +
           (soerr ? std::strerror(soerr) : "i/o timeout");
    return {};
  }
  return fd;
}

ProbeOutcome run_probe(const Json& probe, const ProbeTarget& target) {
  int timeout_ms = probe.value("timeoutSeconds", 1) * 1000;
  if (probe.contains("httpGet")) return http_probe(probe["httpGet"], target, timeout_ms);
  if (probe.contains("tcpSocket")) {
    std::string err;
    int port = resolve_port(probe["tcpSocket"].value("port", Json(0)), target.container);
    UniqueFd fd = connect_from_node(target.node_netns_fd, target.pod_ip, port, timeout_ms, &err);
    return fd ? ProbeOutcome{true, ""} : ProbeOutcome{false, err};
  }
  if (probe.contains("exec")) return exec_probe(probe["exec"], target, timeout_ms);
  return {true, ""};
}

ProbeState::ProbeState(Json probe, Clock::time_point container_started) : probe_(std::move(probe)) {
  next_ = container_started + std::chrono::seconds(probe_.value("initialDelaySeconds", 0));
}

void ProbeState::skip(Clock::time_point now) {
  // Soon rather than a whole period: the container is usually back within a second.
  next_ = now + std::chrono::seconds(1);
}

bool ProbeState::record(bool success, Clock::time_point now) {
  next_ = now + std::chrono::seconds(std::max(1, probe_.value("periodSeconds", 10)));
  bool before = healthy_;
  if (success) {
    failures_ = 0;
    if (++successes_ >= probe_.value("successThreshold", 1)) healthy_ = true;
  } else {
    successes_ = 0;
    if (++failures_ >= probe_.value("failureThreshold", 3)) healthy_ = false;
  }
  return before != healthy_;
}

}  // namespace lab::node
