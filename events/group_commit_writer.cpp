#include "events/group_commit_writer.h"

#include <rocksdb/perf_level.h>

#include "events/assert.h"
#include "events/envelope_codec.h"
#include "events/keys.h"
#include "events/rocks_event_store.h"
#include "events/thread_name.h"

namespace accrue::events {
namespace {

AppendResult FailedResult(Status status) {
  AppendResult r;
  r.outcome = AppendOutcome::kFailed;
  r.status = std::move(status);
  return r;
}

std::size_t CountEvents(const AppendRequest& request) {
  std::size_t n = 0;
  for (const StreamAppend& part : request.streams) n += part.events.size();
  return n;
}

}  // namespace

TakeChoice ChooseTake(const QueueView& v) {
  if (v.queued_requests == 0) return TakeChoice::kWait;
  // A heavy stream: the sealer's CPU is the bottleneck, keep it busy.
  if (v.queued_requests + v.unwritten_requests > kGatherMaxRequests) return TakeChoice::kTake;
  // Big enough to seal now, even while the committer is busy, if the next group
  // is at least as big as the one being written: a smaller one sealed ahead
  // would only split the appenders waiting behind that sync into small groups
  // (4 appenders of 100 events: 1.3 appends per sync instead of 2).
  if (v.queued_events >= kSealAheadMinEvents && v.queued_events >= v.unwritten_events) {
    return TakeChoice::kTake;
  }
  if (v.unwritten_groups > 0) return TakeChoice::kWait;  // small: gather behind that sync
  // The committer is free: take once the last group's callers are back.
  if (v.arrivals >= v.returning || !v.window_open) return TakeChoice::kTake;
  return TakeChoice::kGather;
}

Result<LogHead> LoadHead(RocksLog& log) {
  std::unique_ptr<rocksdb::Iterator> it(log.db->NewIterator(rocksdb::ReadOptions(), log.events));
  it->SeekToLast();
  if (!it->status().ok()) return FromRocks(it->status(), "reading the log head");
  if (!it->Valid()) return LogHead{0, ZeroHash()};
  std::string_view key(it->key().data(), it->key().size());
  uint64_t position = 0;
  if (key.size() != 8 || !keys::GetFixed64(&key, &position)) {
    return Status::Corruption("malformed key in the events column family");
  }
  auto decoded = DecodeStored(std::string_view(it->value().data(), it->value().size()), position);
  if (!decoded.ok()) return decoded.status();
  return LogHead{position, decoded.value().hash};
}

Result<std::unique_ptr<GroupCommitWriter>> GroupCommitWriter::Start(
    RocksLog* log, Clock clock, std::size_t queue_capacity,
    std::shared_ptr<PositionNotifier> notifier) {
  auto head = LoadHead(*log);
  if (!head.ok()) return head.status();
  notifier->Publish(head.value().position);
  return std::unique_ptr<GroupCommitWriter>(new GroupCommitWriter(
      log, std::move(clock), queue_capacity, std::move(notifier), std::move(head.value())));
}

GroupCommitWriter::GroupCommitWriter(RocksLog* log, Clock clock, std::size_t queue_capacity,
                                     std::shared_ptr<PositionNotifier> notifier, LogHead head)
    : log_(log),
      clock_(std::move(clock)),
      queue_capacity_(queue_capacity),
      notifier_(std::move(notifier)),
      durable_position_(head.position),
      head_(std::move(head)) {
  // RocksDB's perf counters are on by default (kEnableCount); from a shared
  // library each count is a thread-local lookup, ~15% of the committer's CPU in
  // `bench post`. Nothing reads them.
  committer_ = std::thread([this] {
    NameThisThread("log-commit");
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    RunCommitter();
  });
  sealer_ = std::thread([this] {
    NameThisThread("log-seal");
    rocksdb::SetPerfLevel(rocksdb::PerfLevel::kDisable);
    RunSealer();
  });
}

GroupCommitWriter::~GroupCommitWriter() { Stop(); }

void GroupCommitWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (sealer_.joinable()) sealer_.join();  // drains the queue, then tells the committer
  if (committer_.joinable()) committer_.join();
}

GroupCommitWriter::Pending GroupCommitWriter::MakePending(AppendRequest request) {
  Pending pending;
  pending.events = CountEvents(request);
  pending.submitted = std::chrono::steady_clock::now();
  pending.request = std::move(request);
  return pending;
}

