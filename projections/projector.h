// Projector: feeds the Postgres read models from the event log, exactly once.
//
// Loop: read the checkpoint; read up to `batch_events` events after it
// (EventStore::ReadAll); map them to rows (EventMapper, on `map_threads` threads
// by stream: ShardedMapper); write rows + the new
// checkpoint in one transaction (BatchWriter). A crash anywhere leaves either the
// whole batch or none of it, and the next run starts from the stored checkpoint:
// nothing is applied twice or skipped.
//
// Modes: kOnce catches up with the log's last position (as of each batch) and
// returns; kFollow keeps tailing (polling every follow_poll when caught up) until
// should_stop() says so. should_stop() in kOnce ends the run after the batch in
// flight with kUnavailable ("stopped before the head"), never Ok: a rebuild then
// does not switch to its partial schema, and `project --once` exits 2.
//
// Postgres unreachable (kUnavailable): the connection is dropped, the batch's
// cached states are discarded, and the projector reconnects after a capped,
// jittered exponential backoff, forever in kFollow and for at most
// once_unavailable_budget in kOnce. The engine is not involved: it keeps accepting.
// A bad or unknown event, a log read error, or data Postgres refuses (a violated
// constraint) stop the projector with that Status: retrying would fail the same way.
//
// Lag (events and seconds behind the log) is reported through on_progress after
// every batch and stored in projector_checkpoint (view projector_lag).
//
// Thread-safety: Run() on one thread; should_stop may be set from a signal handler
// through an atomic the callback reads.
#ifndef ACCRUE_PROJECTIONS_PROJECTOR_H_
#define ACCRUE_PROJECTIONS_PROJECTOR_H_

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "events/event_store.h"
#include "events/status.h"

namespace accrue::projections {

inline constexpr const char* kLiveSchema = "accrue";
inline constexpr std::size_t kDefaultBatchEvents = 20000;
inline constexpr std::size_t kMaxBatchEvents = 100000;
// Threads that map a batch to rows (projections/sharded_mapper.h). One: on the
// 2-core machine the budgets are measured on, Postgres (the bottleneck) shares the
// cores, and a second map thread took CPU from its backend: `bench project` with
// 1 vs 2 threads, 4 interleaved pairs on the 1M-event demo log, ratio 0.252/0.203,
// 0.213/0.166, 0.216/0.192, 0.213/0.185 (2026-12-06). `bench project --threads 2`
// and ProjectorOptions::map_threads choose more where Postgres has its own cores.
inline constexpr std::size_t kDefaultMapThreads = 1;
inline constexpr std::chrono::milliseconds kFollowPollInterval{200};
inline constexpr std::chrono::milliseconds kBackoffInitial{100};
inline constexpr std::chrono::milliseconds kBackoffMax{5000};
inline constexpr std::chrono::seconds kOnceUnavailableBudget{600};

enum class ProjectMode { kOnce, kFollow };

struct ProjectorProgress {
  uint64_t position = 0;       // checkpoint after the batch
  uint64_t head_position = 0;  // the log's last position
  uint64_t lag_events = 0;     // head - position
  int64_t lag_us = 0;          // now - recorded_at of the last applied event, 0 when caught up
  uint64_t events_applied = 0; // this run
  uint64_t rows_written = 0;   // this run
  uint64_t batches = 0;        // this run
  uint64_t reconnects = 0;     // this run
  std::string last_error;      // the last passing error, if any
  // Where the time went (this run, microseconds): reading the log, mapping events
  // to rows, and waiting for Postgres to commit the batch in flight.
  int64_t read_us = 0;
  int64_t map_us = 0;
  int64_t wait_us = 0;
};

struct ProjectorOptions {
  std::string pg_url;
  std::string schema = kLiveSchema;
  std::size_t batch_events = kDefaultBatchEvents;
  std::size_t map_threads = kDefaultMapThreads;  // 1..kMaxMapShards
  std::chrono::milliseconds follow_poll = kFollowPollInterval;
  std::chrono::milliseconds backoff_initial = kBackoffInitial;
  std::chrono::milliseconds backoff_max = kBackoffMax;
  std::chrono::seconds once_unavailable_budget = kOnceUnavailableBudget;
  std::function<bool()> should_stop;                            // empty = never
  std::function<void(const ProjectorProgress&)> on_progress;   // after each batch
  std::function<void(const std::string&)> on_retry;            // a passing error, before sleeping
  std::function<int64_t()> now_us;                              // empty = system clock
};

struct Checkpoint;  // batch_writer.h

class Projector {
 public:
  Projector(events::EventStore* store, ProjectorOptions options);

  // Runs until caught up (kOnce) or stopped (kFollow). Ok, or the Status that
  // stopped it (see the header comment).
  Status Run(ProjectMode mode);

  const ProjectorProgress& progress() const { return progress_; }

 private:
  events::EventStore* store_;
  ProjectorOptions options_;
  ProjectorProgress progress_;
};

// Builds a fresh copy of the read models from position 1 in schema
// `accrue_rebuild` beside the live one (which keeps serving and may keep being
// fed), then switches readers atomically in one transaction: the live schema is
// renamed `accrue_old` (the previous `accrue_old` is dropped) and `accrue_rebuild`
// becomes `accrue`. The old schema stays until the next rebuild, so a switch can
// be undone by renaming back (docs/read-models.md). `progress` (optional) gets the
// build's progress: its checkpoint position, events, rows and batches.
Status Rebuild(events::EventStore* store, ProjectorOptions options,
               ProjectorProgress* progress = nullptr);

inline constexpr const char* kRebuildSchema = "accrue_rebuild";
inline constexpr const char* kOldSchema = "accrue_old";

}  // namespace accrue::projections

#endif  // ACCRUE_PROJECTIONS_PROJECTOR_H_
