// AppendPlanner: the semantics of one AppendRequest, shared by every store.
//
// Given the state an append is checked against (the committed log plus, in the
// RocksDB writer, what earlier requests of the same group commit wrote), it decides
// the outcome in this order (docs/event-log-format.md, "Append"):
//   1. invalid request (empty or NUL-containing names, limits)  -> kFailed InvalidArgument
//   2. idempotency key present: same command hash -> kReplayed, else kKeyReused
//      (stored_result and last_position are the stored ones; nothing written)
//   3. a stream's expected version differs from its last version -> kConflict
//      (detail = the stream); kAnyVersion skips the check
//   4. a claim key owned by another stream (or claimed twice by this request for
//      different streams) -> kClaimTaken (detail = the key)
//   5. otherwise kAppended: events get the next positions and versions and are
//      sealed into the hash chain; the record stores last_position (0 when the
//      request had no events, e.g. a remembered rejection).
// A stream named twice in one request is checked against its version after the
// earlier part of the same request.
//
// Thread-safety: PlanAppend is a pure function of its arguments; the caller
// serialises access to `state`.
#ifndef ACCRUE_EVENTS_APPEND_PLANNER_H_
#define ACCRUE_EVENTS_APPEND_PLANNER_H_

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "events/event_store.h"
#include "events/status.h"

namespace accrue::events {

// Limits on one append (bad input beyond them is refused, never truncated).
inline constexpr std::size_t kMaxEventsPerAppend = 10'000;
inline constexpr std::size_t kMaxClaimsPerAppend = 10'000;
// One event's payload. A bill run's invoice is one event (R-I1): a subscription
// anchored in year 1 and billed monthly up to 9999 has ~120,000 recurring lines,
// ~5-19 MB of InvoiceIssued. Decide refuses a larger invoice before it gets here
// (engine/bill_run.cpp), so a run never fails on it.
inline constexpr std::size_t kMaxPayloadBytes = std::size_t{32} << 20;
inline constexpr std::size_t kMaxNameBytes = 1024;  // stream, claim and idempotency keys
// A stored result: a tenant-wide run's lists every invoice it issued (~25 bytes
// each), so 32 MiB holds a run over ~1.2 million accounts. It was 1 MiB: a run
// over ~40,000 accounts billed them all, then could never store its result, and
// every retry failed the same way as `unavailable` (fault hunt, 2026-12-06).
inline constexpr std::size_t kMaxResultBytes = std::size_t{32} << 20;

// What an append is checked against.
class AppendState {
 public:
  virtual ~AppendState() = default;
  virtual Result<std::optional<IdempotencyLookup>> FindIdempotency(const std::string& key) = 0;
  virtual Result<uint64_t> FindStreamVersion(const std::string& stream) = 0;
  virtual Result<std::optional<std::string>> FindClaimOwner(const std::string& key) = 0;
};

// The last position of the log and its hash (ZeroHash() for an empty log).
struct LogHead {
  uint64_t position = 0;
  std::string hash;
};

struct AppendPlan {
  AppendResult result;                                 // the outcome; kAppended = write it
  std::vector<RecordedEvent> events;                   // sealed, in position order (payload per PlanPayloads)
  std::vector<std::string> encoded;                    // stored envelope bytes, parallel to events
  std::vector<std::pair<std::string, uint64_t>> heads; // stream -> new last version
  std::vector<Claim> new_claims;                       // claims not held before
  std::optional<IdempotencyRecord> record;             // stored with result.last_position
};

// Validates the shape of a request (step 1); ok or InvalidArgument.
Status ValidateRequest(const AppendRequest& request);

// Decides the outcome of `request` (steps 2-5). On kAppended, the plan's events
// follow `head`; the caller writes them and advances its head to the last event.
// kDrop leaves plan.events' payloads empty (the RocksDB writer needs only the
// encoded bytes); kKeep copies them (the memory store keeps the events).
enum class PlanPayloads { kKeep, kDrop };
AppendPlan PlanAppend(const AppendRequest& request, AppendState& state, const LogHead& head,
                      int64_t now_us, PlanPayloads payloads = PlanPayloads::kKeep);

}  // namespace accrue::events

#endif  // ACCRUE_EVENTS_APPEND_PLANNER_H_
