// ShardedMapper: maps a batch of log events to rows on several threads.
//
// Account streams are independent: the rows of an account depend only on its own
// events (engine/evolve.h). The batch is split by stream (a hash of the stream
// name picks the shard, so a stream always lands on the same shard and its cached
// state stays there); each shard is an EventMapper of its own, run on its own
// thread (shard 0 on the caller's); their rows are then merged into one RowBatch
// (RowBatch::Absorb). The merged batch holds the same rows as one EventMapper
// would produce, possibly in another order within a table: append-only rows have
// unique keys, each entity row still appears once per batch (its stream is in one
// shard), the one row shared by shards (a currency) is deduplicated, and the
// accumulated tables (usage totals, ledger balances) are grouped and summed by
// key in SQL (projections/batch_writer.h).
//
// Errors: when shards fail, the error of the lowest failing position is returned
// and nothing of the batch is kept (the caller calls Reset or Discard, as with
// EventMapper).
//
// Thread-safety: none; one ShardedMapper per projector. It uses `shards - 1`
// helper threads during Map only.
#ifndef ACCRUE_PROJECTIONS_SHARDED_MAPPER_H_
#define ACCRUE_PROJECTIONS_SHARDED_MAPPER_H_

#include <cstddef>
#include <memory>
#include <vector>

#include "events/event_store.h"
#include "events/status.h"
#include "projections/event_mapper.h"
#include "projections/row_batch.h"

namespace accrue::projections {

inline constexpr std::size_t kMaxMapShards = 16;

class ShardedMapper {
 public:
  // 1 <= shards <= kMaxMapShards.
  ShardedMapper(events::EventStore* store, std::size_t shards);

  // Appends the rows of `batch` (consecutive positions) to *out.
  Status Map(const std::vector<events::RecordedEvent>& batch, RowBatch* out);
  // As EventMapper's, on every shard.
  void Commit();
  void Discard();
  void Reset();

  MapStats stats() const;

 private:
  std::vector<std::unique_ptr<EventMapper>> shards_;
};

}  // namespace accrue::projections

#endif  // ACCRUE_PROJECTIONS_SHARDED_MAPPER_H_
