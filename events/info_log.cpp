#include "events/info_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <utility>

namespace accrue::events {

InfoLog::InfoLog(std::string dir) : rocksdb::Logger(rocksdb::InfoLogLevel::INFO_LEVEL), path_(std::move(dir) + "/LOG") {
  std::lock_guard<std::mutex> lock(mu_);
  OpenLocked();
}

InfoLog::~InfoLog() {
  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void InfoLog::OpenLocked() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  size_ = 0;
  struct stat st {};
  if (fd_ >= 0 && ::fstat(fd_, &st) == 0) size_ = static_cast<std::size_t>(st.st_size);
}

void InfoLog::Logv(const char* format, va_list ap) { WriteLine(nullptr, format, ap); }

void InfoLog::Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) {
  if (level < GetInfoLogLevel()) return;
  static const char* const kNames[] = {"DEBUG", "INFO", "WARN", "ERROR", "FATAL", "HEADER"};
  const auto index = static_cast<std::size_t>(level);
  WriteLine(index < sizeof kNames / sizeof kNames[0] ? kNames[index] : "?", format, ap);
}

void InfoLog::WriteLine(const char* level, const char* format, va_list ap) {
  char line[kMaxInfoLogLineBytes];
  struct timespec now {};
  ::clock_gettime(CLOCK_REALTIME, &now);
  struct tm t {};
  ::gmtime_r(&now.tv_sec, &t);
  int n = std::snprintf(line, sizeof line, "%04d/%02d/%02d-%02d:%02d:%02d.%06ldZ %s%s%s", t.tm_year + 1900,
                        t.tm_mon + 1, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec, now.tv_nsec / 1000,
                        level ? "[" : "", level ? level : "", level ? "] " : "");
  if (n < 0) n = 0;
  std::size_t used = static_cast<std::size_t>(n);
  if (used < sizeof line) {
    va_list copy;
    va_copy(copy, ap);
    const int m = std::vsnprintf(line + used, sizeof line - used, format, copy);
    va_end(copy);
    if (m > 0) used += static_cast<std::size_t>(m);
  }
  if (used > sizeof line - 2) used = sizeof line - 2;  // cut: keep room for the newline
  if (used == 0 || line[used - 1] != '\n') line[used++] = '\n';

  std::lock_guard<std::mutex> lock(mu_);
  if (fd_ < 0 || size_ + used > kMaxInfoLogBytes) {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
      (void)std::rename(path_.c_str(), (path_ + ".old").c_str());
    }
    OpenLocked();  // also retries a file that could not be opened before
  }
  if (fd_ < 0) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const ssize_t written = ::write(fd_, line, used);
  if (written == static_cast<ssize_t>(used)) {
    size_ += used;
  } else {
    // Disk full or an I/O error: the line is lost, the logger stays usable, and
    // the next line tries again. (A partial line may remain in the file.)
    dropped_.fetch_add(1, std::memory_order_relaxed);
    if (written > 0) size_ += static_cast<std::size_t>(written);
  }
}

std::shared_ptr<rocksdb::Logger> MakeInfoLog(const std::string& dir) { return std::make_shared<InfoLog>(dir); }

}  // namespace accrue::events
