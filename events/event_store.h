// EventStore: the append-only event log, the only source of truth of accrue.
//
// The store knows nothing of billing. It holds:
//  - events, each with a gapless global position (from 1) and a gapless version
//    within its stream (from 1), hash-chained (SHA-256) in position order;
//  - id claims: (claim key) -> owning stream, unique across streams (design.md
//    "Tenant-wide unique ids"); the writer checks and writes them atomically with
//    the events;
//  - idempotency records: key -> (command hash, result bytes, last position),
//    written in the same atomic batch as the events they produced;
//  - snapshots per stream (opaque bytes at a stream version).
//
// Naming (chosen by callers, documented in docs/event-log-format.md):
//  streams "<tenant>/account/<account_id>", "<tenant>/catalog";
//  claim keys "<tenant>/<kind>/<id>"; idempotency keys "<tenant>/<key>".
//
// Append is atomic: everything in an AppendRequest is written in one WriteBatch
// with sync = true, or nothing is. Append returns only after the fsync. Concurrent
// appends are group-committed by one writer thread.
//
// Thread-safety: every method may be called from any thread concurrently.
#ifndef ACCRUE_EVENTS_EVENT_STORE_H_
#define ACCRUE_EVENTS_EVENT_STORE_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include "events/future.h"
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "events/status.h"
#include "events/store_stats.h"

namespace accrue::events {

// Expected version meaning "the stream must not exist yet".
inline constexpr uint64_t kNoStream = 0;
// Expected version meaning "any version" (no optimistic check).
inline constexpr uint64_t kAnyVersion = UINT64_MAX;

struct NewEvent {
  std::string type;             // e.g. "InvoiceIssued"
  uint32_t schema_version = 1;  // of the payload message
  std::string payload;          // serialized protobuf of the event
};

struct StreamAppend {
  std::string stream;
  uint64_t expected_version = kAnyVersion;  // current last version, kNoStream, or kAnyVersion
  std::vector<NewEvent> events;
};

struct Claim {
  Claim() = default;
  Claim(std::string k, std::string s, std::string v = {})
      : key(std::move(k)), stream(std::move(s)), value(std::move(v)) {}

  std::string key;     // "<tenant>/<kind>/<id>"
  std::string stream;  // owning stream
  // Optional bytes stored with the claim (empty = none), at most
  // kMaxClaimValueBytes; written once with the claim and never changed. A
  // re-claim by the owner keeps the first value. accrue stores the D-47 usage
  // fingerprint here (docs/event-log-format.md).
  std::string value;
};

inline constexpr std::size_t kMaxClaimValueBytes = 4096;

struct IdempotencyRecord {
  std::string key;           // "<tenant>/<idempotency_key>"
  std::string command_hash;  // SHA-256 of the canonical command (32 bytes)
  std::string result;        // the result bytes to replay (JSON)
};

struct AppendRequest {
  std::vector<StreamAppend> streams;              // may be empty (a remembered rejection)
  std::vector<Claim> claims;                      // all-or-nothing with the events
  std::optional<IdempotencyRecord> idempotency;   // stored with the events
  std::string correlation_id;
  std::string causation_id;
};

enum class AppendOutcome {
  kAppended,     // durable; last_position set (0 when nothing but a record was written)
  kReplayed,     // the key exists with the same command hash; stored_result set
  kKeyReused,    // the key exists with another command hash; stored_result set
  kConflict,     // a stream's expected version did not match; nothing written
  kClaimTaken,   // a claim key is owned by another stream; nothing written; detail = key
  kFailed,       // status says why (kUnavailable: queue full / shutting down / disk full; kIoError)
};

struct AppendResult {
  AppendOutcome outcome = AppendOutcome::kFailed;
  uint64_t last_position = 0;
  std::string stored_result;  // kReplayed / kKeyReused
  std::string detail;
  Status status;              // ok unless kFailed
};

struct RecordedEvent {
  uint64_t position = 0;
  std::string stream;
  uint64_t version = 0;
  std::string type;
  uint32_t schema_version = 1;
  int64_t recorded_at_us = 0;  // from the injected clock
  std::string idempotency_key;
  std::string correlation_id;
  std::string causation_id;
  std::string payload;
  std::string prev_hash;  // 32 bytes
  std::string hash;       // 32 bytes
};

struct IdempotencyLookup {
  std::string command_hash;
  std::string result;
  uint64_t last_position = 0;
};

struct Snapshot {
  uint64_t version = 0;  // stream version the snapshot includes
  std::string bytes;
};

// The stored (sealed) envelope bytes of consecutive events, all in one buffer
// that is reused from page to page (ReadStoredPage clears it first): how
// VerifyLog reads the whole log without an allocation per event. (Views into
// blocks a RocksDB iterator pins, instead of the copy, measured no faster.)
struct StoredPage {
  struct Entry {
    uint64_t position = 0;  // as the store's key says (the envelope may disagree)
    std::size_t offset = 0;
    std::size_t size = 0;
  };
  std::string bytes;
  std::vector<Entry> entries;

