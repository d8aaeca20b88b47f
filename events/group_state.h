// GroupState: what one group commit is planned against (group_commit_writer.h).
//
// The sealer thread plans group N+1 while the committer thread is still writing
// group N, so the DB alone is not the truth for planning: the effects of groups
// already sealed but not yet written live in InFlight overlays. A lookup asks, in
// order: this group's own effects, the in-flight overlays from newest to oldest,
// then the DB. An overlay may be dropped once its group's Write returned OK (the
// DB then shows the same values); after a failed Write every overlay is dropped
// with the failed groups (nothing of them reached the DB).
//
// Thread-safety: the holder of the sealer's role only (the sealer thread, or a
// caller of GroupCommitWriter::Append running it inline); the committer never
// touches overlays.
#ifndef ACCRUE_EVENTS_GROUP_STATE_H_
#define ACCRUE_EVENTS_GROUP_STATE_H_

#include <rocksdb/write_batch.h>

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>

#include "events/append_planner.h"
#include "events/rocks_log.h"

namespace accrue::events {

// The effects of one sealed group (and the DB reads it cached).
struct GroupEffects {
  uint64_t sequence = 0;  // the group's number, in seal order
  std::unordered_map<std::string, IdempotencyLookup> records;
  std::unordered_map<std::string, uint64_t> versions;  // stream -> last version
  std::unordered_map<std::string, std::string> claims;  // claim key -> owning stream
};

class GroupState final : public AppendState {
 public:
  // `in_flight` (oldest first) must outlive this object and not change meanwhile.
  GroupState(RocksLog& log, const std::deque<GroupEffects>& in_flight, uint64_t sequence);

  Result<std::optional<IdempotencyLookup>> FindIdempotency(const std::string& key) override;
  Result<uint64_t> FindStreamVersion(const std::string& stream) override;
  Result<std::optional<std::string>> FindClaimOwner(const std::string& key) override;

  // Adds a planned append to the batch and to this group's effects; asserts
  // each envelope before it is written (position, version, chain).
  void Apply(const AppendPlan& plan, rocksdb::WriteBatch* batch, LogHead* head);

  // This group's effects, to be kept in flight until its Write returns.
  GroupEffects TakeEffects() { return std::move(own_); }

 private:
  RocksLog& log_;
  const std::deque<GroupEffects>& in_flight_;
  GroupEffects own_;
};

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_GROUP_STATE_H_