Status GroupCommitWriter::QueueRefusal(const Pending& pending) const {
  if (stopping_) return Status::Unavailable("event log is shutting down");
  if (queue_.size() >= queue_capacity_ ||
      (!queue_.empty() && queued_events_ + pending.events > kAppendQueueMaxEvents)) {
    return Status::Unavailable("append queue full (kAppendQueueCapacity / kAppendQueueMaxEvents); retry");
  }
  return Status::Ok();
}

bool GroupCommitWriter::Enqueue(Pending pending) {
  const bool was_empty = queue_.empty();
  queued_events_ += pending.events;
  ++arrivals_since_completion_;
  queue_.push_back(std::move(pending));
  stats_.SetQueueDepth(queue_.size(), queued_events_);
  // Wake the sealer only when it has something new to decide: the first arrival
  // (it may have to start a gather window), or when the queue may now be taken.
  // The arrivals in between would wake it only to wait again: with 16 callers
  // coming back after a sync, that was 16 context switches per group.
  return was_empty || ChooseTake(View()) == TakeChoice::kTake;
}

QueueView GroupCommitWriter::View() const {
  QueueView view;
  view.queued_requests = queue_.size();
  view.queued_events = queued_events_;
  view.unwritten_groups = unwritten_groups_;
  view.unwritten_requests = unwritten_requests_;
  view.unwritten_events = unwritten_events_;
  view.returning = returning_;
  view.arrivals = arrivals_since_completion_;
  view.window_open = std::chrono::steady_clock::now() < completed_at_ + kGatherWindow;
  return view;
}

Future<AppendResult> GroupCommitWriter::Submit(AppendRequest request) {
  Pending pending = MakePending(std::move(request));
  Future<AppendResult> future = pending.promise.get_future();
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (Status refused = QueueRefusal(pending); !refused.ok()) {
      Complete(pending, FailedResult(std::move(refused)));
      return future;
    }
    wake = Enqueue(std::move(pending));
  }
  if (wake) cv_.notify_one();
  return future;
}

AppendResult GroupCommitWriter::Append(AppendRequest request) {
  Pending pending = MakePending(std::move(request));
  Future<AppendResult> future = pending.promise.get_future();
  bool run_here = false;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (Status refused = QueueRefusal(pending); !refused.ok()) {
      Complete(pending, FailedResult(std::move(refused)));
      return future.get();
    }
    if (queue_.empty() && !sealing_ && unwritten_groups_ == 0) {
      sealing_ = true;  // the sealer's role is ours until SealGroup returns
      ++arrivals_since_completion_;
      run_here = true;
    } else {
      wake = Enqueue(std::move(pending));
    }
  }
  if (run_here) {
    PerfCountersOff perf_off;  // as on the writer's threads
    std::vector<Pending> group;
    group.push_back(std::move(pending));
    SealGroup(group);  // writes it here, or hands it to the committer if others queued
    {
      std::lock_guard<std::mutex> lock(mutex_);
      sealing_ = false;
    }
    cv_.notify_all();  // the sealer thread may be waiting for the role
  } else if (wake) {
    cv_.notify_one();
  }
  return future.get();
}

bool GroupCommitWriter::TakeGroup(std::vector<Pending>* group) {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    if (sealing_) {  // a caller of Append holds the sealer's role
      cv_.wait(lock);
      continue;
    }
    if (stopping_) break;
    const TakeChoice choice = ChooseTake(View());
    if (choice == TakeChoice::kTake) break;
    if (choice == TakeChoice::kWait) {
      cv_.wait(lock);
    } else {
      cv_.wait_until(lock, completed_at_ + kGatherWindow);
    }
  }
  if (queue_.empty()) return false;  // stopping and drained
  std::size_t events = 0;
  while (!queue_.empty() && group->size() < kMaxGroupCommitRequests &&
         (group->empty() || events + queue_.front().events <= kMaxGroupCommitEvents)) {
    events += queue_.front().events;
    queued_events_ -= queue_.front().events;
    group->push_back(std::move(queue_.front()));
    queue_.pop_front();
  }
  stats_.SetQueueDepth(queue_.size(), queued_events_);
  sealing_ = true;  // until SealGroup returns (RunSealer)
  return true;
}

void GroupCommitWriter::RunSealer() {
  std::vector<Pending> group;
  while (TakeGroup(&group)) {
    SealGroup(group);
    group.clear();
    std::lock_guard<std::mutex> lock(mutex_);
    sealing_ = false;
  }
  {
    std::lock_guard<std::mutex> lock(handoff_mutex_);
    sealer_done_ = true;
  }
  handoff_cv_.notify_all();
}

