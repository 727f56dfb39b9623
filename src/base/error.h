#pragma once
// Errors are values: every fallible function returns sluice::Expected<T>.
// Exceptions are reserved for broken invariants and are caught once, in cli.

#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace sluice {

enum class ErrorCode {
  invalid_input,  // the user's input (file, flag, value) is wrong: exit code 2
  not_found,      // a named file, stage, run or resource does not exist
  io,             // the operating system refused a read, write, spawn, ...
  integrity,      // data exists but is corrupted (hash mismatch, bad database)
  budget,         // a configured limit would be exceeded
  network,        // a remote peer failed or could not be reached
  internal,       // a bug in sluice
};

struct Error {
  ErrorCode code = ErrorCode::internal;
  std::string message;
};

template <class T>
using Expected = tl::expected<T, Error>;

// Shorthand for `return make_error(ErrorCode::io, "...")` in a function returning Expected<T>.
[[nodiscard]] inline tl::unexpected<Error> make_error(ErrorCode code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message)});
}

}  // namespace sluice

// Returns the error of `expr` (an Expected) upward; for functions returning an Expected.
#define SLUICE_TRY(expr)                                            \
  do {                                                              \
    if (auto&& sluice_try_ = (expr); !sluice_try_)                  \
      return tl::unexpected(std::move(sluice_try_.error()));        \
  } while (0)
