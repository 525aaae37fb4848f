// SPDY/3.1 framing (lab/server/spdy.h): frames to bytes and back, the header blocks' zlib stream
// (against frames built with Python's zlib and spdystream's dictionary, as Go's framer writes
// them), and bytes that are not SPDY: errors, never a crash or an unbounded allocation.
#include "lab/server/spdy.h"

#include <gtest/gtest.h>

namespace lab::server::spdy {
namespace {

Frame syn_stream(uint32_t id, Headers headers) {
  Frame f;
  f.type = Type::SynStream;
  f.stream_id = id;
  f.headers = std::move(headers);
  return f;
}

Frame control(Type type, uint32_t id, uint32_t value) { return control_frame(type, id, value); }

std::vector<Frame> decode_all(Decoder& d) {
  std::vector<Frame> out;
  for (;;) {
    auto f = d.next();
    EXPECT_TRUE(f.has_value()) << (f ? "" : f.error().what());
    if (!f || !*f) break;
    out.push_back(**f);
  }
  return out;
}

TEST(Spdy, HeaderBlocksRoundTripWithNamesLowerCased) {
  Headers h = {{"StreamType", "stdin"}, {"x-multi", std::string("a\0b", 3)}};
  auto back = decode_header_block(encode_header_block(h));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, (Headers{{"streamtype", "stdin"}, {"x-multi", std::string("a\0b", 3)}}));
  EXPECT_EQ(header_value(*back, "streamType"), "stdin");
  EXPECT_EQ(header_value(*back, "nope"), "");
}

TEST(Spdy, EveryFrameTypeRoundTripsOverOneCompressedStream) {
  Encoder enc;
  Decoder dec;
  Frame data;
  data.stream_id = 5;
  data.flags = kFlagFin;
  data.data = "hello";
  Frame reply;
  reply.type = Type::SynReply;
  reply.stream_id = 1;
  std::vector<Frame> sent = {syn_stream(1, {{"streamtype", "error"}}),
                             syn_stream(3, {{"streamtype", "stdout"}}),
                             reply,
                             data,
                             control(Type::RstStream, 3, kCancel),
                             control(Type::Ping, 0, 7),
                             control(Type::GoAway, 3, kGoAwayOk),
                             control(Type::WindowUpdate, 1, 65536)};
  std::string bytes;
  for (const auto& f : sent) {
    auto e = enc.encode(f);
    ASSERT_TRUE(e.has_value()) << e.error().what();
    bytes += *e;
  }
  // Byte by byte: a frame is only given once whole.
  std::vector<Frame> got;
  for (char c : bytes) {
    dec.feed(std::string_view(&c, 1));
    for (auto& f : decode_all(dec)) got.push_back(std::move(f));
  }
  ASSERT_EQ(got.size(), sent.size());
  for (size_t i = 0; i < sent.size(); ++i) {
    EXPECT_EQ(got[i].type, sent[i].type) << i;
    EXPECT_EQ(got[i].stream_id, sent[i].stream_id) << i;
    EXPECT_EQ(got[i].value, sent[i].value) << i;
    EXPECT_EQ(got[i].flags, sent[i].flags) << i;
    EXPECT_EQ(got[i].headers, sent[i].headers) << i;
    EXPECT_EQ(got[i].data, sent[i].data) << i;
  }
  EXPECT_TRUE(got[3].fin());
}

TEST(Spdy, TheControlFrameHeadIsSpdy3) {
  Encoder enc;
  auto ping = enc.encode(control(Type::Ping, 0, 1));
  ASSERT_TRUE(ping.has_value());
  EXPECT_EQ(*ping, std::string("\x80\x03\x00\x06\x00\x00\x00\x04\x00\x00\x00\x01", 12));
  Frame data;
  data.stream_id = 2;
  data.flags = kFlagFin;
  data.data = "ab";
  EXPECT_EQ(*enc.encode(data), std::string("\x00\x00\x00\x02\x01\x00\x00\x02" "ab", 10));
}

// Two SYN_STREAMs as Go's framer writes them (zlib level 9, SPDY/3's dictionary, a sync flush per
// block, one stream for both), built with Python's zlib: `streamtype: error` on 1, `stdin` on 3.
TEST(Spdy, AHeaderBlockCompressedElsewhereWithTheDictionaryDecodes) {
  const std::string bytes(
      "\x80\x03\x00\x01\x00\x00\x00\x28\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00\x78\xf9\xe3\xc6\xa7\xc2\x02\xa6"
      "\x23\x46\x70\x3a\x2b\x29\x4a\x4d\xcc\x85\x16\x25\xac\xa9\xa0\x80\x06\x00\x00\x00\xff\xff\x80\x03\x00\x01"
      "\x00\x00\x00\x17\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00\xc2\x2e\x55\x5c\x02\xcc\x2e\x00\x00\x00\x00\xff"
      "\xff",
      79);
  Decoder dec;
  dec.feed(bytes);
  auto frames = decode_all(dec);
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[0].type, Type::SynStream);
  EXPECT_EQ(frames[0].stream_id, 1u);
  EXPECT_EQ(frames[0].headers, (Headers{{"streamtype", "error"}}));
  EXPECT_EQ(frames[1].stream_id, 3u);
  EXPECT_EQ(frames[1].headers, (Headers{{"streamtype", "stdin"}}));
}