void GroupCommitWriter::RunCommitter() {
  while (true) {
    SealedGroup sealed;
    {
      std::unique_lock<std::mutex> lock(handoff_mutex_);
      handoff_cv_.wait(lock, [&] { return sealer_done_ || !sealed_.empty(); });
      if (sealed_.empty()) return;  // the sealer is done and everything is written
      sealed = std::move(sealed_.front());
      sealed_.pop_front();
      committing_ = true;
    }
    handoff_cv_.notify_all();  // a slot is free for the sealer
    CommitSealed(sealed);
    {
      std::lock_guard<std::mutex> lock(handoff_mutex_);
      committing_ = false;
    }
    handoff_cv_.notify_all();
    {
      std::lock_guard<std::mutex> lock(mutex_);
      ACCRUE_ASSERT(unwritten_groups_ > 0 && unwritten_requests_ >= sealed.group.size() &&
                        unwritten_events_ >= sealed.events,
                    "committer completed a group it was not given");
      --unwritten_groups_;
      unwritten_requests_ -= sealed.group.size();
      unwritten_events_ -= sealed.events;
    }
    cv_.notify_all();  // the sealer may be waiting for a free committer
  }
}

void GroupCommitWriter::NoteCompleting(std::size_t requests) {
  std::lock_guard<std::mutex> lock(mutex_);
  returning_ = requests;
  arrivals_since_completion_ = 0;
  completed_at_ = std::chrono::steady_clock::now();
}

Status GroupCommitWriter::Recover(bool* fatal) {
  *fatal = false;
  // A failed write is not in the memtable, but its bytes may sit in the current
  // WAL. Resume() clears RocksDB's background error; flushing every column family
  // then retires that WAL, so the failed group can never reappear on restart
  // behind later appends that reuse its positions.
  rocksdb::Status s = log_->db->Resume();
  if (s.ok()) {
    rocksdb::FlushOptions flush_options;
    flush_options.wait = true;
    s = log_->db->Flush(flush_options, log_->handles);
  }
  if (!s.ok() && !s.IsNoSpace() && !s.IsBusy() && !s.IsTryAgain()) {
    // RocksDB 7.8 treats a failed WAL write or fsync (EIO) as a fatal error that
    // Resume() cannot clear: the process must reopen the log, which replays the
    // WAL (the failed group is then either whole or absent, never partial).
    *fatal = true;
    return FromRocks(s, "event log stopped after a failed write or fsync; nothing was "
                        "acknowledged; restart accrue (reopening the log recovers from the "
                        "WAL), then retry with the same idempotency key");
  }
  if (!s.ok()) {
    // NoSpace, Busy or TryAgain: RocksDB is still waiting for free space (it
    // re-checks every few seconds). Said plainly, so the runbook's first row fits.
    return Status::Unavailable("disk full, retry when space returns: the event log is recovering from a failed write (" +
                               s.ToString() + ")");
  }
  auto reloaded = LoadHead(*log_);
  if (!reloaded.ok()) return reloaded.status();
  head_ = std::move(reloaded.value());
  ACCRUE_ASSERT(head_.position == durable_position_.load(),
                "log head after recovery differs from the last durable position");
  return Status::Ok();
}

Status GroupCommitWriter::RecoverAfterFailure() {
  {
    std::unique_lock<std::mutex> lock(handoff_mutex_);
    if (failure_.ok()) return Status::Ok();
    // Every group sealed on top of the failed one is failed by the committer.
    handoff_cv_.wait(lock, [&] { return sealed_.empty() && !committing_; });
  }
  in_flight_.clear();  // none of them reached the DB
  bool fatal = false;
  Status s = Recover(&fatal);
  {
    // Only RocksDB's refusal to resume stops the log for good; any other failure
    // (a head that could not be read, shutting down) may pass, and a recovery that
    // succeeds clears what an earlier one said.
    std::lock_guard<std::mutex> health(health_mutex_);
    if (fatal && stopped_.ok()) stopped_ = s;
    if (s.ok()) stopped_ = Status::Ok();
  }
  if (!s.ok()) return s;
  std::lock_guard<std::mutex> lock(handoff_mutex_);
  failure_ = Status::Ok();
  return Status::Ok();
}

Status GroupCommitWriter::Health() const {
  std::lock_guard<std::mutex> health(health_mutex_);
  return stopped_;
}

