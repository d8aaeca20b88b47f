#include "app/logging.h"

#include <spdlog/sinks/base_sink.h>
#include <unistd.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace accrue::app {
namespace {

std::atomic<bool> g_json{false};
std::atomic<bool> g_ready{false};  // InitLogging ran (else spdlog's default logger writes to stdout)

// Log lines go to their own buffered stream on a duplicate of fd 2: an info line
// (one per HTTP request) is a memcpy, not a write(2) under the sink's lock.
// Buffered lines reach stderr every kLogFlushInterval, at once for warn and
// error, when the buffer fills, and at exit. The process's own stderr stays
// unbuffered, so an assertion message printed just before abort() is never lost.
class BufferedStderrSink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  BufferedStderrSink() {
    const int fd = ::dup(STDERR_FILENO);
    file_ = fd >= 0 ? ::fdopen(fd, "w") : nullptr;
    if (file_ == nullptr) {
      file_ = stderr;  // no spare descriptor: write straight through
    } else {
      (void)std::setvbuf(file_, nullptr, _IOFBF, kLogBufferBytes);
    }
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    (void)std::fwrite(formatted.data(), 1, formatted.size(), file_);
  }
  void flush_() override { (void)std::fflush(file_); }

 private:
  std::FILE* file_ = nullptr;  // lives until exit (flushed by FlushLogs)
};

void FlushLogs() {
  if (auto* logger = spdlog::default_logger_raw()) logger->flush();
}

bool NeedsQuoting(std::string_view v) {
  if (v.empty()) return true;
  for (unsigned char c : v) {
    if (c <= 0x20 || c == '"' || c == '=' || c == '\\' || c >= 0x7f) return true;
  }
  return false;
}

spdlog::level::level_enum ToSpd(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return spdlog::level::debug;
    case LogLevel::kInfo:
      return spdlog::level::info;
    case LogLevel::kWarn:
      return spdlog::level::warn;
    case LogLevel::kError:
      return spdlog::level::err;
  }
  return spdlog::level::info;
}

}  // namespace

void AppendJsonEscaped(std::string_view in, std::string* out) {
  for (unsigned char c : in) {
    switch (c) {
      case '"':
        *out += "\\\"";
        break;
      case '\\':
        *out += "\\\\";
        break;
      case '\n':
        *out += "\\n";
        break;
      case '\r':
        *out += "\\r";
        break;
      case '\t':
        *out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          *out += buf;
        } else {
          *out += static_cast<char>(c);
        }
    }
  }
}

void InitLogging(LogFormat format) {
  auto sink = std::make_shared<BufferedStderrSink>();
  auto logger = std::make_shared<spdlog::logger>("accrue", sink);
  const bool json = format == LogFormat::kJson;
  g_json.store(json);
  logger->set_pattern(json ? R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})"
                           : "%Y-%m-%dT%H:%M:%S.%fZ %l %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(kLogFlushInterval);
  static std::once_flag at_exit;
  std::call_once(at_exit, [] { std::atexit(FlushLogs); });
  g_ready.store(true);
}

void LogEvent(LogLevel level, std::string_view msg, const std::vector<LogField>& fields) {
  if (!g_ready.load(std::memory_order_acquire)) {
    // A command that forgot InitLogging: its lines still go to stderr, never into
    // stdout, where `post` prints its results (a post progress line landed there).
    static std::once_flag fallback;
    std::call_once(fallback, [] {
      if (!g_ready.load()) InitLogging(LogFormat::kText);
    });
  }
  std::string line;
  line.reserve(160);
  if (g_json.load(std::memory_order_relaxed)) {
    line += "\"msg\":\"";
    AppendJsonEscaped(msg, &line);
    line += '"';
    for (const auto& f : fields) {
      line += ",\"";
      AppendJsonEscaped(f.key, &line);
      line += "\":";
      if (f.is_number) {
        line += f.value;
      } else {
        line += '"';
        AppendJsonEscaped(f.value, &line);
        line += '"';
      }
    }
  } else {
    line += msg;
    for (const auto& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      if (!f.is_number && NeedsQuoting(f.value)) {
        line += '"';
        AppendJsonEscaped(f.value, &line);
        line += '"';
      } else {
        line += f.value;
      }
    }
  }
  spdlog::default_logger_raw()->log(ToSpd(level), "{}", line);
}

}  // namespace accrue::app
