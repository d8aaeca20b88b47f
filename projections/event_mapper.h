// EventMapper: turns a batch of log events into read-model rows (docs/read-models.md).
//
// It folds each account stream with the domain's own evolve() (engine/evolve.h),
// so the rows say exactly what `accrue inspect account` says, and uses each event
// to know WHICH entities it changed ("dirty" sets). At the end of a batch it
// renders the current state of every dirty entity once (accounts, subscriptions,
// invoices, payments: kUpsert rows), one row per usage key and ledger balance
// (kAccumulate), and the append-only facts as they happen (invoice lines,
// applications, credit notes, refunds, ledger postings). A keyed row goes to the
// batch as new (RowBatch::AddNew), existing (AddExisting) or unknown (Add), as the
// folded state tells: entities created by this batch's events are new, all other
// dirty ones existing; a usage key is new when the state had no usage for it
// before the batch; an account's own ledger accounts (receivable, credit) are new
// until its stream first posts to them (Cached::posted); shared ledger accounts
// and catalog rows are unknown.
//
// Account states are cached between batches (bounded by kMaxCachedAccounts); a
// stream not in the cache is folded from the log up to the event before the
// batch's first event of that stream. Map() updates the cache in place; if the
// batch then fails to commit, Discard() forgets every state the batch touched (they
// are folded again from the log when next needed), so the cache never runs ahead
// of Postgres.
//
// Stream names (events/event_store.h): "<tenant>/account/<id>", "<tenant>/catalog".
// Events of other streams are not billing events and are skipped.
//
// Errors: kCorruption when a payload does not decode; kFailedPrecondition when an
// event type is unknown to this build (a newer writer: upgrade the projector). In
// both cases nothing of the batch is written and the projector stops at that
// position. An event that decodes but breaks a state invariant is a programmer
// error (ACCRUE_ASSERT in evolve), as the log is hash-chained and verified.
//
// Thread-safety: none; one mapper per thread (the store is shared, it is
// thread-safe).
#ifndef ACCRUE_PROJECTIONS_EVENT_MAPPER_H_
#define ACCRUE_PROJECTIONS_EVENT_MAPPER_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "engine/int128.h"
#include "events/event_store.h"
#include "events/status.h"
#include "projections/row_batch.h"

namespace accrue::engine {
struct AccountState;
}
namespace accrue::events::v1 {
class BillingEvent;
}

namespace accrue::projections {

inline constexpr std::size_t kMaxCachedAccounts = 200000;
inline constexpr std::size_t kFoldPageEvents = 4096;
// The reused first block of the arena each event is decoded on.
inline constexpr std::size_t kDecodeArenaBytes = 16 * 1024;

struct MapStats {
  uint64_t events = 0;
  uint64_t skipped = 0;  // events of non-billing streams
  uint64_t folds = 0;    // cache misses folded from the log
};

class EventMapper {
 public:
  explicit EventMapper(events::EventStore* store);
  ~EventMapper();

  // Appends the rows of `batch` (consecutive positions) to *out.
  Status Map(const std::vector<events::RecordedEvent>& batch, RowBatch* out);
  // The same for a subset of a batch in position order, e.g. the streams of one
  // shard (projections/sharded_mapper.h): every event of a stream in the batch
  // must be in the same subset.
  Status Map(const std::vector<const events::RecordedEvent*>& events, RowBatch* out);
  // The position of the event the last failed Map stopped at (0 after a success).
  uint64_t failed_position() const { return failed_position_; }
  // The batch committed: keep the states.
  void Commit();
  // The batch did not commit: forget every state it touched.
  void Discard();
  // Forget everything (the checkpoint moved under us).
  void Reset();

  const MapStats& stats() const { return stats_; }

 private:
  struct Cached;
  struct Dirty;

  Status MapOne(const events::RecordedEvent& e, RowBatch* out);
  // MapOne's parts for an account event, once evolve has folded it into the
  // cached state: the entities it changed and the facts it adds (kFailedPrecondition
  // for a type this build does not know), then its journal entry (R-L1..R-L5).
  Status AddAccountRows(const events::RecordedEvent& e, const events::v1::BillingEvent& event,
                        std::string_view tenant, const std::string& position, Dirty* d, RowBatch* out);
  void AddMoneyRows(const events::v1::BillingEvent& event, std::string_view tenant, const std::string& position,
                    Dirty* d, RowBatch* out);
  void AddLedgerRows(const events::RecordedEvent& e, const events::v1::BillingEvent& event,
                     std::string_view tenant, const std::string& position, Cached* c, RowBatch* out);
  Result<Cached*> Load(const std::string& stream, uint64_t before_version);
  void Flush(RowBatch* out);
  void FlushBalances(RowBatch* out);
  void FlushDirty(const Dirty& d, RowBatch* out);

  events::EventStore* store_;
  std::unordered_map<std::string, std::unique_ptr<Cached>> cache_;
  std::map<std::string, std::unique_ptr<Dirty>> dirty_;  // by stream, this batch
  std::set<std::string> currencies_;  // currency rows written this batch
  // A sum of postings (each 0 <= v <= kInt128Max) that cannot overflow: one
  // event's postings to one ledger account, or a batch's, can pass 2^127 minor
  // units (D-27 does not check tenant totals; random streams hit it, 2026-12-06).
  // Value = high * 2^127 + low, 0 <= low < 2^127.
  struct WideSum {
    engine::Int128 low = 0;
    int64_t high = 0;
    void Add(engine::Int128 v);
    std::string Format(int exponent) const;  // as engine::FormatAmount
  };
  struct BalanceSum {
    int exponent = 0;
    WideSum debit;
    WideSum credit;
    // Where the row goes (RowBatch): an account's own ledger accounts
    // (receivable, credit) are posted to by its stream only, so whether their row
    // exists is known from the stream's earlier postings; shared ones (cash,
    // income, ...) may have been written by any stream: upserted.
    enum class Known { kMaybe, kNew, kExisting } known = Known::kMaybe;
  };
  // Ledger balance deltas of this batch by (tenant, ledger account, currency).
  std::map<std::tuple<std::string, std::string, std::string>, BalanceSum> balances_;
  MapStats stats_;
  uint64_t failed_position_ = 0;
  std::vector<char> arena_block_;  // kDecodeArenaBytes
};

// Splits "<tenant>/account/<id>" or "<tenant>/catalog"; false for other names.
bool ParseStreamName(const std::string& stream, std::string* tenant, std::string* kind,
                     std::string* id);

}  // namespace accrue::projections

#endif  // ACCRUE_PROJECTIONS_EVENT_MAPPER_H_
