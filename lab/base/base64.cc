// Go's encoding/base64 (StdEncoding, not strict) quantum by quantum, so that the offset in an
// error is the one kube-apiserver would name for the same text.
#include "lab/base/base64.h"

#include <array>
#include <cstdint>

namespace lab {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr uint8_t kBad = 0xff;

constexpr std::array<uint8_t, 256> decode_map() {
  std::array<uint8_t, 256> m{};
  for (auto& v : m) v = kBad;
  for (uint8_t i = 0; i < 64; ++i) m[static_cast<uint8_t>(kAlphabet[i])] = i;
  return m;
}
constexpr auto kDecode = decode_map();

bool newline(char c) { return c == '\n' || c == '\r'; }

std::unexpected<Error> corrupt(size_t at) {
  return fail_api(Reason::Invalid, "illegal base64 data at input byte " + std::to_string(at));
}

}  // namespace

std::string base64_encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    const uint32_t v = static_cast<uint8_t>(in[i]) << 16 | static_cast<uint8_t>(in[i + 1]) << 8 |
                       static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += kAlphabet[v >> 6 & 63];
    out += kAlphabet[v & 63];
  }
  if (const size_t rest = in.size() - i; rest > 0) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (rest == 2) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kAlphabet[v >> 18 & 63];
    out += kAlphabet[v >> 12 & 63];
    out += rest == 2 ? kAlphabet[v >> 6 & 63] : '=';
    out += '=';
  }
  return out;
}

// decodeQuantum of Go's encoding/base64, returning the error offset it would.
Result<std::string> base64_decode(std::string_view src) {
  std::string out;
  out.reserve(src.size() / 4 * 3);
  size_t si = 0;
  while (si < src.size()) {
    uint8_t dbuf[4] = {0, 0, 0, 0};
    size_t dlen = 4;
    bool end = false;  // padding seen: this quantum is the last
    for (size_t j = 0; j < 4; ++j) {
      if (si == src.size()) {
        if (j == 0) return out;  // only newlines were left
        return corrupt(si - j);  // padding is required
      }
      const char in = src[si++];
      const uint8_t v = kDecode[static_cast<uint8_t>(in)];
      if (v != kBad) {
        dbuf[j] = v;
        continue;
      }
      if (newline(in)) {
        --j;
        continue;
      }
      if (in != '=') return corrupt(si - 1);
      // Padding: only after two or three characters of a quantum.
      if (j < 2) return corrupt(si - 1);
      if (j == 2) {  // "==" expected: the second '=' must follow, newlines aside
        while (si < src.size() && newline(src[si])) ++si;
        if (si == src.size()) return corrupt(src.size());
        if (src[si] != '=') return corrupt(si - 1);
        ++si;
      }
      while (si < src.size() && newline(src[si])) ++si;
      if (si < src.size()) return corrupt(si);  // anything after the padding
      dlen = j;
      end = true;
      break;
    }
    const uint32_t val = uint32_t{dbuf[0]} << 18 | uint32_t{dbuf[1]} << 12 | uint32_t{dbuf[2]} << 6 | dbuf[3];
    out += static_cast<char>(val >> 16 & 0xff);
    if (dlen >= 3) out += static_cast<char>(val >> 8 & 0xff);
    if (dlen == 4) out += static_cast<char>(val & 0xff);
    if (end) break;
  }
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  std::string s = base64_encode(bytes);
  while (!s.empty() && s.back() == '=') s.pop_back();
  for (auto& c : s) c = c == '+' ? '-' : c == '/' ? '_' : c;
  return s;
}

std::optional<std::string> base64url_decode(std::string_view text) {
  std::string s;
  s.reserve(text.size() + 3);
  for (char c : text) {
    if (c == '+' || c == '/' || c == '=' || c == '\r' || c == '\n') return std::nullopt;
    s.push_back(c == '-' ? '+' : c == '_' ? '/' : c);
  }
  if (s.size() % 4 == 1) return std::nullopt;
  while (s.size() % 4 != 0) s.push_back('=');
  auto out = base64_decode(s);
  if (!out || base64url_encode(*out) != text) return std::nullopt;
  return std::move(*out);
}

}  // namespace lab
