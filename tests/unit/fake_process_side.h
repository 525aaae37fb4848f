// The process side of an exec as the relay tests play it (runtime/attach.h frames on a socket):
// takes what the client sends until stdin's end, then answers stdout "out:hello", stderr "err"
// and an exit code of 3. Shared by the websocket and SPDY relay tests.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>

#include <string_view>
#include <vector>

#include "runtime/attach.h"

namespace lab::testing {

inline std::vector<runtime::Frame> fake_process_side(int fd) {
  using runtime::Channel;
  std::vector<runtime::Frame> got;
  runtime::FrameDecoder dec;
  char buf[4096];
  bool closed = false;
  while (!closed) {
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) break;
    dec.feed(std::string_view(buf, static_cast<size_t>(n)));
    while (auto f = dec.next()) {
      got.push_back(*f);
      closed = closed || f->channel == Channel::CloseStdin;
    }
  }
  for (const auto& f : {runtime::encode_frame(Channel::Stdout, "out:hello"), runtime::encode_frame(Channel::Stderr, "err"),
                        runtime::encode_frame(Channel::Status, runtime::encode_status({3, ""}))})
    EXPECT_EQ(::send(fd, f.data(), f.size(), MSG_NOSIGNAL), static_cast<ssize_t>(f.size()));
  return got;
}

}  // namespace lab::testing
