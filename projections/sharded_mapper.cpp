#include "projections/sharded_mapper.h"

#include <functional>
#include <future>
#include <string_view>

namespace accrue::projections {

ShardedMapper::ShardedMapper(events::EventStore* store, std::size_t shards) {
  ACCRUE_ASSERT(shards >= 1 && shards <= kMaxMapShards, "map shard count out of range");
  for (std::size_t i = 0; i < shards; ++i) shards_.push_back(std::make_unique<EventMapper>(store));
}

Status ShardedMapper::Map(const std::vector<events::RecordedEvent>& batch, RowBatch* out) {
  const std::size_t n = shards_.size();
  if (n == 1) return shards_[0]->Map(batch, out);
  std::vector<std::vector<const events::RecordedEvent*>> parts(n);
  for (auto& p : parts) p.reserve(batch.size() / n + 1);
  for (const auto& e : batch) {
    parts[std::hash<std::string_view>{}(e.stream) % n].push_back(&e);
  }
  std::vector<RowBatch> rows(n);
  std::vector<std::future<Status>> helpers;
  helpers.reserve(n - 1);
  for (std::size_t i = 1; i < n; ++i) {
    helpers.push_back(std::async(std::launch::async, [this, i, &parts, &rows] {
      return shards_[i]->Map(parts[i], &rows[i]);
    }));
  }
  std::vector<Status> results;
  results.reserve(n);
  results.push_back(shards_[0]->Map(parts[0], &rows[0]));
  for (auto& h : helpers) results.push_back(h.get());
  // The first failure in log order, as one mapper would have reported it.
  const Status* failed = nullptr;
  uint64_t failed_at = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (results[i].ok()) continue;
    const uint64_t at = shards_[i]->failed_position();
    if (failed == nullptr || at < failed_at) {
      failed = &results[i];
      failed_at = at;
    }
  }
  if (failed != nullptr) return *failed;
  for (auto& r : rows) out->Absorb(std::move(r));
  return Status::Ok();
}

void ShardedMapper::Commit() {
  for (auto& s : shards_) s->Commit();
}

void ShardedMapper::Discard() {
  for (auto& s : shards_) s->Discard();
}

void ShardedMapper::Reset() {
  for (auto& s : shards_) s->Reset();
}

MapStats ShardedMapper::stats() const {
  MapStats total;
  for (const auto& s : shards_) {
    total.events += s->stats().events;
    total.skipped += s->stats().skipped;
    total.folds += s->stats().folds;
  }
  return total;
}

}  // namespace accrue::projections
