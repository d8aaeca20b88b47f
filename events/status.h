// Status and Result<T>: infrastructure errors as values (docs/decisions/0002-errors-as-values.md).
//
// A Status is ok or carries a code and a message. Business rejections are NOT
// statuses: the domain returns engine::Rejection with the contract's error codes.
// Status is for things that went wrong around the domain: disk, fsync, a corrupt
// record, Postgres gone, a full queue. Both types are [[nodiscard]]; dropping one
// on purpose is written `(void)call();` or `.IgnoreError()` so it can be grepped.
//
// Thread-safety: values; safe to copy between threads.
#ifndef ACCRUE_EVENTS_STATUS_H_
#define ACCRUE_EVENTS_STATUS_H_

#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "events/assert.h"

namespace accrue {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,     // caller passed something malformed
  kNotFound,            // the thing asked for does not exist
  kCorruption,          // stored bytes fail a check (hash, decode, gap)
  kIoError,             // the disk said no (includes fsync failure)
  kUnavailable,         // passing: queue full, disk full, shutting down, Postgres gone; retry is safe
  kConflict,            // optimistic concurrency: expected version did not match
  kFailedPrecondition,  // the system is not in a state to do this (e.g. newer format)
  kInternal,            // a bug
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IoError(std::string m) { return {StatusCode::kIoError, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status Conflict(std::string m) { return {StatusCode::kConflict, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Result<T>: a T or a non-ok Status. value() on an error is a programmer error.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {  // NOLINT(google-explicit-constructor)
    ACCRUE_ASSERT(!std::get<Status>(v_).ok(), "Result built from an ok Status");
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOkStatus;
    return ok() ? kOkStatus : std::get<Status>(v_);
  }
  T& value() & {
    ACCRUE_ASSERT(ok(), "Result::value() on an error");
    return std::get<T>(v_);
  }
  const T& value() const& {
    ACCRUE_ASSERT(ok(), "Result::value() on an error");
    return std::get<T>(v_);
  }
  T&& value() && {
    ACCRUE_ASSERT(ok(), "Result::value() on an error");
    return std::get<T>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace accrue

#endif  // ACCRUE_EVENTS_STATUS_H_
