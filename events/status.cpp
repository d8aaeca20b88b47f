#include "events/status.h"

#include <cstdio>
#include <cstdlib>

namespace accrue {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid_argument";
    case StatusCode::kNotFound: return "not_found";
    case StatusCode::kCorruption: return "corruption";
    case StatusCode::kIoError: return "io_error";
    case StatusCode::kUnavailable: return "unavailable";
    case StatusCode::kConflict: return "conflict";
    case StatusCode::kFailedPrecondition: return "failed_precondition";
    case StatusCode::kInternal: return "internal";
  }
  return "unknown";
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(StatusCodeName(code_));
  s += ": ";
  s += message_;
  return s;
}

namespace internal {
void AssertFail(const char* cond, const char* file, int line, const char* msg) {
  std::fprintf(stderr, "accrue: assertion failed: %s at %s:%d: %s\n", cond, file, line, msg);
  std::fflush(stderr);
  std::abort();
}
}  // namespace internal

}  // namespace accrue
