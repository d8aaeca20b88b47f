// GroupCommitWriter: the writer of the RocksDB event log, a two-stage pipeline.
//
// Callers Submit() requests into a bounded queue (kAppendQueueCapacity requests,
// kAppendQueueMaxEvents events); a full queue completes the future at once with
// kFailed / kUnavailable (backpressure; retry is safe).
//
// Stage 1, the sealer thread, takes everything queued (up to
// kMaxGroupCommitRequests / kMaxGroupCommitEvents), plans each request with the
// shared AppendPlanner against the DB plus the effects of groups sealed but not
// yet written (group_state.h), assigns positions, seals the hash chain, asserts
// every envelope, and builds ONE WriteBatch. Stage 2, the committer thread,
// writes that batch with sync = true and only then completes the futures and
// wakes subscribers. While the committer waits for group N's fsync, the sealer
// prepares group N+1 (at most kMaxSealedGroups sealed groups wait), so the CPU
// work of sealing overlaps the disk. When a sealed group has nothing ahead of it
// and nothing queued behind it, the sealer writes it itself (no overlap to gain,
// one thread hand-off saved). Groups are written in seal order.
//
// Gathering: sealing ahead pays only when the next group is big (at least
// kSealAheadMinEvents queued and no fewer than the group being written has, or
// more than kGatherMaxRequests requests queued or being written: a heavy stream).
// A smaller group sealed ahead would shrink every later sync (4 appenders of 100
// events: 1.3 appends per sync instead of 2). Few small requests wait until the committer is free:
// callers that append one event at a time and wait for each (16 appenders, HTTP
// clients) would otherwise split into two half-size groups that alternate, each
// caller waiting for two syncs. Once the committer is free, the sealer also waits
// up to kGatherWindow after the last completion until as many requests arrived as
// that group completed (its callers coming back), so they share the next sync. A
// lone caller is never delayed: its own next append is the one awaited.
//
// If a write fails (disk full, fsync error) every request of that group, and of
// every group sealed after it (they were planned on top of it), gets kFailed
// with the mapped status; nothing of them is visible. Once the committer has
// drained, the sealer calls DB::Resume(), flushes every column family (so the
// WAL that may hold the failed bytes is retired) and reloads its head; until
// that succeeds each group fails with the same retryable status. Disk full
// (NoSpace) recovers in-process once space returns. A failed WAL write or fsync
// (EIO) is fatal to RocksDB 7.8 (Resume() refuses): every later group fails with
// kIoError "restart accrue" until the log is reopened, which replays the WAL.
//
// Caller runs: Append() (the synchronous call) with an idle writer seals and
// writes its request on the calling thread, holding the sealer's role meanwhile
// (the sealer thread waits); a lone appender then pays no thread hand-off.
//
// Thread-safety: Submit and Append may be called from any thread. Stop() drains the queue
// (later Submits fail with kUnavailable "shutting down") and joins both threads.
#ifndef ACCRUE_EVENTS_GROUP_COMMIT_WRITER_H_
#define ACCRUE_EVENTS_GROUP_COMMIT_WRITER_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include "events/future.h"
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "events/append_planner.h"
#include "events/group_state.h"
#include "events/event_store.h"
#include "events/rocks_log.h"
#include "events/store_stats.h"
#include "events/tail_subscription.h"

namespace accrue::events {

// What the sealer sees when it looks at the queue (under the queue's mutex), and
// its choice ("Gathering" above). Pure, so the policy is tested on its own.
struct QueueView {
  std::size_t queued_requests = 0;
  std::size_t queued_events = 0;
  std::size_t unwritten_groups = 0;    // handed to the committer, not completed
  std::size_t unwritten_requests = 0;  // in those groups
  std::size_t unwritten_events = 0;    // in those groups
  std::size_t returning = 0;           // requests of the last completed group
  std::size_t arrivals = 0;            // requests queued since it completed
  bool window_open = false;            // less than kGatherWindow since it completed
};
enum class TakeChoice {
  kTake,    // take the queue now
  kWait,    // wait for an arrival or for the committer to complete a group
  kGather,  // wait for an arrival, at most until the gather window closes
};
TakeChoice ChooseTake(const QueueView& view);

class GroupCommitWriter {
 public:
  // `log` must outlive the writer. Loads the head (last position and hash).
  static Result<std::unique_ptr<GroupCommitWriter>> Start(RocksLog* log, Clock clock,
                                                          std::size_t queue_capacity,
                                                          std::shared_ptr<PositionNotifier> notifier);
  ~GroupCommitWriter();

  Future<AppendResult> Submit(AppendRequest request);
  // Blocks until `request` is durable (or refused). When nothing is queued, being
  // sealed or being written, the calling thread seals and writes the request
  // itself (the caller runs the sealer's role): a lone synchronous appender saves
  // the two thread hand-offs of the queue. Otherwise as Submit(...).get().
  AppendResult Append(AppendRequest request);
  void Stop();

