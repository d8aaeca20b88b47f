// RocksLog: an open RocksDB database with the event log's column families
// (events/keys.h), in one of the open modes of rocks_event_store.h. Internal to
// events/; the EventStore and VerifyLog are the public faces.
//
// Owns the DB and its column family handles; closing a read-write log first
// flushes every column family's memtable to SST files (so the WAL is retired and
// the next read-only or secondary open does not replay it), then destroys the
// handles, then the DB, then a secondary's scratch dir.
//
// WAL bound: RocksDB replays every live WAL into memtables on each open, and a
// read-only open cannot flush, so a log whose writer never flushed made every
// `accrue log stat` / `inspect` replay the whole log (seconds for ~60 MB).
// Besides the flush on close, memtables are kWriteBufferBytes per column family
// and the live WAL is kept under about kMaxTotalWalBytes (RocksDB then flushes
// the column families holding the oldest WAL), which bounds the replay after a
// crash. Appends still write the WAL with sync = true; flushes run on
// background threads.
//
// Thread-safety: RocksDB's (reads and writes may be concurrent).
#ifndef ACCRUE_EVENTS_ROCKS_LOG_H_
#define ACCRUE_EVENTS_ROCKS_LOG_H_

#include <rocksdb/db.h>
#include <rocksdb/options.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
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
  // The stored format version (keys.h); kFormatVersion for a new log. Decides
  // whether the writer may store stream index runs of more than one event.
  uint32_t format_version = 0;
  std::string secondary_dir;             // scratch dir of a secondary; removed on close
};

// Memtable size per column family (RocksDB write_buffer_size).
inline constexpr std::size_t kWriteBufferBytes = std::size_t{64} << 20;
// Bloom filters for point lookups that miss (BaseRocksOptions): memtable filter
// size as a fraction of kWriteBufferBytes, and bits per key in SST filters.
inline constexpr double kMemtableBloomRatio = 0.05;  // RocksDB option type (double); not money
inline constexpr int kBloomBitsPerKey = 10;
// Threads RocksDB uses to open table files at DB open (per column family; its
// default of 16 made every `accrue inspect` start ~110 threads on a 2-core box).
inline constexpr int kFileOpeningThreads = 1;
// Table files a read-only open keeps open (RocksDB max_open_files). Unlimited (-1,
// the read-write and secondary setting) makes DB open read the index and filter
// of every table file; with a limit RocksDB opens at most a quarter of it at DB
// open and the rest on first use, so a one-shot `inspect` reads the few files it
// touches: 43 -> 34 ms per `inspect` process on the 1M-event demo log (22 files,
// 30 runs each); `log verify` of the same log unchanged (0.59-0.64 s).
inline constexpr int kReadOnlyMaxOpenFiles = 32;
// Block size of the two column families read by whole-log scans (events,
// stream_index; RocksDB's default is 4 KiB): `log verify` and the projector
// walk them end to end, and a larger block halves the per-block work (index
// seek, checksum, decompression set-up) per event. Point reads of single
// events (inspect, an aggregate's tail) measured no slower as a process.
inline constexpr std::size_t kScanFamilyBlockBytes = std::size_t{16} << 10;
// Live WAL above this makes RocksDB flush the oldest memtables (max_total_wal_size).
inline constexpr uint64_t kMaxTotalWalBytes = uint64_t{128} << 20;

// The DB options every log uses.
rocksdb::Options BaseRocksOptions();

// The options of the two families written in key order, derived from `base`:
//  - no bloom filters (memtable and SST): they are read by position and by range,
//    never probed for absent keys, so a filter costs every insert and flush and
//    saves no read;
//  - a memtable insert hint per key prefix (memtable_insert_with_hint_prefix_
//    extractor): events are inserted in position order (one prefix, the empty
//    one) and a stream's index entries in version order (prefix = stream 0x00),
//    so each insert starts from the previous one instead of the skiplist's top.
// The raw baseline of `accrue bench append` uses EventsFamilyOptions.
rocksdb::Options EventsFamilyOptions(rocksdb::Options base);
rocksdb::Options StreamIndexFamilyOptions(rocksdb::Options base);

// Maps a RocksDB status to ours: NoSpace -> kUnavailable ("disk full"), IOError ->
// kIoError, Corruption -> kCorruption, NotFound -> kNotFound, Busy/TryAgain ->
// kUnavailable, anything else -> kInternal. `what` prefixes the message.
Status FromRocks(const rocksdb::Status& status, const std::string& what);

// Turns RocksDB's perf counters off on this thread for a scope. They are on by
// default (kEnableCount) and, from a shared library, each count is a
// thread-local lookup on every iterator step (~4% of `log verify`); nothing
// here reads them. The writer's threads turn them off for good.
class PerfCountersOff {
 public:
  PerfCountersOff();
  ~PerfCountersOff();
  PerfCountersOff(const PerfCountersOff&) = delete;
  PerfCountersOff& operator=(const PerfCountersOff&) = delete;

 private:
  int saved_;
};

// Point reads of one key, decoded (keys.h grammar); a malformed value is
// kCorruption naming the key, a RocksDB error is mapped by FromRocks. Shared by
// the store's reads and the writer's planning (group_state.h).
// The last version of `stream`; 0 when it has no head.
Result<uint64_t> GetStreamHead(RocksLog& log, const std::string& stream);
// The claim under `key` (claim.key set), or nullopt.
Result<std::optional<Claim>> GetClaim(RocksLog& log, const std::string& key);
// The stream owning the claim under `key`, or nullopt.
Result<std::optional<std::string>> GetClaimOwner(RocksLog& log, const std::string& key);
// The idempotency record under `key`, or nullopt.
Result<std::optional<IdempotencyLookup>> GetIdempotency(RocksLog& log, const std::string& key);

// Opens the log in `dir`; checks or (for a new read-write log) writes the format
// version. Errors as in OpenRocksEventStore.
Result<std::unique_ptr<RocksLog>> OpenRocksLog(const std::string& dir,
                                               const RocksStoreOptions& options);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_ROCKS_LOG_H_
