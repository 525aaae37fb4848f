// The kubelet's expansion (third_party/forked/golang/expansion/expand.go), one byte at a time:
// each `$` that is not the last byte starts a token, read by read_token.
#include "lab/api/env_expand.h"

namespace lab::api {

namespace {

struct Token {
  std::string_view text;  // a variable name, or the bytes to copy
  bool variable = false;
  size_t consumed = 0;    // bytes after the `$`
};

// What follows a `$` (rest is never empty): `$` (an escape, written once), `(NAME)` (a
// reference), or anything else (the `$` and that byte, copied; an unterminated `$(` too).
Token read_token(std::string_view rest) {
  if (rest[0] == '$') return {rest.substr(0, 1), false, 1};
  if (rest[0] == '(') {
    if (size_t close = rest.find(')', 1); close != std::string_view::npos)
      return {rest.substr(1, close - 1), true, close + 1};
    return {"$(", false, 1};
  }
  return {{}, false, 1};  // "$" + rest[0]: the caller copies both
}

}  // namespace

std::string expand_env(std::string_view input, const std::vector<const EnvMap*>& contexts) {
  std::string out;
  out.reserve(input.size());
  size_t checkpoint = 0;
  for (size_t cursor = 0; cursor < input.size(); ++cursor) {
    if (input[cursor] != '$' || cursor + 1 >= input.size()) continue;
    out.append(input.substr(checkpoint, cursor - checkpoint));
    std::string_view rest = input.substr(cursor + 1);
    Token t = read_token(rest);
    if (t.variable) {
      const std::string* value = nullptr;
      for (const EnvMap* ctx : contexts) {
        if (!ctx) continue;
        if (auto it = ctx->find(t.text); it != ctx->end()) {
          value = &it->second;
          break;
        }
      }
      if (value) out += *value;
      else out.append("$(").append(t.text).append(")");
    } else if (t.text.empty()) {
      out += '$';
      out += rest[0];
    } else {
      out.append(t.text);
    }
    cursor += t.consumed;
    checkpoint = cursor + 1;
  }
  out.append(input.substr(std::min(checkpoint, input.size())));
  return out;
}

}  // namespace lab::api
