#include "events/fault_injection_fs.h"

#include <string_view>

namespace accrue::events::testing {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

bool IsWal(const std::string& fname) { return EndsWith(fname, ".log"); }

// RocksDB's info log is "LOG" (and rotated "LOG.old.<n>"): diagnostics, not data.
bool IsInfoLog(const std::string& fname) {
  std::string_view base(fname);
  if (auto slash = base.rfind('/'); slash != std::string_view::npos) base.remove_prefix(slash + 1);
  return base == "LOG" || base.rfind("LOG.old", 0) == 0;
}

class FaultyFile final : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> file, FaultInjectionFs* fs, bool is_wal)
      : rocksdb::FSWritableFileOwnerWrapper(std::move(file)), fs_(fs), is_wal_(is_wal) {}

  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           rocksdb::IODebugContext* dbg) override {
    if (auto s = FailAppend(data, options, dbg); !s.ok()) return s;
    return target()->Append(data, options, dbg);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                           const rocksdb::DataVerificationInfo& info,
                           rocksdb::IODebugContext* dbg) override {
    if (auto s = FailAppend(data, options, dbg); !s.ok()) return s;
    return target()->Append(data, options, info, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     rocksdb::IODebugContext* dbg) override {
    if (auto s = fs_->Check(is_wal_, /*is_sync=*/false); !s.ok()) return s;
    return target()->PositionedAppend(data, offset, options, dbg);
  }
  rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, uint64_t offset,
                                     const rocksdb::IOOptions& options,
                                     const rocksdb::DataVerificationInfo& info,
                                     rocksdb::IODebugContext* dbg) override {
    if (auto s = fs_->Check(is_wal_, /*is_sync=*/false); !s.ok()) return s;
    return target()->PositionedAppend(data, offset, options, info, dbg);
  }
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (auto s = fs_->Check(is_wal_, /*is_sync=*/true); !s.ok()) return s;
    return target()->Sync(options, dbg);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
    if (auto s = fs_->Check(is_wal_, /*is_sync=*/true); !s.ok()) return s;
    return target()->Fsync(options, dbg);
  }
  rocksdb::IOStatus RangeSync(uint64_t offset, uint64_t nbytes, const rocksdb::IOOptions& options,
                              rocksdb::IODebugContext* dbg) override {
    if (auto s = fs_->Check(is_wal_, /*is_sync=*/true); !s.ok()) return s;
    return target()->RangeSync(offset, nbytes, options, dbg);
  }

 private:
  // A failing WAL append may first write half its bytes (a torn record).
  rocksdb::IOStatus FailAppend(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                               rocksdb::IODebugContext* dbg) {
    rocksdb::IOStatus s = fs_->Check(is_wal_, /*is_sync=*/false);
    if (!s.ok() && is_wal_ && fs_->torn() && data.size() > 1) {
      (void)target()->Append(rocksdb::Slice(data.data(), data.size() / 2), options, dbg);
      (void)target()->Flush(options, dbg);
    }
    return s;
  }

  FaultInjectionFs* fs_;
  bool is_wal_;
};

}  // namespace

FaultInjectionFs::FaultInjectionFs() : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()) {}

rocksdb::IOStatus FaultInjectionFs::Check(bool is_wal, bool is_sync) {
  FaultKind kind = FaultKind::kNone;
  if (is_wal) {
    kind = is_sync ? wal_sync_.load() : wal_append_.load();
  } else {
    kind = other_writes_.load();
  }
  if (kind == FaultKind::kNone) return rocksdb::IOStatus::OK();
  injected_.fetch_add(1);
  if (kind == FaultKind::kNoSpace) {
    rocksdb::IOStatus s = rocksdb::IOStatus::NoSpace("injected: no space left on device");
    s.SetRetryable(true);
    return s;
  }
  return rocksdb::IOStatus::IOError(is_sync ? "injected: fsync failed (EIO)"
                                            : "injected: write failed (EIO)");
}

rocksdb::IOStatus FaultInjectionFs::Wrap(const std::string& fname, rocksdb::IOStatus opened,
                                         std::unique_ptr<rocksdb::FSWritableFile>* result) {
  if (opened.ok() && !IsInfoLog(fname)) {
    *result = std::make_unique<FaultyFile>(std::move(*result), this, IsWal(fname));
  }
  return opened;
}

rocksdb::IOStatus FaultInjectionFs::NewWritableFile(const std::string& fname,
                                                    const rocksdb::FileOptions& options,
                                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                                    rocksdb::IODebugContext* dbg) {
  return Wrap(fname, target()->NewWritableFile(fname, options, result, dbg), result);
}

rocksdb::IOStatus FaultInjectionFs::ReopenWritableFile(
    const std::string& fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  return Wrap(fname, target()->ReopenWritableFile(fname, options, result, dbg), result);
}

rocksdb::IOStatus FaultInjectionFs::ReuseWritableFile(
    const std::string& fname, const std::string& old_fname, const rocksdb::FileOptions& options,
    std::unique_ptr<rocksdb::FSWritableFile>* result, rocksdb::IODebugContext* dbg) {
  return Wrap(fname, target()->ReuseWritableFile(fname, old_fname, options, result, dbg), result);
}

rocksdb::IOStatus FaultInjectionFs::GetFreeSpace(const std::string& path,
                                                 const rocksdb::IOOptions& options,
                                                 uint64_t* free_space,
                                                 rocksdb::IODebugContext* dbg) {
  if (wal_append_.load() == FaultKind::kNoSpace || other_writes_.load() == FaultKind::kNoSpace) {
    *free_space = 0;
    return rocksdb::IOStatus::OK();
  }
  return target()->GetFreeSpace(path, options, free_space, dbg);
}

FaultInjectionEnv NewFaultInjectionEnv() {
  FaultInjectionEnv out;
  out.fs = std::make_shared<FaultInjectionFs>();
  out.env = rocksdb::NewCompositeEnv(out.fs);
  return out;
}

}  // namespace accrue::events::testing
