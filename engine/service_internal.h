// The command service's aggregate cache (not a public interface).
//
// Holds folded aggregates per stream: accounts "<tenant>/account/<id>" and
// catalogs "<tenant>/catalog", at their SPECULATIVE version (durable events plus
// the events of appends still in flight), and the claims of in-flight appends.
// An entry with inflight == 0 holds exactly its durable state.
// Bounded: at most ServiceOptions::account_cache_capacity accounts; entries with
// appends in flight are never evicted. Loading is snapshot + tail
// (engine/aggregate_loader.h); a settled append that makes a stream pass a
// multiple of snapshot_every_events asks the SnapshotWriter for a snapshot.
// Thread-safety: none; the service calls it under its mutex.
#ifndef ACCRUE_ENGINE_SERVICE_INTERNAL_H_
#define ACCRUE_ENGINE_SERVICE_INTERNAL_H_

#include "events/future.h"
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/aggregate_loader.h"
#include "engine/decide.h"
#include "engine/service.h"
#include "engine/snapshot_writer.h"
#include "events/event_store.h"

namespace accrue::engine::internal {

inline constexpr std::size_t kMaxKnownClaims = 1'000'000;    // claim-owner cache entries

// Hash for the cache's maps keyed by std::string that also takes a
// std::string_view (C++20 heterogeneous lookup): a lookup builds no std::string.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};
template <typename V>
using KeyMap = std::unordered_map<std::string, V, KeyHash, std::equal_to<>>;

struct AccountEntry {
  std::string stream;  // "<tenant>/account/<id>"
  AccountState state;
  uint64_t version = 0;  // speculative stream version
  int inflight = 0;      // appends not yet settled
};

struct CatalogEntry {
  CatalogState state;
  uint64_t version = 0;
  int inflight = 0;
};

// What one append changed speculatively, to settle when it completes.
struct TouchedAccount {
  std::string stream;
  std::shared_ptr<AccountEntry> entry;
  uint64_t version_before = 0;  // the append's expected version
  uint64_t version_after = 0;   // after its events
};
struct Touched {
  std::string tenant;  // whose aggregates (failures are counted per tenant)
  std::vector<TouchedAccount> accounts;
  std::string catalog_tenant;
  std::shared_ptr<CatalogEntry> catalog;
  uint64_t catalog_before = 0;
  uint64_t catalog_after = 0;
  std::vector<std::string> claim_keys;
};

// A claim of an append in flight: the stream and the entry it was decided on.
struct PendingClaim {
  std::string stream;
  std::shared_ptr<AccountEntry> entry;
  std::string value;  // the claim's value (a usage claim's D-47 fingerprint)
  // Kept in the durable claim cache once written: only the kinds commands are
  // routed by (subscription, invoice, payment; Owner()). The others (a usage id,
  // an account id, ...) are looked up again only by a duplicate, which reads the
  // store; remembering each would cost a map entry per command.
  bool remember = false;
};

// A durable claim remembered by the cache: owner and value.
struct KnownClaim {
  std::string stream;
  std::string value;
};

// One account's part of a tenant-wide bill run.
struct RunPart {
  std::string account_id;
  std::string scoped_key;  // "<tenant>/<run key>\x1frun/<account_id>"
  bool started = false;    // false: done by an earlier attempt (previous set)
  std::string previous;
  uint64_t previous_position = 0;
  std::vector<std::string> invoices;
  std::vector<std::string> events;
  Touched touched;
  events::AppendRequest request;  // decided at Submit; handed to the store in a window
  bool submitted = false;         // `append` is set
  events::Future<events::AppendResult> append;
};

struct Prepared {
  DecideContext context;
  std::shared_ptr<CatalogEntry> catalog;
  std::shared_ptr<AccountEntry> account;
  std::shared_ptr<AccountEntry> usage_owner;
  // What context.claim_taken reads and fills. On the heap so that moving the
  // Prepared keeps the callback's pointer valid; the callback captures only
  // (cache, scratch), which std::function stores without an allocation.
  struct ClaimScratch {
    std::string tenant;
    // A claim key Prepare looked up and found unclaimed (durably and in
    // flight); claim_taken answers it without asking the store again.
    std::string absent_claim_key;
    // Claims found taken only because an append in flight claims them; filled
    // while decide() runs.
    std::vector<PendingClaim> pending_claims_seen;
  };
  std::unique_ptr<ClaimScratch> scratch = std::make_unique<ClaimScratch>();
};

class AggregateCache {
 public:
  // `writer` may be null (no snapshots are requested then).
  AggregateCache(LoadContext load, ServiceOptions options, SnapshotWriter* writer);

