// `lab __exec-session`: one exec's stdio relayed as frames (exec_session.h).
#include "runtime/exec_session.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>

#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"
#include "runtime/fd_io.h"
#include "runtime/proc.h"
#include "runtime/pty.h"
#include "runtime/spawn.h"

namespace lab::runtime {
namespace {

constexpr size_t kStdinPendingMax = 1 << 16;  // read no more frames until the command takes these

struct Pipe {
  UniqueFd read, write;
  static Result<Pipe> make() {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
    return Pipe{UniqueFd(p[0]), UniqueFd(p[1])};
  }
};

void set_nonblocking(int fd) {
  int flags = ::fcntl(fd, F_GETFL);
  if (flags >= 0) ::fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

// The client hung up: the command goes as a terminal's hangup would end it.
void hang_up(pid_t intermediate, int pidfd) {
  ::kill(intermediate, SIGHUP);  // the intermediate passes it on to the command
  pollfd p{pidfd, POLLIN, 0};
  if (::poll(&p, 1, 2000) == 0) ::kill(intermediate, SIGKILL);
}

}  // namespace

AttachStatus exec_session(int sock, pid_t container_pid, const std::vector<std::string>& argv,
                          const ExecSessionOptions& opts) {
  // The last frame. Should the daemon be gone by now, nobody is left to tell: the status is
  // still returned, for the exit code.
  auto finish = [&](const AttachStatus& status) {
    send_all(sock, encode_frame(Channel::Status, encode_status(status)));
    return status;
  };
  ExecOptions eo;
  eo.tty = opts.tty;
  eo.forward_stdin = opts.stdin;
  // Without a tty: a pipe per stream (stdin from /dev/null unless the client sends one).
  UniqueFd child_in, child_out, child_err, in, out, err;
  if (!opts.tty) {
    if (opts.stdin) {
      auto p = Pipe::make();
      if (!p) return finish({std::nullopt, p.error().what()});
      child_in = std::move(p->read), in = std::move(p->write);
    } else {
      auto null = UniqueFd::open("/dev/null", O_RDONLY | O_CLOEXEC);
      if (!null) return finish({std::nullopt, null.error().what()});
      child_in = std::move(*null);
    }
    auto o = Pipe::make();
    auto e = Pipe::make();
    if (!o || !e) return finish({std::nullopt, "pipe: " + std::string(std::strerror(errno))});
    child_out = std::move(o->write), out = std::move(o->read);
    child_err = std::move(e->write), err = std::move(e->read);
    eo.stdio[0] = child_in.get(), eo.stdio[1] = child_out.get(), eo.stdio[2] = child_err.get();
  }
  auto started = start_exec(container_pid, argv, eo);
  if (!started) return finish({std::nullopt, started.error().what()});
  child_in.reset(), child_out.reset(), child_err.reset();
  if (opts.tty) {
    if (!started->master) {
      auto code = finish_exec(*started);
      return finish(code ? AttachStatus{*code, ""} : AttachStatus{std::nullopt, code.error().what()});
    }
    out = std::move(started->master);  // the terminal: output and input on one descriptor
  }
  int in_fd = opts.tty ? (opts.stdin ? out.get() : -1) : in.get();
  if (in_fd >= 0) set_nonblocking(in_fd);
  UniqueFd pidfd = open_pidfd(started->pid);

  FrameDecoder frames;
  std::string pending_in;
  bool client_open = true, exited = false, close_in_when_done = false;
  char buf[16384];
  auto close_stdin = [&] {
    pending_in.clear();
    if (opts.tty) in_fd = -1;  // a terminal's input is the output's descriptor: it stays
    else in.reset(), in_fd = -1;
  };
  while (out || err) {
    pollfd p[5] = {
        {client_open && !exited && pending_in.size() < kStdinPendingMax ? sock : -1, POLLIN, 0},
        {out ? out.get() : -1, POLLIN, 0},
        {err ? err.get() : -1, POLLIN, 0},
        {in_fd >= 0 && !pending_in.empty() && !exited ? in_fd : -1, POLLOUT, 0},
        {exited ? -1 : pidfd.get(), POLLIN, 0},
    };
    // Once the command has exited, only what its streams still hold is left to send.
    int rc = ::poll(p, 5, exited ? 0 : -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc <= 0) break;
    if (p[0].revents) {
      ssize_t n = ::recv(sock, buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        hang_up(started->pid, pidfd.get());
        client_open = false;
        break;
      }
      frames.feed(std::string_view(buf, static_cast<size_t>(n)));
      while (auto f = frames.next()) {
        if (f->channel == Channel::Stdin && in_fd >= 0) pending_in += f->payload;
        else if (f->channel == Channel::Resize && opts.tty) {
          if (auto size = decode_resize(f->payload)) set_window_size(out.get(), *size);
        } else if (f->channel == Channel::CloseStdin && in_fd >= 0) {
          if (pending_in.empty()) close_stdin();
          else close_in_when_done = true;
        }
      }
      if (frames.failed()) {
        hang_up(started->pid, pidfd.get());
        client_open = false;
        break;
      }
    }
    if (p[3].revents) {
      ssize_t n = ::write(in_fd, pending_in.data(), pending_in.size());
      if (n > 0) pending_in.erase(0, static_cast<size_t>(n));
      else if (n < 0 && errno != EINTR && errno != EAGAIN) close_stdin();  // EPIPE: it stopped reading
      if (pending_in.empty() && close_in_when_done) close_stdin();
    }
    for (auto [i, stream, fd] : {std::tuple{1, Channel::Stdout, &out}, std::tuple{2, Channel::Stderr, &err}}) {
      if (!p[i].revents) continue;
      ssize_t n = ::read(fd->get(), buf, sizeof buf);
      if (n > 0) {
        if (!send_all(sock, encode_frame(stream, std::string_view(buf, static_cast<size_t>(n))))) {
          hang_up(started->pid, pidfd.get());
          client_open = false;
        }
      } else if (n == 0 || (errno != EINTR && errno != EAGAIN)) {
        if (fd == &out && in_fd == out.get()) in_fd = -1;
        fd->reset();  // EOF; EIO from a pty once every slave is closed
      }
    }
    if (!client_open) break;
    if (p[4].revents) exited = true;
  }
  if (!client_open) {
    auto reaped = finish_exec(*started);  // nobody is left to tell how it ended
    return {std::nullopt, reaped ? "the client went away" : "the client went away; " + reaped.error().what()};
  }
  auto code = finish_exec(*started);
  return finish(code ? AttachStatus{*code, ""} : AttachStatus{std::nullopt, code.error().what()});
}

int exec_session_main(const std::vector<std::string>& args) {
  auto dash = std::find(args.begin(), args.end(), "--");
  if (args.empty() || dash == args.end() || dash + 1 == args.end()) return 2;
  auto pid = parse_int(args[0], 1);
  if (!pid) return 2;
  ExecSessionOptions opts;
  for (auto it = args.begin() + 1; it != dash; ++it) {
    if (*it == "--stdin") opts.stdin = true;
    else if (*it == "--tty") opts.tty = true;
    else return 2;
  }
  ::signal(SIGPIPE, SIG_IGN);
  auto status = exec_session(3, static_cast<pid_t>(*pid), std::vector<std::string>(dash + 1, args.end()), opts);
  return status.error.starts_with("the client went away") ? 1 : 0;
}

}  // namespace lab::runtime
