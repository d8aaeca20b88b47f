// FaultInjectionFs: a rocksdb::FileSystem that forwards to the default one and
// fails writes on demand, so tests can prove what the event log does when the
// disk is full or an fsync fails (docs/event-log-format.md, "Failure modes").
// Test support only; RocksStoreOptions::env is the hook it plugs into.
//
// Faults (each off until switched on, all cleared by Clear()):
//  - wal_append: Append/PositionedAppend to a WAL file (*.log) fails. With
//    `torn`, the first half of the bytes reaches the file before the error, as a
//    real ENOSPC in the middle of a write leaves a torn record behind.
//  - wal_sync: the bytes reach the WAL but Sync/Fsync/RangeSync of it fails (an
//    fsync error: the kernel may or may not have them on disk).
//  - other_writes: Append/PositionedAppend/Sync to every other file RocksDB
//    writes (SST, MANIFEST, OPTIONS), as on a really full disk where the
//    recovery flush cannot write its table either. RocksDB's info LOG is never
//    failed (it is not data).
// A kind of kNoSpace yields IOStatus::NoSpace marked retryable (what RocksDB's
// POSIX layer returns for ENOSPC); kIoError yields a plain IOStatus::IOError
// (EIO). While any kNoSpace fault is on, GetFreeSpace reports 0 bytes, so
// RocksDB's own no-space auto-recovery sees the same full disk.
//
// Thread-safety: the switches are atomics; flip them from any thread while
// RocksDB's threads write.
#ifndef ACCRUE_EVENTS_FAULT_INJECTION_FS_H_
#define ACCRUE_EVENTS_FAULT_INJECTION_FS_H_

#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

namespace accrue::events::testing {

enum class FaultKind : int { kNone = 0, kNoSpace, kIoError };

class FaultInjectionFs final : public rocksdb::FileSystemWrapper {
 public:
  FaultInjectionFs();

  static const char* kClassName() { return "AccrueFaultInjectionFs"; }
  const char* Name() const override { return kClassName(); }

  void FailWalAppends(FaultKind kind, bool torn) {
    torn_.store(torn);
    wal_append_.store(kind);
  }
  void FailWalSyncs(FaultKind kind) { wal_sync_.store(kind); }
  void FailOtherWrites(FaultKind kind) { other_writes_.store(kind); }
  // Disk full: every data write fails with NoSpace, WAL appends torn.
  void FillDisk() {
    FailWalAppends(FaultKind::kNoSpace, /*torn=*/true);
    FailOtherWrites(FaultKind::kNoSpace);
  }
  void Clear() {
    wal_append_.store(FaultKind::kNone);
    wal_sync_.store(FaultKind::kNone);
    other_writes_.store(FaultKind::kNone);
  }
  // How many operations failed on purpose so far (tests check > 0, so a fault
  // that never fired cannot pass for one that was survived).
  uint64_t injected() const { return injected_.load(); }

  // Used by the file wrappers: the error to return for this file and
  // operation, or OK. Counts injected faults.
  rocksdb::IOStatus Check(bool is_wal, bool is_sync);
  bool torn() const { return torn_.load(); }

  rocksdb::IOStatus NewWritableFile(const std::string& fname, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReopenWritableFile(const std::string& fname,
                                       const rocksdb::FileOptions& options,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus ReuseWritableFile(const std::string& fname, const std::string& old_fname,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* result,
                                      rocksdb::IODebugContext* dbg) override;
  rocksdb::IOStatus GetFreeSpace(const std::string& path, const rocksdb::IOOptions& options,
                                 uint64_t* free_space, rocksdb::IODebugContext* dbg) override;

 private:
  rocksdb::IOStatus Wrap(const std::string& fname, rocksdb::IOStatus opened,
                         std::unique_ptr<rocksdb::FSWritableFile>* result);

  std::atomic<FaultKind> wal_append_{FaultKind::kNone};
  std::atomic<FaultKind> wal_sync_{FaultKind::kNone};
  std::atomic<FaultKind> other_writes_{FaultKind::kNone};
  std::atomic<bool> torn_{false};
  std::atomic<uint64_t> injected_{0};
};

// A FaultInjectionFs and the rocksdb::Env built on it (pass env.get() as
// RocksStoreOptions::env). The Env must outlive every store opened with it.
struct FaultInjectionEnv {
  std::shared_ptr<FaultInjectionFs> fs;
  std::unique_ptr<rocksdb::Env> env;
};
FaultInjectionEnv NewFaultInjectionEnv();

}  // namespace accrue::events::testing

#endif  // ACCRUE_EVENTS_FAULT_INJECTION_FS_H_