// Our compressor's output starts as a zlib stream with a preset dictionary (FDICT) whose id is
// the adler32 of SPDY/3's dictionary, as Go's zlib.NewReaderDict checks.
TEST(Spdy, OurHeaderBlocksNameTheSpdyDictionary) {
  Encoder enc;
  auto reply = enc.encode(control(Type::SynReply, 1, 0));
  ASSERT_TRUE(reply.has_value());
  ASSERT_GE(reply->size(), 18u);
  EXPECT_EQ(reply->substr(12, 6), std::string("\x78\xbb\xe3\xc6\xa7\xc2", 6));
}

Result<std::optional<Frame>> decode_one(const std::string& bytes) {
  Decoder dec;
  dec.feed(bytes);
  return dec.next();
}

std::string control_head(uint16_t type, uint32_t length, uint16_t version = 3) {
  std::string h;
  h.push_back(static_cast<char>(0x80 | version >> 8));
  h.push_back(static_cast<char>(version));
  h.push_back(static_cast<char>(type >> 8));
  h.push_back(static_cast<char>(type));
  h.push_back(0);
  h.push_back(static_cast<char>(length >> 16));
  h.push_back(static_cast<char>(length >> 8));
  h.push_back(static_cast<char>(length));
  return h;
}

TEST(Spdy, MalformedFramesAreErrorsThatStay) {
  // Another version.
  auto v2 = decode_one(control_head(6, 4, 2) + std::string(4, '\1'));
  ASSERT_FALSE(v2.has_value());
  EXPECT_EQ(v2.error().what(), "version 2 (this is SPDY/3.1)");
  // A control frame, or a data frame, longer than allowed: refused from its head alone.
  auto huge = decode_one(control_head(1, 0xffffff));
  ASSERT_FALSE(huge.has_value());
  EXPECT_NE(huge.error().what().find("SYN_STREAM of 16777215 bytes"), std::string::npos);
  EXPECT_FALSE(decode_one(std::string("\x00\x00\x00\x01\x00\xff\xff\xff", 8)).has_value());
  // Lengths that do not fit the type.
  EXPECT_FALSE(decode_one(control_head(6, 3) + "abc").has_value());
  EXPECT_FALSE(decode_one(control_head(3, 4) + "abcd").has_value());
  EXPECT_FALSE(decode_one(control_head(1, 4) + "abcd").has_value());
  EXPECT_FALSE(decode_one(control_head(4, 4) + std::string("\0\0\0\x09", 4)).has_value());
  // Data on stream 0.
  EXPECT_FALSE(decode_one(std::string("\x00\x00\x00\x00\x00\x00\x00\x01x", 9)).has_value());
  // A header block that is not zlib.
  auto notzlib = decode_one(control_head(1, 14) + std::string("\0\0\0\1\0\0\0\0\0\0", 10) + "junk");
  ASSERT_FALSE(notzlib.has_value());
  EXPECT_NE(notzlib.error().what().find("not zlib data"), std::string::npos);
  // Once broken, always broken.
  Decoder dec;
  dec.feed(control_head(6, 3) + "abc");
  EXPECT_FALSE(dec.next().has_value());
  Encoder enc;
  dec.feed(*enc.encode(control(Type::Ping, 0, 1)));
  EXPECT_FALSE(dec.next().has_value());
}

// Frames that arrive together, past the point where the decoder drops what it has given out
// (64 KiB): each frame's data is its own (the drop once moved the bytes under the frame being read).
TEST(Spdy, BigFramesFedAtOnceKeepTheirData) {
  Encoder enc;
  std::string bytes;
  std::vector<std::string> sent;
  for (char c : std::string("abcde")) {
    Frame f;
    f.stream_id = 3;
    f.data = std::string(40000, c) + std::string(1, c == 'e' ? '!' : '.');
    sent.push_back(f.data);
    bytes += *enc.encode(f);
  }
  Decoder dec;
  dec.feed(bytes);
  for (const auto& want : sent) {
    auto f = dec.next();
    ASSERT_TRUE(f.has_value() && f->has_value());
    EXPECT_EQ((*f)->data, want);
  }
  EXPECT_FALSE(*dec.next());
}

TEST(Spdy, AnUnknownControlFrameIsSkipped) {
  Encoder enc;
  auto ping = enc.encode(control(Type::Ping, 0, 9));
  auto frame = decode_one(control_head(0x7f, 2) + "zz" + *ping);
  ASSERT_TRUE(frame.has_value() && frame->has_value());
  EXPECT_EQ((*frame)->type, Type::Ping);
  EXPECT_EQ((*frame)->value, 9u);
}

TEST(Spdy, AHugeHeaderBlockIsRefusedOnceItDecompressesPastTheLimit) {
  // 1 MiB of one header value compresses to about 1 KiB: a bomb the limit must defuse.
  Encoder enc;
  auto bomb = enc.encode(syn_stream(1, {{"x", std::string(1 << 20, 'a')}}));
  ASSERT_TRUE(bomb.has_value());
  ASSERT_LT(bomb->size(), kMaxControlPayload);
  auto frame = decode_one(*bomb);
  ASSERT_FALSE(frame.has_value());
  EXPECT_NE(frame.error().what().find("more than 65536 bytes once decompressed"), std::string::npos);
}

TEST(Spdy, AHeaderBlockThatLiesAboutItsCountIsRefused) {
  EXPECT_FALSE(decode_header_block(std::string("\xff\xff\xff\xff", 4)).has_value());
  EXPECT_FALSE(decode_header_block(std::string("\0\0\0\1\0\0\0\5ab\0\0\0\0", 14)).has_value());
  EXPECT_FALSE(decode_header_block(std::string("\0\0\0\0x", 5)).has_value());
  EXPECT_FALSE(decode_header_block("").has_value());
}

}  // namespace
}  // namespace lab::server::spdy
