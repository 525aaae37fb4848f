// See attach.h. The pod init's server never blocks: client sockets and the containers' stdin
// are written without blocking, with what does not fit kept (bounded) until poll() says it
// fits; a client that falls 4 MiB behind is dropped, so no attached client can stall the
// pod's PID 1 (its restarts and signals).
#include "runtime/attach.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

#include "lab/base/parse.h"
#include "lab/base/unique_fd.h"
#include "runtime/container.h"
#include "runtime/fd_io.h"

namespace lab::runtime {

// ---- framing ----

std::string encode_frame(Channel channel, std::string_view payload) {
  std::string out;
  out.reserve(5 + payload.size());
  out.push_back(static_cast<char>(channel));
  uint32_t n = static_cast<uint32_t>(payload.size());
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<char>((n >> shift) & 0xff));
  out.append(payload);
  return out;
}

std::string encode_resize(WindowSize size) {
  std::string p(4, '\0');
  p[0] = static_cast<char>(size.cols >> 8);
  p[1] = static_cast<char>(size.cols & 0xff);
  p[2] = static_cast<char>(size.rows >> 8);
  p[3] = static_cast<char>(size.rows & 0xff);
  return p;
}

std::optional<WindowSize> decode_resize(std::string_view p) {
  if (p.size() != 4) return std::nullopt;
  auto byte = [&](size_t i) { return static_cast<uint16_t>(static_cast<unsigned char>(p[i])); };
  return WindowSize{static_cast<uint16_t>(byte(0) << 8 | byte(1)),
                    static_cast<uint16_t>(byte(2) << 8 | byte(3))};
}

std::optional<Frame> FrameDecoder::next() {
  if (failed_) return std::nullopt;
  if (buffer_.size() - offset_ < 5) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(buffer_.data() + offset_);
  uint32_t n = uint32_t{p[1]} << 24 | uint32_t{p[2]} << 16 | uint32_t{p[3]} << 8 | p[4];
  if (n > kMaxFramePayload) {
    failed_ = true;
    buffer_.clear();
    offset_ = 0;
    return std::nullopt;
  }
  if (buffer_.size() - offset_ < 5 + size_t{n}) return std::nullopt;
  Frame f{static_cast<Channel>(p[0]), buffer_.substr(offset_ + 5, n)};
  offset_ += 5 + n;
  if (offset_ == buffer_.size() || offset_ > 65536) {
    buffer_.erase(0, offset_);
    offset_ = 0;
  }
  return f;
}

std::string encode_status(const AttachStatus& s) {
  return s.exit_code ? "exit " + std::to_string(*s.exit_code) : "error " + s.error;
}

AttachStatus decode_status(std::string_view p) {
  if (p.starts_with("exit ")) {
    if (auto code = parse_int(p.substr(5), 0, 255)) return {static_cast<int>(*code), ""};
  }
  if (p.starts_with("error ")) return {std::nullopt, std::string(p.substr(6))};
  return {std::nullopt, "malformed status from the pod: " + std::string(p.substr(0, 64))};
}