  // The account's entry (state.exists false when the stream does not exist).
  Result<std::shared_ptr<AccountEntry>> Account(const std::string& tenant, const std::string& account_id);
  // The entry of the account owning claim <kind>/<id>; nullptr when unclaimed.
  Result<std::shared_ptr<AccountEntry>> Owner(const std::string& tenant, std::string_view kind,
                                              const std::string& id);
  // The claim <kind>/<id> (in flight or durable) with its value; nullopt when unclaimed.
  Result<std::optional<KnownClaim>> FindClaim(const std::string& tenant, std::string_view kind,
                                              const std::string& id);
  Result<std::shared_ptr<CatalogEntry>> Catalog(const std::string& tenant);
  // Whether "<tenant>/<kind>/<id>" is claimed (durably or in flight).
  Result<bool> ClaimTaken(const std::string& tenant, std::string_view kind, const std::string& id);
  // The stream owning claim <kind>/<id> DURABLY (claims of appends in flight are
  // not seen); nullopt when unclaimed. For reads.
  Result<std::optional<std::string>> DurableOwner(const std::string& tenant, std::string_view kind,
                                                  const std::string& id);
  const LoadContext& load_context() const { return load_; }
  // The tenant's account ids in id order (durable and in flight).
  Result<std::vector<std::string>> TenantAccounts(const std::string& tenant);

  // Loads what decide() needs for `command`.
  Result<Prepared> Prepare(const std::string& tenant, const Command& command);

  // Folds the decision's events into the cached aggregate and fills the append
  // (events with the expected version, claims).
  void ApplySpeculatively(const std::string& tenant, const Decision& d, events::AppendRequest* request,
                          Touched* touched);
  // Makes the append conditional on every append in flight the decision read:
  // each stream whose speculative state (or in-flight claim) `p` saw, and that the
  // request does not already append to, gets an event-less part expecting that
  // speculative version. If one of those appends fails, this one then fails with
  // kConflict and is decided again, so nothing decided on a failed append (a
  // rejection, a D-47 replay) is ever remembered.
  void AddDependencyChecks(const std::string& tenant, const Prepared& p, events::AppendRequest* request) const;
  // An append completed: written, or not (then its aggregates are dropped).
  void Settle(const Touched& touched, bool written);
  // How many appends of `tenant`'s aggregates have failed so far (Settle(...,
  // false)); a decision made before such a failure may rest on it. Per tenant: a
  // tenant-wide run completes beside other tenants' appends (service_runs.cpp),
  // and their failures say nothing about its decisions.
  uint64_t failures(std::string_view tenant) const {
    auto it = failures_.find(tenant);
    return it == failures_.end() ? 0 : it->second;
  }
  // A store error met by the claim lookups of the last Prepare()d decision (they
  // answered "taken" to be safe); ok when none. Clears it.
  Status TakePrepareError() {
    Status s = prepare_error_;
    prepare_error_ = Status::Ok();
    return s;
  }

 private:
  void EvictIfFull();
  // Remembers a durable claim (bounded by kMaxKnownClaims).
  void Remember(const std::string& key, std::string stream, std::string value);
  // The entry of the account stream `stream` of `tenant`.
  Result<std::shared_ptr<AccountEntry>> AccountOfStream(const std::string& tenant, std::string_view stream);
  // The entry of the account stream `stream` (cached, else loaded).
  Result<std::shared_ptr<AccountEntry>> AccountAt(std::string_view stream);
  // Whether claim `key` is taken (in flight or durably); remembers a durable one.
  Result<bool> ClaimTakenKey(std::string_view key);
  // The claim `key` (in flight or durable) with its value; nullopt when unclaimed.
  Result<std::optional<KnownClaim>> FindClaimKey(const std::string& key);
  // Asks for a snapshot when [before, after] passes a multiple of the interval.
  void MaybeRequestSnapshot(StreamKind kind, const std::string& stream, uint64_t before, uint64_t after);

  LoadContext load_;
  events::EventStore* store_;
  ServiceOptions options_;
  SnapshotWriter* writer_;
  KeyMap<std::shared_ptr<AccountEntry>> accounts_;   // by stream
  KeyMap<std::shared_ptr<CatalogEntry>> catalogs_;   // by tenant
  KeyMap<PendingClaim> pending_claims_;  // in flight: key -> owner
  KeyMap<KnownClaim> known_claims_;    // durable: key -> (stream, value)
  // Reused buffers for the keys lookups build (a claim key, a stream name): no
  // allocation per lookup once they have grown. A view of one is valid until the
  // next lookup of the same kind.
  std::string claim_key_buffer_;
  std::string stream_buffer_;
  Status prepare_error_;
  KeyMap<uint64_t> failures_;  // by tenant
};

}  // namespace accrue::engine::internal

#endif  // ACCRUE_ENGINE_SERVICE_INTERNAL_H_
