// Errors as values: Result<T> = std::expected<T, Error>, where Error carries errno (or an API
// reason) and context.
// Library code returns these; only the CLI turns them into words for the user, once, at the top.
#pragma once

#include <cerrno>
#include <cstring>
#include <expected>
#include <string>
#include <utility>

namespace lab {

// Why an API operation failed, as Kubernetes' metav1.StatusReason; None for everything else.
enum class Reason {
  None,
  BadRequest,        // 400: the request cannot be decoded
  Forbidden,         // 403: refused by a rule (a namespace being terminated)
  NotFound,          // 404
  MethodNotAllowed,  // 405
  AlreadyExists,     // 409: create of a name that is taken
  Conflict,          // 409: a resourceVersion or uid precondition failed
  Gone,              // 410: a watch from a version the log no longer holds
  RequestEntityTooLarge,  // 413
  UnsupportedMediaType,   // 415: a body the server does not decode
  Invalid,           // 422: the object fails validation
  InternalError,     // 500
};

struct Error {
  int code = 0;         // errno, or 0 when the error is not a system error
  std::string message;  // what was being done, in the user's words ("create veth v1 in node-1")
  Reason reason = Reason::None;

  // "message: strerror(code)" or just "message".
  std::string what() const {
    if (code == 0) return message;
    return message + ": " + std::strerror(code);
  }
  // Prefixes more context: err.context("start pod web-1") -> "start pod web-1: <old message>".
  Error context(const std::string& outer) const& { return Error{code, outer + ": " + message, reason}; }
};

template <typename T = void>
using Result = std::expected<T, Error>;

inline std::unexpected<Error> fail(std::string message, int code = 0) {
  return std::unexpected<Error>(Error{code, std::move(message)});
}
// An API error: fail_api(Reason::NotFound, "pods \"x\" not found").
inline std::unexpected<Error> fail_api(Reason reason, std::string message) {
  return std::unexpected<Error>(Error{0, std::move(message), reason});
}
// For libc calls that set errno: return fail_errno("mount /usr").
inline std::unexpected<Error> fail_errno(std::string message) {
  return std::unexpected<Error>(Error{errno, std::move(message)});
}

}  // namespace lab

// Early return on error, as Abseil's RETURN_IF_ERROR: LAB_TRY(do_thing());
#define LAB_TRY(expr)                                               \
  do {                                                              \
    auto lab_try_result_ = (expr);                                  \
    if (!lab_try_result_) return std::unexpected(lab_try_result_.error()); \
  } while (0)
