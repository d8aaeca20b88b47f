// SnapshotWriter: takes snapshots of aggregates in the background (not a public
// interface; owned by the command service).
//
// The service asks for a snapshot after an append made a stream pass a multiple
// of ServiceOptions::snapshot_every_events (and when a load folded at least that
// many events after the last snapshot). The request only names the stream: the
// writer's thread loads the stream's DURABLE state from the log itself (latest
// snapshot + tail, engine/aggregate_loader.h), encodes it at the version it
// folded through, and saves it with EventStore::SaveSnapshot. So it never holds
// the service's lock, never sees speculative state of appends in flight, and
// stays off the caller's critical path. A failed save is counted and otherwise
// ignored (a snapshot is an optimisation; the next request tries again).
//
// Bounded: at most kMaxQueuedSnapshots distinct streams wait; further requests
// are dropped (counted in ServiceStats::snapshots_dropped). A stream already
// queued is not queued twice.
//
// Thread-safety: Request and Flush from any thread. The destructor finishes the
// queued requests first, so a short-lived process (`accrue post`) leaves its
// snapshots behind.
#ifndef ACCRUE_ENGINE_SNAPSHOT_WRITER_H_
#define ACCRUE_ENGINE_SNAPSHOT_WRITER_H_

#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_set>
#include <utility>

#include "engine/aggregate_loader.h"

namespace accrue::engine::internal {

inline constexpr std::size_t kMaxQueuedSnapshots = 1024;

enum class StreamKind { kAccount, kCatalog };

class SnapshotWriter {
 public:
  explicit SnapshotWriter(LoadContext ctx);
  ~SnapshotWriter();
  SnapshotWriter(const SnapshotWriter&) = delete;
  SnapshotWriter& operator=(const SnapshotWriter&) = delete;

  // Queues a snapshot of `stream`; never blocks on I/O.
  void Request(StreamKind kind, const std::string& stream);
  // Returns once every request queued before the call has been written (or failed).
  void Flush();

 private:
  void Loop();
  void Write(StreamKind kind, const std::string& stream);

  LoadContext ctx_;
  Counters load_counters_;  // loads done by the writer itself
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable idle_;
  std::deque<std::pair<StreamKind, std::string>> queue_;
  std::unordered_set<std::string> queued_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace accrue::engine::internal

#endif  // ACCRUE_ENGINE_SNAPSHOT_WRITER_H_
