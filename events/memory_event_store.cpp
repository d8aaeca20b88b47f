// The in-memory EventStore (NewMemoryEventStore): the same semantics as the
// RocksDB store minus durability. One mutex serialises appends; the shared
// AppendPlanner decides outcomes and seals the hash chain, so positions,
// versions and hashes are identical to what the RocksDB store would write.
#include <chrono>
#include <map>
#include <mutex>
#include <unordered_map>

#include "events/append_planner.h"
#include "events/envelope_codec.h"
#include "events/event_store.h"
#include "events/tail_subscription.h"

namespace accrue::events {
namespace {

class MemoryEventStore final : public EventStore, private AppendState {
 public:
  explicit MemoryEventStore(Clock clock)
      : clock_(std::move(clock)), notifier_(std::make_shared<PositionNotifier>()) {}

  AppendResult Append(AppendRequest request) override {
    const auto started = std::chrono::steady_clock::now();
    AppendResult result;
    uint64_t published = 0;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      LogHead head{Last(), events_.empty() ? ZeroHash() : events_.back().hash};
      AppendPlan plan = PlanAppend(request, *this, head, clock_());
      if (plan.result.outcome == AppendOutcome::kAppended) {
        const uint64_t before = Last();
        Apply(plan);
        stats_.RecordBatch(1, Last() - before, /*synced=*/false);  // nothing to fsync
      }
      published = Last();
      result = std::move(plan.result);
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                  std::chrono::steady_clock::now() - started).count();
    stats_.RecordAppend(us > 0 ? static_cast<uint64_t>(us) : 0,
                        result.outcome == AppendOutcome::kFailed);
    notifier_->Publish(published);
    return result;
  }

  // Appends run synchronously, so the queue is always empty; fsyncs stay 0.
  StoreStats Stats() const override { return stats_.Snapshot(); }

  Future<AppendResult> AppendAsync(AppendRequest request) override {
    return ReadyFuture(Append(std::move(request)));
  }

  Result<std::vector<RecordedEvent>> ReadStream(const std::string& stream, uint64_t from_version,
                                                std::size_t max_count) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<RecordedEvent> out;
    auto it = index_.find(stream);
    if (it == index_.end()) return out;
    uint64_t v = from_version == 0 ? 1 : from_version;
    for (; v <= it->second.size() && out.size() < max_count; ++v) {
      out.push_back(events_[it->second[v - 1] - 1]);
    }
    return out;
  }

