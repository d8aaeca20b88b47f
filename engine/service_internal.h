// The command service's aggregate cache (not a public interface).
//
// Holds folded aggregates per stream: accounts "<tenant>/account/<id>" and
// catalogs "<tenant>/catalog", at their SPECULATIVE version (durable events plus
// the events of appends still in flight), and the claims of in-flight appends.
// Bounded: at most ServiceOptions::account_cache_capacity accounts; entries with
// appends in flight are never evicted. Loading folds the stream from the log in
// pages of kReadPageSize events.
// Thread-safety: none; the service calls it under its mutex.
#ifndef ACCRUE_ENGINE_SERVICE_INTERNAL_H_
#define ACCRUE_ENGINE_SERVICE_INTERNAL_H_

#include <future>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/decide.h"
#include "engine/service.h"
#include "events/event_store.h"

namespace accrue::engine::internal {

inline constexpr std::size_t kReadPageSize = 4096;           // events per ReadStream call
inline constexpr std::size_t kMaxKnownClaims = 1'000'000;    // claim-owner cache entries

struct AccountEntry {
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
struct Touched {
  std::vector<std::pair<std::string, std::shared_ptr<AccountEntry>>> accounts;  // (stream, entry)
  std::string catalog_tenant;
  std::shared_ptr<CatalogEntry> catalog;
  std::vector<std::string> claim_keys;
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
  std::future<events::AppendResult> append;
};

struct Prepared {
  DecideContext context;
  std::shared_ptr<CatalogEntry> catalog;
  std::shared_ptr<AccountEntry> account;
  std::shared_ptr<AccountEntry> usage_owner;
};

class AggregateCache {
 public:
  AggregateCache(events::EventStore* store, ServiceOptions options);

  // The account's entry (state.exists false when the stream does not exist).
  Result<std::shared_ptr<AccountEntry>> Account(const std::string& tenant, const std::string& account_id);
  // The entry of the account owning claim <kind>/<id>; nullptr when unclaimed.
  Result<std::shared_ptr<AccountEntry>> Owner(const std::string& tenant, std::string_view kind,
                                              const std::string& id);
  Result<std::shared_ptr<CatalogEntry>> Catalog(const std::string& tenant);
  // Whether "<tenant>/<kind>/<id>" is claimed (durably or in flight).
  Result<bool> ClaimTaken(const std::string& tenant, std::string_view kind, const std::string& id);
  // The tenant's account ids in id order (durable and in flight).
  Result<std::vector<std::string>> TenantAccounts(const std::string& tenant);

  // Loads what decide() needs for `command`.
  Result<Prepared> Prepare(const std::string& tenant, const Command& command);

  // Folds the decision's events into the cached aggregate and fills the append
  // (events with the expected version, claims).
  void ApplySpeculatively(const std::string& tenant, const Decision& d, events::AppendRequest* request,
                          Touched* touched);
  // An append completed: written, or not (then its aggregates are dropped).
  void Settle(const Touched& touched, bool written);
  // A store error met by the claim lookups of the last Prepare()d decision (they
  // answered "taken" to be safe); ok when none. Clears it.
  Status TakePrepareError() {
    Status s = prepare_error_;
    prepare_error_ = Status::Ok();
    return s;
  }

 private:
  Status Load(const std::string& stream, const std::function<void(const v1::BillingEvent&)>& fold,
              uint64_t* version);
  void EvictIfFull();

  events::EventStore* store_;
  ServiceOptions options_;
  std::unordered_map<std::string, std::shared_ptr<AccountEntry>> accounts_;   // by stream
  std::unordered_map<std::string, std::shared_ptr<CatalogEntry>> catalogs_;   // by tenant
  std::unordered_map<std::string, std::string> pending_claims_;  // in flight: key -> stream
  std::unordered_map<std::string, std::string> known_claims_;    // durable: key -> stream
  Status prepare_error_;
};

}  // namespace accrue::engine::internal

#endif  // ACCRUE_ENGINE_SERVICE_INTERNAL_H_
