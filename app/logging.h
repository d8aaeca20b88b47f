// Structured logging for the `accrue` executable (design.md "Observability").
//
// One spdlog logger writing to stderr, in the format of the global --log-format:
//   text: `2026-11-22T10:00:00.123456Z info http_request request_id=r1 status=200`
//   json: `{"ts":"2026-11-22T10:00:00.123456Z","level":"info","msg":"http_request","request_id":"r1","status":200}`
// Fields are key/value pairs; a field is written as a JSON number when built with
// Num(). Values are escaped in both formats, so a client-controlled value (a
// request id, a route) cannot forge a log line. Secrets (API tokens) must never be
// passed to these functions.
//
// Thread-safety: InitLogging once at start-up (before other threads log); LogEvent
// from any thread.
#ifndef ACCRUE_APP_LOGGING_H_
#define ACCRUE_APP_LOGGING_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "app/cli.h"

namespace accrue::app {

struct LogField {
  std::string key;
  std::string value;
  bool is_number = false;
};

inline LogField Str(std::string key, std::string value) { return {std::move(key), std::move(value), false}; }
inline LogField Num(std::string key, int64_t value) { return {std::move(key), std::to_string(value), true}; }

enum class LogLevel { kDebug, kInfo, kWarn, kError };

// Log lines are buffered (see logging.cpp): flushed at least this often, at once
// for warn and error, and at exit. A SIGKILL can lose at most this much of them.
inline constexpr std::chrono::seconds kLogFlushInterval{1};
inline constexpr std::size_t kLogBufferBytes = 64 * 1024;

// Installs the stderr logger in `format`. Safe to call again (replaces it).
void InitLogging(LogFormat format);

// Writes one line: the message plus the fields, in order.
void LogEvent(LogLevel level, std::string_view msg, const std::vector<LogField>& fields);

// JSON string escaping (quotes not included); control bytes as \u00XX, bytes >= 0x80
// copied as they are.
void AppendJsonEscaped(std::string_view in, std::string* out);

}  // namespace accrue::app

#endif  // ACCRUE_APP_LOGGING_H_
