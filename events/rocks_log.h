// RocksLog: an open RocksDB database with the event log's column families
// (events/keys.h), in one of the open modes of rocks_event_store.h. Internal to
// events/; the EventStore and VerifyLog are the public faces.
//
// Owns the DB and its column family handles; closing destroys the handles
// first, then the DB, then a secondary's scratch dir.
//
// Thread-safety: RocksDB's (reads and writes may be concurrent).
#ifndef ACCRUE_EVENTS_ROCKS_LOG_H_
#define ACCRUE_EVENTS_ROCKS_LOG_H_

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <memory>
#include <string>
#include <vector>

#include "events/rocks_event_store.h"
#include "events/status.h"

namespace accrue::events {

struct RocksLog {
  ~RocksLog();

  std::unique_ptr<rocksdb::DB> db;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;  // owned
  rocksdb::ColumnFamilyHandle* meta = nullptr;        // "default"
  rocksdb::ColumnFamilyHandle* events = nullptr;
  rocksdb::ColumnFamilyHandle* stream_index = nullptr;
  rocksdb::ColumnFamilyHandle* stream_heads = nullptr;
  rocksdb::ColumnFamilyHandle* claims = nullptr;
  rocksdb::ColumnFamilyHandle* idempotency = nullptr;
  rocksdb::ColumnFamilyHandle* snapshots = nullptr;
  OpenMode mode = OpenMode::kReadWrite;  // resolved (never kAutoReadOnly)
  std::string secondary_dir;             // scratch dir of a secondary; removed on close
};

// The DB options every log uses (and the raw baseline of `accrue bench append`).
rocksdb::Options BaseRocksOptions();

// Maps a RocksDB status to ours: NoSpace -> kUnavailable ("disk full"), IOError ->
// kIoError, Corruption -> kCorruption, NotFound -> kNotFound, Busy/TryAgain ->
// kUnavailable, anything else -> kInternal. `what` prefixes the message.
Status FromRocks(const rocksdb::Status& status, const std::string& what);

// Opens the log in `dir`; checks or (for a new read-write log) writes the format
// version. Errors as in OpenRocksEventStore.
Result<std::unique_ptr<RocksLog>> OpenRocksLog(const std::string& dir,
                                               const RocksStoreOptions& options);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_ROCKS_LOG_H_
