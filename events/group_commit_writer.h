// GroupCommitWriter: the single writer thread of the RocksDB event log.
//
// Callers Submit() requests into a bounded queue (kAppendQueueCapacity requests,
// kAppendQueueMaxEvents events); a full queue completes the future at once with
// kFailed / kUnavailable (backpressure; retry is safe). The writer thread takes
// everything queued (up to kMaxGroupCommitRequests / kMaxGroupCommitEvents),
// plans each request with the shared AppendPlanner against the DB plus an
// overlay of what earlier requests of the same group wrote, asserts every
// envelope before it goes into the WriteBatch, writes ONE WriteBatch with
// sync = true, and only then completes the futures and wakes subscribers.
//
// If the write fails (disk full, fsync error) every request of the group gets
// kFailed with the mapped status; nothing of the group is visible. Before the
// next group the writer calls DB::Resume(), flushes every column family (so the
// WAL that may hold the failed bytes is retired) and reloads its head; until
// that succeeds each group fails with the same retryable status. Disk full
// (NoSpace) recovers in-process once space returns. A failed WAL write or fsync
// (EIO) is fatal to RocksDB 7.8 (Resume() refuses): every later group fails with
// kIoError "restart accrue" until the log is reopened, which replays the WAL.
//
// Thread-safety: Submit may be called from any thread. Stop() drains the queue
// (later Submits fail with kUnavailable "shutting down") and joins the thread.
#ifndef ACCRUE_EVENTS_GROUP_COMMIT_WRITER_H_
#define ACCRUE_EVENTS_GROUP_COMMIT_WRITER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "events/append_planner.h"
#include "events/event_store.h"
#include "events/rocks_log.h"
#include "events/store_stats.h"
#include "events/tail_subscription.h"

namespace accrue::events {

class GroupCommitWriter {
 public:
  // `log` must outlive the writer. Loads the head (last position and hash).
  static Result<std::unique_ptr<GroupCommitWriter>> Start(RocksLog* log, Clock clock,
                                                          std::size_t queue_capacity,
                                                          std::shared_ptr<PositionNotifier> notifier);
  ~GroupCommitWriter();

  std::future<AppendResult> Submit(AppendRequest request);
  void Stop();

  // The last durable position.
  uint64_t LastPosition() const { return durable_position_.load(); }
  // Queue depth now and append-path counters (no lock taken).
  StoreStats Stats() const { return stats_.Snapshot(); }

 private:
  struct Pending {
    AppendRequest request;
    std::promise<AppendResult> promise;
    std::size_t events = 0;
    std::chrono::steady_clock::time_point submitted;  // for the latency histogram
  };

  GroupCommitWriter(RocksLog* log, Clock clock, std::size_t queue_capacity,
                    std::shared_ptr<PositionNotifier> notifier, LogHead head);
  void Run();
  // Takes the next group from the queue; false when stopping and drained.
  bool TakeGroup(std::vector<Pending>* group);
  void CommitGroup(std::vector<Pending>& group);
  // After a failed write: clears RocksDB's error and retires the WAL.
  Status Recover();
  // Completes one waiter and records its latency.
  void Complete(Pending& pending, AppendResult result);

  RocksLog* log_;
  Clock clock_;
  std::size_t queue_capacity_;
  std::shared_ptr<PositionNotifier> notifier_;
  LogHead head_;  // writer thread only
  bool needs_recovery_ = false;  // writer thread only
  std::atomic<uint64_t> durable_position_;
  StoreStatsRecorder stats_;

  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  std::size_t queued_events_ = 0;
  bool stopping_ = false;
  std::thread thread_;
};

// Reads the last position and its hash from the events column family.
Result<LogHead> LoadHead(RocksLog& log);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_GROUP_COMMIT_WRITER_H_
