// Loading an aggregate from the log: the latest snapshot, then the stream's tail
// (not a public interface; used by the aggregate cache, the durable reads and the
// snapshot writer).
//
// Load = StreamVersion(stream) (a stream that does not exist ends the load: no
// snapshot read, no iterator), LoadSnapshot(stream) decoded by
// engine/snapshot_codec.h, then, unless the snapshot covers the head,
// ReadStream(stream, snapshot.version + 1, ...) folded with evolve() in pages of
// kReadPageSize events. A snapshot that is unknown (schema version), does not
// decode, or breaks an invariant is ignored with a warning and the stream is
// folded from version 1: a snapshot is never trusted over the log. Everything read
// is durable (the store only shows written events).
//
// Thread-safety: the functions may run on any thread; LoadCounters are atomics.
#ifndef ACCRUE_ENGINE_AGGREGATE_LOADER_H_
#define ACCRUE_ENGINE_AGGREGATE_LOADER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "engine/service.h"
#include "engine/state.h"
#include "events/event_store.h"

namespace accrue::engine::internal {

inline constexpr std::size_t kReadPageSize = 4096;  // events per ReadStream call

// The service's counters (ServiceStats in service.h), shared by every thread.
struct Counters {
  std::atomic<uint64_t> snapshot_loads{0};
  std::atomic<uint64_t> snapshots_rejected{0};
  std::atomic<uint64_t> full_folds{0};
  std::atomic<uint64_t> events_folded{0};
  std::atomic<uint64_t> snapshots_written{0};
  std::atomic<uint64_t> snapshot_write_failures{0};
  std::atomic<uint64_t> snapshots_dropped{0};
  std::atomic<uint64_t> durable_refolds{0};
  ServiceStats Read() const;
};

// Where a loader reports what it did; `warn` gets one line per ignored snapshot.
struct LoadContext {
  events::EventStore* store = nullptr;
  Counters* counters = nullptr;
  std::function<void(std::string_view)> warn;
};

// What a load produced besides the state.
struct Loaded {
  uint64_t version = 0;          // the stream version folded through (0: no stream)
  uint64_t snapshot_version = 0;  // the snapshot used (0: none, full fold)
  uint64_t tail_events = 0;       // events folded after the snapshot
};

// Loads account stream `stream` into *state (a fresh AccountState).
Status LoadAccount(const LoadContext& ctx, const std::string& stream, AccountState* state, Loaded* loaded);
// Loads catalog stream `stream` into *catalog (a fresh CatalogState).
Status LoadCatalog(const LoadContext& ctx, const std::string& stream, CatalogState* catalog, Loaded* loaded);

}  // namespace accrue::engine::internal

#endif  // ACCRUE_ENGINE_AGGREGATE_LOADER_H_
