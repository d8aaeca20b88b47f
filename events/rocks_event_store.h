// The RocksDB event log: the durable EventStore (docs/event-log-format.md).
//
// Layout: one RocksDB database per data dir with the column families of
// events/keys.h. Appends go through ONE writer thread (GroupCommitWriter) that
// drains a bounded queue, checks each request against the DB plus what earlier
// requests of the same group wrote, writes one WriteBatch with sync = true and
// completes every waiter after the fsync. Reads go straight to RocksDB.
//
// Open modes:
//  - kReadWrite: the one writing process (RocksDB locks the dir). Creates the
//    dir if missing; refuses a log whose format version is newer than ours.
//  - kReadOnly: a plain read-only open of a log nobody holds (a backup copy).
//  - kSecondary: a RocksDB secondary instance, for tools while `serve` holds the
//    log; it catches up with the primary at most every secondary_poll_interval.
//  - kAutoReadOnly: kSecondary when another process holds the LOCK, else kReadOnly.
// Read-only modes refuse appends and snapshots with kFailedPrecondition.
//
// Errors: OpenRocksEventStore returns kNotFound (no log there and not creating),
// kFailedPrecondition (newer format, held by another writer), kCorruption,
// kIoError. Appends that hit the disk fail with kFailed: status kUnavailable for
// disk full (retryable in this process once space returns), kIoError for a
// failed write or fsync (the store then refuses appends until it is reopened:
// restart the process). Nothing of a failed append is visible; after a reopen
// the failed group is whole or absent, never partial, so retrying with the same
// idempotency key is always safe (tests/event_log_fault_test.cpp).
//
// Thread-safety: every method may be called from any thread concurrently.
#ifndef ACCRUE_EVENTS_ROCKS_EVENT_STORE_H_
#define ACCRUE_EVENTS_ROCKS_EVENT_STORE_H_

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "events/event_store.h"
#include "events/status.h"

namespace rocksdb {
class Env;
}

namespace accrue::events {

// Bounded append queue: requests waiting for the writer, and events in them.
inline constexpr std::size_t kAppendQueueCapacity = 4096;
inline constexpr std::size_t kAppendQueueMaxEvents = 262'144;
// One group commit takes at most this many requests / events from the queue.
inline constexpr std::size_t kMaxGroupCommitRequests = 4096;
inline constexpr std::size_t kMaxGroupCommitEvents = 65'536;
// Sealed groups waiting for the committer (besides the one being written): the
// depth of the writer's pipeline (group_commit_writer.h).
inline constexpr std::size_t kMaxSealedGroups = 1;
// While a group is being written, the sealer seals the next one ahead when this
// many events are queued (sealing them costs about as much CPU as a sync waits)
// and they are at least as many as the group being written has (a smaller group
// sealed ahead would split the waiting appenders into small syncs), or when more
// than kGatherMaxRequests requests are queued or being written (a heavy stream,
// where the sealer's CPU is the bottleneck); otherwise requests wait for the
// committer and gather (group_commit_writer.h).
inline constexpr std::size_t kSealAheadMinEvents = 64;
inline constexpr std::size_t kGatherMaxRequests = 64;
// How long the sealer waits, after a group completed, for that group's callers to
// come back with their next append before it takes a smaller group.
inline constexpr std::chrono::microseconds kGatherWindow{200};
// How often a secondary catches up with the primary (at most).
inline constexpr std::chrono::milliseconds kSecondaryPollInterval{200};

enum class OpenMode { kReadWrite, kReadOnly, kSecondary, kAutoReadOnly };

struct RocksStoreOptions {
  OpenMode mode = OpenMode::kReadWrite;
  bool create_if_missing = true;                 // kReadWrite only
  Clock clock;                                   // empty = SystemClock()
  std::size_t queue_capacity = kAppendQueueCapacity;
  std::chrono::milliseconds secondary_poll_interval = kSecondaryPollInterval;
  rocksdb::Env* env = nullptr;                   // tests inject faults; nullptr = default
};

// Opens (or creates) the log in `dir`. See the header comment for errors.
Result<std::unique_ptr<EventStore>> OpenRocksEventStore(const std::string& dir,
                                                        const RocksStoreOptions& options);

// True when another process holds the RocksDB LOCK of `dir` (a writer is running).
bool LogHeldByAnotherProcess(const std::string& dir);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_ROCKS_EVENT_STORE_H_
