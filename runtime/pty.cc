// See pty.h. The pty is always opened from the container's devpts, so that /dev/pts/N in the
// container names it and the container's process never holds a terminal of the host.
#include "runtime/pty.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <cstring>

#include "runtime/fd_io.h"

namespace lab::runtime {

Result<UniqueFd> open_pty_master(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (!fd) return fail_errno("open " + path);
  struct stat st{};
  unsigned int n = 0;
  // The multiplexer is char 5:2 on every devpts instance; TIOCGPTN answers only on a master.
  if (::fstat(fd.get(), &st) != 0 || !S_ISCHR(st.st_mode) || ::major(st.st_rdev) != 5 ||
      ::minor(st.st_rdev) != 2 || ::ioctl(fd.get(), TIOCGPTN, &n) != 0)
    return fail(path + " is not a pty multiplexer");
  int unlock = 0;
  if (::ioctl(fd.get(), TIOCSPTLCK, &unlock) != 0) return fail_errno("unlock the pty");
  // Blocking from here on: O_NONBLOCK only kept the open from waiting on a FIFO put in its place.
  if (::fcntl(fd.get(), F_SETFL, O_RDWR) != 0) return fail_errno("pty flags");
  return fd;
}

Result<UniqueFd> open_pty_peer(int master) {
  UniqueFd fd(::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
  if (!fd) return fail_errno("open the pty's peer");
  return fd;
}

Result<void> take_terminal(int slave) {
  if (::ioctl(slave, TIOCSCTTY, 0) != 0) return fail_errno("make the pty the controlling terminal");
  for (int target = 0; target <= 2; ++target)
    if (::dup2(slave, target) < 0) return fail_errno("redirect stdio to the pty");
  return {};
}

std::optional<WindowSize> window_size(int fd) {
  winsize ws{};
  if (::ioctl(fd, TIOCGWINSZ, &ws) != 0) return std::nullopt;
  return WindowSize{ws.ws_col, ws.ws_row};
}

void set_window_size(int fd, WindowSize size) {
  winsize ws{};
  ws.ws_col = size.cols;
  ws.ws_row = size.rows;
  // Best effort by design: a terminal that refuses a size keeps its old one, and the session
  // goes on (as runc's console resize); callers have nowhere better to report it.
  (void)::ioctl(fd, TIOCSWINSZ, &ws);
}

// One byte of data and room for one descriptor: the message both ends of a descriptor pass use.
struct FdMessage {
  char byte = 'F';
  iovec iov{&byte, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))] = {};
  msghdr msg{};
  FdMessage() {
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
  }
  FdMessage(const FdMessage&) = delete;  // msg points into the object itself
  FdMessage& operator=(const FdMessage&) = delete;
};

Result<void> send_fd(int sock, int fd) {
  FdMessage m;
  msghdr& msg = m.msg;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof(int));
  std::memcpy(CMSG_DATA(c), &fd, sizeof(int));
  while (::sendmsg(sock, &msg, MSG_NOSIGNAL) < 0)
    if (errno != EINTR) return fail_errno("send a descriptor");
  return {};
}

Result<UniqueFd> recv_fd(int sock) {
  FdMessage m;
  msghdr& msg = m.msg;
  ssize_t n;
  while ((n = ::recvmsg(sock, &msg, MSG_CMSG_CLOEXEC)) < 0)
    if (errno != EINTR) return fail_errno("receive a descriptor");
  cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr;
  if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS ||
      c->cmsg_len != CMSG_LEN(sizeof(int)))
    return fail("no descriptor came");
  int fd = -1;
  std::memcpy(&fd, CMSG_DATA(c), sizeof(int));
  return UniqueFd(fd);
}

Result<RawTerminal> RawTerminal::enter(int fd) {
  termios saved{};
  if (::tcgetattr(fd, &saved) != 0) return fail_errno("read the terminal's settings");
  termios raw = saved;
  ::cfmakeraw(&raw);
  if (::tcsetattr(fd, TCSANOW, &raw) != 0) return fail_errno("put the terminal in raw mode");
  return RawTerminal(fd, saved);
}

RawTerminal::RawTerminal(RawTerminal&& o) noexcept : fd_(std::exchange(o.fd_, -1)), saved_(o.saved_) {}

RawTerminal::~RawTerminal() {
  if (fd_ >= 0) (void)::tcsetattr(fd_, TCSANOW, &saved_);
}

void relay_pty(int master, int pidfd, bool forward_stdin) {
  sigset_t winch, old;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  ::sigprocmask(SIG_BLOCK, &winch, &old);
  UniqueFd sfd(::signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK));
  bool tty_in = ::isatty(0) == 1;
  bool stdin_open = forward_stdin, master_open = true, exited = false;
  char buf[16384];
  while (master_open) {
    pollfd p[4] = {{master, POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}, {pidfd, POLLIN, 0},
                   {sfd.get(), POLLIN, 0}};
    // Once the process has exited, only what the master still holds is left to read.
    int rc = ::poll(p, 4, exited ? 0 : -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) break;
    if (rc == 0) break;  // exited and drained
    if (p[0].revents) {
      ssize_t n = ::read(master, buf, sizeof buf);
      if (n > 0) write_all(1, std::string_view(buf, static_cast<size_t>(n)));
      else if (n == 0 || errno != EINTR) master_open = false;  // EIO: every slave closed
    }
    if (p[1].revents) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n > 0) write_all(master, std::string_view(buf, static_cast<size_t>(n)));
      else if (n == 0 || errno != EINTR) stdin_open = false;
    }
    if (p[2].revents) exited = true;
    if (p[3].revents) {
      signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
      }
      if (tty_in)
        if (auto size = window_size(0)) set_window_size(master, *size);
    }
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
}

}  // namespace lab::runtime
