// Fuzz of what a client sends on an upgraded connection: SPDY/3.1 bytes (exec and attach for
// kubectl 1.29, port-forward for every kubectl) and the websocket messages of exec/attach.
// Byte streams a client could send (built with our encoder: stream openings with headers, data,
// resets, pings, GOAWAY) are mutated (bits flipped, bytes cut, inserted, overwritten, repeated
// runs) and fed through the decoder and both servers' frame handlers: each input ends in frames or
// in a clean error, never a crash, an exception or a hang. Seeded: a failure repeats.
#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "lab/server/port_forward.h"
#include "lab/server/remote_command.h"
#include "lab/server/remote_command_spdy.h"
#include "lab/server/spdy.h"

namespace lab::server {
namespace {

spdy::Frame syn(uint32_t id, spdy::Headers headers) {
  spdy::Frame f;
  f.type = spdy::Type::SynStream;
  f.stream_id = id;
  f.headers = std::move(headers);
  return f;
}

// A session's worth of client bytes: port-forward pairs and exec streams, with data, a resize,
// a reset, a ping and the end.
std::string client_bytes() {
  spdy::Encoder enc;
  std::string out;
  auto add = [&](const spdy::Frame& f) { out += *enc.encode(f); };
  add(syn(1, {{"streamtype", "error"}, {"port", "80"}, {"requestid", "0"}}));
  add(syn(3, {{"streamtype", "data"}, {"port", "80"}, {"requestid", "0"}}));
  add(spdy::data_frame(3, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"));
  add(syn(5, {{"streamtype", "stdin"}}));
  add(syn(7, {{"streamtype", "stdout"}}));
  add(syn(9, {{"streamtype", "resize"}}));
  add(spdy::data_frame(9, "{\"Width\":80,\"Height\":24}\n"));
  add(spdy::data_frame(5, "echo hi\n", spdy::kFlagFin));
  add(spdy::control_frame(spdy::Type::Ping, 0, 1));
  add(spdy::control_frame(spdy::Type::RstStream, 3, spdy::kCancel));
  add(spdy::data_frame(3, "", spdy::kFlagFin));
  add(spdy::control_frame(spdy::Type::GoAway, 0, 0));
  return out;
}

std::string mutate(std::string s, std::mt19937& rng) {
  std::uniform_int_distribution<int> op(0, 5), byte(0, 255);
  const int rounds = 1 + static_cast<int>(rng() % 4);
  for (int r = 0; r < rounds && !s.empty(); ++r) {
    size_t at = rng() % s.size();
    switch (op(rng)) {
      case 0: s[at] = static_cast<char>(s[at] ^ (1 << (rng() % 8))); break;
      case 1: s.erase(at, 1 + rng() % 16); break;
      case 2: s.insert(at, std::string(1 + rng() % 8, static_cast<char>(byte(rng)))); break;
      case 3: s[at] = static_cast<char>(byte(rng)); break;
      case 4: s.resize(at); break;
      default: s.insert(at, s.substr(at, 1 + rng() % 64)); break;
    }
  }
  return s;
}

// Feeds the bytes in pieces of random sizes, handing every frame to both servers' handlers;
// counts the frames handed.
void feed(const std::string& bytes, std::mt19937& rng, size_t& frames) {
  spdy::Decoder dec;
  PortForwardStreams pf;
  RemoteCommand rc;
  rc.exec = true;
  rc.command = {"sh"};
  rc.stdin = rc.stdout = rc.tty = true;
  SpdyClientFrames exec(rc);
  bool pf_ok = true, exec_ok = true;
  for (size_t off = 0; off < bytes.size();) {
    size_t n = 1 + rng() % 300;
    dec.feed(std::string_view(bytes).substr(off, n));
    off += n;
    for (;;) {
      auto f = dec.next();
      if (!f) {
        // Once broken, always broken.
        ASSERT_FALSE(dec.next().has_value());
        return;
      }
      if (!*f) break;
      ++frames;
      if (pf_ok) {
        auto out = pf.handle(**f);
        if (!out) pf_ok = false;
        else if (out->ready) pf.forget(out->ready->data_id);
      }
      if (exec_ok && !exec.handle(**f)) exec_ok = false;
    }
  }
}

TEST(StreamProtocolsFuzz, MutatedSpdyFromAClientEndsInFramesOrACleanError) {
  std::mt19937 rng(20261204);
  const std::string good = client_bytes();
  size_t frames = 0;
  feed(good, rng, frames);  // the unmutated session decodes whole
  ASSERT_EQ(frames, 12u);
  // A good share of mutations leave frames before the damage that reach the handlers.
  size_t reached = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string input = mutate(good, rng);
    frames = 0;
    ASSERT_NO_THROW(feed(input, rng, frames)) << "input " << i;
    reached += frames >= 4;
  }
  EXPECT_GT(reached, 5000u);
  // Random bytes, and frames that claim every type and length.
  for (int i = 0; i < 2000; ++i) {
    std::string input(1 + rng() % 200, '\0');
    for (auto& c : input) c = static_cast<char>(rng());
    if (i % 2 == 0) input[0] = static_cast<char>(0x80), input[1] = 3;  // a control frame of SPDY/3
    ASSERT_NO_THROW(feed(input, rng, frames)) << "random input " << i;
  }
}

TEST(StreamProtocolsFuzz, MutatedWebsocketMessagesOfExecAreFramesOrErrors) {
  std::mt19937 rng(42);
  const std::vector<std::string> good = {std::string("\0ls\n", 4), "\4{\"Width\":80,\"Height\":24}",
                                         std::string("\xff\0", 2), std::string("\0", 1)};
  for (int i = 0; i < 20000; ++i) {
    std::string m = mutate(good[rng() % good.size()], rng);
    // Either frames or an error that says what was wrong.
    for (bool v5 : {true, false}) {
      Result<std::string> frames;
      ASSERT_NO_THROW(frames = client_message_frames(m, v5)) << "message " << i;
      EXPECT_TRUE(frames.has_value() || !frames.error().what().empty()) << "message " << i;
    }
  }
}

}  // namespace
}  // namespace lab::server
