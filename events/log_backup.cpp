#include "events/log_backup.h"

#include <rocksdb/utilities/checkpoint.h>

#include <filesystem>
#include <memory>

#include "events/group_commit_writer.h"
#include "events/rocks_log.h"

namespace accrue::events {

Result<BackupInfo> BackupLog(const std::string& dir, const std::string& backup_dir) {
  std::error_code ec;
  if (std::filesystem::exists(backup_dir, ec)) {
    return Status::InvalidArgument("backup dir " + backup_dir + " already exists");
  }
  if (LogHeldByAnotherProcess(dir)) {
    return Status::FailedPrecondition(
        "event log " + dir + " is held by a running writer (serve/post); a RocksDB checkpoint "
        "needs the writer's own handle, so stop the writer (SIGTERM drains it) and run "
        "`accrue log backup` again");
  }
  RocksStoreOptions options;
  options.mode = OpenMode::kReadWrite;
  options.create_if_missing = false;
  auto log = OpenRocksLog(dir, options);
  if (!log.ok()) return log.status();
  rocksdb::Checkpoint* raw = nullptr;
  rocksdb::Status s = rocksdb::Checkpoint::Create(log.value()->db.get(), &raw);
  if (!s.ok()) return FromRocks(s, "creating a checkpoint");
  std::unique_ptr<rocksdb::Checkpoint> checkpoint(raw);
  // log_size_for_flush = 0: always flush, so the copy holds no WAL to replay.
  s = checkpoint->CreateCheckpoint(backup_dir, /*log_size_for_flush=*/0);
  if (!s.ok()) return FromRocks(s, "writing checkpoint " + backup_dir);
  auto head = LoadHead(*log.value());
  if (!head.ok()) return head.status();
  return BackupInfo{head.value().position};
}

}  // namespace accrue::events
