#include "events/group_commit_writer.h"

#include <rocksdb/write_batch.h>

#include <unordered_map>

#include "events/envelope_codec.h"
#include "events/keys.h"

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

// The state one group commit is planned against: the DB plus what earlier
// requests of the same group wrote (and what was read, cached for the group).
class GroupState final : public AppendState {
 public:
  explicit GroupState(RocksLog& log) : log_(log) {}

  Result<std::optional<IdempotencyLookup>> FindIdempotency(const std::string& key) override {
    if (auto it = records_.find(key); it != records_.end()) return std::optional(it->second);
    std::string value;
    rocksdb::Status s = log_.db->Get(rocksdb::ReadOptions(), log_.idempotency, key, &value);
    if (s.IsNotFound()) return std::optional<IdempotencyLookup>();
    if (!s.ok()) return FromRocks(s, "reading idempotency record");
    auto decoded = keys::DecodeIdempotency(value);
    if (!decoded) return Status::Corruption("idempotency record of '" + key + "' is malformed");
    return std::optional(*decoded);
  }

  Result<uint64_t> FindStreamVersion(const std::string& stream) override {
    if (auto it = versions_.find(stream); it != versions_.end()) return it->second;
    std::string value;
    rocksdb::Status s = log_.db->Get(rocksdb::ReadOptions(), log_.stream_heads, stream, &value);
    uint64_t version = 0;
    if (!s.IsNotFound()) {
      if (!s.ok()) return FromRocks(s, "reading stream head");
      std::string_view in(value);
      if (!keys::GetFixed64(&in, &version)) {
        return Status::Corruption("stream head of '" + stream + "' is malformed");
      }
    }
    versions_.emplace(stream, version);
    return version;
  }

  Result<std::optional<std::string>> FindClaimOwner(const std::string& key) override {
    if (auto it = claims_.find(key); it != claims_.end()) return std::optional(it->second);
    std::string value;
    rocksdb::Status s = log_.db->Get(rocksdb::ReadOptions(), log_.claims, key, &value);
    if (s.IsNotFound()) return std::optional<std::string>();
    if (!s.ok()) return FromRocks(s, "reading claim");
    Claim claim;
    if (!keys::DecodeClaimValue(value, &claim)) return Status::Corruption("claim '" + key + "' is malformed");
    return std::optional(std::move(claim.stream));
  }

  // Adds a planned append to the batch and the overlay; asserts each envelope
  // before it is written (position, version, chain).
  void Apply(const AppendPlan& plan, rocksdb::WriteBatch* batch, LogHead* head) {
    for (std::size_t i = 0; i < plan.events.size(); ++i) {
      const RecordedEvent& e = plan.events[i];
      uint64_t& version = versions_.at(e.stream);
      CheckBeforeWrite(e, head->position + 1, version + 1, head->hash);
      const std::string position_key = keys::PositionKey(e.position);
      (void)batch->Put(log_.events, position_key, plan.encoded[i]);
      (void)batch->Put(log_.stream_index, keys::StreamIndexKey(e.stream, e.version), position_key);
      version = e.version;
      head->position = e.position;
      head->hash = e.hash;
    }
    for (const auto& [stream, last] : plan.heads) {
      ACCRUE_ASSERT(versions_.at(stream) == last, "stream head differs from its last event");
      std::string value;
      keys::PutFixed64(&value, last);
      (void)batch->Put(log_.stream_heads, stream, value);
    }
    for (const Claim& c : plan.new_claims) {
      (void)batch->Put(log_.claims, c.key, keys::EncodeClaimValue(c));
      claims_.emplace(c.key, c.stream);
    }
    if (plan.record) {
      IdempotencyLookup stored{plan.record->command_hash, plan.record->result,
                               plan.result.last_position};
      (void)batch->Put(log_.idempotency, plan.record->key, keys::EncodeIdempotency(stored));
      records_.emplace(plan.record->key, std::move(stored));
    }
  }

 private:
  RocksLog& log_;
  std::unordered_map<std::string, IdempotencyLookup> records_;
  std::unordered_map<std::string, uint64_t> versions_;
  std::unordered_map<std::string, std::string> claims_;
};

}  // namespace

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
      head_(std::move(head)),
      durable_position_(head_.position) {
  thread_ = std::thread([this] { Run(); });
}