namespace {

// A socket path of any length: through the directory's descriptor (sun_path holds 108 bytes;
// a pod's state dir may be longer).
Result<sockaddr_un> address_in(int dirfd, const std::string& name) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::string path = "/proc/self/fd/" + std::to_string(dirfd) + "/" + name;
  if (path.size() >= sizeof addr.sun_path) return fail("socket name too long: " + name);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

constexpr size_t kHistoryMax = 64 * 1024;
constexpr size_t kClientBacklogMax = 4 << 20;
constexpr size_t kStdinPendingMax = 64 * 1024;
constexpr size_t kMaxClients = 16;

struct Attachable {
  std::string name;
  UniqueFd listener;
  bool stdin_once = false;
  bool running = false;
  std::optional<int> final_code;
  bool replayed = false;      // the first client got the output from before it came
  std::string history;        // that output, until then
  std::string pending_in;     // for the container's stdin, once it accepts more
  bool close_in = false;      // close the container's stdin once pending_in is written
};

struct Client {
  UniqueFd fd;
  Attachable* target = nullptr;
  bool stdin = false;
  bool closing = false;  // close once out is written
  bool dead = false;
  FrameDecoder in;
  std::string out;
};

struct Server {
  std::vector<std::unique_ptr<Attachable>> targets;
  std::vector<std::unique_ptr<Client>> clients;
  // What each pollfd of the last attach_pollfds() was: a listener, a stdin, or a client.
  enum class Kind { Listener, Input, Client };
  std::vector<std::pair<Kind, void*>> slots;
};

Server& server() {
  static Server s;
  return s;
}

Attachable* find_target(const std::string& name) {
  for (auto& t : server().targets)
    if (t->name == name) return t.get();
  return nullptr;
}

void flush_client(Client& c) {
  while (!c.out.empty() && !c.dead) {
    ssize_t n = ::send(c.fd.get(), c.out.data(), c.out.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      c.out.erase(0, static_cast<size_t>(n));
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      break;
    } else {
      c.dead = true;
    }
  }
  if (c.closing && c.out.empty()) c.dead = true;
}

void send_frame(Client& c, Channel ch, std::string_view payload) {
  if (c.dead) return;
  c.out += encode_frame(ch, payload);
  if (c.out.size() > kClientBacklogMax) {
    c.dead = true;  // too far behind: let go rather than stall the pod
    return;
  }
  flush_client(c);
}

void end_client(Client& c, const AttachStatus& status) {
  send_frame(c, Channel::Status, encode_status(status));
  c.closing = true;
  flush_client(c);
}

void flush_input(Attachable& t) {
  int fd = container_input(t.name);
  if (fd < 0) {
    t.pending_in.clear();
  } else {
    while (!t.pending_in.empty()) {
      ssize_t n = ::write(fd, t.pending_in.data(), t.pending_in.size());
      if (n > 0) {
        t.pending_in.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno == EINTR) {
        continue;
      } else if (n < 0 && errno == EAGAIN) {
        return;
      } else {
        t.pending_in.clear();  // the reader is gone
      }
    }
  }
  if (t.close_in) {
    close_container_input(t.name);
    t.close_in = false;
  }
}

void stdin_done(Attachable& t) {
  if (!t.stdin_once) return;
  t.close_in = true;
  flush_input(t);
}

void accept_client(Attachable& t) {
  UniqueFd fd(::accept4(t.listener.get(), nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!fd) return;
  auto& clients = server().clients;
  if (clients.size() >= kMaxClients) return;  // closed: the client sees the session end
  auto c = std::make_unique<Client>();
  c->fd = std::move(fd);
  c->target = &t;
  if (!t.running) {
    if (t.final_code && !t.replayed && !t.history.empty()) {
      // Ended before anyone came (run -i of a quick command): its output, then its end.
      t.replayed = true;
      send_frame(*c, Channel::Stdout, t.history);
    }
    if (t.final_code) end_client(*c, {t.final_code, ""});
    else end_client(*c, {std::nullopt, "container " + t.name + " is not running"});
  } else if (!t.replayed) {
    t.replayed = true;
    if (!t.history.empty()) send_frame(*c, Channel::Stdout, t.history);
    t.history.clear();
    t.history.shrink_to_fit();
  }
  clients.push_back(std::move(c));
}

void on_frame(Client& c, Frame f) {
  Attachable& t = *c.target;
  switch (f.channel) {
    case Channel::Hello:
      c.stdin = !f.payload.empty() && (static_cast<uint8_t>(f.payload[0]) & kHelloStdin);
      break;
    case Channel::Stdin:
      if (!c.stdin || !t.running) break;
      t.pending_in += f.payload;
      flush_input(t);
      break;
    case Channel::Resize:
      if (auto size = decode_resize(f.payload); size && container_terminal(t.name) >= 0)
        set_window_size(container_terminal(t.name), *size);
      break;
    case Channel::CloseStdin:
      if (c.stdin) stdin_done(t);
      c.stdin = false;
      break;
    default:
      c.dead = true;  // not a client's channel
  }
}

void read_client(Client& c) {
  char buf[16384];
  ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, MSG_DONTWAIT);
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (n <= 0) {
    c.dead = true;
    return;
  }
  c.in.feed(std::string_view(buf, static_cast<size_t>(n)));
  while (auto f = c.in.next()) on_frame(c, std::move(*f));
  if (c.in.failed()) c.dead = true;
}

}  // namespace