void GroupCommitWriter::Complete(Pending& pending, AppendResult result) {
  auto waited = std::chrono::steady_clock::now() - pending.submitted;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(waited).count();
  stats_.RecordAppend(us > 0 ? static_cast<uint64_t>(us) : 0,
                      result.outcome == AppendOutcome::kFailed);
  pending.promise.set_value(std::move(result));
}

void GroupCommitWriter::SealGroup(std::vector<Pending>& group) {
  if (Status s = RecoverAfterFailure(); !s.ok()) {
    for (Pending& p : group) Complete(p, FailedResult(s));
    return;
  }
  // Groups whose Write returned OK are in the DB now: their overlays can go.
  const uint64_t written = written_sequence_.load();
  while (!in_flight_.empty() && in_flight_.front().sequence <= written) in_flight_.pop_front();

  SealedGroup sealed;
  sealed.sequence = next_sequence_++;
  GroupState state(*log_, in_flight_, sealed.sequence);
  LogHead head = head_;
  sealed.first_position = head.position + 1;
  const int64_t now_us = clock_();
  sealed.results.reserve(group.size());
  for (Pending& p : group) {
    sealed.events += p.events;
    AppendPlan plan = PlanAppend(p.request, state, head, now_us, PlanPayloads::kDrop);
    if (plan.result.outcome == AppendOutcome::kAppended) state.Apply(plan, &sealed.batch, &head);
    sealed.results.push_back(std::move(plan.result));
  }
  sealed.last_position = head.position;
  sealed.group = std::move(group);
  head_ = std::move(head);
  in_flight_.push_back(state.TakeEffects());
  // Nothing queued behind this group and nothing ahead of it: there is nothing to
  // overlap, so the sealer writes it itself and saves the hand-off to the
  // committer (a thread wake-up on every append of a lone appender).
  bool queue_empty = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_empty = queue_.empty();
  }
  bool write_here = false;
  {
    std::unique_lock<std::mutex> lock(handoff_mutex_);
    if (queue_empty && sealed_.empty() && !committing_) {
      committing_ = true;  // the committer holds nothing, and gets nothing meanwhile
      write_here = true;
    } else {
      handoff_cv_.wait(lock, [&] { return sealed_.size() < kMaxSealedGroups; });
      {
        std::lock_guard<std::mutex> queue_lock(mutex_);  // order: handoff_mutex_, then mutex_
        ++unwritten_groups_;
        unwritten_requests_ += sealed.group.size();
        unwritten_events_ += sealed.events;
      }
      sealed_.push_back(std::move(sealed));
    }
  }
  if (write_here) {
    CommitSealed(sealed);
    std::lock_guard<std::mutex> lock(handoff_mutex_);
    committing_ = false;
  }
  handoff_cv_.notify_all();
}

void GroupCommitWriter::CommitSealed(SealedGroup& sealed) {
  Status failed;
  {
    std::lock_guard<std::mutex> lock(handoff_mutex_);
    failed = failure_;
  }
  if (!failed.ok()) return CompleteGroup(sealed, failed);  // sealed on top of a failed group
  if (sealed.batch.Count() > 0) {
    rocksdb::WriteOptions write_options;
    write_options.sync = true;  // durability before acknowledgement (design.md)
    rocksdb::Status s = log_->db->Write(write_options, &sealed.batch);
    if (!s.ok()) {
      failed = FromRocks(s, "group commit of " + std::to_string(sealed.group.size()) +
                                " appends (nothing acknowledged; retrying with the same "
                                "idempotency key is safe)");
      {
        std::lock_guard<std::mutex> lock(handoff_mutex_);
        failure_ = failed;
      }
      return CompleteGroup(sealed, failed);
    }
    stats_.RecordBatch(sealed.group.size(), sealed.last_position + 1 - sealed.first_position,
                       write_options.sync);
  }
  written_sequence_.store(sealed.sequence);
  durable_position_.store(sealed.last_position);
  notifier_->Publish(sealed.last_position);
  CompleteGroup(sealed, Status::Ok());
}

void GroupCommitWriter::CompleteGroup(SealedGroup& sealed, const Status& failed) {
  NoteCompleting(sealed.group.size());  // before any caller wakes and appends again
  for (std::size_t i = 0; i < sealed.group.size(); ++i) {
    Complete(sealed.group[i], failed.ok() ? std::move(sealed.results[i]) : FailedResult(failed));
  }
}

}  // namespace accrue::events
