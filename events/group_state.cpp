#include "events/group_state.h"

#include "events/assert.h"
#include "events/envelope_codec.h"
#include "events/keys.h"

namespace accrue::events {

GroupState::GroupState(RocksLog& log, const std::deque<GroupEffects>& in_flight, uint64_t sequence)
    : log_(log), in_flight_(in_flight) {
  own_.sequence = sequence;
}

Result<std::optional<IdempotencyLookup>> GroupState::FindIdempotency(const std::string& key) {
  if (auto it = own_.records.find(key); it != own_.records.end()) return std::optional(it->second);
  for (auto g = in_flight_.rbegin(); g != in_flight_.rend(); ++g) {
    if (auto it = g->records.find(key); it != g->records.end()) return std::optional(it->second);
  }
  return GetIdempotency(log_, key);
}

Result<uint64_t> GroupState::FindStreamVersion(const std::string& stream) {
  if (auto it = own_.versions.find(stream); it != own_.versions.end()) return it->second;
  for (auto g = in_flight_.rbegin(); g != in_flight_.rend(); ++g) {
    if (auto it = g->versions.find(stream); it != g->versions.end()) {
      own_.versions.emplace(stream, it->second);
      return it->second;
    }
  }
  auto head = GetStreamHead(log_, stream);
  if (!head.ok()) return head.status();
  const uint64_t version = head.value();
  own_.versions.emplace(stream, version);
  return version;
}

Result<std::optional<std::string>> GroupState::FindClaimOwner(const std::string& key) {
  if (auto it = own_.claims.find(key); it != own_.claims.end()) return std::optional(it->second);
  for (auto g = in_flight_.rbegin(); g != in_flight_.rend(); ++g) {
    if (auto it = g->claims.find(key); it != g->claims.end()) return std::optional(it->second);
  }
  return GetClaimOwner(log_, key);
}

void GroupState::Apply(const AppendPlan& plan, rocksdb::WriteBatch* batch, LogHead* head) {
  // A run: consecutive events of one stream (consecutive positions and
  // versions by construction); one index entry each (keys.h), or one per event
  // on a log older than kFirstFormatWithIndexRuns.
  const bool runs = log_.format_version >= keys::kFirstFormatWithIndexRuns;
  std::size_t run_start = 0;
  for (std::size_t i = 0; i < plan.events.size(); ++i) {
    const RecordedEvent& e = plan.events[i];
    uint64_t& version = own_.versions.at(e.stream);  // planned, so looked up before
    CheckBeforeWrite(e, head->position + 1, version + 1, head->hash);
    (void)batch->Put(log_.events, keys::PositionKey(e.position), plan.encoded[i]);
    version = e.version;
    head->position = e.position;
    head->hash = e.hash;
    const bool run_ends = !runs || i + 1 == plan.events.size() ||
                          plan.events[i + 1].stream != e.stream;
    if (run_ends) {
      const RecordedEvent& first = plan.events[run_start];
      (void)batch->Put(log_.stream_index, keys::StreamIndexKey(e.stream, first.version),
                       keys::EncodeIndexRun(first.position, i + 1 - run_start));
      run_start = i + 1;
    }
  }
  for (const auto& [stream, last] : plan.heads) {
    ACCRUE_ASSERT(own_.versions.at(stream) == last, "stream head differs from its last event");
    std::string value;
    keys::PutFixed64(&value, last);
    (void)batch->Put(log_.stream_heads, stream, value);
  }
  for (const Claim& c : plan.new_claims) {
    (void)batch->Put(log_.claims, c.key, keys::EncodeClaimValue(c));
    own_.claims.emplace(c.key, c.stream);
  }
  if (plan.record) {
    IdempotencyLookup stored{plan.record->command_hash, plan.record->result,
                             plan.result.last_position};
    (void)batch->Put(log_.idempotency, plan.record->key, keys::EncodeIdempotency(stored));
    own_.records.emplace(plan.record->key, std::move(stored));
  }
}

}  // namespace accrue::events