  std::string_view At(std::size_t i) const {
    return std::string_view(bytes).substr(entries[i].offset, entries[i].size);
  }
  void Clear() {
    bytes.clear();
    entries.clear();
  }
};

// A clock for recorded_at; injected so tests are deterministic.
using Clock = std::function<int64_t()>;  // microseconds since the Unix epoch
Clock SystemClock();

class EventStore {
 public:
  virtual ~EventStore() = default;

  // Blocks until durable (or refused). See AppendOutcome.
  virtual AppendResult Append(AppendRequest request) = 0;
  // Same, without blocking the caller; the future completes after the fsync.
  virtual Future<AppendResult> AppendAsync(AppendRequest request) = 0;

  // Events of `stream` with version >= from_version, at most max_count, in order.
  virtual Result<std::vector<RecordedEvent>> ReadStream(const std::string& stream,
                                                        uint64_t from_version,
                                                        std::size_t max_count) = 0;
  // Events with position >= from_position, at most max_count, in order.
  virtual Result<std::vector<RecordedEvent>> ReadAll(uint64_t from_position,
                                                     std::size_t max_count) = 0;
  // Clears *page and fills it with the stored envelope bytes of the events with
  // position >= from_position, at most max_count, in order, undecoded (the reader
  // decodes and checks them: envelope_codec.h's DecodeStoredView). On an error
  // *page holds the entries before it; a malformed key is a Corruption error.
  // The default seals what ReadAll returns again (for a store that keeps decoded
  // events, like the memory store: the bytes are those a RocksDB log would hold).
  virtual Status ReadStoredPage(uint64_t from_position, std::size_t max_count, StoredPage* page);
  // The on-disk format version of a stored log (events/keys.h, docs/event-log-
  // format.md); 0 for a store with no on-disk format (the memory store).
  virtual uint32_t FormatVersion() const { return 0; }
  // The last version of a stream; kNoStream (0) when it does not exist.
  virtual Result<uint64_t> StreamVersion(const std::string& stream) = 0;
  // The last assigned position (0 for an empty log).
  virtual uint64_t LastPosition() = 0;

  // The stream owning a claim key, or nullopt.
  virtual Result<std::optional<std::string>> ClaimOwner(const std::string& key) = 0;
  // The claim under `key` (owner and value), or nullopt.
  virtual Result<std::optional<Claim>> LookupClaim(const std::string& key) = 0;
  // All claims whose key starts with prefix, in key order: (key, stream, value).
  virtual Result<std::vector<Claim>> ListClaims(const std::string& prefix) = 0;

  virtual Result<std::optional<IdempotencyLookup>> LookupIdempotency(const std::string& key) = 0;

  virtual Status SaveSnapshot(const std::string& stream, const Snapshot& snapshot) = 0;
  virtual Result<std::optional<Snapshot>> LoadSnapshot(const std::string& stream) = 0;

  // Calls `fn(stream, version, position)` for every stream index entry in
  // (stream, version) order until fn returns false; for verify tools (bounded
  // memory: one entry at a time). Added for issue 3's VerifyLog.
  virtual Status ScanStreamIndex(
      const std::function<bool(const std::string& stream, uint64_t version, uint64_t position)>& fn) {
    (void)fn;
    return Status::FailedPrecondition("this store cannot scan its stream index");
  }

  // Call `fn` for every claim / every idempotency record (in key order in the
  // RocksDB store, in any order in memory) until fn returns false; for verify tools (bounded memory: one at a
  // time). A malformed record is kCorruption naming its key.
  virtual Status ScanClaims(const std::function<bool(const Claim& claim)>& fn) {
    (void)fn;
    return Status::FailedPrecondition("this store cannot scan its claims");
  }
  virtual Status ScanIdempotency(
      const std::function<bool(const std::string& key, const IdempotencyLookup& record)>& fn) {
    (void)fn;
    return Status::FailedPrecondition("this store cannot scan its idempotency records");
  }

  // Counters of the append path now (queue depth, totals, batch-size and
  // append-latency histograms; events/store_stats.h), for /metrics. Cheap: no
  // lock on the append path. A store that keeps none returns available = false.
  virtual StoreStats Stats() const { return StoreStats{}; }

  // Ok while this store can take appends, now or after a passing failure (disk
  // full recovers in place); an error once appends cannot succeed again until the
  // log is reopened (RocksDB stopped after a failed WAL write or fsync). For
  // /healthz and /readyz: an orchestrator restarts what reports an error.
  virtual Status WriteHealth() const { return Status::Ok(); }

  // Calls `on_event` for every event with position > after_position, in order,
  // now and as they are appended, until the returned handle is destroyed. The
  // writer wakes subscribers; no busy polling. Callbacks run on one thread per
  // subscription and must not block for long.
  class Subscription {
   public:
    virtual ~Subscription() = default;
  };
  virtual std::unique_ptr<Subscription> Subscribe(
      uint64_t after_position, std::function<void(const RecordedEvent&)> on_event) = 0;
};

// An in-memory store with the same semantics (minus durability), for fast
// property tests and for the command service's unit tests.
std::unique_ptr<EventStore> NewMemoryEventStore(Clock clock);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_EVENT_STORE_H_