  // The last durable position.
  uint64_t LastPosition() const { return durable_position_.load(); }
  // Queue depth now and append-path counters (no lock taken).
  StoreStats Stats() const { return stats_.Snapshot(); }
  // Ok while appends succeed, or may succeed again in this process (a full disk
  // recovers in place). The error ("restart accrue"; usually kIoError) once
  // recovery after a failed write found that RocksDB cannot resume (a failed WAL
  // write or fsync): from then on every append fails until the log is reopened.
  // Any thread.
  Status Health() const;

 private:
  struct Pending {
    AppendRequest request;
    Promise<AppendResult> promise;
    std::size_t events = 0;
    std::chrono::steady_clock::time_point submitted;  // for the latency histogram
  };

  // A group sealed by stage 1, waiting for (or in) stage 2.
  struct SealedGroup {
    std::vector<Pending> group;
    std::vector<AppendResult> results;  // parallel to group
    std::size_t events = 0;             // the requests' events (as counted in the queue)
    rocksdb::WriteBatch batch;
    uint64_t sequence = 0;
    uint64_t first_position = 0;  // of the batch's events (0 when none)
    uint64_t last_position = 0;   // the head after this group
  };

  GroupCommitWriter(RocksLog* log, Clock clock, std::size_t queue_capacity,
                    std::shared_ptr<PositionNotifier> notifier, LogHead head);
  void RunSealer();
  void RunCommitter();
  // Makes a Pending for `request` (its future is taken by the caller).
  static Pending MakePending(AppendRequest request);
  // Under mutex_: why `pending` cannot be queued now (ok when it can).
  Status QueueRefusal(const Pending& pending) const;
  // Under mutex_: queues `pending`; true when the sealer should be woken.
  bool Enqueue(Pending pending);
  // Under mutex_: what ChooseTake decides on.
  QueueView View() const;
  // Takes the next group from the queue; false when stopping and drained.
  // Waits first while the group would be small and the committer is busy, and
  // after a completion for that group's callers to come back (kGatherWindow).
  bool TakeGroup(std::vector<Pending>* group);
  // Records that a group of `requests` is about to be completed (before its
  // callers are woken, so none of their next appends is missed).
  void NoteCompleting(std::size_t requests);
  // Completes every waiter of `sealed`: with its planned result, or with `failed`
  // when that is not ok (nothing of the group reached the DB).
  void CompleteGroup(SealedGroup& sealed, const Status& failed);
  // Stage 1: plans `group` into a batch and hands it to the committer.
  void SealGroup(std::vector<Pending>& group);
  // Stage 2: writes one sealed group (or fails it after an earlier failure).
  void CommitSealed(SealedGroup& sealed);
  // Sealer: after a failed write, waits for the committer to drain, then clears
  // RocksDB's error and retires the WAL; ok when appends may go on.
  Status RecoverAfterFailure();
  // `*fatal`: RocksDB refused to resume (a failed WAL write or fsync); every later
  // group fails until the log is reopened.
  Status Recover(bool* fatal);
  // Completes one waiter and records its latency.
  void Complete(Pending& pending, AppendResult result);

  RocksLog* log_;
  Clock clock_;
  mutable std::mutex health_mutex_;
  Status stopped_;  // under health_mutex_: set once, when recovery proved impossible
  std::size_t queue_capacity_;
  std::shared_ptr<PositionNotifier> notifier_;
  StoreStatsRecorder stats_;
  std::atomic<uint64_t> durable_position_;

  // Whoever holds the sealer's role (sealing_) only.
  LogHead head_;                        // the head after the last sealed group
  std::deque<GroupEffects> in_flight_;  // effects of sealed groups, oldest first
  uint64_t next_sequence_ = 1;

  // Submit queue.
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  std::size_t queued_events_ = 0;
  bool stopping_ = false;
  // Gathering (TakeGroup): groups handed to the committer and not yet completed;
  // how many requests the last completed group had, when it completed, and how
  // many requests were submitted since (its callers coming back, or others).
  // The sealer's role (head_, in_flight_, planning) is held by one thread at a
  // time: the sealer thread from TakeGroup to the end of SealGroup, or a caller
  // of Append running it inline.
  bool sealing_ = false;
  std::size_t unwritten_groups_ = 0;
  std::size_t unwritten_requests_ = 0;
  std::size_t unwritten_events_ = 0;
  std::size_t returning_ = 0;
  std::size_t arrivals_since_completion_ = 0;
  std::chrono::steady_clock::time_point completed_at_{};

  // Sealer -> committer handoff.
  std::mutex handoff_mutex_;
  std::condition_variable handoff_cv_;
  std::deque<SealedGroup> sealed_;
  bool committing_ = false;           // the committer holds a group
  bool sealer_done_ = false;
  Status failure_;                    // set by a failed write until recovery
  std::atomic<uint64_t> written_sequence_{0};  // last group whose Write returned OK

  std::thread committer_;
  std::thread sealer_;
};

// Reads the last position and its hash from the events column family.
Result<LogHead> LoadHead(RocksLog& log);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_GROUP_COMMIT_WRITER_H_
