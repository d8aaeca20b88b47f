#include "app/logging.h"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>

namespace accrue::app {
namespace {

std::atomic<bool> g_json{false};

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
  auto sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  auto logger = std::make_shared<spdlog::logger>("accrue", sink);
  const bool json = format == LogFormat::kJson;
  g_json.store(json);
  logger->set_pattern(json ? R"({"ts":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l",%v})"
                           : "%Y-%m-%dT%H:%M:%S.%fZ %l %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(spdlog::level::info);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

void LogEvent(LogLevel level, std::string_view msg, const std::vector<LogField>& fields) {
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
