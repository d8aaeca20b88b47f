// BackupLog: a consistent copy of the event log, taken with a RocksDB
// Checkpoint (SST files hard-linked where the backup dir is on the same file
// system, copied otherwise; the WAL is flushed first, so the copy needs no WAL
// replay). The copy is a complete log: open it read-only, `accrue log verify
// --data BACKUP`, or start a writer on it to restore (docs/runbooks/
// restore-from-backup.md).
//
// A checkpoint needs the writing RocksDB handle. BackupLog opens the log
// read-write itself, so it works only while no other process holds the log;
// when one does (`serve`, `post`) it returns kFailedPrecondition saying so.
// The backup dir must not exist yet (kInvalidArgument otherwise).
//
// Thread-safety: one call at a time per log (it takes the log's lock).
#ifndef ACCRUE_EVENTS_LOG_BACKUP_H_
#define ACCRUE_EVENTS_LOG_BACKUP_H_

#include <cstdint>
#include <string>

#include "events/status.h"

namespace accrue::events {

struct BackupInfo {
  uint64_t last_position = 0;  // the copy's head
};

// Copies the log in `dir` to the new dir `backup_dir`. Errors: kNotFound (no log
// in dir), kFailedPrecondition (held by another process), kInvalidArgument
// (backup_dir exists), kIoError / kUnavailable (disk).
Result<BackupInfo> BackupLog(const std::string& dir, const std::string& backup_dir);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_LOG_BACKUP_H_
