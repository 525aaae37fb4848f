// Pseudo-terminals for containers (`lab run -t`, `lab exec -t`) and the caller's side of a
// terminal session: a pty is opened from the container's own devpts instance (each container
// mounts one, newinstance, as runc does), its peer becomes the process's controlling terminal,
// and the master travels to the process that relays it (SCM_RIGHTS). The caller's terminal
// goes raw for the session and is restored afterwards, as kubectl's term.MakeRaw does.
#pragma once

#include <termios.h>

#include <cstdint>
#include <optional>
#include <string>

#include "lab/base/result.h"
#include "lab/base/unique_fd.h"

namespace lab::runtime {

struct WindowSize {
  uint16_t cols = 0, rows = 0;
  bool operator==(const WindowSize&) const = default;
};

// Opens the pty multiplexer at path (the container's /dev/pts/ptmx, reached from inside its
// root) and unlocks a new pty. Refuses anything that is not a devpts multiplexer: /dev in a
// container is the container's to change (it keeps CAP_MKNOD), and a node it made there must
// never be taken for a terminal by a privileged process.
Result<UniqueFd> open_pty_master(const std::string& path);
// The pty's other end, opened through the master (TIOCGPTPEER), not by a path lookup.
Result<UniqueFd> open_pty_peer(int master);
// For a process that just called setsid(): slave becomes its controlling terminal and its
// stdin, stdout and stderr.
Result<void> take_terminal(int slave);

std::optional<WindowSize> window_size(int fd);
void set_window_size(int fd, WindowSize size);

// A descriptor over a Unix socket and back (one at a time, with one byte of payload).
Result<void> send_fd(int sock, int fd);
Result<UniqueFd> recv_fd(int sock);

// The caller's terminal in raw mode (cfmakeraw, as kubectl's term.MakeRaw) while this lives.
class RawTerminal {
 public:
  static Result<RawTerminal> enter(int fd);
  RawTerminal(RawTerminal&& o) noexcept;
  RawTerminal& operator=(RawTerminal&&) = delete;
  ~RawTerminal();

 private:
  RawTerminal(int fd, const termios& saved) : fd_(fd), saved_(saved) {}
  int fd_ = -1;
  termios saved_{};
};

// Relays between the caller's stdin/stdout and a pty master until the process behind pidfd
// has exited and the master has nothing more to say (EIO once every slave is closed).
// forward_stdin: the caller's stdin goes to the pty (`-i`); SIGWINCH updates its window size
// when stdin is a terminal.
void relay_pty(int master, int pidfd, bool forward_stdin);

}  // namespace lab::runtime