Result<void> attach_listen(const std::string& state_dir, const std::string& container, bool stdin_once) {
  auto dir = UniqueFd::open(state_dir, O_PATH | O_DIRECTORY);
  if (!dir) return std::unexpected(dir.error());
  std::string name = container + ".attach";
  auto addr = address_in(dir->get(), name);
  if (!addr) return std::unexpected(addr.error());
  (void)::unlinkat(dir->get(), name.c_str(), 0);  // left by an earlier pod init of this pod
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!sock) return fail_errno("socket");
  mode_t old = ::umask(077);  // 0600 from the start: no moment where another user may connect
  int rc = ::bind(sock.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
  ::umask(old);
  if (rc != 0) return fail_errno("bind " + state_dir + "/" + name);
  if (::listen(sock.get(), 8) != 0) return fail_errno("listen " + name);
  auto t = std::make_unique<Attachable>();
  t->name = container;
  t->listener = std::move(sock);
  t->stdin_once = stdin_once;
  server().targets.push_back(std::move(t));
  return {};
}

std::vector<pollfd> attach_pollfds() {
  auto& s = server();
  std::vector<pollfd> out;
  s.slots.clear();
  for (auto& t : s.targets) {
    out.push_back({t->listener.get(), POLLIN, 0});
    s.slots.emplace_back(Server::Kind::Listener, t.get());
    if (!t->pending_in.empty() && container_input(t->name) >= 0) {
      out.push_back({container_input(t->name), POLLOUT, 0});
      s.slots.emplace_back(Server::Kind::Input, t.get());
    }
  }
  for (auto& c : s.clients) {
    short events = 0;
    // A client whose stdin the container does not take yet waits: back-pressure, not memory.
    if (!c->closing && c->target->pending_in.size() < kStdinPendingMax) events |= POLLIN;
    if (!c->out.empty()) events |= POLLOUT;
    out.push_back({c->fd.get(), events, 0});
    s.slots.emplace_back(Server::Kind::Client, c.get());
  }
  return out;
}

void attach_handle(std::span<const pollfd> ready) {
  auto& s = server();
  for (size_t i = 0; i < ready.size() && i < s.slots.size(); ++i) {
    if (!ready[i].revents) continue;
    auto [kind, ptr] = s.slots[i];
    if (kind == Server::Kind::Listener) {
      accept_client(*static_cast<Attachable*>(ptr));
    } else if (kind == Server::Kind::Input) {
      flush_input(*static_cast<Attachable*>(ptr));
    } else {
      auto& c = *static_cast<Client*>(ptr);
      if (ready[i].revents & POLLOUT) flush_client(c);
      if (ready[i].revents & (POLLIN | POLLHUP | POLLERR)) {
        if (!c.closing) read_client(c);
        else if (ready[i].revents & (POLLHUP | POLLERR)) c.dead = true;  // gone before the end
      }
    }
  }
  s.slots.clear();
  std::erase_if(s.clients, [](const std::unique_ptr<Client>& c) {
    if (c->dead && c->stdin) stdin_done(*c->target);
    return c->dead;
  });
}

void attach_publish(const std::string& container, Channel stream, std::string_view data) {
  Attachable* t = find_target(container);
  if (!t) return;
  if (!t->replayed && t->stdin_once && t->history.size() < kHistoryMax)
    t->history.append(data.substr(0, kHistoryMax - t->history.size()));
  for (auto& c : server().clients)
    if (c->target == t && !c->closing) send_frame(*c, stream, data);
}

void attach_started(const std::string& container) {
  if (Attachable* t = find_target(container)) {
    t->running = true;
    t->pending_in.clear();
    t->close_in = false;
  }
}