GroupCommitWriter::~GroupCommitWriter() { Stop(); }

void GroupCommitWriter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::future<AppendResult> GroupCommitWriter::Submit(AppendRequest request) {
  Pending pending;
  pending.events = CountEvents(request);
  pending.submitted = std::chrono::steady_clock::now();
  pending.request = std::move(request);
  std::future<AppendResult> future = pending.promise.get_future();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    Status refused;
    if (stopping_) {
      refused = Status::Unavailable("event log is shutting down");
    } else if (queue_.size() >= queue_capacity_ ||
               (!queue_.empty() && queued_events_ + pending.events > kAppendQueueMaxEvents)) {
      refused = Status::Unavailable("append queue full (kAppendQueueCapacity / kAppendQueueMaxEvents); retry");
    }
    if (!refused.ok()) {
      Complete(pending, FailedResult(std::move(refused)));
      return future;
    }
    queued_events_ += pending.events;
    queue_.push_back(std::move(pending));
    stats_.SetQueueDepth(queue_.size(), queued_events_);
  }
  cv_.notify_one();
  return future;
}

bool GroupCommitWriter::TakeGroup(std::vector<Pending>* group) {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
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
  return true;
}

void GroupCommitWriter::Run() {
  std::vector<Pending> group;
  while (TakeGroup(&group)) {
    CommitGroup(group);
    group.clear();
  }
}

Status GroupCommitWriter::Recover() {
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
    return FromRocks(s, "event log stopped after a failed write or fsync; nothing was "
                        "acknowledged; restart accrue (reopening the log recovers from the "
                        "WAL), then retry with the same idempotency key");
  }
  if (!s.ok()) return FromRocks(s, "recovering the event log after a failed write");
  auto reloaded = LoadHead(*log_);
  if (!reloaded.ok()) return reloaded.status();
  head_ = std::move(reloaded.value());
  durable_position_.store(head_.position);
  needs_recovery_ = false;
  return Status::Ok();
}

void GroupCommitWriter::Complete(Pending& pending, AppendResult result) {
  auto waited = std::chrono::steady_clock::now() - pending.submitted;
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(waited).count();
  stats_.RecordAppend(us > 0 ? static_cast<uint64_t>(us) : 0,
                      result.outcome == AppendOutcome::kFailed);
  pending.promise.set_value(std::move(result));
}

void GroupCommitWriter::CommitGroup(std::vector<Pending>& group) {
  if (needs_recovery_) {
    if (Status s = Recover(); !s.ok()) {
      for (Pending& p : group) Complete(p, FailedResult(s));
      return;
    }
  }
  GroupState state(*log_);
  rocksdb::WriteBatch batch;
  LogHead head = head_;
  const int64_t now_us = clock_();
  std::vector<AppendResult> results;
  results.reserve(group.size());
  for (Pending& p : group) {
    AppendPlan plan = PlanAppend(p.request, state, head, now_us, PlanPayloads::kDrop);
    if (plan.result.outcome == AppendOutcome::kAppended) state.Apply(plan, &batch, &head);
    results.push_back(std::move(plan.result));
  }
  if (batch.Count() > 0) {
    rocksdb::WriteOptions write_options;
    write_options.sync = true;  // durability before acknowledgement (design.md)
    rocksdb::Status s = log_->db->Write(write_options, &batch);
    if (!s.ok()) {
      Status failed = FromRocks(s, "group commit of " + std::to_string(group.size()) +
                                       " appends (nothing acknowledged; retrying with the same "
                                       "idempotency key is safe)");
      for (Pending& p : group) Complete(p, FailedResult(failed));
      needs_recovery_ = true;
      return;
    }
    stats_.RecordBatch(group.size(), head.position - head_.position, write_options.sync);
  }
  head_ = std::move(head);
  durable_position_.store(head_.position);
  notifier_->Publish(head_.position);
  for (std::size_t i = 0; i < group.size(); ++i) Complete(group[i], std::move(results[i]));
}

}  // namespace accrue::events
