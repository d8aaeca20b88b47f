// RocksDB's own diagnostic log (the `LOG` file in the log directory), written by
// accrue instead of RocksDB's default logger.
//
// Why: RocksDB 7.8 as Debian builds it keeps its assertions on, and its default
// logger asserts when it writes again after a failed write. On a full disk the
// first thing RocksDB does after a failed append is log the error, so `post`
// and `serve` aborted (SIGABRT) instead of answering `unavailable` (found by
// fault injection on a 6 MiB tmpfs, 2026-12-06). This logger never fails: a
// line it cannot write is dropped and counted, and it writes again once space
// returns.
//
// Bounded: past kMaxInfoLogBytes the file moves to `LOG.old` (replacing the
// previous one) and a new `LOG` starts, so at most twice that is kept.
//
// Thread-safety: Logv may be called from any thread (RocksDB's writers, flush
// and compaction threads); lines are written whole under a mutex.
#ifndef ACCRUE_EVENTS_INFO_LOG_H_
#define ACCRUE_EVENTS_INFO_LOG_H_

#include <rocksdb/env.h>

#include <atomic>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

namespace accrue::events {

inline constexpr std::size_t kMaxInfoLogBytes = std::size_t{32} << 20;
inline constexpr std::size_t kMaxInfoLogLineBytes = 4096;  // longer lines are cut

class InfoLog final : public rocksdb::Logger {
 public:
  // Appends to DIR/LOG (created if missing). Never fails: without a file every
  // line is dropped.
  explicit InfoLog(std::string dir);
  ~InfoLog() override;

  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override;
  void Logv(const rocksdb::InfoLogLevel level, const char* format, va_list ap) override;

  uint64_t dropped_lines() const { return dropped_.load(std::memory_order_relaxed); }

 private:
  void WriteLine(const char* level, const char* format, va_list ap);
  void OpenLocked();  // (re)opens path_ for appending; fd_ = -1 on failure

  const std::string path_;
  std::mutex mu_;
  int fd_ = -1;
  std::size_t size_ = 0;
  std::atomic<uint64_t> dropped_{0};
};

// The logger for a read-write open of the log in `dir`.
std::shared_ptr<rocksdb::Logger> MakeInfoLog(const std::string& dir);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_INFO_LOG_H_