void attach_exited(const std::string& container, int exit_code, bool final) {
  Attachable* t = find_target(container);
  if (!t) return;
  t->running = false;
  t->pending_in.clear();
  if (final) t->final_code = exit_code;
  // Ended, not erased: attach_handle() may still hold them in this round's slots.
  for (auto& c : server().clients)
    if (c->target == t && !c->closing) end_client(*c, {exit_code, ""});
}

// ---- the CLI's side ----

Result<UniqueFd> attach_connect(const std::string& state_dir, const std::string& container, bool stdin) {
  auto dir = UniqueFd::open(state_dir, O_PATH | O_DIRECTORY);
  if (!dir) return std::unexpected(dir.error());
  auto addr = address_in(dir->get(), container + ".attach");
  if (!addr) return std::unexpected(addr.error());
  UniqueFd sock(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!sock) return fail_errno("socket");
  if (::connect(sock.get(), reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr) != 0)
    return fail_errno("attach to container " + container);
  const std::string hello = encode_frame(Channel::Hello, std::string(1, static_cast<char>(stdin ? kHelloStdin : 0)));
  if (::send(sock.get(), hello.data(), hello.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(hello.size()))
    return fail_errno("attach to container " + container);
  return sock;
}

Result<AttachStatus> attach_session(const std::string& state_dir, const std::string& container,
                                    const AttachOptions& opts) {
  auto connected = attach_connect(state_dir, container, opts.stdin);
  if (!connected) return std::unexpected(connected.error());
  UniqueFd sock = std::move(*connected);
  auto send = [&](const std::string& frame) { return send_all(sock.get(), frame); };
  bool tty_in = opts.tty && ::isatty(0) == 1;
  if (tty_in)
    if (auto size = window_size(0)) send(encode_frame(Channel::Resize, encode_resize(*size)));
  if (opts.on_attached) opts.on_attached();

  std::optional<RawTerminal> raw;
  if (tty_in)
    if (auto r = RawTerminal::enter(0)) raw.emplace(std::move(*r));
  sigset_t winch, old;
  sigemptyset(&winch);
  sigaddset(&winch, SIGWINCH);
  ::sigprocmask(SIG_BLOCK, &winch, &old);
  UniqueFd sfd(::signalfd(-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK));

  AttachStatus status{std::nullopt, "the session ended before the container did"};
  FrameDecoder frames;
  bool stdin_open = opts.stdin, done = false;
  char buf[16384];
  while (!done) {
    pollfd p[3] = {{sock.get(), POLLIN, 0}, {stdin_open ? 0 : -1, POLLIN, 0}, {sfd.get(), POLLIN, 0}};
    int rc = ::poll(p, 3, -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0) break;
    if (p[0].revents) {
      ssize_t n = ::recv(sock.get(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      frames.feed(std::string_view(buf, static_cast<size_t>(n)));
      while (auto f = frames.next()) {
        if (f->channel == Channel::Stdout) write_all(1, f->payload);
        else if (f->channel == Channel::Stderr) write_all(2, f->payload);
        else if (f->channel == Channel::Status) status = decode_status(f->payload), done = true;
      }
      if (frames.failed()) break;
    }
    if (p[1].revents && !done) {
      ssize_t n = ::read(0, buf, sizeof buf);
      if (n > 0) {
        if (!send(encode_frame(Channel::Stdin, std::string_view(buf, static_cast<size_t>(n))))) break;
      } else if (n == 0 || errno != EINTR) {
        stdin_open = false;
        send(encode_frame(Channel::CloseStdin, {}));
      }
    }
    if (p[2].revents) {
      signalfd_siginfo si;
      while (::read(sfd.get(), &si, sizeof si) == sizeof si) {
      }
      if (tty_in)
        if (auto size = window_size(0)) send(encode_frame(Channel::Resize, encode_resize(*size)));
    }
  }
  ::sigprocmask(SIG_SETMASK, &old, nullptr);
  return status;
}

}  // namespace lab::runtime