  Result<std::vector<RecordedEvent>> ReadAll(uint64_t from_position,
                                             std::size_t max_count) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<RecordedEvent> out;
    uint64_t p = from_position == 0 ? 1 : from_position;
    for (; p <= Last() && out.size() < max_count; ++p) out.push_back(events_[p - 1]);
    return out;
  }

  Result<uint64_t> StreamVersion(const std::string& stream) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return FindStreamVersion(stream);
  }

  uint64_t LastPosition() override {
    std::lock_guard<std::mutex> lock(mutex_);
    return Last();
  }

  Result<std::optional<std::string>> ClaimOwner(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return FindClaimOwner(key);
  }

  Result<std::optional<Claim>> LookupClaim(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = claims_.find(key);
    if (it == claims_.end()) return std::optional<Claim>();
    return std::optional<Claim>(it->second);
  }

  Result<std::vector<Claim>> ListClaims(const std::string& prefix) override {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Claim> out;
    for (auto it = claims_.lower_bound(prefix);
         it != claims_.end() && it->first.compare(0, prefix.size(), prefix) == 0; ++it) {
      out.push_back(it->second);
    }
    return out;
  }

  Result<std::optional<IdempotencyLookup>> LookupIdempotency(const std::string& key) override {
    std::lock_guard<std::mutex> lock(mutex_);
    return FindIdempotency(key);
  }

  Status SaveSnapshot(const std::string& stream, const Snapshot& snapshot) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto version = FindStreamVersion(stream);
    if (snapshot.version == 0 || snapshot.version > version.value()) {
      return Status::InvalidArgument("snapshot version beyond the stream's last version");
    }
    auto it = snapshots_.find(stream);
    if (it == snapshots_.end() || it->second.version <= snapshot.version) {
      snapshots_[stream] = snapshot;
    }
    return Status::Ok();
  }

  Result<std::optional<Snapshot>> LoadSnapshot(const std::string& stream) override {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = snapshots_.find(stream);
    if (it == snapshots_.end()) return std::optional<Snapshot>();
    return std::optional<Snapshot>(it->second);
  }

  Status ScanClaims(const std::function<bool(const Claim&)>& fn) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [key, claim] : claims_) {
      if (!fn(claim)) break;
    }
    return Status::Ok();
  }

  Status ScanIdempotency(const std::function<bool(const std::string&, const IdempotencyLookup&)>& fn) override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [key, record] : records_) {
      if (!fn(key, record)) break;
    }
    return Status::Ok();
  }

  Status ScanStreamIndex(const std::function<bool(const std::string&, uint64_t, uint64_t)>& fn)
      override {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& [stream, positions] : index_) {
      for (std::size_t i = 0; i < positions.size(); ++i) {
        if (!fn(stream, i + 1, positions[i])) return Status::Ok();
      }
    }
    return Status::Ok();
  }

  std::unique_ptr<Subscription> Subscribe(
      uint64_t after_position, std::function<void(const RecordedEvent&)> on_event) override {
    return std::make_unique<TailSubscription>(
        notifier_, [this](uint64_t from, std::size_t n) { return ReadAll(from, n); },
        after_position, std::move(on_event), std::nullopt, nullptr);
  }

 private:
  uint64_t Last() const { return events_.size(); }

  // AppendState, called with mutex_ held.
  Result<std::optional<IdempotencyLookup>> FindIdempotency(const std::string& key) override {
    auto it = records_.find(key);
    if (it == records_.end()) return std::optional<IdempotencyLookup>();
    return std::optional<IdempotencyLookup>(it->second);
  }
  Result<uint64_t> FindStreamVersion(const std::string& stream) override {
    auto it = index_.find(stream);
    return it == index_.end() ? uint64_t{0} : uint64_t{it->second.size()};
  }
  Result<std::optional<std::string>> FindClaimOwner(const std::string& key) override {
    auto it = claims_.find(key);
    if (it == claims_.end()) return std::optional<std::string>();
    return std::optional<std::string>(it->second.stream);
  }

  void Apply(const AppendPlan& plan) {
    for (const RecordedEvent& e : plan.events) {
      std::vector<uint64_t>& positions = index_[e.stream];
      CheckBeforeWrite(e, Last() + 1, positions.size() + 1,
                       events_.empty() ? ZeroHash() : events_.back().hash);
      positions.push_back(e.position);
      events_.push_back(e);
    }
    for (const Claim& c : plan.new_claims) claims_.emplace(c.key, c);
    if (plan.record) {
      records_.emplace(plan.record->key,
                       IdempotencyLookup{plan.record->command_hash, plan.record->result,
                                         plan.result.last_position});
    }
  }

  Clock clock_;
  std::shared_ptr<PositionNotifier> notifier_;
  std::mutex mutex_;
  StoreStatsRecorder stats_;  // atomics; updated outside and inside the lock
  std::vector<RecordedEvent> events_;                   // events_[p - 1] has position p
  std::map<std::string, std::vector<uint64_t>> index_;  // stream -> positions by version
  std::map<std::string, Claim> claims_;  // key -> (key, stream, value)
  std::unordered_map<std::string, IdempotencyLookup> records_;
  std::map<std::string, Snapshot> snapshots_;
};

}  // namespace

std::unique_ptr<EventStore> NewMemoryEventStore(Clock clock) {
  return std::make_unique<MemoryEventStore>(std::move(clock));
}

}  // namespace accrue::events
